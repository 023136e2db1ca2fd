import KevcBasic
import KevcIR
import KevcLowering

/// `dot` on the CuTe DSL: a phase of the thread plan that computes one contraction the schedule marked `dot` (a sum
/// of a product of two loads, `Dot.swift`) becomes a tiled MMA kernel instead of scalar loops. Each block (2 x 2 or
/// 4 x 2 warps of the SM80 warp-level atom `MmaF16BF16Op` 16x8x16, or `MmaTF32Op` 16x8x8, which run on sm_90a)
/// computes one tile of the output, sized by the schedule's splits: per step of the contracted axis, its threads stage the two
/// operand tiles in shared memory (one element per thread and step, out-of-range elements zero, the index of every
/// read clamped under a select), each thread copies its MMA partitions to registers and `cute.gemm` accumulates in
/// f32; the epilogue stores each thread's accumulator elements (coordinates from an identity tensor partitioned like
/// the accumulator) through the target's store, guarded by the output's bounds. The tile's rows are the innermost
/// output axis only the left operand reads, its columns the innermost one only the right reads; the other output
/// axes are batch axes (blocks per value); reduction axes other than the contracted one
/// (a convolution's taps) are serial loops around the steps. Operands: f16/bf16 loads (under widening casts only)
/// of one type with an f32 accumulator, or f32 loads where `precision(y, tf32|bf16)` allows rounding them. Any
/// other contraction keeps the scalar loops of the thread plan, with the reason in a comment in the module.
///
/// Before (loop IR, one phase):
///   for i, m, n (bound) { %c.acc[] = 0.0; for k { %c.acc[] = %c.acc[] + cast<f32>(%a[i, m, k]) * ... }; %c[i, m, n] = ... }
/// After:
///   @cute.kernel
///   def kevc_batched_matmul_p0(b_a: cute.Tensor, ..., kevc_mma: cute.TiledMma):
///       ... kevc_sa[kevc_i, kevc_j] = cutlass.Float16(cutlass.select_(kevc_ok, b_a[...].to(cutlass.Float32), ...))
///       cute.gemm(kevc_mma, kevc_acc, kevc_ra, kevc_rb, kevc_acc)
/// Which matrix instruction a CuTe `dot` uses (`kevc compile --target cute --cute-mma`): the SM80 warp-level
/// `mma.sync` atoms (the default; they run on sm_80 and later) or Hopper's warpgroup `wgmma` (sm_90a only).
public enum CuTeMMA: String, CaseIterable, Sendable {
  case sm80, wgmma
}

struct CuTeDot {
  /// What a phase becomes: the thread plan's loops (no contraction, or one that does not fit: the reason) or MMA.
  enum Choice {
    case loops
    case fallback(definition: String, reason: String)
    case mma(CuTeDot)
  }

  /// The output tile (rows, columns), the step of the contracted axis, and the warps along rows (columns: 2).
  var tileM = 64
  var tileN = 64
  var tileK = 32
  var warpsM = 2
  /// Warpgroup MMA (`wgmma`, operands in swizzled shared memory): 1 or 2 warpgroups along the rows; nil: SM80 atoms.
  var warpgroups: Int?
  var threads: Int { warpgroups.map { $0 * 128 } ?? warpsM * 2 * 32 }

  var definition: Definition
  /// The tile's output axis from the left operand, the one from the right, and the contracted axis.
  var m: String
  var n: String
  var k: String
  var extents: [String: Int]
  var kRange: (lo: Int, hi: Int)
  /// Output axes besides m and n, outermost first.
  var batch: [String]
  /// Reduction axes besides k (serial loops around the steps), with their constant bounds.
  var serial: [(name: String, lo: Int, hi: Int)]
  var lhs: Load
  var rhs: Load
  /// The DSL type of the staged operands, the MMA atom, and the atom's K (the tiled MMA's K permutation).
  var operandType: String
  var atom: String
  var atomK: Int
  var buffer: Buffer

