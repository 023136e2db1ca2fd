import KevcBasic

/// The index width of each block-level kernel of a scheduled, bound kernel: whether every index value and every
/// element offset it computes fits in 32-bit integers, so that the Triton lowering computes program ids, lanes,
/// loop variables and offsets in `tl.int32` (as Inductor does when every offset provably fits) instead of
/// `tl.int64`. One decision per kernel (a root definition, the definitions computed with it, and every producer
/// computed inside them), made here once and printed with `--emit scheduled` (`notes`); the emitter only prints it.
///
/// The rule (sound, built on `IndexArithmetic.interval`, the one interval analysis):
/// - every loop variable ranges over what the lowering can give it, masked lanes included: a split axis up to
///   `max(outer) * factor + max(inner)`, a block up to the next power of two of its extent, a grid loop up to the
///   programs launched (twice that for persistent or grouped programs and shared grids), a reduction axis from its
///   lower bound's least to its lower bound's greatest value plus its span; a producer computed inside a consumer
///   over its region, taken as `[-P, 2P)` for `P` the next power of two of its extent;
/// - an i64 value is computed in the index type when all of its operands are (index variables, dims and constants
///   that fit in 32 bits, arithmetic and selects of those); a load of i64 data or a cast from a narrower type is
///   `tl.int64` in Triton and widens whatever it meets. Every such value must have a known interval within
///   `[-2^31, 2^31 - 1]` (an integer scalar parameter, whose value is unknown, and an i64 constant beyond 32 bits,
///   which Triton's `tl.where` will not narrow, force 64 bits);
/// - every memory access: the sum of `max |index| * stride` over its indices computed in the index type is at most
///   `2^31 - 1` (every partial sum of the offset, in any order, is within it), and every tensor the kernel reads
///   or writes has fewer than `2^31` elements (Inductor's rule: a margin for what the analysis does not see);
/// - a sum (or tuple reduction) of index-typed values: `max |value|` times the reduction's points within `2^31 - 1`
///   (`tl.sum` of an int32 block stays int32); a product of them is 64-bit;
/// - per-program scratch (producers computed in scratch) is addressed from a 64-bit base, always.
/// Anything unknown (data-dependent bounds, a possible overflow) gives 64 bits.
///
/// Example: `C[m, n] = sum(k) A[m, k] * B[n, k]` at M=2048, K=8192, N=4096 with 64x64x32 tiles: the largest
/// offset is `(2047) * 8192 + 8191` in A, B's `4095 * 8192 + 8191` = 33554431: i32. At M=N=65536, K=65536 the
/// operands hold 2^32 elements: i64.
public enum IndexWidth {
  /// The decision for one kernel.
  public struct Decision: Hashable, Sendable {
    /// The root definition whose kernel this is.
    public var kernel: String
    /// 32 or 64.
    public var bits: Int
    /// The largest magnitude of an index-typed value or offset found (when 32 bits), for the dump.
    public var largest: Int
    /// Why 64 bits (empty for 32).
    public var reason: String
  }

  static let limit = Int(Int32.max)

  /// One decision per kernel (root definitions not computed with another), in definition order.
  public static func decisions(_ k: Kernel) -> [Decision] {
    var out: [Decision] = []
    // A tensor its phases store in place (`store_phases`) has no kernel.
    let assembled = k.assembledInPlace
    for d in k.definitions
    where d.effectiveSchedule.placement == .root && d.effectiveSchedule.computeWith == nil && !assembled.contains(d.name) {
      out.append(decide(d, k))
    }
    return out
  }

  /// The decision for the kernel of root definition `name` (64 bits when there is no such kernel).
  public static func bits(ofKernel name: String, in k: Kernel) -> Int {
    decisions(k).first { $0.kernel == name }?.bits ?? 64
  }

  /// `// ...` lines for the scheduled dump, one per kernel.
  public static func notes(_ k: Kernel) -> String {
    decisions(k).map { d in
      d.bits == 32
        ? "// %\(d.kernel): index width i32 (largest index value or offset \(d.largest) <= 2^31 - 1)\n"
        : "// %\(d.kernel): index width i64 (\(d.reason))\n"
    }.joined()
  }

