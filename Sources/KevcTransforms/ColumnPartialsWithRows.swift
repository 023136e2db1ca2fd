import KevcIR

/// Rule 2c of the default GPU schedule: a column reduction over the rows of a row kernel's inputs, computed in the
/// same pass over the rows (issue 16's `compute_with`).
///
/// The pattern: an elementwise root definition `D[m, n]` and a root reduction `R[a] = op(r) f(T[r, a], ...)` over
/// one axis, reading some input `T` the same way (`D` at `[m, n]`, `R` at `[r, a]`, the row axis and the reduced
/// axis of equal extents, `n` and `a` too), neither reading the other: a norm's backward (`dx` rows beside
/// `dweight[n] = sum(m) dy[m, n] * xhat[m, n]`), any fused chain that writes rows and sums their columns. As
/// kernels of their own each reads the rows of `T` from memory; in one pass each program takes rows
/// `m.i, m.i + P, ...` (`split(D, m, P)`, the program index `m.i`), computes the row's statistics (`compute_at` at
/// `m.o`), writes its row of `D` and adds the row into a register accumulator of `R`'s partial, `rfactor(R, r, P)`
/// by the same program index (`R.rf[a, m.i]`), fused into `D`'s loop over its rows
/// (`compute_with(R.rf, D, m.o)`): one launch, each row read once. `R` then sums the P partials per column.
///
/// P is `GPUCapability.programsToFill` (two programs per multiprocessor), each program keeping at least 4 rows. The
/// rows must fit one program whole (`gpuWholeReduction` lanes: the statistics and the partial row in registers).
/// Taken where the cost model (`ScheduleCost.estimate`) prices the whole default so below the default without it
/// (`GPUSketch.ColumnPartials.byCost`; the two forms are compared in `gpu(for:capability:sketch:)`).
///
/// Before (the default without the rule, rmsnorm backward; `_r0`, `_r1` its row statistics, `_r2` dw's sum):
/// ```
/// %_r0: ... root                                      (reads x)
/// %dx: ... loops(m: bind(grid.x), n: bind(block.x))   (reads dy, x, w; _r1 and a copy of _r0 inside)
/// %_r2.rf: ... loops(n.o: bind(grid.x), m.i: bind(grid.y), m.o.o, m.o.i: bind(block.y), n.i: bind(block.x))
///                                                     (reads dy, x and _r0 again)
/// ```
/// After (rule 2c, P = 608 at 8192 x 4096 on `portable`):
/// ```
/// %dx: ... split(m, m.o, m.i, 608) loops(m.i: bind(grid.x), m.o, n: bind(block.x))   (_r1, _r0.dx at m.o)
/// %_r2.rf: ... loops(m.i: bind(grid.x), m.o, n: bind(block.x)) compute_with(%dx, m.o)  (_r0 at m.o)
/// ```
extension DefaultSchedule {
  /// A row definition and a column reduction over the same rows (`row` computed row by row over `rowAxis`,
  /// `column` reducing `reducedAxis` of equal extent).
  struct RowsAndColumns: Hashable {
    let row: String
    let column: String
    let rowAxis: String
    let reducedAxis: String
    let rows: Int
  }

  /// Every pair of rule 2c's pattern in `k` (definitions not yet scheduled).
  static func rowsAndColumnReductions(_ k: Kernel) -> [RowsAndColumns] {
    func ext(_ loop: String, _ d: Definition) -> Int? { try? k.maxExtent(loop, in: d) }
    let params = Set(k.params.map(\.name))
    var out: [RowsAndColumns] = []
    for r in k.definitions {
      guard let red = r.reduction, red.axes.count == 1, !red.op.carriesState, r.axes.count == 1, r.schedule == nil,
        r.effectiveSchedule.placement == .root
      else { continue }
      let reduced = red.axes[0].name
      let column = r.axes[0].name
      for d in k.definitions {
        guard d.reduction == nil, d.axes.count == 2, d.schedule == nil, d.effectiveSchedule.placement == .root,
          !d.reads(r.name), !r.reads(d.name)
        else { continue }
        let (m, n) = (d.axes[0].name, d.axes[1].name)
        let rowReads = d.body.loads.filter { params.contains($0.tensor) }
        let columnReads = r.body.loads.filter { params.contains($0.tensor) }
        let shared = Set(rowReads.map(\.tensor)).intersection(columnReads.map(\.tensor))
        // The same element of each shared input: [m, n] in the row, [r, a] in the column reduction.
        guard !shared.isEmpty,
          rowReads.filter({ shared.contains($0.tensor) }).allSatisfy({ $0.indices == [.index(m), .index(n)] }),
          columnReads.filter({ shared.contains($0.tensor) }).allSatisfy({ $0.indices == [.index(reduced), .index(column)] })
        else { continue }
        guard let rows = ext(m, d), rows == ext(reduced, r), let width = ext(n, d), width == ext(column, r),
          nextPow2(width) <= gpuWholeReduction
        else { continue }
        out.append(RowsAndColumns(row: d.name, column: r.name, rowAxis: m, reducedAxis: reduced, rows: rows))
        break
      }
    }
    return out
  }

