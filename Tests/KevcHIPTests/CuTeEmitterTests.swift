import Foundation
import KevcBasic
import KevcCuTe
import KevcDriver
import Testing

/// The CuTe DSL target: golden modules for a few specs under the default GPU schedule, the harness protocol in the
/// module, and a few specs compiled for sm_90a with fake tensors (skipped when nvidia-cutlass-dsl is not
/// installed; .ci/targets-aot.sh compiles every spec).
@Suite struct CuTeEmitterTests {
  static let goldenSpecs = ["rmsnorm", "softmax", "matmul", "cumsum", "embedding_bag"]

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

  /// Ahead of time for sm_90a with fake tensors and no GPU.
  @Test(arguments: ["rmsnorm", "argmax", "softmax"])
  func compilesForSm90a(_ name: String) throws {
    guard Self.hasCuTe else { return }
    _ = try Self.module(name, aot: ["sm_90a"])
  }
}
