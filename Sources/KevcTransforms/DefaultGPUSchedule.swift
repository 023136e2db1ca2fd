import KevcBasic
import KevcIR

/// The default schedule of the block-level GPU targets (Triton), derived from the bound IR's structure and from the
/// target's capability record (`GPUCapability.portable`: multiprocessors to fill, shared memory per program,
/// Triton's tensor limit), never from names. Each numbered rule is one function below; `--emit scheduled` shows
/// the result.
///
/// In order:
/// O. Online reductions: a maximum and the sums of `exp(x - max)` reading it become one pass (`fuse_reductions`)
///    where the sums' rows are longer than `gpuWholeReduction` (streamed in tiles, so two passes read memory twice);
///    sketch `online` everywhere. A weighted sum (`sum_j exp(s[i, j] - m[i]) * v[j, e]`, an output axis the maximum
///    lacks: `isWeightedSum`) becomes one pass where the cost model estimates the whole default faster so than as
///    two passes (both are scheduled; Triton only: the loop-level targets' sketch keeps two passes).
/// O3. (before rule 2) An online pass with one weighted axis is tiled like FlashAttention-2 (`scheduleOnlinePass`):
///    64-row tiles, 64-key blocks, the weighted axis whole, the scores a `dot` per key block, 4 warps.
/// S. Scans: a triangular reduction `[j in lo .. (i + 1)]` (a prefix sum written as the language writes one) becomes
///    a scan along `i` (`to_scan`) wherever the rewrite is legal: O(N) element evaluations instead of O(N^2), an
///    accumulator carried along the row (rule 4 then gives the scan axis a block, `tl.cumsum` or
///    `tl.associative_scan`, with the prefix carried across blocks of a longer row).
/// P. Phases: a sum's output axis read under guards `(E % s) == c` and divisions `E / s` (a strided transposed
///    convolution) is split by phase (`phase_split`) wherever the rewrite is legal: one dense convolution per phase
///    without the discarded taps, which the rules below schedule like any other, and an elementwise interleaving.
/// D. (sketch `deinterleaved` only) A sum reading an input with a constant stride along its contiguous output axis,
///    where another output axis reuses each element, reads the input's copy de-interleaved by phase (`deinterleave`,
///    the CPU's rule 2b): the block loads along that axis become contiguous for one extra pass over the input.
/// 0. Fuse the windows of a convolution with few channels: a contraction whose shared reduction axes include a
///    window axis (at most 16 taps, read at `l + k - 1` with an output axis) and whose other shared axes (the
///    channels) have fewer than `GPUSketch.fuseTapsBelowChannels` (128) iterations (operands wider than 2 bytes:
///    2-byte ones are rule 0b's, unless sketch `unstaged`), with at least
///    `GPUSketch.fuseTapsFromTaps` (4) taps in all, gets `fuse_axes` over the shared axes, so one `dot` reduces over
///    channels and taps together (an implicit GEMM over `C * K`) instead of one `dot` per tap over a short channel
///    block. With fewer taps the per-tap dots lose little to their loop and keep contiguous operand loads, which
///    the div/mod indices of a fused axis break up (measured on an H100, bench/gpu/rewrites2-h100: a 3-tap conv1d
///    fused ran at about half the speed of per-tap at 96, 512 and 768 channels; a 9-tap conv2d at 1.24x). With
///    operands wider than 2 bytes (f32) `GPUSketch.fuseWideTapsFromTaps` (2) taps suffice: on an H100 fused taps
///    beat one dot per tap on all three f32 3-tap convolutions measured (bench/gpu/session-h100-2026-12-07 and
///    -07b: conv1d_dilated_strided 3.7x, conv1d_standard 1.11x and conv_transposed1d 1.23x even in a slower order).
/// 0b. A convolution of 2-byte operands (which rule 0 leaves unfused) keeps one `dot` per tap and reads each operand
///    whose channel dimensions are not its last from a copy stored with them last (`stageChannelsLast`), each copy a
///    kernel of its own transposing 64 x 64 tiles; rule 4 puts its longest serial reduction loop innermost. Measured
///    on an H100 (bench/gpu/ab-h66-results): 1.15x to 1.92x on three conv1d shapes and a conv2d. Sketch `unstaged`:
///    not taken (rule 0 as before); the loop-level targets do not take it.
/// 0c. (sketch `k-major` only, until measured) A contraction rule 4 puts on the matrix units with f32 operands reads
///    each operand stored MN-major (its reduction dimensions not its last) from a K-major copy made by rule 0b's
///    steps and transposing kernel (`kMajorAxes`, `stageLast`), unless the cost model puts the copy's kernel above
///    `GPUSketch.kMajorCopyShare` of the contraction's (`costlyCopies`); 2-byte operands are read as stored.
/// 1. Inline elementwise intermediates read by at most two definitions when inlining recomputes nothing or little:
///    every read is pointwise at the consumer's leading axes, or indexes the producer's axes with distinct
///    variables that name every loop of the consumer (one read per element, e.g. a difference squared inside a
///    full reduction), or the producer is cheap (at most two loads and a few operations, e.g. a mean from a row
///    sum). An inline that would stop a consumer from being a `dot` contraction is not made.
/// P2. (after rule 1) The phases of rule P land in place: an elementwise definition reading them (the interleaving,
///    or the epilogue rule 1 inlined it into, `tanh(select(..., y.ph0[t / 2], ...) - b)`) is split by phase itself
///    where it is not an interleaving yet (`phase_split`: the epilogue goes into each arm, the guards fold), then
///    `store_phases`: each phase stores its values in that definition's buffer at stride `s`, offset `p`, and the
///    definition emits no kernel (no intermediate per phase, no interleaving pass; rule 3b then computes each phase
///    sum in its epilogue's programs). Both steps or neither. Triton only (`GPUSketch.phasesInPlace`: CuTe and HIP keep
///    contraction epilogues apart, so it would save them nothing, and their strided stores are unmeasured).
/// O2. (after rule 1) Sibling sums over rows longer than `gpuWholeReduction`, read by one definition only through one
///    expression of them (a cosine similarity's three sums), become one tuple reduction yielding it
///    (`fuse_siblings`): one streamed pass over the row carries every accumulator (`fuseSiblingsOverLongRows`).
/// V. (after rule 1) A centred sum of squares over rows longer than `gpuWholeReduction` (a variance reading its mean),
///    which rule 2 would not split, becomes a Welford tuple reduction (`welford`, `onePassVariance`): it no longer
///    reads the mean, so rule 4b streams the mean's sum and it in one loop; sketch `two-pass-variance`: not taken.
/// 2. Split reductions that would leave the machine idle: a root reduction whose programs (outputs over the
///    contiguous block) are fewer than `programsToFill` while each would reduce at least 2^18 elements becomes
///    `rfactor`: partial reductions over a non-contiguous reduction axis (or, failing that, the contiguous one, by
///    the missing parallelism times a 64-lane block), one kernel, combined by a second (`y.rf` then `y`). Partials
///    that are still too few (a full reduction to a scalar whose longest axis gives at most a quarter of its
///    extent) are split again by the same rule, once (`y.rf.rf`).
/// 2b. (before 2) Row statistics read by a reduction over their rows: a reduction with fewer outputs than programs to
///    fill that reads reductions (each read by it alone) at one of its reduction axes and all its output axes (a
///    loss's mean over per-row sums) becomes partials (`rfactor` over that axis) and each statistic is computed
///    inside them at the serial row loop: one kernel reads each row from memory once (`statisticsIntoRowReductions`).
/// 2c. (before 2b and 2) A column reduction over the rows a row definition writes (a norm's dweight beside dx, reading
///    the same inputs at the same points) is computed in the rows' pass: P programs each take rows m.i, m.i + P, ...,
///    and the reduction's partials by the same program index are fused into the row definition's loop over its rows
///    (`compute_with(R.rf, D, m.o)`), where the cost model estimates the whole default faster so
///    (`columnPartialsWithRows`, ColumnPartialsWithRows.swift).
/// 3. Fuse row statistics: an intermediate whose every read by a consumer uses only that consumer's outer axes
///    (the ones that will be program ids) is computed at the consumer's innermost outer axis, so one program
///    computes the one value it needs in a register (norms, softmax, attention's row max). An elementwise consumer
///    with rows shorter than the elementwise block whose reads of the statistic do not name its row loop takes
///    several rows per program (the row loop split, the statistic computed at its outer part: still once a program).
/// 4. Each definition computed at the root gets a kernel:
///    - a contraction (`dot(y)` legal; convolutions too, as implicit GEMMs over shifted windows) whose operands
///      each have output axes of their own of at least 16 iterations (a matrix times a vector is not: it is
///      scheduled as the row reduction it is, measured on an H100: matvec 2048 x 2^20 as a dot of 64-row tiles ran
///      at 37.6 ms, 32 programs, 8% of the floor) is tiled over
///      each operand's innermost output axis the other lacks and their first shared reduction axis, with tiles
///      sized to the operands (the next power of two of each extent, 16 to 128 for the outputs, 16 to 64 for the
///      reduction; halved while there are fewer output tiles than multiprocessors, down to 64) and shrunk (stages,
///      then the reduction tile, then the output tiles) until Triton's shared memory for the pipelined operand
///      tiles fits the target: program ids over output tiles, the three tiles as blocks, the reduction serial.
///      f32 operands go on the tensor cores at the fastest precision the kernel's accuracy contract
///      (`matmul_precision`) allows: under `highest` in three tf32 passes of split operands (`precision(y, tf32x3)`:
///      f32's tolerance with about 150x margin on the harness's heavy-tailed inputs; sketch `split-bf16x3`, from
///      `high` on, takes three bf16 passes, half the tensor-core work, whose margin there is under 2x:
///      docs/reliability.md), under `high` in one tf32 pass, under `medium` in one bf16 pass, when the
///      contraction is compute-bound by the cost model and tl.dot's matrix-unit tiles apply (`tensorCoresPay`;
///      under `split-bf16x3`, tf32x3 still where its values reach the results through exp, tanh and the like:
///      `errorAmplifiedDownstream`),
///      with the matrix units' tiles (below 128x128, where an operand's index is not a bare variable, a
///      convolution's: reduction steps of `splitDotStep`, 16, and 8 warps from
///      64x128); otherwise they stay on the FMA units with tiles of at most 64x64x32;
///    - otherwise its outer axes become program ids (at most three: the innermost on grid.x, so that programs
///      launched together read neighbouring memory, unless an outer one exceeds grid.y/z's 65535: then the one
///      with the most iterations on grid.x),
///      the contiguous axis (the last index of the store and most loads) a block of up to 1024 (up to 8192 when
///      row statistics are computed in the program; beside a reduction block 64, unless a short window held whole
///      leaves it more of the lane budget: `outputBlockBesideReduction`; a maximum or minimum over at most 16
///      taps takes no reduction block, its taps unrolled; the rest of the axis over program ids; no block and the
///      row loop serial when statistics are computed at a reduction loop), plus a second block
///      over the previous axis for small elementwise tiles; its largest
///      constant-bound reduction axis a block (the whole extent up to 8192, else serial over tiles of 2048; among
///      equal blocks the unit-stride one), and its other constant window axes too where they fit whole
///      (`windowLanes`; unit-stride blocks innermost); data-dependent reduction axes stay serial.
///    `launch` sets warps from the elements a program handles (1 up to 64, 2 up to 256, 4 below 2048, 8 below
///    4096, else 16) and 2 stages (a contraction: 8 warps for 128x128 tiles, and from 64x128 for FMA-unit and
///    bf16x3/tf32x3 dots, 4 from 32x64, else 2).
/// 5. Producers computed inside a consumer reduce over their largest constant reduction axis as a block.
/// 4d. (in 4) Under `highest`, a plain f32 contraction (reduction of at least 256) reading an operand MN-major
///    (`operandLayout`) stays on the FMA units instead of tf32x3's split passes (`splitsAcrossLayout`; measured
///    1.25-1.42x on four corpus matmuls on an H100).
/// 4b. (after 4) Sibling row passes: two root reductions that stream the same rows of an input in the same tiles (a
///    log-softmax's maximum and rule O's online log-sum-exp beside it) share one loop (`compute_with` at the streamed
///    loop, `streamSiblingsTogether`): each tile is loaded once for both. Triton only (sketch `separate-row-passes`:
///    a kernel each).
/// 3c. Statistics over a non-contiguous axis: a reduction read by one elementwise consumer at the consumer's
///    contiguous axis and the others but one (an RMS norm over channels) is computed in the consumer's programs
///    as a [contiguous, reduced] block (`fuseColumnStatistics`): one kernel instead of two and an intermediate.
/// 3b. Stencils and contractions into their epilogues (`FusedEpilogue.swift`): a reduction of at most 16 constant
///    points that is not a contraction (a pooling window, a depthwise filter's taps), read pointwise by its only,
///    elementwise reader, is computed inside the reader's programs with the reader's elementwise tiling and its taps
///    unrolled: one kernel, no round trip of the window sums through memory (the structure of
///    bench/gpu/depthwise_conv1d.trace, 3.4x the old default there on an H100); a `dot` contraction so read is
///    computed inside the reader's programs with its own tiling (1.02x to 1.92x on eight contractions on an H100,
///    bench/gpu/ab-fused). Sketches `separate-stencils` and `separate-contractions` leave them kernels of their own.
/// The sketches (`GPUSketches.swift`) vary these rules; sketch `fused` extends rule 3b to every reduction read
/// pointwise by its only, elementwise reader (contractions too, with the contraction's tiling).
/// Every step is applied only if legal, so the trace is valid for any shape (default and bench shapes alike).
extension DefaultSchedule {
  public static let gpuBlock = 1024
  public static let gpuWholeReduction = 8192
  public static let gpuReductionTile = 2048
  public static let gpuLaneBudget = 8192

