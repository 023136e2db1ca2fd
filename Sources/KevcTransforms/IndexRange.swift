import KevcBasic
import KevcIR

/// Conservative integer ranges of index expressions, used to prove a read inside a tensor (so that inlining or
/// staging needs no bounds check) and to size the region a consumer reads. Sound: an expression it cannot bound
/// (data, division by a variable) gets no range.
struct IndexRange: Hashable {
  var lower: Int
  var upper: Int  // inclusive

  /// Ranges of the index variables of `d`: its axes over their extents, its reduction axes over constant bounds.
  static func variables(of d: Definition, in editing: ScheduleEditing) -> [String: IndexRange] {
    var out: [String: IndexRange] = [:]
    let dims = editing.kernel.dimBindings
    for a in d.axes {
      if let e = a.extent.evaluate(dims), e >= 1 { out[a.name] = IndexRange(lower: 0, upper: e - 1) }
    }
    for r in d.reduction?.axes ?? [] {
      if let lo = editing.constantValue(r.lowerBound), let hi = editing.constantValue(r.upperBound), hi > lo {
        out[r.name] = IndexRange(lower: lo, upper: hi - 1)
      }
    }
    return out
  }

  static func of(_ e: Expr, _ vars: [String: IndexRange], dims: [String: Int]) -> IndexRange? {
    switch e {
    case .constant(let c):
      if case .int(let v) = c.value { return IndexRange(lower: Int(v), upper: Int(v)) }
      return nil
    case .dim(let d): return dims[d].map { IndexRange(lower: $0, upper: $0) }
    case .index(let n): return vars[n]
    case .cast(let t, let a): return t == .i64 || t == .i32 ? of(a, vars, dims: dims) : nil
    case .binary(let op, let a, let b):
      guard let x = of(a, vars, dims: dims), let y = of(b, vars, dims: dims) else { return nil }
      switch op {
      case .add:
        let (l, o1) = x.lower.addingReportingOverflow(y.lower)
        let (u, o2) = x.upper.addingReportingOverflow(y.upper)
        return o1 || o2 ? nil : IndexRange(lower: l, upper: u)
      case .sub:
        let (l, o1) = x.lower.subtractingReportingOverflow(y.upper)
        let (u, o2) = x.upper.subtractingReportingOverflow(y.lower)
        return o1 || o2 ? nil : IndexRange(lower: l, upper: u)
      case .mul:
        var values: [Int] = []
        for p in [x.lower, x.upper] {
          for q in [y.lower, y.upper] {
            let (v, o) = p.multipliedReportingOverflow(by: q)
            if o { return nil }
            values.append(v)
          }
        }
        return IndexRange(lower: values.min() ?? 0, upper: values.max() ?? 0)
      case .div:
        guard y.lower == y.upper, y.lower > 0 else { return nil }
        return IndexRange(lower: floorDiv(x.lower, y.lower), upper: floorDiv(x.upper, y.lower))
      case .max: return IndexRange(lower: Swift.max(x.lower, y.lower), upper: Swift.max(x.upper, y.upper))
      case .min: return IndexRange(lower: Swift.min(x.lower, y.lower), upper: Swift.min(x.upper, y.upper))
      case .mod, .pow, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return nil
      }
    case .scalar, .load, .unary, .select: return nil
    }
  }

  static func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }
}
