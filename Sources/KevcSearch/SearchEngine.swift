/// The evolutionary search over traces of IR transforms.
///
/// Nodes of the search graph are candidates (workload, target, trace) identified by the structural hash of the IR
/// their trace produces; edges are the edits that produced a child from its parent. Every step:
/// 1. pick an island (round robin) and a parent by tournament among the island's fittest correct candidates
///    (elitism: the fittest always stay; now and then the parent comes from the global elite: migration);
///    an island with nothing yet starts from a root: the default schedule, the empty trace or a random trace, and
///    restarts from the next kind of root when it stops improving; on block-level targets the sketches
///    (`GPUSketch`) are roots too, evaluated after the default and the seed traces;
/// 2. ask a proposer (weighted draw, each weight scaled by how often its children beat their parents: a bandit
///    over proposer kinds) for traces; parse, apply and verify each; record illegal ones with their reason, drop
///    those whose canonical IR is already known (`CanonicalSchedule`), store the new ones as candidates;
/// 3. evaluate candidates in worker processes, `jobs` at a time, and record each result at once; on block-level
///    targets roots come first, then of a pool of proposals the one the cost model (`ScheduleCostModel`, fitted
///    online on this workload's measurements) ranks fastest; on every target a proposal the analytic estimate
///    puts past the pruning factor is not measured (`prune`).
/// Fitness: correct candidates only, by median time (speedup over the default schedule; fraction of the roofline
/// floor). All randomness comes from the seed and the number of evaluations already recorded, so a run is
/// reproducible and a resumed run does not replay the same draws. Everything lives in the database: a run killed at
/// any moment resumes from it, evaluating only candidates that have no result yet.
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcLowering
import KevcTransforms
import KevcTriton

public struct SearchOptions: Sendable {
  /// Total evaluations of this workload on this target (earlier runs count).
  public var budget: Int = 100
  public var timeLimit: Double?
  /// Stop after this many evaluations without a 1% improvement of the best time.
  public var plateau: Int?
  /// Stop once the best candidate reaches this fraction of the roofline floor.
  public var targetFraction: Double?
  /// Stop once the evaluations of this workload on this target (earlier runs count) have used this many seconds
  /// of the device (`EvaluationRecord.deviceSeconds`); evaluations in flight then finish.
  public var deviceTime: Double?
  public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
  public var seed: UInt64 = 1
  public var islands: Int = 4
  public var populationPerIsland: Int = 8
  public var tournamentSize: Int = 3
  public var migrationRate: Double = 0.1
  /// Evaluations of an island without improvement before it restarts from a new root.
  public var restartAfter: Int = 25
  public var evalTimeout: Double = 120
  /// Bytes of address space each worker may use (RLIMIT_AS, set by the worker on itself); 0: no cap. Default:
  /// `WorkerPool.defaultMemoryLimit` (half the machine's memory, at least 4 GiB).
  public var workerMemory: Int = WorkerPool.defaultMemoryLimit
  public var trials: Int = 3
  public var checkWorkLimit: Double = 4e6
  public var secondsPerRepeat: Double = 0.02
  public var repeats: Int = 7
  /// Measure bandwidth and peak when the target has none recorded (llvm; the GPU harness measures its own).
  public var measureMachine: Bool = true
  /// What candidates are compiled for and run on: "llvm" (the host CPU), or "triton", "hip" or "cute" (the first CUDA GPU).
  public var target: String = "llvm"
  /// Triton: seconds the GPU harness allows each case of a candidate.
  public var caseTimeout: Double = 60
  /// Triton: bytes of device memory the evaluations in flight may hold together (`--device-memory`); nil: the
  /// harness's device query (`python3 -m kevc_gpu devices`: the smallest card's memory less 10%, at least 1 GiB
  /// less), or admission by count only when the query fails.
  public var deviceMemory: Int?
  /// Triton: candidates per reference epoch. The candidates of an epoch share their trial seeds, so the harness
  /// computes each float64 reference once and reuses it (python/kevc_gpu/references.py); every `referenceEpoch`
  /// launches a fresh base seed is drawn, and a candidate timed faster than the best so far gets one more trial
  /// on a fresh seed. 0: a fresh seed per candidate, nothing reused.
  public var referenceEpoch: Int = 16
  /// GPU targets: check every candidate before timing it (`--check-every-candidate`). False (the default): racing
  /// (docs/search.md, "Racing"): once there is a best, a candidate other than the default and the seed traces is
  /// timed first and, when clearly slower than the best (median over the harness's slower factor, 2x, times it),
  /// recorded `slower_unchecked` without its checks; every other candidate gets the full protocol.
  public var checkEveryCandidate: Bool = false
  /// Triton: evaluate in the warm workers of a harness server (`HarnessServer`: persistent processes, a pool per
  /// visible device) instead of a new Python process per candidate.
  public var warmWorkers: Bool = true
  /// Triton: the socket of a warm-worker server already running (`python3 -m kevc_gpu serve`, started by whoever
  /// runs many searches, e.g. bench/kernelbench/run.py): candidates go to it and the search starts no server of its
  /// own (its workers' torch, Triton and CUDA start-up is paid once for every search that shares it). A candidate
  /// whose client finds no server there evaluates in its own process, as with `--cold-workers`.
  public var harnessServer: String?
  /// Triton: `ray://HOST:PORT` runs every evaluation as a Ray task (`num_gpus=1`) on that cluster through the
  /// harness server; the search and the database stay here.
  public var executor: String?
  public var workerExecutable: URL
  public var workerArguments: [String] = ["worker"]
  /// Proposals asked of a proposer per call.
  public var proposalsPerCall: Int = 2
  /// Every target: a proposal (never a root) whose analytic time (`ScheduleCost.estimate`) is more than this
  /// many times the best candidate's analytic time is pruned, not measured (docs/search.md, "Cost model"). nil: off.
  public var pruneFactor: Double? = 20
  /// `pruneFactor` from `kevc search --prune-factor F`: a positive finite factor, else nil (0 turns pruning off).
  public static func pruneFactor(flag: Double) -> Double? { flag > 0 && flag.isFinite ? flag : nil }
  /// Traces the user starts from (hand-written schedules, winners of other searches): each is checked like any
  /// proposal and, when legal and new, becomes a root evaluated right after the default schedule (proposer
  /// `seed:NAME`), on islands 1, 2, ... in turn. Evolution breeds from them like from any other candidate.
  public var seedTraces: [(name: String, trace: Trace)] = []
  /// Testing hook: the worker of candidate N misbehaves as `WorkerRequest.fault` says, on every evaluation of it.
  public var faults: [Int: String] = [:]
  /// Testing hook: the same, in the confirmation's evaluations of candidate N only.
  public var confirmationFaults: [Int: String] = [:]
  /// The confirmation phase (`Confirmation.swift`): when the search stops (not when interrupted), its top `confirm`
  /// candidates by fitness and the default schedule are evaluated again one at a time in `confirmRounds` rotating
  /// rounds, and the one with the lowest median is the confirmed best. 0: off (this library's default, so that
  /// tests stay fast; `kevc search --confirm` defaults to `defaultConfirm`).
  public var confirm: Int = 0
  public var confirmRounds: Int = 3
  public static let defaultConfirm = 4
  /// The share of `timeLimit` kept for the confirmation when it is on: proposals stop once what is left of the
  /// limit is the confirmation's estimated time (`SearchEngine.confirmationEstimate`), kept between these shares.
  public static let confirmationShare = (least: 0.2, most: 0.5)

  public init(workerExecutable: URL) { self.workerExecutable = workerExecutable }
}

