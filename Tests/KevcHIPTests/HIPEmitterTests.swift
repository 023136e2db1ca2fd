import Foundation
import KevcBasic
import KevcDriver
import KevcHIP
import KevcTransforms
import Testing

/// The HIP target: golden sources for a few specs under the default GPU schedule, every spec compiled for gfx942
/// with clang++-19 (skipped when it is not installed), assembly goldens, diagnostics located in the source, and the
/// thread plan both loop-level GPU targets print.
@Suite struct HIPEmitterTests {
  static let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let goldenSpecs = ["rmsnorm", "softmax", "matmul", "cumsum", "embedding_bag"]
  static let assemblySpecs = ["rmsnorm", "elementwise_chain"]

  static func compile(
    _ relative: String, stages: Set<Stage> = [.hip], aot: [String] = [], target: CompileTarget = .hip
  ) throws -> CompileResult {
    let path = repository.appendingPathComponent("specs/\(relative)").path
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var request = CompileRequest(source: SourceFile(path: "specs/\(relative)", text: text), kind: .spec, stages: stages)
    request.target = target
    // A hand trace's precisions need the contract that allows them (the trace never raises it).
    request.matmulPrecision = request.schedule?.leastMatmulPrecision
    request.aotTargets = aot
    return try Compiler.compile(request)
  }

  static var hasClang: Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [HIPAOT.clang, "--version"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    guard (try? ChildProcesses.start(p)) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
  }

  static func checkGolden(_ text: String, _ relative: String) throws {
    let golden = repository.appendingPathComponent(relative)
    if ProcessInfo.processInfo.environment["KEVC_RECORD"] != nil {
      try text.write(to: golden, atomically: true, encoding: .utf8)
      Issue.record("recorded \(golden.path); run again without KEVC_RECORD")
      return
    }
    let expected = try String(contentsOf: golden, encoding: .utf8)
    #expect(text == expected, "\(relative) differs; re-record with KEVC_RECORD=1 after checking")
  }

  /// `lowering/hip/<spec>.hip` is the source for the spec at its default shape under the default GPU schedule.
  @Test(arguments: goldenSpecs)
  func goldenSource(_ name: String) throws {
    let r = try Self.compile("\(name).kev")
    try Self.checkGolden(String(decoding: r.artifacts[.hip] ?? Data(), as: UTF8.self), "lowering/hip/\(name).hip")
  }

  /// Outer parallel loops become threads; a nest with none runs on one thread.
  @Test func parallelLoopsBecomeThreads() throws {
    let text = String(decoding: try Self.compile("rmsnorm.kev").artifacts[.hip] ?? Data(), as: UTF8.self)
    #expect(text.contains("kevc_t < 61LL; kevc_t += kevc_stride"))
    #expect(text.contains("extern \"C\" int kevc_rmsnorm_launch(void** args, void* stream)"))
    #expect(text.contains("kevc_f2bf("))
    let module = String(decoding: try Self.compile("rmsnorm.kev", stages: [.hipModule]).artifacts[.hipModule] ?? Data(), as: UTF8.self)
    #expect(module.contains("KEVC = {") && module.contains("def launch(**tensors):") && module.contains("\"target\": \"hip\""))
  }

  /// The plan names what each target only prints: threads per phase, thread loops with their spans and guards.
  @Test func planShowsThreadsAndGuards() throws {
    let r = try Self.compile("elementwise_chain.kev", stages: [.plan])
    let plan = String(decoding: r.artifacts[.plan] ?? Data(), as: UTF8.self)
    #expect(plan.contains("phase 0: 4928 thread(s)"))
    #expect(plan.contains("thread m.i in 0 ..< 8 guarded by its bounds"))
    #expect(plan.contains("thread n in 0 ..< 77\n"))
    // A scan has no loop whose threads write disjoint elements along the scanned axis.
    let scan = String(decoding: try Self.compile("cumsum.kev", stages: [.plan]).artifacts[.plan] ?? Data(), as: UTF8.self)
    #expect(scan.contains("phase 0:"))
  }

