import KevcBasic
import KevcIR

/// The CPU default's register tile for a contraction (rule 3a of `DefaultSchedule.cpu`): a sum over constant
/// bounds of a product of two loads (each possibly cast, or masked to zero: `select(c, x[...], 0)`), one reading
/// the output's contiguous axis and the other an output axis the first lacks, sharing a reduction axis (a matmul
/// of any layout, a batched matmul, a convolution over (channels, taps), a strided transposed convolution) is
/// computed as an `MR x NR` block of accumulators kept in registers; recognised by its index pattern only, never
/// by a name.
///
/// The column axis is the output's contiguous (last) axis; the row axis is the last output axis that only the other
/// operand reads (for `A[m, k] * B[k, n]`: n and m; for a convolution `x[n, c, l + k] * w[f, c, k]`: l and f).
/// The output is tiled `[row, column]` by `[MR, NR]`, the tile's accumulator is cached at the column tile loop
/// (`cache(y, col.o, local)`), the whole reduction runs outside the tile (`reorder(y.acc, [..., k, row, col])`),
/// the rows are unrolled and the columns vectorized, and the outermost tile loop runs on the thread pool. Each
/// step is a checked transform; if any is illegal the rule is not taken and the plain rule 3 applies.
///
/// The tile is sized by the machine's vector registers (`ScheduleCost.Machine.vectorBytes`, `vectorRegisters`, from
/// the LLVM target's features): half of them hold accumulators. With AVX2's 16 registers of 32 bytes,
/// `MR x NR = 4 x 16` f32 lanes keeps 8 accumulators, one broadcast of the row operand and two vector loads of the
/// column operand per reduction step in registers: on the 2-core EPYC a 256^3 matmul went from 1.4 ms (i-k-j,
/// accumulating in memory) to 0.46 ms on one thread (8 x 32, the hand trace of bench/cpu, spills on AVX2). With
/// AVX-512's 32 registers of 64 bytes it is 8 x 32: 16 zmm accumulators. Tiles at an edge are handled by the LLVM
/// target's full-tile versioning (`FullTiles`). A tile of one vector of columns (a short row) also spans two values
/// of a second output axis that only the column operand reads (`secondColumnAxis`: the output row i of a 3-D
/// convolution), so that it keeps 8 accumulator chains: `tile(y, [f, i, j], [4, 2, 8])`, `unroll(y.acc, i, 2)`.
/// Where short rows leave many lanes idle (18 columns in two 16-lane tiles) and the other operand's output axis
/// fills whole vectors, the tile is turned across (`channelTile`): that axis vectorized, the row unrolled.
///
/// Before (`C[m, n] = sum(k) A[m, k] * B[k, n]`):
/// ```
///   schedule split(n, n.o, n.i, 8) loops(m: parallel, k, n.o, n.i: vectorize(8)) root
/// ```
/// After:
/// ```
/// %C.acc: ... schedule split(m, ..., 4) split(n, ..., 16) loops(k, m.o, m.i: unroll, n.o, n.i: vectorize(16))
///   at(%C, n.o) store(local)
/// %C: ...     schedule tile(m, n by 4, 16) loops(m.o: parallel, n.o, m.i, n.i: vectorize(16)) root
/// ```
extension DefaultSchedule {
  /// Rows of a register tile (unrolled).
  static let tileRows = 4
  /// Vectors per row of a register tile.
  static let tileVectors = 2

  static func stripCasts(_ e: Expr) -> Expr {
    if case .cast(_, let inner) = e { return stripCasts(inner) }
    return e
  }

  /// The load an operand of a contraction reads: a load, possibly cast, or masked to zero elsewhere
  /// (`select(cond, x[...], 0)`, a strided transposed convolution's taps that fall between inputs).
  static func operand(_ e: Expr) -> Load? {
    switch stripCasts(e) {
    case .load(let l): return l
    case .select(_, let value, let other):
      guard case .constant(let c) = stripCasts(other), c == .zero(c.dtype) else { return nil }
      return operand(value)
    case .constant, .index, .dim, .scalar, .unary, .binary, .cast: return nil
    }
  }

