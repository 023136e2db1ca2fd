import KevcBasic
import KevcIR

/// One schedule transform: the unit of kevc's search, of its LLM agent's proposals and of hand-written schedules.
///
/// A transform names definitions (tensors) and loops by stable names (`y`, `n.o`), so a trace re-applies to a
/// fresh kernel and gives the same result. Each case has one textual form, shown next to it, and a JSON form
/// (Codable). `apply(to:)` checks legality and throws a `TransformError` naming the objects involved.
public enum Transform: Hashable, Codable, Sendable {
  /// `split(y, n, 8)`: loop `n` of `y` becomes `n.o` (outer) and `n.i` (inner, extent 8); tails are skipped.
  case split(tensor: String, loop: String, factor: Int)
  /// `tile(y, [m, n], [64, 128])`: split each loop, then order the outer parts before the inner parts.
  case tile(tensor: String, loops: [String], sizes: [Int])
  /// `reorder(y, [n, m])`: the named loops take the positions those loops occupy, in the order given.
  case reorder(tensor: String, loops: [String])
  /// `inline(t)`: substitute an elementwise definition into every load of it; it is never stored.
  case inline(tensor: String)
  /// `compute_at(ss, y, m)`: compute `ss` inside loop `m` of its consumer `y`, over the region that one
  /// iteration reads (recomputed per iteration when regions overlap).
  case computeAt(tensor: String, consumer: String, loop: String)
  /// `compute_root(ss)`: undo compute_at / inline.
  case computeRoot(tensor: String)
  /// `store_in(t, local)`: the memory scope of a definition's storage.
  case storeIn(tensor: String, scope: MemoryScope)
  /// `layout(t, [1, 0])`: store a definition's dimensions in this order.
  case layout(tensor: String, permutation: [Int])
  /// `pad(t, [0, 4])`: pad each stored dimension by this many elements.
  case pad(tensor: String, amounts: [Int])
  /// `stage(x, y, k.o, local)`: copy the tile of `x` that loop `k.o` of `y` reads into a buffer of the scope,
  /// and make `y` read the copy. Creates the definition `x.y` (an identity copy) computed at that loop.
  case stage(tensor: String, consumer: String, loop: String, scope: MemoryScope)
  /// `cache(y, n.o, local)`: accumulate `y` into a buffer of the scope covering one iteration of loop `n.o`,
  /// and write it back after. Creates `y.acc` (the reduction) and makes `y` a copy of it.
  case cache(tensor: String, loop: String, scope: MemoryScope)
  /// `vectorize(y, n, 8)`: split `n` by 8 (unless its extent is 8) and run the inner loop as 8 SIMD lanes.
  case vectorize(tensor: String, loop: String, width: Int)
  /// `unroll(y, k, 4)`: split `k` by 4 (unless its extent is 4) and unroll the inner loop.
  case unroll(tensor: String, loop: String, factor: Int)
  /// `parallel(y, m)`: share the iterations of `m` among CPU threads.
  case parallel(tensor: String, loop: String)
  /// `bind(y, m.o, grid.x)`: map the iterations of a loop onto a GPU dimension.
  case bind(tensor: String, loop: String, dimension: GPUDimension)
  /// `rfactor(y, k, 16)`: split reduction `k` into `k.o` and `k.i`; a new definition `y.rf` reduces over `k.o`
  /// for each `k.i` (independent partial results), then `y` combines the partials over `k.i` (split-K).
  case rfactor(tensor: String, loop: String, factor: Int)
  /// `dot(y)`: mark `y` as a contraction to map onto a matrix unit; legal when its body is a product of two
  /// loads whose indices span (i, k) and (k, j) for a sum over k.
  case dot(tensor: String)
  /// `launch(y, 8, 3)`: run the GPU kernel computing `y` with 8 warps per program and a 3-stage load pipeline.
  case launch(tensor: String, warps: Int, stages: Int)
  /// `fuse_axes(y, [c, k])`: reduction axes `c` and `k` become one axis `c.k` over `C * K`, read back as
  /// `c = c.k / K`, `k = c.k % K` (one `dot` covers every tap of a convolution). Of two adjacent output axes of an
  /// elementwise `y` (the loop form): one loop `i.j` over `I * J` iterates both (schedule item `fuse(i.j, i, j)`).
  case fuseAxes(tensor: String, loops: [String])
  /// `precision(y, tf32)`: the input precision of the `dot` computing `y` on a matrix unit.
  case precision(tensor: String, precision: DotPrecision)
  /// `group_programs(y, 8)`: programs walk `grid.y` in groups of 8 before stepping along `grid.x` (L2 reuse).
  case groupPrograms(tensor: String, size: Int)
  /// `persistent(y, 132)`: launch 132 programs that loop over the output tiles.
  case persistent(tensor: String, programs: Int)
  /// `compute_with(y, b)`: run `y` in the kernel of the earlier root definition `b`, over the same programs;
  /// `compute_with(y, b, l)`: and fuse `y`'s body into `b`'s loop `l` (one pass over the rows they share).
  case computeWith(tensor: String, sibling: String, loop: String? = nil)
  /// `fuse_reductions(o)`: online softmax (a rewrite, FuseReductions.swift): sums of `exp(x - max(x)) * y` become
  /// tuple reductions carrying their own running maximum, merged with the elementwise `o` that reads them.
  case fuseReductions(tensor: String)
  /// `fuse_siblings(c)`: sibling sums over the same rows that `c` reads through one expression of them become one
  /// tuple reduction `c.rows` yielding that expression (a rewrite, FuseSiblings.swift): one loop, every accumulator.
  case fuseSiblings(tensor: String)
  /// `welford(v)`: a centred sum of squares `sum (E - mean E)^2` becomes a Welford tuple reduction (count, mean,
  /// m2) yielding m2 (a rewrite, Welford.swift): it no longer reads the mean, so both statistics take one pass.
  case welford(tensor: String)
  /// `to_scan(y)`: a triangular sum `[j in lo .. (i + 1)]` becomes a scan along `i` (ToScan.swift).
  case toScan(tensor: String)
  /// `phase_split(y, [t])`: the polyphase decomposition of a strided transposed convolution (PhaseSplit.swift): one
  /// definition per phase of `t` modulo its stride, with the guards folded, interleaved by `y`.
  case phaseSplit(tensor: String, axes: [String])
  /// `store_phases(y)`: the phases `y` interleaves store their values in `y`'s buffer at their strided slices, and
  /// `y` emits no kernel (a storage decision, StorePhases.swift).
  case storePhases(tensor: String)
  /// `deinterleave(y, x, l)`: `y` reads `x` at `s * l + e`; it reads the copy `x.ph[.., e % s, l + e / s, ..]`
  /// instead, adjacent along `l` (Deinterleave.swift).
  case deinterleave(tensor: String, input: String, axis: String)
  /// `pad_input(y, x)`: `y` reads a copy of `x` with the zero border its reads need, in bounds (PadInput.swift).
  case padInput(tensor: String, input: String)

