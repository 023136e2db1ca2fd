import Foundation
import KevcBasic
import KevcDriver
import KevcTransforms
import Testing

/// `TapBounds` (the LLVM target's reduction loops clamped to the taps off the padding) against the interpreter: sums
/// whose terms are zero outside an affine guard on a tap (transposed convolutions, padded and dilated padded
/// convolutions, padded average pooling) at odd sizes, borders and tiles with tails, default schedules.
@Suite struct TapBoundsNumericTests {
  static let padded = """
    kernel padded(x: f32[N, C, H, W], w: f32[F, C, K, K]) -> (y: f32[N, F, H + 2 * P - K + 1, W + 2 * P - K + 1]) {
      dims N = 2, C = 3, H = 7, W = 9, F = 5, K = 3, P = 1
      y[n, f, i, j] = sum(c, p, q) x[n, c, i + p - P, j + q - P] * w[f, c, p, q]
    }
    """
  static let pool = """
    kernel pool(x: f32[N, C, H, W]) -> (y: f32[N, C, H, W]) {
      dims N = 2, C = 3, H = 7, W = 9
      y[n, c, i, j] = (sum(p < 3, q < 3) x[n, c, i + p - 1, j + q - 1]) / 9
    }
    """

  func check(_ source: SourceFile, _ overrides: [String: Int]) throws {
    let request = CompileRequest(source: source, kind: .spec, shapeOverrides: overrides, stages: [.llvm])
    let result = try Compiler.compile(request)
    guard let kernel = result.boundKernel, let module = result.module else {
      Issue.record("\(source.path) \(overrides): no kernel")
      return
    }
    let report = try KernelCheck.run(
      kernel, jit: try module.jit(), options: KernelCheck.Options(trials: 2, seed: 57, timingIterations: 0))
    #expect(report.passed, "\(source.path) \(overrides):\n\(RunReportText.render(report, kernel: kernel))")
  }

  func spec(_ name: String) throws -> SourceFile {
    let url = Paths.inRepository("specs/kernelbench/\(name).kev")
    return SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8))
  }

  @Test func transposedConvolutions() throws {
    for (h, w, k) in [(1, 1, 1), (2, 3, 3), (5, 7, 3), (9, 17, 4), (6, 5, 5)] {
      try check(try spec("conv_transposed2d"), ["N": 1, "C": 3, "H": h, "W": w, "F": 5, "K": k])
      try check(try spec("conv_transposed1d"), ["N": 2, "C": 3, "L": w, "F": 5, "K": k])
    }
    for (d, k) in [(1, 2), (3, 3), (5, 2), (4, 4)] {
      try check(try spec("conv_transposed3d"), ["N": 1, "C": 2, "D": d, "H": d + 1, "W": 2 * d + 3, "F": 5, "K": k])
    }
  }

  @Test func paddedAndDilatedConvolutions() throws {
    for (h, w, k, p) in [(7, 9, 3, 1), (5, 6, 3, 2), (3, 11, 5, 2), (8, 8, 2, 1), (4, 17, 3, 3)] {
      try check(SourceFile(path: "padded.kev", text: Self.padded), ["H": h, "W": w, "K": k, "P": p, "C": 2, "F": 5])
    }
    for (h, w, kh, kw) in [(11, 13, 3, 4), (7, 9, 2, 3), (12, 14, 3, 3)] {
      try check(try spec("conv2d_dilated_padded"), ["N": 1, "C": 2, "H": h, "W": w, "F": 5, "KH": kh, "KW": kw])
    }
    for (h, w) in [(7, 9), (1, 1), (2, 17), (10, 3)] {
      try check(SourceFile(path: "pool.kev", text: Self.pool), ["H": h, "W": w])
    }
  }
}
