import KevcBasic
import KevcIR

/// `welford(v)`: a one-pass variance. `v`, a centred sum of squares `sum_D (E - m) * (E - m)` where `m` is the mean
/// of the same `E` over the same domain (`S[...] / cast<T>(count)` with `S = sum_D E` and `count` the domain's
/// number of points), becomes a Welford tuple reduction (`WelfordCombiner`: a count, the running mean and the
/// centred sum of squares m2, merged by Chan's update) that yields m2. `v` then no longer reads `S`: the mean's sum
/// and `v` are siblings over the same rows, which one loop can stream together (the default GPU schedule's rule 4b,
/// `compute_with`), so the input is read once for both statistics instead of twice. In real arithmetic m2 is
/// `v` exactly (`m` is the mean); in floating point, unlike a one-pass `sum x^2 - (sum x)^2 / n`, no large mean
/// cancels. Its rounding grows with the length of a serial fold as a sum's does: folded element by element over a
/// row of 2^18 (the loop lowerings, no blocks) heavy-tailed inputs reach 0.6 of f32's relative tolerance where the
/// two blocked passes stay near 0.04 (docs/transforms.md, rule V). `S` itself is kept for its other readers (the
/// normalised output reads the mean).
/// Elementwise producers are inlined while matching (a mean definition, a centred copy `xc = x - mean`).
///
/// Legality: `v` is a sum with a float accumulator of at least 32 bits and no schedule yet; `S` is a sum with
/// the same accumulator over a domain equal up to renaming (the same number of axes, equal bounds position by
/// position), read at indices of `v`'s output axes only, with no schedule yet; `E` is `S`'s body renamed and
/// reads neither `S` nor `v`; the divisor is the domain's number of points (a product of the axes' extents, or a
/// constant equal to it), cast to the accumulator type.
///
/// Before (specs/kernelbench/instance_norm2d.kev, lowered and its elementwise steps inlined):
/// ```
/// %_r0: f32[n < N, c < C] = sum<f32> [h in 0 .. $H, q in 0 .. $W] %x[n, c, h, q]
/// %_r1: f32[n < N, c < C] = sum<f32> [h in 0 .. $H, q in 0 .. $W]
///   ((%x[n, c, h, q] - (%_r0[n, c] / cast<f32>(($H * $W)))) * (%x[n, c, h, q] - (%_r0[n, c] / cast<f32>(($H * $W)))))
/// ```
/// After `welford(_r1)` (`w` standing for `(cast<f32>(%b.n) / cast<f32>(max((%a.n + %b.n), 1:i64)))`):
/// ```
/// %_r0: f32[n < N, c < C] = sum<f32> [h in 0 .. $H, q in 0 .. $W] %x[n, c, h, q]
/// %_r1: f32[n < N, c < C] = reduce<mu: f32 = 0.0:f32, n: i64 = 0:i64, m2: f32 = 0.0:f32> [h in 0 .. $H, q in 0 .. $W]
///   (%x[n, c, h, q], 1:i64, 0.0:f32)
///   combine ((%a.mu + ((%b.mu - %a.mu) * w)), (%a.n + %b.n),
///            ((%a.m2 + %b.m2) + (((%b.mu - %a.mu) * (%b.mu - %a.mu)) * (cast<f32>(%a.n) * w))))
///   yield %m2
/// ```
extension ScheduleEditing {
  mutating func welford(_ tensor: String) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let v = kernel.definitions[index]
    guard v.schedule == nil || v.schedule == .natural(for: v) else {
      throw fail("welford must come before the schedule transforms of '\(tensor)'")
    }
    guard let r = v.reduction, r.op == .sum, r.scanAxis == nil, r.accumulator == .f32 || r.accumulator == .f64,
      v.dtype == r.accumulator
    else {
      throw fail("'\(tensor)' is not a sum with an f32 or f64 accumulator")
    }
    let body = inliningElementwise(v.body, in: v)
    guard let (e, mean) = Self.centredSquare(body) else {
      throw fail("'\(tensor)' is not a sum of (E - m) * (E - m)")
    }
    guard let (s, element) = meanSum(mean, of: e, over: v) else {
      throw fail(
        "in '\(tensor)', '\(IRPrinter.print(mean))' is not the mean of '\(IRPrinter.print(e))' over the "
          + "same domain (a sum of it with the same accumulator and bounds, divided by the domain's number of points)")
    }
    guard !e.reads(s), !e.reads(v.name) else {
      throw fail("in '\(tensor)', the centred expression reads '\(s)' or '\(tensor)' itself")
    }
    var w = v
    w.body = element
    w.reduction = Reduction(
      op: .tuple, accumulator: r.accumulator, axes: r.axes,
      combiner: WelfordCombiner.combiner(r.accumulator, yield: .scalar("m2")))
    kernel.definitions[index] = w
    removeUnreadDefinitions()
  }

  /// `(E, m)` when `e` is `(E - m) * (E - m)` (or `(m - E) * (m - E)`: the same square) and `m` is a division.
  static func centredSquare(_ e: Expr) -> (Expr, Expr)? {
    guard case .binary(.mul, let p, let q) = e, p == q, case .binary(.sub, let x, let y) = p else { return nil }
    if case .binary(.div, _, _) = y { return (x, y) }
    if case .binary(.div, _, _) = x { return (y, x) }
    return nil
  }

  /// The name of the sum `S` and its body renamed (its axes to `i`, its reduction axes to `v`'s; the element the
  /// tuple reduction reads, as `S` reads it: a sibling of `S` that loads the same tensors) when `m` is
  /// `S[i] / cast<T>(count)`: `S` sums `e` (its body inlined and so renamed) over `v`'s domain with `v`'s
  /// accumulator, `i` reads only `v`'s output axes, and `count` is the domain's number of points; nil otherwise.
  func meanSum(_ m: Expr, of e: Expr, over v: Definition) -> (String, Expr)? {
    guard let r = v.reduction, case .binary(.div, .load(let load), let divisor) = m,
      let s = kernel.definitions.first(where: { $0.name == load.tensor }), s.name != v.name, let sr = s.reduction,
      sr.op == .sum, sr.scanAxis == nil, sr.accumulator == r.accumulator, s.dtype == r.accumulator,
      s.schedule == nil || s.schedule == .natural(for: s), sr.axes.count == r.axes.count,
      s.axes.count == load.indices.count,
      load.indices.allSatisfy({ $0.indexNames.isSubset(of: Set(v.axes.map(\.name))) })
    else { return nil }
    var substitution: [String: Expr] = [:]
    for (a, i) in zip(s.axes, load.indices) { substitution[a.name] = i }
    for (a, b) in zip(sr.axes, r.axes) { substitution[a.name] = .index(b.name) }
    guard zip(sr.axes, r.axes).allSatisfy({ a, b in
      a.lowerBound.substituting(substitution) == b.lowerBound && a.upperBound.substituting(substitution) == b.upperBound
    }), inliningElementwise(s.body, in: s).substituting(substitution) == e, countsDomain(divisor, r)
    else { return nil }
    return (s.name, s.body.substituting(substitution))
  }

  /// Whether `divisor` is the number of points of `r`'s domain in `r`'s accumulator type: `cast<T>(P)` with `P` a
  /// product whose factors are the axes' extents (`hi` for an axis from 0, else `hi - lo`) in any order, or a
  /// constant equal to that number where every bound is constant.
  func countsDomain(_ divisor: Expr, _ r: Reduction) -> Bool {
    let extents: [Expr] = r.axes.map { a in
      if case .constant(let c) = a.lowerBound, case .int(0) = c.value { return a.upperBound }
      return .binary(.sub, a.upperBound, a.lowerBound)
    }
    let constantCount: Int? = extents.reduce(Optional(1)) { p, x in p.flatMap { p in constantValue(x).map { p * $0 } } }
    if case .constant(let c) = divisor, c.dtype == r.accumulator {
      return constantCount.map { Double($0) } == c.doubleValue
    }
    guard case .cast(let t, let product) = divisor, t == r.accumulator else { return false }
    if let n = constantCount, constantValue(product) == n { return true }
    func factors(_ e: Expr) -> [Expr] {
      if case .binary(.mul, let a, let b) = e { return factors(a) + factors(b) }
      return [e]
    }
    var left = factors(product)
    for x in extents {
      guard let i = left.firstIndex(of: x) else { return false }
      left.remove(at: i)
    }
    return left.isEmpty
  }
}
