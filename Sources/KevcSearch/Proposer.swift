/// The search's universal operator: a proposer looks at a parent candidate (its IR, trace, measurements and the
/// failures of its children) and at the search's history, and returns new traces, either as `Trace` values or as
/// text to be parsed (what an LLM proposer returns). Proposers never compile or run anything: the engine parses,
/// applies and verifies every proposal, drops duplicates by IR hash, records illegal ones with their reason, and
/// evaluates the rest in worker processes. A proposer that returns garbage therefore cannot hurt the search.
///
/// Built-in proposers (the default when no LLM is configured): parameter mutation, structural edits (insert,
/// remove, reorder, replace a step), crossover of two traces, and a roofline-guided proposer.
import KevcIR
import KevcTransforms

/// One proposal: a trace, or text in the trace syntax (or trace JSON) to be parsed and validated.
public enum ProposedTrace: Sendable, Hashable {
  case trace(Trace)
  case text(String)
}

/// What a proposer sees of a candidate.
public struct CandidateView: Sendable {
  public var id: Int
  public var trace: Trace
  /// The kernel with its dims bound and no schedule: every trace applies to this.
  public var kernel: Kernel
  /// The kernel after the candidate's trace.
  public var scheduled: Kernel
  public var status: EvaluationStatus?
  public var medianTime: Double?
  public var speedup: Double?
  public var rooflineFraction: Double?
  /// Why this candidate's evaluated children (or proposals from it) failed, most recent last.
  public var failures: [String]

  public init(
    id: Int, trace: Trace, kernel: Kernel, scheduled: Kernel, status: EvaluationStatus? = nil,
    medianTime: Double? = nil, speedup: Double? = nil, rooflineFraction: Double? = nil, failures: [String] = []
  ) {
    self.id = id
    self.trace = trace
    self.kernel = kernel
    self.scheduled = scheduled
    self.status = status
    self.medianTime = medianTime
    self.speedup = speedup
    self.rooflineFraction = rooflineFraction
    self.failures = failures
  }
}

/// What the search knows so far, for proposers that look beyond the parent.
public struct SearchHistory: Sendable {
  public var evaluated: Int
  public var baselineTime: Double?
  public var best: CandidateView?
  /// The fittest correct candidates (all islands), fastest first.
  public var elite: [CandidateView]
  public var cost: WorkloadCost
  public var machine: MachinePeaks?
  /// Recent rejected proposals: (trace text, reason).
  public var recentFailures: [(trace: String, reason: String)]
  /// What candidates run on: "llvm", "triton" (a block-level target: no thread or warp bindings), "hip" or "cute"
  /// (loop-level GPU targets: every binding).
  public var target: String = "llvm"

  /// The GPU dimensions worth proposing for this target.
  public var bindDimensions: [GPUDimension] { Self.bindDimensions(target: target) }

  /// The GPU dimensions a target programs: grid and block axes on Triton, all of them elsewhere.
  public static func bindDimensions(target: String) -> [GPUDimension] {
    target == "triton" ? GPUDimension.blockLevel : GPUDimension.allCases
  }

  /// The kinds of steps worth proposing for a target: on the CPU ("llvm") none of `TransformKind.gpuOnly` (a bound
  /// loop does not lower there; a launch shape, a dot mark or a program order changes nothing it runs).
  public static func proposableKinds(target: String) -> Set<TransformKind> {
    let all = Set(TransformKind.allCases)
    return target == "llvm" ? all.subtracting(TransformKind.gpuOnly) : all
  }

  public init(
    evaluated: Int, baselineTime: Double?, best: CandidateView?, elite: [CandidateView], cost: WorkloadCost,
    machine: MachinePeaks?, recentFailures: [(trace: String, reason: String)]
  ) {
    self.evaluated = evaluated
    self.baselineTime = baselineTime
    self.best = best
    self.elite = elite
    self.cost = cost
    self.machine = machine
    self.recentFailures = recentFailures
  }
}

public protocol Proposer: Sendable {
  /// Recorded with every candidate it produces and every call (e.g. "mutate", "llm:gpt-x").
  var name: String { get }
  /// Up to `count` new traces derived from `parent`.
  mutating func propose(parent: CandidateView, history: SearchHistory, count: Int) -> [ProposedTrace]
  /// What became of the proposals of the last `propose` call, in order (ProposalOutcome.swift; default: nothing).
  mutating func observe(_ outcomes: [ProposalOutcome])
  /// True while answers are still coming (an LLM call in flight): an empty `propose` is then no sign of exhaustion.
  var isWaiting: Bool { get }
}

