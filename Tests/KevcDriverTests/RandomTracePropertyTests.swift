import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcLLVM
import KevcLowering
import KevcTransforms
import Testing

/// The schedule property: for every spec in `specs/`, random traces (1 to 6 steps, drawn by `TraceGenerator` from
/// the kernel's structure, legal and illegal) are either rejected with a reason, or compile through LLVM and give
/// the interpreter's results. A summary (cases, rejections, per-kind acceptances) shows the test is not vacuous.
///
/// Environment: `KEVC_PROPERTY_SEED` (base seed), `KEVC_PROPERTY_CASES` (total cases over all specs),
/// `KEVC_PROPERTY_OPT` (LLVM optimisation level, default 0: compiling dominates the run time), `KEVC_PROPERTY_SPECS` (comma-separated spec names to
/// restrict to), `KEVC_PROPERTY_VERBOSE=1` (print every case before running it: finds the case that crashes).
@Suite struct RandomTracePropertyTests {
  static let environment = ProcessInfo.processInfo.environment
  static let seed = environment["KEVC_PROPERTY_SEED"].flatMap { UInt64($0) } ?? 0x7072_6f70
  static let totalCases = environment["KEVC_PROPERTY_CASES"].flatMap { Int($0) } ?? 3600
  static let optimizationLevel = environment["KEVC_PROPERTY_OPT"].flatMap { Int($0) } ?? 0
  static let verbose = environment["KEVC_PROPERTY_VERBOSE"] == "1"
  static let casesPerShape = 50

  /// Tallies over the whole run.
  struct Stats {
    var cases = 0
    /// Rejected by a transform (with its reason).
    var rejected = 0
    /// Accepted by the transforms, rejected by the CPU back end (GPU bindings).
    var rejectedByBackEnd = 0
    /// Accepted, compiled and equal to the interpreter.
    var accepted = 0
    /// Accepted cases whose scheduled kernel was already compiled and checked for this spec.
    var repeated = 0
    /// Kinds of the steps of accepted traces.
    var acceptedKinds: [TransformKind: Int] = [:]
    /// Kinds of the steps that were rejected.
    var rejectedKinds: [TransformKind: Int] = [:]
    var failures: [String] = []
    var perSpec: [String: (cases: Int, accepted: Int, seconds: Double)] = [:]

    mutating func merge(_ o: Stats) {
      cases += o.cases
      rejected += o.rejected
      rejectedByBackEnd += o.rejectedByBackEnd
      accepted += o.accepted
      repeated += o.repeated
      acceptedKinds.merge(o.acceptedKinds, uniquingKeysWith: +)
      rejectedKinds.merge(o.rejectedKinds, uniquingKeysWith: +)
      failures += o.failures
      perSpec.merge(o.perSpec, uniquingKeysWith: { a, _ in a })
    }
  }

  @Test func randomTracesAreRejectedOrMatchTheInterpreter() throws {
    var specs = Paths.files(in: "specs", withExtension: "kev")
    if let only = Self.environment["KEVC_PROPERTY_SPECS"] {
      let names = Set(only.split(separator: ",").map(String.init))
      specs = specs.filter { names.contains($0.deletingPathExtension().lastPathComponent) }
    }
    try #require(!specs.isEmpty)
    let perSpec = max(1, Self.totalCases / specs.count)
    let total = Locked(Stats())
    let start = Date()
    // Specs are independent: run them two at a time (the machine has two cores), biggest first.
    let specList = specs
    DispatchQueue.concurrentPerform(iterations: specList.count) { i in
      let stats = Self.run(specList[i], cases: perSpec, seed: Self.seed &+ UInt64(i) &* 0x1_0000_0001)
      total.withLock { $0.merge(stats) }
    }
    let stats = total.withLock { $0 }
    let seconds = Date().timeIntervalSince(start)

    var summary = [
      String(
        format: "random traces: %d cases in %.1f s (seed %llu, -O%d): %d rejected by transforms, %d by the CPU back end, %d accepted and checked (%d repeated kernels)",
        stats.cases, seconds, Self.seed, Self.optimizationLevel, stats.rejected, stats.rejectedByBackEnd, stats.accepted,
        stats.repeated)
    ]
    summary.append(
      "  accepted steps by kind: "
        + TransformKind.allCases.map { "\($0.rawValue) \(stats.acceptedKinds[$0] ?? 0)" }.joined(separator: ", "))
    summary.append(
      "  rejected steps by kind: "
        + TransformKind.allCases.map { "\($0.rawValue) \(stats.rejectedKinds[$0] ?? 0)" }.joined(separator: ", "))
    for (name, s) in stats.perSpec.sorted(by: { $0.key < $1.key }) {
      summary.append(String(format: "  %@: %d cases, %d accepted, %.1f s", name, s.cases, s.accepted, s.seconds))
    }
    print(summary.joined(separator: "\n"))

    for f in stats.failures.prefix(20) { Issue.record(Comment(rawValue: f)) }
    #expect(stats.failures.isEmpty, "\(stats.failures.count) failing cases")
    #expect(stats.cases > 0)
    #expect(Double(stats.accepted) >= 0.3 * Double(stats.cases), "too few accepted cases: \(stats.accepted) of \(stats.cases)")
    if Self.environment["KEVC_PROPERTY_SPECS"] == nil {
      // Grid bindings (and the program orders that need them) do not lower to the CPU.
      // deinterleave, pad_input, fuse_siblings, welford and store_phases are not drawn (the defaults apply them; their
      // own tests check them, store_phases also the difftest's phase programs).
      for kind in TransformKind.allCases
      where ![.bind, .groupPrograms, .persistent, .computeWith, .deinterleave, .padInput, .fuseSiblings, .welford,
        .storePhases].contains(kind)
      {
        #expect((stats.acceptedKinds[kind] ?? 0) > 0, "no accepted trace uses \(kind.rawValue)")
      }
    }
  }

