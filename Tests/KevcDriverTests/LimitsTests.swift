import Foundation
import KevcBasic
import KevcDriver
import Testing

/// Issue 13's crashes, end to end through the `kevc` executable: each is now a located diagnostic and exit status 1,
/// never a trap (132) or a stack overflow (139).
@Suite struct LimitsTests {
  static func scratch() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-limits-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  static func write(_ text: String, _ name: String, in dir: URL) throws -> String {
    let url = dir.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
  }

  /// A 19 KB trace of nested lists overflowed the stack of `kevc compile --schedule`.
  @Test func deeplyNestedScheduleIsADiagnostic() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let trace = try Self.write(
      "split(y, " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + ", 4)\n",
      "deep.trace", in: dir)
    let r = try runKevc(["compile", "specs/softmax.kev", "--schedule", trace, "--emit", "scheduled"])
    #expect(r.status == 1, "\(r.stderr)")
    #expect(r.stderr.contains("deep.trace:1:18: error: lists nest more than 8 levels deep [kevc.trace.too-deep]"))
  }

  /// `dims N = 9223372036854775807` and factors near 2^63 trapped in Kernel.maxExtent and the transforms.
  @Test func hugeSizesAndFactorsAreDiagnostics() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let spec = try Self.write(
      "kernel f(x: f32[N]) -> (y: f32[N]) {\n  dims N = 9223372036854775807\n  y[i] = x[i] * 2.0\n}\n", "big.kev",
      in: dir)
    for emit in ["scheduled", "lowered", "llvm"] {
      let r = try runKevc(["compile", spec, "--emit", emit])
      #expect(r.status == 1, "\(emit): \(r.stderr)")
      #expect(r.stderr.contains("big.kev:1:10: error: dimension 'N' = 9223372036854775807 is larger than the limit"))
      #expect(r.stderr.contains("[kevc.shape.too-large]"))
    }
    let shape = try runKevc(["run", "specs/softmax.kev", "--shape", "M=4,N=4611686018427387904", "--trials", "1"])
    #expect(shape.status == 1 && shape.stderr.contains("[kevc.shape.too-large]"), "\(shape.stderr)")
    for step in [
      "split(y, n, 9223372036854775807)", "tile(y, [m, n], [4, 9223372036854775807])",
      "rfactor(_r0, j, 9223372036854775807)", "split(mx, n, 4611686018427387904)",
    ] {
      let trace = try Self.write(step + "\n", "t.trace", in: dir)
      let r = try runKevc(["compile", "specs/softmax.kev", "--schedule", trace, "--emit", "llvm"])
      #expect(r.status == 1, "\(step): \(r.stderr)")
      #expect(r.stderr.contains("is larger than the limit of 1099511627776 [kevc.transform.bad-parameter]"), "\(r.stderr)")
    }
  }

  /// Ten 1 MiB `stage` steps: a legal trace whose locals overflowed the stack of `kevc run`; now past the budget.
  @Test func stackBudgetIsEnforcedBeforeRunning() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let params = (0..<10).map { "a\($0): f32[K]" }.joined(separator: ", ")
    let sum = (0..<10).map { "a\($0)[k]" }.joined(separator: " + ")
    let spec = try Self.write(
      "kernel s10(\(params)) -> (y: f32[M]) {\n  dims M = 4, K = 262144\n  y[i] = sum(k < K) (\(sum))\n}\n", "s10.kev",
      in: dir)
    let trace = try Self.write((0..<10).map { "stage(a\($0), y, i, local)\n" }.joined(), "s10.trace", in: dir)
    let r = try runKevc(["run", spec, "--schedule", trace, "--trials", "1"])
    #expect(r.status == 1, "\(r.stderr)")
    // Ten 1 MiB copies and the reduction's accumulator.
    #expect(r.stderr.contains("s10.kev:1:1: error: local buffers of 's10' need 104857"), "\(r.stderr)")
    #expect(r.stderr.contains(" bytes (10.0 MiB) of stack per call"))
    #expect(r.stderr.contains("[kevc.lower.stack-too-large]"))
    let object = try runKevc(["compile", spec, "--schedule", trace, "-o", dir.appendingPathComponent("s.o").path])
    #expect(object.status == 1 && object.stderr.contains("[kevc.lower.stack-too-large]"))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("s.o").path))
  }

  /// A run that would need more memory than the machine has is refused before anything is allocated (the 1.1 PB
  /// workspace of issue 13 is refused earlier, by the lowering's budget).
  @Test func runsPastTheMachinesMemoryAreRefused() throws {
    let source = SourceFile(path: "specs/softmax.kev", text: try String(contentsOf: Paths.inRepository("specs/softmax.kev"), encoding: .utf8))
    let compiled = try Compiler.compile(
      CompileRequest(source: source, kind: .spec, shapeOverrides: ["M": 1024, "N": 1024], stages: [.llvm]))
    let kernel = try #require(compiled.boundKernel)
    let workspace = try #require(compiled.module).workspaceSize
    // 1 Mi elements in and out: 2 x 1 Mi x (8 + 2 x 4) bytes = 32 MiB.
    #expect(KernelCheck.memoryNeeded(kernel, workspace: workspace) == 32 << 20 + workspace)
    try KernelCheck.checkMemory(kernel, workspace: workspace, available: 1 << 30)
    do {
      try KernelCheck.checkMemory(kernel, workspace: workspace, available: 16 << 20)
      Issue.record("a run past the machine's memory was not refused")
    } catch {
      #expect(error.diagnostics.first?.id.description == "kevc.run.out-of-memory", "\(error)")
      #expect(error.diagnostics.first?.location.line == 6)
    }
  }
}