  public static func gpu(
    for kernel: Kernel, capability: GPUCapability = .portable, sketch: GPUSketch = .default
  ) -> Trace {
    var k = kernel
    var steps: [Transform] = []
    @discardableResult
    func attempt(_ t: Transform) -> Bool {
      guard let next = try? t.apply(to: k) else { return false }
      k = next
      steps.append(t)
      return true
    }
    func isResult(_ name: String) -> Bool { k.results.contains { $0.name == name } }
    func readers(_ name: String) -> [Definition] { k.definitions.filter { $0.name != name && $0.reads(name) } }
    func current(_ name: String) -> Definition? { k.definitions.first { $0.name == name } }
    func extent(_ loop: String, _ d: Definition) -> Int? { try? k.maxExtent(loop, in: d) }

    // O (weighted sums): a weighted sum of the normalised exponentials read beside their maximum (attention's
    // `sum_j p[i, j] * v[j, e]`) is one online pass where the cost model estimates the whole default faster so
    // than as two passes (the weights [rows, keys] materialised between them).
    if sketch.weightedSums == .byCost, !sketch.onlineReductions,
      kernel.definitions.contains(where: { isWeightedSum($0, kernel) })
    {
      var one = sketch
      one.weightedSums = .onePass
      var two = sketch
      two.weightedSums = .twoPasses
      return cheaper(one, than: two, kernel, capability)
    }

    // 2c (decided here, applied before rule 2): a column reduction over a row definition's rows shares its pass
    // over the rows where the cost model estimates the whole default faster so.
    if sketch.columnPartials == .byCost, !rowsAndColumnReductions(kernel).isEmpty {
      var one = sketch
      one.columnPartials = .onePass
      var apart = sketch
      apart.columnPartials = .separate
      return cheaper(one, than: apart, kernel, capability)
    }

    // 0c (decided here, applied with rule 0b): sketch `k-major` stages every MN-major f32 operand of a matrix-unit
    // contraction, then leaves out the copies the cost model puts above `kMajorCopyShare` of their contraction.
    if sketch.kMajorDots == .byCost {
      var every = sketch
      every.kMajorDots = .except([])
      var chosen = sketch
      chosen.kMajorDots = .except(costlyCopies(gpu(for: kernel, capability: capability, sketch: every), kernel, capability))
      return gpu(for: kernel, capability: capability, sketch: chosen)
    }

    // S. Triangular sums become scans wherever the rewrite is legal (O(N) instead of O(N^2)).
    for d in kernel.definitions where d.reduction != nil { attempt(.toScan(tensor: d.name)) }

    // P. Strided transposed convolutions are split by phase wherever the rewrite is legal (dead taps gone).
    for d in kernel.definitions where d.reduction != nil && !d.phaseGuardedAxes.isEmpty {
      attempt(.phaseSplit(tensor: d.name, axes: d.phaseGuardedAxes))
    }
    // The definitions after the phase split (it leaves an elementwise interleaving for rule 1 to inline).
    let phased = k
    // D. (sketch `deinterleaved`) Strided convolutions read their input de-interleaved by phase (CPU rule 2b): a
    // copy adjacent along the strided axis, so a block's loads along it are contiguous (one extra pass over it).
    // The copy is not among `phased`'s definitions, so rule 1 never inlines it back.
    if sketch.stridedCopies {
      for t in stridedCopies(in: k) { attempt(t) }
    }

    // O. Online reductions: one pass for a max and the sums of exp(x - max) that read it, where the rows are
    // longer than a program keeps in registers (every sketch), or everywhere (sketch `online`).
    for d in kernel.definitions.reversed()
    where (sketch.onlineReductions || readsRowsTwice(d, k) || (sketch.weightedSums == .onePass && isWeightedSum(d, k)))
      && current(d.name) != nil
    {
      attempt(.fuseReductions(tensor: d.name))
    }

    // 0. Fuse a contraction's channel and window axes into one reduction axis when its channels are few.
    for d in kernel.definitions {
      let operandBytes = d.body.loads.compactMap { k.tensorType($0.tensor)?.dtype.byteSize }.max() ?? 4
      guard let axes = windowedContractionAxes(d, k), let channels = axes.channels, let taps = axes.taps,
        !sketch.stagesTaps(operandBytes: operandBytes), channels < sketch.fuseTapsBelowChannels,
        taps >= (operandBytes > 2 ? sketch.fuseWideTapsFromTaps : sketch.fuseTapsFromTaps)
      else { continue }
      attempt(.fuseAxes(tensor: d.name, loops: axes.fused))
    }

    // 0b. Convolutions that keep one dot per tap read their operands from channels-last copies (their transposing
    // kernels scheduled here: rule 4 leaves them). 0c. (sketch `k-major`) Other matrix-unit contractions of f32
    // operands read their MN-major operands from K-major copies, made alike.
    var staged: Set<String> = []
    for d in kernel.definitions {
      let operandBytes = d.body.loads.compactMap { k.tensorType($0.tensor)?.dtype.byteSize }.max() ?? 4
      if sketch.stagesTaps(operandBytes: operandBytes) {
        staged.formUnion(stageChannelsLast(d.name, &k, &steps))
      }
      if case .except(let costly) = sketch.kMajorDots, let c = current(d.name), let axes = kMajorAxes(c, k, sketch) {
        staged.formUnion(stageLast(axes, of: d.name, except: costly, &k, &steps))
      }
    }

    // 1. Inline elementwise intermediates where that recomputes nothing or little.
    for d in phased.definitions where sketch.inline && d.reduction == nil && !isResult(d.name) {
      let consumers = readers(d.name)
      guard !consumers.isEmpty, consumers.count <= 2,
        consumers.allSatisfy({ c in DefaultSchedule.inlinesCheaply(d, into: c) }) || isCheap(d)
      else { continue }
      let contractions = consumers.filter { (try? Transform.dot(tensor: $0.name).apply(to: k)) != nil }.map(\.name)
      let before = k
      guard attempt(.inline(tensor: d.name)) else { continue }
      if contractions.contains(where: { (try? Transform.dot(tensor: $0).apply(to: k)) == nil }) {
        k = before
        steps.removeLast()
      }
    }

    // V. A centred sum of squares over rows streamed in tiles reads them once with its mean (Welford's update).
    for d in k.definitions where sketch.onePassVariance && d.reduction?.op == .sum {
      onePassVariance(d.name, capability, &k, &steps)
    }

    // P2. The phases land in place: the elementwise definition reading them stores them (split by phase first where
    // it is an epilogue rather than the interleaving itself).
    if sketch.phasesInPlace {
      storePhasesInPlace(Set(phased.definitions.map(\.name)).subtracting(kernel.definitions.map(\.name)), &k, &steps)
    }

    // O2. Sibling sums over rows too long to hold whole, read through one expression of them, become one tuple
    // reduction: one streamed pass over the row carries every accumulator (after rule 1, so that a consumer reads
    // the sums themselves rather than an elementwise step between).
    for d in kernel.definitions where sketch.fuseSiblings && current(d.name) != nil {
      fuseSiblingsOverLongRows(d.name, &k, &steps)
    }

    // O3. An online pass with weighted axes is tiled like FlashAttention-2: row tiles of the maximum's row axis,
    // blocks of keys, the weighted axis whole, and the producers read at the key (the scores) computed per key
    // block as a `dot`.
    var onlinePasses: Set<String> = []
    for d in k.definitions where d.reduction?.combiner != nil {
      onlinePasses.formUnion(scheduleOnlinePass(d.name, capability, &k, &steps))
    }

    // 2. Split reductions that would leave the machine idle (partials, then a combine).
    // A partial reduction that still leaves the machine idle (a full reduction whose longest axis alone gives too
    // few partials) is split again, once: `y.rf.rf`, `y.rf`, `y`.
    // 2b. Row statistics read by a reduction over those rows (a loss's mean over per-row sums) are computed inside
    // its partials' programs, one row at a time: each row is read from memory once, by one program.
    // 2c. A column reduction over a row definition's rows (a norm's dweight beside dx): partials by program, fused
    // into the row definition's loop over each program's rows (`ColumnPartialsWithRows.swift`).
    let columnPasses = sketch.columnPartials == .onePass ? columnPartialsWithRows(capability, &k, &steps) : (scheduled: [], unsplit: [])
    let rowReductions: Set<String> = sketch.fuseStatistics ? statisticsIntoRowReductions(capability, &k, &steps) : []
    var splitting = k.definitions.filter {
      $0.reduction != nil && !rowReductions.contains($0.name) && !onlinePasses.contains($0.name) && !columnPasses.unsplit.contains($0.name)
    }
    .map { ($0.name, 0) }
    while sketch.splitReductions, !splitting.isEmpty {
      let (name, depth) = splitting.removeFirst()
      let before = Set(k.definitions.map(\.name))
      splitReduction(name, capability, &k, &steps)
      guard depth < 1 else { continue }
      splitting += k.definitions.filter { !before.contains($0.name) && $0.reduction != nil }.map { ($0.name, depth + 1) }
    }

    // 3. Row statistics into their consumers' programs, last producer first.
    // A consumer that is a kernel of its own comes first: its siblings computed at the same loop then share the
    // value (a mean read by the variance and by the output is computed once per row).
    func computedAt(_ p: Definition) -> String? {
      if case .computeAt(let c, _) = p.effectiveSchedule.placement { return c }
      return nil
    }
    for d in kernel.definitions.reversed() where sketch.fuseStatistics && !isResult(d.name) {
      // Statistics rule 2b placed inside a loss's partials stay there.
      if let placed = current(d.name), placed.effectiveSchedule.placement != .root { continue }
      let consumers = readers(d.name)
      // A statistic that one consumer would recompute many times over (read at fewer of its program axes than it
      // has, with a long reduction) stays a kernel of its own for every consumer: a copy in the others would
      // only add a pass over its input.
      guard
        !consumers.contains(where: { c in
          guard let p = current(d.name), let c = current(c.name) else { return false }
          return recomputesStatistic(p, in: c, k)
        })
      else { continue }
      for consumer in consumers.filter({ computedAt($0) == nil }) + consumers.filter({ computedAt($0) != nil }) {
        guard current(d.name) != nil, let c = current(consumer.name) else { continue }
        let outer = outerAxes(of: c, k)
        guard var loop = c.effectiveSchedule.loops.map(\.name).last(where: { outer.contains($0) || outer.contains(Self.splitParent($0)) })
        else { continue }
        let reads = c.expressions.flatMap(\.loads).filter { $0.tensor == d.name }
        guard !reads.isEmpty, reads.allSatisfy({ $0.indices.allSatisfy { $0.indexNames.isSubset(of: outer) } }) else {
          continue
        }
        // Several rows per program (a sketch): the row loop of a kernel is split once, statistics computed per
        // program over its rows, when the rows' blocks stay within the lane budget. By default where that costs
        // nothing: an elementwise consumer whose rows are shorter than the elementwise block and whose reads of the
        // statistic do not name the row loop (layer_norm3d's statistics per batch element, read by programs of
        // 256-wide rows: each program combined the statistics' 64 partials for 256 outputs) takes rows up to the
        // elementwise block, the statistic still one value per program.
        var rows = sketch.rowsPerProgram
        if rows <= 1, c.reduction == nil, let lane = laneAxis(of: c, k), let laneExtent = extent(lane, c),
          laneExtent < sketch.elementwiseBlock,
          !reads.contains(where: { $0.indices.contains { $0.indexNames.contains(Kernel.rootVariable(of: loop, in: c.effectiveSchedule)) } })
        {
          rows = sketch.elementwiseBlock / nextPow2(laneExtent)
        }
        let unsplit = (kernel: k, steps: steps.count)
        if rows > 1, computedAt(c) == nil, !loop.hasSuffix(".o"), let lane = laneAxis(of: c, k),
          let e = extent(loop, c), e >= 2 * rows,
          nextPow2(extent(lane, c) ?? Int.max) * rows <= gpuLaneBudget,
          attempt(.split(tensor: c.name, loop: loop, factor: rows))
        {
          loop += ".o"
        }
        if let split = c.effectiveSchedule.splits.first(where: { $0.inner == loop }) { loop = split.outer }
        guard attempt(.computeAt(tensor: d.name, consumer: consumer.name, loop: loop)) else {
          // No statistic computed in the split rows: the split is undone (rule 4 tiles the consumer itself).
          k = unsplit.kernel
          steps.removeLast(steps.count - unsplit.steps)
          continue
        }
        if readers(d.name).allSatisfy({ $0.name == consumer.name || computedAt($0) == consumer.name }) { break }
      }
    }

    // 3c. Statistics over a non-contiguous axis (channels) into their one consumer's programs; then 3b. reductions
    // into their elementwise epilogues' programs: stencils by default, every reduction in a sketch.
    var fused: Set<String> = staged.union(sketch.fuseStatistics ? fuseColumnStatistics(&k, &steps) : [])
    fused.formUnion(onlinePasses)
    fused.formUnion(columnPasses.scheduled)
    if sketch.fuseEpilogues || sketch.fuseStencilEpilogues || sketch.fuseContractionEpilogues {
      fused.formUnion(fuseEpilogues(capability, sketch, block: sketch.elementwiseBlock, &k, &steps))
    }

    // 4. Kernels for root definitions; 5. block reductions for fused producers.
    for d in k.definitions where !fused.contains(d.name) {
      guard let d = current(d.name) else { continue }
      if d.effectiveSchedule.placement == .root {
        if d.reduction?.op == .sum, !isMatrixVector(d, k), attempt(.dot(tensor: d.name)), let dd = current(d.name),
          scheduleContraction(dd, capability, sketch, &k, &steps)
        {
          // A sketch: grouped program order for contractions with more output tiles than multiprocessors.
          if sketch.programGroup > 0, let placed = current(d.name), programs(of: placed, k) > capability.multiprocessors {
            attempt(.groupPrograms(tensor: d.name, size: sketch.programGroup))
          }
          continue
        }
        scheduleRoot(d.name, &k, &steps, block: sketch.elementwiseBlock, broadcastInnermost: sketch.broadcastInnermost)
      } else {
        scheduleProducer(d.name, &k, &steps)
        scheduleProducerRows(d.name, &k, &steps)
      }
    }

    // 4b. Sibling reductions streaming the same rows in the same tiles share one loop (one read of each tile).
    if sketch.shareRowPasses { streamSiblingsTogether(&k, &steps) }
    return Trace(steps)
  }

