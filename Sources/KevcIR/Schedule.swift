import KevcBasic

/// How one definition is computed: its loop nest, where it is computed and where its values live.
///
/// A schedule never changes what a kernel computes, only the order and place of the computation; the transforms
/// in KevcTransforms produce schedules and check that they are legal. A definition without a schedule runs as
/// `Schedule.natural(for:)`: one serial loop per axis, then one per reduction axis, computed at the root.
///
/// Loop variables are named after the axes they come from. `split(n, 8)` replaces loop `n` by `n.o` (outer, over
/// `ceil(extent / 8)`) and `n.i` (inner, over `0 ..< 8`), with `n = n.o * 8 + n.i`; points with `n >= extent` are
/// skipped (tails are legal). Names therefore survive re-application of a trace: `n.i.o` is always the outer half
/// of the inner half of `n`.
public struct Schedule: Hashable, Codable, Sendable {
  /// The loop nest, outermost first: every loop variable (axis, reduction axis, or split part of one) once.
  public var loops: [ScheduledLoop]
  /// Splits in the order they were made.
  public var splits: [Split]
  /// Two adjacent axes iterated as one loop (`fuse_axes` of output axes), made before any split; nil: none.
  public var fusion: LoopFusion?
  public var placement: Placement
  /// Where the defined tensor is stored, in which layout.
  public var storage: Storage
  /// The definition is a contraction to be mapped onto a matrix unit (`tl.dot`, MMA); checked when marked.
  public var isDot: Bool
  /// GPU launch parameters of the kernel computing this definition (block-level targets); nil: target default.
  public var launch: GPULaunch?
  /// The precision a `dot` reads its operands in on a matrix unit (block-level targets); nil: the operands' own
  /// (f32 operands exactly, `ieee`). The CPU computes exactly whatever it says.
  public var dotPrecision: DotPrecision?
  /// Grouped program order (block-level targets): programs walk `grid.y` in groups of this many rows before
  /// stepping along `grid.x`, so a group's tiles share their operand panels in L2; nil: row-major program ids.
  public var programGroup: Int?
  /// Persistent programs (block-level targets): this many programs are launched, each looping over the output
  /// tiles `pid, pid + P, ...`; nil: one program per tile.
  public var persistentPrograms: Int?
  /// `compute_with(y, b)`: `y` (computed at the root) runs in the kernel of the earlier root definition `b`, over
  /// the same programs: each program computes its tile of `b`, then its tile of `y` (block-level targets; the CPU
  /// runs the definitions in program order as always). Nil: `y` has a kernel of its own.
  public var computeWith: String?
  /// `compute_with(y, b, l)` (Halide's `compute_with(f, var)`): `y`'s body is fused into `b`'s serial loop `l`, one
  /// loop carrying the iterations of `l` and of `y`'s loop at the same depth (same extent; only grid loops outside
  /// either), so both read an iteration's rows once (one pass). Nil: `y` runs after `b`'s whole tile. Block-level
  /// targets fuse; the others run the definitions one after the other as always (what is computed is the same).
  public var computeWithLoop: String?

  public init(
    loops: [ScheduledLoop], splits: [Split] = [], placement: Placement = .root, storage: Storage = Storage(),
    isDot: Bool = false, launch: GPULaunch? = nil, dotPrecision: DotPrecision? = nil, programGroup: Int? = nil,
    persistentPrograms: Int? = nil, computeWith: String? = nil, computeWithLoop: String? = nil,
    fusion: LoopFusion? = nil
  ) {
    self.loops = loops
    self.splits = splits
    self.fusion = fusion
    self.placement = placement
    self.storage = storage
    self.isDot = isDot
    self.launch = launch
    self.dotPrecision = dotPrecision
    self.programGroup = programGroup
    self.persistentPrograms = persistentPrograms
    self.computeWith = computeWith
    self.computeWithLoop = computeWithLoop
  }

  /// The schedule a definition has before any transform.
  public static func natural(for d: Definition) -> Schedule {
    Schedule(
      loops: d.axes.map { ScheduledLoop(name: $0.name) }
        + (d.reduction?.axes ?? []).map { ScheduledLoop(name: $0.name) })
  }
}

