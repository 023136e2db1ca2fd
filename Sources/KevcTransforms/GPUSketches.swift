import KevcBasic
import KevcIR

/// Sketches (Ansor's idea on kevc's IR): structural variants of the default GPU schedule's rules, each a set of
/// choices that `DefaultSchedule.gpu(for:capability:sketch:)` applies to any kernel, decided by the IR's structure
/// (row statistics, contractions, reductions), never by names or shapes. The search starts from every sketch that
/// gives a schedule of its own (roots `sketch:NAME`) and breeds from all of them, not only from the default.
///
/// - `default`: the rules as documented in `DefaultGPUSchedule.swift`;
/// - `rows2`, `rows4`: row kernels with their statistics in registers take 2 or 4 rows per program (the row loop
///   split, its inner part a block, the statistics computed once per program as a [rows] block), when the rows
///   fit the lane budget;
/// - `wide-tiles`, `narrow-tiles`: contraction tiles one step wider along the contiguous output (up to 256) or
///   narrower (up to 64), still sized to the operands and shrunk to the targets' shared memory;
/// - `unfused`: row statistics stay kernels of their own (no compute_at), each reduction a kernel;
/// - `unsplit`: reductions are never split across programs (no rfactor);
/// - `fused`, `fused-wide`: every reduction read pointwise by its only, elementwise reader (an epilogue: a cast, a
///   bias and activation) is computed inside the reader's programs with the tiling it would have had as a kernel
///   (`FusedEpilogue.swift`; the default takes stencils and contractions only); `fused-wide` with the wide
///   contraction tiles;
/// - `wide-blocks`: elementwise kernels take 4096 elements per program instead of 1024 (more bytes in flight per
///   program, index math amortised: bench/gpu/jagged_truncate.trace's 64 x 64 tiles);
/// - `fused-taps`, `per-tap`: a convolution's channel and window axes are fused into one reduction axis whatever
///   its channel count (`fuse_axes`; the default only below 128 channels), or never;
/// - `grouped`: contractions with more output tiles than multiprocessors launch their programs in grouped order
///   (`group_programs(y, 8)`: 8 rows of tiles per group, for L2 reuse of the operand panels);
/// - `online`, `online-rows2`: an algebraic root: `fuse_reductions` first, on every definition where it is legal
///   (a sum of `exp(x - m)` with `m` the maximum of the same `x`, and the elementwise definitions reading only such
///   sums, become one tuple reduction carrying a running maximum: softmax's and logsumexp's two passes over a row
///   become one, FlashAttention-2's recurrence), then the default rules (`online-rows2`: two rows per program).
///   Exact in real arithmetic (the rescaling by `exp(m_old - m_new)` changes rounding only), so it needs no
///   tolerance beyond the spec's;
/// - `two-pass-weights`, `one-pass-weights`: rule O's weighted sums (`sum_j exp(s - m) * v[j, e]`) stay two passes,
///   or become one online pass, whatever the cost model estimates (the default takes the cheaper estimate);
/// - `tf32x3`: rule 4's compute-bound f32 contractions in three tf32 passes (`precision(y, tf32x3)`): the default's
///   choice again since the afternoon of 2026-12-07 (so this root equals the default), kept for the traces and
///   databases that name it;
/// - `split-bf16x3`: rule 4's compute-bound f32 contractions in three bf16 passes of split operands
///   (`precision(y, bf16x3)`, half tf32x3's tensor-core work, about 2^-16 of each product instead of 2^-21; tf32x3
///   still where the values reach the results through exp, tanh and the like: `errorAmplifiedDownstream`): the
///   default of the morning of 2026-12-07, up to 3.2x faster than tf32x3 on an H100 but with a thin margin to
///   f32's tolerance on heavy-tailed inputs (docs/reliability.md), so a root the search checks, not a default;
/// - `bf16x3`: every f32 contraction on the tensor cores in three bf16 passes of split operands, memory-bound ones
///   too; `tf32` and `bf16` operands, which lose accuracy, are never a sketch: only a spec whose tolerance allows
///   them should get them;
/// - `ieee`: every f32 contraction on the FMA units (`input_precision="ieee"`), the default's compute-bound ones too;
/// - `separate-stencils`: a stencil (a reduction of at most 16 constant points) stays a kernel of its own before
///   its elementwise epilogue (the default before rule 3b took stencils);
/// - `separate-contractions`: a contraction stays a kernel of its own before its elementwise epilogue, its result
///   through memory (the default before rule 3b took contractions);
/// - `deinterleaved`: a sum that reads an input with a constant stride along its contiguous output axis, where
///   another output axis reuses each element (a strided convolution), reads a copy de-interleaved by phase
///   (`deinterleave`, the CPU's rule 2b): contiguous block loads for one extra pass over the input;
/// - `tf32x3-large-tiles`: a dot in three passes of split operands (the default's bf16x3) below 128x128 output
///   tiles keeps the matrix units' reduction steps (32 f32) and warps instead of `DefaultSchedule.splitDotStep`'s
///   16 and 8 warps (the default before 2026-12-07c; named when the split was tf32x3's);
/// - `two-pass-variance`: a centred sum of squares over long rows keeps reading its mean (no `welford`: rule V
///   off), two passes over the row for the mean and the variance;
/// - `separate-siblings`: sibling sums over rows too long to hold whole stay one kernel each (no `fuse_siblings`:
///   the default before rule O2);
/// - `separate-row-passes`: root reductions streaming the same rows in the same tiles stay kernels of their own (no
///   `compute_with` at the streamed loop: the default before rule 4b);
/// - `broadcast-innermost`: an elementwise kernel reading an operand of at least 2^20 elements broadcast along one
///   of its program axes (layer_norm3d's weight and bias, read again by each batch element) binds that axis to
///   grid.x, so that the programs reading the same tile run side by side and share it in the cache;
/// - `separate-column-partials`, `one-pass-columns`: rule 2c's column reductions over a row definition's rows stay
///   kernels of their own (the default before rule 2c), or share its pass over the rows whatever the cost model says;
/// - `unstaged`: no rule 0b (2-byte convolutions read their operands as stored, rule 0 fusing the taps of those with
///   few channels and at least 4 taps: the default before 2026-12-07's rule 0b); `fused-taps` and `per-tap` are
///   unstaged too;
/// - `staged-wide`: rule 0b for every operand width: f32 convolutions too keep one dot per tap and read
///   channels-last copies (not rule 0's fused taps);
/// - `k-major`: rule 0c, `staged-wide` and more: every `dot` contraction rule 4 puts on the matrix units with f32
///   operands (tf32, tf32x3, bf16x3, bf16 passes) reads each operand stored MN-major (its last dimension walked by an
///   output axis, not by the reduction alone) from a copy with its reduction dimensions last (K-major), where the cost
///   model puts the copy's kernel at no more than `kMajorCopyShare` of the contraction's; 2-byte operands are not
///   staged (the matrix units read their MN-major tiles as stored); `k-major-every`: the same without the cost check
///   (every such operand staged: what the A/B that calibrates `kMajorCopyShare` compares it with).
public struct GPUSketch: Sendable, Hashable {
  public var name: String
  /// Rule 1: inline cheap elementwise intermediates.
  public var inline = true
  /// Rule 2: split reductions that leave the machine idle.
  public var splitReductions = true
  /// Rule 3: compute row statistics in their consumers' programs.
  public var fuseStatistics = true
  /// Rows of a row kernel per program (1: one row per program).
  public var rowsPerProgram = 1
  /// Contraction tiles: 0 sized to the operands up to 128; +1 up to 256 along the contiguous output; -1 up to 64.
  public var tileScale = 0
  /// Rule 3b: reductions computed inside their elementwise epilogue's programs.
  public var fuseEpilogues = false
  /// Rule 3b for stencils (the default): a reduction of at most 16 constant points that is not a contraction
  /// is computed inside its elementwise epilogue's programs, its taps unrolled.
  public var fuseStencilEpilogues = true
  /// Rule 3b for contractions (the default): a `dot` contraction is computed inside its elementwise epilogue's
  /// programs with its own tiling (measured on an H100 against the two-kernel form, bench/gpu/ab-fused: 1.02x to
  /// 1.92x on eight contractions: matmuls, a batched matmul, convolutions, a chain of contractions).
  public var fuseContractionEpilogues = true
  /// Rule P2: the phases of a phase split stored in place into the tensor that interleaves them (`store_phases`),
  /// the interleaving's elementwise epilogue pushed into each phase, so that no intermediate and no interleaving
  /// kernel remain (with rule 3b each phase sum is computed in its epilogue's programs).
  public var phasesInPlace = true
  /// Rule 4: elements of an elementwise kernel's blocks (the contiguous axis, then the axis before it).
  public var elementwiseBlock = DefaultSchedule.gpuBlock
  /// Rule 0: fuse a convolution's channel and window axes when its channels are fewer than this.
  public var fuseTapsBelowChannels = 128
  /// Rule 0: ... and when its window has at least this many taps in all (a 3-tap conv1d of 2-byte operands keeps
  /// one dot per tap).
  public var fuseTapsFromTaps = 4
  /// Rule 0 for operands wider than 2 bytes (f32 contractions, on the tensor cores in split passes or on the FMA
  /// units): the taps from which a window is fused.
  public var fuseWideTapsFromTaps = 2
  /// Rule 4: group the programs of a contraction with more output tiles than multiprocessors (0: row-major).
  public var programGroup = 0
  /// Rule O (before rule 0): online reductions: `fuse_reductions` on every definition where it is legal (a sum of
  /// `exp(x - max)` and its readers become one pass carrying a running maximum: online softmax, logsumexp).
  public var onlineReductions = false
  /// Rule O for weighted sums (`sum_j exp(s[i, j] - m[i]) * v[j, e]`, read beside the maximum): one online pass
  /// where the cost model estimates it faster than the two passes (`.byCost`, the default), always, or never.
  public var weightedSums = WeightedSums.byCost
  public enum WeightedSums: Sendable, Hashable { case byCost, onePass, twoPasses }
  /// Rule D: sums that read an input with a constant stride along their contiguous axis read a de-interleaved copy.
  public var stridedCopies = false
  /// Rule 0b: a convolution of 2-byte operands keeps one dot per tap (rule 0 does not fuse it) and reads its operands
  /// from copies stored channels-last (measured on an H100, bench/gpu/ab-h66-results: 1.15x to 1.92x on four bf16/f16
  /// convolutions). Off: rule 0 as before (sketch `unstaged`).
  public var channelsLastTaps = true
  /// Rule 0b for operands wider than 2 bytes too (sketch `staged-wide`): an f32 convolution keeps one dot per tap
  /// and reads channels-last copies instead of rule 0's fused taps or its operands as stored.
  public var channelsLastWideTaps = false
  /// Rule 0c (sketch `k-major`): f32 operands of matrix-unit contractions stored MN-major read K-major copies:
  /// `never`; `byCost` (every such operand whose copy the cost model estimates at no more than `kMajorCopyShare` of
  /// its contraction's kernel); `except(copies)`, what `byCost` resolves to: every such operand but the copies named
  /// (`tensor.consumer`, as `stage` names them).
  public var kMajorDots = KMajorDots.never
  public enum KMajorDots: Sendable, Hashable { case never, byCost, except(Set<String>) }
  /// Rule 0c: the most a K-major copy's kernel may cost, as a share of its contraction's kernel (cost model seconds).
  public static let kMajorCopyShare = 0.1
  /// Rule 4: the input precision of every f32 `dot` contraction (nil: rule 4's choice, `splitPrecision` for a
  /// compute-bound contraction whose tiles fit the matrix units, else f32 on the FMA units).
  public var dotPrecision: DotPrecision? = nil
  /// Rule 4: the precision of a compute-bound f32 contraction on the matrix units; nil: the fastest the kernel's
  /// accuracy contract allows (`DotPrecision.fastest(under:)`: `highest` three tf32 passes of split operands,
  /// `tf32x3`, about 2^-21 of each product; `high` one tf32 pass; `medium` one bf16 pass). Under `highest`, tf32x3
  /// rather than bf16x3 (about 2^-16: half the tensor-core work, allowed from `high` on): bf16x3 used up to 0.58 of
  /// f32's tolerance on heavy-tailed inputs at a million outputs (python/tests/test_bf16x3_numerics.py's sweep) and
  /// missed it on 1 of 538,970,112 outputs of a convolution on an H100 (bench/gpu/session-h100-2026-12-07e), where
  /// tf32x3 stays below 0.01 of it (docs/reliability.md).
  public var splitPrecision: DotPrecision? = nil
  /// Rule 4: f32 contractions stay on the FMA units (`input_precision="ieee"`) even where rule 4 takes the tensor cores.
  public var ieeeDots = false
  /// Rule 4: a dot in three passes of split operands whose output tile is below 128x128 takes reduction steps of
  /// `DefaultSchedule.splitDotStep` and 8 warps from 64x128; false: any matrix-unit dot's steps and warps.
  public var splitDotsShareMultiprocessors = true
  /// Rule O2: sibling sums over the same long rows, read through one expression of them, become one tuple
  /// reduction (`fuse_siblings`): one streamed pass over the row carries every accumulator.
  public var fuseSiblings = true
  /// Rule V: a centred sum of squares over rows streamed in tiles becomes a Welford tuple reduction (`welford`), so
  /// the mean and the variance take one pass; false: two passes.
  public var onePassVariance = true
  /// Rule 2c: a column reduction over the rows a row definition writes (a norm's dweight beside its dx) is computed
  /// in the same pass over the rows (`compute_with` at the loop over each program's rows) where the cost model
  /// estimates the whole default faster so (`.byCost`, the default), always, or never (the two kernels apart).
  public var columnPartials = ColumnPartials.byCost
  /// Rule 4b: root reductions streaming the same rows of an input in the same tiles share one loop
  /// (`compute_with` at the streamed loop: each tile loaded once for both); false: a kernel each.
  public var shareRowPasses = true
  /// Rule 4 (a sketch): an elementwise kernel whose large operand is broadcast along one program axis binds that
  /// axis to grid.x, so the programs re-reading a tile of it run side by side (`broadcastAxis`).
  public var broadcastInnermost = false
  public enum ColumnPartials: Sendable, Hashable { case byCost, onePass, separate }