  /// The steps that register-tile the contraction `d`, or nil when `d` is not a contraction this rule handles (the
  /// steps are checked by the caller as it applies them).
  static func registerTile(
    _ d: Definition, in k: Kernel, machine: ScheduleCost.Machine = guardMachine
  ) -> [Transform]? {
    guard let r = d.reduction, r.op == .sum, d.effectiveSchedule.placement == .root,
      r.axes.allSatisfy({ $0.lowerBound.indexNames.isEmpty && $0.upperBound.indexNames.isEmpty }),
      case .binary(.mul, let lhs, let rhs) = stripCasts(d.body),
      let a = operand(lhs), let b = operand(rhs),
      let column = d.axes.last?.name
    else { return nil }
    let affine = RegionAnalysis(k)
    func variables(_ l: Load) -> Set<String>? {
      var out: Set<String> = []
      for i in l.indices {
        guard let names = affine.quasiAffineVariables(i) else { return nil }
        out.formUnion(names)
      }
      return out
    }
    guard let av = variables(a), let bv = variables(b),
      !av.intersection(bv).isDisjoint(with: r.axes.map(\.name))
    else { return nil }
    // The column operand reads the column axis; the other operand supplies the rows (broadcast along a row).
    let columnOperand: Set<String>
    let rowOperand: Set<String>
    let columnLoad: Load
    if av.contains(column), !bv.contains(column) {
      (columnOperand, rowOperand, columnLoad) = (av, bv, a)
    } else if bv.contains(column), !av.contains(column) {
      (columnOperand, rowOperand, columnLoad) = (bv, av, b)
    } else {
      return nil
    }
    guard let row = d.axes.last(where: { $0.name != column && rowOperand.contains($0.name) && !columnOperand.contains($0.name) })?.name
    else { return nil }
    guard let rowExtent = try? k.maxExtent(row, in: d), let columnExtent = try? k.maxExtent(column, in: d),
      rowExtent >= 2
    else { return nil }
    // The machine's vectors (`ScheduleCost.Machine.vectorBytes`: 64 bytes with AVX-512), halved down to AVX2's 32
    // bytes while one does not fit the row; half of its vector registers hold accumulators (AVX2: 8 of 16, a 4 x 2
    // vector tile; AVX-512: 16 of 32, 8 x 2), the rest the column operand's vectors and a row value's broadcast.
    // A tile of 32-byte vectors is AVX2's, 16 registers: the LLVM target turns AVX-512 (and its 32 registers) on
    // only for programs with 64-byte vectors (`LLVMTarget.asksForWideVectors`).
    var bytes = max(vectorBytes, machine.vectorBytes)
    while bytes > vectorBytes, columnExtent < bytes / max(4, d.dtype.byteSize) { bytes /= 2 }
    let width = bytes / max(4, d.dtype.byteSize)
    let registers = bytes > vectorBytes ? machine.vectorRegisters : guardMachine.vectorRegisters
    let accumulators = max(tileRows * tileVectors, registers / 2)
    guard columnExtent >= width else { return nil }
    // A column operand that reads the columns a row apart (`B[n, k]`: the reduction is contiguous in both, a Linear
    // layer's weight) is copied once into a buffer stored with the column dimension last (`packColumnOperand`), so
    // that the tile's column loads are vector loads and the two-vector tile applies. Where the copy does not apply
    // it is gathered: one vector of columns and twice the rows halves the gathers per update (matmul_transposed_b
    // 256^3 on one thread: 1.7 ms at 4 x 16, 0.6 ms at 8 x 8).
    let pack = packColumnOperand(
      columnLoad, rowOperand: a == columnLoad ? b : a, of: d, column: column, rowExtent: rowExtent, in: k)
    let inLastIndex = pack != nil || (columnLoad.indices.last.map { $0.indexNames.contains(column) } ?? false)
    let rows = min(accumulators / (inLastIndex ? tileVectors : 1), rowExtent)
    // One vector of columns (a short row: conv3d_square's 14 output columns) keeps `rows` accumulator chains, too
    // few to cover the latency of the FMA units; a second output axis that the column operand reads and the row
    // operand does not (the output row i of a convolution's `x[n, c, d + a, i + p, j + q]`), two of its values per
    // tile, doubles them, and each broadcast row value then serves two vectors as in the two-vector tile. With such
    // an axis, a short row that two-vector tiles would cover with an eighth more columns or more than one-vector
    // tiles (18 columns: 32 against 24, the last tile computing columns again; `FullTiles`) takes one vector too.
    let candidate = inLastIndex ? secondColumnAxis(of: d, column: column, row: row, columnOperand, rowOperand, in: k) : nil
    func covered(_ w: Int) -> Int { (columnExtent / w &+ (columnExtent % w == 0 ? 0 : 1)) &* w }
    let wasted = covered(tileVectors * width) &- covered(width)
    let columns =
      inLastIndex && columnExtent >= tileVectors * width
        && (candidate == nil || wasted &* 8 < covered(tileVectors * width)) ? tileVectors * width : width
    let second = columns == width ? candidate : nil
    if let channels = channelTile(
      d, in: k, machine: machine, column: column, row: row, columnLoad: columnLoad, rowLoad: a == columnLoad ? b : a,
      rowOperand: rowOperand, columnOperand: columnOperand,
      usefulLanes: Double(columnExtent) / Double(covered(columns)) * Double(width))
    {
      return channels
    }
    let tiled = [row] + (second.map { [$0] } ?? []) + [column]
    let others = d.effectiveSchedule.loops.map(\.name).filter {
      !tiled.contains($0) && !isReductionLoop($0, of: d)
    }
    let reductions = d.effectiveSchedule.loops.map(\.name).filter { isReductionLoop($0, of: d) }
    let acc = d.name + ".acc"
    return (pack ?? []) + [
      .tile(tensor: d.name, loops: tiled, sizes: [rows] + (second == nil ? [] : [2]) + [columns]),
      .reorder(tensor: d.name, loops: others + tiled.map { $0 + ".o" } + tiled.map { $0 + ".i" } + reductions),
      .cache(tensor: d.name, loop: column + ".o", scope: .local),
      .reorder(tensor: acc, loops: others + reductions + tiled),
      .unroll(tensor: acc, loop: row, factor: rows),
    ] + (second.map { [.unroll(tensor: acc, loop: $0, factor: 2)] } ?? []) + [
      .vectorize(tensor: acc, loop: column, width: columns),
      .vectorize(tensor: d.name, loop: column + ".i", width: columns),
    ]
  }

