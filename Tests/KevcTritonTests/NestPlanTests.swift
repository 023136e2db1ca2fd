/// The placement decisions (KevcLowering/NestPlan.swift) are made by one analysis that the loop lowering (LLVM,
/// HIP, CuTe DSL) and the Triton builder both read: where a producer computed inside a consumer is opened and lives,
/// whether a reduction accumulates locally or in place, and which contraction becomes a `tl.dot`. Checked as
/// `--emit plan` text goldens at both levels, and against what each lowering prints for the same schedule.
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcLowering
import KevcTransforms
import Testing

@Suite struct NestPlanTests {
  static let rows = """
    kernel rows(x: f32[M, N]) -> (y: f32[M, N]) {
      dims M = 5, N = 37
      s[m] = sum(n) x[m, n]
      y[m, n] = x[m, n] - s[m]
    }

    """
  static let contraction = """
    kernel mm(a: bf16[M, K], b: bf16[K, N]) -> (c: f32[M, N]) {
      dims M = 40, N = 24, K = 20
      c[m, n] = sum(k) f32(a[m, k]) * f32(b[k, n])
    }

    """

  /// A stage of `spec` under `trace` (ScheduledBoundsTests' helper).
  static func compile(_ spec: String, _ trace: String, _ stage: Stage, target: CompileTarget) throws -> String {
    try ScheduledBoundsTests.compile(spec, trace, stage, target: target)
  }

  /// The decisions block of a plan (it ends the plan on every target).
  static func decisions(_ plan: String) -> String {
    guard let start = plan.range(of: "decisions @") else { return "" }
    return String(plan[start.lowerBound...])
  }

  /// A schedule and the decisions each level prints for it.
  struct Case: Sendable, CustomStringConvertible {
    var name: String
    var spec: String
    var trace: String
    var loops: String
    var blocks: String
    var description: String { name }
  }

  static let cases = [
    // The row sum computed inside the row loop of y, in a local buffer on the loop targets; on Triton its reduction
    // loop is a block of lanes (reduced by tl.sum), so one element lives in a register.
    Case(
      name: "producer", spec: rows,
      trace: "compute_at(s, y, m)\nstore_in(s, local)\nbind(y, m, grid.x)\nbind(y, n, block.x)\nbind(s, n, block.x)\n",
      loops: """
        decisions @rows (loops):
          %s: computed at y.m, opened at y.m over [m + [0, 1)], lives in a local buffer
          %s: accumulates locally (reduction loops from n)

        """,
      blocks: """
        decisions @rows (blocks):
          %s: computed at y.m, opened at y.m over [m + [0, 1)], lives in a register (one element)
          %s: accumulates locally (no reduction loop runs one value at a time)

        """),
    // The reduction loop outside the axis loop: in place on both levels (the axis loop runs one value at a time).
    Case(
      name: "in place", spec: rows, trace: "reorder(s, [n, m])\nbind(y, m, grid.x)\nbind(y, n, block.x)\n",
      loops: """
        decisions @rows (loops):
          %s: accumulates in place (a reduction loop encloses an axis loop)

        """,
      blocks: """
        decisions @rows (blocks):
          %s: accumulates in place (a reduction loop encloses an axis loop)

        """),
    // The same order with the axis loop a block of lanes: lanes are innermost on Triton, so it accumulates locally
    // there (over the serial loop `n`), in place on the loop targets.
    Case(
      name: "lanes innermost", spec: rows,
      trace: "reorder(s, [n, m])\nbind(s, m, block.x)\nbind(y, m, grid.x)\nbind(y, n, block.x)\n",
      loops: """
        decisions @rows (loops):
          %s: accumulates in place (a reduction loop encloses an axis loop)

        """,
      blocks: """
        decisions @rows (blocks):
          %s: accumulates locally (reduction loops from n)

        """),
    // A `dot` contraction of bf16 operands: a tl.dot of its lanes on Triton, its loop nest on the loop targets.
    Case(
      name: "dot", spec: contraction, trace: "bind(c, m, block.y)\nbind(c, n, block.x)\nbind(c, k, block.z)\ndot(c)\n",
      loops: """
        decisions @mm (loops):
          %c: accumulates locally (reduction loops from k)
          %c: dot runs as its loop nest, on a matrix unit where the thread plan finds a matrix tile

        """,
      blocks: """
        decisions @mm (blocks):
          %c: accumulates locally (no reduction loop runs one value at a time)
          %c: dot of lanes m x n over k, operands as stored, accumulated in f32

        """),
  ]

