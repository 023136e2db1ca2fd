/// What one search worker does with one candidate, and the JSON it reads and writes (`kevc worker`: one request on
/// standard input, one result on standard output). The worker compiles the spec with the candidate's trace, checks
/// it against the interpreter (at the workload shape when that is cheap enough, else at the spec's default shape,
/// and always at one odd shape), then times it at the workload shape. It runs in its own process, so a candidate
/// that crashes or hangs takes only its worker down; the search classifies that from the outside.
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcInterpreter
import KevcLLVM
import KevcTransforms

public struct WorkerRequest: Codable, Sendable {
  public var specPath: String
  public var specText: String
  /// "spec" or "ir".
  public var kind: String
  /// The dims the candidate is tuned for (the workload shape).
  public var shape: [String: Int]
  public var trace: Trace
  /// Correctness trials per checked shape.
  public var trials: Int
  public var seed: UInt64
  /// Check at the workload shape only when its work (points times reduction lengths) is at most this.
  public var checkWorkLimit: Double
  /// Target seconds per timing repeat, and the number of repeats (the median is the time).
  public var secondsPerRepeat: Double
  public var repeats: Int
  /// A file locked (flock) around timing so that concurrent workers do not time each other's noise.
  public var timingLock: String?
  /// Testing hook: "crash", "hang", "garbage" or "harness_error" makes the worker misbehave on purpose; on a GPU
  /// target "slow" makes the candidate's module sleep `slowSeconds` (0.5 s) in each launch at the workload shape,
  /// and "slow_wrong" also adds 1 to its results (racing's tests: `slowModule`).
  public var fault: String?
  /// The target: nil or "llvm" (the host CPU: JIT, checked against the interpreter), or "triton", "hip" or "cute"
  /// (the GPU: the target's harness module and the torch float64 reference run through the GPU harness,
  /// python/kevc_gpu).
  public var target: String?
  /// Triton: seconds the harness allows each case (compile, trials and timing) before it kills that case.
  public var caseTimeout: Double?
  /// A file that exists exactly while the worker waits for the timing or device lock; the pool does not count that
  /// time against the worker's timeout (`WorkerPool`). Set by the pool; the GPU worker gets it as
  /// `$KEVC_WAIT_MARKER`.
  public var waitMarker: String?
  /// Bytes of address space the worker may use (`setrlimit(RLIMIT_AS)` in the worker itself, before it compiles);
  /// nil or 0: no cap.
  public var memoryLimit: Int?
  /// Seconds LLVM may spend on one compile in the worker (`CompileTimeLimit`); past it the worker reports a
  /// `timeout` whose error starts with `compile_timeout:`. Set by the pool below its own timeout; nil: the default.
  public var compileSeconds: Double?
  /// Triton: the device memory this evaluation declared (`EvaluationFootprint`, bytes), which the pool admits it by,
  /// and the bytes it may use: when its whole footprint exceeds them, the harness computes the float64 reference in
  /// slices over an output axis and compares them as they come (each case's `EvaluationFootprint.referencePlan`,
  /// passed as `--footprint`), or reports `harness_error` when even slices cannot fit.
  public var deviceFootprint: Int?
  public var deviceMemory: Int?
  /// Triton: take the float64 references of this candidate's trial seeds from the harness's reference cache
  /// (computed once per workload and seed), and check it on one fresh seed too when it times faster than
  /// `freshIfFasterThan` seconds (the best so far).
  public var reuseReferences: Bool?
  public var freshIfFasterThan: Double?
  /// CPU: a folder of float64 references (`ReferenceCache`) shared by the workers: each trial's reference is the
  /// spec's, read from there or interpreted once per (shape, seed) and stored; nil: interpreted per candidate.
  public var referenceCache: String?
  /// The best median so far (seconds); a candidate clearly slower than it stops its timed calls (Triton) or
  /// repeats (CPU) early (adaptive timing, docs/gpu-harness.md).
  public var incumbentSeconds: Double?
  /// GPU targets: racing (`SearchEngine.racing`, docs/search.md): time first, after one sanity launch, and skip the
  /// checks of a candidate clearly slower than `incumbentSeconds` (status `slower_unchecked`); nil or false: every
  /// check before the timing.
  public var race: Bool?
  /// Triton: the search's warm-worker server (`HarnessServer`), or nil for a new Python worker per candidate.
  public var harnessServer: String?
  /// The baseline's trace (the default schedule): compiled at the workload shape and timed beside the candidate,
  /// interleaved call block by call block, so that its speedup compares two times measured together.
  public var baselineTrace: Trace?
  /// `--matmul-precision`: the accuracy contract of the spec's f32 contractions, overriding its line; nil keeps
  /// the spec's.
  public var matmulPrecision: MatmulPrecision?

