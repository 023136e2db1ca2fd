import KevcBasic

/// Recognises tuple combiners of the "max-rescaled monoid" form (online softmax, FlashAttention's state), whose
/// fold over a whole block has a closed form that needs no element-by-element combine.
///
/// The form: one component `m` is combined by `max(%a.m, %b.m)` (M below), every other component `w` (all floats)
/// by `%a.w * r(%a.m, M) + %b.w * r(%b.m, M)`, where the rescaling `r(x, M)` is `exp(x - M)` or the guarded
/// `select(x == M, 1, exp(x - M))` that `fuse_reductions` writes; the identities are `-inf` for `m` and 0 for
/// each `w`. Then the fold of a block J of elements `(m_j, x_j, ...)` is, with the same `r`:
///
///     M_J = max_j m_j,   p_j = r(m_j, M_J),   W_J = sum_j p_j * x_j   (one W per component w)
///
/// (the combiner applied to the elements one by one gives the same state up to rounding: every term of W is
/// rescaled to the block's maximum once instead of step by step). `W_J` is a plain sum of products, so a block of
/// a contraction `sum_j p[i, j] * v[j, e]` becomes one matrix product. Nothing here knows about softmax or
/// attention: only the shape of the combiner expressions is matched.
///
///     combine (max(%a.m, %b.m),
///              ((%a.w * select((%a.m == max(%a.m, %b.m)), 1.0:f32, exp((%a.m - max(%a.m, %b.m)))))
///               + (%b.w * select((%b.m == max(%a.m, %b.m)), 1.0:f32, exp((%b.m - max(%a.m, %b.m)))))))
///     -> MaxRescaledCombiner(maxComponent: 0, guarded: true)
///
/// Argmax (a select on a comparison), a plain pair of sums, or a rescaling by anything else are not of the form.
public struct MaxRescaledCombiner: Hashable, Sendable {
  /// The component combined by `max`.
  public var maxComponent: Int
  /// Whether the rescaling is the guarded `select(x == M, 1, exp(x - M))` (else `exp(x - M)`).
  public var guarded: Bool

  public init(maxComponent: Int, guarded: Bool) {
    self.maxComponent = maxComponent
    self.guarded = guarded
  }

  /// The rescaling `r(x, M)` of the combiner, as an expression of `x` and `M`.
  public func rescaling(_ x: Expr, max m: Expr, type t: DType) -> Expr {
    let e = Expr.unary(.exp, .binary(.sub, x, m))
    return guarded ? .select(.binary(.eq, x, m), .constant(.float(1, t)), e) : e
  }

  /// The form of `c`, or nil when it is not a max-rescaled combiner.
  public static func analyse(_ c: Combiner) -> MaxRescaledCombiner? {
    let n = c.components.count
    guard n >= 2, c.combine.count == n, c.otherElements.count == n - 1 else { return nil }
    guard c.components.allSatisfy({ $0.dtype.isFloat }) else { return nil }
    func isMax(_ k: Int) -> Bool {
      let (a, b) = (Expr.scalar(Combiner.left(c.components[k].name)), Expr.scalar(Combiner.right(c.components[k].name)))
      return c.combine[k] == .binary(.max, a, b) || c.combine[k] == .binary(.max, b, a)
    }
    let maxima = (0..<n).filter(isMax)
    guard maxima.count == 1, let k = maxima.first else { return nil }
    let mc = c.components[k]
    guard mc.identity == .float(-.infinity, mc.dtype) else { return nil }
    let combinedMax = c.combine[k]
    let am = Expr.scalar(Combiner.left(mc.name))
    let bm = Expr.scalar(Combiner.right(mc.name))
    var guardedForm: Bool?
    for (i, comp) in c.components.enumerated() where i != k {
      guard comp.identity == .zero(comp.dtype) || comp.identity == .float(-0.0, comp.dtype) else { return nil }
      let aw = Expr.scalar(Combiner.left(comp.name))
      let bw = Expr.scalar(Combiner.right(comp.name))
      guard case .binary(.add, let left, let right) = c.combine[i],
        let ga = rescaledGuard(left, by: aw, rescaling: am, max: combinedMax, type: mc.dtype),
        let gb = rescaledGuard(right, by: bw, rescaling: bm, max: combinedMax, type: mc.dtype), ga == gb
      else { return nil }
      if let g = guardedForm, g != ga { return nil }
      guardedForm = ga
    }
    guard let g = guardedForm else { return nil }
    return MaxRescaledCombiner(maxComponent: k, guarded: g)
  }

