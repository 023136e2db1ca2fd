import KevcBasic
import KevcIR

/// Loop IR: the target-neutral imperative form that loop-level emitters (LLVM, HIP) print from.
///
/// It is produced from (scheduled) kernel IR by `LowerToLoops`. Expressions are kernel-IR `Expr`s in which
/// `.index(v)` names an enclosing loop variable and `.load` reads a buffer. All control flow is explicit:
/// loops with bounds, stores, conditionals; a loop's `kind` records the mapping the schedule chose
/// (serial, parallel over CPU threads, vectorized, unrolled, or bound to a GPU grid/block/thread dimension).
public struct LoopProgram: Hashable, Codable, Sendable {
  public var name: String
  /// Concrete values of every dim; loop IR is specialised to one shape.
  public var dims: [String: Int]
  /// Kernel inputs, in call order (scalars have an empty shape).
  public var params: [Buffer]
  /// Kernel outputs, in call order.
  public var results: [Buffer]
  /// Buffers the program allocates: intermediates (`workspace`) and accumulators (`local`).
  public var temporaries: [Buffer]
  public var body: [Stmt]
  /// Local accumulators of the contractions the schedule marked `dot` that have a plan (`NestPlan.contraction`; to be
  /// mapped onto a matrix unit): a loop-level GPU target may compute their nests on MFMA (`ThreadPlan.MatrixTile`,
  /// which reads the plans themselves); the loops mean the same.
  public var dotAccumulators: Set<String>

  public init(
    name: String, dims: [String: Int], params: [Buffer], results: [Buffer], temporaries: [Buffer], body: [Stmt],
    dotAccumulators: Set<String> = []
  ) {
    self.name = name
    self.dims = dims
    self.params = params
    self.results = results
    self.temporaries = temporaries
    self.body = body
    self.dotAccumulators = dotAccumulators
  }
}

/// A dense, row-major array of `dtype` elements (rank 0: one element).
public struct Buffer: Hashable, Codable, Sendable {
  public var name: String
  public var dtype: DType
  public var shape: [Int]
  public var scope: MemoryScope

  public init(name: String, dtype: DType, shape: [Int], scope: MemoryScope) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.scope = scope
  }

  /// Elements (saturating at `Int.max`; shapes past `ShapeLimits.maxElements` never reach a loop program).
  public var elementCount: Int { ShapeLimits.product(shape, limit: Int.max) ?? Int.max }
}

public indirect enum Stmt: Hashable, Codable, Sendable {
  /// `for v in lowerBound ..< upperBound { body }`; bounds are evaluated once, before the first iteration.
  case loop(Loop)
  /// `buffer[indices] = value`; indices are always inside the buffer (the lowering guarantees it).
  case store(buffer: String, indices: [Expr], value: Expr)
  case ifThen(condition: Expr, then: [Stmt], else: [Stmt])
  /// Declares `buffer` (scope local or shared) for the statements in `body`.
  case allocate(Buffer, body: [Stmt])
}

public struct Loop: Hashable, Codable, Sendable {
  public var variable: String
  public var lowerBound: Expr
  public var upperBound: Expr
  public var kind: LoopKind
  public var body: [Stmt]

  public init(variable: String, lowerBound: Expr, upperBound: Expr, kind: LoopKind = .serial, body: [Stmt]) {
    self.variable = variable
    self.lowerBound = lowerBound
    self.upperBound = upperBound
    self.kind = kind
    self.body = body
  }
}

// LoopKind, GPUDimension and MemoryScope are defined in KevcIR (Schedule.swift): schedules and loop IR share them.