/// The kernel to tune.
public struct SearchInput: Sendable {
  public var specPath: String
  public var specText: String
  public var kind: InputKind
  /// `--shape` overrides; the rest of the dims come from the spec's dims line.
  public var shape: [String: Int]
  /// `--matmul-precision`: the accuracy contract of the spec's f32 contractions, overriding its line; nil keeps
  /// the spec's. Part of the workload's identity (the kernel's IR carries it).
  public var matmulPrecision: MatmulPrecision?
  public init(
    specPath: String, specText: String, kind: InputKind, shape: [String: Int], matmulPrecision: MatmulPrecision? = nil
  ) {
    self.matmulPrecision = matmulPrecision
    self.specPath = specPath
    self.specText = specText
    self.kind = kind
    self.shape = shape
  }
}

public enum StopReason: String, Sendable {
  case budget
  case timeLimit = "time limit"
  case plateau
  case targetFraction = "target fraction reached"
  case interrupted
  case exhausted = "no new candidates"
  case deviceTime = "device time"
}

/// Counters for progress displays.
public struct SearchStats: Sendable {
  public var evaluated = 0
  public var evaluatedThisRun = 0
  /// Evaluations that compiled (anything but illegal / compile_error).
  public var compiled = 0
  public var correct = 0
  public var inFlight = 0
  public var budget = 0
  public var bestCandidate: Int?
  public var bestTime: Double?
  public var baselineTime: Double?
  public var bestSpeedup: Double? { bestTime.flatMap { t in baselineTime.map { $0 / t } } }
  public var bestFraction: Double?
  public var elapsed: Double = 0
  /// Seconds of the device the evaluations used, earlier runs included (`EvaluationRecord.deviceSeconds`).
  public var deviceSeconds: Double = 0
  public var proposed = 0
  public var illegal = 0
  public var duplicates = 0
  /// Proposals the cost model pruned in this run (`SearchOptions.pruneFactor`): never measured.
  public var pruned = 0
}

public enum SearchEvent {
  case started(workload: WorkloadRecord, target: TargetRecord, resumed: Int, machine: MachinePeaks?)
  case evaluated(CandidateRecord, EvaluationRecord, SearchStats)
  case message(String)
  case finished(SearchSummary)
}

public struct SearchSummary: Sendable {
  public var workloadID: Int
  public var targetID: Int
  public var stats: SearchStats
  public var stopReason: StopReason
  /// The confirmation of the best (recorded in the database), or nil when it was off, skipped or interrupted.
  public var confirmation: ConfirmationRecord?
}

public final class SearchEngine {
  let db: TuningDatabase
  let input: SearchInput
  var options: SearchOptions
  var proposers: [(any Proposer, Int)]
  let observe: (SearchEvent) -> Void

  // The workload.
  var front: Kernel!
  var bound: Kernel!
  var workload: WorkloadRecord!
  /// This search's claim on its workload and target (`SearchLock.swift`), given back when `run` ends.
  var claim: TuningDatabase.SearchOwner?
  var target: TargetRecord!
  var cost: WorkloadCost!
  var machine: MachinePeaks?
  /// The device memory one evaluation of this workload holds (GPU targets; `EvaluationFootprint`).
  var footprint = EvaluationFootprint()
  /// GPU targets: the device memory one device's evaluations may hold together, and the warm-worker server.
  var deviceBudget: Int?
  var harnessServer: HarnessServer?

  // What is known (mirrors the database).
  var candidates: [Int: CandidateRecord] = [:]
  var evaluations: [Int: EvaluationRecord] = [:]
  var hashes: Set<String> = []
  var traces: [Int: Trace] = [:]
  var scheduledKernels: [Int: Kernel] = [:]
  var pending: [Int] = []
  var failuresByParent: [Int: [String]] = [:]
  var recentRejections: [(trace: String, reason: String)] = []
  var defaultCandidate: Int?
  var baselineTime: Double?
  /// The cost model, fitted online on this workload's measurements (block-level targets), and analytic costs.
  var costModel = ScheduleCostModel()
  var costs: [Int: ScheduleCost] = [:]
  /// Cost-model pruning (`prune`): how many proposals were past the factor, those measured anyway to check the
  /// estimate (every `pruneAuditEvery`-th), and why pruning is off (an audited one measured within 2x of the best).
  var pastPruneFactor = 0
  var pruneAudits: Set<Int> = []
  var pruneOff: String?
  /// Per proposer: children evaluated against a measured parent, and how many were at least 1% faster.
  var proposerOutcomes: [String: (tried: Int, improved: Int)] = [:]

  // Islands.
  var islandFloor: [Int] = []
  var islandBest: [Double] = []
  var islandStale: [Int] = []
  var islandRestarts: [Int] = []
  var nextIsland = 0

  var random: TraceGenerator
  var stats = SearchStats()
  var lastImprovement = 0
  var started: [Int: Double] = [:]
  var seeds: [Int: UInt64] = [:]
  /// Correct, unflagged candidates' ranking times (`fitnessTime`).
  var fitness: [Int: Double] = [:]
  /// Candidates whose evaluation ended in `harness_error` once: evaluated again with nothing else in flight (less
  /// concurrency) before their result is recorded; `aloneRunning` is the one now running so.
  var retryAlone: [Int] = []
  var retriedAlone: Set<Int> = []
  /// Candidates whose last launch raced (`racing`): their evaluation's `checks` is "race".
  var raced: Set<Int> = []
  var aloneRunning: Int?

  public init(
    db: TuningDatabase, input: SearchInput, options: SearchOptions, proposers: [(any Proposer, Int)]? = nil,
    observe: @escaping (SearchEvent) -> Void = { _ in }
  ) {
    self.db = db
    self.input = input
    self.options = options
    self.proposers = proposers ?? defaultProposers(seed: options.seed)
    self.observe = observe
    self.random = TraceGenerator(seed: options.seed)
  }

  // MARK: - Set-up

