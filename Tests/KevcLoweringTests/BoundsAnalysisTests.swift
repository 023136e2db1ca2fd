// BoundsAnalysis: which loads become inBounds, and a brute-force check that its ranges are sound.
import KevcBasic
import KevcIR
import Testing

@testable import KevcLowering

/// Every load in a program, with its bounds.
func loads(_ p: LoopProgram) -> [Load] {
  var out: [Load] = []
  func visit(_ e: Expr) {
    switch e {
    case .constant, .index, .dim, .scalar: break
    case .load(let l):
      out.append(l)
      l.indices.forEach(visit)
    case .unary(_, let a), .cast(_, let a): visit(a)
    case .binary(_, let a, let b):
      visit(a)
      visit(b)
    case .select(let c, let a, let b):
      visit(c)
      visit(a)
      visit(b)
    }
  }
  func visit(_ s: Stmt) {
    switch s {
    case .loop(let l):
      visit(l.lowerBound)
      visit(l.upperBound)
      l.body.forEach(visit)
    case .store(_, let indices, let value):
      indices.forEach(visit)
      visit(value)
    case .ifThen(let c, let t, let e):
      visit(c)
      t.forEach(visit)
      e.forEach(visit)
    case .allocate(_, let body): body.forEach(visit)
    }
  }
  p.body.forEach(visit)
  return out
}

func isInBounds(_ l: Load) -> Bool { l.bounds == .inBounds }

@Test func convolutionWindowStaysPadded() throws {
  let all = loads(try LowerToLoops.lower(Kernels.conv1d()))
  #expect(all.filter { $0.tensor == "x" }.allSatisfy { !isInBounds($0) })
  #expect(all.filter { $0.tensor == "x" }.count == 1)
  #expect(all.filter { $0.tensor == "w" }.allSatisfy(isInBounds))
}

@Test func plainIndexingBecomesInBounds() throws {
  let all = loads(try LowerToLoops.lower(Kernels.rmsnorm()))
  #expect(!all.isEmpty)
  #expect(all.allSatisfy(isInBounds))
}

@Test func gathersAndDataDependentRangesStayPadded() throws {
  let gather = loads(try LowerToLoops.lower(Kernels.embedding()))
  #expect(gather.first { $0.tensor == "emb" }.map(isInBounds) == false)
  #expect(gather.first { $0.tensor == "ids" }.map(isInBounds) == true)
  let jagged = loads(try LowerToLoops.lower(Kernels.jaggedSum()))
  #expect(jagged.filter { $0.tensor == "offsets" }.count == 2)
  #expect(jagged.filter { $0.tensor == "offsets" }.allSatisfy(isInBounds))  // b and b + 1 < B + 1
  #expect(jagged.first { $0.tensor == "values" }.map(isInBounds) == false)
}

/// A one-loop program `for i in lo ..< hi { %y[0] = <value> }` reading `%x: f32[extent]`.
func program(_ value: Expr, lo: Int64 = 0, hi: Int64 = 10, extent: Int = 10, body: [Stmt]? = nil) -> LoopProgram {
  LoopProgram(
    name: "t", dims: ["N": 10], params: [Buffer(name: "x", dtype: .f32, shape: [extent], scope: .global)],
    results: [Buffer(name: "y", dtype: .f32, shape: [1], scope: .global)], temporaries: [],
    body: [
      .loop(
        Loop(
          variable: "i", lowerBound: i64(lo), upperBound: i64(hi),
          body: body ?? [.store(buffer: "y", indices: [i64(0)], value: value)]))
    ])
}

func marked(_ index: Expr, lo: Int64 = 0, hi: Int64 = 10, extent: Int = 10) -> Bool {
  let p = BoundsAnalysis.apply(program(load("x", index), lo: lo, hi: hi, extent: extent))
  return loads(p).first.map(isInBounds) ?? false
}

@Test func indexArithmetic() {
  #expect(marked(ix("i")))
  #expect(!marked(ix("i"), hi: 11))
  #expect(!marked(ix("i"), lo: -1))
  #expect(marked(ix("i") - i64(1), lo: 1, hi: 11))
  #expect(marked(dim("N") - i64(1) - ix("i")))
  #expect(!marked(dim("N") - ix("i")))
  #expect(marked(.binary(.div, ix("i"), i64(2)), hi: 20))
  #expect(!marked(.binary(.div, ix("i"), i64(2)), hi: 21))
  #expect(marked(.binary(.mod, ix("i") - i64(50), i64(10)), hi: 1000))  // floored: never negative
  #expect(!marked(.binary(.mod, ix("i"), ix("i")), hi: 1000))  // divisor may be 0
  #expect(marked(.binary(.min, ix("i"), i64(9)), hi: 1000))
  #expect(marked(.binary(.max, ix("i"), i64(0)), lo: -5, hi: 3))
  #expect(marked(.select(.binary(.lt, ix("i"), i64(3)), i64(0), i64(9))))
  #expect(marked(.unary(.abs, ix("i")), lo: -9, hi: 10))
  #expect(!marked(.unary(.neg, ix("i")), hi: 2))
  #expect(!marked(load("x", ix("i")).asIndex))  // data
  #expect(!marked(.scalar("s")))
  #expect(!marked(ix("j")))  // unknown variable
  #expect(marked(cast(.i64, cast(.i32, ix("i")))))
  #expect(marked(cast(.i64, .binary(.lt, ix("i"), i64(3))), extent: 2))  // bool -> 0 or 1
}