  /// A reduction bound to a block's threads is a block reduction, an elementwise loop bound to them a strided
  /// loop: one block per row (`--emit plan` shows it), shuffles and barriers in the source.
  @Test func blockReductionsAndStridedLoops() throws {
    let plan = String(decoding: try Self.compile("rmsnorm.kev", stages: [.plan]).artifacts[.plan] ?? Data(), as: UTF8.self)
    #expect(plan.contains("phase 0: 61 block(s) of 128 threads"))
    #expect(plan.contains("block m in 0 ..< 61"))
    #expect(plan.contains("cooperative ss.n: block reduction into %ss.acc[] (add, f32)"))
    #expect(plan.contains("cooperative n: strided over the block's threads"))
    let softmax = String(decoding: try Self.compile("softmax.kev", stages: [.plan]).artifacts[.plan] ?? Data(), as: UTF8.self)
    #expect(softmax.contains("(max, f32)") && softmax.contains("(add, f32)"))
    let hip = String(decoding: try Self.compile("rmsnorm.kev").artifacts[.hip] ?? Data(), as: UTF8.self)
    #expect(hip.contains("kevc_shfl_xor(kevc_p_ss_n, kevc_o)"))
    #expect(hip.contains("__shared__ float kevc_red_ss_n[4];"))
    #expect(hip.contains("v_n += KEVC_BLOCK(128)"))
    #expect(hip.contains("KEVC_SYNC();"))
    #expect(hip.contains(", 61, 128, stream)"))
  }

