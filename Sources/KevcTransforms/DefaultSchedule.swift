import KevcBasic
import KevcIR
import KevcLowering

/// The schedule a target gets when the user gives none, derived from the IR's structure only (never from names).
///
/// CPU (LLVM), in order:
/// 0. A triangular reduction `[j in lo .. (i + 1)]` becomes a scan along `i` (`to_scan`) wherever the rewrite is
///    legal: one running accumulator, O(N) instead of O(N^2) (the later rules keep the scan's loops innermost and
///    serial: a step that would not is not legal and is not taken).
///    0b. A sum's output axis read under guards `(E % s) == c` and divisions `E / s` (a strided transposed convolution)
///    is split by phase (`phase_split`) wherever the rewrite is legal: each phase a dense convolution without the
///    taps its guards discard (s times fewer per split axis), interleaved by an elementwise select.
/// 1. Inline every elementwise intermediate read pointwise by at most two definitions: at exactly its own axes, the
///    consumer's leading ones, or (a reduction consumer) at distinct variables naming every loop of the consumer,
///    its output and reduction axes (layernorm's centred row in the variance's sum: never stored), unless the inlined
///    body would read a computed tensor at the reduction's variables (rule 2 could not fuse it there any more; a
///    contraction does not count, it stays at the root in any case).
/// 1b. A reduction whose last two reduction axes every load that reads them walks as one row-major contiguous block,
///    with an innermost row shorter than `fusedRowVectors` vectors (whole vectors or not), has those axes fused
///    (`fuse_axes`, before any other transform of it; `DefaultCPUFusedRows.swift`); rules 3 and 4 vectorize the fused
///    axis (conv2d_gelu_global_avg_pool's mean over rows of 30: one run of 420 per channel).
///    A block that the finished schedule stores with gaps (a producer computed inside a vectorized consumer, its
///    rows rounded up to whole vectors) is not fused: the schedule is computed again without it.
/// 1c. An elementwise definition at the root (once rule 2 has placed the producers, none computed inside it) whose
///    body applies a polynomial math function (exp, log, tanh, sigmoid, erf, pow: a costly scalar remainder) and
///    whose last axis is such a short row, with an axis outside its last two (for rule 3's thread pool), every load
///    reading its last two axes walking them as one row-major block
///    (rule 1b's test) in tensors stored whole in natural order, iterates the two axes as one loop (the loop form of
///    `fuse_axes`, `DefaultCPUFusedRows.swift`); rule 3 vectorizes it (a GELU over rows of 30: one run per image).
/// 2. Fuse producers into consumers: each remaining intermediate is computed at the outermost loop of each of its
///    consumers whose iterations read different regions of it (so nothing is recomputed needlessly) and where that
///    region fits in L2-sized local storage (computed once in a consumer's loop when the other consumers are
///    computed there too: softmax's row max, read by the sum of exp(x - max) beside it; else recomputed per
///    consumer, as group_norm's mean for its variance, nested one level deeper), and where the program still fits the stack budget (`ResourceBudget`, checked by lowering
///    it as the LLVM target will): a fusion that would push the frames past it moves on to an inner loop with a
///    smaller region, or leaves the producer at the root in the workspace. Not fused: a contraction (rule 3a
///    tiles it as a kernel of its own), and a producer that some consumer reads at the same region on every
///    iteration of an outer loop (it would be recomputed that many times: a batch norm's channel statistics
///    inside the batch loop); such a producer stays at the root for every consumer (no per-consumer copies).
/// 2b. A root sum that reads a tensor with a constant stride along its contiguous axis (`x[n, c, 3 l + 4 k]`, a
///    strided convolution's input), where another output axis reuses each element (the output channels), reads the
///    de-interleaved copy `x.ph` (`deinterleave`), adjacent along that axis, so its vector loads are contiguous.
///    2c. Such a sum whose reads of a reused input can fall outside it (a convolution's zero padding) reads a copy
///    with the border (`pad_input`), in bounds, so its vector loads are not masked per tap; only where the input's
///    rows are short (at most `paddedRowLimit`): on long rows the copy cost more than the masks.
/// 3. For each definition computed at the root: move innermost the variable most loads (and the store) walk
///    contiguously (their last index), accumulating in place when that is an axis of a sum/max/min/prod
///    reduction; vectorize that innermost loop; run the outermost axis loop on the thread pool when there is
///    enough work and the cost model says the thread pool's fork and join pay for themselves (`guardMachine`: a
///    two-core CPU, 100 us per fork and join). A reduction's store does not vote for an axis no load has in its
///    last index (a per-channel sum walked along the channels would read every element a row apart).
///    3a. A contraction (a sum of a product of two loads, each reading an output axis the other lacks) gets a
///    register tile instead (`DefaultCPUContraction.swift`), sized by the machine's vector registers (`machine`:
///    4 x 16 with AVX2, 8 x 32 with AVX-512); a short row of one vector also spans two values of a second output
///    axis that only the column operand reads (a convolution's output row); where the short rows waste lanes that
///    the FMAs saved pay for, the tile is turned across: the other operand's output axis (a convolution's output
///    channels) vectorized, the row and the second axis unrolled (`channelTile`).
///    3b. A window reduction (a load walks the contiguous output axis together with a reduction variable: a
///    depthwise convolution, a pooling window) keeps a tile of accumulators along that axis in registers while the
///    reduction runs over it (`DefaultCPUWindow.swift`).
/// 4. For each producer computed inside a consumer: a reduction whose loads walk one of its axes contiguously and no
///    reduction variable (a mean over a middle axis, `x[b, r, d]`) moves that axis innermost, accumulating in place;
///    then vectorize its innermost loop when a load walks it with unit stride (row statistics: a vectorized sum
///    keeps per-lane partials).
/// Every step is applied as it is chosen and kept only if it is legal, so the result is always a valid trace.
public enum DefaultSchedule {
  /// Bytes in one vector register the schedule targets.
  public static let vectorBytes = 32
  /// Largest region a fused producer may keep per consumer iteration.
  public static let fusedRegionBytes = 256 << 10
  /// Below this much work (points times reduction length), a definition stays on one thread.
  public static let parallelWork = 1 << 15
  /// Rows of a padded input at most this long are copied with their border (rule 2c).
  public static let paddedRowLimit = 256
  /// The machine whose cost model decides whether a parallel loop pays for its fork and join: a CPU of two cores
  /// (the least that a thread pool helps) with the model's default peaks and `cpuForkJoinSeconds`, the same on
  /// every host, so that the default schedule does not depend on the machine that compiles it.
  public static let guardMachine = ScheduleCost.Machine.cpu(cores: 2)

