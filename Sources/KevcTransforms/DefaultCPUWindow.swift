import KevcBasic
import KevcIR

/// The CPU default's accumulator tile for a window reduction (rule 3b of `DefaultSchedule.cpu`): a root sum, max or
/// min whose contiguous variable is an output axis that some load walks together with a reduction variable in its
/// last index (`x[n, c, i + p, j + q]`: a depthwise convolution, a pooling window) keeps one tile of accumulators
/// along that axis in registers while the whole reduction runs over it; recognised by its index pattern only.
///
/// Rule 3 alone vectorizes the contiguous axis innermost with the reduction loops outside it, so every tap loads and
/// stores the output row in memory (one accumulator pass over the row per tap: conv_depthwise2d 16 x 32 x 64 x 64,
/// 3 x 3, 8.0 ms on one thread of the 2-core EPYC). Here the axis is split into tiles of two vectors, the tile's
/// accumulator is cached at the tile loop (`cache(y, j.o, local)`), the reduction runs outside the tile inside it
/// (`reorder(y.acc, [..., p, q, j])`), and the copy-out is vectorized: 1.1 ms. It is the contraction's register tile
/// (`DefaultCPUContraction.swift`) without rows: there is no operand to broadcast along an output axis the window
/// lacks. Tiles at an edge are versioned by the LLVM target (`FullTiles`).
///
/// Before (`y[n, c, i, j] = sum(p, q) x[n, c, i + p, j + q] * w[c, 0, p, q]`):
/// ```
///   schedule split(j, j.o, j.i, 8) loops(n, c, i, p, q, j.o, j.i: vectorize(8)) root
/// ```
/// After:
/// ```
/// %y.acc: ... schedule split(j, j.o, j.i, 16) loops(n, c, i, p, q, j.o, j.i: vectorize(16)) at(%y, j.o) store(local)
/// %y: ...     schedule split(j, j.o, j.i, 16) ... loops(n: parallel, c, i, j.o, j.i...: vectorize(16)) root
/// ```
extension DefaultSchedule {
  /// The steps that give the window reduction `d` an accumulator tile along its contiguous axis, or nil when `d` is
  /// not such a reduction (the steps are checked by the caller as it applies them).
  static func windowTile(_ d: Definition, in k: Kernel) -> [Transform]? {
    guard let r = d.reduction, !r.op.carriesState, d.effectiveSchedule.placement == .root,
      r.op == .sum || r.op == .max || r.op == .min,
      r.axes.allSatisfy({ $0.lowerBound.indexNames.isEmpty && $0.upperBound.indexNames.isEmpty }),
      let column = contiguousVariable(of: d, in: k), d.axes.contains(where: { $0.name == column })
    else { return nil }
    // The window: a load whose last index walks the column together with a reduction variable.
    let reductionNames = Set(r.axes.map(\.name))
    let affine = RegionAnalysis(k)
    let window = d.expressions.flatMap(\.loads).contains { l in
      guard let last = l.indices.last, let terms = affine.affineTerms(last), terms[column] == 1 else { return false }
      return terms.contains { reductionNames.contains($0.key) && $0.value != 0 }
    }
    let width = vectorBytes / max(4, d.dtype.byteSize)
    guard window, let extent = try? k.maxExtent(column, in: d), extent >= width else { return nil }
    let columns = extent >= tileVectors * width ? tileVectors * width : width
    let loops = d.effectiveSchedule.loops.map(\.name)
    let others = loops.filter { $0 != column && !isReductionLoop($0, of: d) }
    let reductions = loops.filter { isReductionLoop($0, of: d) }
    let acc = d.name + ".acc"
    return [
      .split(tensor: d.name, loop: column, factor: columns),
      .reorder(tensor: d.name, loops: others + [column + ".o", column + ".i"] + reductions),
      .cache(tensor: d.name, loop: column + ".o", scope: .local),
      .reorder(tensor: acc, loops: others + reductions + [column]),
      .vectorize(tensor: acc, loop: column, width: columns),
      .vectorize(tensor: d.name, loop: column + ".i", width: columns),
    ]
  }
}
