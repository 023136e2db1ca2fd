// Tuple reductions in the interpreter: an online log-sum-exp equals the two-pass one, causal attention with its
// softmax online (ir/roundtrip/tuple_attention.kir) equals the unfused attention of specs/attention.kev, argmax
// written as a tuple reduction (Combiner.argExtreme) equals the argmax operator on ties and NaN, and an empty range
// yields the identities.
import Foundation
import KevcBasic
import KevcIR
import Testing

@testable import KevcInterpreter

@Suite struct TupleReductionTests {
  func parse(_ text: String) throws -> Kernel {
    let k = try IRParser.parse(SourceFile(path: "t.kir", text: text))
    #expect(Verifier.verify(k).isEmpty)
    return k
  }

  static let onlineLSE = """
    kernel @lse(%x: f32[M, N]) -> (%lse: f32[M]) {
      dims M = 4, N = 13
      %lse: f32[i < M] = reduce<m: f32 = -inf:f32, s: f32 = 0.0:f32> [k in 0 .. $N] (%x[i, k], 1.0:f32) combine (max(%a.m, %b.m), ((%a.s * select((%a.m == max(%a.m, %b.m)), 1.0:f32, exp((%a.m - max(%a.m, %b.m))))) + (%b.s * select((%b.m == max(%a.m, %b.m)), 1.0:f32, exp((%b.m - max(%a.m, %b.m))))))) yield (%m + log(%s))
    }
    """