  /// `guardMachine` with the vector registers of the LLVM target that will compile the kernel (`llvmFeatures`, its
  /// feature string: `LLVMTarget.features`), which size rule 3a's register tile. The thread pool's test stays the
  /// same on every host.
  public static func cpuMachine(llvmFeatures: String) -> ScheduleCost.Machine {
    guardMachine.vectorUnit(llvmFeatures: llvmFeatures)
  }

  /// The default CPU schedule for `machine` (its vector registers: rule 3a; its fork and join: rule 3's thread
  /// pool); `guardMachine`, AVX2's registers, unless the caller knows the target (`cpuMachine(llvmFeatures:)`).
  public static func cpu(for kernel: Kernel, machine: ScheduleCost.Machine = guardMachine) -> Trace {
    // Rule 1b's blocks must stay contiguous in the storage the rest of the schedule gives the tensors they read (a
    // producer computed inside a consumer is stored over the consumer's region, whose rows a vectorized consumer
    // rounds up to its vectors: rows of 30 a row of 32 apart). A definition whose block does not is scheduled again
    // without rule 1b.
    var unfused: Set<String> = []
    while true {
      let (trace, scheduled, fused) = cpu(for: kernel, unfused: unfused, machine: machine)
      let broken = fused.filter { !blockStaysContiguous($0.key, fusedAxis: $0.value, in: scheduled) }
      if broken.isEmpty { return trace }
      unfused.formUnion(broken.keys)
    }
  }