  public init(
    specPath: String, specText: String, kind: String, shape: [String: Int], trace: Trace, trials: Int = 3,
    seed: UInt64 = 1, checkWorkLimit: Double = 4e6, secondsPerRepeat: Double = 0.02, repeats: Int = 7,
    timingLock: String? = nil, fault: String? = nil
  ) {
    self.specPath = specPath
    self.specText = specText
    self.kind = kind
    self.shape = shape
    self.trace = trace
    self.trials = trials
    self.seed = seed
    self.checkWorkLimit = checkWorkLimit
    self.secondsPerRepeat = secondsPerRepeat
    self.repeats = repeats
    self.timingLock = timingLock
    self.fault = fault
  }
}

/// The device an evaluation ran on: its index as the search's worker pool numbers it, its name and its UUID
/// ("GPU-...", "simulated-N" for a simulated device), as python/kevc_gpu/devices.py lists them.
public struct EvaluationDevice: Codable, Sendable, Hashable {
  public var index: Int
  public var name: String?
  public var uuid: String?
  public init(index: Int, name: String? = nil, uuid: String? = nil) {
    self.index = index
    self.name = name
    self.uuid = uuid
  }

  /// The identity to group evaluations by: the UUID when known, else the index.
  public var key: String { uuid ?? "device \(index)" }

  /// "GPU-8f3c... (NVIDIA H100 80GB HBM3, index 1)".
  public var text: String { key + " (" + (name.map { $0 + ", " } ?? "") + "index \(index))" }
}

public struct WorkerResult: Codable, Sendable {
  public var status: EvaluationStatus
  public var error: String?
  public var maxAbsError: Double?
  public var maxRelError: Double?
  /// Seconds per call, one sample per repeat.
  public var times: [Double]
  public var medianTime: Double?
  /// The shapes the correctness check ran at, e.g. ["K=129,M=67,N=61", "K=65,M=33,N=31"].
  public var checkedShapes: [String]
  public var seconds: Double
  /// Triton: the roofline floor the harness computed on the GPU (bytes over measured bandwidth, flops over
  /// measured peak), in seconds; the search's fraction of the floor is floor / median.
  public var floorSeconds: Double?
  /// Triton: where the worker's time went, in seconds per phase (start-up, loading the kernel, each trial, waiting
  /// for the device, timing, ...), summed over the candidate's cases.
  public var phaseSeconds: [String: Double] = [:]
  /// Triton: seconds the device lock was held, by mode and by what ran under it ("shared", "shared: compile",
  /// "exclusive: timing", ...: python/kevc_gpu/held.py), summed over the candidate's cases; nil when not reported.
  public var lockHeld: [String: Double]?
  /// Triton: JIT compiles by the lock mode they ran under ("none": compiled ahead, before any lock).
  public var compiles: [String: Int]?
  /// Triton: why the checks ran a second time with the device to itself (an out-of-memory error while other
  /// workers' checks held memory), or nil.
  public var retriedAlone: String?
  /// The spread of the candidate's time: the interquartile range of its samples, in seconds.
  public var timeIQR: Double?
  /// The baseline's median and IQR measured beside the candidate (paired, interleaved), when asked for.
  public var pairedBaseline: Double?
  public var pairedBaselineIQR: Double?
  /// Triton: the timed calls taken, and why they stopped before the count asked for ("ci": the median was tight;
  /// "slower": clearly slower than the best so far), or nil.
  public var timingCalls: Int?
  public var timingStopped: String?
  /// CPU: trials whose reference came from the reference cache, and the seed of the fresh trial a candidate about
  /// to become the best got (its reference interpreted, never cached).
  public var cachedReferences: Int?
  public var freshTrial: String?
  /// Triton: the device the candidate ran on (a warm worker's device: index, name, UUID), or nil when not reported.
  public var device: EvaluationDevice?

