import KevcBasic
import KevcIR

/// The placement decisions of a scheduled kernel's nests, made once from the scheduled IR and read by every
/// lowering (the split arithmetic beside them is `ScheduledBounds`): where each producer computed inside a
/// consumer is opened and where it lives, whether a reduction accumulates locally or in place, and which
/// contraction becomes a matrix-unit `dot` on its blocks. Emitters only print what it decides.
///
/// Two levels share the rules; they differ only in which loops run one value at a time:
/// - **loops** (LLVM, HIP, CuTe DSL through the loop IR): every loop does. A producer computed at a loop is opened
///   at that loop, over the region one iteration reads (`RegionAnalysis`), in a region buffer of its `store_in`
///   scope (`local`, `shared`), or in memory (workspace) otherwise.
/// - **blocks** (Triton): loops bound to `block.*` or vectorized are lanes, evaluated as one vector as if innermost.
///   A producer computed at a loop is opened at the last loop at or outside it that is not a lane (nil: above
///   every loop), over the region one point reads with the lanes ranging (`blockRegion`), and lives in a register
///   when its region is one element, in a register block lined up with its
///   consumer's lanes when the consumer is its only reader (the builder keeps it in scratch where the lanes do not
///   line up), else in per-program scratch.
///
/// A reduction keeps a local accumulator while its reduction loops are the innermost of the loops that run one
/// value at a time; where one of them encloses an axis loop it accumulates in place (the definition's own storage,
/// initialised by a nest over the axes). A `dot` definition (a sum of a product of two operands) becomes a
/// matrix-unit dot when two axis lanes and one reduction lane split its operands as `[m, k] x [k, n]`, each block
/// at least 16 (`tl.dot`'s minimum) and the points need no guard; its accumulator is f32 (f64 for f64 sums, i32
/// for i8 x i8), operands keep a 16-bit float type when both are stored in it, f32 operands read in IEEE precision
/// unless `precision(y, ...)` says otherwise (`dotTypes`). What the contraction is on every target (its axes,
/// operands, tiles, and which target's matrix unit takes it) is its plan, `contraction` (`Contraction.swift`).
///
/// Before (scheduled kernel IR, rmsnorm's default CPU schedule):
/// ```
/// %ss: f32[m < M] = sum<f32> [n in 0 .. $N] (cast<f32>(%x[m, n]) * cast<f32>(%x[m, n]))
///   schedule split(n, n.o, n.i, 8) loops(m, n.o, n.i: vectorize(8)) compute_at(%y, m) store(local)
/// %y: bf16[m < M, n < N] = ...
///   schedule split(n, n.o, n.i, 8) loops(m, n.o, n.i: vectorize(8)) root store(workspace)
/// ```
/// After (`kevc compile specs/rmsnorm.kev --emit plan`; with `--target triton` the vectorized `n.i` is a lane, and
/// `%ss` lives in a register):
/// ```
/// decisions @rmsnorm (loops):
///   %ss: computed at y.m, opened at y.m over [m + [0, 1)], lives in a local buffer
///   %ss: accumulates locally (reduction loops from n)
/// ```
/// (the loop lowering merges the split vectorized reduction `n.o`, `n.i` back into one loop `n` first:
/// `LowerToLoops.unsplitVectorReductions`).
public struct NestPlan: Sendable {
  public enum Level: String, Sendable {
    case loops, blocks
  }

  /// Where a definition's values live.
  public enum Home: String, Hashable, Sendable {
    /// Caller or workspace memory (a root definition, or a producer stored in workspace scope).
    case memory
    /// A region buffer allocated at the consumer's loop (loop level), in `store_in`'s scope.
    case local, shared
    /// One register value: the region is one element (block level).
    case register
    /// A register block in the consumer's lanes (block level; where the lanes do not line up, scratch).
    case block
    /// Per-program scratch holding the region (block level).
    case scratch

    public var phrase: String {
      switch self {
      case .memory: return "memory"
      case .local: return "a local buffer"
      case .shared: return "a shared buffer"
      case .register: return "a register (one element)"
      case .block: return "a register block in the consumer's lanes"
      case .scratch: return "per-program scratch"
      }
    }
  }