  static func cpu(
    for kernel: Kernel, unfused: Set<String>, machine: ScheduleCost.Machine
  ) -> (Trace, Kernel, [String: String]) {
    var k = kernel
    var steps: [Transform] = []
    func attempt(_ t: Transform) -> Bool {
      guard let next = try? t.apply(to: k) else { return false }
      k = next
      steps.append(t)
      return true
    }
    // A parallel loop is kept only where the cost model (`guardMachine`) says the thread pool's fork and join are
    // paid for: otherwise the definition stays on one thread (a few microseconds of work, forked on a loaded
    // machine, cost hundreds).
    func attemptParallel(_ tensor: String, _ loop: String) {
      let serial = k
      guard attempt(.parallel(tensor: tensor, loop: loop)) else { return }
      if ScheduleCost.estimate(k, machine: machine).seconds >= ScheduleCost.estimate(serial, machine: machine).seconds {
        k = serial
        steps.removeLast()
      }
    }
    func isResult(_ name: String) -> Bool { k.results.contains { $0.name == name } }
    func readers(_ name: String) -> [Definition] { k.definitions.filter { $0.name != name && $0.reads(name) } }

    // 0. Triangular sums become scans wherever the rewrite is legal (O(N) instead of O(N^2)).
    for d in kernel.definitions where d.reduction != nil { _ = attempt(.toScan(tensor: d.name)) }
    // 0b. Strided transposed convolutions are split by phase wherever the rewrite is legal (dead taps gone).
    for d in kernel.definitions where d.reduction != nil && !d.phaseGuardedAxes.isEmpty {
      _ = attempt(.phaseSplit(tensor: d.name, axes: d.phaseGuardedAxes))
    }
    // The definitions after the rewrites (a phase split leaves an elementwise interleaving to inline).
    let rewritten = k

    // 1. Inline pointwise elementwise intermediates, and statistic finalizers (one load and at most two float
    // operations: a mean `s[n, g] / K`) into any readers, pointwise or not: re-evaluated per point it costs a
    // division that LLVM hoists, and the readers then read the statistic itself, which rule 2 computes once for
    // all of them (group_norm read its mean through `mean[n, c / CG]` in y and `mean[n, g]` in the variance's
    // sum; kept, the mean's sum was computed twice per image).
    for d in rewritten.definitions where d.reduction == nil && !isResult(d.name) {
      let consumers = readers(d.name)
      guard !consumers.isEmpty else { continue }
      if d.body.loads.count == 1, WorkloadCost.floatOps(d.body, kernel: k, definition: d) <= 2,
        attempt(.inline(tensor: d.name))
      {
        continue
      }
      guard consumers.count <= 2 else { continue }
      // Pointwise: at the consumer's leading axes, or at distinct variables naming every loop of a reduction
      // consumer (layernorm's centred row `xc[m, n]` in the variance's sum over n: each element is computed once
      // either way, and inlined it is never stored; the GPU default's rule 1, the same test).
      // Not where a computed tensor that `d` reads would then be read at a consumer's reduction variable: rule 2
      // could no longer compute it at one of the consumer's loops (cross_entropy_loss's `lse[b]`, a row's max and
      // sum, inlined into the loss's sum over b left both statistics at the root, two passes over the input).
      guard let current = k.definitions.first(where: { $0.name == d.name }) else { continue }
      if consumers.allSatisfy({ inlinesCheaply(current, into: $0) && readsComputedAtOutputs(current, into: $0, in: k) }) {
        _ = attempt(.inline(tensor: d.name))
      }
    }

    // 1b. A reduction whose last two axes every load walks as one row-major block, with a short row, has them fused
    // first (`DefaultCPUFusedRows.swift`): rules 3 and 4 vectorize the fused axis (one contiguous run of the block)
    // where they would have vectorized the row.
    var fusedRows: [String: String] = [:]
    for d in k.definitions where !unfused.contains(d.name) {
      guard let axes = fusedRow(d, in: k), attempt(.fuseAxes(tensor: d.name, loops: axes)),
        let fused = k.definitions.first(where: { $0.name == d.name })?.reduction?.axes.last?.name
      else { continue }
      fusedRows[d.name] = fused
    }

    // 2. Fuse the remaining intermediates into their consumers, last producer first.
    for d in kernel.definitions.reversed() where !isResult(d.name) {
      guard let producer = k.definitions.first(where: { $0.name == d.name }) else { continue }
      // A contraction stays a kernel of its own, register-tiled by rule 3a: computed per consumer row it would be
      // one dot product per output (a gemm's epilogue read it from a row-sized region, k innermost).
      if registerTile(producer, in: k) != nil { continue }
      // The loop of a consumer to compute the producer at: the outermost whose iterations read different regions
      // of it, where the region fits and the program still fits the stack budget; nil: it stays at the root.
      func fusionLoop(_ consumer: String) -> String? {
        guard let current = k.definitions.first(where: { $0.name == consumer }) else { return nil }
        for loop in current.effectiveSchedule.loops where !isReductionLoop(loop.name, of: current) {
          guard let producer = k.definitions.first(where: { $0.name == d.name }),
            let region = try? RegionAnalysis(k).region(of: producer, readBy: current, at: loop.name)
          else { return nil }
          let bytes = region.reduce(producer.dtype.byteSize) { $0 &* $1.extent }
          // Computing at a loop the region does not move with recomputes the same values every iteration.
          let moves = region.contains { $0.start.indexNames.contains(loop.name) }
          if bytes <= fusedRegionBytes, moves {
            let step = Transform.computeAt(tensor: d.name, consumer: consumer, loop: loop.name)
            // Past the stack budget, an inner loop's smaller region may still fit.
            if let next = try? step.apply(to: k), !fitsStack(next) { continue }
            return loop.name
          }
          // Computed inside a loop that reads the same region on every iteration, the producer would be
          // recomputed that many times (a batch norm's channel statistics inside the batch loop: N passes over
          // the whole input per channel); it stays at the root, computed once.
          if !moves, (try? k.maxExtent(loop.name, in: current)) ?? 2 > 1 { return nil }
        }
        return nil
      }
      // A producer that one consumer keeps at the root is stored anyway: copies computed inside the other
      // consumers would only recompute it.
      let consumers = readers(d.name).map(\.name)
      guard consumers.count < 2 || consumers.allSatisfy({ fusionLoop($0) != nil }) else { continue }
      // A host: a consumer at whose fusion loop every other consumer is already computed (softmax's row loop of y,
      // where the sum of exp(x - max) sits beside it). Computed there first, the producer is shared with those
      // siblings (`compute_at`'s sharing), computed once per row; taking the consumers in definition order gave
      // the sibling its own copy first (log_softmax's row max twice, matmul_gelu_softmax's gelu four times).
      let host = consumers.first { c in
        guard let loop = fusionLoop(c) else { return false }
        return consumers.allSatisfy { other in
          guard other != c else { return true }
          guard case .computeAt(let at, let l) = k.definitions.first(where: { $0.name == other })?.effectiveSchedule.placement
          else { return false }
          return at == c && l == loop
        }
      }
      if consumers.count >= 2, let host, let loop = fusionLoop(host),
        attempt(.computeAt(tensor: d.name, consumer: host, loop: loop)),
        case .computeAt = k.definitions.first(where: { $0.name == d.name })?.effectiveSchedule.placement,
        readers(d.name).count == consumers.count
      {
        continue
      }
      for consumer in consumers where readers(d.name).contains(where: { $0.name == consumer }) {
        if let loop = fusionLoop(consumer) {
          _ = attempt(.computeAt(tensor: d.name, consumer: consumer, loop: loop))
        }
      }
    }

    // 2b. A sum that reads a tensor with a stride along its contiguous axis (a strided convolution's input), where
    // other output axes reuse each element (the output channels), reads a de-interleaved copy, adjacent along it.
    for t in stridedCopies(in: k) { _ = attempt(t) }
    // 2c. Such a sum whose reads of a reused input fall outside it (a convolution's zero padding) reads a copy with
    // the border, in bounds: its vector loads are not masked per tap. Only for short rows (at most `paddedRowLimit`
    // elements), where the masked tiles at the row's ends are a large share of it; on long rows the copy costs more
    // than it saves (bench/cpu's conv1d, 8 x 128 x 4096: 37 -> 48 ms on one thread).
    for d in k.definitions where d.effectiveSchedule.placement == .root && d.reduction?.op == .sum {
      for x in Set(d.body.loads.map(\.tensor)).sorted() {
        guard let row = k.tensorType(x)?.shape.last.flatMap({ $0.evaluate(k.dimBindings) }), row <= paddedRowLimit
        else { continue }
        let read = Set(d.body.loads.filter { $0.tensor == x }.flatMap { $0.indices.flatMap(\.indexNames) })
        guard d.axes.contains(where: { !read.contains($0.name) }) else { continue }
        _ = attempt(.padInput(tensor: d.name, input: x))
      }
    }

    // 1c. An elementwise definition at the root whose short rows every load walks as one row-major block with the
    // axis outside them iterates the two as one loop (`DefaultCPUFusedRows.swift`), which rule 3 vectorizes.
    for d in k.definitions {
      guard let axes = fusedParallelRow(d, in: k), attempt(.fuseAxes(tensor: d.name, loops: axes)),
        let fused = k.definitions.first(where: { $0.name == d.name })?.effectiveSchedule.fusion?.variable
      else { continue }
      fusedRows[d.name] = fused
    }

    // 3. Loop order, vectors and threads for the definitions computed at the root.
    for d in k.definitions where d.effectiveSchedule.placement == .root {
      guard let current = k.definitions.first(where: { $0.name == d.name }) else { continue }
      // 3a. A contraction gets a register tile (`DefaultCPUContraction.swift`), all of its steps or none; 3b. a
      // window reduction an accumulator tile along its contiguous axis (`DefaultCPUWindow.swift`).
      if let tile = registerTile(current, in: k, machine: machine) ?? windowTile(current, in: k), let tiled = try? Trace(tile).apply(to: k) {
        k = tiled
        steps += tile
        if let updated = k.definitions.first(where: { $0.name == d.name }),
          let outer = updated.effectiveSchedule.loops.first, let extent = try? k.maxExtent(outer.name, in: updated),
          extent >= 2, work(of: current, in: k) >= parallelWork
        {
          attemptParallel(d.name, outer.name)
        }
        continue
      }
      // A fused row (rule 1b) is contiguous by construction; its div/mod indices are not affine to the vote.
      let contiguous = fusedRows[d.name] ?? contiguousVariable(of: current, in: k)
      var loops = current.effectiveSchedule.loops.map(\.name)
      // A reduction variable moves innermost only past loops of one iteration (`y[m, z] = sum(k) A[m, k] * B[k, z]`
      // with one z: the row reduction along k, not a scalar loop over z).
      let pastSingles = contiguous.map { v in
        loops.drop { $0 != v }.dropFirst().allSatisfy { (try? k.maxExtent($0, in: current)) == 1 }
      } ?? false
      if let v = contiguous, let op = current.reduction?.op, !op.carriesState,
        current.axes.contains(where: { $0.name == v }) || pastSingles, loops.last != v
      {
        loops.removeAll { $0 == v }
        loops.append(v)
        _ = attempt(.reorder(tensor: d.name, loops: loops))
      }
      guard let updated = k.definitions.first(where: { $0.name == d.name }) else { continue }
      let innermost = updated.effectiveSchedule.loops.last?.name
      let width = vectorBytes / max(4, updated.dtype.byteSize)
      if let innermost, innermost == contiguous || updated.reduction == nil,
        let extent = try? k.maxExtent(innermost, in: updated), extent >= width,
        updated.reduction.map({ !$0.op.carriesState }) ?? true
      {
        _ = attempt(.vectorize(tensor: d.name, loop: innermost, width: width))
      }
      guard let vectorized = k.definitions.first(where: { $0.name == d.name }),
        let outer = vectorized.effectiveSchedule.loops.first, !isReductionLoop(outer.name, of: vectorized),
        let outerExtent = try? k.maxExtent(outer.name, in: vectorized), outerExtent >= 2
      else { continue }
      if work(of: vectorized, in: k) >= parallelWork {
        attemptParallel(d.name, outer.name)
      }
    }
    // 4. Producers computed inside a consumer (row statistics): vectorize their innermost loop when it walks
    //    their loads contiguously (a vectorized sum/max/min keeps per-lane partials).
    //    A reduction whose loads walk one of its axes contiguously accumulates in place along it, as at the root
    //    (rule 3): `s[b, d] = sum(r) x[b, r, d]` computed in y's batch loop ran r innermost, a column walk a row
    //    apart per step (reduce_mean_dim1 0.3x torch where reduce_sum_dim1, at the root, was 3x).
    for d in k.definitions {
      // Only where no load walks a reduction variable contiguously (a row reduction stays along its row).
      guard case .computeAt = d.effectiveSchedule.placement, let r = d.reduction, !r.op.carriesState,
        !d.expressions.flatMap(\.loads).contains(where: { l in
          r.axes.contains { l.indices.last?.indexNames.contains($0.name) ?? false }
        }),
        let v = contiguousVariable(of: d, in: k), d.axes.contains(where: { $0.name == v }),
        d.effectiveSchedule.loops.last?.name != v, walksContiguously(d, v, in: k)
      else { continue }
      var loops = d.effectiveSchedule.loops.map(\.name)
      loops.removeAll { $0 == v }
      loops.append(v)
      _ = attempt(.reorder(tensor: d.name, loops: loops))
    }
    for d0 in k.definitions {
      guard let d = k.definitions.first(where: { $0.name == d0.name }) else { continue }
      let width = vectorBytes / max(4, d.dtype.byteSize)
      guard case .computeAt = d.effectiveSchedule.placement,
        let innermost = d.effectiveSchedule.loops.last?.name,
        fusedRows[d.name] == innermost || walksContiguously(d, innermost, in: k),
        d.reduction.map({ !$0.op.carriesState }) ?? true,
        let extent = try? k.maxExtent(innermost, in: d), extent >= width
      else { continue }
      _ = attempt(.vectorize(tensor: d.name, loop: innermost, width: width))
    }
    return (Trace(steps), k, fusedRows)
  }

