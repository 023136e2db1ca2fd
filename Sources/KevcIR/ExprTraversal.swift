/// Generic traversals of expressions: bottom-up rewriting, substitution of index variables, and queries.
/// Passes and transforms build on these instead of writing their own recursion.
extension Expr {
  /// The direct operands of this node, in order.
  public var children: [Expr] {
    switch self {
    case .constant, .index, .dim, .scalar: return []
    case .load(let l): return l.indices
    case .unary(_, let a), .cast(_, let a): return [a]
    case .binary(_, let a, let b): return [a, b]
    case .select(let c, let a, let b): return [c, a, b]
    }
  }

  /// Rebuilds the node with new operands (same count and order as `children`).
  public func withChildren(_ c: [Expr]) -> Expr {
    switch self {
    case .constant, .index, .dim, .scalar: return self
    case .load(var l):
      l.indices = c
      return .load(l)
    case .unary(let op, _): return .unary(op, c[0])
    case .cast(let t, _): return .cast(t, c[0])
    case .binary(let op, _, _): return .binary(op, c[0], c[1])
    case .select: return .select(c[0], c[1], c[2])
    }
  }

  /// Rewrites bottom-up: operands first, then `transform` on the rebuilt node (nil keeps it).
  public func rewritten(_ transform: (Expr) -> Expr?) -> Expr {
    let rebuilt = children.isEmpty ? self : withChildren(children.map { $0.rewritten(transform) })
    return transform(rebuilt) ?? rebuilt
  }

  /// Replaces index variables by expressions (simultaneously).
  public func substituting(_ indices: [String: Expr]) -> Expr {
    rewritten { e in
      if case .index(let name) = e { return indices[name] }
      return nil
    }
  }

  /// Calls `visit` on every node, parents before children.
  public func forEach(_ visit: (Expr) -> Void) {
    visit(self)
    for c in children { c.forEach(visit) }
  }

  /// Every load in the expression (including loads inside indices), outermost first.
  public var loads: [Load] {
    var out: [Load] = []
    forEach { if case .load(let l) = $0 { out.append(l) } }
    return out
  }

  /// Names of the index variables the expression reads.
  public var indexNames: Set<String> {
    var out: Set<String> = []
    forEach { if case .index(let n) = $0 { out.insert(n) } }
    return out
  }

  /// Whether the expression reads tensor `name`.
  public func reads(_ name: String) -> Bool { loads.contains { $0.tensor == name } }
}

extension SizeExpr {
  /// The same size as an i64 expression.
  public var expr: Expr {
    switch self {
    case .constant(let c): return .constant(.int(Int64(c)))
    case .dim(let d): return .dim(d)
    case .add(let a, let b): return .binary(.add, a.expr, b.expr)
    case .sub(let a, let b): return .binary(.sub, a.expr, b.expr)
    case .mul(let a, let b): return .binary(.mul, a.expr, b.expr)
    case .div(let a, let b): return .binary(.div, a.expr, b.expr)
    }
  }
}

extension Definition {
  /// Every expression the definition evaluates at a point: its body, a tuple reduction's other elements, and its
  /// reduction bounds. (A combiner's `combine` and `yield` read only the state, never the point.)
  public var expressions: [Expr] {
    [body] + (reduction?.combiner?.otherElements ?? [])
      + (reduction?.axes.flatMap { [$0.lowerBound, $0.upperBound] } ?? [])
  }

  /// Whether the definition reads tensor `name` anywhere.
  public func reads(_ name: String) -> Bool { expressions.contains { $0.reads(name) } }

  /// Applies `transform` to the body, a tuple reduction's other elements and the reduction bounds.
  public func mappingExpressions(_ transform: (Expr) -> Expr) -> Definition {
    var d = self
    d.body = transform(body)
    if var r = d.reduction {
      if var c = r.combiner {
        c.otherElements = c.otherElements.map(transform)
        r.combiner = c
      }
      r.axes = r.axes.map { ReductionAxis(name: $0.name, lowerBound: transform($0.lowerBound), upperBound: transform($0.upperBound)) }
      d.reduction = r
    }
    return d
  }
}

extension Kernel {
  /// The results no other definition reads: a float64 reference can compute them a slice at a time and compare each
  /// slice as it comes (the torch reference's `_STREAMABLE`, the evaluation footprint's sliced plan).
  public var streamableResults: [String] {
    results.map(\.name).filter { r in !definitions.contains { $0.name != r && $0.reads(r) } }
  }
}