  public init(
    status: EvaluationStatus, error: String? = nil, maxAbsError: Double? = nil, maxRelError: Double? = nil,
    times: [Double] = [], medianTime: Double? = nil, checkedShapes: [String] = [], seconds: Double = 0
  ) {
    self.status = status
    self.error = error
    self.maxAbsError = maxAbsError
    self.maxRelError = maxRelError
    self.times = times
    self.medianTime = medianTime
    self.checkedShapes = checkedShapes
    self.seconds = seconds
  }
}

public enum WorkerEvaluation {
  /// Evaluates one request in this process. Never throws: every failure becomes a classified result.
  public static func evaluate(_ request: WorkerRequest) -> WorkerResult {
    let clock = ContinuousClock()
    let start = clock.now
    var result = run(request)
    let elapsed = (clock.now - start).components
    result.seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
    return result
  }

  static func describe(_ e: DiagnosticError) -> String {
    e.diagnostics.map { "\($0.message) [\($0.id)]" }.joined(separator: "; ")
  }

  /// Where a CPU worker's time goes (its worker_report's `phase_seconds`, as the GPU harness reports them):
  /// seconds per phase, each phase ending when the next starts.
  final class Phases {
    let clock = ContinuousClock()
    var current = "compile"
    var since: ContinuousClock.Instant
    var seconds: [String: Double] = [:]
    init() { since = clock.now }
    func enter(_ name: String) {
      let d = (clock.now - since).components
      seconds[current, default: 0] += Double(d.seconds) + Double(d.attoseconds) * 1e-18
      current = name
      since = clock.now
    }
    func ended(_ result: WorkerResult) -> WorkerResult {
      enter("done")
      var r = result
      r.phaseSeconds = seconds.mapValues { ($0 * 1000).rounded() / 1000 }
      return r
    }
  }

  static func run(_ request: WorkerRequest) -> WorkerResult {
    if let target = request.target.flatMap(CompileTarget.init(rawValue:)), let stage = target.harnessStage {
      return runGPU(request, target: target, stage: stage)
    }
    let phases = Phases()
    return phases.ended(runLLVM(request, phases))
  }