  /// Whether inlining `d` into `c` recomputes nothing: every read of `d` is pointwise at `c`'s leading axes, or
  /// indexes `d`'s axes with distinct variables that together name every loop of `c` (a reduction's output and
  /// reduction axes: each element is read once). CPU rule 1 and GPU rule 1.
  static func inlinesCheaply(_ d: Definition, into c: Definition) -> Bool {
    let loops = Set(c.axes.map(\.name) + (c.reduction?.axes.map(\.name) ?? []))
    return c.expressions.flatMap(\.loads).filter { $0.tensor == d.name }.allSatisfy { l in
      guard l.indices.count == d.axes.count else { return false }
      if l.indices == c.axes.prefix(l.indices.count).map({ .index($0.name) }) { return true }
      var names: [String] = []
      for i in l.indices {
        guard case .index(let v) = i else { return false }
        names.append(v)
      }
      return Set(names).count == names.count && Set(names) == loops
    }
  }

  /// Whether `d`, inlined into `c`, reads every tensor that the kernel computes (not a parameter) only at `c`'s
  /// output axes, never at one of its reduction variables, so that rule 2 can still compute it inside `c`. A
  /// contraction does not count: rule 2 leaves it at the root, register-tiled (rule 3a), wherever it is read
  /// (conv2d_gelu_global_avg_pool's bias add `h = conv + cb[f]` in the pool's sum over (i, j) was kept and copied
  /// per image, a pass over the convolution's output for nothing).
  static func readsComputedAtOutputs(_ d: Definition, into c: Definition, in k: Kernel) -> Bool {
    let reductionVariables = Set(c.reduction?.axes.map(\.name) ?? [])
    guard !reductionVariables.isEmpty else { return true }
    let computed = Set(k.definitions.filter { registerTile($0, in: k) == nil }.map(\.name))
    for read in c.expressions.flatMap(\.loads) where read.tensor == d.name {
      var at: [String: Set<String>] = [:]
      for (axis, index) in zip(d.axes, read.indices) { at[axis.name] = index.indexNames }
      for load in d.expressions.flatMap(\.loads) where computed.contains(load.tensor) {
        let names = load.indices.reduce(into: Set<String>()) { $0.formUnion($1.indexNames.flatMap { at[$0] ?? [$0] }) }
        if !names.isDisjoint(with: reductionVariables) { return false }
      }
    }
    return true
  }

