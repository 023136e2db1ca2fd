import KevcBasic
import KevcIR

/// The CPU default's fused rows (rule 1b of `DefaultSchedule.cpu`): a reduction whose last two reduction axes every
/// load that reads them walks as one row-major contiguous block (they are the load's last two indices, in declared
/// order, each exactly the variable, the row spanning its tensor dimension), with an innermost row
/// shorter than `fusedRowVectors` vectors and not a multiple of the vector width, gets those axes fused
/// (`fuse_axes`) before any other transform of it; rules 3 and 4 then vectorize the fused axis, one contiguous run
/// of the block's length instead of a short row per outer step.
///
/// A short row vectorized by itself runs a few vectors and a scalar remainder per row (30 = 3 x 8 + 6: a fifth of
/// the elements scalar, an exact GELU's `erf` on each), and the LLVM target keeps such a row of a multi-axis sum a
/// loop interleaved by up to four vectors, whose vector body a row of 30 (24 per interleaved step) runs once. Fused,
/// the remainder comes once per block (420 = 52 x 8 + 4) and the row loop's overhead goes. The fused axis reads
/// `x[n, c, v / J, v % J]`, which LLVM folds back to a linear address (one division per vector step, wide loads).
///
/// Recognised from the index pattern and the tensor's shape only: a load that reads the axes anywhere else (a
/// transposed read `x[j, i]`, a window `x[i + p]`, a value use of the index) or a row that is a multiple of the width
/// (nothing to gain) leaves the reduction as it is. Contractions keep their register tile (rule 3a). Nor where the
/// finished schedule stores a tensor the block reads with gaps (`blockStaysContiguous`: a producer computed inside a
/// consumer vectorized along the row is stored over rows rounded up to whole vectors).
///
/// Before (`y[n, c] = sum(i, j) x[n, c, i, j]`, rows of 30):
/// ```
///   %y: f32[n < N, c < C] = sum<f32> [i in 0 .. $H, j in 0 .. $W] %x[n, c, i, j]
///   schedule split(j, j.o, j.i, 8) loops(n, c, i, j.o, j.i: vectorize(8)) root
/// ```
/// After (`fuse_axes(y, [i, j])`, `vectorize(y, i.j, 8)`):
/// ```
///   %y: f32[n < N, c < C] = sum<f32> [i.j in 0 .. ($H * $W)] %x[n, c, (i.j / $W), (i.j % $W)]
///   schedule split(i.j, i.j.o, i.j.i, 8) loops(n, c, i.j.o, i.j.i: vectorize(8)) root
/// ```
extension DefaultSchedule {
  /// A row shorter than this many vectors is short: its remainder and loop overhead are a large share of it.
  public static let fusedRowVectors = 16

  /// The last two reduction axes of `d` to fuse (the row last), or nil when rule 1b does not apply.
  static func fusedRow(_ d: Definition, in k: Kernel) -> [String]? {
    guard let r = d.reduction, !r.op.carriesState, r.axes.count >= 2, d.effectiveSchedule.placement == .root,
      d.schedule == nil || d.schedule == .natural(for: d), registerTile(d, in: k) == nil,
      let row = r.axes.last, k.constantValue(row.lowerBound) == 0, let rowExtent = k.constantValue(row.upperBound)
    else { return nil }
    let width = vectorBytes / max(4, d.dtype.byteSize)
    guard rowExtent % width != 0, rowExtent < fusedRowVectors * width,
      contiguousVariable(of: d, in: k) == row.name, walksContiguously(d, row.name, in: k)
    else { return nil }
    // Uses of each reduction variable anywhere in the definition (body, other elements, bounds).
    var uses: [String: Int] = [:]
    for e in d.expressions { e.forEach { if case .index(let v) = $0 { uses[v, default: 0] += 1 } } }
    let loads = d.expressions.flatMap(\.loads)
    // The block: the row and the axis outside it, where every load that reads their variables has them as its last
    // indices and the row spans its dimension whole (so that the two are one contiguous run).
    func matches(_ candidate: [ReductionAxis]) -> Bool {
      let names = Set(candidate.map(\.name))
      var pattern = 0
      for load in loads where !load.indices.allSatisfy({ $0.indexNames.isDisjoint(with: names) }) {
        guard load.indices.count >= candidate.count, let shape = k.tensorType(load.tensor)?.shape,
          shape.count == load.indices.count
        else { return false }
        let tail = Array(load.indices.suffix(candidate.count))
        for (t, axis) in candidate.enumerated() {
          guard case .index(let v) = tail[t], v == axis.name else { return false }
        }
        // Every axis but the outermost spans its dimension: lower bound 0, extent the tensor's.
        for (t, axis) in candidate.enumerated().dropFirst() {
          guard let extent = shape[shape.count - candidate.count + t].evaluate(k.dimBindings),
            k.constantValue(axis.upperBound) == extent
          else { return false }
        }
        pattern += candidate.count
      }
      // No other use of the block's variables (another index of a load, a value, a bound).
      return pattern > 0 && pattern == names.reduce(0) { $0 + (uses[$1] ?? 0) }
    }
    // Two axes at most: LLVM folds the fused address `(v / J) * J + v % J` back to `v` (wide loads), not that of a
    // deeper block (`v / (I J)`, `(v / J) % I`, `v % J`: vector divisions and gathers, 2x slower than the short rows
    // on conv3d_group_norm_mean's (d, i, j) statistics; bench/kernelbench/cpu-results-fused-rows.md).
    guard let axis = r.axes.dropLast().last, k.constantValue(axis.lowerBound) != nil,
      k.constantValue(axis.upperBound) != nil, matches([axis, row])
    else { return nil }
    return [axis.name, row.name]
  }

  /// Whether every tensor that `name`'s fused axis reads (`x[..., v / J, v % J]`) is stored with those dimensions
  /// whole, so that the block is still one contiguous run: an input or a definition at the root is stored at its
  /// shape; a producer computed inside a consumer over the region the consumer reads (`RegionAnalysis`, as the
  /// lowering sizes its buffer), which must span each dimension the fused axis reads but the outermost.
  static func blockStaysContiguous(_ name: String, fusedAxis: String, in k: Kernel) -> Bool {
    guard let d = k.definitions.first(where: { $0.name == name }) else { return true }
    for load in d.expressions.flatMap(\.loads) {
      let read = load.indices.enumerated().filter { $0.element.indexNames.contains(fusedAxis) }.map(\.offset)
      guard let producer = k.definitions.first(where: { $0.name == load.tensor }),
        case .computeAt(let consumerName, let loop) = producer.effectiveSchedule.placement,
        let outermost = read.first
      else { continue }
      guard let consumer = k.definitions.first(where: { $0.name == consumerName }),
        let region = try? RegionAnalysis(k).region(of: producer, readBy: consumer, at: loop),
        let shape = k.tensorType(producer.name)?.shape, region.count == shape.count
      else { return false }
      for dim in read where dim != outermost {
        guard dim < shape.count, region[dim].extent == shape[dim].evaluate(k.dimBindings) else { return false }
      }
    }
    return true
  }
}
