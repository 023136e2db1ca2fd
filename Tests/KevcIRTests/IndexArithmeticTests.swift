/// The one index analysis (`IndexArithmetic`) that the transforms, the loop lowering's bounds analysis and the
/// emitters share: intervals, affine forms and the simplifier, pinned on the cases each former copy relied on.
import KevcBasic
import Testing

@testable import KevcIR

@Suite struct IndexArithmeticTests {
  func i(_ v: Int64) -> Expr { .constant(.int(v)) }
  func v(_ n: String) -> Expr { .index(n) }

  @Test func splitAxisIntervalAndAffineForm() {
    var a = IndexArithmetic(dims: ["N": 256])
    a.bound("n.o", 0...3)
    a.bound("n.i", 0...63)
    let n = Expr.binary(.add, .binary(.mul, v("n.o"), i(64)), v("n.i"))
    #expect(a.range(n) == 0...255)
    #expect(a.affine(n) == IndexArithmetic.Affine(constant: 0, terms: ["n.o": 64, "n.i": 1]))
    #expect(a.constant(.binary(.sub, .dim("N"), i(1))) == 255)
  }

  @Test func floorDivisionModuloAndUnknowns() {
    var a = IndexArithmetic(dims: [:])
    a.bound("x", -5...9)
    #expect(a.range(.binary(.div, v("x"), i(4))) == -2...2)
    #expect(a.range(.binary(.mod, v("x"), i(4))) == 0...3)
    // Division by a range that may hold zero, a load and an unknown variable are not bounded.
    #expect(a.range(.binary(.div, i(8), v("x"))) == nil)
    #expect(a.range(.load(Load(tensor: "t", indices: [v("x")]))) == nil)
    #expect(a.range(v("y")) == nil)
  }

  @Test func overflowGivesUp() {
    var a = IndexArithmetic(dims: [:])
    a.bound("x", 0...Int.max)
    #expect(a.range(.binary(.add, v("x"), i(1))) == nil)
    #expect(a.range(.binary(.mul, v("x"), i(2))) == nil)
  }

  @Test func knownExpressionsOverrideTheirParts() {
    var a = IndexArithmetic(dims: [:])
    a.bound("n.o", 0...3)
    a.bound("n.i", 0...63)
    let n = Expr.binary(.add, .binary(.mul, v("n.o"), i(64)), v("n.i"))
    a.known[n] = IndexArithmetic.Interval(0...199)
    #expect(a.range(n) == 0...199)
    #expect(a.range(.binary(.add, n, i(1))) == 1...200)
  }

  @Test func simplifierFoldsI64OnlyAndAffineRejectsProducts() {
    let a = IndexArithmetic(dims: [:])
    #expect(a.simplify(.binary(.mul, .binary(.add, v("k"), i(0)), i(1))) == v("k"))
    #expect(a.simplify(.binary(.sub, v("k"), v("k"))) == i(0))
    #expect(a.simplify(.binary(.add, i(2), i(3))) == i(5))
    let i32one = Expr.constant(.int(1, .i32))
    #expect(a.simplify(.binary(.mul, v("k"), i32one)) == .binary(.mul, v("k"), i32one))
    #expect(a.affine(.binary(.mul, v("a"), v("b"))) == nil)
    // (x + c) - x -> c for a constant or a dim (the loop lowering's region offsets).
    #expect(a.simplify(.binary(.sub, .binary(.add, v("k"), i(3)), v("k"))) == i(3))
    #expect(a.simplify(.binary(.sub, .binary(.add, v("k"), .dim("N")), v("k"))) == .dim("N"))
  }
}
