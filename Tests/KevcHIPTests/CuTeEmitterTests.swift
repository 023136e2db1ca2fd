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

  /// A `dot` phase with f16/bf16 operands is a tiled MMA: the SM80 warp atom, operand tiles staged in shared
  /// memory, `cute.gemm` into an f32 accumulator, the epilogue guarded by the output's bounds (golden
  /// `lowering/cute/batched_matmul.py`); the batch axis is a block index, a convolution's taps a serial loop.
  @Test func dotBecomesCuteGemm() throws {
    let text = try Self.module("batched_matmul")
    #expect(text.contains("cute.gemm(kevc_mma, kevc_acc, kevc_ra, kevc_rb, kevc_acc)"))
    #expect(text.contains("cute.make_tiled_mma(cute.nvgpu.warp.MmaF16BF16Op(cutlass.Float16, cutlass.Float32, (16, 8, 16))"))
    #expect(text.contains("cute.arch.alloc_smem(cutlass.Float16, 2048, 16)"))
    #expect(text.contains("v_i = kevc_r % cutlass.Int64(3)"))
    #expect(text.contains("if (v_m < cutlass.Int64(45)) & (v_n < cutlass.Int64(61)):"))
    let plan = try HIPEmitterTests.compile("batched_matmul.kev", stages: [.plan], target: .cute)
    let planText = String(decoding: plan.artifacts[.plan] ?? Data(), as: UTF8.self)
    #expect(planText.contains("cute: phase 0: dot '_r0' as cute.gemm instead, 3 block(s) of 128 threads: m x n over k"))
    let conv = try Self.module("conv1d")
    #expect(conv.contains("# dot '_r0': l x f over c on the tensor cores"))
    #expect(conv.contains("for v_k in cutlass.range(cutlass.Int64(0), cutlass.Int64(3), 1):"))
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
    if Self.hasCuTe { request.aotTargets = ["sm_90a"] }
    let tf32 = String(decoding: try Compiler.compile(request).artifacts[.cute] ?? Data(), as: UTF8.self)
    #expect(tf32.contains("cute.nvgpu.warp.MmaTF32Op((16, 8, 8))") && tf32.contains("cutlass.TFloat32(cutlass.select_("))
    #expect(tf32.contains("cute.gemm(kevc_mma, kevc_acc, kevc_ra, kevc_rb, kevc_acc)"))
  }

  /// `--cute-mma wgmma`: the same dot on Hopper's warpgroup MMA (operands in swizzled shared memory, a proxy fence
  /// before the wgmmas), compiled for sm_90a; a tile under 64 rows keeps the SM80 atom.
  @Test func dotOnWgmma() throws {
    func module(_ spec: String) throws -> String {
      let path = HIPEmitterTests.repository.appendingPathComponent("specs/\(spec).kev").path
      var request = CompileRequest(
        source: SourceFile(path: "specs/\(spec).kev", text: try String(contentsOfFile: path, encoding: .utf8)), kind: .spec,
        stages: [.cute])
      request.target = .cute
      request.cuteMMA = .wgmma
      if Self.hasCuTe { request.aotTargets = ["sm_90a"] }
      return String(decoding: try Compiler.compile(request).artifacts[.cute] ?? Data(), as: UTF8.self)
    }
    let text = try module("batched_matmul")
    #expect(text.contains("cute.nvgpu.warpgroup.MmaF16BF16Op(cutlass.Float16, cutlass.Float32, (64, 64, 16), "))
    #expect(text.contains("cute.nvgpu.warpgroup.SmemLayoutAtomKind.K_SW64"))
    #expect(text.contains("cute.arch.fence_proxy(\"async.shared\", space=\"cta\")"))
    #expect(text.contains("cute.nvgpu.warpgroup.wait_group(0)"))
    let conv = try module("conv1d")
    #expect(conv.contains("cute.nvgpu.warp.MmaF16BF16Op(cutlass.BFloat16") && !conv.contains("warpgroup.MmaF16BF16Op"))
  }

  /// Ahead of time for sm_90a with fake tensors and no GPU (batched_matmul and conv1d through cute.gemm).
  @Test(arguments: ["rmsnorm", "argmax", "softmax", "batched_matmul", "conv1d"])
  func compilesForSm90a(_ name: String) throws {
    guard Self.hasCuTe else { return }
    _ = try Self.module(name, aot: ["sm_90a"])
  }
}
