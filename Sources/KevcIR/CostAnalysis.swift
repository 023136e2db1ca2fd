import Foundation
import KevcBasic

/// kevc's one cost analysis, from the IR alone, for every target: what any schedule of a kernel must cost (the
/// workload floor, `WorkloadCost`) and what one schedule costs (`ScheduleCost`). The CPU search's roofline, the GPU
/// harness's floor (`COST` of the torch reference module) and the search's cost model all read these two; nothing
/// else counts bytes or flops.
///
/// Counting rules, shared by both:
/// - flops: float arithmetic only (`add sub mul div mod max min pow` and the float math functions on float
///   operands; integer index arithmetic, comparisons, selects, casts and loads are free), plus one combine per
///   reduction point;
/// - a reduction range whose bounds depend on the definition's axes counts at the axes' mid-points (a triangle
///   counts half), except a prefix (a scan, or a triangle `to_scan` makes one: one element per point); a range
///   that reads data counts as length 1 (a lower bound there).
///
/// Floor: every parameter read once and every result written once (bytes; a parameter read only through
/// data-dependent indices, a gather, counts the elements its lookups touch when fewer: `gatheredElements`), each
/// definition's flops over its domain. No schedule beats max(bytes / bandwidth, flops / peak); on a CPU the
/// bandwidth is that of the cache levels the bytes fit in (`MachinePeaks.memorySeconds`), the peak the measured
/// FMA throughput of every core.
///
/// Scheduled (per kernel: a definition computed at the root with the producers computed inside it): programs (the
/// grid loops on a GPU, the parallel loops on a CPU), lanes per program (the blocks, each the next power of two:
/// masked lanes cost too; vectorized loops), serial iterations; bytes per memory level: `bytes` from DRAM (every
/// tensor the kernel reads, whole, once, plus what it writes: an intermediate kept in memory costs a write and a
/// read), `rereadBytes` (a contraction's operand tiles read again by the programs along the grid loops their
/// indices do not walk: mostly L2 hits), `scratchBytes` (regions of producers computed inside a program that are
/// more than one value: per-program scratch, L1/L2); flops (points evaluated, masked lanes included); occupancy
/// (programs over the machine's resident slots) and the largest `dot` tile (m x n x k elements per program). Its
/// time is the largest of DRAM bytes over bandwidth (plus re-reads at three times that rate), flops over peak
/// (`dot` tiles at the matrix units' rate) and the programs' latency (waves of programs over the multiprocessors
/// or cores, each streaming its elements through its threads or vector lanes), plus a launch; kernels add up. A
/// `dot` kernel on a GPU (issue 15) also sees its tile and launch through the machine's facts: its programs per
/// multiprocessor are at most what shared memory holds of its pipeline (`Machine.dotSharedMemory`), its matrix
/// units' time is that of the busiest multiprocessor's tiles (wave quantisation; `persistent(P)` uses P of them)
/// and at most what the shared memory feeds its warps' tiles (`sharedBandwidth`), and its memory time grows when
/// its stages x k step keep less than DRAM's latency-bandwidth product in flight (`memoryLatency`). On a
/// CPU the peaks are shared by the cores the parallel loops use, and each entry of a parallel loop adds the thread
/// pool's fork and join (`Machine.forkJoinSeconds`).
public struct WorkloadCost: Sendable, Hashable {
  /// Bytes of every input and output, each moved once (a gathered input: the elements its lookups touch).
  public var bytes: Double
  /// Float arithmetic operations at the bound shape.
  public var flops: Double
  /// Points times reduction lengths, summed over definitions (how heavy the interpreter check is).
  public var work: Double

  /// Of a kernel with every dim bound.
  public init(_ k: Kernel) {
    let dims = k.dimBindings
    var bytes = 0.0
    let gathered = Self.gatheredElements(k)
    for p in k.params + k.results {
      let whole = Self.elements(p.shape, dims)
      bytes += min(whole, gathered[p.name] ?? whole) * Double(p.dtype.byteSize)
    }
    var flops = 0.0
    var work = 0.0
    for d in k.definitions {
      let points = Self.elements(d.shape, dims) * Self.reductionLength(d, k)
      let ops = Double(Self.floatOps(d.body, kernel: k, definition: d) + Self.combineOps(d, kernel: k))
      flops += Self.productPoints(d, k, all: points) * ops
      work += points
    }
    self.bytes = bytes
    self.flops = flops
    self.work = work
  }

  /// The elements of each parameter read only through data-dependent indices (a gather: `%table[%idx[b, j], d]`,
  /// an embedding bag, a jagged read) that the floor charges instead of the whole tensor: per distinct such load,
  /// the points of the axes its indices read (directly or through the loads inside them, closed over the axes
  /// that bound a reduction axis among them: a bag's range moves with the bag), summed over the loads. For
  /// `%table[%indices[j], d]` summed over `j in %offsets[b] .. %offsets[b + 1]`: b x j x d, a row of D elements
  /// per lookup. `WorkloadCost.init` takes the smaller of this and the whole tensor.
  ///
  /// Why this keeps the floor a lower bound: which elements a gather reads is decided by the data, so a correct
  /// kernel need not read the rest of the tensor (a bag lookup reads a few KB of a 64 MB table), and charging the
  /// whole tensor made every correct candidate beat the floor (flagged, the search had no best). The count
  /// assumes every lookup touches distinct elements (distinct rows; distinct loads distinct elements): a repeated
  /// index reads fewer compulsory bytes, but its repeats are cache hits a kernel can only exploit through the
  /// caches, which the floor does not model for data-dependent reuse; that is the one place it may err high, and
  /// it is chosen so that the floor stays the traffic of the plain gather. A load in a select's branch counts
  /// as taken at every point (a masked lookup may be skipped: the other place it may err high); a reduction range
  /// whose bounds read data counts as length 1 (as for the flops: errs low). Both are capped by the whole tensor,
  /// so the floor is never above the old one. A parameter also read through an index that reads no data (an
  /// affine read) keeps the whole tensor, so the floor of every spec without gathers is unchanged.
  static func gatheredElements(_ k: Kernel) -> [String: Double] {
    let dims = k.dimBindings
    var perLoad: [String: [Load: Double]] = [:]
    var readAffinely: Set<String> = []
    for d in k.definitions {
      var length: [String: Double] = [:]
      for a in d.axes { length[a.name] = Double(max(0, a.extent.evaluate(dims) ?? 0)) }
      for (name, l) in reductionLengths(d, k) { length[name] = l }
      var bounds: [String: Set<String>] = [:]
      for r in d.reduction?.axes ?? [] { bounds[r.name] = r.lowerBound.indexNames.union(r.upperBound.indexNames) }
      for e in d.expressions {
        for l in e.loads {
          guard l.indices.contains(where: { !$0.loads.isEmpty }) else {
            readAffinely.insert(l.tensor)
            continue
          }
          var axes = Set(l.indices.flatMap(\.indexNames))
          var open = Array(axes)
          while let a = open.popLast() {
            for b in bounds[a] ?? [] where axes.insert(b).inserted { open.append(b) }
          }
          let points = axes.reduce(1.0) { $0 * (length[$1] ?? 1) }
          perLoad[l.tensor, default: [:]][l] = max(perLoad[l.tensor]?[l] ?? 0, points)
        }
      }
    }
    var out: [String: Double] = [:]
    for (tensor, loads) in perLoad where !readAffinely.contains(tensor) {
      out[tensor] = loads.values.reduce(0, +)
    }
    return out
  }