/// The input precision of a matrix-unit contraction (`precision(y, tf32)`): `tf32` rounds f32 operands to 10
/// mantissa bits (one tensor-core pass), `tf32x3` splits each into a tf32 high and low part and sums three passes
/// (about f32's accuracy), `bf16x3` splits each into a bf16 high and low part and sums three bf16 passes (f32's
/// tolerance at half tf32x3's tensor-core work), `bf16` rounds the operands to bf16 (8 bits).
public enum DotPrecision: String, Hashable, Codable, Sendable, CaseIterable {
  case tf32, tf32x3, bf16x3, bf16

  /// Mantissa bits the operands keep (f32 has 23).
  public var operandMantissaBits: Int {
    switch self {
    case .tf32: return 10
    case .tf32x3: return 21
    case .bf16x3: return 16
    case .bf16: return 7
    }
  }

  /// The least accurate contract that allows this input precision: `tf32x3` keeps about f32's accuracy
  /// (`highest`), `tf32` and `bf16x3` are PyTorch's `high`, `bf16` its `medium`.
  public var requiredMatmulPrecision: MatmulPrecision {
    switch self {
    case .tf32x3: return .highest
    case .tf32, .bf16x3: return .high
    case .bf16: return .medium
    }
  }

  /// Whether the contract `contract` allows this input precision: the one predicate the transform's legality,
  /// the search's proposals, the agent's schema and the default schedules share.
  public func isAllowed(under contract: MatmulPrecision) -> Bool {
    contract.allows(requiredMatmulPrecision)
  }

  /// The fastest input precision `contract` allows, which rule 4 of the default GPU schedule gives a compute-bound
  /// f32 contraction: `highest` three tf32 passes (`tf32x3`), `high` one tf32 pass, `medium` one bf16 pass.
  public static func fastest(under contract: MatmulPrecision) -> DotPrecision {
    switch contract {
    case .highest: return .tf32x3
    case .high: return .tf32
    case .medium: return .bf16
    }
  }

  /// The input precisions `contract` allows, in `allCases` order.
  public static func allowed(under contract: MatmulPrecision) -> [DotPrecision] {
    allCases.filter { $0.isAllowed(under: contract) }
  }

  /// Whether each operand is split into a high and a low part summed over three matrix-unit passes (hi*hi + hi*lo
  /// + lo*hi) to keep f32's tolerance: `tf32x3` and `bf16x3`.
  public var splitsOperands: Bool {
    switch self {
    case .tf32x3, .bf16x3: return true
    case .tf32, .bf16: return false
    }
  }
}

/// How many warps run one program (thread block) and how many stages a software pipeline of loads uses
/// (Triton's `num_warps` / `num_stages`).
public struct GPULaunch: Hashable, Codable, Sendable {
  public var warps: Int
  public var stages: Int

  public init(warps: Int, stages: Int) {
    self.warps = warps
    self.stages = stages
  }
}

public struct ScheduledLoop: Hashable, Codable, Sendable {
  public var name: String
  public var kind: LoopKind

  public init(name: String, kind: LoopKind = .serial) {
    self.name = name
    self.kind = kind
  }
}

/// Axes `outer` and `inner` (adjacent, `outer` first) iterated as one loop `variable` over `O * I`, row-major:
/// `outer = variable / I`, `inner = variable % I`, where `I` is the extent of `inner`.
public struct LoopFusion: Hashable, Codable, Sendable {
  public var variable: String
  public var outer: String
  public var inner: String

  public init(variable: String, outer: String, inner: String) {
    self.variable = variable
    self.outer = outer
    self.inner = inner
  }
}

/// `variable = outer * factor + inner`.
public struct Split: Hashable, Codable, Sendable {
  public var variable: String
  public var outer: String
  public var inner: String
  public var factor: Int

  public init(variable: String, outer: String, inner: String, factor: Int) {
    self.variable = variable
    self.outer = outer
    self.inner = inner
    self.factor = factor
  }
}