  /// The register tile of a contraction whose contiguous output axis is short against the vectors (a row of 18
  /// outputs, 32 lanes computed: conv_transposed3d's 18^3 output) turned across: the vectorized columns are the row
  /// axis `row` (an output axis that only the other operand reads: the output channels f of `w[c, f, a, p, q]`),
  /// the unrolled rows are the contiguous axis `column` and, two values of it, a second output axis that only the
  /// column operand reads (the output row i), so the input `x[n, c, d - a, i - p, j - q]` is broadcast and the
  /// weights are the vector. Taken where the machine's full vectors divide that axis, the vector FMAs it saves per
  /// output (the reduction's length times `1 / usefulLanes - 1 / lanes`; `usefulLanes`: the plain tile's lanes
  /// times the fraction of its computed columns that are outputs) pay for its copy-out's store across the output's
  /// rows (one lane stored per output, counted as two FMAs), and the operand reading it reads it alone in one index
  /// (copied with it last, `packColumnOperand`, unless it is already last). The rows per tile are those of the
  /// register budget (half the registers hold accumulators) that cover the axis with the fewest outputs computed
  /// twice, keeping at least the plain tile's `tileRows x tileVectors` accumulator chains (18 rows: 6, three tiles,
  /// 12 chains with two output rows); the accumulator is stored with the vectorized axis last (`layout`), and both
  /// the tile's loops and its copy-out are unrolled, so every access of the accumulator has constant indices and
  /// LLVM keeps it in registers.
  ///
  /// Before (rule 3a's plain tile, conv_transposed3d at C = F = 16, 16^3, AVX-512): `tile(y, [f, i, j], [8, 2,
  /// 16])`, 18 columns in two 16-lane tiles. After:
  /// ```
  /// stage(w, y, f, workspace) compute_root(w.y) layout(w.y, [0, 2, 3, 4, 1]) reorder(w.y, [d0, d2, d3, d4, d1])
  /// tile(y, [i, j, f], [2, 6, 16]) reorder(y, [n, d, i.o, j.o, f.o, i.i, j.i, f.i, c, a, p, q])
  /// cache(y, f.o, local) layout(y.acc, [0, 2, 3, 4, 1]) reorder(y.acc, [n, d, c, a, p, q, i, j, f])
  /// unroll(y.acc, i, 2) unroll(y.acc, j, 6) vectorize(y.acc, f, 16) vectorize(y, f.i, 16)
  /// unroll(y, i.i, 2) unroll(y, j.i, 6)
  /// ```
  static func channelTile(
    _ d: Definition, in k: Kernel, machine: ScheduleCost.Machine, column: String, row: String, columnLoad: Load,
    rowLoad: Load, rowOperand: Set<String>, columnOperand: Set<String>, usefulLanes: Double
  ) -> [Transform]? {
    let width = machine.vectorBytes / max(4, d.dtype.byteSize)
    guard let r = d.reduction, width > 1, usefulLanes > 0, let channels = try? k.maxExtent(row, in: d),
      channels % width == 0, let rowExtent = try? k.maxExtent(column, in: d),
      rowLoad.indices.filter({ $0.indexNames.contains(row) }) == [.index(row)]
    else { return nil }
    var length = 1
    for a in r.axes {
      guard let n = try? k.maxExtent(a.name, in: d) else { return nil }
      length = length.multipliedReportingOverflow(by: n).overflow ? Int.max : length &* n
    }
    // Per output, the tile across saves `length x (1 / usefulLanes - 1 / width)` vector FMAs and pays a store across
    // the output's rows (a lane extracted and stored: about two FMAs' issue slots).
    guard Double(length) * (1 / usefulLanes - 1 / Double(width)) >= 2 else { return nil }
    // The copy of the vectorized operand serves every output it does not read.
    var served = 1
    for a in d.axes where !rowOperand.contains(a.name) {
      guard let n = try? k.maxExtent(a.name, in: d) else { return nil }
      served = served.multipliedReportingOverflow(by: n).overflow ? Int.max : served &* n
    }
    let pack: [Transform]
    if rowLoad.indices.last == .index(row) {
      pack = []
    } else {
      guard let copy = packColumnOperand(rowLoad, rowOperand: columnLoad, of: d, column: row, rowExtent: served, in: k)
      else { return nil }
      pack = copy
    }
    let second = secondColumnAxis(of: d, column: column, row: row, columnOperand, rowOperand, in: k)
    let values = second == nil ? 1 : 2
    let budget = max(2, machine.vectorRegisters / 2 / values)
    let fewest = max(2, (tileRows * tileVectors + values - 1) / values)
    func covered(_ n: Int) -> Int { (rowExtent / n &+ (rowExtent % n == 0 ? 0 : 1)) &* n }
    var rows = min(budget, rowExtent)
    for n in stride(from: rows, through: min(rows, fewest), by: -1) where covered(n) < covered(rows) { rows = n }
    guard let dim = d.axes.firstIndex(where: { $0.name == row }) else { return nil }
    let tiled = (second.map { [$0] } ?? []) + [column, row]
    let others = d.effectiveSchedule.loops.map(\.name).filter {
      !tiled.contains($0) && !isReductionLoop($0, of: d)
    }
    let reductions = d.effectiveSchedule.loops.map(\.name).filter { isReductionLoop($0, of: d) }
    let acc = d.name + ".acc"
    let unrolled: [(String, Int)] = (second.map { [($0, 2)] } ?? []) + [(column, rows)]
    return pack + [
      .tile(tensor: d.name, loops: tiled, sizes: (second == nil ? [] : [2]) + [rows, width]),
      .reorder(tensor: d.name, loops: others + tiled.map { $0 + ".o" } + tiled.map { $0 + ".i" } + reductions),
      .cache(tensor: d.name, loop: row + ".o", scope: .local),
      .layout(tensor: acc, permutation: Array(0..<d.axes.count).filter { $0 != dim } + [dim]),
      .reorder(tensor: acc, loops: others + reductions + tiled),
    ] + unrolled.map { .unroll(tensor: acc, loop: $0.0, factor: $0.1) } + [
      .vectorize(tensor: acc, loop: row, width: width),
      .vectorize(tensor: d.name, loop: row + ".i", width: width),
    ] + unrolled.map { .unroll(tensor: d.name, loop: $0.0 + ".i", factor: $0.1) }
  }