  /// The load under widening float casts only (its values are exact in the accumulator), if the operand is one.
  static func rawLoad(_ e: Expr, _ types: [String: DType]) -> Load? {
    var x = e
    var targets: [DType] = []
    while case .cast(let t, let inner) = x {
      targets.append(t)
      x = inner
    }
    guard case .load(let l) = x, let s = types[l.tensor], s.isFloat else { return nil }
    return targets.allSatisfy { $0.isFloat && $0.mantissaBits >= s.mantissaBits } ? l : nil
  }

  /// Buffers `stmts` store to, besides the ones they allocate.
  static func storedBuffers(_ stmts: [Stmt]) -> Set<String> {
    var out: Set<String> = []
    for s in stmts {
      switch s {
      case .loop(let l): out.formUnion(storedBuffers(l.body))
      case .store(let b, _, _): out.insert(b)
      case .ifThen(_, let t, let e): out.formUnion(storedBuffers(t).union(storedBuffers(e)))
      case .allocate(let b, let body): out.formUnion(storedBuffers(body).subtracting([b.name]))
      }
    }
    return out
  }

  /// The choice for one top-level nest of `program` (one phase).
  static func choose(_ stmt: Stmt, program: LoopProgram, kernel: Kernel, workspace: [Buffer], mma: CuTeMMA = .sm80) -> Choice {
    let stores = storedBuffers([stmt])
    let allocated = Set(ThreadPlan.allocations([stmt]))
    let dots = kernel.definitions.filter { $0.effectiveSchedule.isDot }
    if let d = dots.first(where: { allocated.contains($0.name) }) {
      return .fallback(definition: d.name, reason: "it is computed inside its consumer's loops (compute_at), not as a phase of its own")
    }
    guard let d = dots.first(where: { stores.contains($0.name) }) else { return .loops }
    func refuse(_ reason: String) -> Choice { .fallback(definition: d.name, reason: reason) }
    guard stores == [d.name] else {
      return refuse("its phase also stores \(stores.subtracting([d.name]).sorted().joined(separator: ", "))")
    }
    let globals = program.params + program.results + workspace
    var types: [String: DType] = [:]
    for b in globals { types[b.name] = b.dtype }
    let s = d.effectiveSchedule
    guard let buffer = globals.first(where: { $0.name == d.name }), s.storage.permutation == nil, s.storage.padding == nil
    else { return refuse("its buffer is not a plain global tensor (layout or padding)") }
    guard let r = d.reduction, r.op == .sum, r.accumulator == .f32 else { return refuse("it does not accumulate a sum in f32") }
    func stripCasts(_ e: Expr) -> Expr {
      if case .cast(_, let inner) = e { return stripCasts(inner) }
      return e
    }
    guard case .binary(.mul, let a, let b) = stripCasts(d.body) else { return refuse("its body is not a product") }
    guard let la = rawLoad(a, types), let lb = rawLoad(b, types), let ta = types[la.tensor], let tb = types[lb.tensor] else {
      return refuse("an operand is not a global tensor read under widening casts only")
    }
    let arithmetic = IndexArithmetic(dims: program.dims)
    guard buffer.shape.count == d.axes.count else { return refuse("its buffer's shape is not its domain") }
    var extents: [String: Int] = [:]
    for (axis, size) in zip(d.axes, buffer.shape) { extents[axis.name] = size }
    var bounds: [String: (lo: Int, hi: Int)] = [:]
    for x in r.axes {
      guard let lo = arithmetic.constant(x.lowerBound), let hi = arithmetic.constant(x.upperBound), hi > lo else {
        return refuse("reduction axis '\(x.name)' has bounds that are not constant")
      }
      bounds[x.name] = (lo, hi)
    }
    let axes = Set(d.axes.map(\.name))
    let reduced = Set(r.axes.map(\.name))
    let av = la.indices.reduce(Set<String>()) { $0.union($1.indexNames) }
    let bv = lb.indices.reduce(Set<String>()) { $0.union($1.indexNames) }
    let onlyA = av.subtracting(bv).intersection(axes)
    let onlyB = bv.subtracting(av).intersection(axes)
    // The contracted axis: read by both operands; the widest if several (a convolution's channels, not its taps).
    func span(_ x: String) -> Int { bounds[x].map { $0.hi - $0.lo } ?? 0 }
    let shared = r.axes.map(\.name).filter { av.contains($0) && bv.contains($0) }
    // The output tile's axes: the innermost output axis each operand alone reads (the others are batch axes).
    guard let m = d.axes.map(\.name).last(where: onlyA.contains), let n = d.axes.map(\.name).last(where: onlyB.contains),
      let k = shared.max(by: { span($0) < span($1) }), let kRange = bounds[k]
    else {
      return refuse("the operands do not read one output axis each and a shared reduction axis")
    }
    guard av.union(bv).isSubset(of: axes.union(reduced)) else { return refuse("an operand reads other index variables") }
    // Operand types and the MMA atom.
    let operandType: String
    let atom: String
    let atomK: Int
    switch (ta, tb, s.dotPrecision) {
    case (.f16, .f16, _), (.bf16, .bf16, _):
      operandType = CuTeSyntax.type(ta)
      atom = "cute.nvgpu.warp.MmaF16BF16Op(\(operandType), cutlass.Float32, (16, 8, 16))"
      atomK = 16
    case (.f32, .f32, .tf32?):
      operandType = "cutlass.TFloat32"
      atom = "cute.nvgpu.warp.MmaTF32Op((16, 8, 8))"
      atomK = 8
    case (.f32, .f32, .bf16?):
      operandType = "cutlass.BFloat16"
      atom = "cute.nvgpu.warp.MmaF16BF16Op(cutlass.BFloat16, cutlass.Float32, (16, 8, 16))"
      atomK = 16
    case (.f32, .f32, .tf32x3?):
      return refuse("precision tf32x3 (three tf32 passes) has no single MMA atom")
    case (.f32, .f32, nil):
      return refuse("f32 operands at full precision (precision(y, tf32) or bf16 would allow the tf32/bf16 MMA atoms)")
    default:
      return refuse("operand types \(ta) and \(tb) (the warp MMA atoms take two f16 or two bf16 operands, or f32 as tf32)")
    }
    // Tiles from the schedule's splits of the three axes (the inner factor, to a power of two in the atoms' range;
    // 64, 64, 32 where an axis is not split), 8 warps (4 x 2) where `launch` asks for 8 or more and the tile has
    // 64 rows or more, else 4 (2 x 2).
    func tile(_ axis: String, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
      guard let f = s.splits.first(where: { $0.variable == axis })?.factor, f > 0 else { return fallback }
      var p = 1
      while p * 2 <= f { p *= 2 }
      return min(max(p, range.lowerBound), range.upperBound)
    }
    let batch = d.axes.map(\.name).filter { $0 != m && $0 != n }
    let serial = r.axes.map(\.name).filter { $0 != k }.compactMap { x in bounds[x].map { (name: x, lo: $0.lo, hi: $0.hi) } }
    var dot = CuTeDot(
      definition: d, m: m, n: n, k: k, extents: extents, kRange: kRange, batch: batch, serial: serial, lhs: la,
      rhs: lb, operandType: operandType, atom: atom, atomK: atomK, buffer: buffer)
    dot.tileM = tile(m, 64, 32...128)
    dot.tileN = tile(n, 64, 32...128)
    // Operand tiles within 32 KiB of shared memory: 4-byte tf32 operands take half the step.
    dot.tileK = tile(k, 32, 16...(operandType == "cutlass.TFloat32" ? 32 : 64))
    dot.warpsM = (s.launch?.warps ?? 4) >= 8 && dot.tileM >= 64 ? 4 : 2
    // wgmma: 16-bit operands and a tile of 64 rows per warpgroup (smaller tiles keep the SM80 atoms).
    if mma == .wgmma, operandType != "cutlass.TFloat32", dot.tileM >= 64 {
      dot.warpgroups = dot.tileM >= 128 && (s.launch?.warps ?? 4) >= 8 ? 2 : 1
    }
    return .mma(dot)
  }