  public enum Accumulation: Hashable, Sendable {
    /// A local accumulator per point; the loops that run one value at a time from this index on are reduction
    /// loops (the ones before it are axis loops).
    case local(reductionLoopsFrom: Int)
    /// A reduction loop encloses an axis loop: accumulate in the definition's storage.
    case inPlace
  }

  /// A producer computed inside a consumer.
  public struct Producer: Hashable, Sendable {
    public var name: String
    public var consumer: String
    /// The consumer's loop it is computed at (`compute_at`).
    public var loop: String
    /// The consumer's loop whose body opens its nest (nil: above every loop).
    public var anchor: String?
    /// The region one iteration reads, in the consumer's schedule variables (loop level), or why it has none.
    public var region: [RegionDimension]?
    public var regionProblem: String?
    public var home: Home

    public init(
      name: String, consumer: String, loop: String, anchor: String?, region: [RegionDimension]?,
      regionProblem: String?, home: Home
    ) {
      self.name = name
      self.consumer = consumer
      self.loop = loop
      self.anchor = anchor
      self.region = region
      self.regionProblem = regionProblem
      self.home = home
    }
  }

  /// A contraction on a matrix unit: `acc[m, n] += lhs[m, k] * rhs[k, n]` over blocks.
  public struct Dot: Hashable, Sendable {
    public enum Precision: String, Hashable, Sendable {
      case ieee, tf32, tf32x3, bf16x3
    }
    public var m: String
    public var n: String
    public var k: String
    public var lhs: Expr
    public var rhs: Expr
    /// Operands read as stored (a load under widening casts only), converted to nothing.
    public var lhsRaw = false
    public var rhsRaw = false
    /// The type operands are converted to; nil: their own.
    public var operands: DType?
    public var precision: Precision?
    public var accumulator: DType
    /// The definition's accumulator type (the result of the dot before its store).
    public var result: DType
  }

  public let level: Level
  public let kernelName: String
  /// Producers computed inside consumers, in kernel order.
  public var producers: [Producer] = []
  /// Per reduction definition (scans excluded: a scan runs along its own loop).
  public var accumulation: [String: Accumulation] = [:]
  /// The plan of every `dot` definition (`Contraction.swift`), the same at both levels.
  public var contractions: [String: ContractionPlan] = [:]
  /// Contractions on a matrix unit (block level), in the emitted lane names.
  public var dots: [String: Dot] = [:]
  let dims: [String: Int]

  /// An empty plan that a block-level builder fills as it decides (in its emitted variable names).
  public init(level: Level, kernelName: String, dims: [String: Int]) {
    self.level = level
    self.kernelName = kernelName
    self.dims = dims
  }

  /// Adds the decisions of another part of the same kernel (one Triton kernel's).
  public mutating func merge(_ other: NestPlan) {
    producers += other.producers
    accumulation.merge(other.accumulation) { a, _ in a }
    serialLoops.merge(other.serialLoops) { a, _ in a }
    dots.merge(other.dots) { a, _ in a }
    contractions.merge(other.contractions) { a, _ in a }
  }
  /// The loops that run one value at a time, per definition (the index space of `Accumulation.local`).
  public var serialLoops: [String: [String]] = [:]

  /// The loop-level plan of `kernel` (every loop runs one value at a time).
  public init(loops kernel: Kernel) {
    level = .loops
    kernelName = kernel.name
    dims = kernel.dimBindings
    contractions = Self.contractions(kernel)
    for d in kernel.definitions {
      let leaves = d.effectiveSchedule.loops
      serialLoops[d.name] = leaves.map(\.name)
      if let a = Self.accumulation(d, serialLoops: leaves) { accumulation[d.name] = a }
      guard case .computeAt(let consumerName, let loop) = d.effectiveSchedule.placement,
        let consumer = kernel.definitions.first(where: { $0.name == consumerName })
      else { continue }
      var p = Producer(
        name: d.name, consumer: consumerName, loop: loop, anchor: loop, region: nil, regionProblem: nil,
        home: Self.loopHome(d))
      do {
        p.region = try RegionAnalysis(kernel).region(of: d, readBy: consumer, at: loop)
      } catch {
        p.regionProblem = error.message
      }
      producers.append(p)
    }
  }

  public func producer(_ name: String) -> Producer? { producers.first { $0.name == name } }