  /// Lowers the spec, records the workload and target, measures the machine when needed, and loads what earlier
  /// runs recorded.
  func prepare() throws {
    let source = SourceFile(path: input.specPath, text: input.specText)
    front = try Compiler.compile(CompileRequest(source: source, kind: input.kind, stages: [.ir], matmulPrecision: input.matmulPrecision)).kernel
    bound = try front.binding(input.shape, location: SourceLocation(file: "--shape", line: 1, column: 1))
    cost = WorkloadCost(bound)
    workload = try db.workload(
      specHash: specHash(front), specName: front.name, specPath: input.specPath, specText: input.specText,
      shape: shapeKey(bound), dtypes: dtypesJSON(bound))
    guard let host = HostTarget.forKind(options.target) else {
      throw DiagnosticError(
        .error(
          DiagnosticID("search", "no-device"),
          "target '\(options.target)' needs a CUDA GPU (nvidia-smi lists none on this machine)", at: .unknown))
    }
    target = try db.target(host)
    let owner = TuningDatabase.SearchOwner.current()
    try db.claimSearch(workload: workload.id, target: target.id, owner: owner)
    claim = owner
    if let peaks = target.peaks {
      machine = peaks
    } else if options.measureMachine, options.target == "llvm" {
      observe(.message("measuring the machine (bandwidths, caches and arithmetic peak) once for this target"))
      let m = try MachineProbe.measure(cores: target.cores)
      try db.setMachinePeaks(target: target.id, m)
      machine = m
    }

    for c in try db.candidates(workload: workload.id, target: target.id) {
      candidates[c.id] = c
      hashes.insert(c.irHash)
      if c.proposer == "default" { defaultCandidate = c.id }
    }
    for e in try db.evaluations(workload: workload.id, target: target.id) { record(e, fresh: false) }
    pending = candidates.keys.filter { evaluations[$0] == nil }.sorted()
    stats.budget = options.budget

    let n = max(1, options.islands)
    islandFloor = Array(repeating: 0, count: n)
    islandBest = Array(repeating: .infinity, count: n)
    islandStale = Array(repeating: 0, count: n)
    islandRestarts = Array(repeating: 0, count: n)
    for e in evaluations.values.sorted(by: { $0.id < $1.id }) {
      guard let c = candidates[e.candidateID], e.status == .ok, e.flag == nil, let t = fitnessTime(e) else { continue }
      let i = c.island % n
      if t < islandBest[i] { islandBest[i] = t }
    }
    // Draws depend on the seed and on how far earlier runs got.
    random = TraceGenerator(seed: options.seed ^ (UInt64(stats.evaluated) &* 0x9E37_79B9_7F4A_7C15))
    random.target(options.target)
    for i in proposers.indices {
      proposers[i].0 = reseeded(proposers[i].0, offset: UInt64(stats.evaluated))
    }

    // The default schedule is the baseline and the first candidate.
    if defaultCandidate == nil {
      let trace = defaultTrace()
      if case .new(let t, let k, let hash) = validate(.trace(trace), proposer: "default") {
        let id = try insert(trace: t, kernel: k, hash: hash, parent: nil, proposer: "default", transform: nil, island: 0)
        defaultCandidate = id
        pending.insert(id, at: 0)
      }
    }
    var seedPosition = defaultCandidate.flatMap { pending.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
    // The user's seed traces, once per workload and target (a resumed search finds them among its candidates).
    for (i, seed) in options.seedTraces.enumerated() {
      let name = "seed:" + seed.name
      if candidates.values.contains(where: { $0.proposer == name }) { continue }
      switch validate(.trace(seed.trace), proposer: name) {
      case .new(let t, let k, let hash):
        let id = try insert(
          trace: t, kernel: k, hash: hash, parent: nil, proposer: name, transform: nil, island: (i + 1) % n)
        pending.insert(id, at: min(seedPosition, pending.count))
        seedPosition += 1
      case .duplicate(let hash):
        // Which candidate: bench/search/noseeds_check.py takes its evaluation as the seed's (a CPU hand trace
        // the default schedule already is, softmax's).
        let known = candidates.values.filter { $0.irHash == hash }.min { $0.id < $1.id }
        observe(.message("seed trace \(seed.name) gives an IR already known"
          + (known.map { " (candidate #\($0.id), \($0.proposer))" } ?? "") + "; not evaluated again"))
      case .illegal(let reason):
        observe(.message("seed trace \(seed.name) is illegal here: \(reason)"))
      }
    }
    // The sketches (block-level targets): structurally different starting schedules, roots on islands 1, 2, ...
    // in turn, evaluated after the default and the seed traces; evolution breeds from them like from any other
    // candidate. On a known device they are sized to it (its shared memory: deeper pipelines, larger tiles; the
    // default, the baseline, stays portable), so `sketch:default` is the default rules for this device.
    if options.target != "llvm" {
      let device = GPUCapability.device(arch: target.arch) ?? .portable
      for (i, sketch) in DefaultSchedule.gpuSketches(for: bound, capability: device).enumerated() {
        let name = "sketch:" + sketch.name
        if candidates.values.contains(where: { $0.proposer == name }) { continue }
        guard case .new(let t, let k, let hash) = validate(.trace(sketch.trace), proposer: name) else { continue }
        let id = try insert(trace: t, kernel: k, hash: hash, parent: nil, proposer: name, transform: nil, island: i % n)
        pending.insert(id, at: min(seedPosition, pending.count))
        seedPosition += 1
      }
    }
    if let d = defaultCandidate, let i = pending.firstIndex(of: d), i > 0 {
      pending.remove(at: i)
      pending.insert(d, at: 0)
    }
    observe(.started(workload: workload, target: target, resumed: stats.evaluated, machine: machine))
  }

  func reseeded(_ p: any Proposer, offset: UInt64) -> any Proposer {
    let s = options.seed &+ offset &* 0xD1B5_4A32_D192_ED03
    switch p {
    case is ParameterMutation: return ParameterMutation(seed: s &+ 1)
    case is StructuralEdit: return StructuralEdit(seed: s &+ 2)
    case is Crossover: return Crossover(seed: s &+ 3)
    case is RooflineGuided: return RooflineGuided(seed: s &+ 4)
    default: return p
    }
  }

  /// The spec's identity: its IR without dims values (the shape is part of the workload separately).
  public static func specHash(_ kernel: Kernel) -> String {
    var k = kernel
    for i in k.dims.indices {
      k.dims[i].value = nil
      k.dims[i].benchValue = nil
    }
    return StructuralHash.of(k)
  }

  func specHash(_ kernel: Kernel) -> String { Self.specHash(kernel) }

  // MARK: - Running

  /// Runs until a stop rule fires or `shouldStop` returns true (Ctrl-C). The time limit stops new proposals, not the
  /// evaluations in flight: they finish (each within `evalTimeout`) and are recorded, and the default schedule is
  /// evaluated even when the limit is shorter than its evaluation (it is every speedup's baseline). Ctrl-C discards
  /// what is in flight (those candidates stay unevaluated, for the next run).
  public func run(shouldStop: () -> Bool = { false }) throws -> SearchSummary {
    let clock = Date()
    defer {
      if let owner = claim {
        try? db.releaseSearch(workload: workload.id, target: target.id, owner: owner)
        claim = nil
      }
    }
    try prepare()
    let pool = try WorkerPool(
      executable: options.workerExecutable, arguments: options.workerArguments, timeout: options.evalTimeout,
      memoryLimit: options.workerMemory > 0 ? options.workerMemory : nil)
    defer { pool.killAll() }
    if options.target != "llvm" {
      // One budget per device; the server spreads candidates over the devices, so the pool admits up to the sum.
      let devices = GPUHarness.devices() ?? []
      let count = max(1, devices.count)
      deviceBudget = options.deviceMemory ?? GPUHarness.deviceMemoryBudget(totalBytes: devices.map(\.totalBytes))
      pool.memoryBudget = deviceBudget.map { EvaluationFootprint.sum(Array(repeating: $0, count: count)) }
      // The worker checks the workload shape and the spec's default shape one after the other: the evaluation
      // holds the larger of the two (each case's plan is made against the memory admitted here).
      var cases: [Kernel] = [bound]
      if let spec = try? front.binding([:], location: .unknown) { cases.append(spec) }
      footprint = cases.map { EvaluationFootprint.of($0) }.max { $0.total < $1.total } ?? .of(bound)
      let budget = deviceBudget.map { "\($0 >> 20) MiB per device" } ?? "none (admission by count)"
      observe(.message("device memory per evaluation: \(footprint.summary); budget \(budget), \(count) device(s)"))
      if let executor = options.executor {
        harnessServer = HarnessServer(workersPerDevice: 1, executor: executor)
        guard harnessServer != nil else {
          throw DiagnosticError(
            .error(
              DiagnosticID("search", "executor"), "cannot reach the executor '\(executor)' (is Ray installed here?)",
              at: .unknown))
        }
        observe(.message("evaluations run as Ray tasks on \(executor)"))
      } else if let socket = options.harnessServer {
        observe(.message("warm workers of the harness server at \(socket)"))
      } else if options.warmWorkers {
        harnessServer = HarnessServer(workersPerDevice: (max(1, options.jobs) + count - 1) / count)
        observe(.message(harnessServer.map { "warm workers on device(s) \($0.devices)" }
          ?? "no warm-worker server (a new Python worker per candidate)"))
      }
    }
    defer {
      harnessServer?.stop()
      harnessServer = nil
    }
    var generationFailures = 0
    var stop: StopReason?
    // With a confirmation, proposals stop early enough to leave it its estimated time (a share of the limit).
    var reserveAt = -1
    var searchLimit = options.timeLimit
    var draining = false
    var timeUp = false
    var announced = false

    while stop == nil {
      stats.elapsed = Date().timeIntervalSince(clock)
      stats.inFlight = pool.inFlight
      if shouldStop() {
        stop = .interrupted
        break
      }
      if let limit = options.timeLimit, options.confirm > 0, reserveAt != stats.evaluated {
        reserveAt = stats.evaluated
        let share = SearchOptions.confirmationShare
        searchLimit = limit - min(max(confirmationEstimate(), share.least * limit), share.most * limit)
      }
      if let limit = searchLimit, stats.elapsed >= limit { timeUp = true }
      if timeUp, !announced, pool.inFlight > 0 {
        announced = true
        observe(.message("time limit reached: waiting for \(pool.inFlight) evaluation(s) in flight (at most "
          + "\(Int(options.evalTimeout)) s each)"))
      }
      // The default schedule is every speedup's baseline: evaluated even when the time limit is up before it ran.
      // (its harness-error retry included).
      let defaultUnstarted =
        defaultCandidate.map { d in evaluations[d] == nil && (pending.first == d || retryAlone.contains(d)) } ?? false
      if timeUp, pool.inFlight == 0, !defaultUnstarted {
        stop = .timeLimit
        break
      }
      if let f = options.targetFraction, let best = stats.bestFraction, best >= f {
        stop = .targetFraction
        break
      }
      var reason: StopReason?
      if stats.evaluated + pool.inFlight >= options.budget { reason = .budget }
      if let p = options.plateau, stats.evaluated - lastImprovement >= p, stats.evaluated > 0 { reason = .plateau }
      if let d = options.deviceTime, stats.deviceSeconds >= d { reason = .deviceTime }
      if generationFailures >= 3 { reason = .exhausted }
      if timeUp, !defaultUnstarted { reason = .timeLimit }
      if let reason {
        draining = true
        if pool.inFlight == 0 {
          stop = reason
          break
        }
      } else {
        draining = false
      }

      // Dispatch. The baseline (default schedule) runs alone first: every speedup is measured against it.
      var progressed = false
      let waitingForBaseline = baselineTime == nil && defaultCandidate.map { evaluations[$0] == nil } ?? false
      if let id = retryAlone.first {
        // A harness error is retried with less concurrency: alone, once the workers in flight are done.
        if pool.inFlight == 0, !draining {
          retryAlone.removeFirst()
          aloneRunning = id
          try launch(id, pool)
          progressed = true
        }
      }
      while !draining, retryAlone.isEmpty, aloneRunning == nil, pool.inFlight < max(1, options.jobs),
        stats.evaluated + pool.inFlight < options.budget
      {
        if waitingForBaseline, pool.inFlight > 0 { break }
        guard let id = try nextCandidate() else {
          if !proposers.contains(where: { $0.0.isWaiting }) { generationFailures += 1 }
          break
        }
        // Admission by device memory as well as by count: a candidate whose footprint does not fit beside those in
        // flight waits (it is the next one launched: nothing overtakes it).
        if options.target != "llvm", !pool.admits(footprint: footprint.admitted(budget: deviceBudget)) {
          pending.insert(id, at: 0)
          break
        }
        generationFailures = 0
        try launch(id, pool)
        progressed = true
        if waitingForBaseline { break }
      }

      for (id, result) in pool.poll() {
        if id == aloneRunning { aloneRunning = nil }
        try finish(id, result)
        progressed = true
      }
      if !progressed { usleep(5_000) }
    }
    pool.killAll()
    stats.inFlight = 0
    var confirmation: ConfirmationRecord?
    if let reason = stop, reason != .interrupted, options.confirm > 0 {
      switch try confirm(pool, clock: clock, shouldStop: shouldStop) {
      case .skipped(let why): observe(.message("confirmation skipped: \(why)"))
      case .interrupted: stop = .interrupted
      case .recorded(let record):
        confirmation = record
        observe(.message(record.summary))
      }
    }
    stats.elapsed = Date().timeIntervalSince(clock)
    let summary = SearchSummary(
      workloadID: workload.id, targetID: target.id, stats: stats, stopReason: stop ?? .interrupted,
      confirmation: confirmation)
    observe(.finished(summary))
    return summary
  }

  func launch(_ id: Int, _ pool: WorkerPool) throws {
    var seed = options.seed ^ UInt64(truncatingIfNeeded: id &* 7919)
    let reuse = options.referenceEpoch > 0
    if reuse {
      // One base seed per epoch of `referenceEpoch` launches: shared trial seeds, shared references.
      let epoch = UInt64((stats.evaluated + pool.inFlight) / options.referenceEpoch)
      seed = options.seed ^ (epoch &+ 1) &* 0x9E37_79B9_7F4A_7C15
    }
    guard var request = workerRequest(id, seed: seed) else { return }
    if options.target != "llvm" {
      request.freshIfFasterThan = reuse ? stats.bestTime : nil
      request.incumbentSeconds = stats.bestTime
    } else if reuse {
      request.freshIfFasterThan = stats.bestTime
    }
    if options.target == "llvm" { request.incumbentSeconds = stats.bestTime }
    request.race = racing(id, incumbent: request.incumbentSeconds)
    // Timing you can trust: the default schedule is timed again beside every other candidate (paired,
    // interleaved), and the speedup is the ratio of the two times measured together.
    if let d = defaultCandidate, d != id, evaluations[d]?.status == .ok, let base = self.trace(of: d) {
      request.baselineTrace = base
    }
    started[id] = Date().timeIntervalSince1970
    seeds[id] = seed
    if request.race == true { raced.insert(id) } else { raced.remove(id) }
    do {
      try pool.launch(id: id, request: request)
    } catch {
      try finish(id, WorkerResult(status: .crash, error: "cannot start a worker: \(error)"))
    }
  }

  /// Whether candidate `id` is raced (timed first, checked only when not clearly slower than `incumbent`): on a GPU
  /// target, unless `checkEveryCandidate`, with an incumbent, never for the default schedule or a seed trace (the
  /// first evaluations are always checked in full).
  func racing(_ id: Int, incumbent: Double?) -> Bool {
    guard options.target != "llvm", !options.checkEveryCandidate, let t = incumbent, t.isFinite, t > 0,
      id != defaultCandidate, let c = candidates[id], c.proposer != "default", !c.proposer.hasPrefix("seed")
    else { return false }
    return true
  }

  /// The worker request of any evaluation of a candidate (the search's and the confirmation's): the spec at the
  /// workload shape, its trace, the checks and the timing, and the target's harness settings.
  func workerRequest(_ id: Int, seed: UInt64) -> WorkerRequest? {
    guard let trace = trace(of: id) else { return nil }
    var shape: [String: Int] = [:]
    for d in bound.dims { if let v = d.value { shape[d.name] = v } }
    let reuse = options.referenceEpoch > 0
    var request = WorkerRequest(
      specPath: input.specPath, specText: input.specText, kind: input.kind.rawValue, shape: shape, trace: trace,
      trials: options.trials, seed: seed, checkWorkLimit: options.checkWorkLimit,
      secondsPerRepeat: options.secondsPerRepeat, repeats: options.repeats,
      timingLock: FileManager.default.temporaryDirectory.appendingPathComponent("kevc-timing-\(getuid()).lock").path)
    request.target = options.target
    request.matmulPrecision = input.matmulPrecision
    request.caseTimeout = options.caseTimeout
    request.fault = options.faults[id]
    if options.target != "llvm" {
      request.deviceFootprint = footprint.admitted(budget: deviceBudget)
      request.deviceMemory = deviceBudget.map { _ in footprint.admitted(budget: deviceBudget) }
      request.harnessServer = harnessServer?.socket ?? options.harnessServer
      request.reuseReferences = reuse
    } else if reuse {
      // The CPU's float64 references (the interpreter's), once per epoch seed: files shared by the workers.
      request.referenceCache = FileManager.default.temporaryDirectory
        .appendingPathComponent("kevc-references-\(getuid())").path
    }
    return request
  }

  // MARK: - Confirmation

  /// The entrants of a confirmation now: the top `confirm` candidates by fitness and the default schedule.
  func confirmationEntrants() -> [Int] {
    var entrants = Array(ranked().prefix(options.confirm))
    if let d = defaultCandidate, fitness[d] != nil, !entrants.contains(d) { entrants.append(d) }
    return entrants
  }

  /// Seconds one confirmation evaluation of a candidate should take: its search evaluation's worker time, less half
  /// its timing where the default was timed beside it (a confirmation times the candidate alone).
  func confirmationSeconds(_ id: Int) -> Double {
    guard let e = evaluations[id] else { return 0 }
    let seconds = e.workerSeconds ?? 0
    return e.pairedBaseline ? seconds - (e.phaseSeconds["timing"] ?? 0) / 2 : seconds
  }

  /// Seconds the confirmation would take if the search stopped now: every round of every entrant.
  func confirmationEstimate() -> Double {
    let entrants = confirmationEntrants()
    guard entrants.count >= 2 else { return 0 }
    return Double(max(1, options.confirmRounds)) * entrants.reduce(0) { $0 + confirmationSeconds($1) }
  }

  enum ConfirmationOutcome {
    case skipped(String)
    case interrupted
    case recorded(ConfirmationRecord)
  }

  /// The confirmation phase (`Confirmation.swift`, docs/search.md): the top `confirm` candidates by fitness and the
  /// default schedule, each evaluated again through the worker path of any evaluation (compile, check on the
  /// round's fresh seed, time at the workload shape; no paired baseline, no early stop: every entrant gets the same
  /// repeats), one at a time, in `confirmRounds` rounds whose order rotates. With a time limit, a round starts only
  /// when the entrants' last evaluations say it fits in what is left; skipped rounds are recorded in its note.
  func confirm(_ pool: WorkerPool, clock: Date, shouldStop: () -> Bool) throws -> ConfirmationOutcome {
    let entrants = confirmationEntrants()
    guard entrants.count >= 2 else {
      return .skipped("\(entrants.count) correct candidate(s), nothing to compare")
    }
    // A resumed search that measured nothing new keeps the confirmation it has.
    if let known = try db.confirmation(workload: workload.id, target: target.id), known.winner != nil,
      known.lastEvaluationID == (try db.lastEvaluationID())
    {
      return .skipped("nothing measured since confirmation #\(known.id) (confirmed best #\(known.winner ?? 0))")
    }
    let rounds = max(1, options.confirmRounds)
    var entries = entrants.map { ConfirmationRecord.Entry(candidate: $0) }
    var order: [[Int]] = []
    var note: String?
    // Seconds an evaluation of each takes: its search evaluation's at first, then its last round's.
    var cost: [Int: Double] = [:]
    for id in entrants { cost[id] = confirmationSeconds(id) }
    let start = Date()
    observe(.message("confirming the best: " + entrants.map { "#\($0)" }.joined(separator: ", ")
      + " evaluated again one at a time, \(rounds) rotating round(s)"))
    for round in 0..<rounds {
      let planned = ConfirmationRecord.rotation(entrants, round: round).filter { id in
        entries.first { $0.candidate == id }?.failure == nil
      }
      if let limit = options.timeLimit {
        let need = planned.reduce(0) { $0 + (cost[$1] ?? 0) }
        let left = limit - Date().timeIntervalSince(clock)
        if need > left {
          note = "\(rounds - round) of \(rounds) round(s) skipped: "
            + String(format: "%.1f s of the time limit left, a round takes about %.1f s", max(0, left), need)
          break
        }
      }
      // One seed per round: the entrants' checks share it (and its cached references), a fresh one each round.
      let seed = options.seed ^ (UInt64(round) &+ 0xC0_F1A5) &* 0x9E37_79B9_7F4A_7C15
      order.append(planned)
      for id in planned {
        guard let i = entries.firstIndex(where: { $0.candidate == id }), var request = workerRequest(id, seed: seed)
        else { continue }
        request.incumbentSeconds = nil
        request.freshIfFasterThan = nil
        request.baselineTrace = nil
        if let fault = options.confirmationFaults[id] { request.fault = fault }
        do {
          try pool.launch(id: id, request: request)
        } catch {
          entries[i].harnessErrors += 1
          continue
        }
        var result: WorkerResult?
        while result == nil {
          if shouldStop() {
            pool.killAll()
            return .interrupted
          }
          result = pool.poll().first { $0.0 == id }?.1
          if result == nil { usleep(5_000) }
        }
        guard let result else { continue }
        cost[id] = result.seconds
        switch result.status {
        case .ok:
          if let t = result.medianTime { entries[i].times.append(t) } else { entries[i].harnessErrors += 1 }
        case .harnessError, .slowerUnchecked:  // a confirmation never races: slower_unchecked cannot come back
          entries[i].harnessErrors += 1
        case .illegal, .compileError, .wrong, .nan, .timeout, .crash:
          entries[i].failure = "round \(round + 1): \(result.status.rawValue)"
            + (result.error.map { ": " + SearchProgress.clip($0, 200) } ?? "")
          observe(.message("confirmation: #\(id) failed in round \(round + 1) (\(result.status.rawValue)); it cannot be the best"))
        }
      }
    }
    var record = ConfirmationRecord(
      workloadID: workload.id, targetID: target.id, searchedBest: stats.bestCandidate,
      winner: ConfirmationRecord.choose(entries), rounds: rounds, roundsRun: order.count, entries: entries,
      order: order, lastEvaluationID: try db.lastEvaluationID(), note: note,
      seconds: Date().timeIntervalSince(start))
    try db.insertConfirmation(record)
    record = try db.confirmation(workload: workload.id, target: target.id) ?? record
    return .recorded(record)
  }

  func finish(_ id: Int, _ result: WorkerResult) throws {
    if result.status == .harnessError, !retriedAlone.contains(id) {
      retriedAlone.insert(id)
      retryAlone.append(id)
      observe(.message("candidate #\(id): harness error (\(SearchProgress.clip(result.error ?? "", 120))); evaluating it again alone"))
      return
    }
    let times = result.times.isEmpty ? nil : "[" + result.times.map { "\($0)" }.joined(separator: ", ") + "]"
    var e = EvaluationRecord(
      id: 0, candidateID: id, status: result.status, error: result.error, maxAbsError: result.maxAbsError,
      maxRelError: result.maxRelError, medianTime: result.status == .ok ? result.medianTime : nil, times: times,
      baselineTime: nil, speedup: nil, rooflineFraction: nil,
      checkedShapes: result.checkedShapes.isEmpty ? nil : result.checkedShapes.joined(separator: "; "),
      seed: Int(truncatingIfNeeded: seeds[id] ?? 0), workerSeconds: result.seconds,
      startedAt: started[id] ?? Date().timeIntervalSince1970, finishedAt: Date().timeIntervalSince1970,
      checks: raced.contains(id) ? "race" : "every")
    if id == defaultCandidate, e.status == .ok { baselineTime = e.medianTime }
    var flag: String?
    if let t = e.medianTime {
      // The baseline measured beside this candidate when there is one; else the default's own measurement.
      e.baselineTime = result.pairedBaseline ?? baselineTime
      e.speedup = e.baselineTime.map { $0 / t }
      e.rooflineFraction = result.floorSeconds.map { $0 / t } ?? floorPeaks.map { cost.floorSeconds($0) / t }
      if let f = e.rooflineFraction, let why = Self.floorFlag(fraction: f) {
        flag = why
        e.speedup = nil
      }
    }
    e.workerReport = Self.workerReport(result, flag: flag)
    try db.insertEvaluation(e)
    if let stored = try db.evaluation(candidate: id) { e = stored }
    record(e, fresh: true)
    if let c = candidates[id] {
      if e.status != .ok, e.status != .harnessError, e.status != .slowerUnchecked, let p = c.parentID {
        failuresByParent[p, default: []].append("\(e.status.rawValue): \(e.error ?? "")")
      }
      observe(.evaluated(c, e, stats))
    }
  }

  /// Why a time at `fraction` of the roofline floor is not trusted, or nil: above 100% it ran faster than the floor
  /// allows, a measurement or model error, never a speedup.
  public static func floorFlag(fraction: Double) -> String? {
    fraction > 1 ? String(format: "%.0f%% of the roofline floor (faster than the floor allows)", fraction * 100) : nil
  }

  /// The evaluation's worker_report column: the phases the worker timed and why it retried, as sorted JSON; nil when
  /// the worker said neither.
  public static func workerReport(_ result: WorkerResult, flag: String? = nil) -> String? {
    var report: [String: Any] = [:]
    if let iqr = result.timeIQR { report["time_iqr"] = iqr }
    if let b = result.pairedBaseline {
      report["paired_baseline"] = b
      if let iqr = result.pairedBaselineIQR { report["paired_baseline_iqr"] = iqr }
    }
    if let flag { report["flag"] = flag }
    if let n = result.timingCalls { report["timing_calls"] = n }
    if let why = result.timingStopped { report["timing_stopped"] = why }
    if !result.phaseSeconds.isEmpty {
      report["phase_seconds"] = result.phaseSeconds.mapValues { ($0 * 1000).rounded() / 1000 }
    }
    if let why = result.retriedAlone { report["retried_alone"] = why }
    if let held = result.lockHeld, !held.isEmpty {
      report["lock_held"] = held.mapValues { ($0 * 1000).rounded() / 1000 }
    }
    if let compiles = result.compiles, !compiles.isEmpty { report["compiles"] = compiles }
    if let n = result.cachedReferences { report["references_cached"] = n }
    if let fresh = result.freshTrial { report["fresh_trial"] = fresh }
    if let d = result.device {
      var device: [String: Any] = ["index": d.index]
      if let name = d.name { device["name"] = name }
      if let uuid = d.uuid { device["uuid"] = uuid }
      report["device"] = device
    }
    guard !report.isEmpty,
      let data = try? JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .withoutEscapingSlashes])
    else { return nil }
    return String(decoding: data, as: UTF8.self)
  }

  /// The time a correct candidate is ranked by: its median; or, when the default schedule was timed beside it
  /// (paired), the default's own time divided by the paired speedup, so that candidates timed minutes apart on a
  /// machine whose load changes compare by what was measured together (on the loaded 2-core test machine the
  /// default's first time was faster than every candidate's median while each candidate beat the default timed
  /// beside it by 1.2-1.3x). Without a paired measurement, or before the default has a time: the median.
  func fitnessTime(_ e: EvaluationRecord) -> Double? {
    guard let t = e.medianTime else { return nil }
    if e.pairedBaseline, let b = e.baselineTime, b > 0, let b0 = baselineTime { return b0 * t / b }
    return t
  }

  /// Updates counters, the best candidate and the islands with one evaluation.
  func record(_ e: EvaluationRecord, fresh: Bool) {
    evaluations[e.candidateID] = e
    if e.status == .ok, e.flag == nil, let f = fitnessTime(e) { fitness[e.candidateID] = f }
    if let c = candidates[e.candidateID], let parent = c.parentID, let p = fitness[parent] {
      let improved = e.status == .ok && (fitness[e.candidateID].map { $0 < p * 0.99 } ?? false)
      let o = proposerOutcomes[c.proposer] ?? (0, 0)
      proposerOutcomes[c.proposer] = (o.tried + 1, o.improved + (improved ? 1 : 0))
    }
    stats.evaluated += 1
    stats.deviceSeconds += e.deviceSeconds
    if fresh { stats.evaluatedThisRun += 1 }
    if e.status != .illegal && e.status != .compileError { stats.compiled += 1 }
    if e.candidateID == defaultCandidate, e.status == .ok { baselineTime = e.medianTime }
    stats.baselineTime = baselineTime ?? e.baselineTime ?? stats.baselineTime
    guard e.status == .ok, let measured = e.medianTime, e.flag == nil, let t = fitness[e.candidateID] else {
      if fresh { island(of: e.candidateID, improved: false) }
      return
    }
    stats.correct += 1
    if pruneAudits.contains(e.candidateID), pruneOff == nil, let best = stats.bestTime, t < 2 * best {
      pruneOff = "#\(e.candidateID), estimated past the pruning factor, measured \(SearchProgress.time(t)), within 2x "
        + "of the best's \(SearchProgress.time(best))"
      observe(.message("cost-model pruning off for this search: the analytic estimate misjudges this workload (\(pruneOff!))"))
    }
    if options.target != "llvm", candidates[e.candidateID] != nil {
      costModel.add(cost(e.candidateID), measured: measured)
    }
    if let f = e.rooflineFraction { stats.bestFraction = max(stats.bestFraction ?? 0, f) }
    if stats.bestTime.map({ t < $0 * 0.99 }) ?? true { lastImprovement = stats.evaluated }
    if stats.bestTime.map({ t < $0 }) ?? true {
      stats.bestTime = t
      stats.bestCandidate = e.candidateID
    }
    if fresh { island(of: e.candidateID, improved: true, time: t) }
  }

  func island(of id: Int, improved: Bool, time: Double = .infinity) {
    guard !islandBest.isEmpty, let c = candidates[id] else { return }
    let i = c.island % islandBest.count
    if improved, time < islandBest[i] * 0.99 {
      islandBest[i] = time
      islandStale[i] = 0
      return
    }
    islandStale[i] += 1
    if islandStale[i] >= options.restartAfter {
      islandRestarts[i] += 1
      islandStale[i] = 0
      islandBest[i] = .infinity
      islandFloor[i] = (candidates.keys.max() ?? 0) + 1
      observe(.message("island \(i) stopped improving; restarting it from a new root"))
    }
  }

  // MARK: - Candidates

  enum Validation {
    case illegal(String)
    case duplicate(String)
    case new(Trace, Kernel, String)
  }

  /// Why the target cannot run a scheduled kernel, or nil (`CompileTarget.rejection`, the diagnostics' ids kept so
  /// that the reason names the refusing step). Triton programs blocks: a loop bound to a thread or a
  /// warp, a grid loop inside another loop, or a grid inside a computed-at producer cannot be lowered there. The
  /// LLVM target lowers to loops, which refuses schedules past the stack or workspace budget (`ResourceBudget`).
  /// Such a schedule is illegal on that target (rejected with the reason, never sent to a worker, never an
  /// evaluation), as a trace that does not apply is.
  public static func targetRejection(of scheduled: Kernel, target: String) -> String? {
    let kind = CompileTarget(rawValue: target) ?? .llvm
    guard let error = kind.rejection(of: scheduled) else { return nil }
    let prefix: String
    switch kind {
    case .triton: prefix = "not lowerable to Triton: "
    case .llvm: prefix = "not lowerable to loops: "
    case .hip: prefix = "not lowerable to HIP: "
    case .cute: prefix = "not lowerable to CuTe DSL: "
    }
    return prefix + error.diagnostics.map { "\($0.message) [\($0.id)]" }.joined(separator: "; ")
  }

  /// Parse -> apply -> verify -> target check -> dedup.
  func validate(_ p: ProposedTrace, proposer: String) -> Validation {
    let trace: Trace
    switch p {
    case .trace(let t): trace = t
    case .text(let text):
      do {
        trace = try Trace.parse(SourceFile(path: "<\(proposer)>", text: text))
      } catch {
        return .illegal("does not parse: " + error.diagnostics.map(\.message).joined(separator: "; "))
      }
    }
    guard trace.steps.count <= 64 else { return .illegal("more than 64 steps") }
    let scheduled: Kernel
    do {
      scheduled = try trace.apply(to: bound)
    } catch {
      return .illegal("step \((error.step ?? 0) + 1): \(error.description)")
    }
    if let reason = Self.targetRejection(of: scheduled, target: options.target) { return .illegal(reason) }
    let hash = CanonicalSchedule.hash(scheduled, target: options.target)
    if hashes.contains(hash) { return .duplicate(hash) }
    return .new(Trace(trace.steps), scheduled, hash)
  }

  func insert(
    trace: Trace, kernel: Kernel, hash: String, parent: Int?, proposer: String, transform: String?, island: Int
  ) throws -> Int {
    let id = try db.insertCandidate(
      workload: workload.id, target: target.id, irHash: hash, traceJSON: compactJSON(trace),
      irText: IRPrinter.print(kernel), parent: parent, secondParent: nil, proposer: proposer, transform: transform,
      island: island)
    hashes.insert(hash)
    traces[id] = trace
    scheduledKernels[id] = kernel
    if let c = try db.candidate(id: id) { candidates[id] = c }
    return id
  }

  func trace(of id: Int) -> Trace? {
    if let t = traces[id] { return t }
    guard let c = candidates[id],
      let t = try? JSONDecoder().decode(Trace.self, from: Data(c.traceJSON.utf8))
    else { return nil }
    traces[id] = t
    return t
  }

  func scheduled(_ id: Int) -> Kernel {
    if let k = scheduledKernels[id] { return k }
    let k = trace(of: id).flatMap { try? $0.apply(to: bound) } ?? bound!
    scheduledKernels[id] = k
    return k
  }

  func view(_ id: Int) -> CandidateView {
    let e = evaluations[id]
    return CandidateView(
      id: id, trace: trace(of: id) ?? Trace([]), kernel: bound, scheduled: scheduled(id), status: e?.status,
      medianTime: e?.medianTime, speedup: e?.speedup, rooflineFraction: e?.rooflineFraction,
      failures: Array((failuresByParent[id] ?? []).suffix(8)))
  }

  /// Correct candidates, fastest first.
  func ranked(_ filter: (CandidateRecord) -> Bool = { _ in true }) -> [Int] {
    evaluations.values.filter { e in
      e.status == .ok && fitness[e.candidateID] != nil && candidates[e.candidateID].map(filter) ?? false
    }
      .sorted { (fitness[$0.candidateID] ?? 0, $0.candidateID) < (fitness[$1.candidateID] ?? 0, $1.candidateID) }
      .map(\.candidateID)
  }

  func history() -> SearchHistory {
    let elite = ranked().prefix(8).map(view)
    var history = SearchHistory(
      evaluated: stats.evaluated, baselineTime: baselineTime, best: elite.first, elite: Array(elite), cost: cost,
      machine: machine, recentFailures: Array(recentRejections.suffix(20)))
    history.target = options.target
    return history
  }

  /// The next candidate to evaluate: one left over (pending), or a new one from a proposer.
  func nextCandidate() throws -> Int? {
    guard options.target != "llvm" else {
      // The CPU: proposals in the order proposed, those the analytic estimate puts past the pruning factor skipped
      // (`prune`: a row statistic computed per element, minutes of worker time each).
      func unpruned() -> Int? {
        while !pending.isEmpty {
          let id = pending.removeFirst()
          if !prune(id) { return id }
        }
        return nil
      }
      if let id = unpruned() { return id }
      for _ in 0..<40 {
        if let id = try generate(), !prune(id) { return id }
        if let id = unpruned() { return id }
        if proposersOnlyWaiting { return nil }
      }
      return nil
    }
    // Block-level targets: roots first, in the order queued; then a small pool of proposals, the one the cost
    // model ranks fastest measured first.
    if let i = pending.firstIndex(where: { candidates[$0]?.parentID == nil }) { return pending.remove(at: i) }
    pending.removeAll(where: prune)
    var tries = 0
    while pending.count < Self.proposalPool, tries < 40 {
      tries += 1
      if let id = try generate() { pending.append(id) }
      pending.removeAll(where: prune)
      if proposersOnlyWaiting { break }
    }
    guard let best = pending.indices.min(by: { predicted(pending[$0]) < predicted(pending[$1]) }) else { return nil }
    return pending.remove(at: best)
  }

  /// Candidates the cost model ranks before each evaluation on block-level targets.
  static let proposalPool = 4

  /// Whether a proposal is pruned, never measured (every target): its analytic time is more than
  /// `pruneFactor` times the best candidate's. The analytic estimate, never the fitted model alone: it gets the
  /// hopeless cases right by construction (one program for a whole matmul, a split of 3 where 128 fit), where a fit
  /// on a handful of measurements may not. Roots (the default schedule, sketches, seeds, random roots) are never
  /// pruned. A pruned candidate stays in the database with no evaluation (a resumed search judges it again against
  /// its best); the search says why (a message with both estimates) and counts it (`SearchStats.pruned`).
  /// The estimate is audited: every `pruneAuditEvery`-th candidate past the factor is measured anyway, and one
  /// measured within 2x of the best turns pruning off for the rest of the search (the recorded H200 searches have
  /// one such workload: jagged_truncate, candidates estimated 142x the best measured 1.2x it).
  func prune(_ id: Int) -> Bool {
    guard pruneOff == nil, let factor = options.pruneFactor, factor > 0, let c = candidates[id],
      let parent = c.parentID, let best = stats.bestCandidate, best != id, candidates[best] != nil,
      !pruneAudits.contains(id)
    else { return false }
    let mine = cost(id).seconds
    let theirs = cost(best).seconds
    guard theirs > 0, mine.isFinite, mine > factor * theirs else { return false }
    // A measured parent: the child is judged by the estimate's change from it (its measured time times the two
    // estimates' ratio), so that what the estimate misjudges in both cancels (a CPU parent with
    // `stage(g, c, n, shared)` estimated 35184 s measured 81 ms, and its children were pruned for it).
    if let measured = fitness[parent], let bestTime = stats.bestTime, cost(parent).seconds > 0,
      measured * mine / cost(parent).seconds <= factor * bestTime
    {
      return false
    }
    pastPruneFactor += 1
    if pastPruneFactor % Self.pruneAuditEvery == 0 {
      pruneAudits.insert(id)
      observe(.message("#\(id) estimated \(SearchProgress.time(mine)), past \(Self.number(factor)) x the best's "
        + "\(SearchProgress.time(theirs)): measured anyway, to check the estimate"))
      return false
    }
    stats.pruned += 1
    let why = "pruned by the cost model: estimated \(SearchProgress.time(mine)), more than \(Self.number(factor)) x the "
      + "best's (#\(best)) estimated \(SearchProgress.time(theirs))"
    failuresByParent[parent, default: []].append(why)
    recentRejections.append((trace(of: id)?.text ?? "", why))
    observe(.message("#\(id) \(why) (\(c.proposer)\(c.transform.map { ": " + $0 } ?? ""))"))
    return true
  }

  /// Every this many proposals past the pruning factor, one is measured anyway (an audit of the estimate).
  static let pruneAuditEvery = 8

  static func number(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

  /// The machine of the analytic cost model: the measured CPU, or the default GPU.
  var costMachine: ScheduleCost.Machine {
    options.target == "llvm" ? .cpu(cores: ProcessInfo.processInfo.activeProcessorCount, peaks: machine) : .init()
  }

  /// The peaks of the roofline floor the flag divides by on the CPU (`Machine.floorPeaks`); nil until measured.
  var floorPeaks: MachinePeaks? {
    guard let machine else { return nil }
    return options.target == "llvm" ? costMachine.floorPeaks : machine
  }

  /// The analytic cost of a candidate's scheduled kernel (cached).
  func cost(_ id: Int) -> ScheduleCost {
    if let c = costs[id] { return c }
    let c = ScheduleCost.estimate(scheduled(id), machine: costMachine)
    costs[id] = c
    return c
  }

  /// The cost model's score of a candidate (log seconds; lower is faster).
  func predicted(_ id: Int) -> Double { costModel.predict(cost(id)) }

  /// Every proposer with a weight is waiting for answers (an LLM agent alone): no new candidate now, but no
  /// exhaustion either; the loop polls the workers and asks again.
  var proposersOnlyWaiting: Bool {
    let active = proposers.filter { $0.1 > 0 }
    return !active.isEmpty && active.allSatisfy { $0.0.isWaiting }
  }

  /// One proposer call for one island; returns the first new candidate (others are queued).
  func generate() throws -> Int? {
    let islands = max(1, options.islands)
    let island = nextIsland % islands
    nextIsland += 1
    guard let parent = try selectParent(island: island) else { return nil }
    if case .root(let id) = parent { return id }
    guard case .parent(let parentID) = parent else { return nil }

    // A bandit over proposer kinds: each configured weight scaled by how often that proposer's children beat
    // their parents (a Beta(1, 1) prior: an untried proposer keeps its weight).
    let weights = proposers.map { p -> Int in
      let o = proposerOutcomes[p.0.name] ?? (0, 0)
      return max(0, p.1) * 2 * 1000 * (o.improved + 1) / (o.tried + 2)
    }
    let total = weights.reduce(0, +)
    var r = random.int(below: max(1, total))
    var index = 0
    for (i, w) in weights.enumerated() {
      if r < w {
        index = i
        break
      }
      r -= w
    }
    var proposer = proposers[index].0
    let parentView = view(parentID)
    let proposals = proposer.propose(parent: parentView, history: history(), count: max(1, options.proposalsPerCall))
    proposers[index].0 = proposer

    var call = ProposerCallRecord(
      proposer: proposer.name, parentID: parentID, proposed: proposals.count, illegal: 0, duplicate: 0, new: 0,
      reasons: "[]")
    var reasons: [[String: String]] = []
    var first: Int?
    var outcomes: [ProposalOutcome] = []
    if proposals.isEmpty, proposer.isWaiting { return nil }  // an LLM still thinking: nothing to record yet
    for p in proposals.prefix(16) {
      let text: String
      switch p {
      case .trace(let t): text = t.text
      case .text(let s): text = String(s.prefix(2000))
      }
      switch validate(p, proposer: proposer.name) {
      case .illegal(let why):
        call.illegal += 1
        reasons.append(["trace": text, "reason": why])
        recentRejections.append((text, why))
        failuresByParent[parentID, default: []].append("illegal: \(why)")
        outcomes.append(.illegal(reason: why))
      case .duplicate:
        call.duplicate += 1
        outcomes.append(.duplicate)
      case .new(let trace, let kernel, let hash):
        call.new += 1
        let id = try insert(
          trace: trace, kernel: kernel, hash: hash, parent: parentID, proposer: proposer.name,
          transform: traceEdit(from: parentView.trace, to: trace), island: island)
        if first == nil { first = id } else { pending.append(id) }
        outcomes.append(.candidate(id: id))
      }
    }
    outcomes += Array(repeating: .ignored, count: max(0, proposals.count - 16))
    proposer.observe(outcomes)
    proposers[index].0 = proposer
    if recentRejections.count > 100 { recentRejections.removeFirst(recentRejections.count - 100) }
    stats.proposed += call.proposed
    stats.illegal += call.illegal
    stats.duplicates += call.duplicate
    let data = (try? JSONSerialization.data(withJSONObject: reasons, options: [.sortedKeys])) ?? Data("[]".utf8)
    call.reasons = String(decoding: data, as: UTF8.self)
    try db.insertProposerCall(workload: workload.id, target: target.id, call)
    return first
  }

  enum Selection {
    case parent(Int)
    case root(Int)
  }

  /// Tournament selection among the island's fittest (or, at the migration rate, the global elite); an island
  /// with no correct candidate yet is seeded with a root.
  func selectParent(island: Int) throws -> Selection? {
    let floor = islandFloor.indices.contains(island) ? islandFloor[island] : 0
    var population = Array(
      ranked { $0.island % max(1, self.options.islands) == island && $0.id >= floor }.prefix(options.populationPerIsland))
    if population.isEmpty || random.chance(options.migrationRate) {
      let elite = Array(ranked().prefix(options.populationPerIsland))
      if population.isEmpty {
        // Seed the island (a restart, or its first use); until its root is evaluated, breed from the elite.
        if let root = try seedRoot(island: island) { return .root(root) }
      }
      if !elite.isEmpty { population = elite }
    }
    if population.isEmpty {
      // Nothing is correct yet: breed from any candidate we have (the default schedule first).
      if let d = defaultCandidate { return .parent(d) }
      guard let any = candidates.keys.min() else { return nil }
      return .parent(any)
    }
    var best: Int?
    for _ in 0..<max(1, options.tournamentSize) {
      let pick = population[random.int(below: population.count)]
      let time = fitness[pick] ?? .infinity
      if best.map({ time < (fitness[$0] ?? .infinity) }) ?? true { best = pick }
    }
    return best.map { .parent($0) }
  }

  /// The target's default schedule: the baseline every speedup is measured against.
  func defaultTrace() -> Trace {
    CompileTarget(rawValue: options.target)?.harnessStage != nil
      ? DefaultSchedule.gpu(for: bound, sketch: .defaultSketch(forTarget: options.target)) : DefaultSchedule.cpu(for: bound, targetCPU: nil, features: nil)
  }

  /// A new root for an island: the default schedule, the empty trace or a random trace, in turn with restarts.
  /// Returns nil when the root is already known (the island then breeds from the elite).
  func seedRoot(island: Int) throws -> Int? {
    let restarts = islandRestarts.indices.contains(island) ? islandRestarts[island] : 0
    let floor = islandFloor.indices.contains(island) ? islandFloor[island] : 0
    // Already seeded (waiting for its evaluation)?
    if candidates.values.contains(where: { $0.island == island && $0.id >= floor && $0.parentID == nil }) {
      return nil
    }
    let kind = (island + restarts) % 4
    var attempts: [(Trace, String)] = []
    switch kind {
    case 0: attempts = [(defaultTrace(), "root:default")]
    case 1 where options.target == "llvm": attempts = [(Trace([]), "root:empty")]
    case _ where options.target != "llvm":
      // Block-level targets: an unscheduled kernel is one program doing everything, so roots start from the
      // default GPU schedule with a few random steps drawn on the scheduled kernel.
      let base = defaultTrace()
      if let scheduled = try? base.apply(to: bound) {
        for _ in 0..<8 {
          let extra = random.randomTrace(for: scheduled, length: random.int(in: 1...3))
          attempts.append((Trace(base.steps + extra.steps), "root:default+random"))
        }
      }
    default:
      for _ in 0..<8 {
        attempts.append((random.randomTrace(for: bound, length: random.int(in: 2...5)), "root:random"))
      }
    }
    for (trace, name) in attempts {
      if case .new(let t, let k, let hash) = validate(.trace(trace), proposer: name) {
        return try insert(trace: t, kernel: k, hash: hash, parent: nil, proposer: name, transform: nil, island: island)
      }
    }
    return nil
  }
}

