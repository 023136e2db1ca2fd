import Foundation
import KevcBasic
import KevcDriver
import KevcHIP
import KevcTransforms
import Testing

/// `dot` on HIP: a contraction the schedule marks `dot`, tiled so that a wave's tile fits MFMA shapes, becomes a
/// matrix tile of the thread plan (`--emit plan`), printed as MFMA instructions under `#if defined(KEVC_MFMA)` with
/// the portable loops under `#else`; gfx942 assembly holds `v_mfma` (golden), shapes and dtypes that do not fit keep
/// the portable loops. Numerics of both paths run on the CPU in python/tests/test_hip_module.py and
/// .ci/targets-aot.sh (hip_host_check, `--threads --mfma` for the MFMA path's emulation).
@Suite struct HIPMatrixUnitTests {
  static let repository = HIPEmitterTests.repository

  static func compile(
    _ spec: String, trace: String, stages: Set<Stage>, shape: [String: Int] = [:], target: CompileTarget = .hip
  ) throws -> CompileResult {
    let text = try String(contentsOf: repository.appendingPathComponent("specs/\(spec).kev"), encoding: .utf8)
    let schedule = try Trace.parse(SourceFile(path: "\(spec).trace", text: trace))
    var r = CompileRequest(source: SourceFile(path: "specs/\(spec).kev", text: text), kind: .spec, stages: stages, schedule: schedule)
    r.target = target
    // A hand trace's precisions need the contract that allows them (the trace never raises it).
    r.matmulPrecision = r.schedule?.leastMatmulPrecision
    r.shapeOverrides = shape
    return try Compiler.compile(r)
  }

  static func trace(_ name: String) throws -> String {
    try String(contentsOf: repository.appendingPathComponent("lowering/hip/traces/\(name).mfma.trace"), encoding: .utf8)
  }

  static func text(_ r: CompileResult, _ stage: Stage) -> String { String(decoding: r.artifacts[stage] ?? Data(), as: UTF8.self) }

  /// Each trace's tile, instruction and operand type, as the plan prints them and the source spells them.
  @Test(arguments: [
    ("matmul", "matrix tile m.i x n.i (64 x 32) over k.o, k.i into %c.acc: 32x32x2 f32 instructions, 2 x 1 per wave", "kevc_mfma_f32(", "v_mfma_f32_32x32x2_f32"),
    ("matmul_bias_gelu", "matrix tile m.i x n.i (32 x 32) over k.o, k.i into %_r0.acc: 32x32x8 bf16 instructions, 1 x 1 per wave", "kevc_mfma_bf16(", "v_mfma_f32_32x32x8_bf16"),
    ("batched_matmul", "matrix tile m.i x n.i (16 x 32) over k into %_r0.acc: 16x16x16 f16 instructions, 1 x 2 per wave", "kevc_mfma_f16(", "v_mfma_f32_16x16x16_f16"),
  ])
  func tilesFollowTheTraces(_ spec: String, _ line: String, _ call: String, _ instruction: String) throws {
    let r = try Self.compile(spec, trace: try Self.trace(spec), stages: [.plan, .hip])
    let plan = Self.text(r, .plan)
    #expect(plan.contains(line), "\(plan)")
    #expect(plan.contains("wave(s) of 64 lanes (portable: its elements strided over "))
    let hip = Self.text(r, .hip)
    #expect(hip.contains("#if defined(KEVC_MFMA)") && hip.contains("#else") && hip.contains("#endif"))
    #expect(hip.contains(call))
    guard HIPEmitterTests.hasClang else { return }
    let asm = try HIPEmitterTests.assembly(hip)
    #expect(asm.contains(instruction), "no \(instruction) in the gfx942 assembly")
    // Registers, not scratch memory: the tile's arrays are indexed by unrolled loops.
    #expect(asm.contains(".private_segment_fixed_size: 0"))
  }