// MARK: - Built-in proposers

/// Changes the parameters of one step: tile sizes, split/unroll/rfactor factors, vector widths, GPU warps and
/// stages, memory scopes, compute_at loops.
public struct ParameterMutation: Proposer {
  public let name = "mutate"
  var random: TraceGenerator
  public init(seed: UInt64) { random = TraceGenerator(seed: seed) }

  public mutating func propose(parent: CandidateView, history: SearchHistory, count: Int) -> [ProposedTrace] {
    random.target(history.target)
    var out: [ProposedTrace] = []
    for _ in 0..<count {
      var steps = parent.trace.steps
      guard !steps.isEmpty else {
        out.append(.trace(random.randomTrace(for: parent.kernel, length: 1)))
        continue
      }
      steps = random.mutatedParameters(of: steps, at: random.int(below: steps.count), for: parent.kernel)
      out.append(.trace(Trace(steps)))
    }
    return out
  }
}

/// Structural edits: insert a step, remove one, swap two, replace one (TraceGenerator.mutate).
public struct StructuralEdit: Proposer {
  public let name = "edit"
  var random: TraceGenerator
  public init(seed: UInt64) { random = TraceGenerator(seed: seed) }

  public mutating func propose(parent: CandidateView, history: SearchHistory, count: Int) -> [ProposedTrace] {
    random.target(history.target)
    return (0..<count).map { _ in .trace(random.mutate(parent.trace, for: parent.kernel)) }
  }
}

/// One-point crossover of the parent with another elite candidate.
public struct Crossover: Proposer {
  public let name = "crossover"
  var random: TraceGenerator
  public init(seed: UInt64) { random = TraceGenerator(seed: seed) }

  public mutating func propose(parent: CandidateView, history: SearchHistory, count: Int) -> [ProposedTrace] {
    random.target(history.target)
    let others = history.elite.filter { $0.id != parent.id }
    guard !others.isEmpty else { return [] }
    return (0..<count).map { _ in
      let other = others[random.int(below: others.count)]
      return random.chance(0.5)
        ? .trace(random.crossover(parent.trace, other.trace)) : .trace(random.crossover(other.trace, parent.trace))
    }
  }
}

/// Reads which side of the roofline the workload is on and adds a step of a kind that helps there:
/// memory-bound -> fusion (compute_at, inline), storage (store_in, layout), vector width, threads;
/// compute-bound -> contraction mapping (dot), tile shapes, accumulator caching, unrolling, loop order, rfactor.
/// It also retunes an existing step of those kinds. Steps are drawn for the parent's scheduled IR, so they name
/// loops that exist there.
public struct RooflineGuided: Proposer {
  public let name = "roofline"
  var random: TraceGenerator
  public init(seed: UInt64) { random = TraceGenerator(seed: seed) }

  public static let memoryKinds: [TransformKind] = [.computeAt, .inline, .storeIn, .layout, .vectorize, .parallel]
  public static let computeKinds: [TransformKind] = [.dot, .tile, .cache, .unroll, .reorder, .vectorize, .rfactor,
    .split, .parallel]
  /// The kinds for a block-level target (Triton): threads of a CPU (`parallel`) mean nothing there (a parallel
  /// loop is a serial loop inside a program); mapping loops onto the grid and blocks and the launch shape do. The
  /// loop-level GPU targets (HIP, CuTe DSL) map bound loops onto blocks and threads and ignore the launch shape.
  public static func kinds(memoryBound: Bool, target: String) -> [TransformKind] {
    let base = (memoryBound ? memoryKinds : computeKinds).filter(SearchHistory.proposableKinds(target: target).contains)
    if target == "hip" || target == "cute" { return base.filter { $0 != .parallel } + [.bind] + (memoryBound ? [.computeWith] : []) }
    guard target == "triton" else { return base }
    return base.filter { $0 != .parallel } + [.bind, .launch] + (memoryBound ? [.computeWith] : [.precision, .groupPrograms, .persistent])
  }

