import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcInterpreter
import KevcTransforms
import Testing

/// Long f32 sums are accurate (issue 13: `mse_loss` at 8192 x 4096 failed kevc's own check because 33M terms were
/// accumulated sequentially into one f32): the lowering accumulates sums of more than 2^16 terms in blocks
/// (`BlockedSums.swift`), under the default schedule and under the natural (unscheduled) one, for one long loop and
/// for a reduction over two loops. 2^20 positive terms accumulated sequentially lose about 1e-4 of the result; in
/// blocks, about 1e-6.
@Suite struct LongSumAccuracyTests {
  static let kernels = [
    """
    kernel one_loop(x: f32[K]) -> (s: f32) {
      dims K = 1048576
      s = sum(k < K) x[k] * x[k]
    }
    """,
    """
    kernel two_loops(x: f32[M, N]) -> (s: f32) {
      dims M = 512, N = 2048
      s = sum(m, n) x[m, n] * x[m, n]
    }
    """,
  ]

  @Test(arguments: kernels, [false, true])
  func longSumsStayAccurate(_ text: String, _ defaultSchedule: Bool) throws {
    let request = CompileRequest(
      source: SourceFile(path: "long_sum.kev", text: text), kind: .spec, shapeOverrides: [:], stages: [.llvm],
      optimizationLevel: 2, schedule: defaultSchedule ? nil : Trace([]))
    let result = try Compiler.compile(request)
    let kernel = try result.kernel.binding([:], location: .unknown)
    let jit = try #require(result.module).jit()
    let inputs = RandomInputs.generate(for: kernel, seed: 5, distribution: .normal)
    let (comparisons, _) = try KernelCheck.check(kernel, jit: jit, inputs: inputs)
    for c in comparisons {
      #expect(c.comparison.passed, "\(c.comparison.reason)")
      #expect(c.comparison.maxRelError < 1e-5, "relative error \(c.comparison.maxRelError)")
    }
  }
}
