import KevcBasic
import KevcIR

/// `fuse_reductions(t)`: online softmax. A sum over one axis of `exp(X - M) * Y` (or of `exp(X - M)`), where `M`
/// is the maximum of the same `X` over the same range, becomes a tuple reduction that carries its own running
/// maximum `m` and the sum `w` rescaled by `exp(m_old - m_new)` whenever `m` grows: it no longer reads `M`, so it
/// needs one pass instead of two. Since `max` is exact, the final `m` is `M` and the final `w` is the sum (for a
/// domain whose `X` is all `-inf`, where the original divides 0 by 0 and gives NaN, the rewrite gives the sum of
/// `Y`). Applied to an elementwise definition `t` whose body reads only such sums (and constants) at its own
/// axes, the sums it reads are rewritten this way and merged with `t` into one tuple reduction whose state is
/// `m` and one `w` per sum, and whose `yield` is `t`'s body: FlashAttention-2's recurrence. `t` may also read the
/// maximum `M` itself (a log-sum-exp, `M + log(sum)`): the yield reads the running maximum `m` for it. Applied to a sum, only
/// that sum is rewritten. Elementwise producers are inlined while matching; definitions left unread are removed.
///
/// Legality: the sums and the maximum have one reduction axis with equal bounds (up to renaming), `X` and `Y`
/// do not read `M`, their type is a float type, none of the definitions involved has a schedule yet, and each load
/// of a merged sum in `t` indexes it by distinct axes of `t`.
///
/// Before (specs/attention.kev, lowered):
/// ```
/// %s: f32[b < B, h < H, i < S, j < S] = select((j <= i), (%_r0[b, h, i, j] * rsqrt(cast<f32>($D))), -inf:f32)
/// %mx: f32[b < B, h < H, i < S] = max<f32> [j in 0 .. $S] %s[b, h, i, j]
/// %p: f32[b < B, h < H, i < S, j < S] = exp((%s[b, h, i, j] - %mx[b, h, i]))
/// %l: f32[b < B, h < H, i < S] = sum<f32> [j in 0 .. $S] %p[b, h, i, j]
/// %_r1: f32[b < B, h < H, i < S, e < D] = sum<f32> [j in 0 .. $S] (%p[b, h, i, j] * cast<f32>(%v[b, h, j, e]))
/// %o: bf16[b < B, h < H, i < S, e < D] = cast<bf16>((%_r1[b, h, i, e] / %l[b, h, i]))
/// ```
/// After `fuse_reductions(o)` (the rescaling `r(x) = select(x == max(%a.m, %b.m), 1, exp(x - max(%a.m, %b.m)))`):
/// ```
/// %o: bf16[b < B, h < H, i < S, e < D] = reduce<m: f32 = -inf:f32, w0: f32 = 0.0:f32, w1: f32 = 0.0:f32>
///   [j in 0 .. $S] (select((j <= i), (%_r0[b, h, i, j] * rsqrt(cast<f32>($D))), -inf:f32), cast<f32>(%v[b, h, j, e]), 1.0:f32)
///   combine (max(%a.m, %b.m), ((%a.w0 * r(%a.m)) + (%b.w0 * r(%b.m))), ((%a.w1 * r(%a.m)) + (%b.w1 * r(%b.m))))
///   yield cast<bf16>((%w0 / %w1))
/// ```
extension ScheduleEditing {
  mutating func fuseReductions(_ tensor: String) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let target = kernel.definitions[index]
    guard target.schedule == nil || target.schedule == .natural(for: target) else {
      throw fail("fuse_reductions must come before the schedule transforms of '\(tensor)'")
    }
    if target.reduction != nil {
      guard let online = try onlineSum(target) else {
        throw fail(
          "'\(tensor)' is not a sum of exp(x - m) (times a factor) where m is the maximum of x over the same range")
      }
      kernel.definitions[index] = online
    } else {
      var rewrote = false
      for name in Self.readTensors(target) {
        guard let i = kernel.definitions.firstIndex(where: { $0.name == name }),
          kernel.definitions[i].reduction?.op == .sum, let online = try onlineSum(kernel.definitions[i])
        else { continue }
        kernel.definitions[i] = online
        rewrote = true
      }
      if let merged = merged(kernel.definitions[index]) {
        kernel.definitions[index] = merged
      } else if !rewrote {
        throw fail("'\(tensor)' reads no sum of exp(x - m) where m is the maximum of x over the same range")
      }
    }
    removeUnreadDefinitions()
  }

  /// Tensors the definition loads, in first-read order.
  static func readTensors(_ d: Definition) -> [String] {
    var out: [String] = []
    for e in d.expressions {
      for l in e.loads where !out.contains(l.tensor) { out.append(l.tensor) }
    }
    return out
  }

  /// `e` with loads of elementwise definitions (computed at the root) replaced by their bodies, repeatedly.
  func inliningElementwise(_ e: Expr, in d: Definition) -> Expr {
    let vars = indexArithmetic(of: d)
    let definitions = kernel.definitions
    func expand(_ e: Expr, depth: Int) -> Expr {
      e.rewritten { node in
        guard depth < 16, case .load(let l) = node,
          let p = definitions.first(where: { $0.name == l.tensor }), p.reduction == nil,
          p.schedule == nil || p.schedule == .natural(for: p)
        else { return nil }
        return expand(Self.inlined(p, at: l, vars: vars), depth: depth + 1)
      }
    }
    return expand(e, depth: 0)
  }

  /// The sum `d` as an online tuple reduction (components `m`, `w`), or nil when it does not have the shape.
  func onlineSum(_ d: Definition) throws(TransformError) -> Definition? {
    guard let r = d.reduction, r.op == .sum, r.accumulator.isFloat, r.axes.count == 1, d.dtype == r.accumulator,
      d.schedule == nil || d.schedule == .natural(for: d)
    else { return nil }
    let axis = r.axes[0]
    let body = inliningElementwise(d.body, in: d)
    // exp(X - M[...]) or a product with it.
    var factor: Expr = .constant(.float(1, r.accumulator))
    var exponential = body
    if case .binary(.mul, let a, let b) = body {
      if case .unary(.exp, _) = a { (exponential, factor) = (a, b) } else { (exponential, factor) = (b, a) }
    }
    guard case .unary(.exp, .binary(.sub, let x, .load(let mLoad))) = exponential,
      let m = kernel.definitions.first(where: { $0.name == mLoad.tensor }), let mr = m.reduction, mr.op == .max,
      mr.accumulator == r.accumulator, mr.axes.count == 1, m.axes.count == mLoad.indices.count,
      m.schedule == nil || m.schedule == .natural(for: m), !x.reads(m.name), !factor.reads(m.name)
    else { return nil }
    // M's body and bounds at the load's indices, with its reduction axis renamed to this sum's.
    var substitution: [String: Expr] = [mr.axes[0].name: .index(axis.name)]
    for (a, i) in zip(m.axes, mLoad.indices) { substitution[a.name] = i }
    let mBody = inliningElementwise(m.body, in: m).substituting(substitution)
    guard mBody == x, mr.axes[0].lowerBound.substituting(substitution) == axis.lowerBound,
      mr.axes[0].upperBound.substituting(substitution) == axis.upperBound
    else { return nil }
    var online = d
    online.reduction = Reduction(
      op: .tuple, accumulator: r.accumulator, axes: r.axes,
      combiner: Self.onlineCombiner(r.accumulator, weights: ["w"], otherElements: [factor], yield: .scalar("w")))
    online.body = x
    return online
  }

  /// State `m` (running maximum) and one rescaled sum per weight.
  static func onlineCombiner(_ t: DType, weights: [String], otherElements: [Expr], yield: Expr) -> Combiner {
    let (am, bm) = (Expr.scalar(Combiner.left("m")), Expr.scalar(Combiner.right("m")))
    let newMax = Expr.binary(.max, am, bm)
    func rescale(_ old: Expr) -> Expr {
      .select(.binary(.eq, old, newMax), .constant(.float(1, t)), .unary(.exp, .binary(.sub, old, newMax)))
    }
    let combine = [newMax] + weights.map { w -> Expr in
      .binary(
        .add, .binary(.mul, .scalar(Combiner.left(w)), rescale(am)),
        .binary(.mul, .scalar(Combiner.right(w)), rescale(bm)))
    }
    return Combiner(
      components: [.init(name: "m", dtype: t, identity: .float(-.infinity, t))]
        + weights.map { .init(name: $0, dtype: t, identity: .float(0, t)) },
      otherElements: otherElements, combine: combine, yield: yield)
  }

  /// The elementwise `f` merged with the online sums it reads into one tuple reduction, or nil when `f`'s body
  /// reads anything else than those sums (at distinct axes of `f`) and constants, or the sums differ in `X` or
  /// bounds.
  func merged(_ f: Definition) -> Definition? {
    guard f.reduction == nil, f.schedule == nil || f.schedule == .natural(for: f) else { return nil }
    let fAxes = Set(f.axes.map(\.name))
    var sums: [(name: String, definition: Definition, substitution: [String: Expr])] = []
    // Maxima of the sums' X over their range, read by f (a log-sum-exp `M + log(sum)`): the state's `m`.
    var maxima: [(name: String, definition: Definition, substitution: [String: Expr])] = []
    var bad = false
    // Loads of online sums at distinct axes of f, and constants; nothing else (indices only inside those loads).
    func visit(_ node: Expr) {
      switch node {
      case .load(let l):
        guard let d = kernel.definitions.first(where: { $0.name == l.tensor }), let r = d.reduction,
          (r.op == .tuple && r.combiner.map(Self.isOnline) == true) || (r.op == .max && r.axes.count == 1),
          d.axes.count == l.indices.count
        else {
          bad = true
          return
        }
        var substitution: [String: Expr] = [:]
        var used: Set<String> = []
        for (a, i) in zip(d.axes, l.indices) {
          guard case .index(let v) = i, fAxes.contains(v), used.insert(v).inserted else {
            bad = true
            return
          }
          substitution[a.name] = i
        }
        if r.op == .max {
          if let seen = maxima.first(where: { $0.name == l.tensor }) {
            if seen.substitution != substitution { bad = true }
          } else {
            maxima.append((l.tensor, d, substitution))
          }
        } else if let seen = sums.first(where: { $0.name == l.tensor }) {
          if seen.substitution != substitution { bad = true }
        } else {
          sums.append((l.tensor, d, substitution))
        }
      case .index, .dim, .scalar:
        bad = true
      case .constant, .unary, .binary, .select, .cast:
        for c in node.children { visit(c) }
      }
    }
    visit(f.body)
    guard !bad, let first = sums.first, let firstAxis = first.definition.reduction?.axes.first,
      let t = first.definition.reduction?.accumulator
    else { return nil }
    // One reduction axis name for all, not an axis of f.
    var axisName = firstAxis.name
    while fAxes.contains(axisName) { axisName += ".r" }
    var x: Expr?
    var bounds: (Expr, Expr)?
    var factors: [Expr] = []
    var weights: [String: String] = [:]
    for (k, s) in sums.enumerated() {
      guard let r = s.definition.reduction, let c = r.combiner, let axis = r.axes.first, r.accumulator == t else {
        return nil
      }
      var substitution = s.substitution
      substitution[axis.name] = .index(axisName)
      let sx = s.definition.body.substituting(substitution)
      let sb = (axis.lowerBound.substituting(substitution), axis.upperBound.substituting(substitution))
      if let x, x != sx { return nil }
      if let bounds, bounds != sb { return nil }
      x = sx
      bounds = sb
      factors.append(c.otherElements[0].substituting(substitution))
      weights[s.name] = "w\(k)"
    }
    guard let x, let bounds else { return nil }
    // A maximum read by f must be the running maximum: of the same X over the same range.
    for mx in maxima {
      guard let r = mx.definition.reduction, let axis = r.axes.first, r.accumulator == t else { return nil }
      var substitution = mx.substitution
      substitution[axis.name] = .index(axisName)
      let mxBody = inliningElementwise(mx.definition.body, in: mx.definition).substituting(substitution)
      let mb = (axis.lowerBound.substituting(substitution), axis.upperBound.substituting(substitution))
      guard mxBody == x, mb == bounds else { return nil }
      weights[mx.name] = "m"
    }
    let yield = f.body.rewritten { node in
      guard case .load(let l) = node, let w = weights[l.tensor] else { return nil }
      return .scalar(w)
    }
    var out = f
    out.reduction = Reduction(
      op: .tuple, accumulator: t,
      axes: [ReductionAxis(name: axisName, lowerBound: bounds.0, upperBound: bounds.1)],
      combiner: Self.onlineCombiner(
        t, weights: sums.indices.map { "w\($0)" }, otherElements: factors, yield: yield))
    out.body = x
    return out
  }

  /// Whether `c` is an online sum made by `onlineSum` (state `m`, `w`; yield `w`).
  static func isOnline(_ c: Combiner) -> Bool {
    guard c.components.count == 2, c.otherElements.count == 1, let t = c.components.first?.dtype else { return false }
    return c == onlineCombiner(t, weights: ["w"], otherElements: c.otherElements, yield: .scalar("w"))
  }

  /// Removes definitions that are not results and that nothing reads, until none is left.
  mutating func removeUnreadDefinitions() {
    while let i = kernel.definitions.indices.last(where: { i in
      let name = kernel.definitions[i].name
      return !isResult(name) && !kernel.definitions.contains { $0.reads(name) }
        && !kernel.definitions.contains { d in
          if case .computeAt(let consumer, _) = d.schedule?.placement { return consumer == name }
          return false
        }
    }) {
      kernel.definitions.remove(at: i)
    }
  }
}