extension Expr {
  /// An f32 load used (wrongly typed) as an index: unknown to the analysis either way.
  var asIndex: Expr { .cast(.i64, self) }
}

@Test func overflowIsNeverTrusted() {
  // i32 arithmetic wraps: 3 * 1e9 does not fit, so the index could be anything.
  let wrapping = cast(.i64, .binary(.mul, cast(.i32, ix("i")), .constant(.int(1_000_000_000, .i32))))
  #expect(!marked(wrapping, hi: 4, extent: 4_000_000_000))
  #expect(marked(wrapping, hi: 3, extent: 4_000_000_000))
  // i64 overflow: i * 2^62 for i in 0..<4 wraps to negative values.
  let big = ix("i") * i64(1 << 62)
  #expect(!marked(big, hi: 4, extent: Int.max))
  #expect(!marked(ix("i") + i64(Int64.max), hi: 2, extent: Int.max))
  #expect(!marked(.unary(.neg, ix("i")), lo: Int64.min, hi: Int64.min + 1, extent: Int.max))
  #expect(!marked(i64(Int64.max) - ix("i"), lo: -1, hi: 1, extent: Int.max))
  // i8 wraps at 127.
  #expect(!marked(cast(.i64, .binary(.add, cast(.i8, ix("i")), .constant(.int(100, .i8)))), hi: 30, extent: 200))
  #expect(!marked(cast(.i8, ix("i")), hi: 200, extent: 300))
  // the end of an empty or overflowing loop
  #expect(!marked(ix("i"), lo: 5, hi: 5))
  #expect(!marked(ix("i"), lo: 0, hi: Int64.min))
}

@Test func conditionsNarrowVariables() {
  func branches(_ condition: Expr) -> (Bool, Bool) {
    let p = BoundsAnalysis.apply(
      program(
        f32(0), hi: 20,
        body: [
          .ifThen(
            condition: condition, then: [.store(buffer: "y", indices: [i64(0)], value: load("x", ix("i")))],
            else: [.store(buffer: "y", indices: [i64(0)], value: load("x", ix("i") - i64(10)))])
        ]))
    let l = loads(p)
    return (isInBounds(l[0]), isInBounds(l[1]))
  }
  #expect(branches(.binary(.lt, ix("i"), i64(10))) == (true, true))
  #expect(branches(.binary(.lt, ix("i"), i64(11))) == (false, true))  // else: i - 10 in 1 ... 9
  #expect(branches(.binary(.gt, i64(10), ix("i"))) == (true, true))
  #expect(branches(.binary(.ge, ix("i"), i64(10))) == (false, false))
  #expect(branches(.unary(.not, .binary(.ge, ix("i"), i64(10)))) == (true, true))
  #expect(branches(.binary(.and, .binary(.lt, ix("i"), i64(10)), .binary(.ge, ix("i"), i64(0)))) == (true, false))
  #expect(branches(.binary(.or, .binary(.lt, ix("i"), i64(10)), .binary(.lt, ix("i"), i64(3)))) == (false, true))
  #expect(branches(.binary(.lt, cast(.i64, .scalar("s")), i64(10))) == (false, false))  // data
  // a select does not guard its loads: both branches are evaluated
  let p = BoundsAnalysis.apply(
    program(.select(.binary(.lt, ix("i"), i64(10)), load("x", ix("i")), f32(0)), hi: 20))
  #expect(loads(p).allSatisfy { !isInBounds($0) })
}

@Test func shadowingAndScopes() {
  // An inner loop reusing the name `i` over a wider range, then the outer `i` again.
  let p = BoundsAnalysis.apply(
    program(
      f32(0), hi: 10,
      body: [
        .loop(Loop(variable: "i", lowerBound: i64(0), upperBound: i64(20), body: [
          .store(buffer: "y", indices: [i64(0)], value: load("x", ix("i")))
        ])),
        .store(buffer: "y", indices: [i64(0)], value: load("x", ix("i"))),
        .allocate(
          Buffer(name: "x", dtype: .f32, shape: [5], scope: .local),
          body: [.store(buffer: "y", indices: [i64(0)], value: load("x", ix("i")))]),
        .store(buffer: "y", indices: [i64(0)], value: load("unknown", ix("i"))),
        .store(buffer: "y", indices: [i64(0)], value: load("x", ix("i"), ix("i"))),  // wrong rank
      ]))
  #expect(loads(p).map(isInBounds) == [false, true, false, false, false])
}

