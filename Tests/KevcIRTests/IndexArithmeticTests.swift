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

  /// A block of a fused axis inside one component: `(k.o * 32 + k.i) // 64` and `% 64` lose the lane part; a block
  /// that straddles components (32 against 3) is left alone; the identity is checked on every value.
  @Test func alignedSplitDropsTheLanePartOfADivision() {
    var a = IndexArithmetic(dims: ["C": 64])
    a.bound("k.o", 0...17)
    a.bound("k.i", 0...31)
    let k = Expr.binary(.add, .binary(.mul, v("k.o"), i(32)), v("k.i"))
    let big = Expr.binary(.mul, v("k.o"), i(32))
    #expect(a.simplify(.binary(.div, k, .dim("C"))) == .binary(.div, big, .dim("C")))
    #expect(a.simplify(.binary(.mod, k, i(64))) == .binary(.add, .binary(.mod, big, i(64)), v("k.i")))
    #expect(a.simplify(.binary(.div, k, i(192))) == .binary(.div, big, i(192)))
    #expect(a.alignedSplit(k, by: i(3)) == nil)
    #expect(a.alignedSplit(k, by: i(48)) == nil)  // gcd(32, 48) = 16 < the lanes' 32
    #expect(a.simplify(.binary(.div, v("k.i"), i(32))) == i(0))
    #expect(a.simplify(.binary(.mod, v("k.i"), i(32))) == v("k.i"))
    // Numerically, over every value of k.o and k.i and several divisors.
    for d in [1, 2, 8, 32, 64, 96, 192, 576] {
      for o in 0...17 {
        for l in 0...31 {
          let vars = ["k.o": Int64(o), "k.i": Int64(l)]
          for op in [BinaryOp.div, .mod] {
            let e = Expr.binary(op, k, i(Int64(d)))
            #expect(evaluate(a.simplify(e), vars) == evaluate(e, vars))
          }
        }
      }
    }
  }

  /// Integer evaluation of an index expression (floor division and modulo, as the IR's `//` and `%`).
  func evaluate(_ e: Expr, _ vars: [String: Int64]) -> Int64 {
    switch e {
    case .constant(let c):
      if case .int(let x) = c.value { return x }
      return 0
    case .index(let n): return vars[n] ?? 0
    case .dim(let d): return d == "C" ? 64 : 0
    case .binary(let op, let x, let y):
      let (p, q) = (evaluate(x, vars), evaluate(y, vars))
      switch op {
      case .add: return p + q
      case .sub: return p - q
      case .mul: return p * q
      case .div: return IndexArithmetic.floorDiv(p, q)
      case .mod: return p - q * IndexArithmetic.floorDiv(p, q)
      default: return 0
      }
    default: return 0
    }
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