  /// The floor of one definition as a kernel of its own: every tensor it reads, whole, once, its own tensor
  /// written once, and its flops over its domain (the same counting rules as the kernel's floor).
  public static func definition(_ d: Definition, in k: Kernel) -> (bytes: Double, flops: Double) {
    let dims = k.dimBindings
    var bytes = elements(d.shape, dims) * Double(d.dtype.byteSize)
    var seen: Set<String> = []
    for e in d.expressions {
      for l in e.loads where seen.insert(l.tensor).inserted {
        guard let t = k.tensorType(l.tensor) else { continue }
        bytes += elements(t.shape, dims) * Double(t.dtype.byteSize)
      }
    }
    let points = elements(d.shape, dims) * reductionLength(d, k)
    let ops = Double(floatOps(d.body, kernel: k, definition: d) + combineOps(d, kernel: k))
    return (bytes, productPoints(d, k, all: points) * ops)
  }

  /// The points of `d` (its domain times its reduction, `all` of them) that any schedule must evaluate: in a sum of
  /// a product, the points where a factor is zero add nothing, so they are not counted: where a zero-padded load
  /// reads outside its tensor (a transposed or padded convolution's taps on the padding: conv_transposed3d's 18^3
  /// outputs of a 16^3 input see 16 x 3 of their 18 x 3 taps per axis, 70% of them), and where the guard of a
  /// factor `where(cond, x[...], 0)` is false (a strided transposed convolution's `(s + 1 - p) % 2 == 0`: half the
  /// taps per axis). Counted exactly where every reduction range is constant: the variables are grouped by the
  /// conditions that tie them together (an output axis and its tap, `i - p`), and each group is counted on its own,
  /// the other variables multiplying. A group whose conditions are all affine (`IndexArithmetic.affine`, the shared
  /// analysis) in at most two variables is counted per value of its smaller variable, with the interval of the other
  /// that keeps every index inside; any other group by visiting its points (at most 2^16: a guarded 1-D transposed
  /// convolution's 257 x 3 at the CPU shape, not its 262149 x 3 at the bench shape), each condition's
  /// expressions evaluated by the one integer analysis (`IndexArithmetic.interval`) at the point. A guard's conjunct
  /// other than an equality of index expressions counts as true, and anything else uncountable counts `all` (the
  /// count never rises above it).
  static func productPoints(_ d: Definition, _ k: Kernel, all: Double) -> Double {
    guard let r = d.reduction, r.op == .sum, r.combiner == nil, !isPrefix(d) else { return all }
    func isZero(_ e: Expr) -> Bool {
      switch e {
      case .constant(let c): return c == .zero(c.dtype)
      case .cast(_, let a): return isZero(a)
      case .index, .dim, .scalar, .load, .unary, .binary, .select: return false
      }
    }
    // The factors of the product, and the guards of those that are `where(cond, value, 0)`.
    var factors: [Expr] = []
    var guards: [Expr] = []
    func collect(_ e: Expr) {
      switch e {
      case .binary(.mul, let a, let b):
        collect(a)
        collect(b)
      case .cast(_, let a): collect(a)
      case .select(let c, let a, let b) where isZero(b):
        guards.append(c)
        collect(a)
      case .constant, .index, .dim, .scalar, .load, .unary, .binary, .select: factors.append(e)
      }
    }
    collect(d.body)
    let arithmetic = IndexArithmetic(dims: k.dimBindings)
    var ranges: [String: ClosedRange<Int>] = [:]
    for a in d.axes {
      guard let n = a.extent.evaluate(k.dimBindings) else { return all }
      guard n >= 1 else { return 0 }
      ranges[a.name] = 0...(n - 1)
    }
    for a in r.axes {
      guard let lo = arithmetic.affine(a.lowerBound), lo.terms.isEmpty, let hi = arithmetic.affine(a.upperBound),
        hi.terms.isEmpty
      else { return all }
      guard hi.constant > lo.constant else { return 0 }
      ranges[a.name] = lo.constant...(hi.constant - 1)
    }
    // The conditions: each index of a zero-padded factor lies in 0 ..< its extent; each equality of a guard holds.
    enum Condition {
      case inside(Expr, extent: Int)
      case equal(Expr, Expr)
      var variables: Set<String> {
        switch self {
        case .inside(let e, _): return e.indexNames
        case .equal(let a, let b): return a.indexNames.union(b.indexNames)
        }
      }
    }
    var conditions: [Condition] = []
    for f in factors {
      guard case .load(let l) = f, case .padded(let pad) = l.bounds, pad.map({ $0 == .zero($0.dtype) }) ?? true,
        let shape = k.tensorType(l.tensor)?.shape, shape.count == l.indices.count
      else { continue }
      for (index, size) in zip(l.indices, shape) {
        guard let extent = size.evaluate(k.dimBindings) else { return all }
        conditions.append(.inside(index, extent: extent))
      }
    }
    func conjuncts(_ e: Expr) {
      switch e {
      case .binary(.and, let a, let b):
        conjuncts(a)
        conjuncts(b)
      case .binary(.eq, let a, let b): conditions.append(.equal(a, b))
      case .constant, .index, .dim, .scalar, .load, .unary, .binary, .select, .cast: break
      }
    }
    guards.forEach(conjuncts)
    if conditions.isEmpty { return all }
    guard conditions.allSatisfy({ $0.variables.allSatisfy { ranges[$0] != nil } }) else { return all }
    var pointArithmetic = arithmetic
    func holds(_ c: Condition, at point: [String: Int]) -> Bool? {
      pointArithmetic.variables = point.mapValues {
        IndexArithmetic.Interval(lo: Int64($0), hi: Int64($0), dtype: .i64)
      }
      switch c {
      case .inside(let e, let extent):
        guard let v = pointArithmetic.interval(e), v.dtype.isInteger, v.lo == v.hi else { return nil }
        return v.lo >= 0 && v.lo < Int64(extent)
      case .equal(let a, let b):
        guard let x = pointArithmetic.interval(a), let y = pointArithmetic.interval(b), x.dtype.isInteger,
          y.dtype.isInteger, x.lo == x.hi, y.lo == y.hi
        else { return nil }
        return x.lo == y.lo
      }
    }
    // The interval of `v` that keeps `c + a v` in 0 ..< extent (a != 0), as lo ... hi (empty when lo > hi).
    func solve(_ a: Int, _ c: Int, _ extent: Int) -> (Int, Int) {
      func floorDiv(_ x: Int, _ y: Int) -> Int { Int((Double(x) / Double(y)).rounded(.down)) }
      func ceilDiv(_ x: Int, _ y: Int) -> Int { Int((Double(x) / Double(y)).rounded(.up)) }
      return a > 0 ? (ceilDiv(-c, a), floorDiv(extent - 1 - c, a)) : (ceilDiv(extent - 1 - c, a), floorDiv(-c, a))
    }
    // Group the variables the conditions tie together; a condition on constants alone holds or empties the count.
    var groups: [Set<String>] = []
    for c in conditions {
      let vars = c.variables
      if vars.isEmpty {
        guard let ok = holds(c, at: [:]) else { return all }
        if !ok { return 0 }
        continue
      }
      let touching = groups.filter { !$0.isDisjoint(with: vars) }
      groups.removeAll { !$0.isDisjoint(with: vars) }
      groups.append(touching.reduce(vars) { $0.union($1) })
    }
    var count = 1.0
    var constrained: Set<String> = []
    for g in groups {
      constrained.formUnion(g)
      let mine = conditions.filter { !$0.variables.isEmpty && $0.variables.isSubset(of: g) }
      let vars = g.sorted { (ranges[$0]?.count ?? 0, $0) < (ranges[$1]?.count ?? 0, $1) }
      var forms: [(form: IndexArithmetic.Affine, extent: Int)] = []
      for c in mine {
        guard case .inside(let e, let extent) = c, let form = arithmetic.affine(e) else { break }
        forms.append((form, extent))
      }
      var inside = 0.0
      if forms.count == mine.count, vars.count == 2, let outer = ranges[vars[0]], let inner = ranges[vars[1]],
        outer.count <= 1 << 20
      {
        for u in outer {
          var lo = inner.lowerBound
          var hi = inner.upperBound
          for c in forms {
            let a = c.form.terms[vars[1]] ?? 0
            let rest = c.form.constant &+ (c.form.terms[vars[0]] ?? 0) &* u
            if a == 0 {
              if rest < 0 || rest >= c.extent { hi = lo - 1 }
              continue
            }
            let (l, h) = solve(a, rest, c.extent)
            lo = max(lo, l)
            hi = min(hi, h)
          }
          inside += Double(max(0, hi - lo + 1))
        }
      } else {
        // Every point of the group, each condition evaluated there.
        let sizes = vars.map { ranges[$0]?.count ?? 0 }
        guard sizes.reduce(1.0, { $0 * Double($1) }) <= Double(1 << 16) else { return all }
        var point: [String: Int] = [:]
        func visit(_ i: Int) -> Bool {
          guard i < vars.count else {
            for c in mine {
              guard let ok = holds(c, at: point) else { return false }
              if !ok { return true }
            }
            inside += 1
            return true
          }
          guard let range = ranges[vars[i]] else { return false }
          for v in range {
            point[vars[i]] = v
            if !visit(i + 1) { return false }
          }
          return true
        }
        guard visit(0) else { return all }
      }
      count *= inside
    }
    for (name, range) in ranges where !constrained.contains(name) { count *= Double(range.count) }
    return min(all, count)
  }