  static func runLLVM(_ request: WorkerRequest, _ phases: Phases) -> WorkerResult {
    let source = SourceFile(path: request.specPath, text: request.specText)
    let kind = InputKind(rawValue: request.kind) ?? .spec
    // The kernel as written, to find the default and odd shapes and the work at the workload shape.
    let front: Kernel
    let bound: Kernel
    do {
      front = try Compiler.compile(CompileRequest(source: source, kind: kind, stages: [.ir], matmulPrecision: request.matmulPrecision)).kernel
      bound = try front.binding(request.shape, location: .unknown)
    } catch {
      return WorkerResult(status: .compileError, error: "front end: \(describe(error))")
    }
    // The trace must apply at the workload shape; the search checked this already, so failing here is illegal.
    do {
      _ = try request.trace.apply(to: bound)
    } catch {
      return WorkerResult(status: .illegal, error: error.description)
    }

    var checks: [[String: Int]] = []
    let workloadShape = request.shape
    if WorkloadCost(bound).work <= request.checkWorkLimit {
      checks.append(workloadShape)
    } else {
      checks.append([:])  // the spec's own dims line
    }
    if let odd = oddShape(of: front, bound: bound) { checks.append(odd) }

    var result = WorkerResult(status: .ok, maxAbsError: 0, maxRelError: 0)
    var timedModule: (Kernel, LLVMCompiledModule)?
    for shape in checks {
      phases.enter("compile")
      let compiled: CompileResult
      do {
        compiled = try Compiler.compile(
          CompileRequest(source: source, kind: kind, shapeOverrides: shape, stages: [.llvm], schedule: request.trace, matmulPrecision: request.matmulPrecision))
      } catch {
        let illegal = error.diagnostics.contains { TransformError.isIllegalStep($0.id) }
        return WorkerResult(
          status: illegal ? .illegal : .compileError, error: "at \(label(shape, front)): \(describe(error))",
          checkedShapes: result.checkedShapes)
      }
      guard let kernel = compiled.boundKernel, let module = compiled.module else {
        return WorkerResult(status: .compileError, error: "no module", checkedShapes: result.checkedShapes)
      }
      if let fault = request.fault { misbehave(fault) }
      do {
        let jit = try module.jit()
        phases.enter("check \(shape == workloadShape ? "workload" : "odd") shape")
        var checkOptions = KernelCheck.Options(trials: max(1, request.trials), seed: request.seed, timingIterations: 0)
        if let dir = request.referenceCache {
          let spec = try front.binding(shape, location: .unknown)
          checkOptions.references = (ReferenceCache(directory: dir), spec, StructuralHash.of(spec))
        }
        let report = try KernelCheck.run(kernel, jit: jit, options: checkOptions)
        if request.referenceCache != nil { result.cachedReferences = (result.cachedReferences ?? 0) + report.cachedReferences }
        result.checkedShapes.append(label(shape, front))
        result.maxAbsError = max(result.maxAbsError ?? 0, report.worstAbsoluteError)
        result.maxRelError = max(result.maxRelError ?? 0, report.worstRelativeError)
        if !report.passed {
          let failing = report.trials.first { !$0.passed }
          let reasons = failing.map { t in
            t.comparisons.filter { !$0.comparison.passed }.map { "\($0.name): \($0.comparison.reason)" }
              + (t.clobberedInputs.isEmpty ? [] : ["inputs written: " + t.clobberedInputs.joined(separator: ", ")])
          } ?? []
          let text = reasons.joined(separator: "; ")
          let nan = text.contains(" is nan") || text.contains(" is -nan") || text.contains(" is inf")
            || text.contains(" is -inf")
          result.status = nan ? .nan : .wrong
          result.error = "at \(label(shape, front)): \(text)"
          return result
        }
      } catch {
        return WorkerResult(status: .crash, error: describe(error), checkedShapes: result.checkedShapes)
      }
      if shape == workloadShape { timedModule = (kernel, module) }
    }

    // Time at the workload shape.
    phases.enter("compile")
    do {
      if timedModule == nil {
        let compiled = try Compiler.compile(
          CompileRequest(
            source: source, kind: kind, shapeOverrides: workloadShape, stages: [.llvm], schedule: request.trace, matmulPrecision: request.matmulPrecision))
        if let k = compiled.boundKernel, let m = compiled.module { timedModule = (k, m) }
      }
      guard let (kernel, module) = timedModule else {
        return WorkerResult(status: .compileError, error: "no module at the workload shape")
      }
      let need = KernelCheck.memoryNeeded(kernel, workspace: module.workspaceSize) ?? Int.max
      if let cap = request.memoryLimit, cap > 0, need > cap / 2 {
        return WorkerResult(
          status: .crash,
          error: "out of memory: running at the workload shape needs about \(need >> 20) MiB (inputs, results, "
            + "their copies and \(module.workspaceSize >> 20) MiB of workspace); the worker's cap is \(cap >> 20) MiB "
            + "(kevc search --worker-memory)")
      }
      let jit = try module.jit()
      // The baseline, compiled before the lock is taken: timed beside the candidate, repeat by repeat.
      var baseline: (jit: JITKernel, buffers: [[UInt8]])?
      if let trace = request.baselineTrace, trace != request.trace {
        let compiled = try Compiler.compile(
          CompileRequest(source: source, kind: kind, shapeOverrides: workloadShape, stages: [.llvm], schedule: trace, matmulPrecision: request.matmulPrecision))
        if let k = compiled.boundKernel, let m = compiled.module { baseline = (try m.jit(), try argumentBuffers(k)) }
      }
      phases.enter("waiting for the timing lock")
      let lock = TimingLock(path: request.timingLock, waitMarker: request.waitMarker)
      defer { lock.release() }
      phases.enter("timing")
      let once = try KernelCheck.run(
        kernel, jit: jit, options: KernelCheck.Options(trials: 0, timingIterations: 1, timingRepeats: 1))
      let single = max(once.secondsPerCall ?? 1e-3, 1e-9)
      let iterations = Int(min(100_000, max(1, request.secondsPerRepeat / single)))
      var buffers = try argumentBuffers(kernel)
      var samples: [Double] = []
      // Adaptive, by the GPU harness's rule (docs/gpu-harness.md): once 3 repeats are in and the fastest is more
      // than twice the best median so far, the candidate cannot become the best and its repeats stop ("slower").
      func clearlySlower() -> Bool {
        guard let best = request.incumbentSeconds, best > 0, samples.count >= 3, let fastest = samples.min() else {
          return false
        }
        return fastest > 2 * best
      }
      if var b = baseline {
        // Paired and interleaved: the baseline, timed again beside every candidate, runs in every other repeat
        // (which of the two goes first alternates), so drift (clocks, other load) hits both alike; it runs as many
        // calls per repeat as it needs for its own repeat length.
        let bOnce = try b.jit.time(&b.buffers, iterations: 1, repeats: 1)[0]
        let bIterations = Int(min(100_000, max(1, request.secondsPerRepeat / max(bOnce, 1e-9))))
        var baselineSamples: [Double] = []
        for r in 0..<max(1, request.repeats) {
          let withBaseline = r % 2 == 0
          let baselineFirst = (r / 2) % 2 == 1
          if withBaseline && baselineFirst {
            baselineSamples += try b.jit.time(&b.buffers, iterations: bIterations, repeats: 1)
          }
          samples += try jit.time(&buffers, iterations: iterations, repeats: 1)
          if withBaseline && !baselineFirst {
            baselineSamples += try b.jit.time(&b.buffers, iterations: bIterations, repeats: 1)
          }
          if clearlySlower() {
            result.timingStopped = "slower"
            break
          }
        }
        result.pairedBaseline = Self.median(baselineSamples)
        result.pairedBaselineIQR = Self.iqr(baselineSamples)
      } else {
        for _ in 0..<max(1, request.repeats) {
          samples += try jit.time(&buffers, iterations: iterations, repeats: 1)
          if clearlySlower() {
            result.timingStopped = "slower"
            break
          }
        }
      }
      result.timingCalls = samples.count
      result.times = samples
      result.medianTime = Self.median(samples)
      result.timeIQR = Self.iqr(samples)
      lock.release()
      // About to become the best with references shared by an epoch of candidates: one more trial on a fresh
      // random seed, its reference interpreted and never cached (no kernel can fit a fixed set of inputs).
      if let best = request.freshIfFasterThan, let median = result.medianTime, median < best {
        phases.enter("fresh trial")
        var seed: UInt64 = 0
        arc4random_buf(&seed, MemoryLayout<UInt64>.size)
        let distribution = InputDistribution.allCases[Int(seed % UInt64(InputDistribution.allCases.count))]
        let inputs = RandomInputs.generate(for: kernel, seed: seed, distribution: distribution)
        let (comparisons, clobbered) = try KernelCheck.check(kernel, jit: jit, inputs: inputs)
        result.freshTrial = "seed \(seed) (\(distribution))"
        let failed = comparisons.filter { !$0.comparison.passed }.map { "\($0.name): \($0.comparison.reason)" }
          + (clobbered.isEmpty ? [] : ["inputs written: " + clobbered.joined(separator: ", ")])
        if !failed.isEmpty {
          let text = failed.joined(separator: "; ")
          let nan = text.contains(" is nan") || text.contains(" is -nan") || text.contains(" is inf")
            || text.contains(" is -inf")
          result.status = nan ? .nan : .wrong
          result.error = "fresh trial (seed \(seed), \(distribution)): \(text)"
        }
      }
    } catch {
      return WorkerResult(status: .compileError, error: "timing: \(describe(error))", checkedShapes: result.checkedShapes)
    }
    return result
  }