  /// Whether `kernel` lowers to loops within the stack budget: the lowering's own check (`ResourceBudget`), so
  /// that the default schedule and the LLVM target agree on one limit. Other lowering errors are not this
  /// question's to answer (the step stays subject to them as before).
  static func fitsStack(_ kernel: Kernel) -> Bool {
    do {
      _ = try LowerToLoops.lower(kernel)
      return true
    } catch {
      return !error.diagnostics.contains { $0.id == ResourceBudget.stackTooLarge }
    }
  }

  static func isReductionLoop(_ loop: String, of d: Definition) -> Bool {
    let root = Kernel.rootVariable(of: loop, in: d.effectiveSchedule)
    return d.reduction?.axes.contains { $0.name == root } ?? false
  }

  /// The index variable that the store and most loads use as their last (contiguous) index. A load's last index
  /// votes for every variable it walks with unit stride (`x[n, c, l + k - 1]` votes for l and k: a convolution's
  /// window is contiguous in both).
  static func contiguousVariable(of d: Definition, in kernel: Kernel) -> String? {
    var votes: [String: Int] = [:]
    let affine = RegionAnalysis(kernel)
    // In a reduction, a load that reads no reduction variable (a statistic `m[c]` in `sum (x[n, c, q] - m[c])^2`)
    // is the same on every step: read once per output point, walking it contiguously saves nothing, so it does
    // not vote (it outvoted the input's q in batch_norm2d's variance once the mean was inlined, and the sum ran
    // along c, a plane apart per step).
    let reductionVariables = Set(d.reduction?.axes.map(\.name) ?? [])
    let loads = d.expressions.flatMap(\.loads).filter { load in
      reductionVariables.isEmpty || load.indices.contains { !$0.indexNames.isDisjoint(with: reductionVariables) }
    }
    for load in loads {
      guard let last = load.indices.last else { continue }
      if case .index(let v) = last {
        votes[v, default: 0] += 1
      } else if let terms = affine.affineTerms(last) {
        for (v, c) in terms where c == 1 || c == -1 { votes[v, default: 0] += 1 }
      }
    }
    // The store votes too, except in a reduction for an axis that no load has in its last index: vectorizing it
    // would read every operand a row apart (a per-channel sum `s[c] = sum(n, q) x[n, c, q]` walked along c).
    let inLastIndex = loads.contains { $0.indices.last?.indexNames.contains(d.axes.last?.name ?? "") ?? false }
    if let last = d.axes.last, d.reduction == nil || inLastIndex { votes[last.name, default: 0] += 1 }
    // Ties go to an axis over a reduction variable (vectorizing an axis accumulates in place, the i-k-j order of
    // a contraction), then to the variable that comes last in the loop nest (keeps the natural order).
    let order = d.effectiveSchedule.loops.map { Kernel.rootVariable(of: $0.name, in: d.effectiveSchedule) }
    let axes = Set(d.axes.map(\.name))
    // A loop of one iteration is nothing to walk.
    votes = votes.filter { (try? kernel.maxExtent($0.key, in: d)) != 1 }
    return votes.max { a, b in
      if a.value != b.value { return a.value < b.value }
      let aAxis = axes.contains(a.key)
      let bAxis = axes.contains(b.key)
      if aAxis != bAxis { return bAxis }
      return (order.lastIndex(of: a.key) ?? -1) < (order.lastIndex(of: b.key) ?? -1)
    }?.key
  }

