import Foundation
import KevcBasic
import KevcIR
import KevcInterpreter
import KevcLLVM

/// The correctness protocol for a compiled kernel, against the float64 interpreter (the oracle):
/// every trial draws fresh inputs (a new seed, cycling through several distributions), poisons the result buffers
/// (NaN, or a sentinel for integers) before the call, checks that the inputs were not written, and compares every
/// result within its dtype's tolerance; NaN or inf where the reference has none fails.
public struct KernelCheck {
  public struct Options: Sendable {
    /// Correctness trials; 0 only times the kernel (for shapes too large for the interpreter).
    public var trials: Int
    public var seed: UInt64
    /// Timed calls per repeat and number of repeats (0 iterations: no timing).
    public var timingIterations: Int
    public var timingRepeats: Int
    /// The input distributions trials cycle through (all of them by default).
    public var distributions: [InputDistribution]
    /// Where the trials' float64 references come from: nil, the interpreter on the checked kernel itself; else the
    /// reference cache, for the spec's IR at the same shape (`spec`, keyed by `key`): computed once per seed.
    public var references: (cache: ReferenceCache, spec: Kernel, key: String)?

    public init(
      trials: Int = 5, seed: UInt64 = 0x6b657663, timingIterations: Int = 10, timingRepeats: Int = 5,
      distributions: [InputDistribution] = InputDistribution.allCases
    ) {
      self.trials = trials
      self.seed = seed
      self.timingIterations = timingIterations
      self.timingRepeats = timingRepeats
      self.distributions = distributions.isEmpty ? InputDistribution.allCases : distributions
    }
  }

  public struct Trial: Sendable {
    public var seed: UInt64
    public var distribution: InputDistribution
    /// Per result, in the kernel's result order.
    public var comparisons: [(name: String, comparison: Comparison)]
    /// Inputs the kernel wrote to (must be empty).
    public var clobberedInputs: [String]
    public var passed: Bool { comparisons.allSatisfy(\.comparison.passed) && clobberedInputs.isEmpty }
  }

  public struct Report: Sendable {
    public var trials: [Trial]
    /// Median seconds per call, when timed.
    public var secondsPerCall: Double?
    public var passed: Bool { trials.allSatisfy(\.passed) }
    /// Trials whose reference was read from the reference cache rather than interpreted.
    public var cachedReferences = 0
    public var worstAbsoluteError: Double {
      trials.flatMap { $0.comparisons.map(\.comparison.maxAbsError) }.max() ?? 0
    }
    public var worstRelativeError: Double {
      trials.flatMap { $0.comparisons.map(\.comparison.maxRelError) }.max() ?? 0
    }
  }

  /// Runs the protocol on a compiled kernel. `kernel` must have every dim bound (the compile's `boundKernel`).
  /// Bytes a checked and timed run of `kernel` allocates: each parameter and result as float64 values, as encoded
  /// elements and as the JIT's aligned copy, plus the workspace; nil when that does not fit in 64 bits.
  public static func memoryNeeded(_ kernel: Kernel, workspace: Int) -> Int? {
    var total = workspace
    let env = kernel.dimBindings
    for (shape, dtype) in kernel.params.map({ ($0.shape, $0.dtype) }) + kernel.results.map({ ($0.shape, $0.dtype) }) {
      var extents: [Int] = []
      for s in shape {
        guard let v = s.evaluate(env) else { return nil }
        extents.append(v)
      }
      guard let n = ShapeLimits.product(extents, limit: Int.max) else { return nil }
      let (bytes, o1) = n.multipliedReportingOverflow(by: 8 + 2 * dtype.byteSize)
      let (sum, o2) = total.addingReportingOverflow(bytes)
      guard !o1, !o2 else { return nil }
      total = sum
    }
    return total
  }

  /// Refuses a run that would need more than three quarters of `available` bytes (default: this machine's
  /// physical memory) with `kevc.run.out-of-memory`, before anything is allocated.
  public static func checkMemory(
    _ kernel: Kernel, workspace: Int, available: UInt64 = ProcessInfo.processInfo.physicalMemory
  ) throws(DiagnosticError) {
    let need = memoryNeeded(kernel, workspace: workspace) ?? Int.max
    let budget = Int(clamping: available / 4 * 3)
    guard need > budget else { return }
    let needText = need == Int.max ? "more than 2^63 bytes" : "about \(need >> 20) MiB"
    throw DiagnosticError(
      .error(
        DiagnosticID("run", "out-of-memory"),
        "running '\(kernel.name)' at this shape needs \(needText) (inputs, results, their copies and "
          + "\(workspace >> 20) MiB of workspace); this machine has \(available >> 20) MiB and a run may use 3/4 of it",
        at: kernel.location))
  }

  public static func run(
    _ kernel: Kernel, jit: JITKernel, options: Options
  ) throws(DiagnosticError) -> Report {
    let distributions = options.distributions
    var trials: [Trial] = []
    var lastInputs: [String: TensorValue] = [:]
    var cached = 0
    for t in 0..<max(0, options.trials) {
      let seed = options.seed &+ UInt64(t) &* 0x9E37_79B9_7F4A_7C15
      let distribution = distributions[t % distributions.count]
      let inputs = RandomInputs.generate(for: kernel, seed: seed, distribution: distribution)
      var reference: ReferenceCache.Reference?
      if let r = options.references {
        let got = try r.cache.reference(spec: r.spec, key: r.key, seed: seed, distribution: distribution, inputs: inputs)
        reference = got.reference
        if got.source == "cached" { cached += 1 }
      }
      let (comparisons, clobbered) = try check(kernel, jit: jit, inputs: inputs, reference: reference)
      trials.append(Trial(seed: seed, distribution: distribution, comparisons: comparisons, clobberedInputs: clobbered))
      lastInputs = inputs
    }

    var report = Report(trials: trials)
    report.cachedReferences = cached
    if options.timingIterations > 0 {
      if lastInputs.isEmpty {
        lastInputs = RandomInputs.generate(for: kernel, seed: options.seed, distribution: .normal)
      }
      var buffers = try argumentBuffers(kernel, inputs: lastInputs)
      let samples = try jit.time(&buffers, iterations: options.timingIterations, repeats: max(1, options.timingRepeats))
      report.secondsPerCall = samples.sorted()[samples.count / 2]
    }
    return report
  }