  /// The median of samples (the upper middle one of an even count, as the search always took it).
  static func median(_ samples: [Double]) -> Double? {
    samples.isEmpty ? nil : samples.sorted()[samples.count / 2]
  }

  /// The interquartile range (linear interpolation between order statistics, as the GPU harness computes it).
  public static func iqr(_ samples: [Double]) -> Double? {
    guard !samples.isEmpty else { return nil }
    let s = samples.sorted()
    func q(_ p: Double) -> Double {
      let k = p * Double(s.count - 1)
      let i = Int(k.rounded(.down))
      let j = min(i + 1, s.count - 1)
      return s[i] + (s[j] - s[i]) * (k - Double(i))
    }
    return q(0.75) - q(0.25)
  }

  /// Random (normal) inputs and zeroed results of the right sizes, for timing.
  static func argumentBuffers(_ kernel: Kernel) throws(DiagnosticError) -> [[UInt8]] {
    let inputs = RandomInputs.generate(for: kernel, seed: 7, distribution: .normal)
    var buffers: [[UInt8]] = []
    for p in kernel.params {
      guard let v = inputs[p.name] else {
        throw DiagnosticError(.error(DiagnosticID("search", "missing-input"), "no input for '\(p.name)'", at: .unknown))
      }
      buffers.append(v.bytes())
    }
    let dims = kernel.dimBindings
    for r in kernel.results {
      let count = r.shape.reduce(1) { $0 &* max(0, $1.evaluate(dims) ?? 1) }
      buffers.append([UInt8](repeating: 0, count: max(0, count &* r.dtype.byteSize)))
    }
    return buffers
  }