  /// Rule 4b: two root reductions that stream the same rows of the same input in the same tiles (a maximum and the
  /// online sum of `exp(x - max)` beside it, both read by a log-softmax's output: `mx[b] = max(d) x[b, d]` and
  /// `lse[b] = log(sum(d) exp(x[b, d] - mx[b]))` after rule O) share one loop: `compute_with(y, b, l)` at the
  /// earlier one's streamed loop `l` (a serial loop over a reduction axis or its tiles, inside only program ids). Each
  /// iteration then loads the tile once for both accumulators (Triton merges the equal loads), where as kernels of
  /// their own each streamed the row from memory. The pair must tile alike: the later one's output and reduction
  /// axes, renamed position by position to the earlier one's (equal extents and bounds), give the same loops
  /// (names and kinds) and the same splits, and it loads some tensor at the same indices. `compute_with` checks the
  /// rest (the later one must not read the earlier one; both at the root, no program order). Each definition takes
  /// part in one pair at most.
  static func streamSiblingsTogether(_ k: inout Kernel, _ steps: inout [Transform]) {
    func computedWith(_ d: Definition) -> Bool {
      d.effectiveSchedule.computeWith != nil || k.definitions.contains { $0.schedule?.computeWith == d.name }
    }
    var paired: Set<String> = []
    for b in k.definitions where !paired.contains(b.name) {
      guard let b = k.definitions.first(where: { $0.name == b.name }), let loop = streamedLoop(of: b), !computedWith(b)
      else { continue }
      for y in k.definitions where y.name != b.name && !paired.contains(y.name) && !computedWith(y) {
        guard tilesAlike(y, b, k),
          DefaultSchedule.attempt(.computeWith(tensor: y.name, sibling: b.name, loop: loop), &k, &steps)
        else { continue }
        paired.formUnion([b.name, y.name])
        break
      }
    }
  }

  /// The serial loop over a root reduction's row (over a reduction axis or the outer part of one split into
  /// tiles) with only program ids outside it, if it has one.
  static func streamedLoop(of d: Definition) -> String? {
    let s = d.effectiveSchedule
    guard let r = d.reduction, r.scanAxis == nil, s.placement == .root,
      let i = s.loops.firstIndex(where: { if case .serial = $0.kind { return true } else { return false } })
    else { return nil }
    let outside = s.loops[..<i].allSatisfy {
      if case .gpu(let g) = $0.kind { return g == .gridX || g == .gridY || g == .gridZ }
      return false
    }
    let name = s.loops[i].name
    guard outside, r.axes.contains(where: { $0.name == Kernel.rootVariable(of: name, in: s) })
    else { return nil }
    return name
  }

  /// Whether root reduction `y` tiles like `b` (rule 4b): its axes renamed position by position to `b`'s (output
  /// axes of equal extents, reduction axes of equal bounds), the same loops, splits and a load at the same indices.
  static func tilesAlike(_ y: Definition, _ b: Definition, _ k: Kernel) -> Bool {
    guard let ry = y.reduction, let rb = b.reduction, ry.scanAxis == nil, ry.axes.count == rb.axes.count,
      y.axes.count == b.axes.count, zip(y.axes, b.axes).allSatisfy({ $0.extent == $1.extent })
    else { return false }
    var substitution: [String: Expr] = [:]
    var names: [String: String] = [:]
    for (a, c) in zip(y.axes.map(\.name) + ry.axes.map(\.name), b.axes.map(\.name) + rb.axes.map(\.name)) {
      substitution[a] = .index(c)
      names[a] = c
    }
    guard zip(ry.axes, rb.axes).allSatisfy({ a, c in
      a.lowerBound.substituting(substitution) == c.lowerBound && a.upperBound.substituting(substitution) == c.upperBound
    }) else { return false }
    // A loop name is its variable's name and the split parts after it (`d.o`, `d.i`): renamed by its variable.
    let ys = y.effectiveSchedule
    let bs = b.effectiveSchedule
    func renamed(_ loop: String) -> String? {
      let root = Kernel.rootVariable(of: loop, in: ys)
      guard let to = names[root], loop.hasPrefix(root) else { return nil }
      return to + loop.dropFirst(root.count)
    }
    let loops = ys.loops.map { l in renamed(l.name).map { ScheduledLoop(name: $0, kind: l.kind) } }
    let splits = ys.splits.map { s in
      zip3(renamed(s.variable), renamed(s.outer), renamed(s.inner)).map { Split(variable: $0, outer: $1, inner: $2, factor: s.factor) }
    }
    guard loops == bs.loops.map({ Optional($0) }), Set(splits.compactMap { $0 }) == Set(bs.splits), !splits.contains(nil)
    else { return false }
    let theirs = Set(b.expressions.flatMap(\.loads).map { Load(tensor: $0.tensor, indices: $0.indices) })
    return y.expressions.flatMap(\.loads).contains { l in
      theirs.contains(Load(tensor: l.tensor, indices: l.indices.map { $0.substituting(substitution) }))
    }
  }

  private static func zip3<A, B, C>(_ a: A?, _ b: B?, _ c: C?) -> (A, B, C)? {
    guard let a, let b, let c else { return nil }
    return (a, b, c)
  }

  /// Rule O's default case: `d` is, or reads, a sum over one constant axis longer than a program keeps whole in
  /// registers (`gpuWholeReduction`): its row is then streamed in tiles, so the maximum and the sum of
  /// `exp(x - max)` read it twice from memory where one online pass (`fuse_reductions`) reads it once, and a
  /// log-sum-exp `max + log(sum)` folds the maximum's own kernel in (kl_div_loss's rows of 16384: the maximum, the
  /// sum and the loss each streamed both inputs). Shorter rows stay two passes over registers.
  static func readsRowsTwice(_ d: Definition, _ k: Kernel) -> Bool {
    let sums = ([d.name] + ScheduleEditing.readTensors(d)).compactMap { n in k.definitions.first { $0.name == n } }
    return sums.contains { s in
      guard let r = s.reduction, r.op == .sum, r.axes.count == 1, let e = try? k.maxExtent(r.axes[0].name, in: s)
      else { return false }
      return e > gpuWholeReduction
    }
  }

  /// Rule O's weighted sums: `fuse_reductions(d)` is legal and gives a tuple reduction with weighted axes
  /// (`MaxRescaledCombiner.weightedAxes`): a sum of `exp(x - max) * y` whose output has axes the maximum does not
  /// (`o[i, e] = sum_j p[i, j] * v[j, e] / l[i]`), so that as two passes every row of weights is materialised and
  /// read by many outputs. The default takes the one pass where the cost model estimates it faster.
  static func isWeightedSum(_ d: Definition, _ k: Kernel) -> Bool {
    guard let fused = try? Transform.fuseReductions(tensor: d.name).apply(to: k),
      let f = fused.definitions.first(where: { $0.name == d.name }), let axes = MaxRescaledCombiner.weightedAxes(f)
    else { return false }
    return !axes.isEmpty
  }

  /// The row tile of an online pass (query rows per program) and its key block: 64 each, as
  /// bench/gpu/attention.fused.trace (measured on an H100, bench/gpu/session-h100-2026-12-06: 64 rows and 4 warps
  /// 0.383 ms where 128 rows and 8 warps took 0.440 ms), at least 16 (a `tl.dot` tile).
  public static let onlineRowTile = 64
  public static let onlineKeyBlock = 64
  public static let onlineWarps = 4

  /// Rule O3: `d`, a root max-rescaled tuple reduction over one axis `j` with one weighted axis `e` of 16 to 128
  /// iterations, whose maximum's element reads the output axes but `e` (`i` the innermost), is split into row tiles
  /// of `onlineRowTile` along `i` and key blocks of `onlineKeyBlock` along `j`; program ids over the row tiles and
  /// the other row axes (at most two more), blocks `i.i`, `e` whole and `j.i`, `j.o` serial. Every `dot`-able sum
  /// it reads at `j` and `i` (the scores) is computed at `j.o` as a `dot` of the key block with its rows and its
  /// reduction whole (up to 256). Triton folds each key block in closed form (`tl.dot` for the scores and for the
  /// weighted sum) and carries the state in registers. Where a dot's tiles do not fit shared memory, or a step is
  /// refused, nothing is applied (rule 4 schedules the definitions). Returns the names scheduled.
  static func scheduleOnlinePass(_ name: String, _ capability: GPUCapability, _ k: inout Kernel, _ steps: inout [Transform]) -> Set<String> {
    guard let d = k.definitions.first(where: { $0.name == name }), d.effectiveSchedule.placement == .root,
      d.schedule == nil || d.schedule == .natural(for: d),
      let r = d.reduction, r.axes.count == 1, let c = r.combiner, let form = MaxRescaledCombiner.analyse(c),
      let weighted = MaxRescaledCombiner.weightedAxes(d), weighted.count == 1,
      let vars = MaxRescaledCombiner.elementVariables(d)
    else { return [] }
    let key = r.axes[0].name
    let e = weighted[0]
    let rowAxes = d.axes.map(\.name).filter { vars[form.maxComponent].contains($0) }
    guard let row = rowAxes.last, rowAxes.count + 1 == d.axes.count, rowAxes.count <= 3,
      let eExtent = try? k.maxExtent(e, in: d), (16...128).contains(nextPow2(eExtent)),
      let rowExtent = try? k.maxExtent(row, in: d), let keyExtent = try? k.maxExtent(key, in: d)
    else { return [] }
    let rows = min(onlineRowTile, max(16, nextPow2(rowExtent)))
    let keys = min(onlineKeyBlock, max(16, nextPow2(keyExtent)))
    let stages = 3
    let operandBytes = ([d.body] + c.otherElements).flatMap(\.loads).compactMap { k.tensorType($0.tensor)?.dtype.byteSize }.min() ?? 4
    guard capability.fitsDot(m: rows, n: nextPow2(eExtent), k: keys, stages: stages, operandBytes: operandBytes) else { return [] }
    // The producers read at the key and a row: sums a `dot` applies to, each index of the read one variable.
    var producers: [(name: String, row: String, key: String, reduction: String)] = []
    for l in d.expressions.flatMap(\.loads) where !producers.contains(where: { $0.name == l.tensor }) {
      guard let p = k.definitions.first(where: { $0.name == l.tensor }), p.effectiveSchedule.placement == .root,
        let pr = p.reduction, pr.op == .sum, pr.axes.count == 1, l.indices.count == p.axes.count,
        let rowAt = l.indices.firstIndex(of: .index(row)), let keyAt = l.indices.firstIndex(of: .index(key)),
        let depth = try? k.maxExtent(pr.axes[0].name, in: p), nextPow2(depth) >= 16, nextPow2(depth) <= 256,
        let bytes = p.body.loads.compactMap({ k.tensorType($0.tensor)?.dtype.byteSize }).max(),
        capability.fitsDot(m: rows, n: keys, k: nextPow2(depth), stages: stages, operandBytes: bytes),
        (try? Transform.dot(tensor: p.name).apply(to: k)) != nil
      else { continue }
      producers.append((p.name, p.axes[rowAt].name, p.axes[keyAt].name, pr.axes[0].name))
    }
    var trial = k
    var local: [Transform] = []
    func attempt(_ t: Transform) -> Bool { DefaultSchedule.attempt(t, &trial, &local) }
    guard attempt(.split(tensor: name, loop: row, factor: rows)), attempt(.split(tensor: name, loop: key, factor: keys))
    else { return [] }
    var scheduled: Set<String> = [name]
    for p in producers where attempt(.computeAt(tensor: p.name, consumer: name, loop: key + ".o")) {
      scheduled.insert(p.name)
    }
    // Program ids: the row tiles on grid.x, the other row axes by extent (most iterations first).
    let others = rowAxes.dropLast().sorted { (try? trial.maxExtent($0, in: d)) ?? 0 > (try? trial.maxExtent($1, in: d)) ?? 0 }
    var binds: [Transform] = [.bind(tensor: name, loop: row + ".o", dimension: .gridX)]
    for (a, g) in zip(others, [GPUDimension.gridY, .gridZ]) { binds.append(.bind(tensor: name, loop: a, dimension: g)) }
    binds += [
      .bind(tensor: name, loop: row + ".i", dimension: .blockY), .bind(tensor: name, loop: e, dimension: .blockX),
      .bind(tensor: name, loop: key + ".i", dimension: .blockZ),
    ]
    for p in producers where scheduled.contains(p.name) {
      binds += [
        .dot(tensor: p.name), .bind(tensor: p.name, loop: p.row, dimension: .blockY),
        .bind(tensor: p.name, loop: p.key, dimension: .blockX), .bind(tensor: p.name, loop: p.reduction, dimension: .blockZ),
      ]
    }
    binds.append(.launch(tensor: name, warps: onlineWarps, stages: stages))
    for t in binds { guard attempt(t) else { return [] } }
    k = trial
    steps += local
    return scheduled
  }

  /// Rule V: `welford(v)` where it is legal (a centred sum of squares `sum_D (E - m) * (E - m)`, `m` the mean of
  /// `E` over the same domain: a variance), the domain is longer than a program keeps whole (`gpuWholeReduction`
  /// points: the row is streamed in tiles, so the mean's pass and the variance's read it from memory twice), and
  /// rule 2 would not split the sum into partials (`splitReduction` leaves it: a tuple reduction cannot be split,
  /// so a variance over a few long rows, batch_norm2d's per channel, keeps its two split passes). The variance then
  /// no longer reads the mean, and rule 4b streams the two sums in one loop: the statistics read the input once,
  /// the normalised output a second time (instance_norm2d and group_norm: three reads before).
  static func onePassVariance(_ name: String, _ capability: GPUCapability, _ k: inout Kernel, _ steps: inout [Transform]) {
    guard let d = k.definitions.first(where: { $0.name == name }), let r = d.reduction, r.op == .sum else { return }
    var points = 1
    for a in r.axes {
      guard let e = try? k.maxExtent(a.name, in: d) else { return }
      points *= max(1, e)
    }
    guard points > gpuWholeReduction else { return }
    var split = k
    var splitSteps: [Transform] = []
    splitReduction(name, capability, &split, &splitSteps)
    guard splitSteps.isEmpty else { return }
    DefaultSchedule.attempt(.welford(tensor: name), &k, &steps)
  }

  /// Rule O2: `fuse_siblings(c)` where it is legal and the merged rows are longer than a program keeps whole
  /// (`gpuWholeReduction`): streamed in tiles, each sum as a kernel of its own reads the row from memory again
  /// (cosine_similarity_loss's three sums over rows of 16384: both inputs twice); one tuple reduction reads each tile
  /// once and updates every accumulator. Shorter rows are left to rule 2b (statistics inside the loss's partials,
  /// re-read from the cache: measured 2x on cross_entropy_loss), which this rule would change untimed.
  static func fuseSiblingsOverLongRows(_ c: String, _ k: inout Kernel, _ steps: inout [Transform]) {
    var trial = k
    var local: [Transform] = []
    guard DefaultSchedule.attempt(.fuseSiblings(tensor: c), &trial, &local) else { return }
    let before = Set(k.definitions.map(\.name))
    let long = trial.definitions.filter { !before.contains($0.name) }.allSatisfy { rows in
      guard let r = rows.reduction else { return false }
      var elements = 1
      for a in r.axes {
        guard let e = try? trial.maxExtent(a.name, in: rows) else { return false }
        elements = elements.multipliedReportingOverflow(by: e).overflow ? Int.max : elements * e
      }
      return elements > gpuWholeReduction
    }
    guard long else { return }
    k = trial
    steps += local
  }

