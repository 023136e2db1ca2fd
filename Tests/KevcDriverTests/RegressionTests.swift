import Foundation
import KevcBasic
import KevcDriver
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
}