  /// The generator is a pure function of its seed, and its search operators keep traces well formed.
  @Test func generatorIsDeterministicAndItsOperatorsWork() throws {
    let spec = Paths.inRepository("specs/softmax.kev")
    let source = SourceFile(path: spec.path, text: try String(contentsOf: spec, encoding: .utf8))
    let kernel = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
      .binding(["M": 7, "N": 11], location: .unknown)
    var a = TraceGenerator(seed: 99)
    var b = TraceGenerator(seed: 99)
    var c = TraceGenerator(seed: 100)
    let ta = (0..<20).map { _ in a.randomTrace(for: kernel, length: 4) }
    let tb = (0..<20).map { _ in b.randomTrace(for: kernel, length: 4) }
    let tc = (0..<20).map { _ in c.randomTrace(for: kernel, length: 4) }
    #expect(ta == tb)
    #expect(ta != tc)
    #expect(ta.allSatisfy { $0.steps.count == 4 })
    var g = TraceGenerator(seed: 7)
    var mutatedDiffer = 0
    for t in ta {
      let m = g.mutate(t, for: kernel)
      if m != t { mutatedDiffer += 1 }
      #expect(!m.steps.isEmpty)
      let x = g.crossover(t, m)
      #expect(!x.steps.isEmpty)
      // Every operator's output round-trips through the text form.
      for trace in [m, x] {
        let parsed = try Trace.parse(SourceFile(path: "<trace>", text: trace.text))
        #expect(parsed == trace)
      }
    }
    #expect(mutatedDiffer >= 10)
  }

  /// Small odd shapes: each dim at most its spec value, drawn from 5 to 13 (sometimes 1 to 4), so the interpreter
  /// stays fast.
  static func smallBinding(_ kernel: Kernel, _ generator: inout TraceGenerator) -> Kernel? {
    for attempt in 0..<6 {
      var overrides: [String: Int] = [:]
      for d in kernel.dims {
        let drawn = attempt < 5 ? (generator.chance(0.1) ? generator.int(in: 1...4) : generator.int(in: 5...13)) : 7
        overrides[d.name] = min(d.value ?? drawn, drawn)
      }
      if let bound = try? kernel.binding(overrides, location: .unknown) { return bound }
    }
    return try? kernel.binding([:], location: .unknown)
  }

  static func describe(_ trace: Trace) -> String { trace.steps.map(TraceText.print).joined(separator: "; ") }

  enum Outcome {
    /// Rejected by a transform, of this kind (nil: no step to blame).
    case rejected(TransformKind?)
    /// Accepted by the transforms, rejected by the CPU back end (GPU bindings).
    case rejectedByBackEnd
    /// Compiled and equal to the interpreter (or equal to a kernel already checked).
    case passed(Kernel, repeated: Bool)
    case failed(String)
  }

