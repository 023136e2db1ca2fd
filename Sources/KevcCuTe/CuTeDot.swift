import KevcBasic
import KevcIR
import KevcLowering

/// `dot` on the CuTe DSL: a phase of the thread plan that computes one contraction the schedule marked `dot` (a sum
/// of a product of two loads, `Dot.swift`) becomes a tiled MMA kernel instead of scalar loops. Each block computes
/// one tile of the output, sized by the schedule's splits, on Hopper's warpgroup MMA (`wgmma`, 1 or 2 warpgroups,
/// operands in swizzled shared memory; the default for sm_90a, `CuTeMMA.resolved`) or on 2 x 2 or 4 x 2 warps of
/// the SM80 warp-level atom (`MmaF16BF16Op` 16x8x16 or `MmaTF32Op` 16x8x8, fragments loaded by `ldmatrix` for
/// 16-bit operands). The operand tiles live in a ring of `launch(..., stages)` slots of shared memory: the tiles of
/// the next `stages - 1` steps (serial axes times contracted steps) are in flight while one step's MMA runs, each
/// filled by 16-byte `cp.async` copies where the operand is stored in the MMA's type along the walked axis with
/// aligned extents (`copyWidth`), else element by element (out-of-range elements zero, the index of every read
/// clamped under a select); `cute.gemm` accumulates in f32; the epilogue stores each thread's accumulator elements
/// (coordinates from an identity tensor partitioned like the accumulator) through the target's store, guarded by
/// the output's bounds. What the dot is (the tile's rows, columns and contracted axis, batch axes as blocks per
/// value, serial reduction axes, the atom's operand type, the tile sizes from the schedule's splits) or why the
/// tensor cores do not take it, is `NestPlan.contraction`'s plan (KevcLowering/Contraction.swift, shared by every
/// target); this file prints it. A phase that also stores other buffers, or a plan the tensor cores refuse, keeps
/// the scalar loops of the thread plan, with the reason in a comment in the module.
///
/// Before (loop IR, one phase):
///   for i, m, n (bound) { %c.acc[] = 0.0; for k { %c.acc[] = %c.acc[] + cast<f32>(%a[i, m, k]) * ... }; %c[i, m, n] = ... }
/// After (`--cute-mma sm80`, 3 stages, cp.async at aligned extents):
///   @cute.kernel
///   def kevc_batched_matmul_p0(b_a: cute.Tensor, ..., kevc_mma: cute.TiledMma):
///       ... for kevc_k in cutlass.range(cutlass.Int64(0), cutlass.Int64(2), 1):
///           cute.arch.cp_async_wait_group(1)
///           cute.arch.sync_threads()
///           ... cute.copy(kevc_cp, cute.make_tensor(b_a.iterator + cute.assume(..., divby=8), cute.make_layout(8)), kevc_dst)
///           cute.copy(kevc_lda, kevc_lda_s[None, None, None, kevc_k % cutlass.Int64(3)], kevc_lda_r)
///           cute.gemm(kevc_mma, kevc_acc, kevc_ra, kevc_rb, kevc_acc)
/// Which matrix instruction a CuTe `dot` uses (`kevc compile --target cute --cute-mma`): the SM80 warp-level
/// `mma.sync` atoms (they run on sm_80 and later), Hopper's warpgroup `wgmma` (sm_90a only), or `auto` (the default):
/// chosen from the architecture the module is built for (`resolved(archs:)`, the one place that decides).
public enum CuTeMMA: String, CaseIterable, Sendable {
  case auto, sm80, wgmma

  /// The architecture a CuTe module is built for when nothing names one: the H100's (kevc's GPU machine).
  public static let defaultArch = "sm_90a"

  /// The instruction for a module built for `archs` (`--check-aot`'s, else `defaultArch`): `auto` is wgmma where
  /// every one is sm_90a (wgmma exists there only), else the SM80 atoms; an explicit choice stays.
  public func resolved(archs: [String]) -> CuTeMMA {
    switch self {
    case .sm80, .wgmma: return self
    case .auto:
      let targets = archs.isEmpty ? [Self.defaultArch] : archs
      return targets.allSatisfy({ $0 == "sm_90a" }) ? .wgmma : .sm80
    }
  }
}