  /// The definition the transform is about.
  public var tensor: String {
    switch self {
    case .split(let t, _, _), .tile(let t, _, _), .reorder(let t, _), .inline(let t), .computeAt(let t, _, _),
      .computeRoot(let t), .storeIn(let t, _), .layout(let t, _), .pad(let t, _), .stage(let t, _, _, _),
      .cache(let t, _, _), .vectorize(let t, _, _), .unroll(let t, _, _), .parallel(let t, _), .bind(let t, _, _),
      .rfactor(let t, _, _), .dot(let t), .launch(let t, _, _), .fuseAxes(let t, _), .precision(let t, _),
      .groupPrograms(let t, _), .persistent(let t, _), .computeWith(let t, _, _), .fuseReductions(let t), .fuseSiblings(let t), .welford(let t), .toScan(let t),
      .phaseSplit(let t, _), .storePhases(let t), .deinterleave(let t, _, _),
      .padInput(let t, _):
      return t
    }
  }
}

/// Why a transform cannot be applied, with the IR objects involved.
public struct TransformError: Error, Hashable, Sendable, CustomStringConvertible {
  public var transform: Transform
  /// Index of the step in its trace, when applied as part of one.
  public var step: Int?
  public var message: String
  /// Where the trace text says this step (when parsed from a file).
  public var location: SourceLocation
  /// The kind of mistake: the diagnostic's id (`kevc.transform.<reason>`), so that a tool (the LLM agent, a
  /// script) can tell a misspelt name from a parameter out of range without reading the message.
  public var reason: Reason

  /// Diagnostic ids of illegal steps, the common reasons first; `illegal` covers every other legality rule.
  public enum Reason: String, Hashable, Sendable, CaseIterable {
    /// No definition of that name (or an input, which has no schedule).
    case unknownDefinition = "unknown-definition"
    /// The definition has no loop of that name.
    case unknownLoop = "unknown-loop"
    /// A factor, width, warp count, stage count or size outside what the transform accepts.
    case badParameter = "bad-parameter"
    /// A reduction loop where the transform needs an axis loop (parallel, vectorize, bind, cache).
    case reductionLoop = "reduction-loop"
    /// Only the innermost loop can be vectorized.
    case notInnermost = "not-innermost"
    /// The loop is already split, vectorized, unrolled, parallel or bound.
    case alreadyMapped = "already-mapped"
    /// A result's storage, layout or placement belongs to the caller.
    case resultStorage = "result-storage"
    /// The kernel's dims are not bound.
    case unboundDims = "unbound-dims"
    /// The transform applied but the IR or a schedule no longer verifies.
    case doesNotVerify = "does-not-verify"
    /// A definition computed inside a consumer no longer has a computable region there, or its region outgrew
    /// local storage (after a step that changed the consumer's loops).
    case badPlacement = "bad-placement"
    /// The loop to split (or vectorize, unroll, tile) is one a producer is computed at.
    case computeLoopSplit = "compute-loop-split"
    /// An order-sensitive reduction (argmax/argmin, a select-form tuple combiner) would visit its reduction domain
    /// out of ascending order (a split's parts swapped, reduction axes reordered), so ties would not give the first.
    case reductionOrder = "reduction-order"
    /// An input precision of an f32 `dot` beyond the kernel's accuracy contract (`matmul_precision`): e.g.
    /// `precision(y, tf32)` under `highest`.
    case beyondMatmulPrecision = "beyond-matmul-precision"
    /// Every other legality rule.
    case illegal
  }

  public init(
    _ transform: Transform, _ message: String, reason: Reason = .illegal, step: Int? = nil,
    location: SourceLocation = .unknown
  ) {
    self.transform = transform
    self.message = message
    self.reason = reason
    self.step = step
    self.location = location
  }

  /// Whether a diagnostic is an illegal transform step (any reason).
  public static func isIllegalStep(_ id: DiagnosticID) -> Bool {
    id.domain == "transform" && Reason(rawValue: id.name) != nil
  }

  /// One line for search logs and fitness records.
  public var description: String { "\(TraceText.print(transform)): \(message)" }

  public var diagnostic: Diagnostic {
    Diagnostic.error(DiagnosticID("transform", reason.rawValue), "cannot apply '\(TraceText.print(transform))': \(message)", at: location)
  }
}