  /// Whether a definition, as a kernel of its own, is compute-bound on the machine's general-purpose units: its
  /// flops over the arithmetic peak exceed its bytes over the bandwidth (arithmetic intensity above the
  /// machine's balance, `peakFlops / bandwidth`).
  public static func isComputeBound(_ d: Definition, in k: Kernel, machine: ScheduleCost.Machine = .init()) -> Bool {
    let c = definition(d, in: k)
    return c.flops / max(machine.peakFlops, 1) > c.bytes / max(machine.bandwidth, 1)
  }

  /// The compulsory bytes and flops as integers (saturating), as the torch reference module's `COST` states them.
  public var integral: (bytes: Int, flops: Int) {
    func clamp(_ x: Double) -> Int { x.isFinite && x < 9.0e18 ? Int(max(0, x)) : Int.max }
    return (clamp(bytes), clamp(flops))
  }

  static func elements(_ shape: [SizeExpr], _ dims: [String: Int]) -> Double {
    shape.reduce(1.0) { $0 * Double(max(0, $1.evaluate(dims) ?? 0)) }
  }

  /// Operations that fold one point into a reduction: one for a monoid (sum, max, ...) and argmax/argmin, the
  /// combiner's own for a tuple reduction (its other elements and combine expressions).
  static func combineOps(_ d: Definition, kernel k: Kernel) -> Int {
    guard let r = d.reduction else { return 0 }
    guard let c = r.combiner else { return 1 }
    return max(1, (c.otherElements + c.combine).reduce(0) { $0 + floatOps($1, kernel: k, definition: d) })
  }

  /// Points of a definition's reduction per output point: ranges that depend on the axes at their mid-points.
  public static func reductionLength(_ d: Definition, _ k: Kernel) -> Double {
    reductionLengths(d, k).values.reduce(1, *)
  }

  /// Each reduction axis's length at the mid-points of the axes and of the reduction axes before it.
  static func reductionLengths(_ d: Definition, _ k: Kernel) -> [String: Double] {
    guard let r = d.reduction else { return [:] }
    // A prefix (a scan, or a triangle `to_scan` makes one) folds one element per point.
    if isPrefix(d) { return Dictionary(uniqueKeysWithValues: r.axes.map { ($0.name, 1.0) }) }
    let dims = k.dimBindings
    var mid: [String: Double] = [:]
    for a in d.axes { mid[a.name] = Double(max(0, (a.extent.evaluate(dims) ?? 0) - 1)) / 2 }
    var lengths: [String: Double] = [:]
    for axis in r.axes {
      let lo = average(axis.lowerBound, mid: mid, dims: dims)
      let hi = average(axis.upperBound, mid: mid, dims: dims)
      let length: Double
      if let lo, let hi { length = max(0, hi - lo) } else { length = 1 }
      lengths[axis.name] = length
      mid[axis.name] = (lo ?? 0) + max(0, length - 1) / 2
    }
    return lengths
  }

  /// Whether the reduction is a prefix along one of its axes: a scan, or a triangular range `[j in lo .. (i + 1)]`,
  /// `[j in lo .. i]` or `[j in i .. E]` that `to_scan` makes one (Scan.swift's conditions).
  static func isPrefix(_ d: Definition) -> Bool {
    guard let r = d.reduction, r.axes.count == 1 else { return false }
    if r.scanAxis != nil { return true }
    if d.axes.contains(where: { d.scanProblem(along: $0.name) == nil }) { return true }
    // A suffix [j in i .. E], E the extent of i, not reading i otherwise (a scan of the reversed axis).
    if case .index(let i) = r.axes[0].lowerBound, let axis = d.axes.first(where: { $0.name == i }),
      r.axes[0].upperBound == axis.extent.expr,
      !([d.body] + (r.combiner?.otherElements ?? [])).contains(where: { $0.indexNames.contains(i) })
    {
      return true
    }
    guard case .index(let i) = r.axes[0].upperBound, d.axes.contains(where: { $0.name == i }) else { return false }
    var inclusive = d
    var rr = r
    rr.axes[0].upperBound = .binary(.add, .index(i), .constant(.int(1)))
    inclusive.reduction = rr
    return inclusive.scanProblem(along: i) == nil
  }

  /// The value of an integer expression with index variables at their mid-points; nil when it reads data.
  static func average(_ e: Expr, mid: [String: Double], dims: [String: Int]) -> Double? {
    switch e {
    case .constant(let c): return c.doubleValue
    case .index(let n): return mid[n]
    case .dim(let n): return dims[n].map(Double.init)
    case .scalar, .load, .select: return nil
    case .cast(_, let a): return average(a, mid: mid, dims: dims)
    case .unary(let op, let a):
      guard let x = average(a, mid: mid, dims: dims) else { return nil }
      switch op {
      case .neg: return -x
      case .abs: return Swift.abs(x)
      case .not, .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .erf, .floor, .ceil, .isnan: return nil
      }
    case .binary(let op, let a, let b):
      guard let x = average(a, mid: mid, dims: dims), let y = average(b, mid: mid, dims: dims) else { return nil }
      switch op {
      case .add: return x + y
      case .sub: return x - y
      case .mul: return x * y
      case .div: return y == 0 ? 0 : (x / y).rounded(.down)
      case .max: return Swift.max(x, y)
      case .min: return Swift.min(x, y)
      case .mod, .pow, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return nil
      }
    }
  }