struct CuTeDot {
  /// What a phase becomes: the thread plan's loops (no contraction, or one that does not fit: the reason) or MMA.
  enum Choice {
    case loops
    case fallback(definition: String, reason: String)
    case mma(CuTeDot)
  }

  /// The shared memory the operand tiles of all stages may take (the ring is shortened to fit).
  static let sharedBudget = 128 * 1024

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
  /// Slots of the shared-memory ring of operand tiles (`launch(..., stages)`, as many as fit `sharedBudget`): the
  /// tiles of the next `stages - 1` steps are in flight while one step's MMA runs; 1: load, barrier, MMA, barrier.
  var stages = 1
  /// Elements per 16-byte `cp.async` of the left and right operand tiles (`copyWidth`); nil: the threads load and
  /// store them element by element.
  var lhsVector: Int?
  var rhsVector: Int?
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
  /// The type the operands are staged in (the MMA's), and the type a raw copy reads from global memory.
  var stagedType: DType {
    switch operands {
    case .f16: return .f16
    case .bf16: return .bf16
    case .tf32: return .f32
    }
  }
  /// The DSL type of the staged operands, the SM80 MMA atom, and the atom's K (the tiled MMA's K permutation).
  var operandType: String {
    switch operands {
    case .f16, .bf16: return CuTeSyntax.type(stagedType)
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
    workspace: [Buffer], mma: CuTeMMA = .auto
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
    // wgmma: 16-bit operands (the DSL has no tf32 warpgroup op) and a tile of 64 rows per warpgroup (smaller tiles
    // keep the SM80 atoms).
    if mma.resolved(archs: []) == .wgmma, operands != .tf32, dot.tileM >= 64 {
      dot.warpgroups = dot.tileM >= 128 && (s.launch?.warps ?? 4) >= 8 ? 2 : 1
    }
    let bytesPerStage = (dot.tileM + dot.tileN) * dot.tileK * dot.stagedType.byteSize
    dot.stages = max(1, min(s.launch?.stages ?? 1, sharedBudget / bytesPerStage))
    let shapes = program.shapes
    dot.lhsVector = dot.copyWidth(plan.lhs, stored: plan.lhsType, row: plan.rows, alongTile: plan.lhsAlongTile, shapes: shapes)
    dot.rhsVector = dot.copyWidth(plan.rhs, stored: plan.rhsType, row: plan.columns, alongTile: plan.rhsAlongTile, shapes: shapes)
    return .mma(dot)
  }

  func extent(_ axis: String) -> Int { plan.extent(axis) }

  /// What the kernel does, for the module's comment and `--emit plan`.
  var summary: String {
    let unit = warpgroups.map { "wgmma, \($0) warpgroup(s)" } ?? "\(atom), \(warpsM)x2 warps"
    let around = serial.isEmpty ? "" : ", serial \(serial.map(\.name).joined(separator: ", "))"
    let blocksOf = batch.isEmpty ? "" : ", a block row per \(batch.joined(separator: ", "))"
    func copy(_ v: Int?) -> String { v.map { "cp.async x\($0)" } ?? "loads" }
    let ring = "\(stages) stage(s), operands by \(copy(lhsVector)) and \(copy(rhsVector))"
    return "\(m) x \(n) over \(k) on the tensor cores (\(unit)), \(tileM)x\(tileN)x\(tileK) tiles\(blocksOf)\(around), \(ring)"
  }

  /// Blocks of the launch: one per batch value and output tile.
  var blocks: Int {
    let tiles = ((extent(m) + tileM - 1) / tileM) * ((extent(n) + tileN - 1) / tileN)
    return batch.reduce(tiles) { $0 * extent($1) }
  }

  /// Whether an operand's tile is K-major in shared memory: its buffer holds the contracted axis contiguously.
  var lhsKMajor: Bool { !plan.lhsAlongTile }
  var rhsKMajor: Bool { !plan.rhsAlongTile }

  /// `cute.make_tiled_mma` of the atom: warps (rows x 2) of the SM80 atom, or warpgroups of wgmma along the rows
  /// (both operands read from shared memory, each K- or MN-major as its buffer holds it).
  var tiledMMA: String {
    if let warpgroups {
      func major(_ kMajor: Bool) -> String { "cute.nvgpu.OperandMajorMode.\(kMajor ? "K" : "MN")" }
      let op = "cute.nvgpu.warpgroup.MmaF16BF16Op(\(operandType), cutlass.Float32, (64, \(tileN), 16), "
        + "cute.nvgpu.warpgroup.OperandSource.SMEM, \(major(lhsKMajor)), \(major(rhsKMajor)))"
      return "cute.make_tiled_mma(\(op), cute.make_layout((\(warpgroups), 1, 1)))"
    }
    return "cute.make_tiled_mma(\(atom), cute.make_layout((\(warpsM), 2, 1)), permutation_mnk=(\(warpsM * 16), 32, \(atomK)))"
  }

  /// The shared-memory layout of a ring of `rows x tileK` operand tiles. wgmma: the swizzled layout it reads,
  /// K-major or MN-major as the buffer holds the operand (the widest swizzle the major mode's bytes fill, as
  /// CUTLASS's `get_smem_layout_atom` picks it), tiled to the tile and the stages; SM80 atoms: the tile walking the
  /// axis the buffer holds contiguously (coalesced reads, conflict-free shared stores), a tile per stage.
  func sharedLayout(_ rows: Int, kMajor: Bool) -> String {
    let ring = rows * tileK
    guard warpgroups != nil else {
      return "cute.make_layout((\(rows), \(tileK), \(stages)), stride=\(kMajor ? "(\(tileK), 1, \(ring))" : "(1, \(rows), \(ring))"))"
    }
    let bits = (kMajor ? tileK : rows) * stagedType.byteSize * 8
    let swizzle = bits % 1024 == 0 ? "SW128" : bits % 512 == 0 ? "SW64" : bits % 256 == 0 ? "SW32" : "INTER"
    return "cute.tile_to_shape(cute.nvgpu.warpgroup.make_smem_layout_atom(cute.nvgpu.warpgroup.SmemLayoutAtomKind."
      + "\(kMajor ? "K" : "MN")_\(swizzle), \(operandType)), (\(rows), \(tileK), \(stages)), order=\(kMajor ? "(0, 1, 2)" : "(1, 0, 2)"))"
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

  /// Elements per 16-byte `cp.async` of an operand's tile, or nil: the operand must be stored in the staged type
  /// (no rounding on the way), each index one axis inside the buffer (`isInside`), the last (contiguous) index the
  /// axis the tile is walked along (its row axis or the contracted one) and no other index that axis, and every
  /// vector wholly inside or wholly outside the operand's range and aligned: the buffer's rows and the walked axis's
  /// range bounds multiples of the vector.
  func copyWidth(_ load: Load, stored: DType, row: String, alongTile: Bool, shapes: [String: [Int]]) -> Int? {
    guard stored == stagedType, let shape = shapes[load.tensor], let last = shape.last, case .index(let fast)? = load.indices.last,
      isInside(load, row: row, shapes: shapes), fast == (alongTile ? row : k),
      !load.indices.dropLast().contains(.index(fast))
    else { return nil }
    let v = 16 / stored.byteSize
    let whole = alongTile ? extent(row) % v == 0 : kRange.lo % v == 0 && kRange.hi % v == 0
    return last % v == 0 && whole && tileK % v == 0 ? v : nil
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
    // The ring of operand tiles in dynamic shared memory (past the 48 KiB of static allocations); wgmma's swizzle
    // goes with the pointer, the rest of the layout with the tensor.
    line("kevc_smem = cutlass.utils.SmemAllocator()")
    for (tile, rows, kMajor) in [("kevc_sa", bm, lhsKMajor), ("kevc_sb", bn, rhsKMajor)] {
      line("\(tile)_layout = \(sharedLayout(rows, kMajor: kMajor))")
      line(
        warpgroups == nil
          ? "\(tile) = kevc_smem.allocate_tensor(\(operandType), \(tile)_layout, 16)"
          : "\(tile) = kevc_smem.allocate_tensor(\(operandType), \(tile)_layout.outer, 1024, swizzle=\(tile)_layout.inner)")
    }
    let copies = lhsVector != nil || rhsVector != nil
    let ldmatrix = operands != .tf32
    if copies {
      line("kevc_cp = cute.make_copy_atom(cute.nvgpu.cpasync.CopyG2SOp(cute.nvgpu.LoadCacheMode.GLOBAL), \(operandType), num_bits_per_copy=128)")
    }
    line("kevc_thr = kevc_mma.get_slice(kevc_tid)")
    line("kevc_tsa = kevc_thr.partition_A(kevc_sa)")
    line("kevc_tsb = kevc_thr.partition_B(kevc_sb)")
    if warpgroups != nil {
      // wgmma's fragments describe the shared tiles (a stage mode included).
      line("kevc_ra = kevc_mma.make_fragment_A(kevc_tsa)")
      line("kevc_rb = kevc_mma.make_fragment_B(kevc_tsb)")
    } else {
      line("kevc_ra = kevc_mma.make_fragment_A(kevc_tsa[None, None, None, 0])")
      line("kevc_rb = kevc_mma.make_fragment_B(kevc_tsb[None, None, None, 0])")
      if ldmatrix {
        // 16-bit operands reach the registers by `ldmatrix` (transposed for an MN-major tile), four 8x8 matrices
        // a time.
        for (copy, tile, fragment, operand, kMajor) in [
          ("kevc_lda", "kevc_sa", "kevc_ra", "A", lhsKMajor), ("kevc_ldb", "kevc_sb", "kevc_rb", "B", rhsKMajor),
        ] {
          line(
            "\(copy) = cute.make_tiled_copy_\(operand)(cute.make_copy_atom(cute.nvgpu.warp.LdMatrix8x8x16bOp(\(kMajor ? "False" : "True"), 4), \(operandType)), kevc_mma)")
          line("\(copy)_s = \(copy).get_slice(kevc_tid).partition_S(\(tile))")
          line("\(copy)_r = \(copy).get_slice(kevc_tid).retile(\(fragment))")
        }
      }
    }
    line("kevc_cc = kevc_thr.partition_C(cute.make_identity_tensor((\(bm), \(bn))))")
    line("kevc_acc = kevc_mma.make_fragment_C(kevc_cc.shape)")
    line("kevc_acc.fill(0.0)")
    if warpgroups != nil { line("kevc_mma.set(cute.nvgpu.warpgroup.Field.ACCUMULATE, True)") }
    // Steps: the serial axes (outermost first) around the steps of the contracted axis, as one index.
    let steps = (kRange.hi - kRange.lo + bk - 1) / bk
    let total = serial.reduce(steps) { $0 * ($1.hi - $1.lo) }

    // Fills slot `slot` with the operand tile of step `step` (every thread issues its part; a step at or past
    // `total` is zeros): one element per thread and iteration, or one 16-byte `cp.async` of `vector` elements.
    func stage(
      _ tile: String, _ load: Load, row: String, rows: Int, tileIndex: String, rowFastest: Bool, vector: Int?,
      step: String, slot: String
    ) throws(DiagnosticError) {
      let v = vector ?? 1
      let units = rows * bk / v
      let along = rowFastest ? rows / v : bk / v
      // A thread's copies are unrolled; its element loads 4 at a time (all of them live at once took every
      // register of a 128 x 128 x 64 tile's threads).
      let count = (units + threads - 1) / threads
      line(
        vector != nil || count <= 4
          ? "for kevc_u in cutlass.range_constexpr(\(count)):"
          : "for kevc_u in cutlass.range(\(i64(0)), \(i64(count)), 1, unroll=4):")
      indent += 1
      line("kevc_e = cutlass.Int64(kevc_tid) + cutlass.Int64(kevc_u * \(threads))")
      if units % threads != 0 {
        line("if kevc_e < \(i64(units)):")
        indent += 1
      }
      let first = "(kevc_e % \(i64(along)))" + (v > 1 ? " * \(i64(v))" : "")
      let second = "kevc_e // \(i64(along))"
      line("kevc_i = \(rowFastest ? first : second)")
      line("kevc_j = \(rowFastest ? second : first)")
      // The step's serial values and contracted step.
      if !serial.isEmpty { line("kevc_q = \(step) // \(i64(steps))") }
      for x in serial.reversed() {
        line("\(name(x.name)) = \(i64(x.lo)) + kevc_q % \(i64(x.hi - x.lo))")
        line("kevc_q = kevc_q // \(i64(x.hi - x.lo))")
      }
      line("kevc_vr = \(tileIndex) * \(i64(rows)) + kevc_i")
      line("kevc_vk = \(i64(kRange.lo)) + (\(step) % \(i64(steps))) * \(i64(bk)) + kevc_j")
      let inRange = stages > 1 ? " & (\(step) < \(i64(total)))" : ""
      line("kevc_ok = (kevc_vr < \(i64(extent(row)))) & (kevc_vk < \(i64(kRange.hi)))\(inRange)")
      var inner = scope
      inner.names[row] = name(row)
      inner.names[k] = name(k)
      for x in serial { inner.names[x.name] = name(x.name) }
      if let vector {
        // A vector wholly inside is copied (its address a multiple of the vector), one wholly outside is zeros.
        let slice = rowFastest ? "(\(vector), 1))[None, 0, kevc_i // \(vector), kevc_j]" : "(1, \(vector)))[0, None, kevc_i, kevc_j // \(vector)]"
        line("kevc_dst = cute.flat_divide(\(tile)[None, None, \(slot)], \(slice)")
        line("if kevc_ok:")
        indent += 1
        line("\(name(row)) = kevc_vr")
        line("\(name(k)) = kevc_vk")
        guard let target = inner.names[load.tensor], let shape = inner.shapes[load.tensor] else {
          throw CuTeEmitter.internalError("buffer '\(load.tensor)' is not declared")
        }
        var indices: [String] = []
        for index in load.indices { indices.append(try syntax.expr(index, inner).text) }
        let pointer = "\(target).iterator + cute.assume(\(syntax.offset(indices, shape)), divby=\(vector))"
        let typed = operands == .tf32 ? "cute.recast_ptr(\(pointer), dtype=\(operandType))" : pointer
        line("cute.copy(kevc_cp, cute.make_tensor(\(typed), cute.make_layout(\(vector))), kevc_dst)")
        indent -= 1
        line("else:")
        // (`fill` on a TFloat32 tensor crashes cute.compile in nvidia-cutlass-dsl 4.8.1: zeros as f32 bits.)
        line(operands == .tf32 ? "    cute.recast_tensor(kevc_dst, cutlass.Float32).fill(0.0)" : "    kevc_dst.fill(0.0)")
      } else {
        line("\(name(row)) = cutlass.Int64(cutlass.select_(kevc_ok, kevc_vr, \(i64(0))))")
        line("\(name(k)) = cutlass.Int64(cutlass.select_(kevc_ok, kevc_vk, \(i64(kRange.lo))))")
        var read = load
        if isInside(load, row: row, shapes: scope.shapes) { read.bounds = .inBounds }
        let value = try syntax.expr(.load(read), inner).text
        line("\(tile)[kevc_i, kevc_j, \(slot)] = \(operandType)(cutlass.select_(kevc_ok, \(value), \(CuTeSyntax.zero(.f32))))")
      }
      indent -= units % threads != 0 ? 2 : 1
    }
    func fill(step: String, slot: String) throws(DiagnosticError) {
      try stage("kevc_sa", lhs, row: m, rows: bm, tileIndex: "kevc_tm", rowFastest: !lhsKMajor, vector: lhsVector, step: step, slot: slot)
      try stage("kevc_sb", rhs, row: n, rows: bn, tileIndex: "kevc_tn", rowFastest: !rhsKMajor, vector: rhsVector, step: step, slot: slot)
      if copies { line("cute.arch.cp_async_commit_group()") }
    }
    // The MMA of the tiles in slot `slot`; wgmma leaves `inFlight` groups of its own running.
    func multiply(_ slot: String, inFlight: Int = 0) {
      if warpgroups != nil {
        line("cute.nvgpu.warpgroup.fence()")
        line("for kevc_kb in cutlass.range_constexpr(cute.size(kevc_ra, mode=[2])):")
        line("    cute.gemm(kevc_mma, kevc_acc, kevc_ra[None, None, kevc_kb, \(slot)], kevc_rb[None, None, kevc_kb, \(slot)], kevc_acc)")
        line("cute.nvgpu.warpgroup.commit_group()")
        line("cute.nvgpu.warpgroup.wait_group(\(inFlight))")
      } else if ldmatrix {
        line("cute.copy(kevc_lda, kevc_lda_s[None, None, None, \(slot)], kevc_lda_r)")
        line("cute.copy(kevc_ldb, kevc_ldb_s[None, None, None, \(slot)], kevc_ldb_r)")
        line("cute.gemm(kevc_mma, kevc_acc, kevc_ra, kevc_rb, kevc_acc)")
      } else {
        line("cute.autovec_copy(kevc_tsa[None, None, None, \(slot)], kevc_ra)")
        line("cute.autovec_copy(kevc_tsb[None, None, None, \(slot)], kevc_rb)")
        line("cute.gemm(kevc_mma, kevc_acc, kevc_ra, kevc_rb, kevc_acc)")
      }
    }
    // Arrived tiles made visible to every thread (and to wgmma's async proxy).
    func arrived(pending: Int) {
      if copies { line("cute.arch.cp_async_wait_group(\(pending))") }
      if warpgroups != nil { line("cute.arch.fence_proxy(\"async.shared\", space=\"cta\")") }
      line(syntax.barrier)
    }
    if stages == 1 {
      line("for kevc_k in cutlass.range(\(i64(0)), \(i64(total)), 1):")
      indent += 1
      try fill(step: "kevc_k", slot: "0")
      arrived(pending: 0)
      multiply("0")
      line(syntax.barrier)
      indent -= 1
    } else {
      // Prologue: the first stages - 1 steps in flight. Step k waits for its tiles, refills the slot step k - 1
      // read with step k + stages - 1 and multiplies: the SM80 atoms refill first (every thread's MMA of step
      // k - 1 is behind the barrier); wgmma issues step k's MMA first, waits for step k - 1's (`wait_group(1)`)
      // and a barrier, then refills, so that the tensor cores run while the threads issue the copies.
      line("for kevc_s in cutlass.range_constexpr(\(stages - 1)):")
      indent += 1
      try fill(step: "cutlass.Int64(kevc_s)", slot: "kevc_s")
      indent -= 1
      line("for kevc_k in cutlass.range(\(i64(0)), \(i64(total)), 1):")
      indent += 1
      arrived(pending: stages - 2)
      if warpgroups != nil {
        multiply("kevc_k % \(i64(stages))", inFlight: 1)
        line(syntax.barrier)
      }
      line("kevc_next = kevc_k + \(i64(stages - 1))")
      try fill(step: "kevc_next", slot: "kevc_next % \(i64(stages))")
      if warpgroups == nil { multiply("kevc_k % \(i64(stages))") }
      indent -= 1
      if warpgroups != nil { line("cute.nvgpu.warpgroup.wait_group(0)") }
      if copies { line("cute.arch.cp_async_wait_group(0)") }
    }
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