  /// The variable that walks memory contiguously in the definition's largest tensors: the last index of its
  /// highest-rank loads (and of its store when it is of that rank); ties go to the later loop. Reads of
  /// lower-rank tensors (row statistics, broadcast vectors) do not vote.
  static func gpuContiguousVariable(of d: Definition) -> String? {
    let loads = d.expressions.flatMap(\.loads)
    let rank = max(d.axes.count, loads.map(\.indices.count).max() ?? 0)
    var votes: [String: Int] = [:]
    var loadVotes: [String: Int] = [:]
    if d.axes.count == rank, let last = d.axes.last { votes[last.name, default: 0] += 1 }
    for load in loads where load.indices.count == rank {
      if case .index(let v)? = load.indices.last {
        votes[v, default: 0] += 1
        loadVotes[v, default: 0] += 1
      }
    }
    let order = d.effectiveSchedule.loops.map { Kernel.rootVariable(of: $0.name, in: d.effectiveSchedule) }
    // A reduction reads more than it writes: on a tie between its store and its loads, the loads win.
    let reads = d.reduction == nil ? [:] : loadVotes
    return votes.max { a, b in
      if a.value != b.value { return a.value < b.value }
      if reads[a.key, default: 0] != reads[b.key, default: 0] { return reads[a.key, default: 0] < reads[b.key, default: 0] }
      return (order.lastIndex(of: a.key) ?? -1) < (order.lastIndex(of: b.key) ?? -1)
    }?.key
  }

  /// The contiguous axis a definition keeps as a block, if any (see `gpu(for:)`).
  static func laneAxis(of d: Definition, _ k: Kernel) -> String? {
    let contiguous = gpuContiguousVariable(of: d)
    if let c = contiguous, d.axes.contains(where: { $0.name == c }) { return c }
    if let r = reductionLane(of: d, k), r == contiguous { return nil }
    return d.axes.last?.name
  }

  /// The reduction axis a definition keeps as a block: the contiguous one when it is long, else the longest
  /// constant-bound one, where two give the same block (their extents padded to a power of two) the one that
  /// walks the loads with unit stride (`x[n, c, 11 * i + p, 11 * j + q]`: q, so that a block's reads are
  /// adjacent rather than 11 elements apart).
  static func reductionLane(of d: Definition, _ k: Kernel) -> String? {
    guard let r = d.reduction else { return nil }
    let constant = r.axes.filter { k.constantValue($0.lowerBound) != nil && k.constantValue($0.upperBound) != nil }
    guard !constant.isEmpty else { return nil }
    if r.isOrderSensitive { return constant.first?.name }
    let contiguous = gpuContiguousVariable(of: d)
    func ext(_ a: ReductionAxis) -> Int { (try? k.maxExtent(a.name, in: d)) ?? 0 }
    if let c = constant.first(where: { $0.name == contiguous }), ext(c) >= 32 { return c.name }
    let unit = Set(constant.map(\.name).filter { walksContiguously(d, $0, in: k) })
    return constant.max { a, b in
      let (ea, eb) = (nextPow2(ext(a)), nextPow2(ext(b)))
      if ea != eb { return ea < eb }
      return !unit.contains(a.name) && unit.contains(b.name)
    }?.name
  }

  /// Rule 4's further reduction blocks: the constant-bound reduction axes other than `first` (a window's other
  /// dimensions) that fit whole in the program's block beside the `elements` it already has (the lane budget,
  /// at most three block dimensions in all), unit-stride ones first, then the longer: the window is reduced in
  /// one block instead of a serial loop per tap row. Sums only: a block reduction per step is a tree of adds,
  /// where another combiner's (a NaN-propagating maximum's custom combine) costs more than the serial
  /// accumulation it replaces; measured on an H100 (bench/kernelbench/ab-window-lanes-h100-2026-12-06/):
  /// sums gained 1.14-1.32x (avg_pool3d, group_norm, layer_norm3d, conv3d_group_norm_mean), a 3x3x3 maximum lost
  /// 3.1x (max_pool3d) and a 4x4 one 1.1x (max_pool2d). Arg-reductions keep one lane, their taps visited in order.
  /// Tuple reductions that are not order-sensitive (rule V's Welford variance) take them as sums do: each step
  /// reduces its block with the combiner's tree either way, so a larger block only takes fewer steps, and the
  /// variance tiles like the mean's sum beside it (rule 4b pairs only reductions that tile alike).
  static func windowLanes(of d: Definition, first: String, elements: Int, lanes: Int, _ k: Kernel) -> [(String, Int)] {
    guard let r = d.reduction, r.op == .sum || (r.op == .tuple && !r.isOrderSensitive) else { return [] }
    func ext(_ a: ReductionAxis) -> Int { (try? k.maxExtent(a.name, in: d)) ?? 0 }
    let windows = r.axes.filter {
      $0.name != first && k.constantValue($0.lowerBound) != nil && k.constantValue($0.upperBound) != nil && ext($0) >= 2
    }
    let unit = Set(windows.map(\.name).filter { walksContiguously(d, $0, in: k) })
    let candidates = windows.enumerated().sorted { a, b in
      let (ua, ub) = (unit.contains(a.element.name), unit.contains(b.element.name))
      if ua != ub { return ua }
      if ext(a.element) != ext(b.element) { return ext(a.element) > ext(b.element) }
      return a.offset < b.offset
    }.map(\.element)
    var chosen: [(String, Int)] = []
    var total = elements
    for a in candidates where lanes + chosen.count < 3 {
      let block = nextPow2(ext(a))
      guard total * block <= gpuLaneBudget else { continue }
      chosen.append((a.name, block))
      total *= block
    }
    return chosen
  }