  @Test(arguments: cases)
  func planPrintsTheDecisions(_ c: Case) throws {
    for target in [CompileTarget.llvm, .hip, .cute] {
      let plan = try Self.compile(c.spec, c.trace, .plan, target: target)
      #expect(Self.decisions(plan) == c.loops, "\(target): \(plan)")
    }
    let plan = try Self.compile(c.spec, c.trace, .plan, target: .triton)
    #expect(Self.decisions(plan) == c.blocks, "\(plan)")
  }

  /// The block-level region on its own: a fixed variable moves the start, a ranging loop and a lane from a fixed
  /// start sweep their ranges, floor division by a constant over a ranging loop is bounded; an unknown variable and
  /// reads that move differently have no box.
  @Test func blockRegionOfReads() throws {
    let p = Definition(
      name: "p", dtype: .f32, axes: [Axis(name: "a", extent: .constant(100)), Axis(name: "b", extent: .constant(100))],
      body: .constant(.float(0, .f32)))
    func read(_ a: Expr, _ b: Expr) -> Expr { .load(Load(tensor: "p", indices: [a, b], bounds: .padded(nil))) }
    func i(_ v: Int64) -> Expr { .constant(.int(v)) }
    let facts = IndexArithmetic(dims: [:])
    let classes: [String: NestPlan.RegionVariable] = [
      "m": .fixed, "j": .ranging(0...2), "q": .fixed,
      "l": .lane(start: IndexArithmetic.Affine(constant: 0, terms: ["q": 4]), block: 4),
    ]
    func region(_ reads: [Expr]) throws(NestPlan.RegionProblem) -> [String] {
      try NestPlan.blockRegion(of: p, reads: reads, facts: facts) { classes[$0] ?? .unknown }
        .map { "\(IRPrinter.print($0.start)) + [0, \($0.extent))" }
    }
    // p[m + j - 1, l] and p[m, (j * 5) / 2]: rows m - 1 .. m + 1, columns 4q .. 4q + 3 and 0 .. 5 (a fixed box).
    let shifted = try region([read(.binary(.sub, .binary(.add, .index("m"), .index("j")), i(1)), .index("l"))])
    #expect(shifted == ["(-1:i64 + m) + [0, 3)", "(4:i64 * q) + [0, 4)"], "\(shifted)")
    let divided = try region([read(.index("m"), .binary(.div, .binary(.mul, .index("j"), i(5)), i(2)))])
    #expect(divided == ["m + [0, 1)", "0:i64 + [0, 6)"], "\(divided)")
    #expect(throws: NestPlan.RegionProblem.self) { try region([read(.index("z"), .index("m"))]) }
    #expect(throws: NestPlan.RegionProblem.self) { try region([read(.index("m"), i(0)), read(i(0), i(0))]) }
  }

  /// What each lowering prints follows the decision it read: the local buffer allocated at `y.m` in the loop IR and
  /// the register value in the Triton module; the identity nest and the read-modify-write of `s` in place on both;
  /// the local accumulator and `tl.dot`.
  @Test func loweringsFollowThePlan() throws {
    let producer = Self.cases[0]
    let loops = try Self.compile(producer.spec, producer.trace, .lowered, target: .llvm)
    #expect(loops.contains("bind(grid.x) {\n    local %s: f32[1]"), "\(loops)")
    let module = try Self.compile(producer.spec, producer.trace, .triton, target: .triton)
    #expect(module.contains("region [1] in a register") && !module.contains("ws_s"), "\(module)")

    let inPlace = Self.cases[1]
    let inPlaceLoops = try Self.compile(inPlace.spec, inPlace.trace, .lowered, target: .llvm)
    #expect(inPlaceLoops.contains("%s[m] = 0.0:f32") && inPlaceLoops.contains("%s[m] = (%s[m] inbounds + "), "\(inPlaceLoops)")
    let inPlaceModule = try Self.compile(inPlace.spec, inPlace.trace, .triton, target: .triton)
    #expect(inPlaceModule.contains("cur = tl.load(ws_s + (m))"), "\(inPlaceModule)")

    let lanes = Self.cases[2]
    let lanesModule = try Self.compile(lanes.spec, lanes.trace, .triton, target: .triton)
    #expect(!lanesModule.contains("cur = tl.load") && lanesModule.contains("acc = "), "\(lanesModule)")

    let dot = Self.cases[3]
    let dotModule = try Self.compile(dot.spec, dot.trace, .triton, target: .triton)
    #expect(dotModule.contains("tl.dot("), "\(dotModule)")
    let dotLoops = try Self.compile(dot.spec, dot.trace, .lowered, target: .llvm)
    #expect(dotLoops.contains("local %c.acc: f32[]"), "\(dotLoops)")
  }
}
