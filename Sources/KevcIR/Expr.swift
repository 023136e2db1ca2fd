import KevcBasic

/// A scalar expression evaluated at one point of an iteration domain.
///
/// Types are explicit: every operand of a binary op has the same dtype (the frontend inserts casts), a constant
/// carries its dtype, axes and dims are `i64`. `ExprTyping.swift` computes the type of any expression.
public indirect enum Expr: Hashable, Codable, Sendable {
  /// A literal of the given type (`1.5:f32`, `-inf:bf16`, `3`, `true`).
  case constant(Constant)
  /// An index variable: an axis of the enclosing definition, one of its reduction axes, or (in loop IR) a loop
  /// variable. Type i64.
  case index(String)
  /// The value of a symbolic dimension. Type i64.
  case dim(String)
  /// A scalar parameter.
  case scalar(String)
  /// An element of a tensor (parameter, earlier definition, or loop-IR buffer).
  case load(Load)
  case unary(UnaryOp, Expr)
  case binary(BinaryOp, Expr, Expr)
  /// `condition ? a : b`; both branches are evaluated (loads never fault), one is kept.
  case select(Expr, Expr, Expr)
  /// Conversion to `dtype`: floats round to nearest-even, float->int truncates toward zero (saturating, NaN -> 0),
  /// numbers->bool is `!= 0`, bool->number is 0 or 1.
  case cast(DType, Expr)
}

public struct Load: Hashable, Codable, Sendable {
  public var tensor: String
  public var indices: [Expr]
  public var bounds: LoadBounds

  public init(tensor: String, indices: [Expr], bounds: LoadBounds = .padded(nil)) {
    self.tensor = tensor
    self.indices = indices
    self.bounds = bounds
  }
}

/// What a load does outside its tensor's shape.
public enum LoadBounds: Hashable, Codable, Sendable {
  /// Yields the pad value (zero of the element type when nil).
  case padded(Constant?)
  /// The index is known to be inside; reading outside is an error.
  case inBounds
}

/// A literal value with its type.
public struct Constant: Hashable, Codable, Sendable {
  public var dtype: DType
  public var value: Value

  public enum Value: Hashable, Codable, Sendable {
    /// Includes inf, -inf and nan (nan compares equal to itself here: this is the IR's identity, not arithmetic).
    case float(Double)
    case int(Int64)
    case bool(Bool)
  }

  public init(_ dtype: DType, _ value: Value) {
    self.dtype = dtype
    self.value = value
  }

  public static func float(_ v: Double, _ t: DType) -> Constant { Constant(t, .float(v)) }
  public static func int(_ v: Int64, _ t: DType = .i64) -> Constant { Constant(t, .int(v)) }
  public static func bool(_ v: Bool) -> Constant { Constant(.bool, .bool(v)) }

  /// The zero of a type.
  public static func zero(_ t: DType) -> Constant {
    if t.isFloat { return .float(0, t) }
    if t == .bool { return .bool(false) }
    return .int(0, t)
  }

  /// The value as a double (the interpreter's representation).
  public var doubleValue: Double {
    switch value {
    case .float(let v): return v
    case .int(let v): return Double(v)
    case .bool(let v): return v ? 1 : 0
    }
  }

  public static func == (a: Constant, b: Constant) -> Bool {
    guard a.dtype == b.dtype else { return false }
    switch (a.value, b.value) {
    case (.float(let x), .float(let y)): return x == y || (x.isNaN && y.isNaN)
    case (.int(let x), .int(let y)): return x == y
    case (.bool(let x), .bool(let y)): return x == y
    case (.float, _), (.int, _), (.bool, _): return false
    }
  }

  public func hash(into h: inout Hasher) {
    h.combine(dtype)
    switch value {
    case .float(let x): h.combine(x.isNaN ? Double.nan.bitPattern : x == 0 ? 0 : x.bitPattern)
    case .int(let x): h.combine(x)
    case .bool(let x): h.combine(x)
    }
  }
}

public enum UnaryOp: String, Hashable, Codable, Sendable, CaseIterable {
  /// Arithmetic negation (numbers).
  case neg
  /// Logical not (bool).
  case not
  case abs
  // Float-only math.
  case exp, log, sqrt, rsqrt, tanh, sigmoid, erf, floor, ceil
  /// True for NaN (float -> bool).
  case isnan
}

