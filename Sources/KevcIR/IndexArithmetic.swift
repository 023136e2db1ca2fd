import KevcBasic

/// The one integer analysis of index expressions that every stage reads: the transforms (to prove an inlined read
/// in range), the loop lowering and its bounds analysis (to drop padding and guards) and the emitters (to size
/// regions and drop masks). It gives
/// - `interval(_:)`: the values an integer (or bool) expression can take when each index variable lies in its
///   interval; sound: it follows the IR's semantics (floor division and modulo, integers wrapping in their type)
///   and gives up, rather than guess, on data, scalars, floats and any possible overflow;
/// - `affine(_:)`: the form `constant + sum(coefficient * variable)` of an index expression, or nil;
/// - `simplify(_:)`: folding of i64 constant arithmetic and of the identities `x + 0`, `x * 1`, `x * 0`, `x - x`,
///   `(x + c) - x`, and, where the variables' intervals prove it, the aligned split of a floor division or modulo
///   by a positive constant `D` (`alignedSplit`): when `e = big + small` with `big` a multiple of `g`, `g`
///   dividing `D` and `small` in `[0, g)`, then `e // D == big // D` and `e % D == big % D + small` (the one
///   simplifier of the loop lowering and the Triton emitter).
///
/// Example: with `n.o` in [0, 3] and `n.i` in [0, 63], `interval(n.o * 64 + n.i)` is [0, 255]; `affine` of it is
/// `64 * n.o + 1 * n.i`; `simplify((n.i + 0) * 1)` is `n.i`.
public struct IndexArithmetic: Sendable {
  public var dims: [String: Int]
  /// Intervals of the index variables in scope (unique names); others are unknown.
  public var variables: [String: Interval]
  /// Intervals of whole expressions known from the schedule (the value of a split axis is inside its domain on
  /// every unmasked lane, although its parts' intervals alone do not show it).
  public var known: [Expr: Interval] = [:]

  public init(dims: [String: Int], variables: [String: Interval] = [:]) {
    self.dims = dims
    self.variables = variables
  }

  /// A closed range of values of an integer (or bool) type; `lo <= hi` always.
  public struct Interval: Hashable, Sendable {
    public var lo: Int64
    public var hi: Int64
    public var dtype: DType

    public init(lo: Int64, hi: Int64, dtype: DType) {
      self.lo = lo
      self.hi = hi
      self.dtype = dtype
    }

    /// An i64 interval (index variables and dims are i64).
    public init(_ r: ClosedRange<Int>) { self.init(lo: Int64(r.lowerBound), hi: Int64(r.upperBound), dtype: .i64) }

    public var range: ClosedRange<Int> { Int(lo)...Int(hi) }

    /// The interval if it fits in `t`'s range (so no wrapping happened), else nil.
    public func fitting(_ t: DType) -> Interval? {
      guard let (min, max) = Interval.typeRange(t), lo >= min, hi <= max, lo <= hi else { return nil }
      return Interval(lo: lo, hi: hi, dtype: t)
    }

    static func typeRange(_ t: DType) -> (Int64, Int64)? {
      switch t {
      case .i8: return (Int64(Int8.min), Int64(Int8.max))
      case .i32: return (Int64(Int32.min), Int64(Int32.max))
      case .i64: return (Int64.min, Int64.max)
      case .bool: return (0, 1)
      case .f16, .bf16, .f32, .f64: return nil
      }
    }

    static func bool(_ lo: Int64, _ hi: Int64) -> Interval { Interval(lo: lo, hi: hi, dtype: .bool) }

    /// The smallest interval holding the given values (all computed without overflow), in type `t`.
    static func hull(_ values: [Int64], _ t: DType) -> Interval? {
      guard let lo = values.min(), let hi = values.max() else { return nil }
      return Interval(lo: lo, hi: hi, dtype: t).fitting(t)
    }
  }

  /// Sets the interval of an i64 index variable (nil: unknown).
  public mutating func bound(_ name: String, _ r: ClosedRange<Int>?) { variables[name] = r.map(Interval.init) }

  /// The i64 interval of an index variable, if known.
  public func range(of name: String) -> ClosedRange<Int>? { variables[name]?.range }

  /// The range of an integer expression, or nil when unknown.
  public func range(_ e: Expr) -> ClosedRange<Int>? { interval(e).flatMap { $0.dtype.isInteger ? $0.range : nil } }

  /// The value of an integer expression of constants and dims, or nil.
  public func constant(_ e: Expr) -> Int? {
    guard e.indexNames.isEmpty, let r = range(e), r.lowerBound == r.upperBound else { return nil }
    return r.lowerBound
  }

  // MARK: Intervals