  func extent(_ axis: String) -> Int { extents[axis] ?? 1 }

  /// What the kernel does, for the module's comment and `--emit plan`.
  var summary: String {
    let unit = warpgroups.map { "wgmma, \($0) warpgroup(s)" } ?? "\(atom), \(warpsM)x2 warps"
    let around = serial.isEmpty ? "" : ", serial \(serial.map(\.name).joined(separator: ", "))"
    let blocksOf = batch.isEmpty ? "" : ", a block row per \(batch.joined(separator: ", "))"
    return "\(m) x \(n) over \(k) on the tensor cores (\(unit)), \(tileM)x\(tileN)x\(tileK) tiles\(blocksOf)\(around)"
  }

  /// Blocks of the launch: one per batch value and output tile.
  var blocks: Int {
    let tiles = ((extent(m) + tileM - 1) / tileM) * ((extent(n) + tileN - 1) / tileN)
    return batch.reduce(tiles) { $0 * extent($1) }
  }

  /// `cute.make_tiled_mma` of the atom: warps (rows x 2) of the SM80 atom, or warpgroups of wgmma along the rows
  /// (both operands K-major in shared memory).
  var tiledMMA: String {
    if let warpgroups {
      let op = "cute.nvgpu.warpgroup.MmaF16BF16Op(\(operandType), cutlass.Float32, (64, \(tileN), 16), "
        + "cute.nvgpu.warpgroup.OperandSource.SMEM, cute.nvgpu.OperandMajorMode.K, cute.nvgpu.OperandMajorMode.K)"
      return "cute.make_tiled_mma(\(op), cute.make_layout((\(warpgroups), 1, 1)))"
    }
    return "cute.make_tiled_mma(\(atom), cute.make_layout((\(warpsM), 2, 1)), permutation_mnk=(\(warpsM * 16), 32, \(atomK)))"
  }