  /// The spec's default shape with every dim made odd and about halved (tails and masks get exercised), when it binds.
  static func oddShape(of kernel: Kernel, bound: Kernel) -> [String: Int]? {
    var shape: [String: Int] = [:]
    for d in kernel.dims {
      guard let v = d.value else { return nil }
      shape[d.name] = max(1, (v / 2) | 1)
    }
    guard (try? kernel.binding(shape, location: .unknown)) != nil else { return nil }
    return shape
  }

  static func label(_ shape: [String: Int], _ kernel: Kernel) -> String {
    guard let k = try? kernel.binding(shape, location: .unknown) else { return "?" }
    return shapeKey(k)
  }

  static func misbehave(_ fault: String) {
    switch fault {
    case "crash": kill(getpid(), SIGSEGV)
    case "hang": while true { sleep(1) }
    case "garbage":
      FileHandle.standardOutput.write(Data("\u{0}\u{7f}not json at all {{{".utf8))
      exit(0)
    case "harness_error":
      let r = WorkerResult(status: .harnessError, error: "harness_error: out of memory in the float64 reference (injected)")
      if let data = try? JSONEncoder().encode(r) { FileHandle.standardOutput.write(data) }
      exit(0)
    default: break
    }
  }

  /// The testing hook's slow candidate (`WorkerRequest.fault` "slow", "slow_wrong"): the module's `launch` wrapped
  /// to sleep 0.5 s per call and, when `wrong`, to add 1 to every result after the call.
  static func slowModule(_ module: String, wrong: Bool) -> String {
    module + """

      _kevc_fault_launch = launch


      def launch(**kwargs):
          import time as _time
          _time.sleep(0.5)
          _kevc_fault_launch(**kwargs)
          for _r in (KEVC.get("results") or []) if \(wrong ? "True" : "False") else []:
              kwargs[_r["name"]].add_(1)

      """
  }

  /// The reference plan of one case (`EvaluationFootprint.planJSON`) at `shape` under the evaluation's device
  /// memory; nil without a budget (the reference whole) or when the shape does not bind (its compile says why).
  static func footprint(_ kernel: Kernel, _ shape: [String: Int], budget: Int?) -> String? {
    guard let budget, let bound = try? kernel.binding(shape, location: .unknown) else { return nil }
    return EvaluationFootprint.of(bound).planJSON(budget: budget)
  }

