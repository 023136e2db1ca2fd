import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcInterpreter
import KevcLLVM
import KevcLowering
import KevcTransforms
import Testing

/// argmax/argmin give the FIRST index on ties whatever the schedule (docs/ir.md, Reductions), checked exactly (no
/// leeway) by real LLVM on inputs with exact ties at indices a split visits out of order (1 and 8 under a split by
/// 8). The loop lowering keeps the first VISITED tie, so a schedule that visits the domain out of ascending order
/// (a split's inner part outside its outer part) would give a later index: the transforms and the schedule
/// verifier refuse it (`kevc.transform.reduction-order`, `kevc.ir.reduction-order`; ReductionOrder.swift), for
/// select-form tuple combiners too. The interpreter's leeway accepts only the first index of an exact tie, so the
/// harness (KernelCheck) catches a kernel that gives a later one.
@Suite struct ArgReductionOrderTests {
  static let spec = Paths.inRepository("specs/argmax.kev")
  static let (rows, columns) = (61, 129)

  /// `x` of specs/argmax.kev: row m holds its maximum 3 at a = 1 + m % 7 and at b in 8 ..< 129 (b > a); every
  /// tenth row has NaN (the largest) at a and b instead; the other values are small integers below 3.
  static func input() -> (x: [Float], first: [Int64]) {
    var x = (0..<(rows * columns)).map { Float(($0 * 7) % 5) - 2 }
    var first: [Int64] = []
    for m in 0..<rows {
      let a = 1 + m % 7
      let b = 8 + (m * 13) % 120
      let top: Float = m % 10 == 9 ? .nan : 3
      x[m * columns + a] = top
      x[m * columns + b] = top
      first.append(Int64(a))
    }
    return (x, first)
  }

