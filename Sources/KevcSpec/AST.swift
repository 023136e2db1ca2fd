import KevcBasic

/// The syntax tree of a `.kev` file, exactly as written (no names resolved, no types). Every node carries the
/// location of its first token; binary operators also carry the operator's location, for diagnostics.
public struct SpecFile: Hashable, Sendable {
  public var path: String
  public var kernel: SpecKernel

  public init(path: String, kernel: SpecKernel) {
    self.path = path
    self.kernel = kernel
  }
}

/// `kernel NAME(params) -> (results) { statements }`.
public struct SpecKernel: Hashable, Sendable {
  public var name: String
  public var params: [SpecParam]
  public var results: [SpecParam]
  public var statements: [SpecStatement]
  /// The `kernel` keyword.
  public var location: SourceLocation
  public var nameLocation: SourceLocation

  public init(
    name: String, params: [SpecParam], results: [SpecParam], statements: [SpecStatement],
    location: SourceLocation, nameLocation: SourceLocation
  ) {
    self.name = name
    self.params = params
    self.results = results
    self.statements = statements
    self.location = location
    self.nameLocation = nameLocation
  }
}

/// `NAME: DTYPE [shape] [sorted] in lo .. hi`. A parameter without a shape is a scalar.
public struct SpecParam: Hashable, Sendable {
  public var name: String
  public var dtype: DType
  public var dtypeLocation: SourceLocation
  /// Nil for a scalar.
  public var shape: [SpecSize]?
  public var domain: SpecDomain?
  public var location: SourceLocation

  public init(
    name: String, dtype: DType, dtypeLocation: SourceLocation, shape: [SpecSize]?, domain: SpecDomain?,
    location: SourceLocation
  ) {
    self.name = name
    self.dtype = dtype
    self.dtypeLocation = dtypeLocation
    self.shape = shape
    self.domain = domain
    self.location = location
  }
}

/// `[sorted] in lo .. hi`: a promise about the values of an integer input.
public struct SpecDomain: Hashable, Sendable {
  public var lowerBound: SpecSize
  public var upperBound: SpecSize
  public var sorted: Bool
  public var location: SourceLocation

  public init(lowerBound: SpecSize, upperBound: SpecSize, sorted: Bool, location: SourceLocation) {
    self.lowerBound = lowerBound
    self.upperBound = upperBound
    self.sorted = sorted
    self.location = location
  }
}

/// Integer arithmetic over dimension names: `M`, `4`, `K + 2`, `(N - 1) // 2`.
public struct SpecSize: Hashable, Sendable {
  public indirect enum Kind: Hashable, Sendable {
    case integer(Int)
    case name(String)
    case binary(SizeOperator, SpecSize, SpecSize)
  }

  public enum SizeOperator: String, Hashable, Sendable {
    case add = "+", sub = "-", mul = "*", div = "//"
  }

  public var kind: Kind
  public var location: SourceLocation

  public init(_ kind: Kind, at location: SourceLocation) {
    self.kind = kind
    self.location = location
  }
}

public enum SpecStatement: Hashable, Sendable {
  /// `dims M = 61, N = 96`.
  case dims([SpecBinding], location: SourceLocation)
  /// `bench M = 8192, N = 4096`.
  case bench([SpecBinding], location: SourceLocation)
  /// `matmul_precision high`: the accuracy contract of the kernel's f32 contractions (`MatmulPrecision`).
  case matmulPrecision(MatmulPrecision, location: SourceLocation)
  case definition(SpecDefinition)
}

/// `NAME = INT` in a `dims` or `bench` line.
public struct SpecBinding: Hashable, Sendable {
  public var name: String
  public var value: Int
  public var location: SourceLocation
  public var valueLocation: SourceLocation

  public init(name: String, value: Int, location: SourceLocation, valueLocation: SourceLocation) {
    self.name = name
    self.value = value
    self.location = location
    self.valueLocation = valueLocation
  }
}

/// `NAME[axis, axis < SIZE, ...] = expr`, or `NAME = expr` for a scalar.
public struct SpecDefinition: Hashable, Sendable {
  public var name: String
  public var axes: [SpecAxis]
  public var body: SpecExpr
  public var location: SourceLocation

  public init(name: String, axes: [SpecAxis], body: SpecExpr, location: SourceLocation) {
    self.name = name
    self.axes = axes
    self.body = body
    self.location = location
  }
}

/// An axis on the left of a definition, with an optional explicit extent.
public struct SpecAxis: Hashable, Sendable {
  public var name: String
  public var extent: SpecSize?
  public var location: SourceLocation

  public init(name: String, extent: SpecSize?, location: SourceLocation) {
    self.name = name
    self.extent = extent
    self.location = location
  }
}

public enum SpecReduceOp: String, Hashable, Sendable, CaseIterable {
  case sum, prod, max, min, argmax, argmin
}

/// A reduction variable: `k` (range inferred), `k < E`, or `j in lo .. hi`.
public struct SpecReductionAxis: Hashable, Sendable {
  public enum Range: Hashable, Sendable {
    case inferred
    case below(SpecExpr)
    case between(SpecExpr, SpecExpr)
  }

  public var name: String
  public var range: Range
  public var location: SourceLocation

  public init(name: String, range: Range, location: SourceLocation) {
    self.name = name
    self.range = range
    self.location = location
  }
}

public enum SpecUnaryOperator: String, Hashable, Sendable {
  case negate = "-"
  case not = "not"
}

public enum SpecBinaryOperator: String, Hashable, Sendable {
  case add = "+", sub = "-", mul = "*", div = "/", mod = "%"
  case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
  case and = "and", or = "or"
}

/// An expression. `location` is its first token.
public struct SpecExpr: Hashable, Sendable {
  public indirect enum Kind: Hashable, Sendable {
    case integer(Int64)
    /// Includes `inf` and `nan`.
    case float(Double)
    case bool(Bool)
    /// A bare name: index variable, scalar, tensor or dimension.
    case name(String)
    /// `NAME(args)`: a function (`exp`, `max`, `where`, ...) or a cast (`f32`, `i64`, ...).
    case call(String, [SpecExpr])
    /// `base[indices] [else pad]`; `pad` is a literal.
    case index(SpecExpr, [SpecExpr], pad: SpecExpr?)
    case unary(SpecUnaryOperator, SpecExpr)
    /// The third value is the operator's location.
    case binary(SpecBinaryOperator, SpecExpr, SpecExpr, operatorLocation: SourceLocation)
    /// `op<T>(axes) body`.
    case reduction(SpecReduceOp, accumulator: DType?, axes: [SpecReductionAxis], body: SpecExpr)
  }

  public var kind: Kind
  public var location: SourceLocation

  public init(_ kind: Kind, at location: SourceLocation) {
    self.kind = kind
    self.location = location
  }
}
