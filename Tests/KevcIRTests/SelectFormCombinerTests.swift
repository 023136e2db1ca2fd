// The select-form combiner analysis (SelectFormCombiner): argmax/argmin as tuples (Combiner.argExtreme, float and
// integer values) and a "first element satisfying a test" combiner are recognised with their one condition; two
// different conditions, swapped branches, a branch reading another component, and a running max are not. The order
// key (the float component the condition ranks by, for the checker's leeway) is argmax's value, and there is none
// where the condition ranks nothing or ranks two components.
import Foundation
import KevcBasic
import KevcIR
import Testing

@Suite struct SelectFormCombinerTests {
  func combiner(_ text: String) throws -> Combiner {
    let source = """
      kernel @t(%x: f32[M, N]) -> (%y: f32[M]) {
        dims M = 4, N = 13
        %y: f32[i < M] = \(text)
      }
      """
    return try #require(try IRParser.parse(SourceFile(path: "t.kir", text: source)).definitions.last?.reduction?.combiner)
  }

  @Test func recognisesArgExtremeAndOtherKeepOrTakeCombiners() throws {
    for (isMax, t) in [(true, DType.f32), (false, .f32), (true, .i32), (false, .f64)] {
      let c = Combiner.argExtreme(isMax: isMax, valueType: t, index: .index("k"))
      let form = try #require(SelectFormCombiner.analyse(c))
      guard case .select(let condition, _, _) = c.combine[1] else { Issue.record("argExtreme is not a select"); continue }
      #expect(form.condition == condition)
    }
    // The first positive element and its index (a condition on the state and the element only).
    let first = try combiner(
      "reduce<v: f32 = 0.0:f32, i: i64 = -1:i64> [k in 0 .. $N] (%x[i, k], k) combine (select(((%a.i == -1:i64) and (%b.v > 0.0:f32)), %b.v, %a.v), select(((%a.i == -1:i64) and (%b.v > 0.0:f32)), %b.i, %a.i)) yield %v")
    let form = try #require(SelectFormCombiner.analyse(first))
    let substituted = form.condition(in: first, [.scalar("s0"), .scalar("s1")], [.scalar("e0"), .scalar("e1")])
    #expect(IRPrinter.print(substituted) == "((%s1 == -1:i64) and (%e0 > 0.0:f32))")
  }

  @Test func rejectsOtherCombiners() throws {
    // Two different conditions.
    let two = try combiner(
      "reduce<v: f32 = -inf:f32, w: f32 = -inf:f32> [k in 0 .. $N] (%x[i, k], %x[i, k]) combine (select((%b.v > %a.v), %b.v, %a.v), select((%b.w > %a.w), %b.w, %a.w)) yield %v")
    #expect(SelectFormCombiner.analyse(two) == nil)
    // Branches swapped (keep the element when the condition holds is the same form only written the other way).
    let swapped = try combiner(
      "reduce<v: f32 = -inf:f32, i: i64 = -1:i64> [k in 0 .. $N] (%x[i, k], k) combine (select((%b.v > %a.v), %a.v, %b.v), select((%b.v > %a.v), %a.i, %b.i)) yield %v")
    #expect(SelectFormCombiner.analyse(swapped) == nil)
    // A branch reading another component.
    let crossed = try combiner(
      "reduce<v: f32 = -inf:f32, w: f32 = -inf:f32> [k in 0 .. $N] (%x[i, k], %x[i, k]) combine (select((%b.v > %a.v), %b.w, %a.v), select((%b.v > %a.v), %b.w, %a.w)) yield %v")
    #expect(SelectFormCombiner.analyse(crossed) == nil)
    // A running maximum with a select-form second component.
    let mixed = try combiner(
      "reduce<v: f32 = -inf:f32, i: i64 = -1:i64> [k in 0 .. $N] (%x[i, k], k) combine (max(%a.v, %b.v), select((%b.v > %a.v), %b.i, %a.i)) yield %v")
    #expect(SelectFormCombiner.analyse(mixed) == nil)
  }

