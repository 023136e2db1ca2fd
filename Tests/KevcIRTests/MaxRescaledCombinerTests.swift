// The max-rescaled combiner analysis (MaxRescaledCombiner): the combiners fuse_reductions writes (one sum, two
// sums, either operand order, the unguarded exp form) are recognised; argmax as a tuple, a pair of plain sums, a
// rescaling by something other than exp(x - M), a max component with another identity, and two max components
// are not.
import Foundation
import KevcBasic
import KevcIR
import Testing

@Suite struct MaxRescaledCombinerTests {
  func combiner(_ text: String) throws -> Combiner {
    let source = """
      kernel @t(%x: f32[M, N]) -> (%y: f32[M]) {
        dims M = 4, N = 13
        %y: f32[i < M] = \(text)
      }
      """
    let k = try IRParser.parse(SourceFile(path: "t.kir", text: source))
    let c = k.definitions.last?.reduction?.combiner
    #expect(c != nil)
    return try #require(c)
  }

  static func r(_ s: String) -> String { "select((%\(s).m == max(%a.m, %b.m)), 1.0:f32, exp((%\(s).m - max(%a.m, %b.m))))" }

  @Test func recognisesTheOnlineSoftmaxStateOfFuseReductions() throws {
    let one = try combiner(
      "reduce<m: f32 = -inf:f32, w: f32 = 0.0:f32> [k in 0 .. $N] (%x[i, k], 1.0:f32) combine (max(%a.m, %b.m), ((%a.w * \(Self.r("a"))) + (%b.w * \(Self.r("b"))))) yield %w")
    #expect(MaxRescaledCombiner.analyse(one) == MaxRescaledCombiner(maxComponent: 0, guarded: true))
    // Two sums, the max second, products written factor-first, the unguarded rescaling.
    let plain = { (s: String) in "exp((%\(s).m - max(%b.m, %a.m)))" }
    let two = try combiner(
      "reduce<w0: f32 = 0.0:f32, m: f32 = -inf:f32, w1: f32 = 0.0:f32> [k in 0 .. $N] (%x[i, k], %x[i, k], 1.0:f32) combine (((\(plain("a")) * %a.w0) + (%b.w0 * \(plain("b")))), max(%b.m, %a.m), ((%a.w1 * \(plain("a"))) + (%b.w1 * \(plain("b"))))) yield (%w0 / %w1)")
    #expect(MaxRescaledCombiner.analyse(two) == MaxRescaledCombiner(maxComponent: 1, guarded: false))
  }

  @Test func rejectsOtherCombiners() throws {
    // argmax as a tuple reduction (Combiner.argExtreme): value and index, a select on a comparison.
    let argmax = Combiner.argExtreme(isMax: true, valueType: .f32, index: .index("k"))
    #expect(MaxRescaledCombiner.analyse(argmax) == nil)
    // A pair of plain sums (no rescaling).
    let sums = try combiner(
      "reduce<s: f32 = 0.0:f32, t: f32 = 0.0:f32> [k in 0 .. $N] (%x[i, k], 1.0:f32) combine ((%a.s + %b.s), (%a.t + %b.t)) yield (%s / %t)")
    #expect(MaxRescaledCombiner.analyse(sums) == nil)
    // A running max with a sum that is not rescaled.
    let unscaled = try combiner(
      "reduce<m: f32 = -inf:f32, w: f32 = 0.0:f32> [k in 0 .. $N] (%x[i, k], 1.0:f32) combine (max(%a.m, %b.m), (%a.w + %b.w)) yield %w")
    #expect(MaxRescaledCombiner.analyse(unscaled) == nil)
    // Rescaled by exp(M - x) (the wrong direction) on one side.
    let wrong = try combiner(
      "reduce<m: f32 = -inf:f32, w: f32 = 0.0:f32> [k in 0 .. $N] (%x[i, k], 1.0:f32) combine (max(%a.m, %b.m), ((%a.w * exp((max(%a.m, %b.m) - %a.m))) + (%b.w * exp((%b.m - max(%a.m, %b.m)))))) yield %w")
    #expect(MaxRescaledCombiner.analyse(wrong) == nil)
    // The max component's identity is not -inf.
    let identity = try combiner(
      "reduce<m: f32 = 0.0:f32, w: f32 = 0.0:f32> [k in 0 .. $N] (%x[i, k], 1.0:f32) combine (max(%a.m, %b.m), ((%a.w * \(Self.r("a"))) + (%b.w * \(Self.r("b"))))) yield %w")
    #expect(MaxRescaledCombiner.analyse(identity) == nil)
    // Two components combined by max.
    let twoMax = try combiner(
      "reduce<m: f32 = -inf:f32, n: f32 = -inf:f32> [k in 0 .. $N] (%x[i, k], %x[i, k]) combine (max(%a.m, %b.m), max(%a.n, %b.n)) yield %n")
    #expect(MaxRescaledCombiner.analyse(twoMax) == nil)
  }

  @Test func theScheduledIRNamesTheFormInAComment() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    func kernel(_ name: String) throws -> Kernel {
      let url = root.appendingPathComponent("ir/roundtrip/\(name)")
      return try IRParser.parse(SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)))
    }
    let notes = MaxRescaledCombiner.notes(try kernel("tuple_attention.kir"))
    #expect(notes.hasPrefix("// %o: max-rescaled tuple reduction (m by max; l, w rescaled by r(x, M) = select(x == M, 1, exp(x - M)))"))
    #expect(notes.split(separator: "\n").count == 1)
    #expect(MaxRescaledCombiner.notes(try kernel("tuple_argmax.kir")).isEmpty)
    // The comment keeps the printed IR parseable.
    let printed = IRPrinter.print(try kernel("tuple_attention.kir")) + notes
    _ = try IRParser.parse(SourceFile(path: "t.kir", text: printed))
  }
}
