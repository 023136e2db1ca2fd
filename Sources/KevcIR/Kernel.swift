import KevcBasic

/// kevc's kernel IR: tensor definitions over iteration domains.
///
/// Semantics (docs/ir.md is the reference):
/// - A kernel has symbolic dimensions (`dims`), parameters (tensors and scalars), results, and an ordered list of
///   definitions. Each definition computes every element of one tensor: for each point of its iteration domain
///   (its `axes`, in order) it evaluates `body`, or, with a `reduction`, combines `body` over the reduction domain.
/// - Definitions run in program order; a definition may read parameters and earlier definitions only, and each
///   element is written exactly once, so the order of points within a domain is free (the scheduler's freedom).
/// - Loads are bounds-checked: a read outside a tensor's shape yields the load's pad value (0 unless stated).
///   Loads marked `inbounds` promise the index is inside; reading outside one is an error, never a pad.
/// - Arithmetic on f16/bf16 runs in at least f32 and rounds at stores and explicit casts; integers wrap; integer
///   `/` and `%` floor (Python semantics) and give 0 for a zero divisor; float `%` is floored (torch.remainder).
/// - `max`/`min` and their reductions propagate NaN; `argmax`/`argmin` return the first index of the extreme value
///   (NaN counts as the extreme).
///
/// Every type here is a value: copies are independent, equality is structural, and `Codable` gives the JSON form.
public struct Kernel: Hashable, Codable, Sendable {
  public var name: String
  /// Symbolic dimensions, in first-use order, with their bound values (from the spec's `dims` line or `--shape`).
  public var dims: [Dim]
  /// Inputs: tensors and scalars, in call order.
  public var params: [Param]
  /// Outputs, in call order; each is produced by exactly one definition of the same name.
  public var results: [Param]
  /// Definitions in program order: intermediates and results.
  public var definitions: [Definition]
  public var location: SourceLocation
  /// Sizes that the spec's range inference found must be equal (e.g. `k` indexes both `x: [M, K]` and
  /// `w: [J, N]`, so `K == J`); `binding` checks them for each shape (ShapeBinding.swift).
  public var constraints: [ShapeConstraint]
  /// The user's accuracy contract for its f32 contractions (the spec's `matmul_precision` line or
  /// `--matmul-precision`): which input precisions a `dot` may use and the tolerance its results are checked at.
  public var matmulPrecision: MatmulPrecision

  public init(
    name: String, dims: [Dim], params: [Param], results: [Param], definitions: [Definition],
    location: SourceLocation = .unknown, constraints: [ShapeConstraint] = [], matmulPrecision: MatmulPrecision = .highest
  ) {
    self.name = name
    self.dims = dims
    self.params = params
    self.results = results
    self.definitions = definitions
    self.location = location
    self.constraints = constraints
    self.matmulPrecision = matmulPrecision
  }

  private enum CodingKeys: String, CodingKey {
    case name, dims, params, results, definitions, location, constraints, matmulPrecision
  }

  /// The JSON form; a kernel written before the contract existed (no `matmulPrecision` key) is `highest`.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    name = try c.decode(String.self, forKey: .name)
    dims = try c.decode([Dim].self, forKey: .dims)
    params = try c.decode([Param].self, forKey: .params)
    results = try c.decode([Param].self, forKey: .results)
    definitions = try c.decode([Definition].self, forKey: .definitions)
    location = try c.decode(SourceLocation.self, forKey: .location)
    constraints = try c.decode([ShapeConstraint].self, forKey: .constraints)
    matmulPrecision = try c.decodeIfPresent(MatmulPrecision.self, forKey: .matmulPrecision) ?? .highest
  }
}

/// A symbolic dimension and, when known, its value. The `bench` value is the realistic shape for benchmarks.
public struct Dim: Hashable, Codable, Sendable {
  public var name: String
  public var value: Int?
  public var benchValue: Int?

  public init(name: String, value: Int? = nil, benchValue: Int? = nil) {
    self.name = name
    self.value = value
    self.benchValue = benchValue
  }
}

/// A kernel input or output: a tensor when `shape` is non-empty, a scalar otherwise.
public struct Param: Hashable, Codable, Sendable {
  public var name: String
  public var dtype: DType
  public var shape: [SizeExpr]
  /// What values a caller promises (used to generate test inputs; not checked at run time).
  public var domain: ValueDomain?
  public var location: SourceLocation

  public init(
    name: String, dtype: DType, shape: [SizeExpr], domain: ValueDomain? = nil, location: SourceLocation = .unknown
  ) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.domain = domain
    self.location = location
  }

  public var isScalar: Bool { shape.isEmpty }
}

