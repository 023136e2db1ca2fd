import Foundation
import KevcBasic
import KevcCuTe
import KevcDriver
import KevcTransforms
import Testing

/// The CuTe DSL target: golden modules for a few specs under the default GPU schedule, the harness protocol in the
/// module, and a few specs compiled for sm_90a with fake tensors (skipped when nvidia-cutlass-dsl is not
/// installed; .ci/targets-aot.sh compiles every spec).
@Suite struct CuTeEmitterTests {
  static let goldenSpecs = ["rmsnorm", "softmax", "matmul", "cumsum", "embedding_bag", "batched_matmul"]

  static func module(_ name: String, aot: [String] = []) throws -> String {
    let r = try HIPEmitterTests.compile("\(name).kev", stages: [.cute], aot: aot, target: .cute)
    return String(decoding: r.artifacts[.cute] ?? Data(), as: UTF8.self)
  }

  static var hasCuTe: Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import cutlass.cute"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    guard (try? ChildProcesses.start(p)) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
  }

  /// `lowering/cute/<spec>.py` is the module for the spec at its default shape under the default GPU schedule.
  @Test(arguments: goldenSpecs)
  func goldenModule(_ name: String) throws {
    try HIPEmitterTests.checkGolden(try Self.module(name), "lowering/cute/\(name).py")
  }

  @Test func moduleCarriesTheHarnessProtocol() throws {
    let text = try Self.module("rmsnorm")
    #expect(text.contains("KEVC = {") && text.contains("\"target\": \"cute\""))
    #expect(text.contains("def launch(**tensors):") && text.contains("def compile_aot(arch=\"sm_90a\"):"))
    #expect(text.contains("@cute.kernel") && text.contains("@cute.jit"))
    #expect(text.contains("if kevc_t < cutlass.Int64(61):"))
  }

  /// The block plan in the DSL: strided loops over `kevc_tid`, warp butterflies, a shared slot per warp, barriers.
  @Test func blockReductionsInTheDSL() throws {
    let text = try Self.module("softmax")
    #expect(text.contains("cute.arch.shuffle_sync_bfly("))
    #expect(text.contains("cute.arch.alloc_smem(cutlass.Float32, "))
    #expect(text.contains("cute.arch.sync_threads()"))
    #expect(text.contains("+ cutlass.Int64(kevc_tid), "))
  }

  /// A spec's CuTe module (or `stages`) under `mma`, at `shape` (default dims where empty), under the trace `trace`
  /// (text) instead of the default GPU schedule; compiled for sm_90a where the DSL is installed and `aot` asks.
  static func cute(
    _ spec: String, mma: CuTeMMA = .auto, shape: [String: Int] = [:], trace: String? = nil, stage: Stage = .cute,
    aot: Bool = false
  ) throws -> String {
    let path = HIPEmitterTests.repository.appendingPathComponent("specs/\(spec).kev").path
    var request = CompileRequest(
      source: SourceFile(path: "specs/\(spec).kev", text: try String(contentsOfFile: path, encoding: .utf8)), kind: .spec,
      shapeOverrides: shape, stages: [stage],
      schedule: try trace.map { t throws(DiagnosticError) in try Trace.parse(SourceFile(path: "<trace>", text: t)) })
    request.target = .cute
    // A hand trace's precisions need the contract that allows them (the trace never raises it).
    request.matmulPrecision = request.schedule?.leastMatmulPrecision
    request.cuteMMA = mma
    if aot && Self.hasCuTe { request.aotTargets = ["sm_90a"] }
    return String(decoding: try Compiler.compile(request).artifacts[stage] ?? Data(), as: UTF8.self)
  }

  /// The matrix instruction comes from the architecture in one place: wgmma where every architecture the module is
  /// built for is sm_90a (the default one included), else the SM80 atoms; an explicit choice stays.
  @Test func mmaFromTheArchitecture() {
    #expect(CuTeMMA.auto.resolved(archs: []) == .wgmma)
    #expect(CuTeMMA.auto.resolved(archs: ["sm_90a"]) == .wgmma)
    #expect(CuTeMMA.auto.resolved(archs: ["sm_80"]) == .sm80)
    #expect(CuTeMMA.auto.resolved(archs: ["sm_90a", "sm_100a"]) == .sm80)
    #expect(CuTeMMA.sm80.resolved(archs: ["sm_90a"]) == .sm80)
    #expect(CuTeMMA.wgmma.resolved(archs: ["sm_80"]) == .wgmma)
  }

  /// A `dot` phase with f16/bf16 operands is a tiled MMA: the SM80 warp atom (`--cute-mma sm80`), a ring of operand
  /// tiles in shared memory (`launch(..., stages 3)`), `cute.gemm` into an f32 accumulator, the epilogue guarded by
  /// the output's bounds; the batch axis is a block index, a convolution's taps decoded from the step.
  @Test func dotBecomesCuteGemm() throws {
    let text = try Self.cute("batched_matmul", mma: .sm80)
    #expect(text.contains("cute.gemm(kevc_mma, kevc_acc, kevc_ra, kevc_rb, kevc_acc)"))
    #expect(text.contains("cute.make_tiled_mma(cute.nvgpu.warp.MmaF16BF16Op(cutlass.Float16, cutlass.Float32, (16, 8, 16))"))
    #expect(text.contains("kevc_sa_layout = cute.make_layout((64, 32, 3), stride=(32, 1, 2048))"))
    #expect(text.contains("kevc_sa = kevc_smem.allocate_tensor(cutlass.Float16, kevc_sa_layout, 16)"))
    // ldmatrix into the fragments: a (K-major) as stored, b (its columns contiguous) transposed.
    #expect(text.contains("cute.make_tiled_copy_A(cute.make_copy_atom(cute.nvgpu.warp.LdMatrix8x8x16bOp(False, 4), cutlass.Float16), kevc_mma)"))
    #expect(text.contains("cute.make_tiled_copy_B(cute.make_copy_atom(cute.nvgpu.warp.LdMatrix8x8x16bOp(True, 4), cutlass.Float16), kevc_mma)"))
    #expect(text.contains("cute.copy(kevc_ldb, kevc_ldb_s[None, None, None, kevc_k % cutlass.Int64(3)], kevc_ldb_r)"))
    #expect(text.contains("v_i = kevc_r % cutlass.Int64(3)"))
    #expect(text.contains("if (v_m < cutlass.Int64(45)) & (v_n < cutlass.Int64(61)):"))
    let planText = try Self.cute("batched_matmul", mma: .sm80, stage: .plan)
    #expect(planText.contains("cute: phase 0: dot '_r0' as cute.gemm instead, 3 block(s) of 128 threads: m x n over k"))
    #expect(planText.contains("64x64x32 tiles, a block row per i, 3 stage(s), operands by loads and loads"))
    let conv = try Self.cute("conv1d", mma: .sm80)
    #expect(conv.contains("# dot '_r0': l x f over c on the tensor cores"))
    #expect(conv.contains("v_k = cutlass.Int64(0) + kevc_q % cutlass.Int64(3)"))
  }

  /// `launch(..., stages S)` is a ring of S slots: the first S - 1 steps in flight before the loop, each step waits
  /// for its own (`cp_async_wait_group(S - 2)`), refills the slot the step before read, then multiplies; operands
  /// stored in the MMA's type, read along one axis each with aligned extents, are copied 16 bytes at a time
  /// (`cp.async`, vectors wholly outside the range zero-filled). One stage keeps load, barrier, MMA, barrier.
  /// Goldens `lowering/cute/batched_matmul.aligned.{sm80,wgmma}.py` (72 x 136 x 40: row and contracted tails).
  @Test(arguments: [CuTeMMA.sm80, .wgmma])
  func pipelinedRing(_ mma: CuTeMMA) throws {
    let shape = ["B": 2, "M": 72, "N": 136, "K": 40]
    let text = try Self.cute("batched_matmul", mma: mma, shape: shape, aot: true)
    try HIPEmitterTests.checkGolden(text, "lowering/cute/batched_matmul.aligned.\(mma.rawValue).py")
    #expect(text.contains("3 stage(s), operands by cp.async x8 and cp.async x8"))
    #expect(text.contains("cute.nvgpu.cpasync.CopyG2SOp(cute.nvgpu.LoadCacheMode.GLOBAL), cutlass.Float16, num_bits_per_copy=128)"))
    #expect(text.contains("for kevc_s in cutlass.range_constexpr(2):") && text.contains("cute.arch.cp_async_wait_group(1)"))
    #expect(text.contains("kevc_dst.fill(0.0)"))
    // The default shape's extents are not multiples of 8: the threads load element by element.
    let odd = try Self.cute("batched_matmul", mma: mma)
    #expect(odd.contains("3 stage(s), operands by loads and loads") && !odd.contains("cp.async"))
    // One stage.
    let trace = "split(_r0, m, 64)\nsplit(_r0, n, 64)\nsplit(_r0, k, 32)\nbind(_r0, i, grid.x)\ndot(_r0)\nlaunch(_r0, 4, 1)\n"
    let single = try Self.cute("batched_matmul", mma: mma, shape: shape, trace: trace, aot: true)
    #expect(single.contains("1 stage(s), operands by cp.async x8") && single.contains("cute.arch.cp_async_wait_group(0)"))
    #expect(!single.contains("kevc_next") && !single.contains("range_constexpr(0)"))
  }

  /// A contraction the MMA atoms cannot take keeps the scalar loops, with the reason in the module: f32 operands at
  /// full precision, operands of two types (attention's `p @ v`); with `precision(c, tf32)` the f32 matmul uses the
  /// tf32 atom.
  @Test func dotFallbackAndTF32() throws {
    let f32 = try Self.module("matmul")
    #expect(f32.contains("# dot 'c': scalar loops, not cute.gemm: f32 operands at full precision"))
    #expect(!f32.contains("cute.gemm("))
    let attention = try Self.module("attention")
    #expect(attention.contains("# dot '_r0': i x j over d on the tensor cores"))
    #expect(attention.contains("# dot '_r1': scalar loops, not cute.gemm: operand types f32 and bf16"))
    let path = HIPEmitterTests.repository.appendingPathComponent("lowering/cute/traces/matmul.tf32.trace").path
    let trace = try Trace.parse(SourceFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8)))
    let spec = try String(contentsOf: HIPEmitterTests.repository.appendingPathComponent("specs/matmul.kev"), encoding: .utf8)
    var request = CompileRequest(source: SourceFile(path: "specs/matmul.kev", text: spec), kind: .spec, stages: [.cute], schedule: trace)
    request.target = .cute
    // A hand trace's precisions need the contract that allows them (the trace never raises it).
    request.matmulPrecision = request.schedule?.leastMatmulPrecision
    if Self.hasCuTe { request.aotTargets = ["sm_90a"] }
    let tf32 = String(decoding: try Compiler.compile(request).artifacts[.cute] ?? Data(), as: UTF8.self)
    #expect(tf32.contains("cute.nvgpu.warp.MmaTF32Op((16, 8, 8))") && tf32.contains("cutlass.TFloat32(cutlass.select_("))
    #expect(tf32.contains("cute.gemm(kevc_mma, kevc_acc, kevc_ra, kevc_rb, kevc_acc)"))
    // At aligned extents the f32 operands are copied 4 at a time into the tf32 tiles (the zeros of a vector outside
    // written as f32 bits), compiled for sm_90a.
    let traceText = try String(contentsOfFile: path, encoding: .utf8)
    let aligned = try Self.cute("matmul", shape: ["M": 96, "N": 72, "K": 40], trace: traceText, aot: true)
    #expect(aligned.contains("cute.nvgpu.warp.MmaTF32Op((16, 8, 8))") && aligned.contains("operands by cp.async x4 and cp.async x4"))
    #expect(aligned.contains("cute.recast_tensor(kevc_dst, cutlass.Float32).fill(0.0)"))
    // Three passes of split operands have no single MMA atom: bf16x3 keeps the scalar loops, as tf32x3 does.
    for split in ["tf32x3", "bf16x3"] {
      let text = try Self.cute("matmul", trace: traceText.replacingOccurrences(of: "precision(c, tf32)", with: "precision(c, \(split))"))
      #expect(text.contains("# dot 'c': scalar loops, not cute.gemm: precision \(split) (three \(split.prefix(4)) passes) has no single MMA atom"), "\(split)")
      #expect(!text.contains("cute.gemm("))
    }
  }

  /// By default (sm_90a) the same dot is on Hopper's warpgroup MMA: operands in swizzled shared memory, each K- or
  /// MN-major as its buffer holds it, a proxy fence before the wgmmas (golden `lowering/cute/batched_matmul.py`); a
  /// tile under 64 rows keeps the SM80 atom, and so do tf32 operands (the DSL has no tf32 warpgroup op).
  @Test func dotOnWgmma() throws {
    let text = try Self.cute("batched_matmul", aot: true)
    #expect(text.contains("cute.nvgpu.warpgroup.MmaF16BF16Op(cutlass.Float16, cutlass.Float32, (64, 64, 16), "))
    #expect(text.contains("cute.nvgpu.OperandMajorMode.K, cute.nvgpu.OperandMajorMode.MN)"))
    #expect(text.contains("cute.nvgpu.warpgroup.SmemLayoutAtomKind.K_SW64") && text.contains("SmemLayoutAtomKind.MN_SW128"))
    #expect(text.contains("cute.arch.fence_proxy(\"async.shared\", space=\"cta\")"))
    // Step k's wgmma runs while the threads refill the slot of step k - 1 (done: `wait_group(1)`); all done
    // before the epilogue.
    #expect(text.contains("cute.nvgpu.warpgroup.commit_group()\n        cute.nvgpu.warpgroup.wait_group(1)\n        cute.arch.sync_threads()\n        kevc_next = "))
    #expect(text.contains("    cute.nvgpu.warpgroup.wait_group(0)\n    for kevc_i in cutlass.range_constexpr(cute.size(kevc_acc)):"))
    #expect(text.contains("if torch.cuda.get_device_capability(device) != (9, 0):"))
    let conv = try Self.cute("conv1d", aot: true)
    #expect(conv.contains("cute.nvgpu.warp.MmaF16BF16Op(cutlass.BFloat16") && !conv.contains("warpgroup.MmaF16BF16Op"))
    #expect(!conv.contains("get_device_capability"))
  }

  /// Ahead of time for sm_90a with fake tensors and no GPU (batched_matmul and conv1d through cute.gemm).
  @Test(arguments: ["rmsnorm", "argmax", "softmax", "batched_matmul", "conv1d"])
  func compilesForSm90a(_ name: String) throws {
    guard Self.hasCuTe else { return }
    _ = try Self.module(name, aot: ["sm_90a"])
  }
}