  /// Rows a packed column operand must serve at least (`packColumnOperand`): the copy reads and writes the operand
  /// once, the tiles read it once per `tileRows` rows.
  static let packedRows = 4 * tileRows

  /// The steps that copy a contraction's column operand, read with the column axis in a dimension other than its
  /// last (`B[n, k]` in `sum(k) A[m, k] * B[n, k]`), into a root buffer (`stage`, then `compute_root`) stored with
  /// that dimension last (`layout`: `B.C[n, k]` stored as `[k, n]`, its loops in that order), so that the register
  /// tile's column loads walk it with unit stride; nil where the copy does not apply: the column index is not
  /// exactly the column variable or another index reads it, the operand is not an input or a root definition, the
  /// row operand reads the same tensor, fewer than `packedRows` rows reuse the copy, or the copy's name is taken.
  static func packColumnOperand(
    _ load: Load, rowOperand: Load, of d: Definition, column: String, rowExtent: Int, in k: Kernel
  ) -> [Transform]? {
    guard rowExtent >= packedRows, rowOperand.tensor != load.tensor,
      let dim = load.indices.firstIndex(of: .index(column)), dim != load.indices.count - 1,
      load.indices.enumerated().allSatisfy({ $0.offset == dim || !$0.element.indexNames.contains(column) }),
      let shape = k.tensorType(load.tensor)?.shape, shape.count == load.indices.count,
      k.params.contains(where: { $0.name == load.tensor })
        || k.definitions.contains(where: { $0.name == load.tensor && $0.effectiveSchedule.placement == .root })
    else { return nil }
    let name = "\(load.tensor).\(d.name)"
    guard k.tensorType(name) == nil else { return nil }
    let order = Array(0..<shape.count).filter { $0 != dim } + [dim]
    // The copy's loops walk its storage order (`stage` names its axes d0, d1, ...): its stores are contiguous and
    // its loads a row apart (with the loops in B's order, its stores a row of the copy apart, the packed
    // contractions gained little; bench/kernelbench/cpu-results-below-half.md).
    return [
      .stage(tensor: load.tensor, consumer: d.name, loop: column, scope: .workspace),
      .computeRoot(tensor: name),
      .layout(tensor: name, permutation: order),
      .reorder(tensor: name, loops: order.map { "d\($0)" }),
    ]
  }

  /// The output axis a one-vector tile also spans (two values): the last one, besides the row and column axes, that
  /// the column operand reads and the row operand does not, of extent 2 or more; nil when there is none (a matmul:
  /// every other axis is read by both operands or by neither).
  static func secondColumnAxis(
    of d: Definition, column: String, row: String, _ columnOperand: Set<String>, _ rowOperand: Set<String>,
    in k: Kernel
  ) -> String? {
    d.axes.last { a in
      a.name != column && a.name != row && columnOperand.contains(a.name) && !rowOperand.contains(a.name)
        && ((try? k.maxExtent(a.name, in: d)) ?? 0) >= 2
    }?.name
  }
}