  /// The definitions of a root's kernel: itself, those computed with it, and the producers computed inside any of them.
  static func members(of root: Definition, _ k: Kernel) -> [Definition] {
    var names: Set<String> = [root.name]
    var changed = true
    while changed {
      changed = false
      for d in k.definitions where !names.contains(d.name) {
        let s = d.effectiveSchedule
        var inKernel = s.computeWith.map { names.contains($0) } ?? false
        if case .computeAt(let c, _) = s.placement, names.contains(c) { inKernel = true }
        if inKernel {
          names.insert(d.name)
          changed = true
        }
      }
    }
    return k.definitions.filter { names.contains($0.name) }
  }

  static func decide(_ root: Definition, _ k: Kernel) -> Decision {
    func wide(_ why: String) -> Decision { Decision(kernel: root.name, bits: 64, largest: 0, reason: why) }
    let defs = members(of: root, k)
    // Programs along each grid dimension: the most any member launches.
    var grid = [1, 1, 1]
    var reordered = false
    for d in defs {
      let s = d.effectiveSchedule
      if s.programGroup != nil || s.persistentPrograms != nil { reordered = true }
      for l in s.loops {
        guard case .gpu(let g) = l.kind, let i = gridIndex(g), let e = try? k.maxExtent(l.name, in: d) else { continue }
        grid[i] = max(grid[i], e)
      }
    }
    if defs.count > 1 && defs.contains(where: { $0.effectiveSchedule.computeWith != nil }) { reordered = true }
    let programs = grid.reduce(1) { $0.multipliedReportingOverflow(by: max(1, $1)).overflow ? Int.max : $0 * max(1, $1) }
    guard programs <= limit / 2 else { return wide("\(programs) programs") }
    var largest = programs
    for d in defs {
      guard let facts = variableRanges(d, k, grid: grid, reordered: reordered) else {
        return wide("the range of a loop of '\(d.name)' is unknown (data-dependent bounds)")
      }
      var check = Check(kernel: k, facts: facts)
      // The store of a root definition (producers computed inside store to scratch or registers), in the tensor it
      // is stored into where it is a phase stored in place (`store_phases`).
      let point: [Expr] = d.axes.map { .index($0.name) }
      let slice = d.effectiveSchedule.storage.interleave
      let accesses: [Load] =
        d.effectiveSchedule.placement == .root
        ? [Load(tensor: slice?.tensor ?? d.name, indices: slice?.indices(point) ?? point)] : []
      var expressions = d.expressions
      if let y = d.reduction?.combiner?.yield { expressions.append(y) }
      for e in expressions { _ = check.visit(e) }
      for a in accesses { check.access(a) }
      // A sum of index-typed values is one int32 `tl.sum` per block.
      if let r = d.reduction {
        let values = [d.body] + (r.combiner?.otherElements ?? [])
        var points = 1
        for a in r.axes {
          let e = (try? k.maxExtent(a.name, in: d)) ?? (facts.interval(a.upperBound).map { Int($0.hi) } ?? Int.max)
          points = points.multipliedReportingOverflow(by: max(1, e)).overflow ? Int.max : points * max(1, e)
        }
        // A select-form tuple combiner (argmax) keeps or takes its elements whole: no sum.
        let keepsElements = r.combiner.flatMap(SelectFormCombiner.analyse) != nil
        for v in values where check.isIndexTyped(v) {
          switch r.op {
          case .tuple where keepsElements: break
          case .sum, .tuple:
            let m = check.magnitude(v) ?? Int.max
            let (total, o) = m.multipliedReportingOverflow(by: points)
            if o || total > limit { check.failure = "a sum of index values in '\(d.name)' may exceed 2^31 - 1" }
          case .prod: check.failure = "a product of index values in '\(d.name)'"
          case .max, .min: break
          }
        }
      }
      if let f = check.failure { return wide(f) }
      largest = max(largest, check.largest)
    }
    return Decision(kernel: root.name, bits: 32, largest: largest, reason: "")
  }

  static func gridIndex(_ g: GPUDimension) -> Int? {
    switch g {
    case .gridX: return 0
    case .gridY: return 1
    case .gridZ: return 2
    case .blockX, .blockY, .blockZ, .warp, .threadX, .threadY, .threadZ: return nil
    }
  }