  public mutating func propose(parent: CandidateView, history: SearchHistory, count: Int) -> [ProposedTrace] {
    random.target(history.target)
    let memoryBound = history.machine.map { history.cost.isMemoryBound($0) } ?? (history.cost.flops < history.cost.bytes)
    let kinds = Self.kinds(memoryBound: memoryBound, target: history.target)
    var out: [ProposedTrace] = []
    for _ in 0..<count {
      if !memoryBound, random.chance(0.4), let blocked = registerBlocking(parent) {
        out.append(.trace(blocked))
        continue
      }
      let kind = kinds[random.int(below: kinds.count)]
      let retune = parent.trace.steps.indices.filter { parent.trace.steps[$0].kind == kind }
      if !retune.isEmpty, random.chance(0.4) {
        let i = retune[random.int(below: retune.count)]
        out.append(.trace(Trace(random.mutatedParameters(of: parent.trace.steps, at: i, for: parent.kernel))))
        continue
      }
      // A legal step of that kind for the scheduled IR, when a few draws find one.
      var step = random.randomTransform(kind, for: parent.scheduled)
      for _ in 0..<8 where (try? step.apply(to: parent.scheduled)) == nil {
        step = random.randomTransform(kind, for: parent.scheduled)
      }
      out.append(.trace(Trace(parent.trace.steps + [step])))
    }
    return out
  }

  /// Register blocking, a compound move for compute-bound definitions: split an outer axis loop `a` by a small
  /// factor, move `a.i` just outside the innermost loop and unroll it, so that each value the innermost loop loads
  /// is reused `f` times. Parallel steps of the definition are taken out first and put back on the loop that
  /// replaced theirs (`m` -> `m.o`), since a parallel loop cannot be split.
  mutating func registerBlocking(_ parent: CandidateView) -> Trace? {
    let reductions = parent.scheduled.definitions.filter { $0.reduction != nil && $0.effectiveSchedule.loops.count >= 3 }
    guard !reductions.isEmpty else { return nil }
    let d = reductions[random.int(below: reductions.count)]
    var steps: [Transform] = []
    var parallels: [String] = []
    for s in parent.trace.steps {
      if case .parallel(let t, let l) = s, t == d.name { parallels.append(l) } else { steps.append(s) }
    }
    var k = parent.kernel
    do {
      k = try Trace(steps).apply(to: k)
    } catch {
      return nil
    }
    guard let current = k.definitions.first(where: { $0.name == d.name }) else { return nil }
    let loops = current.effectiveSchedule.loops.map(\.name)
    let reductionAxes = Set(current.reduction?.axes.map(\.name) ?? [])
    let candidates = loops.dropLast().filter { !reductionAxes.contains(Kernel.rootVariable(of: $0, in: current.effectiveSchedule)) }
    guard !candidates.isEmpty, let innermost = loops.last else { return nil }
    let a = candidates[random.int(below: candidates.count)]
    let f = [2, 2, 4, 8][random.int(below: 4)]
    var block: [Transform] = [.split(tensor: d.name, loop: a, factor: f)]
    var order = loops.flatMap { $0 == a ? [a + ".o"] : [$0] }.filter { $0 != innermost }
    order.append(a + ".i")
    order.append(innermost)
    block.append(.reorder(tensor: d.name, loops: order))
    if random.chance(0.8) { block.append(.unroll(tensor: d.name, loop: a + ".i", factor: f)) }
    for l in parallels { block.append(.parallel(tensor: d.name, loop: l == a ? a + ".o" : l)) }
    return Trace(steps + block)
  }
}

extension TraceGenerator {
  /// Draw only what `target` expresses: its bind dimensions and its kinds of steps (`SearchHistory`).
  mutating func target(_ target: String) {
    bindDimensions = SearchHistory.bindDimensions(target: target)
    kinds = SearchHistory.proposableKinds(target: target)
  }
}

/// The default set of proposers with their relative weights, seeded from one seed.
public func defaultProposers(seed: UInt64) -> [(any Proposer, Int)] {
  [
    (ParameterMutation(seed: seed &+ 1), 3), (StructuralEdit(seed: seed &+ 2), 3), (Crossover(seed: seed &+ 3), 2),
    (RooflineGuided(seed: seed &+ 4), 3),
  ]
}