  public init(name: String) { self.name = name }

  /// Whether the contract allows the input precisions this sketch asks for (a sketch asking for more is not offered:
  /// `split-bf16x3` and `bf16x3` need `high`).
  public func isAllowed(under contract: MatmulPrecision) -> Bool {
    [splitPrecision, dotPrecision].allSatisfy { $0.map { $0.isAllowed(under: contract) } ?? true }
  }

  /// Rule 0b applies to a convolution whose widest operand has this many bytes.
  func stagesTaps(operandBytes: Int) -> Bool {
    channelsLastTaps && (operandBytes <= 2 || channelsLastWideTaps)
  }

  public static let `default` = GPUSketch(name: "default")

  /// The default sketch of a block-level target by name (`triton`, `cute`, `hip`). The loop-level lowerings' contraction
  /// plans (CuTe's `cute.gemm`, HIP's matrix tiles) refuse a `dot` computed inside another definition's programs
  /// (`NestPlan`: every target then runs its loop nest), so their default keeps a contraction a kernel of its own,
  /// on the matrix units, rather than fusing its epilogue (rule 3b for contractions is Triton's).
  public static func defaultSketch(forTarget target: String) -> GPUSketch {
    guard target != "triton" else { return .default }
    var s = GPUSketch.default
    s.fuseContractionEpilogues = false
    // Rule O's weighted sums stay two passes there: both plans lower a `dot` computed inside another definition's
    // loops (the scores inside the online pass) as scalar loops (CuTe: not `cute.gemm`), and HIP's plan gives each
    // output element (row, weighted axis) a block that recomputes its row of scores: D times the scores' work.
    s.weightedSums = .twoPasses
    // Rule 0b was measured on Triton's modules only: the loop-level targets keep rule 0.
    s.channelsLastTaps = false
    // Rule 4b's shared loop is a Triton kernel's: the loop-level targets run `compute_with` siblings one after the
    // other (the same passes), so their default leaves them apart.
    s.shareRowPasses = false
    // Rule V's Welford variance is one pass only with rule 4b, and their plans run a tuple reduction's domain
    // serially in one thread per output (no block combine): a row of 2^18 points one element at a time.
    s.onePassVariance = false
    // Rule P2 leaves them: without rule 3b for contractions each epilogue phase would read its phase sum back from
    // memory (the bytes of the interleaving kernel it replaces, in one kernel per phase instead of one), and their
    // thread plans' strided stores into another tensor's buffer have not run on their hardware. Their lowering of a
    // trace that says `store_phases` is the loop lowering's (LLVM's, checked by the difftest).
    s.phasesInPlace = false
    return s
  }