  /// A GPU candidate: the target's harness module (Triton, HIP compiled as CUDA, CuTe DSL) and the torch float64
  /// reference at the workload shape (timed and checked)
  /// and at the spec's default shape (checked), both through the GPU harness in one call; the harness runs
  /// each case in its own worker process with a timeout and classifies it. The timing lock is held for the whole
  /// call: the GPU is one shared device.
  static func runGPU(_ request: WorkerRequest, target: CompileTarget, stage: Stage) -> WorkerResult {
    let source = SourceFile(path: request.specPath, text: request.specText)
    let kind = InputKind(rawValue: request.kind) ?? .spec
    let front: Kernel
    do {
      front = try Compiler.compile(CompileRequest(source: source, kind: kind, stages: [.ir], matmulPrecision: request.matmulPrecision)).kernel
      _ = try request.trace.apply(to: try front.binding(request.shape, location: .unknown))
    } catch let error as DiagnosticError {
      return WorkerResult(status: .illegal, error: describe(error))
    } catch {
      return WorkerResult(status: .illegal, error: "\(error)")
    }
    // The spec's default shape is small and odd by the corpus's rules (docs: CONTRIBUTING.md), so two cases cover
    // tails and the real size; both run in one Python worker (one start-up per candidate, not per case).
    let shapes: [[String: Int]] = [request.shape, [:]]
    var cases: [GPUHarness.Case] = []
    var labels: [String] = []
    for shape in shapes {
      let label = label(shape, front)
      if labels.contains(label) { continue }
      do {
        var compileRequest = CompileRequest(
          source: source, kind: kind, shapeOverrides: shape, stages: [.torchRef, stage], schedule: request.trace, matmulPrecision: request.matmulPrecision)
        compileRequest.target = target
        let compiled = try Compiler.compile(compileRequest)
        guard let k = compiled.artifacts[stage], let r = compiled.artifacts[.torchRef] else {
          return WorkerResult(status: .compileError, error: "at \(label): no \(stage.rawValue) or torch-ref module")
        }
        cases.append(
          GPUHarness.Case(
            kernelModule: String(decoding: k, as: UTF8.self), referenceModule: String(decoding: r, as: UTF8.self),
            label: label, footprint: footprint(front, shape, budget: request.deviceMemory)))
        labels.append(label)
      } catch {
        let illegal = error.diagnostics.contains { TransformError.isIllegalStep($0.id) }
        return WorkerResult(status: illegal ? .illegal : .compileError, error: "at \(label): \(describe(error))")
      }
    }
    // The baseline (default schedule) at the workload shape, timed beside the candidate by the harness.
    var baselineModule: String?
    if let trace = request.baselineTrace, trace != request.trace {
      var compileRequest = CompileRequest(
        source: source, kind: kind, shapeOverrides: request.shape, stages: [stage], schedule: trace, matmulPrecision: request.matmulPrecision)
      compileRequest.target = target
      if let k = (try? Compiler.compile(compileRequest))?.artifacts[stage] { baselineModule = String(decoding: k, as: UTF8.self) }
    }
    if let fault = request.fault {
      misbehave(fault)
      if fault.hasPrefix("slow"), !cases.isEmpty {
        cases[0].kernelModule = slowModule(cases[0].kernelModule, wrong: fault == "slow_wrong")
      }
    }
    // No timing lock here: the harness takes the device lock itself, shared for its checks and exclusive for its
    // timing, so concurrent candidates import, compile and check while one is timed.
    let outcome: GPUHarness.Outcome
    do {
      outcome = try GPUHarness.run(
        cases: cases, kernelName: front.name,
        options: GPUHarness.Options(
          trials: max(1, request.trials), timingCalls: max(10, request.repeats * 10),
          timeout: request.caseTimeout ?? 60, seed: request.seed, eagerCalls: 0,
          deviceLock: request.timingLock.map { $0 + ".gpu" }, oneWorker: true,
          // Every other worker waits while one is timed: a mutant 1000x slower than the best gets a few calls
          // (enough to lose), not the full count.
          timingSeconds: 2, waitMarker: request.waitMarker,
          reuseReferences: request.reuseReferences ?? false, freshIfFasterThan: request.freshIfFasterThan,
          server: request.harnessServer, baselineModule: baselineModule,
          // Adaptive timing: stop once the median is known to +-2% (95% confidence), or once clearly slower.
          timingCI: 0.02, incumbentSeconds: request.incumbentSeconds, race: request.race ?? false))
    } catch {
      return WorkerResult(status: .crash, error: describe(error), checkedShapes: [])
    }
    return tritonResult(outcome.json, labels: labels)
  }

