import KevcBasic
import KevcIR

/// Integer facts about index expressions used while emitting a kernel: conservative ranges (to drop bounds checks
/// that are proven), constant folding of i64 arithmetic, and affine forms (to size the region of a producer
/// computed inside a consumer). Sound: what cannot be bounded or folded stays unknown.
struct IndexFacts {
  var dims: [String: Int]
  /// Ranges of index variables (unique names), inclusive.
  var ranges: [String: ClosedRange<Int>] = [:]
  /// Ranges of whole expressions known from the schedule (the value of a split axis is inside its domain on every
  /// unmasked lane, although its parts' ranges alone do not show it).
  var known: [Expr: ClosedRange<Int>] = [:]

  func constant(_ e: Expr) -> Int? {
    guard e.indexNames.isEmpty, let r = range(e), r.lowerBound == r.upperBound else { return nil }
    return r.lowerBound
  }

  /// The range of an integer expression (only constants, dims, known index variables and arithmetic on them).
  func range(_ e: Expr) -> ClosedRange<Int>? {
    if let r = known[e] { return r }
    switch e {
    case .constant(let c):
      if case .int(let v) = c.value, let i = Int(exactly: v) { return i...i }
      return nil
    case .dim(let d): return dims[d].map { $0...$0 }
    case .index(let n): return ranges[n]
    case .cast(let t, let a): return t.isInteger ? range(a) : nil
    case .binary(let op, let a, let b):
      guard let x = range(a), let y = range(b) else { return nil }
      func make(_ l: Int, _ u: Int) -> ClosedRange<Int>? { l <= u ? l...u : nil }
      switch op {
      case .add:
        let (l, o1) = x.lowerBound.addingReportingOverflow(y.lowerBound)
        let (u, o2) = x.upperBound.addingReportingOverflow(y.upperBound)
        return o1 || o2 ? nil : make(l, u)
      case .sub:
        let (l, o1) = x.lowerBound.subtractingReportingOverflow(y.upperBound)
        let (u, o2) = x.upperBound.subtractingReportingOverflow(y.lowerBound)
        return o1 || o2 ? nil : make(l, u)
      case .mul:
        var values: [Int] = []
        for p in [x.lowerBound, x.upperBound] {
          for q in [y.lowerBound, y.upperBound] {
            let (v, o) = p.multipliedReportingOverflow(by: q)
            if o { return nil }
            values.append(v)
          }
        }
        return make(values.min() ?? 0, values.max() ?? 0)
      case .div:
        guard y.lowerBound == y.upperBound, y.lowerBound > 0 else { return nil }
        return make(floorDiv(x.lowerBound, y.lowerBound), floorDiv(x.upperBound, y.lowerBound))
      case .mod:
        guard y.lowerBound == y.upperBound, y.lowerBound > 0 else { return nil }
        if x.lowerBound >= 0 && x.upperBound < y.lowerBound { return x }
        return 0...(y.lowerBound - 1)
      case .max: return make(Swift.max(x.lowerBound, y.lowerBound), Swift.max(x.upperBound, y.upperBound))
      case .min: return make(Swift.min(x.lowerBound, y.lowerBound), Swift.min(x.upperBound, y.upperBound))
      case .pow, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return nil
      }
    case .scalar, .load, .unary, .select: return nil
    }
  }

  func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }

  /// Folds i64 arithmetic on constants and the identities `x + 0`, `x * 1`, `x * 0`, `x - x`.
  func simplify(_ e: Expr) -> Expr {
    e.rewritten { node in
      guard case .binary(let op, let a, let b) = node else { return nil }
      let x = Self.intConstant(a)
      let y = Self.intConstant(b)
      if let x, let y, Self.isI64Constant(a), Self.isI64Constant(b) {
        switch op {
        case .add: return .constant(.int(Int64(truncatingIfNeeded: x &+ y)))
        case .sub: return .constant(.int(Int64(truncatingIfNeeded: x &- y)))
        case .mul: return .constant(.int(Int64(truncatingIfNeeded: x &* y)))
        case .max: return .constant(.int(Int64(Swift.max(x, y))))
        case .min: return .constant(.int(Int64(Swift.min(x, y))))
        case .div, .mod, .pow, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return nil
        }
      }
      if op == .sub, a == b, Self.isI64(a) { return .constant(.int(0)) }
      switch (op, x, y) {
      case (.add, 0, _): return Self.isI64Constant(a) ? b : nil
      case (.add, _, 0), (.sub, _, 0): return Self.isI64Constant(b) ? a : nil
      case (.mul, 1, _): return Self.isI64Constant(a) ? b : nil
      case (.mul, _, 1): return Self.isI64Constant(b) ? a : nil
      case (.mul, 0, _), (.mul, _, 0):
        return Self.isI64Constant(a) || Self.isI64Constant(b) ? .constant(.int(0)) : nil
      default: return nil
      }
    }
  }

  static func intConstant(_ e: Expr) -> Int? {
    if case .constant(let c) = e, case .int(let v) = c.value { return Int(exactly: v) }
    return nil
  }

  static func isI64Constant(_ e: Expr) -> Bool {
    if case .constant(let c) = e { return c.dtype == .i64 }
    return false
  }

  static func isI64(_ e: Expr) -> Bool {
    switch e {
    case .constant(let c): return c.dtype == .i64
    case .index, .dim: return true
    case .scalar, .load, .unary, .select: return false
    case .cast(let t, _): return t == .i64
    case .binary(let op, let a, _): return !op.isComparison && !op.isLogical && isI64(a)
    }
  }

  /// An affine form: constant + sum of coefficient * variable.
  struct Affine: Hashable {
    var constant: Int
    var terms: [String: Int]

    static func + (a: Affine, b: Affine) -> Affine {
      var t = a.terms
      for (k, v) in b.terms { t[k, default: 0] &+= v }
      return Affine(constant: a.constant &+ b.constant, terms: t.filter { $0.value != 0 })
    }
    func scaled(_ c: Int) -> Affine {
      Affine(constant: constant &* c, terms: terms.mapValues { $0 &* c }.filter { $0.value != 0 })
    }
  }

  func affine(_ e: Expr) -> Affine? {
    switch e {
    case .constant(let c):
      if case .int(let v) = c.value, let i = Int(exactly: v) { return Affine(constant: i, terms: [:]) }
      return nil
    case .dim(let d): return dims[d].map { Affine(constant: $0, terms: [:]) }
    case .index(let n): return Affine(constant: 0, terms: [n: 1])
    case .cast(let t, let a): return t.isInteger ? affine(a) : nil
    case .binary(.add, let a, let b):
      guard let x = affine(a), let y = affine(b) else { return nil }
      return x + y
    case .binary(.sub, let a, let b):
      guard let x = affine(a), let y = affine(b) else { return nil }
      return x + y.scaled(-1)
    case .binary(.mul, let a, let b):
      guard let x = affine(a), let y = affine(b) else { return nil }
      if x.terms.isEmpty { return y.scaled(x.constant) }
      if y.terms.isEmpty { return x.scaled(y.constant) }
      return nil
    case .binary, .scalar, .load, .unary, .select: return nil
    }
  }
}