  /// A 128 x 128 tile (the Triton trace `matmul.bf16_operands.trace`, at a shape that fills it) runs on 2 x 2 waves
  /// of 2 x 2 instruction tiles each, a block of 256 threads on AMD (1,024 on the portable path), every register in
  /// VGPRs. The trace's `precision(c, bf16)` lets the contraction's plan round the f32 operands to bf16, so the
  /// instructions are bf16 ones, as the CuTe DSL's atom and Triton's `tl.dot` operands are.
  @Test func wideTilesSpreadOverWaves() throws {
    let trace = try String(
      contentsOf: Self.repository.appendingPathComponent("lowering/triton/traces/matmul.bf16_operands.trace"), encoding: .utf8)
    let r = try Self.compile("matmul", trace: trace, stages: [.plan, .hip], shape: ["M": 256, "N": 200, "K": 70])
    let plan = Self.text(r, .plan)
    #expect(plan.contains("phase 0: 4 block(s) of 1024 threads"), "\(plan)")
    #expect(plan.contains("(128 x 128) over k.o, k.i into %c.acc: 32x32x8 bf16 instructions, 2 x 2 per wave, 2 x 2 wave(s) of 64 lanes (portable: its elements strided over 1024 threads)"))
    #expect(plan.contains("%c: on llvm: its loop nest; on hip: its loop nest, on bf16 MFMA (gfx9) where the thread plan finds a matrix tile"))
    let hip = Self.text(r, .hip)
    #expect(hip.contains("__global__ void KEVC_LAUNCH_BOUNDS(KEVC_TILE_THREADS(256, 1024)) kevc_matmul_"))
    #expect(hip.contains("KEVC_LAUNCH(kevc_matmul_p0, 4, KEVC_TILE_THREADS(256, 1024), stream)"))
    #expect(hip.contains("const int kevc_wn = (int)(KEVC_TID_X / 64) % 2 * 64;"))
    guard HIPEmitterTests.hasClang else { return }
    let asm = try HIPEmitterTests.assembly(hip)
    #expect(asm.contains("v_mfma_f32_32x32x8_bf16") && asm.contains(".private_segment_fixed_size: 0"))
  }

  /// The source of the f32 trace and the gfx942 assembly of the bf16 one are kept (`lowering/hip/`).
  @Test func goldens() throws {
    let hip = Self.text(try Self.compile("matmul", trace: try Self.trace("matmul"), stages: [.hip]), .hip)
    try HIPEmitterTests.checkGolden(hip, "lowering/hip/matmul.mfma.hip")
    guard HIPEmitterTests.hasClang else { return }
    let bf16 = Self.text(try Self.compile("matmul_bias_gelu", trace: try Self.trace("matmul_bias_gelu"), stages: [.hip]), .hip)
    try HIPEmitterTests.checkGolden(try HIPEmitterTests.assembly(bf16), "lowering/hip/matmul_bias_gelu.mfma.gfx942.s")
  }

  /// No matrix tile (the portable loops alone) where the contraction is not marked `dot`, where the tile is not a
  /// multiple of 16, or where it needs more than 4 instruction tiles per wave; the CuTe DSL prints the portable loops.
  @Test func portableWhereTheTileDoesNotFit() throws {
    let base = try Self.trace("matmul")
    for (trace, why) in [
      (base.replacingOccurrences(of: "dot(c)", with: ""), "not a dot"),
      (base.replacingOccurrences(of: "split(c, n, 32)", with: "split(c, n, 24)"), "24 columns"),
      (base.replacingOccurrences(of: "split(c, n, 32)", with: "split(c, n, 128)"), "8 instruction tiles"),
    ] {
      let r = try Self.compile("matmul", trace: trace, stages: [.plan, .hip])
      #expect(!Self.text(r, .plan).contains("matrix tile m.i"), "\(why)")
      #expect(!Self.text(r, .hip).contains("KEVC_MFMA"), "\(why)")
    }
    let cute = Self.text(try Self.compile("matmul", trace: base, stages: [.cute], target: .cute), .cute)
    #expect(!cute.isEmpty && !cute.contains("mfma"))
  }