  /// The definitions computed at a loop of `consumer`, in kernel order.
  public static func producers(of consumer: String, in kernel: Kernel) -> [Definition] {
    kernel.definitions.filter {
      if case .computeAt(let c, _) = $0.effectiveSchedule.placement { return c == consumer }
      return false
    }
  }

  /// The loop among `leaves` whose body opens a producer computed at `loop`: the last one at or outside it that
  /// `opens` (runs one value at a time); `.some(nil)` is above every loop, nil when `leaves` has no such loop.
  public static func anchor(of loop: String, in leaves: [ScheduledLoop], opens: (ScheduledLoop) -> Bool) -> String?? {
    guard let position = leaves.firstIndex(where: { $0.name == loop }) else { return nil }
    return .some(leaves[...position].last(where: opens)?.name)
  }

  /// Where a producer lives at the loop level: a region buffer in its `store_in` scope, else memory.
  public static func loopHome(_ d: Definition) -> Home {
    let s = d.effectiveSchedule
    switch s.placement {
    case .root: return .memory
    case .computeAt:
      switch s.storage.scope {
      case .local: return .local
      case .shared: return .shared
      case .global, .workspace: return .memory
      }
    }
  }

  /// Where a producer lives at the block level: a register for a one-element region, a register block when the
  /// consumer is its only reader, else scratch.
  public static func blockHome(_ p: Definition, consumer: String, extents: [Int], in kernel: Kernel) -> Home {
    if extents.allSatisfy({ $0 == 1 }) { return .register }
    let readers = kernel.definitions.filter { d in d.expressions.contains { $0.loads.contains { $0.tensor == p.name } } }
    return readers.allSatisfy({ $0.name == consumer }) ? .block : .scratch
  }

  /// How a reduction accumulates, given the loops that run one value at a time in schedule order; nil for a
  /// definition that is not a reduction, or a scan.
  public static func accumulation(_ d: Definition, serialLoops: [ScheduledLoop]) -> Accumulation? {
    guard let r = d.reduction, r.scanAxis == nil else { return nil }
    let s = d.effectiveSchedule
    func isReduction(_ leaf: ScheduledLoop) -> Bool {
      let root = Kernel.rootVariable(of: leaf.name, in: s)
      return r.axes.contains { $0.name == root }
    }
    let first = serialLoops.firstIndex(where: isReduction) ?? serialLoops.count
    if serialLoops[first...].contains(where: { !isReduction($0) }) { return .inPlace }
    return .local(reductionLoopsFrom: first)
  }

  /// The matrix-unit plan of a `dot` definition whose body (in the emitted variables) is `body`, with its lanes
  /// split into axis and reduction lanes and their blocks; nil where it takes the general reduction path.
  /// `storedType` gives a load's stored element type.
  public static func dot(
    _ d: Definition, body: Expr, axisLanes: [String], reductionLanes: [String], blocks: [String: Int],
    guarded: Bool, laneDependentReductionBounds: Bool, home: Home, storedType: (String) -> DType?
  ) -> Dot? {
    let s = d.effectiveSchedule
    guard s.isDot, let r = d.reduction, r.op == .sum, home != .register, !guarded, !laneDependentReductionBounds,
      axisLanes.count == 2, reductionLanes.count == 1
    else { return nil }
    let laneSet = Set(axisLanes + reductionLanes)
    guard case .binary(.mul, let a, let b) = stripCasts(body) else { return nil }
    let aLanes = a.indexNames.intersection(laneSet)
    let bLanes = b.indexNames.intersection(laneSet)
    let k = reductionLanes[0]
    var m = axisLanes[0]
    var n = axisLanes[1]
    if aLanes == [n, k] && bLanes == [m, k] { swap(&m, &n) }
    guard aLanes == [m, k], bLanes == [k, n] else { return nil }
    // Blocks of at least 16 in every dimension (tl.dot's minimum).
    guard let bm = blocks[m], let bn = blocks[n], let bk = blocks[k], bm >= 16, bn >= 16, bk >= 16 else {
      return nil
    }
    let sa = rawLoad(a, storedType).flatMap { storedType($0.tensor) }
    let sb = rawLoad(b, storedType).flatMap { storedType($0.tensor) }
    guard let t = dotTypes(accumulator: r.accumulator, lhs: sa, rhs: sb, precision: s.dotPrecision) else { return nil }
    let plan = Dot(
      m: m, n: n, k: k, lhs: a, rhs: b, lhsRaw: t.raw, rhsRaw: t.raw, operands: t.operands, precision: t.precision,
      accumulator: t.accumulator, result: r.accumulator)
    return plan
  }

