import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcInterpreter
import KevcLLVM
import Testing

/// The checker judges what a kernel computed by the precision it was computed in, and does not fail a correct
/// kernel at a discontinuity (issue 13's false failures): an f32 computation cast to an f64 result gets f32's
/// tolerance; floor/comparisons of computed values within tolerance of their jump may go either way; an argmax
/// may give any index whose value ties with the maximum within tolerance. Compiled kernels (real LLVM) against
/// the real interpreter.
@Suite struct CheckerRuleTests {
  static func compile(_ text: String) throws -> (Kernel, JITKernel) {
    let request = CompileRequest(
      source: SourceFile(path: "rule.kev", text: text), kind: .spec, shapeOverrides: [:], stages: [.llvm],
      optimizationLevel: 2)
    let result = try Compiler.compile(request)
    return (try result.kernel.binding([:], location: .unknown), try #require(result.module).jit())
  }

  @Test func anF32ComputationCastToF64IsJudgedAsF32() throws {
    let (kernel, jit) = try Self.compile(
      """
      kernel widen(x: f32[M, K]) -> (y: f64[M]) {
        dims M = 9, K = 301
        y[m] = f64(sum(k < K) x[m, k] * 1.1)
      }
      """)
    #expect(ComputedPrecision.of("y", in: kernel) == .f32)
    let report = try KernelCheck.run(kernel, jit: jit, options: KernelCheck.Options(trials: 3, seed: 11, timingIterations: 0))
    #expect(report.passed, "\(RunReportText.render(report, kernel: kernel))")
  }

  @Test func aComputationInF64KeepsTheF64Tolerance() throws {
    let kernel = try Kernel.parseForTest(
      """
      kernel wide(x: f32[M, K]) -> (y: f64[M]) {
        dims M = 9, K = 31
        y[m] = sum<f64>(k < K) f64(x[m, k]) * 1.1
      }
      """)
    #expect(ComputedPrecision.of("y", in: kernel) == .f64)
  }

  @Test func floorAndComparisonsNearTheirJumpMayGoEitherWay() throws {
    // 0.7f * 10 is 6.99999988 in f64 but rounds to 7.0 in f32: floor gives 6 in the oracle, 7 in the kernel.
    let (kernel, jit) = try Self.compile(
      """
      kernel jumps(x: f32[N]) -> (y: f32[N], z: i32[N], w: bool[N]) {
        dims N = 5
        y[n] = floor(x[n] * 10.0) + 0.5
        z[n] = i32(x[n] * 10.0)
        w[n] = x[n] * 10.0 >= 7.0
      }
      """)
    let xs: [Double] = [0.7, 0.25, -1.5, 3.3, 0.7]
    let inputs = ["x": TensorValue(dtype: .f32, shape: [5], values: xs.map { Double(Float($0)) })]
    let (comparisons, _) = try KernelCheck.check(kernel, jit: jit, inputs: inputs)
    for c in comparisons { #expect(c.comparison.passed, "\(c.name): \(c.comparison.reason)") }
    // Only the elements near a jump get the leeway (-1.5 * 10 is exactly -15: a jump too).
    let (_, leeway) = try Interpreter.runWithLeeway(kernel, inputs: inputs)
    #expect(leeway["y"]?.anyValue == [0, 2, 3, 4], "\(String(describing: leeway["y"]))")
    #expect(leeway["w"]?.anyValue == [0, 4], "\(String(describing: leeway["w"]))")
  }

  /// An index whose value is within tolerance of the maximum but not equal to it may win after rounding (index 2);
  /// an exact tie (index 4 equals index 1 bit for bit) has one answer, the first index (docs/ir.md).
  @Test func argmaxAcceptsAnIndexWithinToleranceButOnlyTheFirstOfAnExactTie() throws {
    let kernel = try Kernel.parseForTest(
      """
      kernel am(x: f32[M, K]) -> (i: i64[M]) {
        dims M = 1, K = 5
        i[m] = argmax(k < K) x[m, k] * 3.0
      }
      """)
    let inputs = ["x": TensorValue(dtype: .f32, shape: [1, 5], values: ([1.0, 2.0, 1.9999999, 0.5, 2.0] as [Double]).map { Double(Float($0)) })]
    let (values, leeway) = try Interpreter.runWithLeeway(kernel, inputs: inputs)
    let reference = try #require(values["i"])
    let l = try #require(leeway["i"])
    #expect(l.alternatives[0] == [1, 2])
    func judge(_ index: Double) -> Bool {
      Comparison.compare(
        TensorValue(dtype: .i64, shape: [1], values: [index]), reference, dtype: .i64, leeway: l
      ).passed
    }
    #expect(judge(1) && judge(2))
    #expect(!judge(0) && !judge(3) && !judge(4))
    // Without the leeway, a near tie going the other way failed.
    #expect(!Comparison.compare(TensorValue(dtype: .i64, shape: [1], values: [2]), reference, dtype: .i64).passed)
  }
  /// The same argmax as a tuple reduction (Combiner.argExtreme): the leeway comes from the combiner's structure
  /// (a select-form combiner ranking by one float component, SelectFormCombiner.orderKey), not from the operator,
  /// and it is the operator's: the near tie (index 2) is an alternative, the exact tie (index 4) is not.
  @Test func aSelectFormTupleReductionGetsTheArgmaxLeeway() throws {
    let op = try Kernel.parseForTest(
      """
      kernel am(x: f32[M, K]) -> (i: i64[M]) {
        dims M = 2, K = 5
        i[m] = argmax(k < K) x[m, k] * 3.0
      }
      """)
    var tuple = op
    let r = try #require(op.definitions[0].reduction)
    tuple.definitions[0].reduction = Reduction(
      op: .tuple, accumulator: .f32, axes: r.axes,
      combiner: Combiner.argExtreme(isMax: true, valueType: .f32, index: .index(r.axes[0].name)))
    #expect(Verifier.verify(tuple).isEmpty, "\(Verifier.verify(tuple))")
    // Row 0: a near tie (1 and 2) and an exact one (1 and 4); row 1: NaN is the extreme, no alternatives.
    let xs: [Double] = [1.0, 2.0, 1.9999999, 0.5, 2.0, 0.5, .nan, 2.0, .nan, 1.0]
    let inputs = ["x": TensorValue(dtype: .f32, shape: [2, 5], values: xs.map { Double(Float($0)) })]
    let (opValues, opLeeway) = try Interpreter.runWithLeeway(op, inputs: inputs)
    let (values, leeway) = try Interpreter.runWithLeeway(tuple, inputs: inputs)
    #expect(values["i"]?.values == [1, 1])
    #expect(values["i"]?.values == opValues["i"]?.values)
    #expect(leeway["i"]?.alternatives == [0: [1, 2]], "\(String(describing: leeway["i"]))")
    #expect(leeway["i"]?.alternatives == opLeeway["i"]?.alternatives)
    #expect(leeway["i"]?.anyValue == opLeeway["i"]?.anyValue)
  }

  /// The dtype's own error (docs/reliability.md): `exp` of an f32 sum whose large terms cancel (1000 + 38 x 0.1
  /// - 1000) is ill-conditioned, an f32 evaluation misses the plain tolerance (2.3x here), and the compiled
  /// kernel, summing in f32, misses it too. The checker compares it again with the kernel evaluated in its
  /// declared precision (`Interpreter.runInDeclaredPrecision`) and passes it within the widened bound, saying so;
  /// another value fails; NaN never passes.
  @Test func anIllConditionedInputIsJudgedByTheDtypesOwnError() throws {
    let (kernel, jit) = try Self.compile(
      """
      kernel cancel(x: f32[M, K]) -> (y: f32[M]) {
        dims M = 2, K = 40
        y[m] = exp(sum(k < K) x[m, k])
      }
      """)
    var xs: [Double] = []
    for _ in 0..<2 { xs += [1000.0] + Array(repeating: Double(Float(0.1)), count: 38) + [-1000.0] }
    let inputs = ["x": TensorValue(dtype: .f32, shape: [2, 40], values: xs)]
    let declared = try Interpreter.runInDeclaredPrecision(kernel, inputs: inputs)
    let reference = try Interpreter.run(kernel, inputs: inputs)
    let y = try #require(reference["y"])
    let stepwise = try #require(declared["y"])
    let error = try #require(Comparison.dtypeError(stepwise, y, dtype: .f32))
    #expect(error > 1, "the declared precision's own error: \(error)")
    #expect(!Comparison.compare(stepwise, y, dtype: .f32).passed)
    let (comparisons, _) = try KernelCheck.check(kernel, jit: jit, inputs: inputs)
    let c = try #require(comparisons.first { $0.name == "y" }?.comparison)
    #expect(c.passed, "\(c)")
    // The kernel sums in the declared order, so it misses the plain rule like the declared evaluation: widened.
    #expect(c.widening == Comparison.widening(dtypeError: error) && c.widening > 1)
    // What the bound allows: within 4x the declared precision's error, not 40x it; never a NaN.
    let off = TensorValue(dtype: .f32, shape: [2], values: y.values.map { $0 * (1 + 40 * 2e-4 * 2 * error) })
    let failed = Comparison.compare(off, y, dtype: .f32, dtypeError: error)
    #expect(!failed.passed && failed.reason.contains("widened"))
    let nan = TensorValue(dtype: .f32, shape: [2], values: [.nan, y.values[1]])
    #expect(!Comparison.compare(nan, y, dtype: .f32, dtypeError: error).passed)
    #expect(Comparison.widening(dtypeError: nil) == 1 && Comparison.widening(dtypeError: 0.2) == 1)
    #expect(Comparison.widening(dtypeError: 2) == 8 && Comparison.widening(dtypeError: 1e9) == 64)
    #expect(Comparison.dtypeError(TensorValue(dtype: .i32, shape: [1], values: [1]), TensorValue(dtype: .i32, shape: [1], values: [2]), dtype: .i32) == nil)
  }
}

extension Kernel {
  /// The bound kernel IR of a spec text (for tests that only run the interpreter).
  static func parseForTest(_ text: String) throws -> Kernel {
    let request = CompileRequest(
      source: SourceFile(path: "rule.kev", text: text), kind: .spec, shapeOverrides: [:], stages: [.ir])
    return try Compiler.compile(request).kernel.binding([:], location: .unknown)
  }

}