  /// The values an expression can take, or nil when unknown (floats, data, scalars, possible overflow).
  public func interval(_ e: Expr) -> Interval? {
    if let r = known[e] { return r }
    switch e {
    case .constant(let c):
      switch c.value {
      case .int(let v): return c.dtype.isInteger ? Interval(lo: v, hi: v, dtype: c.dtype) : nil
      case .bool(let b): return c.dtype == .bool ? .bool(b ? 1 : 0, b ? 1 : 0) : nil
      case .float: return nil
      }
    case .index(let v): return variables[v]
    case .dim(let d):
      guard let v = dims[d] else { return nil }
      return Interval(lo: Int64(v), hi: Int64(v), dtype: .i64)
    case .scalar, .load: return nil
    case .unary(let op, let a):
      guard let x = interval(a) else { return nil }
      switch op {
      case .neg:
        guard x.dtype.isInteger, x.lo > Int64.min else { return nil }
        return Interval(lo: -x.hi, hi: -x.lo, dtype: x.dtype).fitting(x.dtype)
      case .abs:
        guard x.dtype.isInteger, x.lo > Int64.min else { return nil }
        if x.lo >= 0 { return x }
        if x.hi <= 0 { return Interval(lo: -x.hi, hi: -x.lo, dtype: x.dtype).fitting(x.dtype) }
        return Interval(lo: 0, hi: max(-x.lo, x.hi), dtype: x.dtype).fitting(x.dtype)
      case .not:
        guard x.dtype == .bool else { return nil }
        return .bool(1 - x.hi, 1 - x.lo)
      case .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .erf, .floor, .ceil, .isnan: return nil
      }
    case .binary(let op, let a, let b):
      if op.isComparison || op.isLogical { return .bool(0, 1) }
      guard let x = interval(a), let y = interval(b), x.dtype == y.dtype, x.dtype.isInteger else { return nil }
      let t = x.dtype
      switch op {
      case .add:
        let (lo, o1) = x.lo.addingReportingOverflow(y.lo)
        let (hi, o2) = x.hi.addingReportingOverflow(y.hi)
        guard !o1, !o2 else { return nil }
        return Interval(lo: lo, hi: hi, dtype: t).fitting(t)
      case .sub:
        let (lo, o1) = x.lo.subtractingReportingOverflow(y.hi)
        let (hi, o2) = x.hi.subtractingReportingOverflow(y.lo)
        guard !o1, !o2 else { return nil }
        return Interval(lo: lo, hi: hi, dtype: t).fitting(t)
      case .mul:
        var products: [Int64] = []
        for p in [x.lo, x.hi] {
          for q in [y.lo, y.hi] {
            let (r, o) = p.multipliedReportingOverflow(by: q)
            if o { return nil }
            products.append(r)
          }
        }
        return .hull(products, t)
      case .div:
        // Floor division is monotone in each operand on a divisor range that excludes 0 (x / 0 == 0 is not
        // modelled: give up when the divisor may be 0).
        guard y.lo > 0 || y.hi < 0 else { return nil }
        if x.lo == Int64.min && y.lo <= -1 && y.hi >= -1 { return nil }
        return .hull([x.lo, x.hi].flatMap { p in [y.lo, y.hi].map { q in Self.floorDiv(p, q) } }, t)
      case .mod:
        if x.lo == x.hi, y.lo == y.hi, y.lo != 0, x.lo != Int64.min {  // one value: its floor modulo
          var m = x.lo % y.lo  // truncated, |m| < |y|: no overflow
          if m != 0 && (m < 0) != (y.lo < 0) { m += y.lo }
          return Interval(lo: m, hi: m, dtype: t)
        }
        if y.lo > 0 {
          if x.lo >= 0 && x.hi < y.lo { return x }
          return Interval(lo: 0, hi: y.hi - 1, dtype: t)
        }
        if y.hi < 0 {
          if x.hi <= 0 && x.lo > y.hi { return x }
          return Interval(lo: y.lo + 1, hi: 0, dtype: t)
        }
        return nil
      case .max: return Interval(lo: max(x.lo, y.lo), hi: max(x.hi, y.hi), dtype: t)
      case .min: return Interval(lo: min(x.lo, y.lo), hi: min(x.hi, y.hi), dtype: t)
      case .pow, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return nil
      }
    case .select(_, let a, let b):
      guard let x = interval(a), let y = interval(b), x.dtype == y.dtype else { return nil }
      return Interval(lo: min(x.lo, y.lo), hi: max(x.hi, y.hi), dtype: x.dtype)
    case .cast(let t, let a):
      guard let x = interval(a) else { return nil }
      switch t {
      case .i8, .i32, .i64:
        guard x.dtype.isInteger || x.dtype == .bool else { return nil }
        return x.fitting(t)
      case .bool:
        guard x.dtype.isInteger || x.dtype == .bool else { return nil }
        if x.lo == 0 && x.hi == 0 { return .bool(0, 0) }
        if x.lo > 0 || x.hi < 0 { return .bool(1, 1) }
        return .bool(0, 1)
      case .f16, .bf16, .f32, .f64: return nil
      }
    }
  }

  /// Floor division (rounds toward negative infinity), as the IR's `//`.
  public static func floorDiv<T: BinaryInteger>(_ a: T, _ b: T) -> T {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }

  // MARK: Affine forms

  /// An affine form: constant + sum of coefficient * variable.
  public struct Affine: Hashable, Sendable {
    public var constant: Int
    public var terms: [String: Int]