  /// Whether some load of `d` has `variable` in its last index with unit stride (and none walks it with another
  /// stride there), so that vectorizing `variable` reads contiguous memory.
  static func walksContiguously(_ d: Definition, _ variable: String, in kernel: Kernel) -> Bool {
    let affine = RegionAnalysis(kernel)
    var unit = false
    for load in d.expressions.flatMap(\.loads) {
      guard let last = load.indices.last, let c = affine.affineTerms(last)?[variable] else { continue }
      if c == 1 || c == -1 { unit = true } else { return false }
    }
    return unit
  }

  /// Points of the definition times the length of its reduction (a rough count of work). A reduction axis whose
  /// bounds read data (a bag `j in offsets[b] .. offsets[b + 1]`, a jagged row) counts as length 1, as the cost
  /// model counts it (`WorkloadCost`: a lower bound): its length is the data's, and guessed long (64 before) it
  /// sent embedding_bag's 64 bags of 16 lanes, one lookup each, to the thread pool, whose fork and join cost 400 us
  /// on a loaded 2-core machine against 1 us of work (470x the unscheduled kernel). Erring low keeps a jagged
  /// kernel with few points on one thread, a loss of at most the core count.
  static func work(of d: Definition, in k: Kernel) -> Int {
    let s = d.effectiveSchedule
    let dataBounded = Set(
      (d.reduction?.axes ?? []).filter { !$0.lowerBound.loads.isEmpty || !$0.upperBound.loads.isEmpty }
        .map(\.name))
    var total = 1
    for l in s.loops where !dataBounded.contains(Kernel.rootVariable(of: l.name, in: s)) {
      total = total &* max(1, (try? k.maxExtent(l.name, in: d)) ?? 64)
    }
    return total
  }
}

extension DefaultSchedule {
  /// Rule 2b (CPU) and GPU rule D (sketch `deinterleaved`): for each sum computed at the root that reads a tensor
  /// with a constant stride along its contiguous output axis (`x[n, c, 3 l + 4 k]`, a strided convolution's input),
  /// where another output axis reuses each element it reads (the output channels), the `deinterleave` that makes
  /// it read a copy adjacent along that axis. Each is legal on its own; apply them in order, keeping those that apply.
  static func stridedCopies(in k: Kernel) -> [Transform] {
    var out: [Transform] = []
    for d in k.definitions where d.effectiveSchedule.placement == .root && d.reduction?.op == .sum {
      guard let column = d.axes.last?.name else { continue }
      for x in d.stridedInputs(along: column) {
        let read = Set(d.body.loads.filter { $0.tensor == x }.flatMap { $0.indices.flatMap(\.indexNames) })
        guard d.axes.contains(where: { !read.contains($0.name) }) else { continue }
        out.append(.deinterleave(tensor: d.name, input: x, axis: column))
      }
    }
    return out
  }
}