  /// The harness's JSON summary as a worker result: its status mapped onto the search's (flagged candidates are
  /// not trusted: they count as wrong, with the flag as the reason), the worst errors, the timing and the floor.
  public static func tritonResult(_ json: String, labels: [String]) -> WorkerResult {
    guard let o = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
      return WorkerResult(status: .crash, error: "the GPU harness printed no JSON")
    }
    let number = GPUHarness.number
    let reason = o["reason"] as? String
    let status: EvaluationStatus
    switch o["status"] as? String ?? "error" {
    case "ok": status = .ok
    case "flagged": status = .wrong
    case "wrong": status = .wrong
    case "nan": status = .nan
    case "compile_error": status = .compileError
    case "timeout": status = .timeout
    case "crash": status = .crash
    case "harness_error", "error": status = .harnessError
    case "slower_unchecked": status = .slowerUnchecked  // timed, not checked: never ok (racing)
    default: status = .crash
    }
    var result = WorkerResult(
      status: status, error: status == .ok ? nil : "\(o["status"] as? String ?? "error"): \(reason ?? "")",
      maxAbsError: 0, maxRelError: 0, checkedShapes: labels)
    for c in o["cases"] as? [[String: Any]] ?? [] {
      for t in c["trials"] as? [[String: Any]] ?? [] {
        for (_, r) in t["results"] as? [String: [String: Any]] ?? [:] {
          if let a = number(r["max_abs"]) { result.maxAbsError = max(result.maxAbsError ?? 0, a) }
          if let b = number(r["max_rel"]) { result.maxRelError = max(result.maxRelError ?? 0, b) }
        }
      }
    }
    if let t = o["timing"] as? [String: Any], let m = number(t["median_s"]) {
      result.medianTime = m
      result.times = [m]
      result.timeIQR = number(t["iqr_s"])
      result.timingCalls = number(t["calls"]).map { Int($0) }
      result.timingStopped = t["stopped"] as? String
    }
    if let b = o["baseline_timing"] as? [String: Any], let m = number(b["median_s"]) {
      result.pairedBaseline = m
      result.pairedBaselineIQR = number(b["iqr_s"])
    }
    if let r = o["roofline"] as? [String: Any] { result.floorSeconds = number(r["floor_s"]) }
    for c in o["cases"] as? [[String: Any]] ?? [] {
      for (phase, seconds) in c["phase_seconds"] as? [String: Any] ?? [:] {
        if let s = number(seconds) { result.phaseSeconds[phase, default: 0] += s }
      }
      if let why = c["retried_alone"] as? String { result.retriedAlone = why }
      if let held = c["lock_held"] as? [String: Any] {
        var sum = result.lockHeld ?? [:]
        for (key, seconds) in held { if let s = number(seconds) { sum[key, default: 0] += s } }
        result.lockHeld = sum
      }
      if result.device == nil, let w = (c["worker"] as? [String: Any])?["warm"] as? [String: Any],
        let index = number(w["device"])
      {
        result.device = EvaluationDevice(
          index: Int(index), name: w["device_name"] as? String, uuid: w["device_uuid"] as? String)
      }
      if let compiles = c["compiles"] as? [String: Any] {
        var sum = result.compiles ?? [:]
        for (mode, count) in compiles { if let n = number(count) { sum[mode, default: 0] += Int(n) } }
        result.compiles = sum
      }
    }
    if status == .ok, result.medianTime == nil {
      result.status = .crash
      result.error = "the GPU harness reported no timing"
    }
    return result
  }
}

/// The machine-wide timing lock (flock on a file): concurrent workers compile and check in parallel, but only the
/// holder times (or, on a GPU, uses the device). Taken on creation; no path means no lock. While it waits, the
/// worker's wait marker exists, so that the pool does not count the wait against the worker's timeout.
final class TimingLock {
  private var descriptor: Int32

  init(path: String?, waitMarker: String? = nil) {
    descriptor = path.map { open($0, O_CREAT | O_RDWR, 0o644) } ?? -1
    guard descriptor >= 0 else { return }
    if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return }
    if let waitMarker { close(open(waitMarker, O_CREAT | O_WRONLY, 0o644)) }
    flock(descriptor, LOCK_EX)
    if let waitMarker { unlink(waitMarker) }
  }

  /// Lets go of the lock; a second call does nothing.
  func release() {
    guard descriptor >= 0 else { return }
    flock(descriptor, LOCK_UN)
    close(descriptor)
    descriptor = -1
  }
}