/// A short description of the edit from one trace to another: `+ step`, `- step`, `old -> new`, or a list.
public func traceEdit(from a: Trace, to b: Trace) -> String {
  var prefix = 0
  while prefix < a.steps.count, prefix < b.steps.count, a.steps[prefix] == b.steps[prefix] { prefix += 1 }
  var suffix = 0
  while suffix < a.steps.count - prefix, suffix < b.steps.count - prefix,
    a.steps[a.steps.count - 1 - suffix] == b.steps[b.steps.count - 1 - suffix]
  {
    suffix += 1
  }
  let removed = a.steps[prefix..<(a.steps.count - suffix)].map { TraceText.print($0) }
  let added = b.steps[prefix..<(b.steps.count - suffix)].map { TraceText.print($0) }
  if removed.isEmpty && added.isEmpty { return "(same steps)" }
  if removed.count == 1 && added.count == 1 { return "\(removed[0]) -> \(added[0])" }
  if Set(removed) == Set(added) { return "reorder: " + added.joined(separator: "; ") }
  let text = (removed.map { "- " + $0 } + added.map { "+ " + $0 }).joined(separator: "; ")
  return text.count > 300 ? String(text.prefix(297)) + "..." : text
}

/// A trace as one line of JSON (what the database stores).
public func compactJSON(_ trace: Trace) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys]
  return (try? encoder.encode(trace)).map { String(decoding: $0, as: UTF8.self) } ?? "{\"steps\":[]}"
}