/// A promise about the values of an integer input, e.g. gather indices in `0 ..< V`, or sorted offsets.
public struct ValueDomain: Hashable, Codable, Sendable {
  public var lowerBound: SizeExpr
  /// Exclusive.
  public var upperBound: SizeExpr
  public var sorted: Bool

  public init(lowerBound: SizeExpr, upperBound: SizeExpr, sorted: Bool = false) {
    self.lowerBound = lowerBound
    self.upperBound = upperBound
    self.sorted = sorted
  }
}

/// One tensor definition: `name[axes] = body`, or `name[axes] = reduce(op) over [reduction axes] body`.
public struct Definition: Hashable, Codable, Sendable {
  public var name: String
  /// The element type of the defined tensor. For a reduction: the accumulator type, or a tuple reduction's `yield` type (i64 for argmax/argmin).
  public var dtype: DType
  /// The iteration domain; axis `i` spans dimension `i` of the tensor, so `shape == axes.map(\.extent)`.
  public var axes: [Axis]
  public var reduction: Reduction?
  /// Evaluated at each point; may read the axes, the reduction axes, dims, scalar params and earlier tensors.
  public var body: Expr
  /// How the definition is computed; nil is `Schedule.natural(for:)` (set by transforms, see Schedule.swift).
  public var schedule: Schedule?
  public var location: SourceLocation

  public init(
    name: String, dtype: DType, axes: [Axis], reduction: Reduction? = nil, body: Expr, schedule: Schedule? = nil,
    location: SourceLocation = .unknown
  ) {
    self.name = name
    self.dtype = dtype
    self.axes = axes
    self.reduction = reduction
    self.body = body
    self.schedule = schedule
    self.location = location
  }

  /// The schedule in force: the stored one, or the natural one.
  public var effectiveSchedule: Schedule { schedule ?? .natural(for: self) }

  public var shape: [SizeExpr] { axes.map(\.extent) }
}

/// A named index variable ranging over `0 ..< extent`.
public struct Axis: Hashable, Codable, Sendable {
  public var name: String
  public var extent: SizeExpr

  public init(name: String, extent: SizeExpr) {
    self.name = name
    self.extent = extent
  }
}

/// How a definition combines its body over the reduction domain.
public struct Reduction: Hashable, Codable, Sendable {
  public var op: ReduceOp
  /// The type in which values are combined; the body is converted to it before combining.
  public var accumulator: DType
  /// Nested in order (the first is outermost); each ranges over `lowerBound ..< upperBound`, which may depend on
  /// the definition's axes, on earlier reduction axes and on loaded data (jagged ranges).
  public var axes: [ReductionAxis]
  /// For `op == .tuple` only: the state components, the other components' elements, the combiner and the result
  /// (TupleReduction.swift); nil for every other operator.
  public var combiner: Combiner?
  /// For a scan (prefix reduction, Scan.swift): the definition's axis `i` over which the reduction is the
  /// inclusive prefix `[j in lo .. (i + 1)]`; the value is the same as without it, and the lowering carries the
  /// accumulator along `i` instead of restarting it (O(N) instead of O(N^2)).
  public var scanAxis: String?

  public init(
    op: ReduceOp, accumulator: DType, axes: [ReductionAxis], combiner: Combiner? = nil, scanAxis: String? = nil
  ) {
    self.op = op
    self.accumulator = accumulator
    self.axes = axes
    self.combiner = combiner
    self.scanAxis = scanAxis
  }
}

public struct ReductionAxis: Hashable, Codable, Sendable {
  public var name: String
  public var lowerBound: Expr
  public var upperBound: Expr

  public init(name: String, lowerBound: Expr, upperBound: Expr) {
    self.name = name
    self.lowerBound = lowerBound
    self.upperBound = upperBound
  }
}

public enum ReduceOp: String, Hashable, Codable, Sendable, CaseIterable {
  /// Identity 0.
  case sum
  /// Identity 1.
  case prod
  /// Identity -inf (floats) or the type's minimum; propagates NaN. An empty range gives the identity.
  case max
  /// Identity +inf (floats) or the type's maximum; propagates NaN.
  case min
  /// A tuple reduction (printed `reduce`): several state components combined by an associative combiner, then
  /// mapped to the definition's value by the combiner's `yield` expression (`Reduction.combiner`,
  /// TupleReduction.swift). The identity is the components' identities. argmax/argmin are instances
  /// (`Combiner.argExtreme`, printed and parsed as `argmax<T>`/`argmin<T>`).
  case tuple = "reduce"
}

extension ReduceOp {
  /// Whether the accumulator is more than one value (a tuple reduction: its components; argmax's value and
  /// index), so that the reduction cannot be combined in the definition's own storage, split into partial
  /// results of the same type, or vectorised as one lane-wise binary operation.
  public var carriesState: Bool {
    switch self {
    case .sum, .prod, .max, .min: return false
    case .tuple: return true
    }
  }
}
