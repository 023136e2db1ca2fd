import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcInterpreter
import Testing

/// NaN and infinities flow through compiled kernels as through the interpreter (IEEE semantics, NaN-propagating
/// max/min): at -O3, through pow, exp, products, max/min and reductions, no NaN disappears and no infinity turns
/// finite (issue 13: LLVM folded a product involving pow and lost a NaN input). Inputs hold NaN, both infinities,
/// both zeros, +-1 and ordinary values in every lane position (so vectorized bodies and scalar tails both see them).
@Suite struct NaNSemanticsTests {
  static let special: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 1, -1, 2.5, -0.75, 3, .nan, 0.5, -2, .infinity, 7, -.nan]

  /// Elementwise and reduction bodies over `x` and `y` (f32[N]); `N` is not a multiple of the vector width.
  static let bodies: [String] = [
    "z[n] = pow(x[n], 2.0) * x[n]",
    "z[n] = x[n] * pow(x[n], 0.0)",
    "z[n] = pow(x[n], y[n]) * 0.0",
    "z[n] = pow(x[n], y[n]) * pow(y[n], x[n])",
    "z[n] = exp(x[n]) * pow(2.0, y[n])",
    "z[n] = (x[n] * 0.0) + y[n]",
    "z[n] = x[n] - x[n]",
    "z[n] = x[n] * y[n] / y[n]",
    "z[n] = max(x[n], y[n]) + min(y[n], 1.0)",
    "z[n] = where(x[n] > y[n], x[n], y[n])",
    "z[n] = sum(k < N) x[k] * pow(y[k], 2.0) + x[n]",
    "z[n] = max(k < N) x[k] * y[n]",
    "z[n] = prod(k < N) pow(x[k], y[n])",
    "z[n] = sum(k < N) exp(x[k]) - exp(x[k])",
    "z[n] = pow(x[n], 0.5) * pow(x[n], 1.0) * pow(x[n], -1.0)",
    "z[n] = pow(x[n], 3.0) * y[n] + pow(y[n], -2.0)",
    "z[n] = prod(k < N) pow(x[k], 2.0) * y[k]",
    "z[n] = sum(k < N) pow(x[k], 2.0) * pow(y[k], 0.5)",
    "z[n] = min(k < N) pow(x[k], y[k])",
    "z[n] = pow(x[n], 2.0) * pow(x[n], -2.0)",
    "z[n] = prod(k < N) pow(x[k], 2.0) * pow(x[k], -2.0)",
    "z[n] = sum(k < N) pow(x[k], 2.0) * pow(x[k], -2.0) + y[n]",
    "z[n] = prod(k < N) pow(x[k], y[n]) * pow(x[k], -1.0)",
    "z[n] = sum(k < N) x[k] * 0.0 + y[n]",
  ]

  @Test(arguments: bodies, [DType.f32, .f64])
  func nanAndInfinitiesSurviveO3(_ body: String, _ dtype: DType) throws {
    let text = """
      kernel nan_flow(x: \(dtype)[N], y: \(dtype)[N]) -> (z: \(dtype)[N]) {
        dims N = 37
        \(body)
      }
      """
    let request = CompileRequest(
      source: SourceFile(path: "nan_flow.kev", text: text), kind: .spec, shapeOverrides: [:], stages: [.llvm],
      optimizationLevel: 3)
    let result = try Compiler.compile(request)
    let kernel = try #require(result.boundKernel)
    let original = try result.kernel.binding([:], location: .unknown)
    _ = kernel
    let jit = try #require(result.module).jit()
    let n = 37
    for shift in [0, 3, 7] {
      let xs = (0..<n).map { Self.special[($0 + shift) % Self.special.count] }
      let ys = (0..<n).map { Self.special[($0 * 5 + shift + 1) % Self.special.count] }
      let inputs = [
        "x": TensorValue(dtype: dtype, shape: [n], values: xs), "y": TensorValue(dtype: dtype, shape: [n], values: ys),
      ]
      let (comparisons, _) = try KernelCheck.check(original, jit: jit, inputs: inputs)
      for c in comparisons {
        #expect(c.comparison.passed, "\(dtype) \(body), shift \(shift): \(c.comparison.reason)")
      }
    }
  }
}