  /// Float arithmetic operations in one evaluation of `e` (integer index arithmetic, comparisons, selects, casts
  /// and loads are free).
  public static func floatOps(_ e: Expr, kernel: Kernel, definition: Definition) -> Int {
    var n = 0
    func visit(_ e: Expr) {
      switch e {
      case .constant, .index, .dim, .scalar: break
      case .load(let l): l.indices.forEach(visit)
      case .unary(let op, let a):
        visit(a)
        switch op {
        case .neg, .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .erf, .floor, .ceil:
          if kernel.type(of: a, in: definition)?.isFloat == true { n += 1 }
        case .not, .isnan: break
        }
      case .binary(let op, let a, let b):
        visit(a)
        visit(b)
        switch op {
        case .add, .sub, .mul, .div, .mod, .max, .min, .pow:
          if kernel.type(of: a, in: definition)?.isFloat == true { n += 1 }
        case .eq, .ne, .lt, .le, .gt, .ge, .and, .or: break
        }
      case .select(let c, let a, let b):
        visit(c)
        visit(a)
        visit(b)
      case .cast(_, let a): visit(a)
      }
    }
    visit(e)
    return n
  }

  /// The shortest time any schedule can take on the machine: max(memory, flops / peak), memory as
  /// `MachinePeaks.memorySeconds` counts it (bytes over the bandwidth of the levels they can be served from).
  public func floorSeconds(_ m: MachinePeaks) -> Double {
    max(m.memorySeconds(bytes), flops / max(m.peakFlops, 1))
  }

  /// Whether the memory side of the roofline dominates.
  public func isMemoryBound(_ m: MachinePeaks) -> Bool { m.memorySeconds(bytes) >= flops / max(m.peakFlops, 1) }
}

/// Bandwidth (bytes/s) and arithmetic peak (flops/s) of a target, and the cache levels in front of its memory
/// (CPU; none on a GPU, whose floor reads `bandwidth` alone).
public struct MachinePeaks: Sendable, Hashable, Codable {
  /// Bytes per second from memory (DRAM; on a GPU, HBM).
  public var bandwidth: Double
  public var peakFlops: Double
  /// The caches, smallest first: a working set that fits in them is served at their bandwidth.
  public var levels: [MemoryLevel]

  public init(bandwidth: Double, peakFlops: Double, levels: [MemoryLevel] = []) {
    self.bandwidth = bandwidth
    self.peakFlops = peakFlops
    self.levels = levels
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    bandwidth = try c.decode(Double.self, forKey: .bandwidth)
    peakFlops = try c.decode(Double.self, forKey: .peakFlops)
    levels = try c.decodeIfPresent([MemoryLevel].self, forKey: .levels) ?? []
  }

  /// The least time to move `bytes` of compulsory traffic (every input read and every output written once) into
  /// and out of the cores. Every byte passes through the first level, at its bandwidth; the bytes beyond the
  /// capacity of the levels up to one (all of them counted as exclusive: the most they could hold) come from the
  /// levels after it, at best at the next one's bandwidth; what no cache holds, from memory. The largest of these
  /// times is a lower bound (each level's bandwidth taken as at least every later one's), and it grows with
  /// `bytes`. With no levels: `bytes / bandwidth`.
  public func memorySeconds(_ bytes: Double) -> Double {
    let tiers = levels.map { ($0.bytes, $0.bandwidth) } + [(Double.infinity, bandwidth)]
    var seconds = 0.0
    var held = 0.0
    for (i, tier) in tiers.enumerated() {
      let rate = tiers[i...].map(\.1).max() ?? tier.1
      seconds = max(seconds, max(0, bytes - held) / max(rate, 1))
      held += tier.0
    }
    return seconds
  }
}

/// One cache level of a CPU as the floor sees it: the bytes it holds over all the cores (a private cache counted
/// once per core) and the bytes per second it serves to all of them together.
public struct MemoryLevel: Sendable, Hashable, Codable {
  public var bytes: Double
  public var bandwidth: Double
  public init(bytes: Double, bandwidth: Double) {
    self.bytes = bytes
    self.bandwidth = bandwidth
  }
}

/// The analytic cost of one scheduled kernel (see the file's summary).
public struct ScheduleCost: Sendable, Hashable {
  /// Seconds the analytic model predicts.
  public var seconds: Double
  public var kernels: Int
  /// Bytes moved from DRAM.
  public var bytes: Double
  /// Operand tiles of contractions read again by other programs (L2).
  public var rereadBytes: Double
  /// Multi-element regions of producers computed inside programs (per-program scratch).
  public var scratchBytes: Double
  public var flops: Double
  /// Programs of the least parallel kernel and lanes of the smallest block (the parallelism features).
  public var minPrograms: Double
  public var minLanes: Double
  /// The least occupancy over kernels: programs over the resident program slots of the machine, at most 1.
  public var occupancy: Double
  /// Elements of the largest `dot` tile (m x n x k per program), 0 without one.
  public var dotTile: Double
  /// The most warps and pipeline stages of a kernel's launch (GPU; 0 when unset).
  public var warps: Double
  public var stages: Double
  /// Seconds of each kernel, by the name of the root definition it computes (GPU sketch `k-major` weighs a staged
  /// copy's kernel against its contraction's).
  public var kernelSeconds: [String: Double] = [:]

  public init(
    seconds: Double, kernels: Int, bytes: Double, rereadBytes: Double, scratchBytes: Double, flops: Double,
    minPrograms: Double, minLanes: Double, occupancy: Double, dotTile: Double, warps: Double, stages: Double
  ) {
    self.seconds = seconds
    self.kernels = kernels
    self.bytes = bytes
    self.rereadBytes = rereadBytes
    self.scratchBytes = scratchBytes
    self.flops = flops
    self.minPrograms = minPrograms
    self.minLanes = minLanes
    self.occupancy = occupancy
    self.dotTile = dotTile
    self.warps = warps
    self.stages = stages
  }

  /// The features the fitted model regresses on (logs, and a constant first).
  public var features: [Double] {
    [
      1, log(max(seconds, 1e-9)), log(max(minPrograms, 1)), log(max(minLanes, 1)), Double(kernels), log(max(bytes, 1)),
      log(max(rereadBytes, 1)), log(max(scratchBytes, 1)), occupancy, log(max(dotTile, 1)), log(max(warps, 1)), stages,
    ]
  }

