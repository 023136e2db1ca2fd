import KevcBasic
import KevcIR

/// The CPU default's fused rows (rule 1b of `DefaultSchedule.cpu`): a reduction whose last two reduction axes every
/// load that reads them walks as one row-major contiguous block (they are the load's last two indices, in declared
/// order, each exactly the variable, the row spanning its tensor dimension), with an innermost row
/// shorter than `fusedRowVectors` vectors, gets those axes fused
/// (`fuse_axes`) before any other transform of it; rules 3 and 4 then vectorize the fused axis, one contiguous run
/// of the block's length instead of a short row per outer step.
///
/// A short row vectorized by itself runs a few vectors and a scalar remainder per row (30 = 3 x 8 + 6: a fifth of
/// the elements scalar, an exact GELU's `erf` on each), and the LLVM target keeps such a row of a multi-axis sum a
/// loop interleaved by up to four vectors, whose vector body a row of 30 (24 per interleaved step) runs once. Fused,
/// the remainder comes once per block (420 = 52 x 8 + 4) and the row loop's overhead goes. The fused axis reads
/// `x[n, c, v / J, v % J]`, which LLVM folds back to a linear address (one division per vector step, wide loads).
/// A row of whole vectors gains too: LLVM summed each row (4 vectors of group_norm's rows of 32) into one vector
/// and reduced it across lanes into the scalar accumulator, a chain of dependent adds and shuffles per row; fused,
/// the run keeps interleaved vector accumulators and reduces across lanes once per block.
///
/// Recognised from the index pattern and the tensor's shape only: a load that reads the axes anywhere else (a
/// transposed read `x[j, i]`, a window `x[i + p]`, a value use of the index) or a long row leaves the reduction as it
/// is. Contractions keep their register tile (rule 3a). Nor where the finished schedule stores a tensor the block
/// reads with gaps (`blockStaysContiguous`: a producer computed inside a consumer vectorized along the row is stored
/// over rows rounded up to whole vectors).
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
    guard rowExtent < fusedRowVectors * width,
      contiguousVariable(of: d, in: k) == row.name, walksContiguously(d, row.name, in: k)
    else { return nil }
    // Two axes at most: LLVM folds the fused address `(v / J) * J + v % J` back to `v` (wide loads), not that of a
    // deeper block (`v / (I J)`, `(v / J) % I`, `v % J`: vector divisions and gathers, 2x slower than the short rows
    // on conv3d_group_norm_mean's (d, i, j) statistics; bench/kernelbench/cpu-results-fused-rows.md).
    guard let axis = r.axes.dropLast().last, k.constantValue(axis.lowerBound) != nil,
      k.constantValue(axis.upperBound) != nil, walksBlock(d, [(axis.name, nil), (row.name, rowExtent)], in: k)
    else { return nil }
    return [axis.name, row.name]
  }

  /// Whether every load of `d` that reads the block's variables (outermost first, each with the extent it spans, nil
  /// for the outermost) walks them as one row-major contiguous run: they are the load's last indices, each exactly
  /// the variable, in that order, every one but the outermost spanning its tensor dimension whole; and `d` uses the
  /// variables nowhere else (another index of a load, a value, a bound). Rule 1b's block and rule 1c's rows.
  static func walksBlock(_ d: Definition, _ block: [(name: String, extent: Int?)], in k: Kernel) -> Bool {
    // Uses of each variable anywhere in the definition (body, other elements, bounds).
    var uses: [String: Int] = [:]
    for e in d.expressions { e.forEach { if case .index(let v) = $0 { uses[v, default: 0] += 1 } } }
    let names = Set(block.map(\.name))
    var pattern = 0
    for load in d.expressions.flatMap(\.loads) where !load.indices.allSatisfy({ $0.indexNames.isDisjoint(with: names) }) {
      guard load.indices.count >= block.count, let shape = k.tensorType(load.tensor)?.shape,
        shape.count == load.indices.count
      else { return false }
      let tail = Array(load.indices.suffix(block.count))
      for (t, axis) in block.enumerated() {
        guard case .index(let v) = tail[t], v == axis.name else { return false }
      }
      // Every axis but the outermost spans its dimension.
      for (t, axis) in block.enumerated().dropFirst() {
        guard let extent = shape[shape.count - block.count + t].evaluate(k.dimBindings), axis.extent == extent
        else { return false }
      }
      pattern += block.count
    }
    // No other use of the block's variables.
    return pattern > 0 && pattern == names.reduce(0) { $0 + (uses[$1] ?? 0) }
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

/// Rule 1c of `DefaultSchedule.cpu`, the fused rows of an elementwise definition: where its body applies a math
/// function computed as a polynomial (`appliesMathFunction`: the scalar remainder is costly) and its last axis is a
/// short contiguous row (under `fusedRowVectors` vectors, not a multiple of the vector width) that every load reading the
/// last two axes walks with the axis outside it as one row-major block (`walksBlock`, rule 1b's test), the two
/// axes are iterated as one loop (the loop form of `fuse_axes`), which rule 3 vectorizes: one run of `I * J` with
/// one remainder, where the row alone ran a few vectors and a scalar remainder per row. Decided after rule 2 places
/// the producers: only for a definition at the root with its storage in natural order, inside which nothing is
/// computed (a producer's region in a fused loop is not affine), reading only inputs and root definitions stored in
/// natural order (so that the block is contiguous in what is read, as in what is written), and with an axis outside
/// the pair, for rule 3's thread pool.
///
/// Before (`y[n, i, j] = gelu(x[n, i, j])`, rows of 30):
/// ```
///   schedule split(j, j.o, j.i, 8) loops(n, i, j.o, j.i: vectorize(8)) root
/// ```
/// After (`fuse_axes(y, [i, j])`, `vectorize(y, i.j, 8)`):
/// ```
///   schedule fuse(i.j, i, j) split(i.j, i.j.o, i.j.i, 8) loops(n, i.j.o, i.j.i: vectorize(8)) root
/// ```
extension DefaultSchedule {
  /// The last two output axes of the elementwise `d` to iterate as one loop (the row last), or nil when rule 1c
  /// does not apply.
  static func fusedParallelRow(_ d: Definition, in k: Kernel) -> [String]? {
    let s = d.effectiveSchedule
    // An axis outside the pair: rule 3 runs the outermost loop on the thread pool, and a parallel loop over the
    // vector steps of a fused loop is not vectorized by LLVM (gelu_tanh over rows of 30, [b, d] fused and the vector
    // loop's outer part parallel: 4.4 -> 5.4 ms on one thread; fused, not parallel: 3.1 ms).
    guard d.reduction == nil, d.axes.count >= 3, s.placement == .root, d.schedule == nil || d.schedule == .natural(for: d),
      s.storage.permutation == nil, s.storage.padding == nil,
      let row = d.axes.last, let outer = d.axes.dropLast().last,
      let rowExtent = row.extent.evaluate(k.dimBindings), let outerExtent = outer.extent.evaluate(k.dimBindings),
      outerExtent >= 2
    else { return nil }
    let width = vectorBytes / max(4, d.dtype.byteSize)
    guard rowExtent % width != 0, rowExtent < fusedRowVectors * width, appliesMathFunction(d.body),
      contiguousVariable(of: d, in: k) == row.name, walksContiguously(d, row.name, in: k),
      walksBlock(d, [(outer.name, nil), (row.name, rowExtent)], in: k)
    else { return nil }
    // Nothing computed inside it; what it reads is stored whole, in natural order.
    for p in k.definitions {
      if case .computeAt(let consumer, _) = p.effectiveSchedule.placement, consumer == d.name { return nil }
    }
    for tensor in Set(d.body.loads.map(\.tensor)) {
      guard let p = k.definitions.first(where: { $0.name == tensor }) else { continue }
      let ps = p.effectiveSchedule
      guard ps.placement == .root, ps.storage.permutation == nil, ps.storage.padding == nil else { return nil }
    }
    return [outer.name, row.name]
  }

  /// Whether `e` applies a math function that the LLVM target computes as a polynomial of tens of operations
  /// (`exp`, `log`, `tanh`, `sigmoid`, `erf`, `pow`: VectorMath.swift): then each element of a row's scalar
  /// remainder costs as much as a vector of eight, and fusing the rows pays for the quotient and remainder the fused
  /// loop computes per vector step. A body of a few arithmetic operations gains nothing from it (its remainder is
  /// cheap): conv2d_relu_bias_add's epilogue `max(x + cb, 0) + bias` over rows of 30 ran 10% slower fused
  /// (bench/kernelbench/cpu-results-fused-parallel-rows.md).
  static func appliesMathFunction(_ e: Expr) -> Bool {
    var found = false
    e.forEach { node in
      switch node {
      case .unary(let op, _):
        switch op {
        case .exp, .log, .tanh, .sigmoid, .erf: found = true
        case .neg, .abs, .sqrt, .rsqrt, .floor, .ceil, .not, .isnan: break
        }
      case .binary(let op, _, _):
        switch op {
        case .pow: found = true
        case .add, .sub, .mul, .div, .mod, .max, .min, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: break
        }
      case .constant, .index, .dim, .scalar, .load, .select, .cast: break
      }
    }
    return found
  }
}