  /// The swizzled K-major shared-memory layout wgmma reads a `rows x tileK` operand tile in (the widest swizzle the
  /// step's bytes fill, as CUTLASS's `get_smem_layout_atom` picks it).
  func wgmmaLayout(_ rows: Int) -> String {
    let bits = tileK * 16
    let kind = bits % 1024 == 0 ? "K_SW128" : bits % 512 == 0 ? "K_SW64" : bits % 256 == 0 ? "K_SW32" : "K_INTER"
    return "cute.tile_to_shape(cute.nvgpu.warpgroup.make_smem_layout_atom(cute.nvgpu.warpgroup.SmemLayoutAtomKind.\(kind), "
      + "\(operandType)), (\(rows), \(tileK)), order=(0, 1))"
  }

  /// Whether the operand's contiguous (last) index reads the tile's row axis rather than the contracted one.
  func rowFastest(_ load: Load, row: String) -> Bool {
    guard let last = load.indices.last else { return false }
    let names = last.indexNames
    return names.contains(row) && !names.contains(k)
  }

  /// Whether every index of the operand is one axis whose clamped values (the row and batch axes inside their
  /// extents, the reduction axes inside their bounds) lie inside the buffer: the load needs no bounds of its own.
  func isInside(_ load: Load, row: String, shapes: [String: [Int]]) -> Bool {
    let ranges = Dictionary(serial.map { ($0.name, $0.lo ..< $0.hi) }, uniquingKeysWith: { a, _ in a })
    for (i, index) in load.indices.enumerated() {
      guard case .index(let v) = index, let size = shapes[load.tensor].flatMap({ i < $0.count ? $0[i] : nil }) else { return false }
      let range: Range<Int>
      if v == k {
        range = kRange.lo ..< kRange.hi
      } else if let r = ranges[v] {
        range = r
      } else if v == row || batch.contains(v) {
        range = 0 ..< extent(v)
      } else {
        return false
      }
      guard range.lowerBound >= 0, range.upperBound <= size else { return false }
    }
    return true
  }