  /// Whether computing reduction `p` inside consumer `c`'s programs (rule 3) would do more than twice the work of
  /// a kernel of its own: `c`'s programs number `factor` per value of `p` (the product of `c`'s program axes that
  /// `p` is not read at, and of the parts of a contiguous axis beyond the lane budget), each reducing `p`'s `r`
  /// elements, against `r` plus the `factor * lane` points those programs evaluate (`lane`: `c`'s block times its
  /// own reduction). Measured on an H100: an instance norm (statistics
  /// over 512 x 512 read per (n, c), recomputed per row h) ran at 1096 ms fused this way, torch.compile 8.6 ms.
  static func recomputesStatistic(_ p: Definition, in c: Definition, _ k: Kernel) -> Bool {
    guard let r = p.reduction else { return false }
    let outer = outerAxes(of: c, k)
    let readAt = Set(c.expressions.flatMap(\.loads).filter { $0.tensor == p.name }.flatMap { $0.indices.flatMap(\.indexNames) })
    func ext(_ loop: String, _ d: Definition) -> Int { max(1, (try? k.maxExtent(loop, in: d)) ?? 1) }
    func product(_ xs: [Int]) -> Int { xs.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 } }
    // Rule 4 keeps at most `gpuLaneBudget` of the contiguous axis in a program that computes statistics; the rest
    // of it becomes program ids that recompute them too (a log-softmax over rows of 393216).
    let contiguous = c.axes.map(\.name).filter { !outer.contains($0) }.map { ext($0, c) }
    let rest = contiguous.map { ($0 + gpuLaneBudget - 1) / gpuLaneBudget }
    let factor = product(
      c.axes.map(\.name).filter { outer.contains($0) && !readAt.contains($0) }.map { ext($0, c) } + rest)
    guard factor > 1 else { return false }
    let reduced = product(r.axes.map { ext($0.name, p) })
    let lane = product(contiguous.map { min($0, gpuLaneBudget) } + (c.reduction?.axes.map { ext($0.name, c) } ?? []))
    return ScheduleAudit.recomputes(factor: Double(factor), reduced: Double(reduced), lane: Double(lane))
  }

  /// The axes that become program ids.
  static func outerAxes(of d: Definition, _ k: Kernel) -> Set<String> {
    let lane = laneAxis(of: d, k)
    return Set(d.axes.map(\.name).filter { $0 != lane })
  }

  /// The block of the contiguous output axis beside a reduction block of `reduced` iterations: 64 lanes (32 for a
  /// non-contiguous output axis), so that a long reduction gets most of the lane budget; a short window held whole
  /// (a pooling window of 8 taps: `reduced` at most a 64th of the budget) leaves the outputs the rest of the budget,
  /// up to `block`. 64 outputs beside 8 taps made max_pool1d 12.6 million programs of 64 outputs each (29% of its
  /// floor on an H100), where 1024 make them 16 times fewer and each moves 4 KiB.
  static func outputBlockBesideReduction(_ reduced: Int, contiguous: Bool, block: Int) -> Int {
    let narrow = contiguous ? 64 : 32
    guard contiguous, reduced >= 1, reduced <= 16 else { return narrow }
    return min(block, max(narrow, gpuLaneBudget / nextPow2(reduced)))
  }

  static func warps(forLaneElements e: Int) -> Int {
    if e <= 64 { return 1 }
    if e <= 256 { return 2 }
    if e < 2048 { return 4 }
    if e < 4096 { return 8 }
    return 16
  }

  static func scheduleRoot(
    _ name: String, _ k: inout Kernel, _ steps: inout [Transform], block: Int = gpuBlock, broadcastInnermost: Bool = false
  ) {
    func attempt(_ t: Transform) -> Bool {
      guard let next = try? t.apply(to: k) else { return false }
      k = next
      steps.append(t)
      return true
    }
    guard let d = k.definitions.first(where: { $0.name == name }) else { return }
    let hasProducers = k.definitions.contains {
      if case .computeAt(let c, _) = $0.effectiveSchedule.placement { return c == name }
      return false
    }
    func ext(_ loop: String) -> Int { (try? k.maxExtent(loop, in: k.definitions.first { $0.name == name } ?? d)) ?? 0 }
    let contiguous = gpuContiguousVariable(of: d)
    // Producers computed at a serial reduction loop (rule 2b: statistics per row of a loss's partials) take every
    // loop out to that one: the output axes are program ids, the reduction block lies inside it.
    let loopNames = d.effectiveSchedule.loops.map(\.name)
    let rowLoop = k.definitions.compactMap { p -> Int? in
      guard case .computeAt(let c, let l) = p.effectiveSchedule.placement, c == name, isReductionLoop(l, of: d) else {
        return nil
      }
      return loopNames.firstIndex(of: l)
    }.max()
    let aLane = rowLoop == nil ? laneAxis(of: d, k) : nil
    // A maximum or minimum over a short window (at most 16 constant taps: a max pooling) beside its contiguous
    // output axis keeps the taps serial and unrolled, each one load of the output block, as rule 3b's stencils do:
    // a block of taps folds with the NaN-propagating combine across lanes, which cost more than serial
    // accumulation where measured (windowLanes: max_pool3d 3.1x, max_pool2d 1.1x slower with window blocks).
    let unrolledTaps =
      (d.reduction?.op == .max || d.reduction?.op == .min) && stencilPoints(of: d, in: k) != nil && aLane != nil
      && aLane == contiguous
    let rLane = unrolledTaps ? nil : reductionLane(of: d, k).flatMap { r in
      rowLoop.map { at in loopNames[...at].contains(r) ? nil : r } ?? r
    }
    var lanes: [String] = []  // lane loops, in the order they will be placed (contiguous last)
    var laneElements = 1
    var axisBlock = 1
    // Rows per program (a sketch): the inner part of a row loop whose outer part computes statistics is a block.
    let rowBlocks = d.effectiveSchedule.splits.filter { sp in
      k.definitions.contains {
        if case .computeAt(let c, let l) = $0.effectiveSchedule.placement { return c == name && l == sp.outer }
        return false
      }
    }
    let rowLanes = rowBlocks.map(\.inner)
    let rowElements = rowBlocks.reduce(1) { $0 * nextPow2($1.factor) }
    // The contiguous axis block.
    if let a = aLane {
      // A row whose statistics are computed in the program stays whole (one program per row, statistics once).
      let limit =
        rLane == nil
        ? (hasProducers ? gpuWholeReduction : block)
        : outputBlockBesideReduction(rLane.map(ext) ?? 0, contiguous: a == contiguous, block: block)
      let e = ext(a)
      if e > limit {
        if attempt(.split(tensor: name, loop: a, factor: limit)) {
          lanes.append(a + ".i")
          axisBlock = limit
        }
      } else if e >= 1 {
        lanes.append(a)
        axisBlock = nextPow2(e)
      }
      laneElements = axisBlock
    }
    // A second block for small elementwise tiles.
    if d.reduction == nil, !hasProducers, let a = aLane, axisBlock < block,
      let i = d.axes.firstIndex(where: { $0.name == a }), i > 0
    {
      let b = d.axes[i - 1].name
      let want = block / axisBlock
      let e = ext(b)
      if want >= 2, e >= 2 {
        if e <= want {
          lanes.insert(b, at: 0)
          laneElements *= nextPow2(e)
        } else if attempt(.split(tensor: name, loop: b, factor: want)) {
          lanes.insert(b + ".i", at: 0)
          laneElements *= want
        }
      }
    }
    lanes = rowLanes + lanes
    laneElements *= rowElements
    // The reduction block.
    var reductionLanes: [String] = []
    if let r = rLane {
      let budget = max(16, gpuLaneBudget / max(1, axisBlock))
      let whole = aLane == nil ? gpuWholeReduction : budget
      let tile = aLane == nil ? gpuReductionTile : budget
      let e = ext(r)
      if e > whole {
        if attempt(.split(tensor: name, loop: r, factor: tile)) {
          reductionLanes.append(r + ".i")
          laneElements *= tile
        }
      } else if e >= 1 {
        reductionLanes.append(r)
        laneElements *= nextPow2(e)
        // The window's other axes, where they fit whole.
        if let current = k.definitions.first(where: { $0.name == name }) {
          for (w, block) in windowLanes(of: current, first: r, elements: laneElements, lanes: lanes.count + 1, k) {
            reductionLanes.append(w)
            laneElements *= block
          }
        }
      }
    }
    guard let scheduled = k.definitions.first(where: { $0.name == name }) else { return }
    let laneSet = Set(lanes + reductionLanes)
    let all = scheduled.effectiveSchedule.loops.map(\.name)
    let isReduction = { (l: String) in isReductionLoop(l, of: scheduled) }
    let outer = all.filter { !laneSet.contains($0) && !isReduction($0) }
    // Program ids: the innermost three outer loops. grid.x, whose programs launch one after the other, gets the
    // innermost of them, so that programs running side by side read neighbouring memory (a row-major output's
    // consecutive blocks, not the same block of consecutive rows: 1.04-1.22x on an H100,
    // bench/gpu/ab-call6-h100-2026-12-07/); y and z the next ones out. Where one of those would exceed grid.y/z's
    // 65535, the one with the most iterations takes grid.x instead.
    var gridCandidates = Array(outer.suffix(3))
    // Sketch `broadcast-innermost`: the program axis along which a large operand is broadcast (read by programs
    // that differ only along it: layer_norm3d's weight[f, i, j] by every batch element b) on grid.x, so that the
    // programs reading the same tile of it run side by side and share one read from memory.
    if broadcastInnermost, scheduled.reduction == nil, let a = broadcastAxis(of: scheduled, among: gridCandidates, k) {
      gridCandidates.removeAll { $0 == a }
      gridCandidates.append(a)
    }
    let serialOuter = outer.filter { !gridCandidates.contains($0) }
    let gridLoops = gridCandidates.sorted { ext($0) > ext($1) }  // the nest's order; binding below
    let serialReductions = all.filter { isReduction($0) && !laneSet.contains($0) }
    let argLike = scheduled.reduction.map { $0.isOrderSensitive } ?? false
    let contiguousLast: [String]
    let walking = Set((lanes + reductionLanes).filter {
      walksContiguously(scheduled, Kernel.rootVariable(of: $0, in: scheduled.effectiveSchedule), in: k)
    })
    func walks(_ l: String) -> Bool { walking.contains(l) }
    // Among the reduction blocks, the ones that walk memory contiguously go innermost.
    let walkingLast = reductionLanes.count > 1 ? reductionLanes.sorted { walks($1) && !walks($0) } : reductionLanes
    if let c = contiguous, reductionLanes.contains(where: { Kernel.rootVariable(of: $0, in: scheduled.effectiveSchedule) == c }) {
      contiguousLast = lanes + walkingLast
    } else if reductionLanes.contains(where: walks), !lanes.contains(where: walks) {
      // The window walks memory contiguously and the outputs do not (a strided pooling): the window innermost.
      contiguousLast = lanes + walkingLast
    } else {
      contiguousLast = reductionLanes + lanes
    }
    let order: [String]
    if argLike {
      order = gridLoops + serialOuter + lanes + serialReductions + reductionLanes
    } else {
      order = gridLoops + serialOuter + serialReductions + contiguousLast
    }
    if order != all { _ = attempt(.reorder(tensor: name, loops: order)) }
    // Binds `loops` in order to grid.x, y, z, a dimension taken only by a loop it accepts (a scan's carried loop
    // stays serial) and y/z only by loops of at most 65535 iterations. False where such a loop had to be left
    // serial for its extent.
    func bindGrid(_ loops: [String], _ kernel: inout Kernel, _ taken: inout [Transform]) -> Bool {
      let gridDims: [GPUDimension] = [.gridX, .gridY, .gridZ]
      var next = 0
      var fits = true
      for l in loops where next < gridDims.count {
        if next > 0 && ext(l) > 65535 { fits = false; continue }
        if DefaultSchedule.attempt(.bind(tensor: name, loop: l, dimension: gridDims[next]), &kernel, &taken) { next += 1 }
      }
      return fits
    }
    var innermostFirst = k
    var innermostSteps: [Transform] = []
    if bindGrid(gridCandidates.reversed(), &innermostFirst, &innermostSteps) {
      k = innermostFirst
      steps += innermostSteps
    } else {
      var byExtent = k
      var byExtentSteps: [Transform] = []
      _ = bindGrid(gridLoops, &byExtent, &byExtentSteps)
      k = byExtent
      steps += byExtentSteps
    }
    guard let placed = k.definitions.first(where: { $0.name == name }) else { return }
    let placedLanes = placed.effectiveSchedule.loops.map(\.name).filter { laneSet.contains($0) }
    let blockDims: [GPUDimension] = [.blockX, .blockY, .blockZ]
    for (i, l) in placedLanes.reversed().enumerated() where i < 3 {
      _ = attempt(.bind(tensor: name, loop: l, dimension: blockDims[i]))
    }
    if unrolledTaps, let placedTaps = k.definitions.first(where: { $0.name == name }) {
      for l in placedTaps.effectiveSchedule.loops where isReductionLoop(l.name, of: placedTaps) {
        guard case .serial = l.kind, let e = try? k.maxExtent(l.name, in: placedTaps), e >= 2, e <= 16 else { continue }
        _ = attempt(.unroll(tensor: name, loop: l.name, factor: e))
      }
    }
    // Producers computed inside count towards the program's elements.
    var elements = laneElements
    for p in k.definitions {
      guard case .computeAt(let c, _) = p.effectiveSchedule.placement, c == name, let r = reductionLane(of: p, k) else { continue }
      // Its block as rule 5 gives it: the whole reduction up to `gpuWholeReduction`, else tiles of `gpuReductionTile`.
      let e = (try? k.maxExtent(r, in: p)) ?? 1
      elements = max(elements, e > gpuWholeReduction ? gpuReductionTile : nextPow2(e))
    }
    _ = attempt(.launch(tensor: name, warps: warps(forLaneElements: elements), stages: 2))
  }

  /// Sketch `broadcast-innermost`: the grid candidate loop whose variable some load of at least
  /// `broadcastOperandElements` elements does not read while it reads another candidate's (an operand broadcast
  /// along that program axis, of at least 2 iterations, and re-read by each of its programs), the one with the
  /// largest such operand.
  static let broadcastOperandElements = 1 << 20
  static func broadcastAxis(of d: Definition, among candidates: [String], _ k: Kernel) -> String? {
    let s = d.effectiveSchedule
    let roots = Dictionary(candidates.map { (Kernel.rootVariable(of: $0, in: s), $0) }, uniquingKeysWith: { a, _ in a })
    var best: (loop: String, elements: Int)?
    for load in Set(d.expressions.flatMap(\.loads)) {
      let read = Set(load.indices.flatMap { $0.indexNames })
      let elements = read.reduce(1) { n, v in n.multipliedReportingOverflow(by: max(1, (try? k.maxExtent(v, in: d)) ?? 1)).partialValue }
      guard elements >= broadcastOperandElements, !roots.keys.filter(read.contains).isEmpty else { continue }
      for (root, loop) in roots
      where !read.contains(root) && elements > (best?.elements ?? 0) && ((try? k.maxExtent(loop, in: d)) ?? 1) > 1 {
        best = (loop, elements)
      }
    }
    return best?.loop
  }

  /// How many programs a definition's grid loops launch.
  static func programs(of d: Definition, _ k: Kernel) -> Int {
    d.effectiveSchedule.loops.reduce(1) { n, l in
      guard case .gpu(let g) = l.kind, g == .gridX || g == .gridY || g == .gridZ else { return n }
      return n &* max(1, (try? k.maxExtent(l.name, in: d)) ?? 1)
    }
  }

  /// The reduction axes to fuse in a contraction over shifted windows (a convolution): the reduction axes both
  /// operands read (declared order), when at least one of them is a window axis (read by an operand at an index
  /// that also walks an output axis, `l + k - 1`) with at most 16 iterations; `channels` is the product of the
  /// other shared axes' extents (what one `dot` per tap reduces over). Nil for other definitions.
  /// Rule 0b: a convolution that keeps one `dot` per tap (its shared channel and window axes still reduction axes
  /// of their own) reads each operand whose channel dimensions are not its last from a copy stored with them last
  /// (`stageLast` of its channel axes: the shared reduction axes that are not windows): each tap's operand tile is
  /// then contiguous along the channel block, its rows whole, so the shifted window and its bounds mask move whole
  /// rows and the tile loads vectorise and pipeline. Returns the copies.
  @discardableResult
  static func stageChannelsLast(_ name: String, _ k: inout Kernel, _ steps: inout [Transform]) -> Set<String> {
    guard let d = k.definitions.first(where: { $0.name == name }), let r = d.reduction,
      let axes = windowedContractionAxes(d, k)
    else { return [] }
    let reductionAxes = Set(r.axes.map(\.name))
    guard axes.fused.allSatisfy(reductionAxes.contains) else { return [] }
    return stageLast(Set(axes.fused.filter { !axes.windows.contains($0) }), of: name, &k, &steps)
  }

  /// Rule 0c (sketch `k-major`): the reduction axes of `d` when it is a contraction that rule 4 makes a `dot` on the
  /// matrix units (not a window's: rule 0b's; not a matrix times a vector; the precision rule 4 would choose, or the
  /// sketch's) with f32 operands, whose tf32-family passes (tf32, tf32x3, bf16x3, bf16) read f32 tiles that Triton's
  /// matrix-unit dot wants K-major in shared memory (an MN-major tile goes through registers and shared memory once
  /// more every reduction step). Operands of 2 bytes are read MN-major as stored by the matrix units: nil.
  static func kMajorAxes(_ d: Definition, _ k: Kernel, _ sketch: GPUSketch) -> Set<String>? {
    guard let r = d.reduction, r.op == .sum, windowedContractionAxes(d, k) == nil, !isMatrixVector(d, k),
      let c = contractionAxes(d, k), [c.a, c.b].allSatisfy({ k.tensorType($0.tensor)?.dtype == .f32 }),
      sketch.dotPrecision != nil || (!sketch.ieeeDots && tensorCoresPay(d, k, m: c.me, n: c.ne, k: c.ke)),
      (try? Transform.dot(tensor: d.name).apply(to: k)) != nil
    else { return nil }
    return Set(r.axes.map(\.name))
  }

  /// Rule 0c's cost check: the copies of `trace` (applied to `kernel`) whose kernel the cost model estimates above
  /// `GPUSketch.kMajorCopyShare` of the kernel that computes the contraction reading them.
  static func costlyCopies(_ trace: Trace, _ kernel: Kernel, _ capability: GPUCapability) -> Set<String> {
    guard let k = try? trace.apply(to: kernel) else { return [] }
    let seconds = ScheduleCost.estimate(k, machine: capability.costMachine).kernelSeconds
    func root(_ name: String) -> String {
      var at = name
      var seen: Set<String> = []
      while seen.insert(at).inserted, let d = k.definitions.first(where: { $0.name == at }),
        case .computeAt(let c, _) = d.effectiveSchedule.placement
      {
        at = c
      }
      return at
    }
    var costly: Set<String> = []
    for copy in k.definitions where kernel.tensorType(copy.name) == nil && copy.effectiveSchedule.placement == .root {
      guard let own = seconds[copy.name],
        let consumer = k.definitions.first(where: { $0.name != copy.name && $0.reads(copy.name) }),
        copy.name.hasSuffix("." + consumer.name), kernel.tensorType(String(copy.name.dropLast(consumer.name.count + 1))) != nil,
        let contraction = seconds[root(consumer.name)]
      else { continue }
      if own > GPUSketch.kMajorCopyShare * contraction { costly.insert(copy.name) }
    }
    return costly
  }

  /// How operand `load` of a contraction lays out the reduction axes `axes`: `dims`, the dimensions its indices walk
  /// with them (affine terms); `acrossLast`, whether those are not its innermost dimensions in memory (its storage
  /// order: a staged copy's `layout`; dimensions of one element, `w[f, c, 1, 1]`'s last two, not counted): the
  /// operand is MN-major, each reduction step's tile is strided along the reduction. Nil where an index is not
  /// affine (a fused axis's `/` and `%`).
  static func operandLayout(
    _ load: Load, _ axes: Set<String>, _ k: Kernel, _ analysis: RegionAnalysis
  ) -> (dims: [Int], acrossLast: Bool)? {
    var dims: [Int] = []
    for (i, index) in load.indices.enumerated() {
      guard let terms = analysis.affineTerms(index) else { return nil }
      if !axes.isDisjoint(with: terms.keys) { dims.append(i) }
    }
    let rank = load.indices.count
    let shape = k.tensorType(load.tensor)?.shape ?? []
    let stored = k.definitions.first { $0.name == load.tensor }?.effectiveSchedule.storage.permutation
    let order = stored.flatMap { $0.count == rank ? $0 : nil } ?? Array(0..<rank)
    let counted = order.filter { $0 >= shape.count || shape[$0].evaluate(k.dimBindings) != 1 }
    let countedDims = Set(dims).intersection(counted)
    return (dims, !countedDims.isEmpty && countedDims != Set(counted.suffix(countedDims.count)))
  }

  /// Rules 0b and 0c: contraction `name` reads each operand whose dimensions indexed by `channels` (a convolution's
  /// channel axes, a contraction's reduction axes) are not its last from a copy stored with them last (`stage` at the innermost loop,
  /// `compute_root`, `layout`, the copy's loops in storage order), unless the copy is among `except`; an operand
  /// read at several points whose such dimensions differ is read as stored, and dimensions of extent 1 do not count
  /// (w[f, c, 1, 1] is stored with c last).
  /// Each copy is a kernel of its own that transposes in tiles: 64 x 64 blocks over the source's contiguous
  /// dimension and the copy's (Triton converts the loaded tile's layout to the stored one through shared memory,
  /// so both sides stay coalesced), program ids over the tiles and up to one more dimension, the rest serial.
  /// Nothing is staged when a step is refused. Returns the copies.
  @discardableResult
  static func stageLast(
    _ channels: Set<String>, of name: String, except: Set<String> = [], _ k: inout Kernel, _ steps: inout [Transform]
  ) -> Set<String> {
    guard let d = k.definitions.first(where: { $0.name == name }), let innermost = d.effectiveSchedule.loops.last?.name
    else { return [] }
    let analysis = RegionAnalysis(k)
    var trial = k
    var local: [Transform] = []
    var seen: Set<String> = []
    var copies: Set<String> = []
    func reductionDims(_ load: Load) -> [Int]? { operandLayout(load, channels, k, analysis)?.dims }
    for load in d.body.loads where seen.insert(load.tensor).inserted {
      guard let layout = operandLayout(load, channels, k, analysis) else { return [] }
      let channelDims = layout.dims
      let rank = load.indices.count
      guard layout.acrossLast else { continue }
      let copy = "\(load.tensor).\(name)"
      guard !except.contains(copy),
        d.body.loads.allSatisfy({ $0.tensor != load.tensor || reductionDims($0) == channelDims })
      else { continue }
      let order = (0..<rank).filter { !channelDims.contains($0) } + channelDims
      // The transposing tile: the source's contiguous dimension and the copy's, 64 each.
      let source = "d\(rank - 1)"
      let stored = "d\(order[rank - 1])"
      let transforms: [Transform] = [
        .stage(tensor: load.tensor, consumer: name, loop: innermost, scope: .workspace),
        .computeRoot(tensor: copy), .layout(tensor: copy, permutation: order),
        .reorder(tensor: copy, loops: order.map { "d\($0)" }),
      ]
      for t in transforms {
        guard DefaultSchedule.attempt(t, &trial, &local) else { return [] }
      }
      guard let c = trial.definitions.first(where: { $0.name == copy }) else { return [] }
      var grid: [String] = []
      var blocks: [(String, GPUDimension)] = []
      for (a, dim) in [(stored, GPUDimension.blockX), (source, .blockY)] {
        guard let e = try? trial.maxExtent(a, in: c) else { return [] }
        if e > 64 {
          guard DefaultSchedule.attempt(.split(tensor: copy, loop: a, factor: 64), &trial, &local) else { return [] }
          grid.append(a + ".o")
          blocks.append((a + ".i", dim))
        } else {
          blocks.append((a, dim))
        }
      }
      let others = order.map { "d\($0)" }.filter { $0 != source && $0 != stored }
      var serial: [String] = []
      for o in others.reversed() {
        if grid.count < 3, ((try? trial.maxExtent(o, in: c)) ?? Int.max) <= 65535 { grid.append(o) } else { serial.insert(o, at: 0) }
      }
      let loops = grid + serial + blocks.reversed().map(\.0)
      var schedule: [Transform] = [.reorder(tensor: copy, loops: loops)]
      let gridDims: [GPUDimension] = [.gridX, .gridY, .gridZ]
      for (i, g) in grid.enumerated() { schedule.append(.bind(tensor: copy, loop: g, dimension: gridDims[i])) }
      for (b, dim) in blocks { schedule.append(.bind(tensor: copy, loop: b, dimension: dim)) }
      schedule.append(.launch(tensor: copy, warps: 4, stages: 2))
      for t in schedule {
        guard DefaultSchedule.attempt(t, &trial, &local) else { return [] }
      }
      copies.insert(copy)
    }
    k = trial
    steps += local
    return copies
  }

  /// The default schedule under `candidate` where the cost model estimates it faster than under `fallback` (rules O
  /// and 2c decide so between their two forms), else under `fallback` (also when both give the same trace or one
  /// does not apply).
  static func cheaper(_ candidate: GPUSketch, than fallback: GPUSketch, _ kernel: Kernel, _ capability: GPUCapability) -> Trace {
    let first = gpu(for: kernel, capability: capability, sketch: candidate)
    let second = gpu(for: kernel, capability: capability, sketch: fallback)
    guard first != second, let k1 = try? first.apply(to: kernel), let k2 = try? second.apply(to: kernel) else { return second }
    let machine = capability.costMachine
    return ScheduleCost.estimate(k1, machine: machine).seconds < ScheduleCost.estimate(k2, machine: machine).seconds
      ? first : second
  }

  static func windowedContractionAxes(_ d: Definition, _ k: Kernel) -> (fused: [String], channels: Int?, taps: Int?, windows: [String])? {
    func strip(_ e: Expr) -> Expr {
      if case .cast(_, let i) = e { return strip(i) }
      return e
    }
    guard let r = d.reduction, r.op == .sum, r.axes.count >= 2, case .binary(.mul, let a, let b) = strip(d.body),
      case .load(let la) = strip(a), case .load(let lb) = strip(b)
    else { return nil }
    let analysis = RegionAnalysis(k)
    func terms(_ l: Load) -> [[String: Int]]? {
      var out: [[String: Int]] = []
      for i in l.indices {
        guard let t = analysis.affineTerms(i) else { return nil }
        out.append(t)
      }
      return out
    }
    guard let ta = terms(la), let tb = terms(lb) else { return nil }
    let outputs = Set(d.axes.map(\.name))
    let va = Set(ta.flatMap(\.keys))
    let vb = Set(tb.flatMap(\.keys))
    let shared = r.axes.map(\.name).filter { va.contains($0) && vb.contains($0) }
    guard shared.count >= 2 else { return nil }
    func isWindow(_ axis: String) -> Bool {
      guard let e = try? k.maxExtent(axis, in: d), e <= 16 else { return false }
      return (ta + tb).contains { terms in terms[axis] != nil && !outputs.isDisjoint(with: terms.keys) }
    }
    let windows = shared.filter(isWindow)
    guard !windows.isEmpty else { return nil }
    var channels: Int? = 1
    for c in shared where !windows.contains(c) {
      channels = channels.flatMap { n in (try? k.maxExtent(c, in: d)).map { n * $0 } }
    }
    var taps: Int? = 1
    for w in windows { taps = taps.flatMap { n in (try? k.maxExtent(w, in: d)).map { n * $0 } } }
    return (shared, channels, taps, windows)
  }

  /// Rule 2b: a reduction `c` with fewer outputs than programs to fill whose body reads reductions `p` (row
  /// statistics: `dot[b] = sum(d) x[b, d] * y[b, d]`, each read by `c` alone) at distinct variables that include
  /// one of `c`'s reduction axes and all of its output axes (`loss = sum(b) f(dot[b], pp[b], tt[b])`, a log-sum-exp
  /// `la[r]` beside the row `a[r, d]` itself; statistics read by no other definition and reading no other reduction,
  /// except other such statistics: a row max read by the sum of exp(x - max) and by the loss) becomes partials (`rfactor` over that axis, enough to fill the
  /// machine, each reducing at least 4 rows), and each `p` is computed inside the partials' programs at the serial
  /// loop of its rows (`compute_at(p, c.rf, b.o)`), where each value is computed once and read once. Separate
  /// kernels read every input once per statistic and once more for `c`; inside, a program reads a row right after
  /// the statistics over it, from the cache. Taken only for rows a program holds whole (measured: cross_entropy_loss
  /// 2x, triplet_margin_loss 1.34x; rows of 16384 in tiles did not gain), when every statistic can be placed so,
  /// and every loop outside the one it is computed at is named by its read (nothing recomputed). Returns the
  /// partials' names.
  static func statisticsIntoRowReductions(
    _ capability: GPUCapability, _ k: inout Kernel, _ steps: inout [Transform]
  ) -> Set<String> {
    var done: Set<String> = []
    for c in k.definitions {
      guard let r = c.reduction, !r.op.carriesState, c.effectiveSchedule.placement == .root, c.schedule == nil else {
        continue
      }
      func ext(_ loop: String, _ d: Definition, _ kernel: Kernel) -> Int? { try? kernel.maxExtent(loop, in: d) }
      var outputs = 1
      for a in c.axes {
        let (n, overflow) = outputs.multipliedReportingOverflow(by: max(1, ext(a.name, c, k) ?? Int.max))
        outputs = overflow ? Int.max : n
      }
      guard outputs < capability.programsToFill else { continue }
      let axisNames = Set(c.axes.map(\.name))
      let reductionNames = r.axes.map(\.name)
      // The statistics and the variables they are read at (one read pattern each).
      var stats: [String] = []
      var namesOf: [String: [String]] = [:]
      for p in k.definitions where p.name != c.name && c.reads(p.name) {
        // Rows a program holds whole (rule 5's block, at most `gpuWholeReduction`): measured on a GPU (A/B against
        // main, bench/gpu/session-h100-2026-12-07c/h59.md): rows of 4096 and 8192 gained 2x (cross_entropy_loss) and 1.34x
        // (triplet_margin_loss); rows of 16384 streamed in tiles, re-read per statistic, gained 1.02-1.10x
        // (cosine_similarity_loss) and lost 0.90-0.98x (kl_div_loss).
        guard let pr = p.reduction, p.effectiveSchedule.placement == .root, p.schedule == nil,
          !k.results.contains(where: { $0.name == p.name }),
          pr.axes.allSatisfy({ a in (try? k.maxExtent(a.name, in: p)).map { $0 <= gpuWholeReduction } ?? false })
        else { continue }
        let reads = c.expressions.flatMap(\.loads).filter { $0.tensor == p.name }
        guard let first = reads.first, reads.allSatisfy({ $0.indices == first.indices }) else { continue }
        var names: [String] = []
        for i in first.indices {
          guard case .index(let v) = i, !names.contains(v), axisNames.contains(v) || reductionNames.contains(v) else { break }
          names.append(v)
        }
        guard names.count == first.indices.count, axisNames.isSubset(of: names),
          names.contains(where: { reductionNames.contains($0) })
        else { continue }
        stats.append(p.name)
        namesOf[p.name] = names
      }
      // Each statistic is read only by `c` and by other statistics, and reads no reduction but other statistics (a
      // row max read by the sum of exp(x - max) and by the loss goes inside with it, computed once per row).
      var changed = true
      while changed {
        changed = false
        let set = Set(stats)
        for p in stats {
          guard let pd = k.definitions.first(where: { $0.name == p }) else { continue }
          let readersOK = k.definitions.allSatisfy { $0.name == c.name || $0.name == p || set.contains($0.name) || !$0.reads(p) }
          let readsOK = ScheduleEditing.readTensors(pd).allSatisfy { n in
            set.contains(n) || !k.definitions.contains { $0.name == n && $0.reduction != nil }
          }
          if !readersOK || !readsOK {
            stats.removeAll { $0 == p }
            changed = true
          }
        }
      }
      // Readers before the statistics they read: one computed at the loop is then shared by its siblings there.
      stats.reverse()
      let readVariables = Set(stats.flatMap { namesOf[$0] ?? [] })
      // The partials split the outermost reduction axis the statistics are read at.
      guard !stats.isEmpty, let axis = reductionNames.first(where: { readVariables.contains($0) }),
        let e = ext(axis, c, k)
      else { continue }
      func floorPow2(_ n: Int) -> Int { n < 1 ? 0 : 1 << (Int.bitWidth - 1 - n.leadingZeroBitCount) }
      let factor = min(nextPow2((capability.programsToFill + outputs - 1) / outputs), floorPow2(e / 4))
      guard factor >= 2 else { continue }
      var trial = k
      var local: [Transform] = []
      func attempt(_ t: Transform) -> Bool { DefaultSchedule.attempt(t, &trial, &local) }
      guard attempt(.rfactor(tensor: c.name, loop: axis, factor: factor)) else { continue }
      let partial = c.name + ".rf"
      var ok = true
      for p in stats where ok {
        guard let cur = trial.definitions.first(where: { $0.name == partial }) else {
          ok = false
          break
        }
        let loops = cur.effectiveSchedule.loops.map(\.name)
        let named = Set(cur.expressions.flatMap(\.loads).filter { $0.tensor == p }.flatMap { $0.indices.flatMap(\.indexNames) })
        // Every loop up to the one the statistic is computed at is named by its read: one value per iteration.
        guard let at = loops.lastIndex(where: { named.contains($0) }), loops[...at].allSatisfy({ named.contains($0) })
        else {
          ok = false
          break
        }
        ok = attempt(.computeAt(tensor: p, consumer: partial, loop: loops[at]))
      }
      guard ok else { continue }
      k = trial
      steps += local
      done.insert(partial)
    }
    return done
  }

  /// Rule 3c: a reduction `p` left at the root whose one reader `c` is elementwise and reads it at distinct axes
  /// of `c` that include `c`'s contiguous axis (statistics over a non-contiguous axis: an RMS norm over channels,
  /// `y[b, f, i, j] = x[b, f, i, j] / rms[b, i, j]`) is computed inside `c`'s programs: `c`'s axes that `p` is
  /// read at become program ids (the contiguous one split, its outer part a program id), the one axis `p` is
  /// not read at (the reduced one) and the contiguous axis's inner part blocks, and `p` is computed at the
  /// contiguous axis's outer loop as a [contiguous, reduced] block. One kernel reads its input once from memory
  /// and once from the cache instead of two kernels and an intermediate. Taken only when both blocks fit the
  /// lane budget with the contiguous block at least 16 wide; `p`'s reduction must be over one constant axis.
  static func fuseColumnStatistics(_ k: inout Kernel, _ steps: inout [Transform]) -> Set<String> {
    var done: Set<String> = []
    for p in k.definitions {
      guard let r = p.reduction, r.axes.count == 1, !r.op.carriesState, p.effectiveSchedule.placement == .root,
        p.schedule == nil, !k.results.contains(where: { $0.name == p.name }),
        k.constantValue(r.axes[0].lowerBound) != nil, k.constantValue(r.axes[0].upperBound) != nil
      else { continue }
      var trial = k
      var local: [Transform] = []
      func attempt(_ t: Transform) -> Bool {
        guard let next = try? t.apply(to: trial) else { return false }
        trial = next
        local.append(t)
        return true
      }
      func readers(_ name: String) -> [Definition] { trial.definitions.filter { $0.name != name && $0.reads(name) } }
      // An elementwise step between (rms = sqrt(ss / F + eps)) that reads only `p`, pointwise, and has one reader
      // of its own is inlined into that reader (recomputed per reduced-axis element: a few operations).
      if let e = readers(p.name).first, readers(p.name).count == 1, e.reduction == nil, e.schedule == nil,
        !trial.results.contains(where: { $0.name == e.name }), readers(e.name).count == 1,
        e.body.loads.allSatisfy({ $0.tensor == p.name && $0.indices == e.axes.map { .index($0.name) } })
      {
        _ = attempt(.inline(tensor: e.name))
      }
      let consumers = readers(p.name)
      guard consumers.count == 1, let c = consumers.first, c.reduction == nil, c.schedule == nil,
        !trial.definitions.contains(where: { q in
          if case .computeAt(let at, _) = q.effectiveSchedule.placement { return at == c.name }
          return false
        })
      else { continue }
      let reads = c.expressions.flatMap(\.loads).filter { $0.tensor == p.name }
      guard let first = reads.first, reads.allSatisfy({ $0.indices == first.indices }) else { continue }
      var readAxes: [String] = []
      for i in first.indices {
        guard case .index(let v) = i, c.axes.contains(where: { $0.name == v }), !readAxes.contains(v) else { break }
        readAxes.append(v)
      }
      guard readAxes.count == first.indices.count, let lane = gpuContiguousVariable(of: c), readAxes.contains(lane),
        let laneAt = readAxes.firstIndex(of: lane)
      else { continue }
      let reduced = c.axes.map(\.name).filter { !readAxes.contains($0) }
      let outer = c.axes.map(\.name).filter { readAxes.contains($0) && $0 != lane }
      guard reduced.count == 1, outer.count <= 2, let rExt = try? trial.maxExtent(reduced[0], in: c),
        let pExt = try? trial.maxExtent(r.axes[0].name, in: p), let laneExt = try? trial.maxExtent(lane, in: c)
      else { continue }
      let rBlock = nextPow2(max(rExt, pExt))
      let laneBlock = min(nextPow2(laneExt), gpuLaneBudget / max(1, 2 * rBlock))
      guard laneBlock >= 16 else { continue }
      var laneOuter: String? = nil
      var laneInner = lane
      if laneExt > laneBlock {
        guard attempt(.split(tensor: c.name, loop: lane, factor: laneBlock)) else { continue }
        laneOuter = lane + ".o"
        laneInner = lane + ".i"
      }
      let grid = outer + (laneOuter.map { [$0] } ?? [])
      guard let at = grid.last, attempt(.reorder(tensor: c.name, loops: grid + reduced + [laneInner])),
        attempt(.computeAt(tensor: p.name, consumer: c.name, loop: at))
      else { continue }
      let dims: [GPUDimension] = [.gridX, .gridY, .gridZ]
      var ok = true
      for (i, g) in grid.reversed().enumerated() where ok { ok = attempt(.bind(tensor: c.name, loop: g, dimension: dims[i])) }
      guard ok, attempt(.bind(tensor: c.name, loop: reduced[0], dimension: .blockY)),
        attempt(.bind(tensor: c.name, loop: laneInner, dimension: .blockX)),
        attempt(.bind(tensor: p.name, loop: p.axes[laneAt].name, dimension: .blockX)),
        attempt(.bind(tensor: p.name, loop: r.axes[0].name, dimension: .blockY)),
        attempt(.launch(tensor: c.name, warps: warps(forLaneElements: rBlock * laneBlock), stages: 2))
      else { continue }
      k = trial
      steps += local
      done.formUnion([p.name, c.name])
    }
    return done
  }

  /// A contraction one of whose operands has no output axis of its own of at least 16 iterations (a matrix times
  /// a vector, `y[m, z] = sum(k) A[m, k] * x[k, z]` with one or a few z): below tl.dot's smallest tile, its flops
  /// are few for its bytes (it is memory-bound), and a dot's 16-wide tiles of rows would leave it a few dozen
  /// programs each reducing the whole of K. It is scheduled as the row reduction it is (rule 4's general case: a
  /// program per output row, the reduction axis a block; rule 2 splits it when those are too few).
  static func isMatrixVector(_ d: Definition, _ k: Kernel) -> Bool {
    func strip(_ e: Expr) -> Expr {
      if case .cast(_, let i) = e { return strip(i) }
      return e
    }
    guard d.reduction != nil, case .binary(.mul, let a, let b) = strip(d.body), case .load(let la) = strip(a),
      case .load(let lb) = strip(b)
    else { return false }
    let affine = RegionAnalysis(k)
    let axes = Set(d.axes.map(\.name))
    let av = Set(la.indices.flatMap { affine.quasiAffineVariables($0) ?? [] }).intersection(axes)
    let bv = Set(lb.indices.flatMap { affine.quasiAffineVariables($0) ?? [] }).intersection(axes)
    func own(_ vs: Set<String>, _ other: Set<String>) -> Int {
      vs.subtracting(other).reduce(1) { $0 * max(1, (try? k.maxExtent($1, in: d)) ?? 1) }
    }
    return own(av, bv) < 16 || own(bv, av) < 16
  }

  /// A contraction's operands (`a[...] * b[...]`, casts aside) and its tile axes with their extents: each operand's
  /// innermost (last-indexed, contiguous in memory) output axis the other lacks (`m` of `a`, `n` of `b`) and their
  /// first shared reduction axis `k`. Nil for other definitions.
  static func contractionAxes(
    _ d: Definition, _ k: Kernel
  ) -> (a: Load, b: Load, m: String, n: String, k: String, me: Int, ne: Int, ke: Int)? {
    func strip(_ e: Expr) -> Expr {
      if case .cast(_, let i) = e { return strip(i) }
      return e
    }
    guard let r = d.reduction, case .binary(.mul, let a, let b) = strip(d.body), case .load(let la) = strip(a),
      case .load(let lb) = strip(b)
    else { return nil }
    // Each operand's index variables in index order (affine indices: a convolution's `l + k - 1` names l and k).
    let affine = RegionAnalysis(k)
    func variables(_ l: Load) -> [String] { l.indices.flatMap { affine.quasiAffineVariables($0) ?? [] } }
    let av = variables(la)
    let bv = variables(lb)
    let axes = Set(d.axes.map(\.name))
    guard let m = av.last(where: { axes.contains($0) && !bv.contains($0) }),
      let n = bv.last(where: { axes.contains($0) && !av.contains($0) }),
      let kk = r.axes.map(\.name).first(where: { av.contains($0) && bv.contains($0) }),
      let me = try? k.maxExtent(m, in: d), let ne = try? k.maxExtent(n, in: d), let ke = try? k.maxExtent(kk, in: d)
    else { return nil }
    return (la, lb, m, n, kk, me, ne, ke)
  }

  /// Output tiles over program ids, the three tiles as blocks, the reduction serial over tiles. Returns false
  /// (leaving the definition to `scheduleRoot`) when the operands do not have the contraction pattern.
  static func scheduleContraction(
    _ d: Definition, _ capability: GPUCapability, _ sketch: GPUSketch, _ k: inout Kernel, _ steps: inout [Transform]
  ) -> Bool {
    guard d.reduction != nil, let c = contractionAxes(d, k) else { return false }
    let (la, lb, m, n, kk, me, ne, ke) = c
    var local: [Transform] = []
    var trial = k
    func attempt(_ t: Transform) -> Bool {
      guard let next = try? t.apply(to: trial) else { return false }
      trial = next
      local.append(t)
      return true
    }
    let batch = d.axes.map(\.name).filter { $0 != m && $0 != n }.reduce(1) { $0 * max(1, (try? k.maxExtent($1, in: d)) ?? 1) }
    let operandBytes = [la.tensor, lb.tensor].compactMap { k.tensorType($0)?.dtype.byteSize }.max() ?? 4
    // f32 operands on the matrix units where the tensor cores pay, at the fastest precision the kernel's accuracy
    // contract allows (`highest`: three tf32 passes of split operands, f32's tolerance; `high`: one tf32 pass;
    // `medium`: one bf16 pass; sketch split-bf16x3: three bf16 passes, from `high` on).
    var matrixUnits = operandBytes <= 2
    let chosen = sketch.splitPrecision ?? DotPrecision.fastest(under: k.matmulPrecision)
    let precision =
      sketch.dotPrecision
      ?? (!sketch.ieeeDots && operandBytes > 2 && tensorCoresPay(d, k, m: me, n: ne, k: ke)
        && !(sketch.splitPrecision == nil && splitsAcrossLayout(d, k, chosen, operands: (la, lb), reduction: ke))
        ? (chosen == .bf16x3 && errorAmplifiedDownstream(of: d.name, in: k) ? .tf32x3 : chosen)
        : nil)
    if let p = precision, attempt(.precision(tensor: d.name, precision: p)) { matrixUnits = true }
    let t = contractionTiles(
      m: me, n: ne, k: ke, batch: batch, operandBytes: operandBytes, matrixUnits: matrixUnits, capability,
      scale: sketch.tileScale,
      splitOperands: precision?.splitsOperands == true && matrixUnits && sketch.splitDotsShareMultiprocessors
        && !readsPlainOperands(la, lb))
    func tile(_ loop: String, _ e: Int, _ size: Int) -> (outer: String?, lane: String)? {
      if e <= size { return (nil, loop) }
      return attempt(.split(tensor: d.name, loop: loop, factor: size)) ? (loop + ".o", loop + ".i") : nil
    }
    guard let tm = tile(m, me, t.m), let tn = tile(n, ne, t.n), let tk = tile(kk, ke, t.k),
      let cur = trial.definitions.first(where: { $0.name == d.name })
    else { return false }
    let loops = cur.effectiveSchedule.loops.map(\.name)
    let lanes = [tm.lane, tn.lane, tk.lane]
    let tileOuters = [tn.outer, tm.outer].compactMap { $0 }
    let others = loops.filter { !lanes.contains($0) && !tileOuters.contains($0) }
    let otherAxes = others.filter { !isReductionLoop($0, of: cur) }
    // Serial reduction loops (a convolution's taps and channel blocks, one dot per tap) in their order, except for
    // 2-byte operands: the one with the most iterations innermost, since Triton pipelines only the innermost loop
    // (each tap sweeping every channel block: 1.84x against channel blocks outside the taps on a 512-channel conv1d
    // staged channels-last, bench/gpu/ab-h66-results, `channels-last-taps-outer` against `channels-last`).
    var otherReductions = others.filter { isReductionLoop($0, of: cur) }
    if operandBytes <= 2 {
      let ext = Dictionary(uniqueKeysWithValues: otherReductions.map { ($0, (try? trial.maxExtent($0, in: cur)) ?? 0) })
      otherReductions = otherReductions.enumerated().sorted { a, b in
        ext[a.element]! != ext[b.element]! ? ext[a.element]! < ext[b.element]! : a.offset < b.offset
      }.map(\.element)
    }
    var grid = tileOuters
    var serialAxes: [String] = []
    for o in otherAxes.reversed() {
      if grid.count < 3, ((try? trial.maxExtent(o, in: cur)) ?? 0) <= 65535 { grid.append(o) } else { serialAxes.insert(o, at: 0) }
    }
    let order = grid + serialAxes + [tm.lane, tn.lane] + otherReductions + [tk.lane]
    if order != loops { guard attempt(.reorder(tensor: d.name, loops: order)) else { return false } }
    let gridDims: [GPUDimension] = [.gridX, .gridY, .gridZ]
    for (i, g) in grid.enumerated() { guard attempt(.bind(tensor: d.name, loop: g, dimension: gridDims[i])) else { return false } }
    guard attempt(.bind(tensor: d.name, loop: tn.lane, dimension: .blockX)),
      attempt(.bind(tensor: d.name, loop: tm.lane, dimension: .blockY)),
      attempt(.bind(tensor: d.name, loop: tk.lane, dimension: .blockZ))
    else { return false }
    _ = attempt(.launch(tensor: d.name, warps: t.warps, stages: t.stages))
    k = trial
    steps += local
    return true
  }

  /// Tiles of a contraction sized to its operands: each output tile the next power of two of its extent (16 to
  /// 128; 64 for operands wider than 2 bytes, which no matrix unit takes; `scale` +1: the contiguous output up to
  /// 256, or 128 with reduction steps of 16 for wide operands, 8 warps from 64x128; -1: up to 64), halved (the larger first, down to 64) while the output tiles are fewer than the multiprocessors; the
  /// reduction tile likewise (16 to 64 for operands of up to 2 bytes, 32 for wider ones); a contraction with an
  /// extent below 16 (no tl.dot: the general path) keeps its [m, n, k] block within 16384 elements; then the
  /// pipeline is shrunk until its shared memory fits the target: stages 3 -> 2, the reduction tile, the larger
  /// output tile. A dot in three passes of split operands (`splitOperands`: bf16x3, tf32x3) whose output tile ends below 128x128 takes
  /// reduction steps of 16 and 8 warps from 64x128 (see `splitDotStep`).
  public static func contractionTiles(
    m: Int, n: Int, k: Int, batch: Int, operandBytes: Int, matrixUnits: Bool? = nil, _ capability: GPUCapability,
    scale: Int = 0, splitOperands: Bool = false
  ) -> (m: Int, n: Int, k: Int, warps: Int, stages: Int) {
    func fit(_ e: Int, _ cap: Int) -> Int { min(cap, max(16, nextPow2(e))) }
    // Operands wider than 2 bytes (f32 `input_precision="ieee"`, f64, i32) run on the FMA units unless the dot
    // takes tf32 passes: larger output tiles only add registers per thread there, so they stop at 64.
    let wide = !(matrixUnits ?? (operandBytes <= 2))
    // Wide tiles on the FMA units (a sketch): the contiguous output up to 128 (an operand that lacks it is read
    // once per 128 instead of per 64) with reduction steps of 16 (registers for the wider accumulator). On the
    // matrix units a reduction step is 128 bytes of each operand row: 64 of 2-byte operands, 32 of f32 ones.
    // Wide matrix-unit tiles (128 x 256) for 2-byte operands where the target holds them at full depth (k steps
    // of 64, three stages) and they still give every multiprocessor two programs: each program reads its operand
    // rows once per 256 outputs instead of per 128. Measured on an H100 (bench/search/gpu-h100-noseeds-2026-12-06b,
    // the `fused-wide` root): 1.46x on a 4096^3 bf16 matmul, 1.26x with a bias-GELU epilogue. Not on
    // `portable` (gfx942's 64 KiB of LDS holds two stages at most), nor for f32 operands' tf32 passes (not measured).
    let wideMatrixTiles = scale == 0 && !wide && operandBytes <= 2
      && capability.fitsDot(m: 128, n: 256, k: 64, stages: 3, operandBytes: operandBytes)
      && ((m + 127) / 128) * ((n + 255) / 256) * max(1, batch) >= capability.programsToFill
    var bm = fit(m, scale < 0 || wide ? 64 : 128)
    var bn = fit(n, scale < 0 ? 64 : (wide ? (scale > 0 ? 128 : 64) : (scale > 0 || wideMatrixTiles ? 256 : 128)))
    var bk = fit(k, !wide ? 128 / max(1, min(4, operandBytes)) : (scale > 0 ? 16 : 32))
    func programs() -> Int { ((m + bm - 1) / bm) * ((n + bn - 1) / bn) * max(1, batch) }
    while programs() < capability.multiprocessors, max(bm, bn) > 64 {
      if bm >= bn { bm /= 2 } else { bn /= 2 }
    }
    // An extent below 16 is one whole block smaller than tl.dot's minimum: the lowering then takes the general
    // reduction path, a [m, n, k] product reduced in registers and shared memory; keep it within 16384 elements.
    if min(m, n, k) < 16 {
      let kb = nextPow2(min(k, bk))
      while min(bm, nextPow2(m)) * min(bn, nextPow2(n)) * kb > 2 * gpuLaneBudget, max(bm, bn) > 16 {
        if bm >= bn { bm /= 2 } else { bn /= 2 }
      }
    }
    var stages = 3
    while !capability.fitsDot(m: bm, n: bn, k: bk, stages: stages, operandBytes: operandBytes) {
      if stages > 2 {
        stages -= 1
      } else if bk > 16 {
        bk /= 2
      } else if max(bm, bn) > 16 {
        if bm >= bn { bm /= 2 } else { bn /= 2 }
      } else {
        break
      }
    }
    // A split dot (bf16x3, tf32x3) whose output tile is below the matrix units' 128x128 (an extent or the grid made it smaller)
    // takes `splitDotStep`'s reduction steps and 8 warps from 64x128 (see there).
    let splitSmall = splitOperands && scale <= 0 && bm * bn < 128 * 128
    if splitSmall { bk = min(bk, splitDotStep) }
    let eight = bm * bn >= 128 * 128 || ((wide || splitSmall) && bm * bn >= 64 * 128)
    let warps = eight ? 8 : (bm * bn >= 32 * 64 ? 4 : 2)
    return (bm, bn, bk, warps, stages)
  }

  /// Whether both operands of a contraction are read at bare variables (`a[m, k] * b[k, n]`: a matrix product, no
  /// window, fused-axis or other index arithmetic). `splitDotStep`'s smaller steps and 8 warps are for the others
  /// (measured on convolutions); a plain product keeps the matrix units' steps and warps: on an H100
  /// (bench/gpu/ab-h66-results) kernelbench.matmul_sigmoid_sum (64x128 tiles, tf32x3) ran 2.59x faster with steps of
  /// 32 and 4 warps than with steps of 16 and 8 warps, a 1024^3 f32 matmul (64x64, bf16x3) 1.13x with steps of 32.
  static func readsPlainOperands(_ a: Load, _ b: Load) -> Bool {
    (a.indices + b.indices).allSatisfy {
      if case .index = $0 { return true }
      return false
    }
  }

  /// The reduction step of a dot in three passes of split operands (`precision(y, tf32x3 | bf16x3)`; measured with
  /// tf32x3, taken alike by bf16x3, whose split operands take no more registers) whose output tile is below 128x128
  /// elements (an extent of at most 64, or a grid to fill), which then takes 8 warps from 64x128. Such a dot keeps
  /// two f32 accumulator tiles in registers (the running sum and the step's partial) and both operands in two
  /// parts; at 128x64x32 with 4 warps it took 254-255 registers a thread on sm_90 (`bench/gpu/static-dot-check.py`,
  /// Triton 3.6). Measured on an H100 (bench/gpu/session-h100-2026-12-07c/h58.md): conv_transposed2d (64 filters)
  /// 34.8 -> 23.3 ms (1.49x), conv_transposed3d (48 filters) 41.3 -> 28.0 ms (1.48x). The same steps and 8 warps
  /// with the 128x128 tiles cut to 128x64 were slower where the tiles were 128x128 (conv1d_standard 0.93x,
  /// conv2d_relu_bias_add 0.82x, matmul_transposed_b 0.85x), so 128x128 tiles keep their steps of 32.
  public static let splitDotStep = 16

  /// Rule 4d: a plain f32 contraction (not a window's, no fused axis) whose precision would split its operands in
  /// registers (`tf32x3`, `bf16x3`: the `highest` contract's) and that reads an operand MN-major (`operandLayout`:
  /// the reduction not along its last dimension) stays on the FMA units (`input_precision="ieee"`): the split
  /// parts go back to shared memory transposed for the matrix units every reduction step. Measured on an H100
  /// (bench/kernelbench/results-h100-2026-12-07b-search: sketch `ieee` against this default, same search):
  /// matmul_transposed_a 1.42x, matmul_3d_tensor_matrix 1.28x, matmul_batched 1.25x, matmul_upper_triangular
  /// 1.26x; K-major ones (matmul_transposed_b, the nn.Linear GEMMs) at 1.6-1.8x torch.compile keep tf32x3.
  /// Only reductions of at least `splitAcrossLayoutMinimumReduction` (the measured ones are 1024-8192 long; a
  /// pointwise convolution's 64 channels, memory-bound at 63% of its floor with tf32x3, is not measured).
  /// Sketch `k-major` (rule 0c) stages such operands K-major instead, after which this rule no longer applies.
  /// `operands` and `reduction` (the first reduction axis's extent) are `contractionAxes`'s.
  static func splitsAcrossLayout(
    _ d: Definition, _ k: Kernel, _ precision: DotPrecision, operands: (Load, Load), reduction: Int
  ) -> Bool {
    guard precision.splitsOperands, let r = d.reduction, reduction >= splitAcrossLayoutMinimumReduction,
      windowedContractionAxes(d, k) == nil
    else { return false }
    let axes = Set(r.axes.map(\.name))
    let analysis = RegionAnalysis(k)
    return [operands.0, operands.1].contains { operandLayout($0, axes, k, analysis)?.acrossLast == true }
  }

  /// Rule 4d's shortest reduction (its first reduction axis's extent).
  public static let splitAcrossLayoutMinimumReduction = 256

  /// Whether f32 operands of contraction `d` belong on the tensor cores (three passes of split operands): the contraction is
  /// compute-bound on the FMA units by the cost model (`WorkloadCost.isComputeBound`: arithmetic intensity above
  /// the machine's balance) and every tile of tl.dot's matrix-unit path applies (output tiles of at least 16, a
  /// reduction of at least 16: Triton's tf32 dot takes K steps of 8, its bf16 dot steps of 16, and 16 keeps one
  /// step unmasked).
  static func tensorCoresPay(_ d: Definition, _ kernel: Kernel, m: Int, n: Int, k: Int) -> Bool {
    guard m >= 16, n >= 16, k >= 16 else { return false }
    return WorkloadCost.isComputeBound(d, in: kernel)
  }

  /// Whether an error in the values of `tensor` (a contraction) can reach the kernel's results amplified against
  /// their scale: a definition that reads `tensor`, directly or through other definitions, applies a function whose
  /// output does not follow its input's scale (exp, log, tanh, sigmoid, erf, floor, ceil, pow, mod) to a value
  /// computed from it, in its body, its tuple elements or its combiner. A tanh of a sum of 1024 products (rms about
  /// 32) keeps the sum's absolute error at the tanh's unit scale, and softmax turns the logits' absolute error into a
  /// relative one: there bf16x3's 2^-16 of each product (2^-21 for tf32x3) missed f32's tolerance on an H100
  /// (conv_transpose2d_subtract_tanh, bench/gpu/session-h100-2026-12-07d/ab/module-ab.md), so rule 4 takes tf32x3.
  /// Affine steps, max/min, divisions and square roots (a normalisation) keep the error at the result's scale.
  static func errorAmplifiedDownstream(of tensor: String, in kernel: Kernel) -> Bool {
    func amplifies(_ e: Expr, _ derived: (Expr) -> Bool) -> Bool {
      var found = false
      e.forEach { node in
        guard !found else { return }
        switch node {
        case .unary(let op, let x):
          switch op {
          case .exp, .log, .tanh, .sigmoid, .erf, .floor, .ceil: found = derived(x)
          default: break
          }
        case .binary(let op, let x, let y) where op == .pow || op == .mod: found = derived(x) || derived(y)
        default: break
        }
      }
      return found
    }
    var tainted: Set<String> = [tensor]
    var grew = true
    while grew {
      grew = false
      for d in kernel.definitions where d.name != tensor {
        let readsTainted = tainted.contains { d.reads($0) }
        guard readsTainted else { continue }
        if tainted.insert(d.name).inserted { grew = true }
        let derived: (Expr) -> Bool = { x in tainted.contains { x.reads($0) } }
        if d.expressions.contains(where: { amplifies($0, derived) }) { return true }
        // The state of a reduction over tainted values is tainted: any such function in its combiner or yield.
        if let c = d.reduction?.combiner, (c.combine + [c.yield]).contains(where: { amplifies($0, { _ in true }) }) {
          return true
        }
      }
    }
    return false
  }

  /// A producer cheap enough to recompute at every read: at most two loads and eight expression nodes.
  static func isCheap(_ d: Definition) -> Bool {
    var nodes = 0
    d.body.forEach { _ in nodes += 1 }
    return d.body.loads.count <= 2 && nodes <= 8
  }

  /// Rule 2: a root reduction with fewer programs than the machine has room for, each reducing at least 2^18
  /// elements, becomes partial reductions and a combine (`rfactor`). The split axis is the longest constant
  /// reduction axis that is not the contiguous one (the partials then read whole contiguous rows), by the
  /// parallelism missing, leaving at least 4 iterations per partial; else the contiguous axis by that many
  /// 64-lane blocks (each program reads 64 adjacent elements per step of a grid-stride loop).
  static func splitReduction(_ name: String, _ capability: GPUCapability, _ k: inout Kernel, _ steps: inout [Transform]) {
    guard let d = k.definitions.first(where: { $0.name == name }), let r = d.reduction, !r.op.carriesState,
      d.effectiveSchedule.placement == .root
    else { return }
    func ext(_ loop: String) -> Int? { try? k.maxExtent(loop, in: d) }
    let contiguous = gpuContiguousVariable(of: d)
    var outputs = 1
    for a in d.axes {
      guard let e = ext(a.name) else { return }
      outputs *= max(1, e)
    }
    var reduced = 1
    for a in r.axes {
      guard k.constantValue(a.lowerBound) != nil, k.constantValue(a.upperBound) != nil, let e = ext(a.name) else { return }
      reduced *= max(1, e)
    }
    // The block `scheduleRoot` would give the contiguous output axis.
    let aLane = laneAxis(of: d, k)
    let limit = reductionLane(of: d, k).map { r in
      outputBlockBesideReduction(ext(r) ?? 0, contiguous: aLane == contiguous, block: gpuBlock)
    } ?? gpuBlock
    let lane = aLane.flatMap { ext($0) }.map { min(nextPow2($0), limit) } ?? 1
    let programs = max(1, outputs / lane)
    guard programs < capability.programsToFill, reduced * lane >= 1 << 18 else { return }
    let want = nextPow2((capability.programsToFill + programs - 1) / programs)
    func floorPow2(_ n: Int) -> Int { n < 1 ? 0 : 1 << (Int.bitWidth - 1 - n.leadingZeroBitCount) }
    let others = r.axes.filter { $0.name != contiguous }.compactMap { a in ext(a.name).map { (a.name, $0) } }
    if let (axis, e) = others.max(by: { $0.1 < $1.1 }), e >= 8 {
      let factor = min(want, floorPow2(e / 4))
      if factor >= 2 {
        _ = attempt(.rfactor(tensor: name, loop: axis, factor: factor), &k, &steps)
        return
      }
    }
    if let c = contiguous, r.axes.contains(where: { $0.name == c }), let e = ext(c) {
      // Partials over the contiguous axis: `want` programs per output of 64 adjacent lanes each (the block
      // `scheduleRoot` gives a contiguous axis beside a reduction block), each partial summing at least 16
      // elements (the partials are at most 1/16 of what is reduced).
      let factor = min(want * 64, floorPow2(e / 16))
      if factor >= 128 { _ = attempt(.rfactor(tensor: name, loop: c, factor: factor), &k, &steps) }
    }
  }

  @discardableResult
  static func attempt(_ t: Transform, _ k: inout Kernel, _ steps: inout [Transform]) -> Bool {
    guard let next = try? t.apply(to: k) else { return false }
    k = next
    steps.append(t)
    return true
  }

  static func scheduleProducer(_ name: String, _ k: inout Kernel, _ steps: inout [Transform]) {
    func attempt(_ t: Transform) -> Bool {
      guard let next = try? t.apply(to: k) else { return false }
      k = next
      steps.append(t)
      return true
    }
    guard let d = k.definitions.first(where: { $0.name == name }), let r = reductionLane(of: d, k),
      let e = try? k.maxExtent(r, in: d)
    else { return }
    var lane = r
    if e > gpuWholeReduction {
      guard attempt(.split(tensor: name, loop: r, factor: gpuReductionTile)) else { return }
      lane = r + ".i"
    }
    guard let cur = k.definitions.first(where: { $0.name == name }) else { return }
    var loops = cur.effectiveSchedule.loops.map(\.name)
    if loops.last != lane {
      loops.removeAll { $0 == lane }
      loops.append(lane)
      guard attempt(.reorder(tensor: name, loops: loops)) else { return }
    }
    _ = attempt(.bind(tensor: name, loop: lane, dimension: .blockX))
  }

  /// `n` for a split part `n.o` / `n.i`, else the name itself.
  static func splitParent(_ loop: String) -> String {
    loop.hasSuffix(".o") || loop.hasSuffix(".i") ? String(loop.dropLast(2)) : loop
  }

  /// A producer computed over several rows of its consumer's program (a sketch's rows per program) keeps those
  /// rows as a block: its axis under the consumer's split row loop is bound to `block.y`.
  static func scheduleProducerRows(_ name: String, _ k: inout Kernel, _ steps: inout [Transform]) {
    guard let d = k.definitions.first(where: { $0.name == name }),
      case .computeAt(let consumer, let loop) = d.effectiveSchedule.placement, loop.hasSuffix(".o"),
      let c = k.definitions.first(where: { $0.name == consumer }),
      let split = c.effectiveSchedule.splits.first(where: { $0.outer == loop }),
      d.axes.contains(where: { $0.name == splitParent(loop) }),
      // Rows of one program, not program ids (rule 2c's split: each program's rows one at a time).
      c.effectiveSchedule.loops.first(where: { $0.name == split.inner })?.kind.isProgramLoop != true
    else { return }
    _ = attempt(.bind(tensor: name, loop: splitParent(loop), dimension: .blockY), &k, &steps)
  }

  static func nextPow2(_ n: Int) -> Int {
    var p = 1
    while p < n && p < (1 << 30) { p <<= 1 }
    return p
  }
}