/// Where a definition's loop nest runs.
public enum Placement: Hashable, Codable, Sendable {
  /// Before its consumers, over its whole domain.
  case root
  /// Inside `consumer`'s loop `loop`, over the region that one iteration of that loop reads; recomputed in each.
  case computeAt(consumer: String, loop: String)
}

/// Storage of a defined tensor.
public struct Storage: Hashable, Codable, Sendable {
  public var scope: MemoryScope
  /// Dimension order in memory (a permutation of the axes, outermost first); nil is the axes' order.
  public var permutation: [Int]?
  /// Extra elements at the end of each dimension (to avoid bank or cache-set conflicts); nil is none.
  public var padding: [Int]?
  /// `store_phases(y)`: the definition's values are stored in `y`'s buffer, element `i` at `y`'s
  /// `stride * i + offset` per axis (a phase of `y`'s interleaving written in place); nil: its own buffer.
  public var interleave: StridedSlice?

  public init(
    scope: MemoryScope = .workspace, permutation: [Int]? = nil, padding: [Int]? = nil, interleave: StridedSlice? = nil
  ) {
    self.scope = scope
    self.permutation = permutation
    self.padding = padding
    self.interleave = interleave
  }
}

/// A strided slice of another tensor that a definition's elements occupy: element `[i0, i1, ...]` is the tensor's
/// `[strides[0] * i0 + offsets[0], ...]` (one stride and offset per axis, strides >= 1, 0 <= offset < stride).
public struct StridedSlice: Hashable, Codable, Sendable {
  public var tensor: String
  public var strides: [Int]
  public var offsets: [Int]

  public init(tensor: String, strides: [Int], offsets: [Int]) {
    self.tensor = tensor
    self.strides = strides
    self.offsets = offsets
  }

  /// The indices of `tensor` that a point `point` (one index per axis) occupies.
  public func indices(_ point: [Expr]) -> [Expr] {
    zip(point, zip(strides, offsets)).map { index, so in
      let scaled: Expr = so.0 == 1 ? index : .binary(.mul, .constant(.int(Int64(so.0))), index)
      return so.1 == 0 ? scaled : .binary(.add, scaled, .constant(.int(Int64(so.1))))
    }
  }
}

extension Kernel {
  /// The definitions whose values other definitions store in place (`store_phases`): they emit no loops and no
  /// kernel of their own (the verifier checks that the slices stored in each cover it exactly once).
  public var assembledInPlace: Set<String> {
    Set(definitions.compactMap { $0.effectiveSchedule.storage.interleave?.tensor })
  }
}

/// How the iterations of a loop are executed. Only `serial` imposes an order.
public enum LoopKind: Hashable, Codable, Sendable {
  case serial
  /// Iterations shared among CPU threads (a persistent thread pool).
  case parallel
  /// Iterations executed as SIMD lanes of this width (a tail is handled by the emitter).
  case vectorized(width: Int)
  case unrolled
  /// Iterations mapped onto a GPU dimension (program id, thread index).
  case gpu(GPUDimension)
}

public enum GPUDimension: String, Hashable, Codable, Sendable, CaseIterable {
  case gridX = "grid.x", gridY = "grid.y", gridZ = "grid.z"
  case blockX = "block.x", blockY = "block.y", blockZ = "block.z"
  case warp = "warp"
  case threadX = "thread.x", threadY = "thread.y", threadZ = "thread.z"

  /// What a block-level target (Triton) programs: programs of the grid and axes of a block.
  public static let blockLevel: [GPUDimension] = [.gridX, .gridY, .gridZ, .blockX, .blockY, .blockZ]
}

public enum MemoryScope: String, Hashable, Codable, Sendable, CaseIterable {
  /// Caller-owned memory: parameters and results.
  case global
  /// Memory the program allocates once per call, visible to every thread (intermediate tensors).
  case workspace
  /// Private to the innermost enclosing loop iteration: registers, stack (accumulators, staged tiles).
  case local
  /// GPU shared memory: private to one thread block.
  case shared
}