  /// Whether `e` is `w * r(x, M)` (either operand order) with r one of the two rescalings: whether r is the
  /// guarded one, or nil.
  private static func rescaledGuard(_ e: Expr, by w: Expr, rescaling x: Expr, max m: Expr, type t: DType) -> Bool? {
    guard case .binary(.mul, let p, let q) = e else { return nil }
    let factor: Expr
    if p == w { factor = q } else if q == w { factor = p } else { return nil }
    let plain = MaxRescaledCombiner(maxComponent: 0, guarded: false)
    let guarded = MaxRescaledCombiner(maxComponent: 0, guarded: true)
    if factor == plain.rescaling(x, max: m, type: t) { return false }
    if factor == guarded.rescaling(x, max: m, type: t) { return true }
    return nil
  }

  /// The variables each component's element reads (index variables, those inside loads included), in component
  /// order: component 0's element is the definition's body.
  public static func elementVariables(_ d: Definition) -> [Set<String>]? {
    guard let c = d.reduction?.combiner else { return nil }
    return ([d.body] + c.otherElements).map(\.indexNames)
  }

  /// The output axes of `d`, a max-rescaled tuple reduction, that some component's element reads and the
  /// maximum's element does not (`sum_j p[i, j] * v[j, e]` beside `m = max_j s[i, j]`: `e`): that component is a
  /// contraction of the weights `p = r(m_j, M)` (over the maximum's variables) with an operand along these axes,
  /// one `tl.dot` per block on Triton (TritonBlockFold.swift). Empty for an online softmax (every component reads
  /// the maximum's variables only); nil when `d` is not of the form.
  public static func weightedAxes(_ d: Definition) -> [String]? {
    guard let c = d.reduction?.combiner, let form = analyse(c), let vars = elementVariables(d) else { return nil }
    let weights = vars[form.maxComponent]
    let others = vars.indices.filter { $0 != form.maxComponent }.reduce(into: Set<String>()) { $0.formUnion(vars[$1]) }
    return d.axes.map(\.name).filter { others.contains($0) && !weights.contains($0) }
  }

  /// The widest element type a component's element loads (its operand of the block's `tl.dot`: the weights are
  /// rounded to it), in bytes; 4 when it loads nothing.
  static func elementBytes(_ e: Expr, in k: Kernel) -> Int {
    e.loads.compactMap { k.tensorType($0.tensor)?.dtype.byteSize }.max() ?? 4
  }

  /// A block fold's shape (Triton's closed-form fold of a block of `d`, a max-rescaled tuple reduction, for the
  /// cost analysis and the schedule audit): `lanes` are `d`'s lane loops as (root variable, block extent).
  /// `weights` is the product of the lanes the maximum's element reads (one `r(m_j, M)` each, an `exp`),
  /// `reduction` that of the reduction lanes among them, `extra` that of the lanes only other components read
  /// (the weighted axes); `contractions` counts the components that read those lanes (each a
  /// `[weights / reduction, reduction] x [reduction, extra]` product), `operandBytes` the widest type they load. Nil when `d` is not of the form or has no
  /// reduction lanes (then each element is combined in turn).
  public static func blockFold(_ d: Definition, in k: Kernel, lanes: [(variable: String, extent: Double)])
    -> (weights: Double, reduction: Double, extra: Double, contractions: Int, operandBytes: Int)?
  {
    guard let r = d.reduction, let c = r.combiner, let form = analyse(c), let vars = elementVariables(d) else { return nil }
    let reductionVars = Set(r.axes.map(\.name))
    guard lanes.contains(where: { reductionVars.contains($0.variable) }) else { return nil }
    let weights = vars[form.maxComponent]
    var w = 1.0, red = 1.0, extra = 1.0
    var extraVars: Set<String> = []
    for l in lanes {
      if weights.contains(l.variable) || reductionVars.contains(l.variable) {
        w *= l.extent
        if reductionVars.contains(l.variable) { red *= l.extent }
      } else {
        extra *= l.extent
        extraVars.insert(l.variable)
      }
    }
    let contracted = vars.indices.filter { $0 != form.maxComponent && !vars[$0].isDisjoint(with: extraVars) }
    return (w, red, extra, contracted.count, contracted.map { elementBytes($0 == 0 ? d.body : c.otherElements[$0 - 1], in: k) }.max() ?? 4)
  }

  /// `// ...` lines (IR comments) naming each tuple reduction of `kernel` of the form and how a block of it folds;
  /// empty when there is none. `--emit scheduled` prints them after the kernel.
  public static func notes(_ kernel: Kernel) -> String {
    var out = ""
    for d in kernel.definitions {
      guard let c = d.reduction?.combiner, let form = analyse(c) else { continue }
      let m = c.components[form.maxComponent].name
      let sums = c.components.indices.filter { $0 != form.maxComponent }.map { c.components[$0].name }
      let r = form.guarded ? "select(x == M, 1, exp(x - M))" : "exp(x - M)"
      out += "// %\(d.name): max-rescaled tuple reduction (\(m) by max; \(sums.joined(separator: ", ")) rescaled by r(x, M) = \(r)): "
        + "a block of reduction lanes folds as M = max \(m), p = r(\(m), M), W = sum p * x (a contraction block is one dot on Triton)\n"
    }
    return out
  }
}