  /// Machine numbers of the analytic model; defaults are an H100-class GPU (only ratios matter for ranking).
  /// The arithmetic rates are the one table of peaks: `peakFlops` is the threads' FMA peak (what an f32 `ieee`
  /// contraction runs at), `dotFlops` the matrix units' peak on 16-bit operands (bf16/f16 operands, or f32 ones
  /// with `precision(y, bf16)`) and the rate of the roofline floor (`floorPeaks`), `tf32Flops` the matrix units'
  /// rate on tf32 operands (half of it on H100; `tf32x3` takes three passes of it). The search's measured peaks
  /// (python/kevc_gpu/ceilings.py: bf16 and tf32 `torch.matmul`) stand for `dotFlops`.
  public struct Machine: Sendable, Hashable {
    public var bandwidth = 3.0e12
    public var peakFlops = 5.0e13
    public var dotFlops = 5.0e14
    public var tf32Flops = 2.5e14
    public var launchSeconds = 3.0e-6
    /// Elements one thread (or vector lane) streams per second inside a program.
    public var threadRate = 1.0e9
    /// The least time of one step of a serial loop inside a program (a dependent load per step on a GPU).
    public var stepSeconds = 1.0e-7
    /// Elements the whole machine processes per second when every program slot is busy.
    public var elementRate = 4.0e12
    /// Multiprocessors (GPU) or cores (CPU) that programs spread over.
    public var multiprocessors = 132
    /// The caches in front of `bandwidth` (CPU, measured; none on a GPU): see `MachinePeaks.memorySeconds`.
    public var levels: [MemoryLevel] = []
    /// Threads of one program when its launch does not say (GPU: 4 warps of 32); 1 on a CPU.
    public var defaultThreads = 128
    /// Resident programs per multiprocessor are `residentWarps / warps` (1 program per core on a CPU).
    public var residentWarps = 64
    /// The `dot` facts (issue 15; GPU only). Shared memory the resident programs of one multiprocessor divide, in
    /// bytes: `GPUCapability.sharedMemoryPerBlock` of an H100 (227 KiB a block of the SM's 228 KiB).
    public var sharedMemoryPerMultiprocessor = 227 * 1024.0
    /// Threads of a warp (`GPUCapability.warpSize`): Triton's shared-memory layout of a dot depends on it
    /// (`dotSharedMemory`).
    public var warpSize = 32
    /// Bytes per second the shared memory of every multiprocessor serves together: 128 bytes a clock per SM (32
    /// banks of 4 bytes, the CUDA programming guide's shared-memory bank model), at an H100's 1.755 GHz boost
    /// clock, times its 132 SMs. A dot's warps read their operand fragments from it.
    public var sharedBandwidth = 128 * 1.755e9 * 132
    /// Seconds from issuing a DRAM load to its data (an H100's HBM3: about 500 ns under load in published pointer-
    /// chasing measurements, more than its idle ~480 ns). Little's law: to run at `bandwidth` each multiprocessor
    /// must keep `memoryLatency x bandwidth / multiprocessors` bytes in flight.
    public var memoryLatency = 5.0e-7
    /// A CPU thread pool's fork and join, paid once per entry of a parallel loop (0 on a GPU: its launch is the
    /// kernel's). `cpuForkJoinSeconds` on a CPU.
    public var forkJoinSeconds = 0.0
    /// The fork-join cost of `kevc_parallel_for` the CPU model charges per entry of a parallel loop: a documented
    /// constant, not measured per machine. Measured on the 2-core development machine under load (five builds
    /// beside it): 414 us per entry (embedding_bag's 64 bags of 16 lanes, 0.13 us of work serial); a thread pool on
    /// an idle machine pays far less (a wake-up; not measured here). 100 us keeps kernels of less than about twice
    /// that much serial work on one thread, where the pool can lose 3000x on a loaded machine and serial code at
    /// most the core count on an idle one.
    public static let cpuForkJoinSeconds = 1.0e-4
    /// Cores whose streams it takes to reach `bandwidth` (CPU): one core's loads and stores reach about a quarter
    /// of a many-core machine's memory bandwidth (half of a two-core one's). An approximation, not measured.
    public var streamCores = 4.0
    /// Bytes of one vector register of a CPU core and how many of them it has, what the default CPU schedule sizes
    /// its register tiles by (`DefaultSchedule.registerTile`): 32 and 16 are AVX2's (and the default, the same on
    /// every host); `vectorUnit(llvmFeatures:)` reads them from the target machine's features. Unused on a GPU.
    public var vectorBytes = 32
    public var vectorRegisters = 16
    public init() {}

    /// This CPU machine with the vector registers that the LLVM target features `llvmFeatures` (LLVM's spelling,
    /// `+avx2,+fma,+avx512f,...`: what the target machine compiles for) give: AVX-512F, 32 registers of 64 bytes;
    /// AVX, 16 of 32; otherwise (SSE, or a target other than x86) the AVX2 default is kept. A feature listed
    /// several times counts as its last mention.
    public func vectorUnit(llvmFeatures: String) -> Machine {
      var enabled: [Substring: Bool] = [:]
      for f in llvmFeatures.split(separator: ",") where f.count > 1 {
        if f.first == "+" { enabled[f.dropFirst()] = true } else if f.first == "-" { enabled[f.dropFirst()] = false }
      }
      var m = self
      if enabled["avx512f"] == true {
        (m.vectorBytes, m.vectorRegisters) = (64, 32)
      } else if enabled["avx"] == true {
        (m.vectorBytes, m.vectorRegisters) = (32, 16)
      }
      return m
    }

    /// A GPU with that many multiprocessors.
    public static func gpu(multiprocessors: Int) -> Machine {
      var m = Machine()
      m.multiprocessors = multiprocessors
      return m
    }

    /// Shared memory Triton 3.6 allocates for a `tl.dot` loop, an upper bound fitted to `--check-aot`'s
    /// `metadata.shared`: with 32-thread warps (CUDA) the larger of the operand tiles ([m, k] and [k, n] elements
    /// of `operandBytes` each) in `stages - 1` buffers and the f32 accumulator tile (its epilogue layout conversion
    /// goes through shared memory: 64 KiB for 128x128); with 64-thread wavefronts (HIP) one buffer of both operand
    /// tiles per stage past the first, no accumulator. The one formula: `GPUCapability.dotSharedMemory` (the
    /// default schedule's and the audit's) and the estimate's programs per multiprocessor read it.
    public static func dotSharedMemory(m: Int, n: Int, k: Int, stages: Int, operandBytes: Int, warpSize: Int) -> Int {
      let pipeline = max(1, stages - 1) * (m * k + k * n) * operandBytes
      return warpSize == 32 ? max(pipeline, m * n * 4) : pipeline
    }

    /// The peaks of the roofline floor: the memory bandwidth (behind the caches, on a CPU) and the matrix units'
    /// peak, what the best possible kernel needs whatever precision a schedule picks (`WorkloadCost.floorSeconds`).
    /// The one definition of the floor's machine: the search's flag, the report and `kevc audit` read it.
    public var floorPeaks: MachinePeaks { MachinePeaks(bandwidth: bandwidth, peakFlops: dotFlops, levels: levels) }

    /// The rate of a contraction (`dot`) whose operands are `operandBytes` wide, at `precision`: 16-bit operands
    /// and `bf16` at the matrix units' peak, `tf32` at the tf32 rate, `tf32x3` at a third of it (three passes),
    /// `bf16x3` at a third of the 16-bit peak (three bf16 passes: on an H100 1.5 tf32 passes, half tf32x3's work),
    /// wider operands without a precision (`ieee`) at the FMA peak.
    public func contractionFlops(precision: DotPrecision?, operandBytes: Int) -> Double {
      if operandBytes <= 2 { return dotFlops }
      switch precision {
      case .bf16?: return dotFlops
      case .tf32?: return tf32Flops
      case .tf32x3?: return tf32Flops / 3
      case .bf16x3?: return dotFlops / 3
      case nil: return peakFlops
      }
    }

    /// A CPU: `cores` programs at a time, one thread each, vector lanes as threads; measured peaks when known.
    public static func cpu(cores: Int, peaks: MachinePeaks? = nil) -> Machine {
      var m = Machine()
      m.multiprocessors = max(1, cores)
      m.defaultThreads = 1
      m.residentWarps = 1
      m.launchSeconds = 1e-6
      m.bandwidth = peaks?.bandwidth ?? 2.0e10
      m.peakFlops = peaks?.peakFlops ?? 5.0e10
      m.levels = peaks?.levels ?? []
      m.dotFlops = m.peakFlops
      m.tf32Flops = m.peakFlops
      m.threadRate = 2.0e9
      m.stepSeconds = 2.0e-9
      m.elementRate = Double(m.multiprocessors) * 8 * m.threadRate
      m.forkJoinSeconds = cpuForkJoinSeconds
      return m
    }
  }