public enum BinaryOp: String, Hashable, Codable, Sendable, CaseIterable {
  case add, sub, mul, div, mod
  /// NaN-propagating.
  case max, min
  /// Floats only.
  case pow
  // Comparisons: numbers -> bool (any comparison with NaN is false, except ne).
  case eq, ne, lt, le, gt, ge
  // Logical: bool x bool -> bool.
  case and, or
}

extension BinaryOp {
  /// The C-like infix spelling of a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`), the same in every emitter
  /// (C++, Python, Triton); nil for other operators.
  public var comparisonOperator: String? {
    switch self {
    case .eq: return "=="
    case .ne: return "!="
    case .lt: return "<"
    case .le: return "<="
    case .gt: return ">"
    case .ge: return ">="
    case .add, .sub, .mul, .div, .mod, .max, .min, .pow, .and, .or: return nil
    }
  }

  public var isComparison: Bool {
    switch self {
    case .eq, .ne, .lt, .le, .gt, .ge: return true
    case .add, .sub, .mul, .div, .mod, .max, .min, .pow, .and, .or: return false
    }
  }

  public var isLogical: Bool {
    switch self {
    case .and, .or: return true
    case .add, .sub, .mul, .div, .mod, .max, .min, .pow, .eq, .ne, .lt, .le, .gt, .ge: return false
    }
  }
}

/// Integer arithmetic over symbolic dimensions: the extents of shapes and axes.
public indirect enum SizeExpr: Hashable, Codable, Sendable {
  case constant(Int)
  case dim(String)
  case add(SizeExpr, SizeExpr)
  case sub(SizeExpr, SizeExpr)
  case mul(SizeExpr, SizeExpr)
  /// Floor division.
  case div(SizeExpr, SizeExpr)

  /// The value under a binding of dims; nil when a dim is unbound, a division is by zero or the arithmetic
  /// overflows 64 bits.
  public func evaluate(_ dims: [String: Int]) -> Int? {
    switch self {
    case .constant(let c): return c
    case .dim(let d): return dims[d]
    case .add(let a, let b):
      guard let x = a.evaluate(dims), let y = b.evaluate(dims) else { return nil }
      let (v, overflow) = x.addingReportingOverflow(y)
      return overflow ? nil : v
    case .sub(let a, let b):
      guard let x = a.evaluate(dims), let y = b.evaluate(dims) else { return nil }
      let (v, overflow) = x.subtractingReportingOverflow(y)
      return overflow ? nil : v
    case .mul(let a, let b):
      guard let x = a.evaluate(dims), let y = b.evaluate(dims) else { return nil }
      let (v, overflow) = x.multipliedReportingOverflow(by: y)
      return overflow ? nil : v
    case .div(let a, let b):
      guard let x = a.evaluate(dims), let y = b.evaluate(dims), y != 0 else { return nil }
      let (q, overflow) = x.dividedReportingOverflow(by: y)  // Int.min / -1
      guard !overflow else { return nil }
      let r = x.remainderReportingOverflow(dividingBy: y).partialValue
      return (r != 0 && ((x < 0) != (y < 0))) ? q - 1 : q
    }
  }

  /// The dims this size mentions.
  public var dimNames: Set<String> {
    switch self {
    case .constant: return []
    case .dim(let d): return [d]
    case .add(let a, let b), .sub(let a, let b), .mul(let a, let b), .div(let a, let b):
      return a.dimNames.union(b.dimNames)
    }
  }
}

extension Kernel {
  /// The bound value of every dim that has one.
  public var dimBindings: [String: Int] {
    var out: [String: Int] = [:]
    for d in dims { if let v = d.value { out[d.name] = v } }
    return out
  }

  /// A parameter, result or definition by name: its element type and shape.
  public func tensorType(_ name: String) -> (dtype: DType, shape: [SizeExpr])? {
    if let p = params.first(where: { $0.name == name }) { return (p.dtype, p.shape) }
    if let d = definitions.first(where: { $0.name == name }) { return (d.dtype, d.shape) }
    if let r = results.first(where: { $0.name == name }) { return (r.dtype, r.shape) }
    return nil
  }
}
