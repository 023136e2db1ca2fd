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
