import KevcBasic

/// Facts about a definition's loops under the kernel's dim binding, shared by transforms (legality) and lowering
/// (loop bounds, regions of producers computed at a consumer's loop).
public struct ScheduleQueryError: Error, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
}

extension Kernel {
  /// The constant value of an i64 expression made of constants, dims and arithmetic; nil when it reads data or
  /// index variables.
  public func constantValue(_ e: Expr) -> Int? {
    switch e {
    case .constant(let c):
      if case .int(let v) = c.value { return Int(v) }
      return nil
    case .dim(let d): return dimBindings[d]
    case .binary(let op, let a, let b):
      guard let x = constantValue(a), let y = constantValue(b) else { return nil }
      switch op {
      case .add: return x &+ y
      case .sub: return x &- y
      case .mul: return x &* y
      case .div:
        if y == 0 { return 0 }
        let (q, overflow) = x.dividedReportingOverflow(by: y)  // Int.min / -1 wraps like the others
        guard !overflow else { return q }
        return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q
      case .max: return Swift.max(x, y)
      case .min: return Swift.min(x, y)
      case .mod, .pow, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return nil
      }
    case .cast(let t, let a): return t.isInteger ? constantValue(a) : nil
    case .index, .scalar, .load, .unary, .select: return nil
    }
  }

  /// The root axis (or reduction axis) a loop variable comes from: `n.i.o` -> `n`.
  public static func rootVariable(of loop: String, in s: Schedule) -> String {
    var name = loop
    while let split = s.splits.first(where: { $0.outer == name || $0.inner == name }) { name = split.variable }
    return name
  }

  /// The largest number of iterations of a loop variable of `d` (axes: their extent; split parts and a fused loop:
  /// derived).
  public func maxExtent(_ loop: String, in d: Definition) throws(ScheduleQueryError) -> Int {
    let s = d.effectiveSchedule
    if let split = s.splits.first(where: { $0.outer == loop }) {
      let whole = try maxExtent(split.variable, in: d)
      guard split.factor >= 1, split.factor <= ShapeLimits.maxExtent else {
        throw ScheduleQueryError("split factor \(split.factor) of '\(split.variable)' is outside 1 ... \(ShapeLimits.maxExtent)")
      }
      return (whole + split.factor - 1) / split.factor
    }
    if let split = s.splits.first(where: { $0.inner == loop }) {
      return Swift.min(split.factor, try maxExtent(split.variable, in: d))
    }
    if let f = s.fusion, f.variable == loop {
      let (product, overflow) = try maxExtent(f.outer, in: d).multipliedReportingOverflow(by: try maxExtent(f.inner, in: d))
      guard !overflow, product <= ShapeLimits.maxExtent else {
        throw ScheduleQueryError("fused loop '\(loop)' of '\(d.name)' spans more than \(ShapeLimits.maxExtent)")
      }
      return product
    }
    if let axis = d.axes.first(where: { $0.name == loop }) {
      guard let v = axis.extent.evaluate(dimBindings) else {
        throw ScheduleQueryError("the kernel's dims must be bound (use --shape or a dims line)")
      }
      return v
    }
    if let r = d.reduction?.axes.first(where: { $0.name == loop }) {
      guard let lo = constantValue(r.lowerBound), let hi = constantValue(r.upperBound) else {
        throw ScheduleQueryError("reduction axis '\(loop)' of '\(d.name)' has data-dependent bounds")
      }
      guard let span = ShapeLimits.span(lo, hi), span <= ShapeLimits.maxExtent else {
        throw ScheduleQueryError("reduction axis '\(loop)' of '\(d.name)' spans more than \(ShapeLimits.maxExtent)")
      }
      return Swift.max(0, span)
    }
    throw ScheduleQueryError("'\(d.name)' has no loop '\(loop)'")
  }
}
