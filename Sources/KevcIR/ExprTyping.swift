import KevcBasic

/// The typing rules of kernel IR expressions (docs/ir.md, "Typing"):
/// - a constant has its dtype (and its value must be of that kind and in range); index variables and dims are i64;
///   a scalar parameter has its dtype; a load has its tensor's dtype (indices: one per dimension, integer typed;
///   a pad constant of the tensor's dtype);
/// - `+ - * / % max min` need two numeric operands of one type and give that type; `pow` needs floats;
///   comparisons need two numeric operands of one type and give bool; `and or not` need bool;
///   `neg abs` need a number; `exp log sqrt rsqrt tanh sigmoid erf floor ceil` need a float; `isnan` float -> bool;
///   `select` needs a bool condition and branches of one type; `cast` converts anything except float -> bool.
/// There are no implicit conversions.

/// The element type and rank of a tensor that loads may read.
public struct TensorType: Hashable, Sendable {
  public var dtype: DType
  public var rank: Int

  public init(dtype: DType, rank: Int) {
    self.dtype = dtype
    self.rank = rank
  }
}

/// Why an expression is ill-typed: a lower-case message naming the offending piece.
public struct ExprTypeError: Error, Hashable, Sendable, CustomStringConvertible {
  public var message: String
  /// The kind of problem, as the name of a `kevc.ir.*` diagnostic: `type-mismatch`, `rank-mismatch`,
  /// `index-out-of-scope`, `unknown-name`, `wrong-reference`, `invalid-constant`, or the id given with an
  /// `unreadable` entry of the environment.
  public var id: String
  public init(_ message: String, id: String = "type-mismatch") {
    self.message = message
    self.id = id
  }
  public var description: String { message }
}

/// What names an expression may use.
public struct TypeEnvironment: Sendable {
  /// Tensors that loads may read.
  public var tensors: [String: TensorType]
  /// Scalar parameters.
  public var scalars: [String: DType]
  /// Known dims; nil accepts any dim name.
  public var dims: Set<String>?
  /// Index variables in scope; nil accepts any name (loop IR, where loop variables are checked elsewhere).
  public var indices: Set<String>?
  /// Tensors that exist but may not be read here: the error a reference to one gives (e.g. a read before the
  /// tensor's definition).
  public var unreadable: [String: ExprTypeError]

  public init(
    tensors: [String: TensorType], scalars: [String: DType], dims: Set<String>?, indices: Set<String>?,
    unreadable: [String: ExprTypeError] = [:]
  ) {
    self.tensors = tensors
    self.scalars = scalars
    self.dims = dims
    self.indices = indices
    self.unreadable = unreadable
  }
}

public enum ExprTyping {
  /// The type of `expr`, or the first reason it has none.
  public static func check(_ expr: Expr, in env: TypeEnvironment) throws(ExprTypeError) -> DType {
    switch expr {
    case .constant(let c):
      try checkConstant(c)
      return c.dtype
    case .index(let name):
      if let scope = env.indices, !scope.contains(name) {
        throw ExprTypeError("index '\(name)' is not in scope", id: "index-out-of-scope")
      }
      return .i64
    case .dim(let name):
      if let dims = env.dims, !dims.contains(name) { throw ExprTypeError("unknown dim '$\(name)'", id: "unknown-name") }
      return .i64
    case .scalar(let name):
      if let t = env.scalars[name] { return t }
      if env.tensors[name] != nil {
        throw ExprTypeError("'%\(name)' is a tensor and is read with a load, not as a scalar", id: "wrong-reference")
      }
      if let e = env.unreadable[name] { throw e }
      throw ExprTypeError("unknown scalar '%\(name)'", id: "unknown-name")
    case .load(let load):
      let name = load.tensor
      guard let t = env.tensors[name] else {
        if env.scalars[name] != nil {
          throw ExprTypeError("'%\(name)' is a scalar parameter and is read without indices", id: "wrong-reference")
        }
        if let e = env.unreadable[name] { throw e }
        throw ExprTypeError("unknown tensor '%\(name)'", id: "unknown-name")
      }
      if load.indices.count != t.rank {
        throw ExprTypeError(
          "load of '%\(name)' has \(load.indices.count) \(load.indices.count == 1 ? "index" : "indices") but '%\(name)' has rank \(t.rank)",
          id: "rank-mismatch")
      }
      for (i, index) in load.indices.enumerated() {
        let it = try check(index, in: env)
        if !it.isInteger {
          throw ExprTypeError("index \(i) of load of '%\(name)' has type \(it); indices must be integers")
        }
      }
      switch load.bounds {
      case .padded(let pad?):
        try checkConstant(pad)
        if pad.dtype != t.dtype {
          throw ExprTypeError("pad value of load of '%\(name)' has type \(pad.dtype) but '%\(name)' has type \(t.dtype)")
        }
      case .padded(nil), .inBounds:
        break
      }
      return t.dtype
    case .unary(let op, let a):
      let at = try check(a, in: env)
      switch op {
      case .neg, .abs:
        if at == .bool { throw ExprTypeError("'\(op.rawValue)' needs a number, found bool") }
        return at
      case .not:
        if at != .bool { throw ExprTypeError("'not' needs bool, found \(at)") }
        return .bool
      case .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .erf, .floor, .ceil:
        if !at.isFloat { throw ExprTypeError("'\(op.rawValue)' needs a float, found \(at)") }
        return at
      case .isnan:
        if !at.isFloat { throw ExprTypeError("'isnan' needs a float, found \(at)") }
        return .bool
      }
    case .binary(let op, let a, let b):
      let at = try check(a, in: env)
      let bt = try check(b, in: env)
      let symbol = IRPrinter.infixSymbol(op) ?? op.rawValue
      if at != bt {
        throw ExprTypeError("operands of '\(symbol)' have different types \(at) and \(bt)")
      }
      switch op {
      case .add, .sub, .mul, .div, .mod, .max, .min:
        if at == .bool { throw ExprTypeError("'\(symbol)' needs numbers, found bool") }
        return at
      case .pow:
        if !at.isFloat { throw ExprTypeError("'pow' needs floats, found \(at)") }
        return at
      case .eq, .ne, .lt, .le, .gt, .ge:
        if at == .bool { throw ExprTypeError("'\(symbol)' compares numbers, found bool") }
        return .bool
      case .and, .or:
        if at != .bool { throw ExprTypeError("'\(symbol)' needs bool, found \(at)") }
        return .bool
      }
    case .select(let c, let a, let b):
      let ct = try check(c, in: env)
      if ct != .bool { throw ExprTypeError("condition of 'select' has type \(ct); expected bool") }
      let at = try check(a, in: env)
      let bt = try check(b, in: env)
      if at != bt { throw ExprTypeError("branches of 'select' have different types \(at) and \(bt)") }
      return at
    case .cast(let t, let a):
      let at = try check(a, in: env)
      if at.isFloat && t == .bool {
        throw ExprTypeError("cast from \(at) to bool is not allowed; compare with zero instead")
      }
      return t
    }
  }