  /// Applies, compiles and checks one trace.
  static func check(_ trace: Trace, on bound: Kernel, seed: UInt64, trials: Int, skipping checked: Set<Kernel>) -> Outcome {
    let scheduled: Kernel
    do {
      scheduled = try trace.apply(to: bound)
    } catch {
      if error.message.isEmpty || error.diagnostic.message.isEmpty { return .failed("rejected without a reason") }
      let kind = error.step.flatMap { $0 < trace.steps.count ? trace.steps[$0].kind : nil }
      return .rejected(kind)
    }
    if checked.contains(scheduled) { return .passed(scheduled, repeated: true) }
    // GPU bindings left in the scheduled kernel (inlining a definition drops its bindings with it).
    let binds = scheduled.definitions.contains { d in
      d.effectiveSchedule.loops.contains { if case .gpu = $0.kind { return true } else { return false } }
    }
    let jit: JITKernel
    do {
      let loops = try LowerToLoops.lower(scheduled)
      let module = try LLVMCompiledModule.compile(loops, options: LLVMCompileOptions(optimizationLevel: optimizationLevel))
      jit = try module.jit()
    } catch {
      if error.diagnostics.isEmpty || error.diagnostics.contains(where: { $0.message.isEmpty }) {
        return .failed("back end failed without a reason")
      }
      if binds { return .rejectedByBackEnd }
      return .failed("accepted but does not compile: \(error)")
    }
    if binds { return .failed("GPU bindings compiled for the CPU") }
    do {
      let report = try KernelCheck.run(
        scheduled, jit: jit, options: KernelCheck.Options(trials: trials, seed: seed, timingIterations: 0))
      if report.passed { return .passed(scheduled, repeated: false) }
      return .failed("wrong results\n\(RunReportText.render(report, kernel: scheduled))")
    } catch {
      return .failed("check failed: \(error)")
    }
  }

  /// Runs `cases` random traces on one spec.
  static func run(_ spec: URL, cases: Int, seed: UInt64) -> Stats {
    var stats = Stats()
    let name = spec.deletingPathExtension().lastPathComponent
    let started = Date()
    func fail(_ message: String) { stats.failures.append("\(name): \(message)") }
    let kernel: Kernel
    do {
      let source = SourceFile(path: spec.path, text: try String(contentsOf: spec, encoding: .utf8))
      kernel = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
    } catch {
      fail("front end: \(error)")
      return stats
    }
    var generator = TraceGenerator(seed: seed)
    var bound = kernel
    var shape = ""
    var checked: Set<Kernel> = []
    var accepted = 0
    for c in 0..<cases {
      // A new small shape every `casesPerShape` cases.
      if c % casesPerShape == 0 {
        guard let b = smallBinding(kernel, &generator) else {
          fail("no binding")
          return stats
        }
        bound = b
        shape = bound.dims.map { "\($0.name)=\($0.value ?? -1)" }.joined(separator: ",")
        checked = []
      }
      let length = generator.int(in: 1...6)
      let trace = generator.randomTrace(for: bound, length: length)
      let label = "case \(c) [\(shape)] trace: \(describe(trace))"
      if verbose { FileHandle.standardError.write(Data("\(name) \(label)\n".utf8)) }
      stats.cases += 1
      let trials = c % 4 == 0 ? 2 : 1
      switch check(trace, on: bound, seed: seed &+ UInt64(c), trials: trials, skipping: checked) {
      case .rejected(let kind):
        stats.rejected += 1
        if let kind { stats.rejectedKinds[kind, default: 0] += 1 }
      case .rejectedByBackEnd:
        stats.rejectedByBackEnd += 1
      case .passed(let scheduled, let repeated):
        if repeated { stats.repeated += 1 }
        stats.accepted += 1
        accepted += 1
        checked.insert(scheduled)
        for t in trace.steps { stats.acceptedKinds[t.kind, default: 0] += 1 }
      case .failed(let message):
        // Shrink the trace: drop steps while it still fails.
        var smallest = trace
        var shrinking = true
        while shrinking, smallest.steps.count > 1 {
          shrinking = false
          for i in smallest.steps.indices {
            var steps = smallest.steps
            steps.remove(at: i)
            let candidate = Trace(steps)
            if case .failed = check(candidate, on: bound, seed: seed &+ UInt64(c), trials: trials, skipping: []) {
              smallest = candidate
              shrinking = true
              break
            }
          }
        }
        fail("\(label): \(message)\n  smallest failing trace: \(describe(smallest))")
      }
    }
    stats.perSpec[name] = (cases, accepted, Date().timeIntervalSince(started))
    return stats
  }
}

/// A value shared by the threads of `concurrentPerform`, accessed only under its lock.
private final class Locked<Value>: @unchecked Sendable {
  private var value: Value
  private let lock = NSLock()
  init(_ value: Value) { self.value = value }
  func withLock<R>(_ body: (inout Value) -> R) -> R {
    lock.lock()
    defer { lock.unlock() }
    return body(&value)
  }
}
