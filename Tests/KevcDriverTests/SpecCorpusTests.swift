import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import Testing

/// Every spec in `specs/` and `specs/kernelbench/` (and every spec in `Tests/Corpus/novel/`, written from the
/// language reference alone) compiles through LLVM and matches the float64 interpreter at its default shape and at
/// odd shapes.
@Suite struct SpecCorpusTests {
  static let kernelBench = Paths.files(in: "specs/kernelbench", withExtension: "kev")
  static let specs = Paths.files(in: "specs", withExtension: "kev") + Paths.files(in: "Tests/Corpus/novel", withExtension: "kev")
    + kernelBench

  /// Specs of `specs/kernelbench/` that fail on the LLVM target: each is a compiler bug, listed (with the failing
  /// shape) in `specs/kernelbench/README.md` ("Known failures"). The tests below expect them to fail, so that a fix
  /// shows up as a failure here and the entry is removed.
  static let knownFailures: Set<String> = []

  @Test func corpusIsPresent() {
    #expect(Self.specs.count >= 17)
    #expect(Self.kernelBench.count >= 30)
  }

  @Test(arguments: specs)
  func defaultShapePassesTheCheck(_ spec: URL) throws {
    try check(spec, overrides: [:], trials: 3)
  }

  @Test(arguments: specs)
  func oddShapesPassTheCheck(_ spec: URL) throws {
    let kernel = try frontEnd(spec)
    if Self.kernelBench.contains(spec) {
      // KernelBench's windows, strides and dilations shrink an output by a kernel size: all-prime or all-one
      // bindings are often no valid shape (or a huge one). Their odd shapes are the default one with every dim
      // one larger, and one smaller (at least 1), where that binds.
      let defaults = kernel.dims.compactMap { d in d.value.map { (d.name, $0) } }
      let bindings = [1, -1].map { delta in Dictionary(uniqueKeysWithValues: defaults.map { ($0.0, max(1, $0.1 + delta)) }) }
      let valid = bindings.filter { (try? kernel.binding($0, location: .unknown)) != nil }
      #expect(!valid.isEmpty, "\(spec.lastPathComponent): no odd shape binds")
      for overrides in valid { try check(spec, overrides: overrides, trials: 2) }
      return
    }
    // Distinct small primes per dim, then every dim 1. When dims must agree with each other, fall back to one
    // shared prime.
    let primes = [7, 5, 3, 11, 13, 2, 17, 19]
    var distinct: [String: Int] = [:]
    for (i, d) in kernel.dims.enumerated() { distinct[d.name] = primes[i % primes.count] }
    let same = Dictionary(uniqueKeysWithValues: kernel.dims.map { ($0.name, 7) })
    let ones = Dictionary(uniqueKeysWithValues: kernel.dims.map { ($0.name, 1) })
    let first = (try? kernel.binding(distinct, location: .unknown)) != nil ? distinct : same
    try check(spec, overrides: first, trials: 2)
    try check(spec, overrides: ones, trials: 2)
  }

  /// The default CPU schedule lowers to loops at a spec's bench shape and at shapes between its default and bench
  /// shapes (each dim at 1/4, 1/2 and 3/4 of the way, geometrically, where that binds): it places buffers so that
  /// the program fits the stack budget (`ResourceBudget`) by construction, whatever the shape. Lowering only, no
  /// run (the bench shapes are large).
  @Test(arguments: specs)
  func defaultScheduleLowersUpToTheBenchShape(_ spec: URL) throws {
    let kernel = try frontEnd(spec)
    let dims = kernel.dims.compactMap { d in d.value.map { (d.name, Double($0), Double(d.benchValue ?? $0)) } }
    for f in [0.25, 0.5, 0.75, 1] {
      let shape = Dictionary(uniqueKeysWithValues: dims.map { ($0.0, max(1, Int(($0.1 * pow($0.2 / $0.1, f)).rounded()))) })
      guard (try? kernel.binding(shape, location: .unknown)) != nil else { continue }
      let request = CompileRequest(source: try source(spec), kind: .spec, shapeOverrides: shape, stages: [.lowered])
      do {
        _ = try Compiler.compile(request)
      } catch {
        Issue.record("\(spec.lastPathComponent) \(shape): \(error)")
      }
    }
  }

  /// Attention at B=1, H=4, S=128, D=64: fusing every intermediate at the batch loop once needed 2.6 MiB of
  /// local buffers (`kevc.lower.stack-too-large`); the default schedule now fuses the ones past the budget at an
  /// inner loop, and the kernel runs and matches the interpreter.
  @Test func attentionWhoseFusedRegionsExceedTheStackRuns() throws {
    let spec = try #require(Self.specs.first { $0.lastPathComponent == "attention.kev" })
    try check(spec, overrides: ["B": 1, "H": 4, "S": 128, "D": 64], trials: 1)
  }

  func frontEnd(_ spec: URL) throws -> Kernel {
    let request = CompileRequest(source: try source(spec), kind: .spec, stages: [.ir])
    return try Compiler.compile(request).kernel
  }

  func source(_ url: URL) throws -> SourceFile {
    SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8))
  }

  func check(_ spec: URL, overrides: [String: Int], trials: Int) throws {
    let request = CompileRequest(source: try source(spec), kind: .spec, shapeOverrides: overrides, stages: [.llvm])
    let result: CompileResult
    do {
      result = try Compiler.compile(request)
    } catch {
      Issue.record("\(spec.lastPathComponent) \(overrides): \(error)")
      return
    }
    let kernel = try #require(result.boundKernel)
    let jit = try #require(result.module).jit()
    let report = try KernelCheck.run(
      kernel, jit: jit, options: KernelCheck.Options(trials: trials, seed: 42, timingIterations: 0))
    let name = spec.deletingPathExtension().lastPathComponent
    if Self.knownFailures.contains(name) {
      #expect(!report.passed, "\(name) \(overrides) passes now: remove it from the known failures")
      return
    }
    #expect(report.passed, "\(spec.lastPathComponent) \(overrides):\n\(RunReportText.render(report, kernel: kernel))")
  }
}