  /// The kernel's body (4-space indented lines, after the thread and block indices), with `scope` naming the
  /// buffers and scalars and the MMA as `kevc_mma`.
  func body(_ scope: PrintScope) throws(DiagnosticError) -> [String] {
    let syntax = CuTeSyntax()
    var scope = scope
    func i64(_ v: Int) -> String { "cutlass.Int64(\(v))" }
    func name(_ axis: String) -> String { CuTeEmitter.ident("v_", axis) }
    var out: [String] = []
    var indent = 1
    func line(_ s: String) { out.append(String(repeating: "    ", count: indent) + s) }
    let (bm, bn, bk) = (tileM, tileN, tileK)
    let tilesM = (extent(m) + bm - 1) / bm
    let tilesN = (extent(n) + bn - 1) / bn
    line("# dot '\(definition.name)': \(summary)")
    line("kevc_r = cutlass.Int64(kevc_bid)")
    line("kevc_tn = kevc_r % \(i64(tilesN))")
    line("kevc_r = kevc_r // \(i64(tilesN))")
    line("kevc_tm = kevc_r % \(i64(tilesM))")
    line("kevc_r = kevc_r // \(i64(tilesM))")
    for axis in batch.reversed() {
      scope.names[axis] = name(axis)
      line("\(name(axis)) = kevc_r % \(i64(extent(axis)))")
      line("kevc_r = kevc_r // \(i64(extent(axis)))")
    }
    // Each operand tile is staged walking the axis its buffer holds contiguously (the last index), in global and
    // shared memory alike: coalesced reads, conflict-free shared stores.
    let aRowFastest = rowFastest(lhs, row: m)
    let bRowFastest = rowFastest(rhs, row: n)
    func layout(_ rows: Int, _ fast: Bool) -> String {
      "cute.make_layout((\(rows), \(bk)), stride=\(fast ? "(1, \(rows))" : "(\(bk), 1)"))"
    }
    if warpgroups != nil {
      // The swizzle goes with the pointer, the rest of the layout with the tensor.
      for (tile, rows) in [("kevc_sa", bm), ("kevc_sb", bn)] {
        line("\(tile)_layout = \(wgmmaLayout(rows))")
        line("\(tile) = cute.make_tensor(cute.recast_ptr(cute.arch.alloc_smem(\(operandType), \(rows * bk), 1024), \(tile)_layout.inner, dtype=\(operandType)), \(tile)_layout.outer)")
      }
    } else {
      line("kevc_sa = cute.make_tensor(cute.arch.alloc_smem(\(operandType), \(bm * bk), 16), \(layout(bm, aRowFastest)))")
      line("kevc_sb = cute.make_tensor(cute.arch.alloc_smem(\(operandType), \(bn * bk), 16), \(layout(bn, bRowFastest)))")
    }
    line("kevc_thr = kevc_mma.get_slice(kevc_tid)")
    line("kevc_tsa = kevc_thr.partition_A(kevc_sa)")
    line("kevc_tsb = kevc_thr.partition_B(kevc_sb)")
    line("kevc_ra = kevc_mma.make_fragment_A(kevc_tsa)")
    line("kevc_rb = kevc_mma.make_fragment_B(kevc_tsb)")
    line("kevc_cc = kevc_thr.partition_C(cute.make_identity_tensor((\(bm), \(bn))))")
    line("kevc_acc = kevc_mma.make_fragment_C(kevc_cc.shape)")
    line("kevc_acc.fill(0.0)")
    if warpgroups != nil { line("kevc_mma.set(cute.nvgpu.warpgroup.Field.ACCUMULATE, True)") }
    for x in serial {
      scope.names[x.name] = name(x.name)
      line("for \(name(x.name)) in cutlass.range(\(i64(x.lo)), \(i64(x.hi)), 1):")
      indent += 1
    }
    let steps = (kRange.hi - kRange.lo + bk - 1) / bk
    line("for kevc_k in cutlass.range(\(i64(0)), \(i64(steps)), 1):")
    indent += 1
    // One operand tile: rows along `row` (m or n), columns along k; `rowFastest` walks the rows first.
    func stage(_ tile: String, _ load: Load, row: String, rows: Int, tileIndex: String, rowFastest: Bool) throws(DiagnosticError) {
      line("for kevc_e in cutlass.range(cutlass.Int64(kevc_tid), \(i64(rows * bk)), \(threads)):")
      indent += 1
      line("kevc_i = kevc_e \(rowFastest ? "%" : "//") \(i64(rowFastest ? rows : bk))")
      line("kevc_j = kevc_e \(rowFastest ? "//" : "%") \(i64(rowFastest ? rows : bk))")
      line("kevc_vr = \(tileIndex) * \(i64(rows)) + kevc_i")
      line("kevc_vk = \(i64(kRange.lo)) + kevc_k * \(i64(bk)) + kevc_j")
      line("kevc_ok = (kevc_vr < \(i64(extent(row)))) & (kevc_vk < \(i64(kRange.hi)))")
      line("\(name(row)) = cutlass.Int64(cutlass.select_(kevc_ok, kevc_vr, \(i64(0))))")
      line("\(name(k)) = cutlass.Int64(cutlass.select_(kevc_ok, kevc_vk, \(i64(kRange.lo))))")
      var inner = scope
      inner.names[row] = name(row)
      inner.names[k] = name(k)
      var read = load
      if isInside(load, row: row, shapes: scope.shapes) { read.bounds = .inBounds }
      let value = try syntax.expr(.load(read), inner).text
      let f32 = CuTeSyntax.zero(.f32)
      line("\(tile)[kevc_i, kevc_j] = \(operandType)(cutlass.select_(kevc_ok, \(value), \(f32)))")
      indent -= 1
    }
    try stage("kevc_sa", lhs, row: m, rows: bm, tileIndex: "kevc_tm", rowFastest: aRowFastest)
    try stage("kevc_sb", rhs, row: n, rows: bn, tileIndex: "kevc_tn", rowFastest: bRowFastest)
    if warpgroups != nil {
      // The threads' shared stores made visible to wgmma's (async) reads; one wgmma per 16 of the step.
      line("cute.arch.fence_proxy(\"async.shared\", space=\"cta\")")
      line(syntax.barrier)
      line("cute.nvgpu.warpgroup.fence()")
      line("for kevc_kb in cutlass.range_constexpr(cute.size(kevc_ra, mode=[2])):")
      line("    cute.gemm(kevc_mma, kevc_acc, kevc_ra[None, None, kevc_kb], kevc_rb[None, None, kevc_kb], kevc_acc)")
      line("cute.nvgpu.warpgroup.commit_group()")
      line("cute.nvgpu.warpgroup.wait_group(0)")
    } else {
      line(syntax.barrier)
      line("cute.autovec_copy(kevc_tsa, kevc_ra)")
      line("cute.autovec_copy(kevc_tsb, kevc_rb)")
      line("cute.gemm(kevc_mma, kevc_acc, kevc_ra, kevc_rb, kevc_acc)")
    }
    line(syntax.barrier)
    indent = 1
    // Epilogue: each accumulator element at its coordinates, inside the output's bounds.
    line("for kevc_i in cutlass.range_constexpr(cute.size(kevc_acc)):")
    indent += 1
    line("\(name(m)) = kevc_tm * \(i64(bm)) + cutlass.Int64(kevc_cc[kevc_i][0])")
    line("\(name(n)) = kevc_tn * \(i64(bn)) + cutlass.Int64(kevc_cc[kevc_i][1])")
    line("if (\(name(m)) < \(i64(extent(m)))) & (\(name(n)) < \(i64(extent(n)))):")
    indent += 1
    guard let target = scope.names[buffer.name] else {
      throw CuTeEmitter.internalError("buffer '\(buffer.name)' is not declared")
    }
    let offset = syntax.offset(definition.axes.map { name($0.name) }, buffer.shape)
    line(syntax.store(target, offset, "kevc_acc[kevc_i]", from: .f32, to: buffer.dtype))
    return out
  }
}
