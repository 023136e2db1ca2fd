import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcTransforms
import Testing

/// Bugs found by the random-trace property test, kept as fixed cases.
@Suite struct RegressionTests {
  /// LLVM 22 with AVX-512BW/VL lowered a one-lane masked bf16 store to a 4-byte vmovss, writing past the end of the
  /// result (heap corruption at -O3). The host target machine now leaves AVX-512 off.
  @Test func bf16TailStoresStayInsideTheBufferAtO3() throws {
    let spec = Paths.inRepository("specs/rmsnorm.kev")
    let trace = try TraceText.parse(
      SourceFile(path: "bug.trace", text: "tile(y, [m, n], [3, 4])\nreorder(y, [m.i, n.o, n.i, m.o])\n"))
    let request = CompileRequest(
      source: SourceFile(path: spec.path, text: try String(contentsOf: spec, encoding: .utf8)), kind: .spec,
      shapeOverrides: ["M": 12, "N": 9], stages: [.llvm], optimizationLevel: 3, schedule: trace)
    let result = try Compiler.compile(request)
    let kernel = try #require(result.boundKernel)
    let jit = try #require(result.module).jit()
    for seed in 0..<20 {
      let report = try KernelCheck.run(
        kernel, jit: jit, options: KernelCheck.Options(trials: 2, seed: UInt64(seed), timingIterations: 0))
      #expect(report.passed)
    }
  }

  /// Rule 3a's AVX-512 tile (8 x 32, `DefaultSchedule.cpuMachine` with AVX-512F) computes what the interpreter does,
  /// at shapes that leave edge tiles along every axis, for a packed Linear-layout operand (f32) and a bf16 matmul
  /// (its tails are bf16 stores: the masked stores LLVM 22 miscompiled, `MaskedStores`).
  @Test(arguments: [
    "kernel lin(a: f32[M, K], b: f32[N, K]) -> (c: f32[M, N]) {\n  dims M = 37, K = 19, N = 45\n  c[m, n] = sum(k) a[m, k] * b[n, k]\n}\n",
    "kernel mm(a: bf16[M, K], b: bf16[K, N]) -> (c: bf16[M, N]) {\n  dims M = 23, K = 17, N = 35\n  c[m, n] = bf16(sum<f32>(k) f32(a[m, k]) * f32(b[k, n]))\n}\n",
  ])
  func avx512TileMatchesTheInterpreter(spec: String) throws {
    let steps = try Self.defaultCPUScheduleAgainstTheInterpreter(
      spec, machine: DefaultSchedule.cpuMachine(llvmFeatures: "+avx512f"))
    #expect(steps.contains { $0.hasPrefix("vectorize(") && $0.hasSuffix(", 32)") })
  }

  /// Rule 3a's tile across the output (`DefaultSchedule.channelTile`: the output channels vectorized, the weights
  /// copied with them last, output columns and rows unrolled) computes what the interpreter does, on AVX-512 (16
  /// lanes) and AVX2 (8 lanes, the guard machine), at shapes whose column tiles leave a shifted last tile.
  @Test(arguments: [
    ("kernel t3(x: f32[N, C, D, H, W], w: f32[C, F, K, K, K]) -> (y: f32[N, F, D + K - 1, H + K - 1, W + K - 1]) {\n  dims N = 1, C = 4, D = 3, H = 4, W = 11, F = 16, K = 3\n  y[n, f, d, i, j] = sum(c, a, p, q) x[n, c, d - a, i - p, j - q] * w[c, f, a, p, q]\n}\n", "+avx512f"),
    ("kernel c3(x: f32[N, C, D, H, W], w: f32[F, C, K, K, K]) -> (y: f32[N, F, D - K + 1, H - K + 1, W - K + 1]) {\n  dims N = 2, C = 3, D = 5, H = 6, W = 12, F = 32, K = 3\n  y[n, f, d, i, j] = sum(c, a, p, q) x[n, c, d + a, i + p, j + q] * w[f, c, a, p, q]\n}\n", "+avx512f"),
    ("kernel t2(x: f32[N, C, H, W], w: f32[C, F, K, K]) -> (y: f32[N, F, H + K - 1, W + K - 1]) {\n  dims N = 2, C = 16, H = 5, W = 11, F = 16, K = 3\n  y[n, f, i, j] = sum(c, p, q) x[n, c, i - p, j - q] * w[c, f, p, q]\n}\n", ""),
  ])
  func channelTileMatchesTheInterpreter(spec: String, features: String) throws {
    let machine = features.isEmpty ? DefaultSchedule.guardMachine : DefaultSchedule.cpuMachine(llvmFeatures: features)
    let steps = try Self.defaultCPUScheduleAgainstTheInterpreter(spec, machine: machine)
    #expect(steps.contains { $0.hasPrefix("layout(y.acc, ") }, "\(steps)")
  }

  /// `spec`'s default CPU schedule for `machine`, compiled at -O3 and checked against the interpreter on four
  /// seeds (each check an expectation); returns the schedule's steps as printed.
  static func defaultCPUScheduleAgainstTheInterpreter(_ spec: String, machine: ScheduleCost.Machine) throws -> [String] {
    let source = SourceFile(path: "tile.kev", text: spec)
    let unscheduled = try Compiler.compile(
      CompileRequest(source: source, kind: .spec, shapeOverrides: [:], stages: [.scheduled], schedule: Trace([])))
    guard let bound = unscheduled.boundKernel else {
      Issue.record("no kernel")
      return []
    }
    let trace = DefaultSchedule.cpu(for: bound, machine: machine)
    let result = try Compiler.compile(
      CompileRequest(source: source, kind: .spec, shapeOverrides: [:], stages: [.llvm], optimizationLevel: 3,
        schedule: trace))
    guard let kernel = result.boundKernel, let module = result.module else {
      Issue.record("no module")
      return []
    }
    let jit = try module.jit()
    for seed in 0..<4 {
      let report = try KernelCheck.run(
        kernel, jit: jit, options: KernelCheck.Options(trials: 2, seed: UInt64(seed), timingIterations: 0))
      #expect(report.passed)
    }
    return trace.steps.map(TraceText.print)
  }
}