  public static func estimate(_ k: Kernel, machine: Machine = Machine()) -> ScheduleCost {
    // Extents of loops; a reduction axis whose bounds are not constant counts its mid-point length (as the floor).
    func ext(_ loop: String, _ d: Definition) -> Double {
      if let e = try? k.maxExtent(loop, in: d) { return Double(max(1, e)) }
      let root = Kernel.rootVariable(of: loop, in: d.effectiveSchedule)
      let whole = WorkloadCost.reductionLengths(d, k)[root] ?? 1
      if let split = d.effectiveSchedule.splits.first(where: { $0.inner == loop }) { return max(1, min(whole, Double(split.factor))) }
      if let split = d.effectiveSchedule.splits.first(where: { $0.outer == loop }) { return max(1, (whole / Double(split.factor)).rounded(.up)) }
      return max(1, whole)
    }
    func pow2(_ x: Double) -> Double { x <= 1 ? 1 : pow(2, ceil(log2(x))) }
    func bytes(of tensor: String) -> Double {
      guard let t = k.tensorType(tensor) else { return 0 }
      return WorkloadCost.elements(t.shape, k.dimBindings) * Double(t.dtype.byteSize)
    }
    func isGrid(_ l: ScheduledLoop) -> Bool { l.kind.isProgramLoop }
    // A contraction's rate: its precision and its widest operand (what the matrix units or the threads run).
    func contractionRate(_ q: Definition) -> Double {
      let widest = Set(q.body.loads.map(\.tensor)).compactMap { k.tensorType($0)?.dtype.byteSize }.max() ?? 4
      return machine.contractionFlops(precision: q.effectiveSchedule.dotPrecision, operandBytes: widest)
    }
    func isLane(_ l: ScheduledLoop) -> Bool { l.kind.isLaneLoop }
    // A dot's tile from its block loops (block.y = m, block.x = n, block.z = the k step:
    // DefaultGPUSchedule.scheduleContraction), each the next power of two, at the extents one run covers.
    func tileOf(_ q: Definition, extents: [String: Double]) -> DotTile? {
      var byDim: [GPUDimension: Double] = [:]
      for l in q.effectiveSchedule.loops {
        if case .gpu(let g) = l.kind { byDim[g, default: 1] *= pow2(extents[l.name] ?? ext(l.name, q)) }
      }
      guard let m = byDim[.blockY], let n = byDim[.blockX] else { return nil }
      let widest = Set(q.body.loads.map(\.tensor)).compactMap { k.tensorType($0)?.dtype.byteSize }.max() ?? 4
      return DotTile(m: m, n: n, k: byDim[.blockZ] ?? 1, operandBytes: Double(widest), rate: contractionRate(q))
    }
    var total = ScheduleCost(
      seconds: 0, kernels: 0, bytes: 0, rereadBytes: 0, scratchBytes: 0, flops: 0, minPrograms: .infinity,
      minLanes: .infinity, occupancy: 1, dotTile: 0, warps: 0, stages: 0)
    // Every producer computed inside a root definition's kernel, through chains of compute_at.
    func producersInside(_ root: String) -> [Definition] {
      var inside: [Definition] = []
      var frontier = [root]
      while let c = frontier.popLast() {
        for p in k.definitions {
          guard case .computeAt(let at, _) = p.effectiveSchedule.placement, at == c, !inside.contains(where: { $0.name == p.name })
          else { continue }
          inside.append(p)
          frontier.append(p.name)
        }
      }
      return inside
    }
    // A tensor its phases store in place (`store_phases`) is no kernel: no pass over it, its phases' kernels write
    // their slices of it (each its own bytes).
    let assembled = k.assembledInPlace
    for d in k.definitions where d.effectiveSchedule.placement == .root && !assembled.contains(d.name) {
      let inside = producersInside(d.name)
      var programs = 1.0
      var lanes = 1.0
      var serial = 1.0
      var vectorized = false
      var laneList: [(variable: String, extent: Double)] = []
      for l in d.effectiveSchedule.loops {
        if isGrid(l) {
          programs *= ext(l.name, d)
          continue
        }
        switch l.kind {
        case .gpu:
          lanes *= pow2(ext(l.name, d))
          laneList.append((Kernel.rootVariable(of: l.name, in: d.effectiveSchedule), pow2(ext(l.name, d))))
        case .vectorized:
          lanes *= pow2(ext(l.name, d))
          vectorized = true
        case .serial, .parallel, .unrolled: serial *= ext(l.name, d)
        }
      }
      // A block fold (a max-rescaled tuple reduction with reduction lanes, folded in closed form: TritonBlockFold):
      // the element's operations run on the weights' lanes only (one `exp` per weight); a component that reads
      // lanes the maximum's element does not (`sum_j p[i, j] * v[j, e]`) is one matrix product per block, at the
      // matrix units' rate for its operand type (the weights rounded to it).
      let fold = machine.residentWarps == 1 ? nil : MaxRescaledCombiner.blockFold(d, in: k, lanes: laneList)
      let elementLanes = fold?.weights ?? lanes
      let foldDotOps = fold.map { programs * serial * $0.weights * $0.extra * 2 * Double($0.contractions) } ?? 0
      let foldDotSeconds = fold.map { foldDotOps / machine.contractionFlops(precision: d.effectiveSchedule.dotPrecision, operandBytes: $0.operandBytes) } ?? 0
      let warps = Double(d.effectiveSchedule.launch?.warps ?? machine.defaultThreads / 32)
      let threads = machine.defaultThreads == 1 ? (vectorized ? min(lanes, 8) : 1) : max(1, warps) * 32
      // One step of a serial loop in a program: its lanes over the threads, at least the loop's latency.
      func step(_ lanes: Double) -> Double { max(machine.stepSeconds, (lanes / threads).rounded(.up) / machine.threadRate) }
      // Producers inside: their own loops once per iteration of the consumer's loops down to the one they are
      // computed at, over the region those iterations leave (a producer axis the outer loops walk counts its
      // extent divided by theirs).
      var insideWork = 0.0
      var insideSteps = 0.0
      var insideOps = 0.0
      var insideDotOps = 0.0
      var insideDotSeconds = 0.0
      // The m x n x k-step tile of the kernel's `dot` (its own, or one computed inside) and its operands' bytes.
      var dotTileShape: DotTile?
      var scratch = 0.0
      var insideResults = 0.0
      // Runs of each definition of the kernel (the root: 1) and the extent its outer loops cover of each axis.
      var runsOf: [String: Double] = [d.name: 1]
      var coveredOf: [String: [String: Double]] = [d.name: [:]]
      // Each loop's extent in one run of `q`: an axis whose extent the outer loops covered `o` times keeps its
      // extent over `o`, shared by its loops innermost first (a split axis, m.o x m.i, whose m.o the consumer walks
      // leaves m.i whole and m.o once, not each part divided by `o`).
      // Axes of a producer that its consumer reads at one point per run through an index expression of the loops
      // outside the one it is computed at only (`_r0[m.o * 608 + m.i]` inside a loop over m.o, which the coverage by
      // name below does not see): one element per run.
      var pinnedOf: [String: Set<String>] = [:]
      func perRunExtents(_ q: Definition) -> [String: Double] {
        let loops = q.effectiveSchedule.loops
        if let pinned = pinnedOf[q.name], !pinned.isEmpty {
          var out: [String: Double] = [:]
          let rest = perRunExtents(unpinned: q)
          for l in loops {
            out[l.name] = pinned.contains(Kernel.rootVariable(of: l.name, in: q.effectiveSchedule)) ? 1 : rest[l.name]
          }
          return out
        }
        return perRunExtents(unpinned: q)
      }
      func perRunExtents(unpinned q: Definition) -> [String: Double] {
        let loops = q.effectiveSchedule.loops
        var left: [String: Double] = [:]
        for l in loops {
          let root = Kernel.rootVariable(of: l.name, in: q.effectiveSchedule)
          guard q.axes.contains(where: { $0.name == root }), coveredOf[q.name]?[root] != nil else { continue }
          left[root, default: 1] *= ext(l.name, q)
        }
        for (root, whole) in left { left[root] = max(1, (whole / (coveredOf[q.name]?[root] ?? 1)).rounded(.up)) }
        var out: [String: Double] = [:]
        for l in loops.reversed() {
          let root = Kernel.rootVariable(of: l.name, in: q.effectiveSchedule)
          let e = ext(l.name, q)
          guard let budget = left[root] else {
            out[l.name] = e
            continue
          }
          out[l.name] = max(1, min(e, budget))
          left[root] = max(1, (budget / e).rounded(.up))
        }
        return out
      }
      var pending = inside
      while let i = pending.firstIndex(where: { p in
        if case .computeAt(let c, _) = p.effectiveSchedule.placement { return runsOf[c] != nil }
        return false
      }) {
        let p = pending.remove(at: i)
        guard case .computeAt(let c, let at) = p.effectiveSchedule.placement, let cd = k.definitions.first(where: { $0.name == c }),
          let cRuns = runsOf[c]
        else { continue }
        let cLoops = cd.effectiveSchedule.loops
        let upto = cLoops.firstIndex { $0.name == at } ?? (cLoops.count - 1)
        var runs = cRuns
        var covered = coveredOf[c] ?? [:]
        // Block and vector loops run at once: a producer computed at one covers the whole block.
        let cExtents = perRunExtents(cd)
        for l in cLoops.prefix(upto + 1) where !isLane(l) {
          let e = cExtents[l.name] ?? 1
          runs *= e
          covered[Kernel.rootVariable(of: l.name, in: cd.effectiveSchedule), default: 1] *= e
        }
        runsOf[p.name] = runs
        coveredOf[p.name] = covered
        var fixed = Set(cLoops.prefix(upto + 1).filter { !isLane($0) }.map(\.name))
        for l in cLoops {
          let root = Kernel.rootVariable(of: l.name, in: cd.effectiveSchedule)
          if cLoops.filter({ Kernel.rootVariable(of: $0.name, in: cd.effectiveSchedule) == root }).allSatisfy({ fixed.contains($0.name) }) {
            fixed.insert(root)
          }
        }
        let readsOfP = cd.expressions.flatMap(\.loads).filter { $0.tensor == p.name }
        if !readsOfP.isEmpty {
          // (A bare variable is the coverage above's; an index expression of fixed loops only, pinned here.)
          pinnedOf[p.name] = Set(p.axes.enumerated().filter { (i, _) in
            readsOfP.allSatisfy { r in
              guard i < r.indices.count else { return false }
              if case .index = r.indices[i] { return false }
              return r.indices[i].indexNames.isSubset(of: fixed)
            }
          }.map { $0.element.name })
        }
        var w = 1.0
        var region = 1.0
        var pSerial = 1.0
        var pLanes = 1.0
        let pExtents = perRunExtents(p)
        for l in p.effectiveSchedule.loops {
          let root = Kernel.rootVariable(of: l.name, in: p.effectiveSchedule)
          var e = pExtents[l.name] ?? 1
          if isLane(l) {
            e = pow2(e)
            pLanes *= e
          } else {
            pSerial *= e
          }
          w *= e
          if p.axes.contains(where: { $0.name == root }) { region *= e }
        }
        let perProgram = runs / max(1, programs)
        if !p.effectiveSchedule.isDot { insideSteps += perProgram * pSerial * step(pLanes) }
        if region > 1 { scratch += runs * region * Double(p.reduction?.accumulator.byteSize ?? 4) }
        if k.results.contains(where: { $0.name == p.name }) { insideResults += bytes(of: p.name) }
        let ops = Double(WorkloadCost.floatOps(p.body, kernel: k, definition: p) + WorkloadCost.combineOps(p, kernel: k))
        // A contraction inside (a tl.dot tile) runs at the matrix units' rate, outside the threads' latency.
        if p.effectiveSchedule.isDot {
          dotTileShape = dotTileShape ?? tileOf(p, extents: pExtents)
          insideDotOps += perProgram * w * ops
          insideDotSeconds += perProgram * w * ops / contractionRate(p)
          total.dotTile = max(total.dotTile, w)
        } else {
          insideWork += perProgram * w
          insideOps += perProgram * w * ops
        }
      }
      let points = programs * serial * elementLanes
      let ops = Double(WorkloadCost.floatOps(d.body, kernel: k, definition: d) + WorkloadCost.combineOps(d, kernel: k))
      let flops = points * ops + programs * insideOps
      var read: Set<String> = []
      for e in ([d] + inside).flatMap(\.expressions) { for l in e.loads { read.insert(l.tensor) } }
      // A definition fused into its sibling's loop (`compute_with(d, b, l)`) reads what the sibling reads in the
      // same iteration from the same loads (Triton's CSE merges them: bench/gpu/ab-h68-variants.md) and shares its
      // launch.
      var sharedReads: Set<String> = []
      let fusedIntoSibling = d.effectiveSchedule.computeWith != nil && d.effectiveSchedule.computeWithLoop != nil
      if fusedIntoSibling, let b = d.effectiveSchedule.computeWith {
        for e in ([k.definitions.first { $0.name == b }].compactMap { $0 } + producersInside(b)).flatMap(\.expressions) {
          for l in e.loads { sharedReads.insert(l.tensor) }
        }
      }
      let moved = read.filter { name in !inside.contains { $0.name == name } && !sharedReads.contains(name) }
        .reduce(0) { $0 + bytes(of: $1) } + bytes(of: d.name) + insideResults
      var reread = 0.0
      let isDot = d.effectiveSchedule.isDot
      let grid = d.effectiveSchedule.loops.filter(isGrid)
      // Each operand of a matrix product is read once per program along the grid loops its indices do not walk
      // (the other operand's output tiles): smaller tiles read the operands more often. `loads` are the product's
      // operand loads, named by the variables of `d`'s loops (a product computed inside `d`, `compute_at` of a
      // fused epilogue, names its axes as `d` does: the coverage by name above); operands computed inside are
      // counted by their own loads.
      func operandRereads(_ loads: [Load]) -> Double {
        let operands = loads.filter { l in !inside.contains { $0.name == l.tensor } }
        var bytesReread = 0.0
        for l in Set(operands.map(\.tensor)) {
          let walked = Set(operands.filter { $0.tensor == l }.flatMap { $0.indices.flatMap { Array($0.indexNames) } })
          let reuse = grid.filter { !walked.contains(Kernel.rootVariable(of: $0.name, in: d.effectiveSchedule)) }
            .reduce(1.0) { $0 * ext($1.name, d) }
          bytesReread += bytes(of: l) * (reuse - 1)
        }
        return bytesReread
      }
      if isDot || fold != nil {
        // (A block fold: the operands its elements load themselves.)
        reread += operandRereads(isDot ? d.body.loads : d.expressions.flatMap(\.loads))
        total.dotTile = max(total.dotTile, lanes)
      }
      // A product computed inside the program (its tile of the output, over the whole reduction, at a grid loop of
      // `d`): the same re-reads. Before this, a fused epilogue's product counted none, and every tile size of a
      // fused matmul had one estimate (bench/search/noseeds-h100-2026-12-07: analytic rho -0.51 on matmul_bf16).
      for p in inside where p.effectiveSchedule.isDot {
        reread += operandRereads(p.body.loads)
      }
      if isDot { dotTileShape = tileOf(d, extents: [:]) }
      var perSM = machine.residentWarps == 1 ? 1 : max(1, floor(Double(machine.residentWarps) / max(1, warps)))
      // A dot kernel (issue 15; GPU): what its launch's warps and stages and its tile's k step do, from the
      // machine's facts (no constant fitted to a measurement).
      var dotFactor = 1.0
      var memoryFactor = 1.0
      let dotStages = Double(d.effectiveSchedule.launch?.stages ?? 3)  // Triton's default num_stages on CUDA
      if let tile = dotTileShape, machine.residentWarps > 1 {
        // (a) Programs per multiprocessor: also as many as its shared memory holds of the dot's pipeline buffers
        // (`dotSharedMemory`, Triton's own allocation): a 128x128x64 bf16 tile of 3 stages takes 64 KiB, 3 per
        // H100 SM, not the 8 that 8 warps of 64 would allow.
        let shared = Double(
          Machine.dotSharedMemory(
            m: Int(tile.m), n: Int(tile.n), k: Int(tile.k), stages: Int(dotStages), operandBytes: Int(tile.operandBytes),
            warpSize: machine.warpSize))
        perSM = max(1, min(perSM, floor(machine.sharedMemoryPerMultiprocessor / max(1, shared))))
        // (b) Wave quantisation: the block scheduler starts a program on a multiprocessor as soon as one there
        // ends, and the programs resident on one share its matrix units, so the dot takes as long as the busiest
        // multiprocessor's tiles, ceil(programs / SMs) of them (ceil(programs / P) on P < SMs of `persistent(P)`),
        // against `programs / SMs` spread evenly: 1024 tiles of 128x128 on 132 SMs x1.03, 64 tiles x2.06 (64 SMs
        // idle), persistent(66) x2 of the same grid on all 132. (Waves of every resident slot in lockstep, the
        // coarser model, ranked the replayed searches worse: docs/search.md.)
        let sms = Double(machine.multiprocessors)
        let busy = min(sms, Double(d.effectiveSchedule.persistentPrograms ?? Int.max))
        dotFactor *= ceil(programs / busy) * sms / max(1, programs)
        // The programs each multiprocessor holds at once: its slots, or its share of the grid when that is less.
        let perWave = min(perSM, ceil(min(programs, busy * perSM) / sms))
        // (c) Warps against the tile: each warp multiplies its share of the tile, m x n / warps elements, taken
        // square (s x s), reading s x k elements of each operand from shared memory per k step for 2 s^2 k flops:
        // s / operandBytes flops per shared byte. Below `rate / sharedBandwidth` of them the shared memory, not the
        // matrix units, bounds the dot: 32 warps on a 128x128 bf16 tile (s = 22.6) run at 0.67 of the rate, 8 warps
        // (s = 45) at the full rate.
        let s = (tile.m * tile.n / max(1, warps)).squareRoot()
        dotFactor *= max(1, tile.rate / (machine.sharedBandwidth * s / tile.operandBytes))
        // (d) The k step's pipeline (Little's law): a multiprocessor keeps `stages - 1` k steps of both operand
        // tiles in flight per program (the prefetched buffers: `dotSharedMemory`); DRAM runs at `bandwidth` only
        // with `memoryLatency x bandwidth / SMs` bytes in flight per SM (11 KiB on an H100), else at the fraction
        // in flight. A 128x128x64 bf16 tile of 3 stages keeps 64 KiB in flight; 32x32x16 of 2 stages, 2 KiB.
        let inFlight = perWave * max(1, dotStages - 1) * (tile.m * tile.k + tile.k * tile.n) * tile.operandBytes
        memoryFactor = max(1, machine.memoryLatency * machine.bandwidth / sms / max(1, inFlight))
      }
      let slots = Double(machine.multiprocessors) * perSM
      let waves = ceil(programs / slots)
      // The programs' time: the longest chain of serial steps per wave, or the elements over the machine's rate.
      let chain = waves * (serial * step(elementLanes) + insideSteps)
      let throughput = programs * (serial * elementLanes + insideWork) / machine.elementRate
      // A tl.dot program runs at the matrix units' rate, not one element per thread.
      let latency = isDot ? 0 : max(chain, throughput)
      let dotRate = isDot ? contractionRate(d) : machine.peakFlops
      let arithmetic = (isDot ? dotFactor : 1) * flops / dotRate + dotFactor * programs * insideDotSeconds + foldDotSeconds
      // A CPU (one program per core): the peaks are all the cores', reached only by as many cores as the parallel
      // loops give programs (a serial definition computes on one core; memory serves one core's stream at most
      // `streamCores` times slower than all of them), and each entry of the outermost parallel loop (once per
      // iteration of the loops outside it) forks and joins the thread pool.
      let cores = machine.residentWarps == 1 ? min(programs, slots) / slots : 1
      let streams = machine.residentWarps == 1 ? min(1, min(programs, slots) / min(slots, machine.streamCores)) : 1
      var forkJoin = 0.0
      if machine.forkJoinSeconds > 0, let first = d.effectiveSchedule.loops.firstIndex(where: { $0.kind == .parallel }) {
        let entries = d.effectiveSchedule.loops.prefix(first).filter { !isLane($0) }.reduce(1.0) { $0 * ext($1.name, d) }
        forkJoin = entries * machine.forkJoinSeconds
      }
      let memory = memoryFactor * (moved / machine.bandwidth + reread / (3 * machine.bandwidth) + scratch / (6 * machine.bandwidth)) / streams
      let t = max(memory, arithmetic / cores, latency) + forkJoin + (fusedIntoSibling ? 0 : machine.launchSeconds)
      total.seconds += t
      total.kernelSeconds[d.name] = t
      total.kernels += fusedIntoSibling ? 0 : 1
      total.bytes += moved
      total.rereadBytes += reread
      total.scratchBytes += scratch
      total.flops += flops + programs * insideDotOps + foldDotOps
      total.minPrograms = min(total.minPrograms, programs)
      total.minLanes = min(total.minLanes, lanes)
      total.occupancy = min(total.occupancy, programs / slots)
      total.warps = max(total.warps, Double(d.effectiveSchedule.launch?.warps ?? 0))
      total.stages = max(total.stages, Double(d.effectiveSchedule.launch?.stages ?? 0))
    }
    if total.minPrograms == .infinity { total.minPrograms = 1 }
    if total.minLanes == .infinity { total.minLanes = 1 }
    return total
  }
}

/// A `dot`'s tile as the estimate sees it: m x n outputs per program, its k step, its widest operand's bytes, its
/// rate.
struct DotTile {
  var m: Double
  var n: Double
  var k: Double
  var operandBytes: Double
  /// Flops per second of its matrix units at its precision (`Machine.contractionFlops`).
  var rate: Double
}

extension LoopKind {
  /// A loop over programs: a grid dimension on a GPU, the thread pool's loop on a CPU (the cost analysis's and the
  /// schedule audit's parallelism).
  public var isProgramLoop: Bool {
    switch self {
    case .gpu(let g):
      switch g {
      case .gridX, .gridY, .gridZ: return true
      case .blockX, .blockY, .blockZ, .warp, .threadX, .threadY, .threadZ: return false
      }
    case .parallel: return true
    case .serial, .vectorized, .unrolled: return false
    }
  }

  /// A loop run at once by a program's threads or vector lanes: a GPU block or thread dimension, a vector.
  public var isLaneLoop: Bool {
    switch self {
    case .gpu: return !isProgramLoop
    case .vectorized: return true
    case .serial, .parallel, .unrolled: return false
    }
  }
}