  /// One trial on given inputs: runs the interpreter (or takes the given `reference`) and the kernel (on poisoned
  /// result buffers), and compares every result; also returns the inputs the kernel wrote to.
  public static func check(
    _ kernel: Kernel, jit: JITKernel, inputs: [String: TensorValue], reference given: ReferenceCache.Reference? = nil
  ) throws(DiagnosticError)
    -> (comparisons: [(name: String, comparison: Comparison)], clobberedInputs: [String])
  {
    let reference: [String: TensorValue]
    let leeway: [String: Leeway]
    if let given {
      (reference, leeway) = given
    } else {
      (reference, leeway) = try Interpreter.runWithLeeway(kernel, inputs: inputs)
    }
    var buffers = try argumentBuffers(kernel, inputs: inputs)
    let before = buffers
    try jit.run(&buffers)
    var clobbered: [String] = []
    for (i, p) in kernel.params.enumerated() where buffers[i] != before[i] { clobbered.append(p.name) }
    var comparisons: [(name: String, comparison: Comparison)] = []
    for (j, r) in kernel.results.enumerated() {
      let shape = try concreteShape(r.shape, kernel)
      let actual = TensorValue(dtype: r.dtype, shape: shape, bytes: buffers[kernel.params.count + j])
      guard let expected = reference[r.name] else { continue }
      let computedIn = ComputedPrecision.of(r.name, in: kernel)
      comparisons.append(
        (r.name, Comparison.compare(actual, expected, dtype: r.dtype, tolerance: computedIn, leeway: leeway[r.name] ?? Leeway())))
    }
    try widenFailures(&comparisons, kernel, inputs: inputs, buffers: buffers, reference: reference, leeway: leeway)
    return (comparisons, clobbered)
  }

  /// The comparisons of float results that missed the plain rule with finite values, done again with the dtype's
  /// own error on these inputs: the kernel evaluated in its declared precision
  /// (`Interpreter.runInDeclaredPrecision`, on the inputs as drawn: the kernel ran on copies) against the float64
  /// reference (`Comparison.dtypeError`, `widening`; docs/reliability.md). Only on a failure, so a passing
  /// kernel costs nothing more; a NaN or infinity where the reference is finite still fails.
  static func widenFailures(
    _ comparisons: inout [(name: String, comparison: Comparison)], _ kernel: Kernel, inputs: [String: TensorValue],
    buffers: [[UInt8]], reference: [String: TensorValue], leeway: [String: Leeway]
  ) throws(DiagnosticError) {
    let failing = comparisons.filter { c in
      !c.comparison.passed && c.comparison.maxAbsError.isFinite
        && (kernel.results.first { $0.name == c.name }?.dtype.isFloat ?? false)
    }
    guard !failing.isEmpty else { return }
    let declared = try Interpreter.runInDeclaredPrecision(kernel, inputs: inputs)
    for (j, r) in kernel.results.enumerated() {
      guard let i = comparisons.firstIndex(where: { $0.name == r.name }), failing.contains(where: { $0.name == r.name }),
        let expected = reference[r.name], let evaluated = declared[r.name]
      else { continue }
      let computedIn = ComputedPrecision.of(r.name, in: kernel)
      let error = Comparison.dtypeError(evaluated, expected, dtype: r.dtype, tolerance: computedIn)
      guard Comparison.widening(dtypeError: error) > 1 else { continue }
      let actual = TensorValue(dtype: r.dtype, shape: try concreteShape(r.shape, kernel), bytes: buffers[kernel.params.count + j])
      comparisons[i].comparison = Comparison.compare(
        actual, expected, dtype: r.dtype, tolerance: computedIn, leeway: leeway[r.name] ?? Leeway(), dtypeError: error)
    }
  }

  /// Input bytes in parameter order, then poisoned result buffers.
  static func argumentBuffers(_ kernel: Kernel, inputs: [String: TensorValue]) throws(DiagnosticError) -> [[UInt8]] {
    var buffers: [[UInt8]] = []
    for p in kernel.params {
      guard let value = inputs[p.name] else {
        throw DiagnosticError(.error(DiagnosticID("run", "missing-input"), "no input for '\(p.name)'", at: p.location))
      }
      buffers.append(value.bytes())
    }
    for r in kernel.results {
      buffers.append(TensorValue.poisoned(dtype: r.dtype, shape: try concreteShape(r.shape, kernel)).bytes())
    }
    return buffers
  }

  static func concreteShape(_ shape: [SizeExpr], _ kernel: Kernel) throws(DiagnosticError) -> [Int] {
    let dims = kernel.dimBindings
    var out: [Int] = []
    for s in shape {
      guard let v = s.evaluate(dims) else {
        throw DiagnosticError(
          .error(DiagnosticID("run", "unbound-dim"), "a shape of '\(kernel.name)' is not bound", at: kernel.location))
      }
      out.append(v)
    }
    return out
  }
}