  /// The matrix tile follows the contraction's plan (`NestPlan.contraction`): its rows and columns are loops of the
  /// plan's row and column axes in either order, the instruction steps the contracted axis (channels, not a
  /// convolution's taps), the operand type is the plan's, and a contraction the plan refuses (a permuted
  /// intermediate: "every target runs its loop nest") gets none.
  @Test func tileFollowsTheContractionPlan() throws {
    let conv = """
      split(_r0, l, 32)
      split(_r0, f, 32)
      reorder(_r0, [n, l.o, f.o, ORDER])
      bind(_r0, n, grid.z)
      bind(_r0, l.o, grid.y)
      bind(_r0, f.o, grid.x)
      bind(_r0, l.i, block.y)
      bind(_r0, f.i, block.x)
      dot(_r0)

      """
    for (order, tile) in [
      ("l.i, f.i, k, c", "matrix tile l.i x f.i (32 x 32) over k, c into %_r0.acc: 32x32x8 bf16 instructions"),
      ("f.i, l.i, k, c", "matrix tile f.i x l.i (32 x 32) over k, c into %_r0.acc: 32x32x8 bf16 instructions"),
      ("l.i, f.i, c, k", nil),
    ] {
      let r = try Self.compile(
        "conv1d", trace: conv.replacingOccurrences(of: "ORDER", with: order), stages: [.plan, .hip], shape: ["L": 64, "F": 32])
      let plan = Self.text(r, .plan)
      #expect(plan.contains("%_r0: contraction l x f over c in [0, 13) of %x (bf16, along l) and %w (bf16, along c), batch n, serial k in [0, 3)"))
      if let tile {
        #expect(plan.contains(tile), "\(order): \(plan)")
      } else {
        #expect(!plan.contains("matrix tile l.i"), "\(order): the taps are innermost: \(plan)")
        #expect(!Self.text(r, .hip).contains("KEVC_MFMA"))
      }
    }
    let permuted = try Self.trace("matmul_bias_gelu") + "layout(_r0, [1, 0])\n"
    let r = try Self.compile("matmul_bias_gelu", trace: permuted, stages: [.plan, .hip])
    #expect(Self.text(r, .plan).contains("%_r0: contraction not planned: its buffer is not a plain global tensor"))
    #expect(!Self.text(r, .plan).contains("matrix tile m.i"))
    #expect(!Self.text(r, .hip).contains("KEVC_MFMA"))
  }

  /// The CuTe DSL prints a matrix tile's portable path (the tile's elements strided over the block's threads); it
  /// compiles for sm_90a.
  @Test func cuteCompilesThePortablePath() throws {
    var request = CompileRequest(
      source: SourceFile(path: "specs/matmul.kev", text: try String(contentsOf: Self.repository.appendingPathComponent("specs/matmul.kev"), encoding: .utf8)),
      kind: .spec, stages: [.cute], schedule: try Trace.parse(SourceFile(path: "t", text: try Self.trace("matmul"))))
    request.target = .cute
    // A hand trace's precisions need the contract that allows them (the trace never raises it).
    request.matmulPrecision = request.schedule?.leastMatmulPrecision
    let cute = Self.text(try Compiler.compile(request), .cute)
    #expect(cute.contains("for kevc_e_m_i in cutlass.range(cutlass.Int64(0) + cutlass.Int64(kevc_tid), cutlass.Int64(2048), 1024):"))
    guard CuTeEmitterTests.hasCuTe else { return }
    request.aotTargets = ["sm_90a"]
    #expect(try Compiler.compile(request).artifacts[.cute] != nil)
  }

  /// Every lane reads its operands only inside the tile's bounds and the reduction's: a split's tail rows and the
  /// last partial instruction step are masked (the same checks as the portable loops' guards).
  @Test func tailsAreMasked() throws {
    let hip = Self.text(try Self.compile("matmul", trace: try Self.trace("matmul"), stages: [.hip], shape: ["M": 70, "N": 40, "K": 9]), .hip)
    #expect(hip.contains("kevc_end_k_i = kevc_imin<long long>(8LL, kevc_sub<long long>(9LL, kevc_mul<long long>(v_k_o, 8LL)))"))
    #expect(hip.contains("&& (v_k_i < kevc_end_k_i))) ?"))
    #expect(hip.contains("v_m_i < kevc_imin<long long>(64LL, kevc_sub<long long>(70LL"))
  }
}