  /// The interval of every variable `d`'s expressions read (axes and reduction axes, split parts too), or nil.
  static func variableRanges(_ d: Definition, _ k: Kernel, grid: [Int], reordered: Bool) -> IndexArithmetic? {
    var facts = IndexArithmetic(dims: k.dimBindings)
    let s = d.effectiveSchedule
    let computedAt: Bool
    if case .computeAt = s.placement { computedAt = true } else { computedAt = false }
    func nextPow2(_ n: Int) -> Int {
      var p = 1
      while p < n && p < (1 << 40) { p <<= 1 }
      return p
    }
    // The largest offset a loop (or a split variable) adds to its variable's start.
    func maxOffset(_ loop: String, span: Int?, depth: Int = 0) -> Int? {
      guard depth < 64 else { return nil }
      if let sp = s.splits.first(where: { $0.variable == loop }) {
        let whole = span.map { ($0 + sp.factor - 1) / sp.factor }
        guard let o = maxOffset(sp.outer, span: whole, depth: depth + 1),
          let i = maxOffset(sp.inner, span: span.map { min($0, sp.factor) }, depth: depth + 1)
        else { return nil }
        let (p, o1) = o.multipliedReportingOverflow(by: sp.factor)
        let (t, o2) = p.addingReportingOverflow(i)
        return o1 || o2 ? nil : t
      }
      guard let e = (try? k.maxExtent(loop, in: d)) ?? span else { return nil }
      switch s.loops.first(where: { $0.name == loop })?.kind {
      case .gpu(let g)?:
        if let i = gridIndex(g) { return max(e, grid[i]) * (reordered ? 2 : 1) - 1 }
        return nextPow2(e) - 1
      case .vectorized?: return nextPow2(e) - 1
      case .serial?, .parallel?, .unrolled?, nil: return max(0, e - 1)
      }
    }
    for a in d.axes {
      guard let e = a.extent.evaluate(k.dimBindings), var hi = maxOffset(a.name, span: e) else { return nil }
      var lo = 0
      if computedAt {
        lo = -nextPow2(e)
        hi = max(hi, 2 * nextPow2(e))
      }
      facts.bound(a.name, lo...hi)
    }
    for r in d.reduction?.axes ?? [] {
      guard let l = facts.interval(r.lowerBound), let u = facts.interval(r.upperBound) else { return nil }
      let span = Int(u.hi) - Int(l.lo)
      guard let off = maxOffset(r.name, span: max(0, span)) else { return nil }
      var lo = Int(l.lo)
      var hi = Int(l.hi) + off
      if computedAt {
        let p = nextPow2(max(1, span))
        lo = min(lo, Int(l.lo) - p)
        hi = max(hi, Int(u.hi) + 2 * p)
      }
      facts.bound(r.name, lo...max(lo, hi))
    }
    return facts
  }

  /// Walks expressions: which values are computed in the index type, and whether they fit.
  struct Check {
    let kernel: Kernel
    let facts: IndexArithmetic
    var failure: String?
    var largest = 0

    /// The magnitude bound of an expression computed in the index type, or nil.
    func magnitude(_ e: Expr) -> Int? {
      guard let i = facts.interval(e) else { return nil }
      return max(abs(Int(i.lo)), abs(Int(i.hi)))
    }

    func dtype(_ e: Expr) -> DType? {
      switch e {
      case .constant(let c): return c.dtype
      case .index, .dim: return .i64
      case .scalar(let s): return kernel.params.first { $0.name == s }?.dtype
      case .load(let l): return kernel.tensorType(l.tensor)?.dtype
      case .unary(let op, let a): return op == .isnan ? .bool : dtype(a)
      case .binary(let op, let a, _): return op.isComparison || op.isLogical ? .bool : dtype(a)
      case .select(_, let a, _): return dtype(a)
      case .cast(let t, _): return t
      }
    }

