import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcTransforms
import KevcTriton
import Testing

/// Every spec (`specs/**/*.kev`), under the default GPU schedule at its default and its bench shape and the
/// schedule variants (plus the hand-written traces in `lowering/triton/traces/`), lowers to a module whose every
/// kernel Triton compiles ahead of time for cuda:90 and hip:gfx942 within each target's shared memory (one
/// Python process per job for all of them). Skipped with a message when the Python that
/// `TritonAOT` runs (`$KEVC_PYTHON`, else `python3`) cannot import triton; install it with
/// `pip install triton==3.6.0`.
@Suite(.serialized) struct TritonAOTTests {
  static let targets = ["cuda:90", "hip:gfx942"]

  @Test func everySpecCompilesForBothTargets() throws {
    guard let version = TritonTestSupport.tritonVersion else {
      print("skipped: \(TritonAOT.python) cannot import triton (pip install triton==3.6.0, or set KEVC_PYTHON)")
      return
    }
    // KEVC_TRITON_KEEP=DIR keeps the modules there (e.g. to run them elsewhere); else a removed scratch folder.
    let keep = ProcessInfo.processInfo.environment["KEVC_TRITON_KEEP"].map { URL(fileURLWithPath: $0) }
    let dir = try keep ?? TritonTestSupport.scratchDirectory("corpus")
    if let keep { try FileManager.default.createDirectory(at: keep, withIntermediateDirectories: true) }
    defer { if keep == nil { try? FileManager.default.removeItem(at: dir) } }
    var modules: [String] = []
    var origins: [String: String] = [:]
    func add(_ name: String, _ text: String, origin: String) throws {
      let path = dir.appendingPathComponent(name + ".py").path
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      modules.append(path)
      origins[path] = origin
    }
    for spec in TritonTestSupport.specs {
      let base = TritonTestSupport.name(spec)
      // Specs of subfolders (the KernelBench corpus) are checked under their default schedule at the bench shape
      // only (where tiles, split reductions and shared memory are largest), to keep the test's time in bounds; the
      // variants exercise the emitter, which the top-level specs cover.
      let corpus = base.contains(".")
      if !corpus { try add("\(base).default", try TritonTestSupport.module(spec), origin: "\(base), default schedule") }
      let bench = try TritonTestSupport.benchShape(spec)
      if !bench.isEmpty || corpus {
        try add(
          "\(base).bench-default", try TritonTestSupport.module(spec, overrides: bench),
          origin: "\(base), default schedule at the bench shape")
      }
      guard !corpus else { continue }
      for v in try TritonTestSupport.variants(spec) {
        try add("\(base).\(v.name)", try TritonTestSupport.module(spec, trace: v.trace), origin: "\(base), \(v.name)")
      }
      // Every dim 1: blocks of one element, dot tiles too small for tl.dot.
      let kernel = try TritonTestSupport.bound(spec)
      let ones = Dictionary(uniqueKeysWithValues: kernel.dims.map { ($0.name, 1) })
      if (try? kernel.binding(ones, location: .unknown)) != nil {
        try add("\(base).ones", try TritonTestSupport.module(spec, overrides: ones), origin: "\(base), all dims 1")
      }
    }
    let traceDir = TritonTestSupport.inRepository("lowering/triton/traces")
    for name in ((try? FileManager.default.contentsOfDirectory(atPath: traceDir.path)) ?? []).sorted() where name.hasSuffix(".trace") {
      let url = traceDir.appendingPathComponent(name)
      let trace = try Trace.parse(SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)))
      let spec = TritonTestSupport.inRepository("specs/\(name.split(separator: ".")[0]).kev")
      try add(String(name.dropLast(".trace".count)), try TritonTestSupport.module(spec, trace: trace), origin: name)
    }
    let start = Date()
    let outcomes = try TritonAOT.compile(modules: modules, targets: Self.targets, jobs: 2)
    let seconds = Date().timeIntervalSince(start)
    print("triton \(version): \(outcomes.count) kernel compiles for \(modules.count) modules in \(String(format: "%.1f", seconds)) s")
    let failures = outcomes.filter { !$0.ok }
    for f in failures {
      let where_ = "\(URL(fileURLWithPath: f.module).lastPathComponent):\(f.line ?? 0)"
      Issue.record("\(origins[f.module] ?? f.module): \(f.kernel ?? "-") for \(f.target ?? "-") at \(where_): \(f.error ?? "")")
    }
    // Every module was compiled for both targets (at least one kernel each).
    let compiled = Set(outcomes.map(\.module))
    #expect(compiled == Set(modules))
    #expect(Set(outcomes.compactMap(\.target)) == Set(Self.targets))
  }

  /// A Triton compile error comes back as a diagnostic located at the module's line, naming kernel, target and
  /// origin. kevc rejects the schedules it knows Triton cannot compile (a block beyond 2^20 elements is a kevc
  /// diagnostic), so the test breaks one line of an emitted module: a range that is not a power of two.
  @Test func compileErrorsBecomeLocatedDiagnostics() throws {
    guard TritonTestSupport.tritonVersion != nil else {
      print("skipped: \(TritonAOT.python) cannot import triton")
      return
    }
    let spec = TritonTestSupport.inRepository("specs/transpose.kev")
    let kernel = try TritonTestSupport.bound(spec, ["M": 64, "N": 32])
    guard let d = kernel.definitions.last, d.axes.count == 2 else {
      Issue.record("transpose is not a 2-d definition")
      return
    }
    let trace = Trace([
      .bind(tensor: d.name, loop: d.axes[0].name, dimension: .blockY),
      .bind(tensor: d.name, loop: d.axes[1].name, dimension: .blockX),
    ])
    let scheduled = try trace.apply(to: kernel)
    let module = try TritonEmitter.emit(scheduled, origin: "specs/transpose.kev")
    let dir = try TritonTestSupport.scratchDirectory("error")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("transpose.py").path
    let range = try #require(module.source.range(of: "tl.arange(0, BLOCK_"))
    let broken = module.source.replacingCharacters(in: range, with: "tl.arange(0, 3 * BLOCK_")
    try broken.write(toFile: path, atomically: true, encoding: .utf8)
    let outcomes = try TritonAOT.compile(modules: [path], targets: ["cuda:90"])
    let diagnostics = TritonAOT.diagnostics(outcomes, origin: "generated from specs/transpose.kev")
    let diag = try #require(diagnostics.first)
    #expect(diag.id == DiagnosticID("triton", "aot-error"))
    #expect(diag.location.file == path)
    #expect(diag.message.contains("cuda:90"))
    #expect(diag.message.contains("specs/transpose.kev"))
    // The line is inside the kernel's body.
    let kernelLine = try #require(module.kernels.first?.line)
    #expect(diag.location.line > kernelLine)
    #expect(diag.location.line < kernelLine + 20)
  }

  @Test func driverChecksAheadOfTime() throws {
    guard TritonTestSupport.tritonVersion != nil else {
      print("skipped: \(TritonAOT.python) cannot import triton")
      return
    }
    var request = CompileRequest(
      source: try TritonTestSupport.source(TritonTestSupport.inRepository("specs/rmsnorm.kev")), kind: .spec,
      stages: [.triton])
    request.target = .triton
    // A hand trace's precisions need the contract that allows them (the trace never raises it).
    request.matmulPrecision = request.schedule?.leastMatmulPrecision
    request.aotTargets = ["cuda:90"]
    let result = try Compiler.compile(request)
    #expect(result.artifacts[.triton] != nil)
  }
}