  /// Runs a compiled argmax kernel (idx, best) on `x`; returns idx.
  static func run(_ module: LLVMCompiledModule, _ x: [Float]) throws -> [Int64] {
    var buffers: [[UInt8]] = [
      x.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) },
      [UInt8](repeating: 0, count: rows * 8), [UInt8](repeating: 0, count: rows * 4),
    ]
    try module.jit().run(&buffers)
    return stride(from: 0, to: buffers[1].count, by: 8).map { o in
      buffers[1][o..<(o + 8)].reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
  }

  static func compile(_ trace: String, stages: Set<Stage> = [.llvm]) throws -> CompileResult {
    let text = try String(contentsOf: spec, encoding: .utf8)
    return try Compiler.compile(
      CompileRequest(
        source: SourceFile(path: spec.path, text: text), kind: .spec, shapeOverrides: [:], stages: stages,
        optimizationLevel: 2, schedule: try Trace.parse(SourceFile(path: "t.trace", text: trace))))
  }

  @Test(arguments: [
    "", "split(idx, n, 8)\n", "split(idx, n, 8)\nunroll(idx, n.i, 8)\n", "split(idx, n, 16)\nsplit(idx, n.i, 4)\n",
    "split(idx, n, 8)\nreorder(idx, [m, n.o, n.i])\nparallel(idx, m)\n",
  ])
  func ascendingSchedulesGiveTheFirstIndexOfExactTies(_ trace: String) throws {
    let (x, first) = Self.input()
    let got = try Self.run(try #require(try Self.compile(trace).module), x)
    #expect(got == first, "\(trace)")
  }

  /// Why the rule exists: the loop lowering keeps the first visited of tied values, so the same kernel with its
  /// split parts swapped (bypassing the transforms and the verifier) gives the later tied index (b, not a).
  @Test func theLoopLoweringKeepsTheFirstVisitedTie() throws {
    var kernel = try #require(try Self.compile("split(idx, n, 8)\n", stages: [.scheduled]).boundKernel)
    let i = try #require(kernel.definitions.firstIndex { $0.name == "idx" })
    var s = kernel.definitions[i].effectiveSchedule
    #expect(s.loops.map(\.name) == ["m", "n.o", "n.i"])
    s.loops.swapAt(1, 2)
    kernel.definitions[i].schedule = s
    #expect(ScheduleVerifier.verify(kernel).map(\.id) == [DiagnosticID("ir", "reduction-order")])
    let module = try LLVMCompiledModule.compile(try LowerToLoops.lower(kernel), options: LLVMCompileOptions(optimizationLevel: 2))
    let (x, first) = Self.input()
    let got = try Self.run(module, x)
    // Row 0: ties at 1 and 8; n.i = 0 visits 0, 8, 16, ... before 1.
    #expect(got[0] == 8 && first[0] == 1)
    // The harness catches it: its "ties" inputs have exact ties, whose leeway is the first index only.
    let report = try KernelCheck.run(kernel, jit: module.jit(), options: KernelCheck.Options(trials: 6, seed: 5, timingIterations: 0))
    #expect(!report.passed)
  }

  @Test(arguments: [
    ("split(idx, n, 8)\nreorder(idx, [m, n.i, n.o])\n", 2),
    ("split(idx, n, 32)\nsplit(idx, n.i, 4)\nreorder(idx, [n.i.i, n.i.o])\n", 3),
    ("split(idx, n, 8)\ntile(idx, [n.o, n.i], [4, 2])\n", 2),
  ])
  func schedulesVisitingTheDomainOutOfOrderAreRefused(_ trace: String, _ line: Int) throws {
    do {
      _ = try Self.compile(trace, stages: [.scheduled])
      Issue.record("accepted: \(trace)")
    } catch let e as DiagnosticError {
      let d = try #require(e.diagnostics.first)
      #expect(d.id == DiagnosticID("transform", "reduction-order"), "\(e)")
      #expect(d.location.file == "t.trace" && d.location.line == line, "\(e)")
    }
  }

  /// A tuple argmax (select form) is refused the same way; a log-sum-exp (not order-sensitive) is not.
  @Test func tupleReductions() throws {
    let am = try IRParser.parse(SourceFile(path: "am.kir", text: try TupleReductionJITTests.argExtremeIR(isMax: true, lowerBound: 0)))
    var swapped = am
    swapped.definitions[0].schedule = Schedule(
      loops: ["b", "n.i", "n.o"].map { ScheduledLoop(name: $0) },
      splits: [Split(variable: "n", outer: "n.o", inner: "n.i", factor: 2)])
    #expect(ScheduleVerifier.verify(swapped).map(\.id) == [DiagnosticID("ir", "reduction-order")])
    var ascending = swapped
    ascending.definitions[0].schedule?.loops.swapAt(1, 2)
    #expect(ScheduleVerifier.verify(ascending).isEmpty)
    let url = TupleReductionJITTests.corpus.appendingPathComponent("tuple_logsumexp.kir")
    var lse = try IRParser.parse(SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)))
    lse.definitions[0].schedule = Schedule(
      loops: ["i", "k.i", "k.o"].map { ScheduledLoop(name: $0) },
      splits: [Split(variable: "k", outer: "k.o", inner: "k.i", factor: 8)])
    #expect(ScheduleVerifier.verify(lse).isEmpty)
  }

  /// The interpreter's leeway: an exact tie gives the first index only; a tie within rounding (values one ulp
  /// apart) may give either.
  @Test func leewayAcceptsOnlyTheFirstIndexOfAnExactTie() throws {
    let text = try String(contentsOf: Self.spec, encoding: .utf8)
    let result = try Compiler.compile(
      CompileRequest(
        source: SourceFile(path: Self.spec.path, text: text), kind: .spec, shapeOverrides: ["M": 2, "N": 12],
        stages: [.ir], optimizationLevel: 2, schedule: nil))
    let kernel = try result.kernel.binding(["M": 2, "N": 12], location: .unknown)
    var values = [Double](repeating: 0, count: 24)
    values[3] = 3
    values[9] = 3  // row 0: an exact tie at 3 and 9
    values[12 + 2] = 3
    values[12 + 7] = Double(Float(3).nextUp)  // row 1: 3 and 3 + 1 ulp (within f32's tolerance)
    let (out, leeway) = try Interpreter.runWithLeeway(
      kernel, inputs: ["x": TensorValue(dtype: .f32, shape: [2, 12], values: values)])
    #expect(out["idx"]?.values == [3, 7])
    let l = try #require(leeway["idx"])
    #expect(l.alternatives[0] == nil || l.alternatives[0] == [3], "\(l)")
    #expect(Set(l.alternatives[1] ?? []) == [2, 7], "\(l)")
  }
}