  public static func stripCasts(_ e: Expr) -> Expr {
    if case .cast(_, let inner) = e { return stripCasts(inner) }
    return e
  }

  /// An operand that is a load under only widening casts (its stored values are exact in the result).
  public static func rawLoad(_ e: Expr, _ storedType: (String) -> DType?) -> Load? {
    var x = e
    var targets: [DType] = []
    while case .cast(let t, let inner) = x {
      targets.append(t)
      x = inner
    }
    guard case .load(let l) = x, let s = storedType(l.tensor) else { return nil }
    for t in targets {
      guard s.isFloat == t.isFloat, t.mantissaBits >= s.mantissaBits, t.isFloat || t == s || s == .i8 else { return nil }
    }
    return l
  }

  /// One line per decision (`--emit plan`).
  public var text: String {
    var s = "decisions @\(kernelName) (\(level.rawValue)):\n"
    let facts = IndexArithmetic(dims: dims)
    for p in producers {
      let region =
        p.region.map { r in
          " over [" + r.map { "\(IRPrinter.print(facts.simplify($0.start))) + [0, \($0.extent))" }.joined(separator: ", ") + "]"
        }
        ?? p.regionProblem.map { " (no region: \($0))" } ?? ""
      let anchor = p.anchor.map { "\(p.consumer).\($0)" } ?? "the top of \(p.consumer)"
      s += "  %\(p.name): computed at \(p.consumer).\(p.loop), opened at \(anchor)\(region), lives in \(p.home.phrase)\n"
    }
    for (name, a) in accumulation.sorted(by: { $0.key < $1.key }) {
      s += "  %\(name): " + Self.describe(a, serialLoops: serialLoops[name] ?? []) + "\n"
    }
    for (name, c) in contractions.sorted(by: { $0.key < $1.key }) { s += Self.describe(name, c) }
    for (name, d) in dots.sorted(by: { $0.key < $1.key }) {
      let operands = d.operands.map { "operands as \($0.rawValue)" } ?? "operands as stored"
      let precision = d.precision.map { ", \($0.rawValue) precision" } ?? ""
      s += "  %\(name): dot of lanes \(d.m) x \(d.n) over \(d.k), \(operands)\(precision), accumulated in \(d.accumulator.rawValue)\n"
    }
    return s
  }

  /// The plan line of an accumulation.
  public static func describe(_ a: Accumulation, serialLoops: [String]) -> String {
    switch a {
    case .inPlace: return "accumulates in place (a reduction loop encloses an axis loop)"
    case .local(let from):
      let loops = serialLoops[min(from, serialLoops.count)...]
      return loops.isEmpty
        ? "accumulates locally (no reduction loop runs one value at a time)"
        : "accumulates locally (reduction loops from \(loops.first ?? ""))"
    }
  }
}

extension NestPlan {
  /// How a variable of a consumer's reads varies where a producer is computed inside it (block level).
  public enum RegionVariable: Sendable {
    /// A scalar bound outside the producer's nest: it moves the region's start.
    case fixed
    /// A loop opened inside it, or a lane from a constant start: the values it takes.
    case ranging(ClosedRange<Int>)
    /// A lane starting at a fixed position (a block of a consumer computed over a region): `start + [0, block)`.
    case lane(start: IndexArithmetic.Affine, block: Int)
    /// Nothing known: a region that depends on it has no fixed box.
    case unknown
  }

  /// Why a producer has no region inside its consumer.
  public enum RegionProblem: Error, Sendable {
    case notAffine(Expr)
    case unknownRange(String)
    case notABox(axis: Int)

    public func message(producer p: String, consumer c: String) -> String {
      switch self {
      case .notAffine(let index):
        return "'\(c)' reads '\(p)' at an index that is not affine in its loops (\(IRPrinter.print(index))); '\(p)' cannot be computed inside it"
      case .unknownRange(let name):
        return "the region of '\(p)' read by '\(c)' depends on '\(name)', whose range is not known where '\(p)' is computed"
      case .notABox(let k):
        return "'\(c)' reads '\(p)' along axis \(k) at offsets that move differently with its loops; the region is not a fixed box"
      }
    }
  }