  @Test func onlineLogSumExpEqualsTwoPasses() throws {
    let twoPass = try parse(
      """
      kernel @lse(%x: f32[M, N]) -> (%lse: f32[M]) {
        dims M = 4, N = 13
        %m: f32[i < M] = max<f32> [k in 0 .. $N] %x[i, k]
        %s: f32[i < M] = sum<f32> [k in 0 .. $N] exp((%x[i, k] - %m[i]))
        %lse: f32[i < M] = (%m[i] + log(%s[i]))
      }
      """)
    var values: [Double] = []
    for i in 0..<(4 * 13) { values.append(sin(Double(i) * 1.7) * 20) }
    values[5] = -.infinity
    let x = TensorValue(dtype: .f32, shape: [4, 13], values: values.map { Double(Float($0)) })
    let a = try Interpreter.run(try parse(Self.onlineLSE), inputs: ["x": x])["lse"]
    let b = try Interpreter.run(twoPass, inputs: ["x": x])["lse"]
    let (av, bv) = (a?.values ?? [], b?.values ?? [1])
    #expect(av.count == bv.count)
    for (p, q) in zip(av, bv) { #expect(abs(p - q) <= 1e-5 * max(1, abs(q))) }
  }

  @Test func onlineAttentionEqualsTheUnfusedKernel() throws {
    let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("ir/roundtrip/tuple_attention.kir")
    let fused = try parse(try String(contentsOf: corpus, encoding: .utf8))
    let unfused = try parse(
      """
      kernel @attention(%q: bf16[B, H, S, D], %k: bf16[B, H, S, D], %v: bf16[B, H, S, D]) -> (%o: bf16[B, H, S, D]) {
        dims B = 2, H = 3, S = 37, D = 16
        %_r0: f32[b < B, h < H, i < S, j < S] = sum<f32> [d in 0 .. $D] (cast<f32>(%q[b, h, i, d]) * cast<f32>(%k[b, h, j, d]))
        %s: f32[b < B, h < H, i < S, j < S] = select((j <= i), (%_r0[b, h, i, j] * rsqrt(cast<f32>($D))), -inf:f32)
        %mx: f32[b < B, h < H, i < S] = max<f32> [j in 0 .. $S] %s[b, h, i, j]
        %p: f32[b < B, h < H, i < S, j < S] = exp((%s[b, h, i, j] - %mx[b, h, i]))
        %l: f32[b < B, h < H, i < S] = sum<f32> [j in 0 .. $S] %p[b, h, i, j]
        %_r1: f32[b < B, h < H, i < S, e < D] = sum<f32> [j in 0 .. $S] (%p[b, h, i, j] * cast<f32>(%v[b, h, j, e]))
        %o: bf16[b < B, h < H, i < S, e < D] = cast<bf16>((%_r1[b, h, i, e] / %l[b, h, i]))
      }
      """)
    let count = 2 * 3 * 37 * 16
    func input(_ phase: Double) -> TensorValue {
      TensorValue(
        dtype: .bf16, shape: [2, 3, 37, 16],
        values: (0..<count).map { DType.bf16.round(sin(Double($0) * 0.37 + phase) * 2) })
    }
    let inputs = ["q": input(0), "k": input(1), "v": input(2)]
    let a = try Interpreter.run(fused, inputs: inputs)["o"]?.values ?? []
    let b = try Interpreter.run(unfused, inputs: inputs)["o"]?.values ?? [1]
    #expect(a.count == b.count)
    var worst = 0.0
    for (p, q) in zip(a, b) { worst = max(worst, abs(p - q) / max(1, abs(q))) }
    // Both round once to bf16 (8 bits): at most one unit in the last place apart.
    #expect(worst <= 1.0 / 128)
  }

  /// `argmax<T>`/`argmin<T>` is the spelling of the tuple reduction Reduction.argExtreme: parsed to it, printed
  /// back from it (matched by structure), and interpreted as the first index of the extreme.
  @Test func argmaxIsATupleReductionSpelledArgmax() throws {
    let plain = try parse(
      """
      kernel @am(%x: f32[B, N]) -> (%i: i64[B]) {
        dims B = 4, N = 6
        %i: i64[b < B] = argmax<f32> [n in 0 .. $N] %x[b, n]
      }
      """)
    for isMax in [true, false] {
      var k = plain
      var d = k.definitions[0]
      d.reduction = Reduction(
        op: .tuple, accumulator: .f32, axes: d.reduction?.axes ?? [],
        combiner: .argExtreme(isMax: isMax, valueType: .f32, index: .index("n")))
      k.definitions[0] = d
      #expect(Verifier.verify(k).isEmpty)
      #expect((k.definitions[0].reduction == plain.definitions[0].reduction) == isMax)
      #expect(IRPrinter.print(k).contains("= \(isMax ? "argmax" : "argmin")<f32> [n in 0 .. $N] %x[b, n]"))
      #expect(try parse(IRPrinter.print(k)).definitions[0].reduction == k.definitions[0].reduction)
      // Ties, a NaN after the extreme, a row of one repeated value, -inf.
      let x = TensorValue(
        dtype: .f32, shape: [4, 6],
        values: [1, 3, 3, 2, 0, 3, 5, -1, .nan, 7, .nan, 0, 2, 2, 2, 2, 2, 2, -.infinity, 4, -.infinity, 4, 1, 0])
      let got = try Interpreter.run(k, inputs: ["x": x])["i"]
      // The first index of the extreme; NaN is the extreme (the first NaN); a constant row gives 0.
      #expect(got?.values == (isMax ? [1, 2, 0, 1] : [4, 2, 0, 0]))
    }
  }

  @Test func emptyRangeYieldsTheIdentities() throws {
    let k = try parse(
      """
      kernel @e(%x: f32[M, N]) -> (%y: f32[M]) {
        dims M = 2, N = 3
        %y: f32[i < M] = reduce<m: f32 = -inf:f32, s: f32 = 0.0:f32> [k in 0 .. 0] (%x[i, k], 1.0:f32) combine (max(%a.m, %b.m), (%a.s + %b.s)) yield (%s + 2.0:f32)
      }
      """)
    let out = try Interpreter.run(k, inputs: ["x": TensorValue(dtype: .f32, shape: [2, 3], values: [1, 2, 3, 4, 5, 6])])
    #expect(out["y"]?.values == [2, 2])
  }
}