  @Test func theOrderKeyIsTheOneFloatComponentRankedByTheCondition() throws {
    for (isMax, t) in [(true, DType.f32), (false, .f32), (true, .f64)] {
      let c = Combiner.argExtreme(isMax: isMax, valueType: t, index: .index("k"))
      #expect(SelectFormCombiner.analyse(c)?.orderKey(in: c) == 0)
    }
    // Integer values: the index comparison ranks an integer; no float key, no leeway (exact values).
    let ints = Combiner.argExtreme(isMax: true, valueType: .i32, index: .index("k"))
    #expect(SelectFormCombiner.analyse(ints)?.orderKey(in: ints) == nil)
    // Written from the left operand (`%a.v < %b.v`) it is the same key.
    let flipped = try combiner(
      "reduce<v: f32 = -inf:f32, i: i64 = -1:i64> [k in 0 .. $N] (%x[i, k], k) combine (select((%a.v < %b.v), %b.v, %a.v), select((%a.v < %b.v), %b.i, %a.i)) yield %v")
    #expect(SelectFormCombiner.analyse(flipped)?.orderKey(in: flipped) == 0)
    // A threshold test ranks nothing between the operands.
    let first = try combiner(
      "reduce<v: f32 = 0.0:f32, i: i64 = -1:i64> [k in 0 .. $N] (%x[i, k], k) combine (select(((%a.i == -1:i64) and (%b.v > 0.0:f32)), %b.v, %a.v), select(((%a.i == -1:i64) and (%b.v > 0.0:f32)), %b.i, %a.i)) yield %v")
    #expect(SelectFormCombiner.analyse(first)?.orderKey(in: first) == nil)
    // Two float components ranked: no single key.
    let two = try combiner(
      "reduce<v: f32 = -inf:f32, w: f32 = -inf:f32> [k in 0 .. $N] (%x[i, k], %x[i, k]) combine (select(((%b.v > %a.v) or (%b.w > %a.w)), %b.v, %a.v), select(((%b.v > %a.v) or (%b.w > %a.w)), %b.w, %a.w)) yield %v")
    #expect(SelectFormCombiner.analyse(two)?.orderKey(in: two) == nil)
  }

  /// argmax's index visited in ascending order: its tests fold to the operator's condition; no fold for a jagged
  /// lower bound, an identity not below the lower bound, or an index that is not the reduction variable.
  @Test func anAscendingIndexFoldsTheCondition() throws {
    func reduction(_ lower: Expr) -> Reduction {
      Reduction(op: .tuple, accumulator: .f32, axes: [ReductionAxis(name: "k", lowerBound: lower, upperBound: .dim("N"))])
    }
    let body = Expr.load(Load(tensor: "x", indices: [.index("i"), .index("k")]))
    let c = Combiner.argExtreme(isMax: true, valueType: .f32, index: .index("k"))
    let form = try #require(SelectFormCombiner.analyse(c))
    let j = try #require(SelectFormCombiner.ascendingIndex(of: c, body: body, in: reduction(.constant(.int(0)))))
    #expect(j == 1)
    #expect(
      IRPrinter.print(form.condition(in: c, ascendingIndex: j, lower: 0))
        == "((%a.i == -1:i64) or (not(isnan(%a.v)) and (isnan(%b.v) or (%b.v > %a.v))))")
    let ints = Combiner.argExtreme(isMax: false, valueType: .i32, index: .index("k"))
    #expect(
      IRPrinter.print(try #require(SelectFormCombiner.analyse(ints)).condition(in: ints, ascendingIndex: 1, lower: 0))
        == "((%a.i == -1:i64) or (%b.v < %a.v))")
    let jagged = Expr.load(Load(tensor: "offsets", indices: [.index("i")]))
    #expect(SelectFormCombiner.ascendingIndex(of: c, body: body, in: reduction(jagged)) == nil)
    var high = c
    high.components[1].identity = .int(5)
    #expect(SelectFormCombiner.ascendingIndex(of: high, body: body, in: reduction(.constant(.int(3)))) == nil)
    let shifted = Combiner.argExtreme(isMax: true, valueType: .f32, index: .binary(.add, .index("k"), .constant(.int(1))))
    #expect(SelectFormCombiner.ascendingIndex(of: shifted, body: body, in: reduction(.constant(.int(0)))) == nil)
  }
}