  /// The region of `p` that one point of a block-level nest reads through `reads` (the consumer's expressions in
  /// its emitted variables): per axis, a start symbolic in the fixed variables and the extent the others sweep
  /// (lanes ranging over their blocks as if innermost). An index is affine, plus floor division and modulo terms
  /// whose variables all range here (a fused axis: `c.k / 3`), bounded by `facts` (RegionAnalysis does the same on
  /// the schedule's loops for the loop level).
  public static func blockRegion(
    of p: Definition, reads: [Expr], facts: IndexArithmetic, variable: (String) -> RegionVariable
  ) throws(RegionProblem) -> [RegionDimension] {
    typealias Affine = IndexArithmetic.Affine
    func boundedAffine(_ e: Expr) -> (Affine, Int, Int)? {
      if let a = facts.affine(e) { return (a, 0, 0) }
      if case .binary(let op, let x, let y) = e, op == .add || op == .sub {
        guard let (a, al, ah) = boundedAffine(x), let (b, bl, bh) = boundedAffine(y) else { return nil }
        if op == .add { return (a + b, al &+ bl, ah &+ bh) }
        return (a + b.scaled(-1), al &- bh, ah &- bl)
      }
      if case .cast(let t, let x) = e, t.isInteger { return boundedAffine(x) }
      var local = facts
      for name in e.indexNames {
        let r: ClosedRange<Int>?
        switch variable(name) {
        case .fixed: return nil
        case .ranging(let range): r = range
        case .lane, .unknown: r = facts.range(of: name)
        }
        guard let r else { return nil }
        local.bound(name, r)
      }
      guard let r = local.range(e) else { return nil }
      return (Affine(constant: 0, terms: [:]), r.lowerBound, r.upperBound)
    }
    var lows = [Int?](repeating: nil, count: p.axes.count)
    var highs = [Int?](repeating: nil, count: p.axes.count)
    var starts = [Affine?](repeating: nil, count: p.axes.count)
    for e in reads {
      for read in e.loads where read.tensor == p.name {
        for (k, index) in read.indices.enumerated() where k < p.axes.count {
          guard let (a, boundedLow, boundedHigh) = boundedAffine(facts.simplify(index)) else {
            throw .notAffine(index)
          }
          var fixed = Affine(constant: 0, terms: [:])
          var low = a.constant &+ boundedLow
          var high = a.constant &+ boundedHigh
          for (name, c) in a.terms {
            switch variable(name) {
            case .fixed:
              fixed = fixed + Affine(constant: 0, terms: [name: c])
            case .ranging(let range):
              let lo = c &* range.lowerBound
              let hi = c &* range.upperBound
              low &+= Swift.min(lo, hi)
              high &+= Swift.max(lo, hi)
            case .lane(let start, let block):
              // The lower part moves with the fixed variables; the lane sweeps its block.
              fixed = fixed + start.scaled(c)
              let span = c &* (block &- 1)
              low &+= c &* start.constant &+ Swift.min(0, span)
              high &+= c &* start.constant &+ Swift.max(0, span)
            case .unknown:
              throw .unknownRange(name)
            }
          }
          if let previous = starts[k], previous != fixed { throw .notABox(axis: k) }
          starts[k] = fixed
          lows[k] = Swift.min(lows[k] ?? low, low)
          highs[k] = Swift.max(highs[k] ?? high, high)
        }
      }
    }
    var region: [RegionDimension] = []
    for k in p.axes.indices {
      let fixed = starts[k] ?? Affine(constant: 0, terms: [:])
      var start: Expr = .constant(.int(Int64(lows[k] ?? 0)))
      for (name, c) in fixed.terms.sorted(by: { $0.key < $1.key }) {
        start = .binary(.add, start, c == 1 ? .index(name) : .binary(.mul, .constant(.int(Int64(c))), .index(name)))
      }
      region.append(
        RegionDimension(start: facts.simplify(start), extent: Swift.max(1, (highs[k] ?? 0) &- (lows[k] ?? 0) &+ 1)))
    }
    return region
  }
}
