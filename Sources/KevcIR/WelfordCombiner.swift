import KevcBasic

/// Recognises tuple combiners of the Welford form: the running mean and centred sum of squares of a reduction
/// (Chan, Golub and LeVeque's pairwise update), whose state is a count `n` (an integer), a mean `mu` and `m2`, the
/// sum of squared deviations from `mu` (both of one float type `T`), all with identity 0:
///
///     w   = cast<T>(%b.n) / cast<T>(max((%a.n + %b.n), 1))      (the right operand's share of the count)
///     d   = %b.mu - %a.mu
///     n'  = %a.n + %b.n
///     mu' = %a.mu + d * w
///     m2' = (%a.m2 + %b.m2) + (d * d) * (cast<T>(%a.n) * w)     (d^2 * na * nb / n)
///
/// One element is the state `(n = 1, mu = x, m2 = 0)`. In real arithmetic this is the sum of the moments
/// `(n, n * mu, m2 + n * mu^2)`, so it is associative with `(0, 0, 0)` as its identity on every state a reduction
/// reaches from elements of count >= 0; the `max(.., 1)` guard makes the merge of two empty states the empty state
/// (no 0 / 0). States with a negative count (whose merge may have count 0 and a lost mean) are not reachable: the
/// associativity probe (`Combiner.associativityProblem`) draws the count of a combiner of this form from values
/// >= 0 only, and the verifier requires its element to be a constant >= 0 (`kevc.ir.invalid-combiner`). Any other
/// shape (a float count, another guard, the update written otherwise) is not of the form and gets the general
/// probe, which a count drawn below 0 fails.
///
/// `welford(v)` (Sources/KevcTransforms/Welford.swift) writes it: a centred sum of squares `sum_d (E - m)^2`, `m`
/// the mean of `E` over the same rows, becomes one pass instead of two (the mean's pass and the variance's).
///
///     reduce<mu: f32 = 0.0:f32, n: i64 = 0:i64, m2: f32 = 0.0:f32> [d in 0 .. $D] (%x[r, d], 1:i64, 0.0:f32)
///       combine ((%a.mu + ((%b.mu - %a.mu) * w)), (%a.n + %b.n), ((%a.m2 + %b.m2) + (((%b.mu - %a.mu) * (%b.mu - %a.mu)) * (cast<f32>(%a.n) * w))))
///       yield %m2
///     -> WelfordCombiner(count: 1, mean: 0, m2: 2)
///
/// Nothing here knows about norms: only the shape of the combiner expressions is matched.
public struct WelfordCombiner: Hashable, Sendable {
  /// The components' positions in the state.
  public var count: Int
  public var mean: Int
  public var m2: Int

  public init(count: Int, mean: Int, m2: Int) {
    self.count = count
    self.mean = mean
    self.m2 = m2
  }

  /// The combine expressions of the form for components named `n` (the count), `mu` and `m2` of float type `t`:
  /// (count, mean, m2).
  public static func combine(count n: String, mean mu: String, m2: String, type t: DType) -> (count: Expr, mean: Expr, m2: Expr) {
    let (an, bn) = (Expr.scalar(Combiner.left(n)), Expr.scalar(Combiner.right(n)))
    let (amu, bmu) = (Expr.scalar(Combiner.left(mu)), Expr.scalar(Combiner.right(mu)))
    let (am2, bm2) = (Expr.scalar(Combiner.left(m2)), Expr.scalar(Combiner.right(m2)))
    let total = Expr.binary(.add, an, bn)
    let share = Expr.binary(.div, .cast(t, bn), .cast(t, .binary(.max, total, .constant(.int(1)))))
    let delta = Expr.binary(.sub, bmu, amu)
    return (
      total,
      .binary(.add, amu, .binary(.mul, delta, share)),
      .binary(.add, .binary(.add, am2, bm2), .binary(.mul, .binary(.mul, delta, delta), .binary(.mul, .cast(t, an), share)))
    )
  }

  /// The Welford state `(mu, n, m2)` in that order (the mean first: its element, the reduced expression, is the
  /// definition's body), of float type `t`, yielding `yield` (of `%mu`, `%n`, `%m2`); its other elements are the
  /// count 1 and m2 0.
  public static func combiner(_ t: DType, yield: Expr) -> Combiner {
    let c = combine(count: "n", mean: "mu", m2: "m2", type: t)
    return Combiner(
      components: [
        .init(name: "mu", dtype: t, identity: .zero(t)), .init(name: "n", dtype: .i64, identity: .int(0)),
        .init(name: "m2", dtype: t, identity: .zero(t)),
      ],
      otherElements: [.constant(.int(1)), .constant(.zero(t))], combine: [c.mean, c.count, c.m2], yield: yield)
  }

  /// The form of `c`, or nil when it is not a Welford combiner: three components, one `i64` count and two of one
  /// float type, identities 0, combined exactly as `combine(count:mean:m2:type:)` writes.
  public static func analyse(_ c: Combiner) -> WelfordCombiner? {
    guard c.components.count == 3, c.combine.count == 3,
      let n = c.components.firstIndex(where: { $0.dtype == .i64 }), c.components[n].identity == .int(0)
    else { return nil }
    let floats = (0..<3).filter { $0 != n }
    let t = c.components[floats[0]].dtype
    guard t.isFloat, c.components[floats[1]].dtype == t,
      floats.allSatisfy({ c.components[$0].identity == .zero(t) || c.components[$0].identity == .float(-0.0, t) })
    else { return nil }
    for (mu, m2) in [(floats[0], floats[1]), (floats[1], floats[0])] {
      let e = combine(count: c.components[n].name, mean: c.components[mu].name, m2: c.components[m2].name, type: t)
      if c.combine[n] == e.count && c.combine[mu] == e.mean && c.combine[m2] == e.m2 {
        return WelfordCombiner(count: n, mean: mu, m2: m2)
      }
    }
    return nil
  }

  /// Why the count's element of `d`, a tuple reduction of this form, makes states the form does not cover (a
  /// count below 0), or nil.
  public func elementProblem(_ d: Definition) -> String? {
    guard let c = d.reduction?.combiner else { return nil }
    let elements = [d.body] + c.otherElements
    guard count < elements.count else { return nil }
    if case .constant(let k) = elements[count], case .int(let v) = k.value, v >= 0 { return nil }
    return "the count '\(c.components[count].name)' of a Welford combiner must have a constant element >= 0"
  }

  /// `// ...` lines (IR comments) naming each tuple reduction of `kernel` of the form; empty when there is none.
  /// `--emit scheduled` prints them after the kernel.
  public static func notes(_ kernel: Kernel) -> String {
    var out = ""
    for d in kernel.definitions {
      guard let c = d.reduction?.combiner, let form = analyse(c) else { continue }
      let names = [form.count, form.mean, form.m2].map { c.components[$0].name }
      out += "// %\(d.name): Welford tuple reduction (count \(names[0]), mean \(names[1]), centred sum of squares \(names[2])): "
        + "one pass for a mean and a variance\n"
    }
    return out
  }
}
