import KevcBasic
import KevcIR

/// One definition's schedule turned into loop bounds, point values and guards: the one place that applies splits
/// (Halide's ApplySplit is the model), read by the loop lowering (`ScheduledNests.swift`, hence HIP and CuTe
/// through the thread plan) and by the Triton emitter, so that the targets cannot disagree about tails.
///
/// Each root variable (an axis, or a reduction axis) ranges over `[lower, upper)`: the axis's domain, the part of
/// a region inside the domain for a producer computed inside a consumer (the clamp dropped where `startRange`
/// proves it unneeded), or the reduction's bounds with the axes' values substituted. A split root's value is
/// rebuilt from its leaves, counted from `lower` (`k = lo + k.o * 8 + k.i`); each leaf loop runs over its static
/// extent. Where a split leaves a tail, the inner leaf is bounded by what is left (`min(8, span - k.o * 8)`) when
/// it is the only split of the root, its outer loop encloses it and the outer loop is one value at a time (not a
/// vector leaf: a Triton block); otherwise the root is guarded (`value < upper`, plus `v < extent` for each inner
/// split variable whose own split leaves a tail: splitting `k.i` of extent 8 by 3 reaches `k.i = 8`, which the
/// root's bound alone does not exclude).
///
/// A fused loop (`fuse(i.j, i, j)`, root placement) is one more root over `I * J`, split like any other; the axes
/// read its quotient and remainder (`i = i.j / J`, `j = i.j % J`), and its guard (`i.j < I * J`) covers both.
///
/// Before (scheduled kernel IR):
/// ```
/// %y: f32[b < 5] = sum(j in 2 .. 37) %x[b, j]   schedule loops(b, j.o, j.i) splits(j = j.o * 8 + j.i)
/// ```
/// After:
/// ```
/// value j = 2 + (j.o * 8 + j.i); bounds j.o in 0 .. 5, j.i in 0 .. min(8, 35 - j.o * 8); no guard
/// ```
public struct ScheduledBounds {
  /// Per root variable: its first value and its end, in loop variables.
  public var lower: [String: Expr] = [:]
  public var upper: [String: Expr] = [:]
  /// Per root variable: its value in loop variables (split roots rebuilt from their leaves).
  public var value: [String: Expr] = [:]
  /// Per leaf (and unsplit root): the loop's bounds `[lo, hi)`.
  public var bounds: [String: (Expr, Expr)] = [:]
  /// Roots whose points need a guard, in root order (axes, then reduction axes).
  public var guarded: [String] = []
  /// Per guarded root: the conditions of its split variables' own tails.
  public var innerConditions: [String: [Expr]] = [:]
  var staticExtent: [String: Int] = [:]
  let splits: [Split]

