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
/// the accumulator) through the target's store, guarded by the output's bounds. What the dot is (the tile's rows,
/// columns and contracted axis, batch axes as blocks per value, serial reduction axes around the steps, the atom's
/// operand type, the tile sizes from the schedule's splits) or why the tensor cores do not take it, is
/// `NestPlan.contraction`'s plan (KevcLowering/Contraction.swift, shared by every target); this file prints it. A
/// phase that also stores other buffers, or a plan the tensor cores refuse, keeps the scalar loops of the thread
/// plan, with the reason in a comment in the module.
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

  /// The contraction's plan (`NestPlan.contraction`: axes, operands, MMA operand type, tiles), and the definition
  /// and its buffer.
  var plan: NestPlan.Contraction
  var operands: NestPlan.Contraction.MMAOperands
  var definition: Definition
  var buffer: Buffer
  /// Warps along rows (columns: 2): 4 where `launch` asks for 8 or more and the tile has 64 rows or more, else 2.
  var warpsM = 2
  /// Warpgroup MMA (`wgmma`, operands in swizzled shared memory): 1 or 2 warpgroups along the rows; nil: SM80 atoms.
  var warpgroups: Int?
  var threads: Int { warpgroups.map { $0 * 128 } ?? warpsM * 2 * 32 }

  var tileM: Int { plan.tileRows }
  var tileN: Int { plan.tileColumns }
  var tileK: Int { plan.tileContracted }
  var m: String { plan.rows }
  var n: String { plan.columns }
  var k: String { plan.contracted }
  var kRange: (lo: Int, hi: Int) { (plan.contractedRange.lowerBound, plan.contractedRange.upperBound) }
  var batch: [String] { plan.batch }
  var serial: [NestPlan.Contraction.SerialAxis] { plan.serial }
  var lhs: Load { plan.lhs }
  var rhs: Load { plan.rhs }
  /// The DSL type of the staged operands, the SM80 MMA atom, and the atom's K (the tiled MMA's K permutation).
  var operandType: String {
    switch operands {
    case .f16: return CuTeSyntax.type(.f16)
    case .bf16: return CuTeSyntax.type(.bf16)
    case .tf32: return "cutlass.TFloat32"
    }
  }
  var atom: String {
    switch operands {
    case .f16, .bf16: return "cute.nvgpu.warp.MmaF16BF16Op(\(operandType), cutlass.Float32, (16, 8, 16))"
    case .tf32: return "cute.nvgpu.warp.MmaTF32Op((16, 8, 8))"
    }
  }
  var atomK: Int { operands == .tf32 ? 8 : 16 }

  /// The choice for one top-level nest of `program` (one phase): the phase of a `dot` definition prints its plan
  /// (`contractions`, from `NestPlan.contractions`), or the plan's reason why the tensor cores do not take it.
  static func choose(
    _ stmt: Stmt, program: LoopProgram, kernel: Kernel, contractions: [String: NestPlan.ContractionPlan],
    workspace: [Buffer], mma: CuTeMMA = .sm80
  ) -> Choice {
    let allocated = Set(ThreadPlan.allocations([stmt]))
    // Buffers the phase stores to, besides the ones it allocates.
    let stores = ThreadPlan.stores([stmt]).subtracting(allocated)
    let dots = kernel.definitions.filter { $0.effectiveSchedule.isDot }
    guard let d = dots.first(where: { allocated.contains($0.name) }) ?? dots.first(where: { stores.contains($0.name) }),
      let planned = contractions[d.name]
    else { return .loops }
    func refuse(_ reason: String) -> Choice { .fallback(definition: d.name, reason: reason) }
    let plan: NestPlan.Contraction
    switch planned {
    case .refused(let reason): return refuse(reason)
    case .planned(let c): plan = c
    }
    guard stores == [d.name] else {
      return refuse("its phase also stores \(stores.subtracting([d.name]).sorted().joined(separator: ", "))")
    }
    guard let buffer = (program.results + workspace).first(where: { $0.name == d.name }), buffer.shape == d.axes.map({ plan.extent($0.name) })
    else { return refuse("its buffer is not a plain global tensor (layout or padding)") }
    guard let operands = plan.mma else { return refuse(plan.mmaRefusal ?? "the tensor cores do not take it") }
    var dot = CuTeDot(plan: plan, operands: operands, definition: d, buffer: buffer)
    let s = d.effectiveSchedule
    dot.warpsM = (s.launch?.warps ?? 4) >= 8 && dot.tileM >= 64 ? 4 : 2
    // wgmma: 16-bit operands and a tile of 64 rows per warpgroup (smaller tiles keep the SM80 atoms).
    if mma == .wgmma, operands != .tf32, dot.tileM >= 64 {
      dot.warpgroups = dot.tileM >= 128 && (s.launch?.warps ?? 4) >= 8 ? 2 : 1
    }
    return .mma(dot)
  }

  func extent(_ axis: String) -> Int { plan.extent(axis) }

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
    let aRowFastest = plan.lhsAlongTile
    let bRowFastest = plan.rhsAlongTile
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