  /// `stage(x, y, m, shared)` with its copy loop bound to the block's threads: the staged row is one shared buffer
  /// per block, written by a strided loop between barriers (golden `lowering/hip/rmsnorm.shared.hip`); the CuTe DSL
  /// allocates it with `cute.arch.alloc_smem`.
  @Test func sharedStagingOfAStagedRow() throws {
    let path = Self.repository.appendingPathComponent("lowering/hip/traces/rmsnorm.shared.trace").path
    let trace = try Trace.parse(SourceFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8)))
    let spec = try String(contentsOf: Self.repository.appendingPathComponent("specs/rmsnorm.kev"), encoding: .utf8)
    func compile(_ target: CompileTarget, _ stages: Set<Stage>) throws -> CompileResult {
      var r = CompileRequest(source: SourceFile(path: "specs/rmsnorm.kev", text: spec), kind: .spec, stages: stages, schedule: trace)
      r.target = target
      // A hand trace's precisions need the contract that allows them (the trace never raises it).
      r.matmulPrecision = r.schedule?.leastMatmulPrecision
      return try Compiler.compile(r)
    }
    let plan = String(decoding: try compile(.hip, [.plan]).artifacts[.plan] ?? Data(), as: UTF8.self)
    #expect(plan.contains("shared %x.y (one per block)") && plan.contains("cooperative d1: strided over the block's threads"))
    let hip = String(decoding: try compile(.hip, [.hip]).artifacts[.hip] ?? Data(), as: UTF8.self)
    #expect(hip.contains("__shared__ uint16_t b_x_y[96];"))
    try Self.checkGolden(hip, "lowering/hip/rmsnorm.shared.hip")
    let cute = String(decoding: try compile(.cute, [.cute]).artifacts[.cute] ?? Data(), as: UTF8.self)
    #expect(cute.contains("b_x_y = cute.make_tensor(cute.arch.alloc_smem(cutlass.BFloat16, 96), cute.make_layout(96))"))
  }

  /// Specs of every kind compile for gfx942 (clang++-19, no ROCm) under their default schedule (.ci/targets-aot.sh
  /// compiles every spec in specs/).
  @Test(arguments: ["argmax.kev", "attention.kev", "jagged_truncate.kev", "hashed_embedding_bag.kev", "kernelbench/conv3d_square.kev"])
  func specsCompileForGfx942(_ relative: String) throws {
    guard Self.hasClang else { return }
    _ = try Self.compile(relative, aot: ["gfx942"])
  }

  /// The gfx942 assembly of a HIP source, without what varies between runs and machines (the scratch file's name,
  /// the compiler's identification).
  static func assembly(_ source: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-hip-test-\(UUID().uuidString).hip").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try HIPAOT.compile(source: source, path: path, arch: "gfx942", assembly: true)
      .split(separator: "\n", omittingEmptySubsequences: false)
      .filter { !$0.contains(".file") && !$0.contains("clang version") && !$0.contains("kevc-hip-test-") }
      .joined(separator: "\n")
  }

  /// The gfx942 assembly of a few kernels is kept (`lowering/hip/<spec>.gfx942.s`).
  @Test(arguments: assemblySpecs)
  func gfx942Assembly(_ name: String) throws {
    guard Self.hasClang else { return }
    let asm = try Self.assembly(String(decoding: try Self.compile("\(name).kev").artifacts[.hip] ?? Data(), as: UTF8.self))
    #expect(asm.contains("global_load") || asm.contains("buffer_load") || asm.contains("flat_load"))
    if name == "rmsnorm" {
      // The block reduction: wave butterflies through ds_bpermute, a barrier around the per-wave slots.
      #expect(asm.contains("ds_bpermute_b32") && asm.contains("s_barrier"))
    }
    try Self.checkGolden(asm, "lowering/hip/\(name).gfx942.s")
  }

  /// A trace found for one target lowers on the others: the Triton matmul trace (bindings, dot, stage, launch) on
  /// HIP (gfx942, a block of threads per output element) and CuTe DSL; the CPU rejects its bindings with a reason.
  @Test func aTraceLowersOnEveryTarget() throws {
    let traceText = try String(
      contentsOf: Self.repository.appendingPathComponent("lowering/triton/traces/matmul.stage.trace"), encoding: .utf8)
    let trace = try Trace.parse(SourceFile(path: "matmul.stage.trace", text: traceText))
    let spec = try String(contentsOf: Self.repository.appendingPathComponent("specs/matmul.kev"), encoding: .utf8)
    func request(_ target: CompileTarget, _ stages: Set<Stage>) -> CompileRequest {
      var r = CompileRequest(source: SourceFile(path: "specs/matmul.kev", text: spec), kind: .spec, stages: stages, schedule: trace)
      r.target = target
      // A hand trace's precisions need the contract that allows them (the trace never raises it).
      r.matmulPrecision = r.schedule?.leastMatmulPrecision
      return r
    }
    // The split tails of m and n do not defeat the thread plan's overlap check (each index is checked on its own):
    // a block per output element stages b's tile in shared memory and reduces k across its threads (the HIP host
    // check runs it with --threads: python/tests/test_hip_module.py, .ci/targets-aot.sh).
    let plan = String(decoding: try Compiler.compile(request(.hip, [.plan])).artifacts[.plan] ?? Data(), as: UTF8.self)
    #expect(plan.contains("phase 0: 6144 block(s) of 256 threads"), "\(plan)")
    #expect(plan.contains("block n.i in 0 ..< 32 guarded by its bounds"), "\(plan)")
    #expect(plan.contains("cooperative d0: strided over the block's threads") && plan.contains("shared %b.c (one per block)"))
    var hip = request(.hip, [.hip])
    if Self.hasClang { hip.aotTargets = ["gfx942"] }
    #expect(try Compiler.compile(hip).artifacts[.hip] != nil)
    #expect(try Compiler.compile(request(.cute, [.cute])).artifacts[.cute] != nil)
    #expect(try Compiler.compile(request(.triton, [.triton])).artifacts[.triton] != nil)
    do {
      _ = try Compiler.compile(request(.llvm, [.llvm]))
      Issue.record("the CPU target accepted a grid binding")
    } catch {
      #expect(error.diagnostics.first?.id == DiagnosticID("llvm", "unsupported-loop-kind"))
    }
  }

  /// A clang error is a diagnostic located in the source it was given.
  @Test func clangErrorsAreLocated() throws {
    guard Self.hasClang else { return }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-hip-bad-\(UUID().uuidString).hip").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
      _ = try HIPAOT.compile(source: "#include \"kevc_hip.h\"\n__global__ void k() { undefined_name(); }\n", path: path, arch: "gfx942")
      Issue.record("expected an error")
    } catch {
      let d = try #require(error.diagnostics.first)
      #expect(d.id == DiagnosticID("hip", "aot-error"))
      #expect(d.location.line == 2 && d.location.file == path)
    }
  }
}