  /// The bounds of `def` under its schedule. `names` maps a leaf to its loop variable (absent: the leaf's name);
  /// `region` is the region a producer is computed over; `fixed` holds roots held at one value (no loop: their
  /// value is given); `vectorLeaves` are loops evaluated as one vector (no bound may depend on them).
  public init(
    _ def: Definition, kernel: Kernel, shape: [Int], region: [RegionDimension]?, names: [String: String],
    fixed: [String: Expr] = [:], vectorLeaves: Set<String> = [], simplify: (Expr) -> Expr,
    simplifyBound: (Expr) -> Expr, constant: (Expr) -> Int?, startRange: (Expr) -> ClosedRange<Int64>?
  ) {
    let s = def.effectiveSchedule
    splits = s.splits
    func v(_ leaf: String) -> Expr { .index(names[leaf] ?? leaf) }
    for (k, axis) in def.axes.enumerated() where k < shape.count {
      if let r = region?[k] {
        // Clamp the region to the domain, unless the enclosing loops' ranges prove it inside (then the trip count
        // is the region's constant extent, which unrolling and vectorization need).
        let end = Expr.binary(.add, r.start, .constant(.int(Int64(r.extent))))
        let range = startRange(r.start)
        let startsInside = (range?.lowerBound ?? -1) >= 0
        let endsInside = (range?.upperBound).map { $0 + Int64(r.extent) <= Int64(shape[k]) } ?? false
        lower[axis.name] = startsInside ? simplify(r.start) : simplify(.binary(.max, r.start, .constant(.int(0))))
        upper[axis.name] =
          endsInside ? simplify(end) : simplify(.binary(.min, end, .constant(.int(Int64(shape[k])))))
        staticExtent[axis.name] = min(r.extent, shape[k])
      } else {
        lower[axis.name] = .constant(.int(0))
        upper[axis.name] = .constant(.int(Int64(shape[k])))
        staticExtent[axis.name] = shape[k]
      }
    }
    for r in def.reduction?.axes ?? [] {
      if let lo = kernel.constantValue(r.lowerBound), let hi = kernel.constantValue(r.upperBound) {
        staticExtent[r.name] = max(0, hi - lo)
      }
    }
    // A fused loop (root placement, both axes whole): one root over `O * I`, the axes its quotient and remainder.
    var fusion: (LoopFusion, Int)?
    if let f = s.fusion, region == nil, fixed[f.outer] == nil, fixed[f.inner] == nil,
      let o = staticExtent[f.outer], let i = staticExtent[f.inner]
    {
      let (product, overflow) = o.multipliedReportingOverflow(by: i)
      if !overflow {
        fusion = (f, i)
        staticExtent[f.variable] = product
        lower[f.variable] = .constant(.int(0))
        upper[f.variable] = .constant(.int(Int64(product)))
      }
    }
    func splitOf(_ name: String) -> Split? { s.splits.first { $0.variable == name } }
    func leafValue(_ name: String) -> Expr {
      guard let split = splitOf(name) else { return v(name) }
      return simplify(
        .binary(.add, .binary(.mul, leafValue(split.outer), .constant(.int(Int64(split.factor)))), leafValue(split.inner)))
    }
    // The axes' values first: a reduction's bounds may read them, and a split reduction counts from its lower bound.
    func rootValue(_ root: String) -> Expr {
      if let f = fixed[root] { return f }
      if splitOf(root) == nil { return v(root) }
      return simplify(.binary(.add, lower[root] ?? .constant(.int(0)), leafValue(root)))
    }
    for axis in def.axes { value[axis.name] = rootValue(axis.name) }
    if let (f, inner) = fusion {
      let fused = rootValue(f.variable)
      value[f.variable] = fused
      value[f.outer] = simplify(.binary(.div, fused, .constant(.int(Int64(inner)))))
      value[f.inner] = simplify(.binary(.mod, fused, .constant(.int(Int64(inner)))))
    }
    for r in def.reduction?.axes ?? [] {
      lower[r.name] = simplifyBound(r.lowerBound.substituting(value))
      upper[r.name] = simplifyBound(r.upperBound.substituting(value))
      value[r.name] = rootValue(r.name)
    }

    var roots = def.axes.map(\.name) + (def.reduction?.axes.map(\.name) ?? [])
    if let (f, _) = fusion, let at = roots.firstIndex(of: f.outer) {
      roots.removeAll { $0 == f.outer || $0 == f.inner }
      roots.insert(f.variable, at: at)
    }
    let position = Dictionary(s.loops.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    for root in roots where fixed[root] == nil {
      guard let split = splitOf(root) else {
        bounds[root] = (lower[root] ?? .constant(.int(0)), upper[root] ?? .constant(.int(0)))
        continue
      }
      // Leaves of this root's split tree, each over its static extent.
      var stack = [split]
      var exact = true
      var conditions: [Expr] = []
      while let sp = stack.popLast() {
        let whole = extent(of: sp.variable) ?? 0
        if whole % sp.factor != 0 {
          exact = false
          if sp.variable != root {
            conditions.append(.binary(.lt, leafValue(sp.variable), .constant(.int(Int64(whole)))))
          }
        }
        for part in [sp.outer, sp.inner] {
          if let child = splitOf(part) { stack.append(child) } else {
            bounds[part] = (.constant(.int(0)), .constant(.int(Int64(extent(of: part) ?? 0))))
          }
        }
      }
      let span = simplify(.binary(.sub, upper[root] ?? .constant(.int(0)), lower[root] ?? .constant(.int(0))))
      if exact, constant(span) == extent(of: root) { continue }
      // One split whose outer loop encloses its inner loop and is one value at a time: bound the inner loop by
      // what is left.
      if splitOf(split.outer) == nil, splitOf(split.inner) == nil, !vectorLeaves.contains(split.outer),
        let po = position[split.outer], let pi = position[split.inner], po < pi
      {
        let left = simplify(.binary(.sub, span, .binary(.mul, v(split.outer), .constant(.int(Int64(split.factor))))))
        bounds[split.inner] = (.constant(.int(0)), simplify(.binary(.min, .constant(.int(Int64(split.factor))), left)))
        continue
      }
      guarded.append(root)
      if !conditions.isEmpty { innerConditions[root] = conditions }
    }
  }

  /// The static extent of a root or split variable (a region's, clipped to the domain), nil when it depends on data.
  public func extent(of name: String) -> Int? {
    if let e = staticExtent[name] { return e }
    if let split = splits.first(where: { $0.outer == name }) {
      return extent(of: split.variable).map { ($0 + split.factor - 1) / split.factor }
    }
    if let split = splits.first(where: { $0.inner == name }) {
      return extent(of: split.variable).map { min(split.factor, $0) }
    }
    return nil
  }

  /// The conditions that keep the points of the guarded `roots` inside their domain.
  public func guardConditions(_ roots: [String]) -> [Expr] {
    roots.flatMap { r -> [Expr] in
      [.binary(.lt, value[r] ?? .index(r), upper[r] ?? .constant(.int(0)))] + (innerConditions[r] ?? [])
    }
  }
}