  /// A constant's value must be of its dtype's kind (float, integer in range, bool).
  public static func checkConstant(_ c: Constant) throws(ExprTypeError) {
    let text = IRPrinter.print(c)
    switch c.value {
    case .float:
      if !c.dtype.isFloat { throw ExprTypeError("constant \(text) has a float value but type \(c.dtype)", id: "invalid-constant") }
    case .int(let v):
      if !c.dtype.isInteger { throw ExprTypeError("constant \(text) has an integer value but type \(c.dtype)", id: "invalid-constant") }
      let range: ClosedRange<Int64>
      switch c.dtype {
      case .i8: range = Int64(Int8.min)...Int64(Int8.max)
      case .i32: range = Int64(Int32.min)...Int64(Int32.max)
      case .i64, .f16, .bf16, .f32, .f64, .bool: range = Int64.min...Int64.max
      }
      if !range.contains(v) { throw ExprTypeError("constant \(text) does not fit in \(c.dtype)", id: "invalid-constant") }
    case .bool:
      if c.dtype != .bool { throw ExprTypeError("constant \(text) has a bool value but type \(c.dtype)", id: "invalid-constant") }
    }
  }
}

extension Kernel {
  /// Every tensor a load may name: tensor parameters, definitions and results (scalars excluded).
  public var typeEnvironmentTensors: [String: TensorType] {
    var out: [String: TensorType] = [:]
    for r in results where out[r.name] == nil { out[r.name] = TensorType(dtype: r.dtype, rank: r.shape.count) }
    for d in definitions { out[d.name] = TensorType(dtype: d.dtype, rank: d.axes.count) }
    for p in params where !p.isScalar { out[p.name] = TensorType(dtype: p.dtype, rank: p.shape.count) }
    for p in params where p.isScalar { out[p.name] = nil }
    return out
  }

  /// Scalar parameters by name.
  public var scalarTypes: [String: DType] {
    var out: [String: DType] = [:]
    for p in params where p.isScalar && out[p.name] == nil { out[p.name] = p.dtype }
    return out
  }

  /// The type of `expr` inside `definition` (whose axes and reduction axes are the index variables in scope), or
  /// with any index name allowed when `definition` is nil; nil when `expr` is ill-typed or names something unknown.
  /// Loads may read any tensor of the kernel (program order is the verifier's concern).
  public func type(of expr: Expr, in definition: Definition?) -> DType? {
    let indices = definition.map { d in Set(d.axes.map(\.name) + (d.reduction?.axes.map(\.name) ?? [])) }
    return type(of: expr, indices: indices)
  }

  /// The type of `expr` with the given index variables in scope (nil: any name), or nil when ill-typed.
  public func type(of expr: Expr, indices: Set<String>?) -> DType? {
    let env = TypeEnvironment(
      tensors: typeEnvironmentTensors, scalars: scalarTypes, dims: Set(dims.map(\.name)), indices: indices)
    return try? ExprTyping.check(expr, in: env)
  }
}
