import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import Testing

/// Every spec in `specs/` (and every spec in `Tests/Corpus/novel/`, written from the language reference alone)
/// compiles through LLVM and matches the float64 interpreter at its default shape and at odd shapes.
@Suite struct SpecCorpusTests {
  static let specs = Paths.files(in: "specs", withExtension: "kev") + Paths.files(in: "Tests/Corpus/novel", withExtension: "kev")

  @Test func corpusIsPresent() {
    #expect(Self.specs.count >= 17)
  }

  @Test(arguments: specs)
  func defaultShapePassesTheCheck(_ spec: URL) throws {
    try check(spec, overrides: [:], trials: 3)
  }

  @Test(arguments: specs)
  func oddShapesPassTheCheck(_ spec: URL) throws {
    let kernel = try frontEnd(spec)
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

  /// The reference module says whether its measured cost can depend on the inputs (the GPU harness then measures
  /// it for every candidate, else once per module): gathers, jagged ranges and data-dependent selects do; dense
  /// ops, masks on indices (attention's causal mask) and padded windows (conv1d) do not.
  @Test func referenceModulesSayWhetherTheirCostDependsOnTheInputs() throws {
    var flags: [String: Bool] = [:]
    for spec in Self.specs {
      let request = CompileRequest(source: try source(spec), kind: .spec, stages: [.torchRef])
      let text = String(decoding: try #require(try Compiler.compile(request).artifacts[.torchRef]), as: UTF8.self)
      let yes = text.contains("\nCOST_DEPENDS_ON_INPUTS = True\n")
      #expect(yes != text.contains("\nCOST_DEPENDS_ON_INPUTS = False\n"), "\(spec.lastPathComponent)")
      flags[spec.deletingPathExtension().lastPathComponent] = yes
    }
    for name in ["softmax", "attention", "matmul", "conv1d", "conv2d", "layernorm", "fm_interaction"] {
      #expect(flags[name] == false, "\(name)")
    }
    for name in ["embedding_bag", "jagged_truncate"] { #expect(flags[name] == true, "\(name)") }
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
    #expect(report.passed, "\(spec.lastPathComponent) \(overrides):\n\(RunReportText.render(report, kernel: kernel))")
  }
}