    public init(constant: Int, terms: [String: Int]) {
      self.constant = constant
      self.terms = terms
    }

    public static func + (a: Affine, b: Affine) -> Affine {
      var t = a.terms
      for (k, v) in b.terms { t[k, default: 0] &+= v }
      return Affine(constant: a.constant &+ b.constant, terms: t.filter { $0.value != 0 })
    }
    public func scaled(_ c: Int) -> Affine {
      Affine(constant: constant &* c, terms: terms.mapValues { $0 &* c }.filter { $0.value != 0 })
    }
  }

  /// The affine form of an index expression in its index variables (dims folded), or nil (a gather through a
  /// load, a product of two variables, a float).
  public func affine(_ e: Expr) -> Affine? {
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

  // MARK: Simplification

  /// Folds i64 arithmetic on constants and the identities `x + 0`, `x * 1`, `x * 0`, `x - x`, `(x + c) - x`, and
  /// splits floor divisions and modulos of aligned sums (`alignedSplit`).
  public func simplify(_ e: Expr) -> Expr {
    e.rewritten { node in
      guard case .binary(let op, let a, let b) = node else { return nil }
      if let split = alignedDivision(op, a, b) { return split }
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
      // (x + c) - x -> c, for an i64 constant or a dim c.
      if op == .sub, case .binary(.add, let x, let c) = a, x == b, Self.isI64(x), Self.isI64Constant(c) || c.isDim {
        return c
      }
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

  /// The aligned split of `e` against a positive constant divisor `d` (i64 arithmetic): `e`'s summands (its
  /// top-level `+` chain) parted into `big`, whose affine form's coefficients and constant are all multiples of
  /// some `g` dividing `d`, and `small`, whose interval lies in `[0, g)`; then `e // d == big // d` and
  /// `e % d == big % d + small` (with `big == g * m`: `g * m // d` leaves a remainder that is a multiple of `g`, at
  /// most `d - g`, and adding `small < g` does not reach the next multiple of `d`). `big` is nil when `e` itself
  /// lies in `[0, d)`. Nil when no split removes anything (no `small` part, or no proof).
  ///
  /// Example: with `k.i` in [0, 31], `(k.o * 32 + k.i) // 64` is `(k.o * 32) // 64` and `(k.o * 32 + k.i) % 64` is
  /// `(k.o * 32) % 64 + k.i`: the lane part of a block of a fused axis drops out of the outer axes' indices.
  public func alignedSplit(_ e: Expr, by divisor: Expr) -> (big: Expr?, small: Expr)? {
    guard Self.isI64(e), let d = constant(divisor), d > 0, let whole = interval(e), whole.dtype == .i64 else { return nil }
    if whole.lo >= 0 && whole.hi < Int64(d) { return (nil, e) }
    var summands: [Expr] = []
    func flatten(_ x: Expr) {
      if case .binary(.add, let l, let r) = x {
        flatten(l)
        flatten(r)
      } else {
        summands.append(x)
      }
    }
    flatten(e)
    guard summands.count >= 2 else { return nil }
    func gcd(_ a: Int, _ b: Int) -> Int {
      var (x, y) = (a.magnitude, b.magnitude)
      while y != 0 { (x, y) = (y, x % y) }
      return Int(x)
    }
    // The largest `g` dividing `d` and every coefficient and the constant of a summand's affine form.
    let alignment: [Int?] = summands.map { s in
      guard let form = affine(s) else { return nil }
      return form.terms.values.reduce(gcd(form.constant, d)) { gcd($0, $1) }
    }
    for g in Set(alignment.compactMap { $0 }).filter({ $0 > 1 }).sorted(by: >) {
      var big: [Expr] = []
      var small: [Expr] = []
      for (s, a) in zip(summands, alignment) {
        if let a, a % g == 0 { big.append(s) } else { small.append(s) }
      }
      guard !big.isEmpty, !small.isEmpty else { continue }
      let bigSum = big.dropFirst().reduce(big[0]) { Expr.binary(.add, $0, $1) }
      let smallSum = small.dropFirst().reduce(small[0]) { Expr.binary(.add, $0, $1) }
      guard let r = interval(smallSum), r.dtype == .i64, r.lo >= 0, r.hi < Int64(g), interval(bigSum) != nil else { continue }
      return (bigSum, smallSum)
    }
    return nil
  }

  /// `a // b` or `a % b` rewritten by `alignedSplit` (`big // b`, `big % b + small`), or nil for other operators
  /// and when no split applies.
  public func alignedDivision(_ op: BinaryOp, _ a: Expr, _ b: Expr) -> Expr? {
    guard op == .div || op == .mod, let split = alignedSplit(a, by: b) else { return nil }
    let divided = split.big.map { Expr.binary(op, $0, b) }
    if op == .div { return divided ?? .constant(.int(0)) }
    return divided.map { .binary(.add, $0, split.small) } ?? split.small
  }

  public static func intConstant(_ e: Expr) -> Int? {
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
}

extension Expr {
  var isDim: Bool {
    if case .dim = self { return true }
    return false
  }
}
