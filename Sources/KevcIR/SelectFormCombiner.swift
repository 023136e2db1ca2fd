import KevcBasic

/// Recognises tuple combiners of the "select form": every component is combined by `select(c, %b.x, %a.x)` with
/// one and the same condition `c`, so that one combine step either keeps the left state or takes the right one
/// whole. Such a step is `if c { state = element }`: the lowerings evaluate `c` once per element and skip the
/// per-component selects (and the stores) when the state is kept. argmax/argmin (`Combiner.argExtreme`) is an
/// instance, and so is any "keep the best" reduction (the largest by one key with a payload, the first element
/// satisfying a predicate, ...): only the shape of the combiner is matched, never a name.
///
///     combine (select(%t, %b.v, %a.v), select(%t, %b.i, %a.i))   where %t is one condition of %a.*, %b.*
///     -> SelectFormCombiner(condition: %t)
///
/// A combiner with two different conditions, a component combined otherwise (`max`, a sum, a constant), or a
/// select whose branches are swapped or read another component is not of the form.
///
/// The **order key** (`orderKey(in:)`) is the one float component the condition compares strictly between the two
/// operands (`%b.v > %a.v`, `%b.v < %a.v`, or the same written from `%a`): the value by which elements are ranked.
/// The checker's leeway (Interpreter, torch reference) accepts the yield of any element whose key is within the
/// key type's tolerance of the winner's but not equal to it (rounding may rank them either way); an exact tie and
/// a NaN key give only the combiner's own answer. argmax's key is its value `v`, its yield the index.
///
/// **Ascending index** (`ascendingIndex(of:in:)`, `condition(in:ascendingIndex:)`): when a component's element is
/// the definition's one reduction variable, its identity is below the variable's constant lower bound, and the
/// domain is visited in ascending order (ReductionOrder.swift makes every schedule of a select-form reduction do
/// so), the state's component is the identity or an earlier element, so the element is larger than it: in the loop
/// `%b.i < %a.i` is false, `%b.i > %a.i` true, `%b.i != -1` true, and the condition folds. argmax's
///     (%b.i != -1) and ((%a.i == -1) or select(isnan(%a.v), isnan(%b.v) and (%b.i < %a.i),
///                                              isnan(%b.v) or (%b.v > %a.v) or ((%b.v == %a.v) and (%b.i < %a.i))))
/// becomes the operator's test `(%a.i == -1) or (not(isnan(%a.v)) and (isnan(%b.v) or (%b.v > %a.v)))`. Only the
/// loop lowering uses it (the combiner itself stays associative for any order: Triton's tree combine needs it).
public struct SelectFormCombiner: Hashable, Sendable {
  /// The condition under which the right operand replaces the left state, of `%a.NAME` and `%b.NAME`.
  public var condition: Expr

  public init(condition: Expr) { self.condition = condition }

  /// The form of `c`, or nil when it is not a select-form combiner.
  public static func analyse(_ c: Combiner) -> SelectFormCombiner? {
    guard !c.components.isEmpty, c.combine.count == c.components.count else { return nil }
    var condition: Expr?
    for (comp, e) in zip(c.components, c.combine) {
      guard case .select(let t, let b, let a) = e, b == .scalar(Combiner.right(comp.name)),
        a == .scalar(Combiner.left(comp.name))
      else { return nil }
      if let known = condition, known != t { return nil }
      condition = t
    }
    return condition.map(SelectFormCombiner.init(condition:))
  }

  /// The position of the order key of `c` (see above), or nil when the condition compares no float component or
  /// several by order, or compares one with the operands of the same side.
  public func orderKey(in c: Combiner) -> Int? {
    var keys = Set<Int>()
    condition.forEach { e in
      guard case .binary(let op, let x, let y) = e, case .scalar(let xn) = x, case .scalar(let yn) = y else { return }
      switch op {
      case .lt, .gt: break
      case .add, .sub, .mul, .div, .mod, .pow, .max, .min, .eq, .ne, .le, .ge, .and, .or: return
      }
      for (i, comp) in c.components.enumerated() where comp.dtype.isFloat {
        let (a, b) = (Combiner.left(comp.name), Combiner.right(comp.name))
        if (xn == a && yn == b) || (xn == b && yn == a) { keys.insert(i) }
      }
    }
    return keys.count == 1 ? keys.first : nil
  }

  /// The component whose element is the one reduction variable of `r` (element `elements[i]`, component 0's being
  /// the body) with an integer identity below that variable's constant lower bound, or nil.
  public static func ascendingIndex(of c: Combiner, body: Expr, in r: Reduction) -> Int? {
    guard r.axes.count == 1, case .constant(let lo) = r.axes[0].lowerBound, case .int(let lower) = lo.value else {
      return nil
    }
    let elements = [body] + c.otherElements
    for (i, comp) in c.components.enumerated() where i < elements.count && elements[i] == .index(r.axes[0].name) {
      if comp.dtype.isInteger, case .int(let identity) = comp.identity.value, identity < lower { return i }
    }
    return nil
  }

  /// The condition (of `%a.*` and `%b.*`) folded for an ascending index component `j` whose elements are at least
  /// `lower` (see above): comparisons of `%b.j` with `%a.j`, and of `%b.j` with a constant below `lower`, become
  /// constants, and `and`/`or`/`not`/`select` of constants fold.
  public func condition(in c: Combiner, ascendingIndex j: Int, lower: Int64) -> Expr {
    guard j < c.components.count else { return condition }
    let (a, b) = (Expr.scalar(Combiner.left(c.components[j].name)), Expr.scalar(Combiner.right(c.components[j].name)))
    let (yes, no) = (Expr.constant(.bool(true)), Expr.constant(.bool(false)))
    func below(_ e: Expr) -> Bool {
      if case .constant(let k) = e, case .int(let v) = k.value { return v < lower }
      return false
    }
    return condition.rewritten { e in
      switch e {
      case .binary(let op, let x, let y):
        // The element `b` is larger than the state `a` and than any constant below the lower bound.
        let greater: Bool? =
          (x == b && (y == a || below(y))) ? true : ((y == b && (x == a || below(x))) ? false : nil)
        switch op {
        case .lt, .le: if let g = greater { return g ? no : yes }
        case .gt, .ge: if let g = greater { return g ? yes : no }
        case .ne: if greater != nil { return yes }
        case .eq: if greater != nil { return no }
        case .and:
          if x == no || y == no { return no }
          if x == yes { return y }
          if y == yes { return x }
        case .or:
          if x == yes || y == yes { return yes }
          if x == no { return y }
          if y == no { return x }
        case .add, .sub, .mul, .div, .mod, .max, .min, .pow: break
        }
        return nil
      case .unary(.not, let x):
        if x == yes { return no }
        if x == no { return yes }
        return nil
      case .select(let t, let x, let y):
        if t == yes { return x }
        if t == no { return y }
        if x == no { return .binary(.and, .unary(.not, t), y) }
        if y == no { return .binary(.and, t, x) }
        return nil
      case .constant, .index, .dim, .scalar, .load, .unary, .cast: return nil
      }
    }
  }

  /// The condition with the left operand `a` and right operand `b` substituted (expressions by component).
  public func condition(in c: Combiner, _ a: [Expr], _ b: [Expr]) -> Expr {
    var map: [String: Expr] = [:]
    for (i, comp) in c.components.enumerated() where i < a.count && i < b.count {
      map[Combiner.left(comp.name)] = a[i]
      map[Combiner.right(comp.name)] = b[i]
    }
    return condition.substitutingScalars(map)
  }
}