// MARK: Brute-force soundness

/// A deterministic generator (SplitMix64).
typealias SplitMix = SplitMix64

/// The IR's i64 semantics: wrapping arithmetic, floored division and modulo, x / 0 == 0.
func evaluate(_ e: Expr, _ env: [String: Int64], _ dims: [String: Int]) -> Int64 {
  switch e {
  case .constant(let c):
    if case .int(let v) = c.value { return v }
    if case .bool(let b) = c.value { return b ? 1 : 0 }
    return 0
  case .index(let v): return env[v] ?? 0
  case .dim(let d): return Int64(dims[d] ?? 0)
  case .scalar, .load: return 0
  case .unary(let op, let a):
    let x = evaluate(a, env, dims)
    switch op {
    case .neg: return 0 &- x
    case .abs: return x < 0 ? 0 &- x : x
    case .not: return x == 0 ? 1 : 0
    case .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .erf, .floor, .ceil, .isnan: return 0
    }
  case .binary(let op, let a, let b):
    let x = evaluate(a, env, dims)
    let y = evaluate(b, env, dims)
    switch op {
    case .add: return x &+ y
    case .sub: return x &- y
    case .mul: return x &* y
    case .div: return floorDiv(x, y)
    case .mod: return floorMod(x, y)
    case .max: return max(x, y)
    case .min: return min(x, y)
    case .lt: return x < y ? 1 : 0
    case .le: return x <= y ? 1 : 0
    case .gt: return x > y ? 1 : 0
    case .ge: return x >= y ? 1 : 0
    case .eq: return x == y ? 1 : 0
    case .ne: return x != y ? 1 : 0
    case .and: return x != 0 && y != 0 ? 1 : 0
    case .or: return x != 0 || y != 0 ? 1 : 0
    case .pow: return 0
    }
  case .select(let c, let a, let b): return evaluate(c, env, dims) != 0 ? evaluate(a, env, dims) : evaluate(b, env, dims)
  case .cast(let t, let a):
    let x = evaluate(a, env, dims)
    switch t {
    case .i8: return Int64(Int8(truncatingIfNeeded: x))
    case .i32: return Int64(Int32(truncatingIfNeeded: x))
    case .bool: return x != 0 ? 1 : 0
    case .i64, .f16, .bf16, .f32, .f64: return x
    }
  }
}

func randomIndexExpr(_ rng: inout SplitMix, depth: Int) -> Expr {
  let constants: [Int64] = [-3, -1, 0, 1, 2, 3, 7, 1 << 40, Int64.max, Int64.min]
  if depth == 0 || rng.next() % 4 == 0 {
    switch rng.next() % 4 {
    case 0: return i64(constants[Int(rng.next() % UInt64(constants.count))])
    case 1: return dim("D")
    case 2: return ix("a")
    default: return ix("b")
    }
  }
  let ops: [BinaryOp] = [.add, .sub, .mul, .div, .mod, .max, .min]
  let a = randomIndexExpr(&rng, depth: depth - 1)
  let b = randomIndexExpr(&rng, depth: depth - 1)
  switch rng.next() % 10 {
  case 0: return .unary(.neg, a)
  case 1: return .unary(.abs, a)
  case 2: return .select(.binary(.lt, a, b), a, b)
  case 3: return cast(.i64, .binary(.add, cast(.i32, a), cast(.i32, b)))
  case 4: return cast(.i64, .binary(.mul, cast(.i8, a), cast(.i8, b)))
  default: return .binary(ops[Int(rng.next() % UInt64(ops.count))], a, b)
  }
}

@Test func rangesAreSoundOnRandomExpressions() {
  var rng = SplitMix(state: 42)
  let dims = ["D": 7]
  let ranges: [String: ClosedRange<Int64>] = ["a": -3...4, "b": 0...5]
  var bounded = 0
  for _ in 0..<3000 {
    let e = randomIndexExpr(&rng, depth: 4)
    guard let r = BoundsAnalysis.range(of: e, variables: ranges, dims: dims) else { continue }
    bounded += 1
    for a in ranges["a"]! {
      for b in ranges["b"]! {
        let v = evaluate(e, ["a": a, "b": b], dims)
        if !r.contains(v) {
          Issue.record("\(LoopPrinter.print(e)) = \(v) at a = \(a), b = \(b), outside \(r)")
          return
        }
      }
    }
  }
  #expect(bounded > 500)  // the analysis is not vacuous
}