  /// Rule 2c on every pair it applies to (all steps or none per pair). Returns the definitions it scheduled (the
  /// row definitions and the partials: rule 4 leaves them; their statistics are left to rule 5) and the column
  /// reductions and partials (rule 2 leaves them).
  static func columnPartialsWithRows(
    _ capability: GPUCapability, _ k: inout Kernel, _ steps: inout [Transform]
  ) -> (scheduled: Set<String>, unsplit: Set<String>) {
    var scheduled: Set<String> = []
    var unsplit: Set<String> = []
    // Per row definition once its first pair is applied: the kernel's leader and its loop over the rows (every
    // further partial is computed with it), and the programs.
    var leaders: [String: (name: String, loop: String, programs: Int)] = [:]
    for pair in rowsAndColumnReductions(k) {
      let programs = leaders[pair.row]?.programs ?? min(capability.programsToFill, pair.rows / 4)
      guard programs >= 2 else { continue }
      var trial = k
      var local: [Transform] = []
      func attempt(_ t: Transform) -> Bool { DefaultSchedule.attempt(t, &trial, &local) }
      func current(_ name: String) -> Definition? { trial.definitions.first { $0.name == name } }
      func position(_ name: String) -> Int { trial.definitions.firstIndex { $0.name == name } ?? Int.max }
      let before = Set(k.definitions.map(\.name))
      guard attempt(.rfactor(tensor: pair.column, loop: pair.reducedAxis, factor: programs)),
        let partial = trial.definitions.first(where: { !before.contains($0.name) && $0.reduction != nil }),
        let partialReduction = partial.reduction?.axes.first?.name, let partialIndex = partial.axes.last?.name,
        let partialColumn = partial.axes.first?.name,
        attempt(.reorder(tensor: partial.name, loops: [partialIndex, partialReduction, partialColumn]))
      else { continue }
      // The statistics of each, computed at its loop over the rows (the row's first: a statistic both read is
      // copied into the row definition, the original goes into the partials).
      func statistics(of d: String, readAt names: Set<String>) -> [String] {
        guard let c = current(d) else { return [] }
        return trial.definitions.filter { p in
          guard p.reduction != nil, p.effectiveSchedule.placement == .root, p.name != d, c.reads(p.name),
            !trial.results.contains(where: { $0.name == p.name })
          else { return false }
          return c.expressions.flatMap(\.loads).filter { $0.tensor == p.name }
            .allSatisfy { $0.indices.allSatisfy { $0.indexNames.isSubset(of: names) } }
        }.map(\.name).reversed()
      }
      var ok = true
      // The row definition, the first time: each program's rows `m.i, m.i + P, ...`, its statistics per row.
      var leader = leaders[pair.row]
      if leader == nil {
        guard attempt(.split(tensor: pair.row, loop: pair.rowAxis, factor: programs)),
          let split = current(pair.row)?.effectiveSchedule.splits.first(where: { $0.variable == pair.rowAxis }),
          let lane = current(pair.row)?.axes.last?.name,
          attempt(.reorder(tensor: pair.row, loops: [split.inner, split.outer, lane]))
        else { continue }
        for p in statistics(of: pair.row, readAt: [pair.rowAxis, split.outer, split.inner]) where ok {
          ok = attempt(.computeAt(tensor: p, consumer: pair.row, loop: split.outer))
        }
        let width = current(pair.row).flatMap { try? trial.maxExtent(lane, in: $0) } ?? 1
        guard ok, attempt(.bind(tensor: pair.row, loop: split.inner, dimension: .gridX)),
          attempt(.bind(tensor: pair.row, loop: lane, dimension: .blockX))
        else { continue }
        // One launch, the earlier definition's, its warps from the row's block (rule 4's), at most 8: each program
        // keeps a row and a row of column partials live across its loop of rows: 8 warps ran faster than 16 and 4
        // (H100, 4096-wide rows, rmsnorm and layernorm backward: 1.1x over 16 at the portable 608 programs, about
        // the same at cuda:90's 264; bench/gpu/ab-call6-h100-2026-12-07/).
        let rowFirst = position(pair.row) < position(partial.name)
        leader = rowFirst ? (pair.row, split.outer, programs) : (partial.name, partialReduction, programs)
        let rowWarps = min(8, warps(forLaneElements: nextPow2(width)))
        guard let l = leader, attempt(.launch(tensor: l.name, warps: rowWarps, stages: 2)) else {
          continue
        }
      }
      for p in statistics(of: partial.name, readAt: [partialIndex, partialReduction]) where ok {
        ok = attempt(.computeAt(tensor: p, consumer: partial.name, loop: partialReduction))
      }
      guard ok, let l = leader, attempt(.bind(tensor: partial.name, loop: partialIndex, dimension: .gridX)),
        attempt(.bind(tensor: partial.name, loop: partialColumn, dimension: .blockX))
      else { continue }
      // Every other definition of the kernel computed with the leader, at its loop over the rows.
      if l.name == partial.name {
        guard attempt(.computeWith(tensor: pair.row, sibling: partial.name, loop: partialReduction)) else { continue }
      } else {
        guard position(l.name) < position(partial.name),
          attempt(.computeWith(tensor: partial.name, sibling: l.name, loop: l.loop))
        else { continue }
      }
      // Each program's partial row stored contiguously (`[m.i, a]`): the program writes its row at once (stored
      // `[a, m.i]`, each of its N values would land P elements apart), and the combine reads rows of partials.
      guard partial.axes.count == 2, attempt(.layout(tensor: partial.name, permutation: [1, 0])) else { continue }
      // The combine tiled as rule 4 tiles a reduction over a non-contiguous axis: 64 columns a program (`block.x`),
      // 128 partials a step (`block.y`), inside its one elementwise reader (a cast to the result's type) when it
      // has one: the partials are read once, in contiguous rows of 64. (If this fails, rule 4 schedules the combine.)
      var combined: Set<String> = []
      let readers = trial.definitions.filter { $0.name != pair.column && $0.reads(pair.column) }
      if let c = current(pair.column), let sum = c.reduction?.axes.first?.name, let column = c.axes.first?.name {
        var inner = trial
        var more: [Transform] = []
        func also(_ t: Transform) -> Bool { DefaultSchedule.attempt(t, &inner, &more) }
        let block = 64
        let partials = gpuLaneBudget / block
        var host = pair.column
        var ok = true
        if let e = readers.first, readers.count == 1, e.reduction == nil, e.axes.count == 1,
          e.expressions.flatMap(\.loads).filter({ $0.tensor == pair.column }).allSatisfy({ $0.indices == [.index(e.axes[0].name)] })
        {
          host = e.name
          let a = e.axes[0].name
          ok = also(.split(tensor: e.name, loop: a, factor: block)) && also(.bind(tensor: e.name, loop: a + ".o", dimension: .gridX))
            && also(.bind(tensor: e.name, loop: a + ".i", dimension: .blockX))
            && also(.computeAt(tensor: pair.column, consumer: e.name, loop: a + ".o"))
            && also(.bind(tensor: pair.column, loop: column, dimension: .blockX))
        } else {
          ok = also(.split(tensor: pair.column, loop: column, factor: block))
            && also(.bind(tensor: pair.column, loop: column + ".o", dimension: .gridX))
            && also(.bind(tensor: pair.column, loop: column + ".i", dimension: .blockX))
        }
        if ok, programs > partials {
          ok = also(.split(tensor: pair.column, loop: sum, factor: partials)) && also(.bind(tensor: pair.column, loop: sum + ".i", dimension: .blockY))
        } else if ok {
          ok = also(.bind(tensor: pair.column, loop: sum, dimension: .blockY))
        }
        if ok, also(.launch(tensor: host, warps: 4, stages: 2)) {
          trial = inner
          local += more
          combined = [host, pair.column]
        }
      }
      k = trial
      steps += local
      leaders[pair.row] = l
      scheduled.formUnion([pair.row, partial.name])
      scheduled.formUnion(combined)
      unsplit.formUnion([pair.column, partial.name])
    }
    return (scheduled, unsplit)
  }
}