    /// Whether Triton computes `e` in the index type (without visiting).
    func isIndexTyped(_ e: Expr) -> Bool {
      guard dtype(e) == .i64 else { return false }
      switch e {
      case .constant(let c):
        if case .int(let v) = c.value { return v >= Int64(Int32.min) && v <= Int64(Int32.max) }
        return false
      case .index: return true
      case .dim(let n): return (kernel.dimBindings[n] ?? Int.max) <= Int(Int32.max)
      case .scalar: return true
      case .load: return false
      case .unary(_, let a): return isIndexTyped(a)
      case .binary(_, let a, let b): return isIndexTyped(a) && isIndexTyped(b)
      case .select(_, let a, let b): return isIndexTyped(a) && isIndexTyped(b)
      case .cast(_, let a): return dtype(a) == .i64 && isIndexTyped(a)
      }
    }

    /// Visits every node; records a failure for an index-typed value that may leave 32 bits. Loads' indices are
    /// accesses (offsets checked).
    mutating func visit(_ e: Expr) -> Bool {
      if case .load(let l) = e {
        for i in l.indices { _ = visit(i) }
        access(l)
        return false
      }
      for c in e.children { _ = visit(c) }
      // A 64-bit constant beside 32-bit index values: Triton's `tl.where` refuses to narrow it, keep 64 bits.
      if case .constant(let c) = e, c.dtype == .i64, case .int(let v) = c.value, Int64(Int32(truncatingIfNeeded: v)) != v {
        failure = failure ?? "a constant beyond 32 bits"
      }
      guard isIndexTyped(e) else { return false }
      if case .scalar(let s) = e {
        failure = failure ?? "scalar '\(s)' is an index value of unknown range"
        return true
      }
      guard let m = magnitude(e), m <= IndexWidth.limit else {
        failure = failure ?? "an index value may leave 32 bits"
        return true
      }
      largest = max(largest, m)
      return true
    }

    /// An access to a tensor: its offset's index-typed terms.
    mutating func access(_ l: Load) {
      guard let t = kernel.tensorType(l.tensor) else { return }
      var shape: [Int] = []
      for s in t.shape {
        guard let v = s.evaluate(kernel.dimBindings) else {
          failure = failure ?? "the shape of '\(l.tensor)' is not bound"
          return
        }
        shape.append(v)
      }
      let storage = kernel.definitions.first { $0.name == l.tensor }?.effectiveSchedule.storage
      let strides = Self.strides(shape, storage)
      var elements = 1
      for e in (storage?.padding.map { p in zip(shape, p).map { $0 + max(0, $1) } } ?? shape) {
        let (n, o) = elements.multipliedReportingOverflow(by: max(1, e))
        elements = o ? Int.max : n
      }
      guard elements <= IndexWidth.limit else {
        failure = failure ?? "'\(l.tensor)' has \(elements) elements"
        return
      }
      var offset = 0
      for (i, s) in zip(l.indices, strides) where isIndexTyped(i) {
        guard let m = magnitude(i) else {
          failure = failure ?? "an index of '\(l.tensor)' has no known range"
          return
        }
        let (p, o1) = m.multipliedReportingOverflow(by: s)
        let (sum, o2) = offset.addingReportingOverflow(p)
        guard !o1, !o2 else {
          failure = failure ?? "an offset into '\(l.tensor)' may leave 64 bits"
          return
        }
        offset = sum
      }
      guard offset <= IndexWidth.limit else {
        failure = failure ?? "an offset into '\(l.tensor)' may reach \(offset)"
        return
      }
      largest = max(largest, offset)
    }

    /// Element strides of a tensor's storage (row-major, permuted and padded for intermediates).
    static func strides(_ shape: [Int], _ storage: Storage?) -> [Int] {
      let perm = storage?.permutation ?? Array(shape.indices)
      guard perm.count == shape.count, Set(perm) == Set(shape.indices) else { return shape.map { _ in Int.max / 4 } }
      var buffer = perm.map { shape[$0] }
      if let pad = storage?.padding, pad.count == buffer.count { buffer = zip(buffer, pad).map { $0 + max(0, $1) } }
      var bufferStrides = [Int](repeating: 1, count: buffer.count)
      var acc = 1
      for i in buffer.indices.reversed() {
        bufferStrides[i] = acc
        acc = acc.multipliedReportingOverflow(by: max(1, buffer[i])).overflow ? Int.max / 4 : acc * max(1, buffer[i])
      }
      var out = [Int](repeating: 0, count: shape.count)
      for (i, axis) in perm.enumerated() { out[axis] = bufferStrides[i] }
      return out
    }
  }
}