  /// Every sketch's name, comma separated, the default first (for help texts and diagnostics).
  public static var names: String { all.map(\.name).joined(separator: ", ") }

  /// The same choices with contraction tiles at another scale.
  func withTileScale(_ scale: Int) -> GPUSketch {
    var s = self
    s.tileScale = scale
    return s
  }

  /// Every sketch, the default first.
  public static let all: [GPUSketch] = {
    func with(_ name: String, _ change: (inout GPUSketch) -> Void) -> GPUSketch {
      var s = GPUSketch(name: name)
      change(&s)
      return s
    }
    // The order they are evaluated in when a search starts (a short search may not reach the last ones): the
    // structural moves of the hand traces first, with the algebraic roots that change the most (tensor cores for
    // f32 contractions, one-pass online reductions) among them.
    return [
      .default,
      with("fused") { $0.fuseEpilogues = true },
      with("fused-wide") {
        $0.fuseEpilogues = true
        $0.tileScale = 1
      },
      with("tf32x3") { $0.splitPrecision = .tf32x3 }, with("split-bf16x3") { $0.splitPrecision = .bf16x3 },
      with("bf16x3") { $0.dotPrecision = .bf16x3 },
      with("ieee") { $0.ieeeDots = true },
      with("wide-tiles") { $0.tileScale = 1 }, with("online") { $0.onlineReductions = true },
      with("rows2") { $0.rowsPerProgram = 2 },
      with("wide-blocks") { $0.elementwiseBlock = 4 * DefaultSchedule.gpuBlock }, with("rows4") { $0.rowsPerProgram = 4 },
      with("narrow-tiles") { $0.tileScale = -1 }, with("unfused") { $0.fuseStatistics = false },
      with("unsplit") { $0.splitReductions = false },
      with("fused-taps") {
        $0.fuseTapsBelowChannels = Int.max
        $0.fuseTapsFromTaps = 0
        $0.fuseWideTapsFromTaps = 0
        $0.channelsLastTaps = false
      }, with("per-tap") {
        $0.fuseTapsBelowChannels = 0
        $0.channelsLastTaps = false
      },
      with("separate-stencils") { $0.fuseStencilEpilogues = false },
      with("separate-contractions") { $0.fuseContractionEpilogues = false },
      with("grouped") { $0.programGroup = 8 },
      with("online-rows2") {
        $0.onlineReductions = true
        $0.rowsPerProgram = 2
      },
      with("deinterleaved") { $0.stridedCopies = true },
      with("unstaged") { $0.channelsLastTaps = false },
      with("staged-wide") { $0.channelsLastWideTaps = true },
      with("k-major") {
        $0.channelsLastWideTaps = true
        $0.kMajorDots = .byCost
      },
      with("k-major-every") {
        $0.channelsLastWideTaps = true
        $0.kMajorDots = .except([])
      },
      with("tf32x3-large-tiles") { $0.splitDotsShareMultiprocessors = false },
      with("separate-siblings") { $0.fuseSiblings = false },
      with("two-pass-variance") { $0.onePassVariance = false },
      with("two-pass-weights") { $0.weightedSums = .twoPasses }, with("one-pass-weights") { $0.weightedSums = .onePass },
      with("separate-column-partials") { $0.columnPartials = .separate },
      with("one-pass-columns") { $0.columnPartials = .onePass },
      with("separate-row-passes") { $0.shareRowPasses = false },
      with("broadcast-innermost") { $0.broadcastInnermost = true },
    ]
  }()
}

extension DefaultSchedule {
  /// The traces of every sketch on this kernel that its accuracy contract allows, without repeats (a sketch whose
  /// choices change nothing here gives the default's trace and is left out).
  public static func gpuSketches(for kernel: Kernel, capability: GPUCapability = .portable) -> [(name: String, trace: Trace)] {
    var out: [(name: String, trace: Trace)] = []
    for s in GPUSketch.all where s.isAllowed(under: kernel.matmulPrecision) {
      let t = gpu(for: kernel, capability: capability, sketch: s)
      if !out.contains(where: { $0.trace == t }) { out.append((s.name, t)) }
    }
    return out
  }
}
