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
    // A `dot` contraction of bf16 operands: one plan on every target (the tensor-core MMA on CuTe, tl.dot on
    // Triton, the loop nest on LLVM and HIP); Triton adds the dot of its lanes.
    Case(
      name: "dot", spec: contraction, trace: "bind(c, m, block.y)\nbind(c, n, block.x)\nbind(c, k, block.z)\ndot(c)\n",
      loops: """
        decisions @mm (loops):
          %c: accumulates locally (reduction loops from k)
          %c: contraction m x n over k in [0, 20) of %a (bf16, along k) and %b (bf16, along n), accumulated in f32
          %c: on cute: tensor-core MMA on bf16 operands, 64x64x32 tiles
          %c: on triton: tl.dot (operands as stored, accumulated in f32) where its lanes split it as [m, k] x [k, n] in blocks of at least 16
          %c: on llvm: its loop nest; on hip: its loop nest, on bf16 MFMA (gfx9) where the thread plan finds a matrix tile

        """,
      blocks: """
        decisions @mm (blocks):
          %c: accumulates locally (no reduction loop runs one value at a time)
          %c: contraction m x n over k in [0, 20) of %a (bf16, along k) and %b (bf16, along n), accumulated in f32
          %c: on cute: tensor-core MMA on bf16 operands, 64x64x32 tiles
          %c: on triton: tl.dot (operands as stored, accumulated in f32) where its lanes split it as [m, k] x [k, n] in blocks of at least 16
          %c: on llvm: its loop nest; on hip: its loop nest, on bf16 MFMA (gfx9) where the thread plan finds a matrix tile
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

  /// A contraction's plan (`NestPlan.contraction`) and where each target's matrix unit takes it.
  struct ContractionCase: Sendable, CustomStringConvertible {
    var name: String
    var spec: String
    var trace: String
    /// The plan's lines, the same on every target.
    var plan: String
    /// The dot of Triton's lanes (block level), or the CuTe phase's choice.
    var triton: String
    var cute: String
    var description: String { name }
  }

  static let contractionCases = [
    // A batched matmul: the batch axis `i` is a block per value on CuTe, the split of `m` sizes its tile's rows.
    ContractionCase(
      name: "batched matmul",
      spec: """
        kernel bmm(a: f16[B, M, K], b: f16[B, K, N]) -> (c: f32[B, M, N]) {
          dims B = 3, M = 45, N = 61, K = 33
          c[i, m, n] = sum(k) f32(a[i, m, k]) * f32(b[i, k, n])
        }

        """,
      trace: "split(c, m, 32)\nbind(c, i, grid.x)\nbind(c, m.i, block.y)\nbind(c, n, block.x)\nbind(c, k, block.z)\ndot(c)\n",
      plan: """
          %c: contraction m x n over k in [0, 33) of %a (f16, along k) and %b (f16, along n), batch i, accumulated in f32
          %c: on cute: tensor-core MMA on f16 operands, 32x64x32 tiles
          %c: on triton: tl.dot (operands as stored, accumulated in f32) where its lanes split it as [m, k] x [k, n] in blocks of at least 16
          %c: on llvm: its loop nest; on hip: its loop nest, on f16 MFMA (gfx9) where the thread plan finds a matrix tile

        """,
      triton: "  %c: dot of lanes m_i x n over k, operands as stored, accumulated in f32\n",
      cute: "cute: phase 0: dot 'c' as cute.gemm instead, 6 block(s) of 128 threads: m x n over k on the tensor cores"),
    // A convolution: the channels are contracted, the taps `k` a serial reduction axis around the steps.
    ContractionCase(
      name: "conv1d",
      spec: """
        kernel conv(x: bf16[N, C, L], w: bf16[F, C, K]) -> (y: f32[N, F, L]) {
          dims N = 3, C = 40, L = 61, F = 20, K = 3
          y[n, f, l] = sum(c, k) f32(x[n, c, l + k - 1]) * f32(w[f, c, k])
        }

        """,
      trace: "bind(y, n, grid.x)\nbind(y, l, block.y)\nbind(y, f, block.x)\nbind(y, c, block.z)\ndot(y)\n",
      plan: """
          %y: contraction l x f over c in [0, 40) of %x (bf16, along l) and %w (bf16, along c), batch n, serial k in [0, 3), accumulated in f32
          %y: on cute: tensor-core MMA on bf16 operands, 64x64x32 tiles
          %y: on triton: tl.dot (operands as stored, accumulated in f32) where its lanes split it as [l, c] x [c, f] in blocks of at least 16
          %y: on llvm: its loop nest; on hip: its loop nest, on bf16 MFMA (gfx9) where the thread plan finds a matrix tile

        """,
      triton: "  %y: dot of lanes l x f over c, operands as stored, accumulated in f32\n",
      cute: "cute: phase 0: dot 'y' as cute.gemm instead, 3 block(s) of 128 threads: l x f over c on the tensor cores"),
    // Operands of two types: the MMA atoms refuse them (the reason on every target); tl.dot converts both to f32.
    ContractionCase(
      name: "mixed types",
      spec: """
        kernel mixed(a: f16[M, K], b: bf16[K, N]) -> (c: f32[M, N]) {
          dims M = 40, N = 24, K = 20
          c[m, n] = sum(k) f32(a[m, k]) * f32(b[k, n])
        }

        """,
      trace: "bind(c, m, block.y)\nbind(c, n, block.x)\nbind(c, k, block.z)\ndot(c)\n",
      plan: """
          %c: contraction m x n over k in [0, 20) of %a (f16, along k) and %b (bf16, along n), accumulated in f32
          %c: on cute: its loop nest: operand types f16 and bf16 (the warp MMA atoms take two f16 or two bf16 operands, or f32 as tf32)
          %c: on triton: tl.dot (operands as f32, ieee precision, accumulated in f32) where its lanes split it as [m, k] x [k, n] in blocks of at least 16
          %c: on llvm: its loop nest; on hip: its loop nest, on f32 MFMA (gfx9) where the thread plan finds a matrix tile

        """,
      triton: "  %c: dot of lanes m x n over k, operands as f32, ieee precision, accumulated in f32\n",
      cute: "cute: phase 0: dot 'c' as the loops above: operand types f16 and bf16 (the warp MMA atoms take two f16 or two bf16 operands, or f32 as tf32)"),
  ]

  /// One plan per contraction, printed the same by every target's `--emit plan`; Triton adds the dot of its lanes,
  /// the CuTe DSL the phase it prints as `cute.gemm` (or the plan's reason why not).
  @Test(arguments: contractionCases)
  func contractionPlanOnEveryTarget(_ c: ContractionCase) throws {
    func planLines(_ text: String) -> String {
      Self.decisions(text).split(separator: "\n").filter { $0.contains(": contraction ") || $0.contains(": on ") }
        .map { $0 + "\n" }.joined()
    }
    for target in [CompileTarget.llvm, .hip, .cute, .triton] {
      let text = try Self.compile(c.spec, c.trace, .plan, target: target)
      #expect(planLines(text) == c.plan, "\(target): \(text)")
      switch target {
      case .triton: #expect(Self.decisions(text).hasSuffix(c.plan + c.triton), "\(text)")
      case .cute: #expect(text.contains(c.cute), "\(text)")
      case .llvm, .hip: break
      }
    }
  }

  /// A plan golden: `lowering/plan/<file>` is the `--emit plan` text of `spec` (under `trace`, or the default GPU
  /// schedule, at `shape`) for `target`.
  struct PlanGolden: Sendable, CustomStringConvertible {
    var file: String
    var spec: String
    var trace: String?
    var shape: [String: Int] = [:]
    var target: CompileTarget
    var description: String { file }
  }

  /// The decisions the shared analysis makes, text in (a spec and a trace), text out (`lowering/plan/`): a matmul on
  /// a matrix tile (HIP's MFMA: the tile's axes and f32 operands from the contraction's plan), a batched matmul
  /// (a batch axis: CuTe's `cute.gemm` blocks, Triton's dot of lanes), a convolution with its taps a serial
  /// reduction axis (conv1d) and one with its taps fused into the contracted axis (conv2d at its bench shape,
  /// `c.p.q`), a contraction the plan refuses (computed inside its consumer's loops: no matrix tile, no
  /// `cute.gemm`), and a reduction that is no contraction (rmsnorm's row sum: where it is computed, lives and
  /// accumulates, at both levels).
  static let planGoldens = [
    PlanGolden(file: "matmul.mfma.hip.plan", spec: "matmul", trace: "lowering/hip/traces/matmul.mfma.trace", target: .hip),
    PlanGolden(file: "batched_matmul.cute.plan", spec: "batched_matmul", target: .cute),
    PlanGolden(file: "batched_matmul.triton.plan", spec: "batched_matmul", target: .triton),
    PlanGolden(file: "conv1d.hip.plan", spec: "conv1d", target: .hip),
    PlanGolden(
      file: "conv2d.bench.hip.plan", spec: "conv2d",
      shape: ["N": 32, "C": 64, "H": 56, "W": 56, "F": 64, "KH": 3, "KW": 3], target: .hip),
    PlanGolden(
      file: "matmul_bias_gelu.fused.hip.plan", spec: "matmul_bias_gelu",
      trace: "lowering/triton/traces/matmul_bias_gelu.fused.trace", target: .hip),
    PlanGolden(file: "rmsnorm.hip.plan", spec: "rmsnorm", target: .hip),
    PlanGolden(file: "rmsnorm.triton.plan", spec: "rmsnorm", target: .triton),
  ]

  /// `lowering/plan/*.plan`: re-record with `KEVC_RECORD=1 swift test --filter NestPlanTests` (the recording run
  /// fails).
  @Test(arguments: planGoldens)
  func planGolden(_ g: PlanGolden) throws {
    let path = "specs/\(g.spec).kev"
    var request = CompileRequest(
      source: SourceFile(path: path, text: try String(contentsOf: TritonTestSupport.inRepository(path), encoding: .utf8)),
      kind: .spec, stages: [.plan])
    if let trace = g.trace {
      let text = try String(contentsOf: TritonTestSupport.inRepository(trace), encoding: .utf8)
      request.schedule = try Trace.parse(SourceFile(path: trace, text: text))
    }
    request.target = g.target
    request.shapeOverrides = g.shape
    let plan = String(decoding: try Compiler.compile(request).artifacts[.plan] ?? Data(), as: UTF8.self)
    try TritonTestSupport.checkGolden(plan, "lowering/plan/\(g.file)")
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
