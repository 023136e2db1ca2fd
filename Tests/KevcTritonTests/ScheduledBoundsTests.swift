/// The Triton emitter reads split bounds, point values and guards from the shared analysis
/// (KevcLowering/ScheduledBounds.swift), the one the loop lowering reads: two schedules on which its own copy was
/// wrong (a split reduction counted from 0 instead of its lower bound; a split of a split with a tail reached the
/// next block), checked as text against the loop IR, in the Triton plan (`--emit plan`), and under Triton's
/// interpreter against torch.
import Foundation
import KevcBasic
import KevcDriver
import KevcTransforms
import Testing

@Suite struct ScheduledBoundsTests {
  static func compile(_ spec: String, _ trace: String, _ stage: Stage, target: CompileTarget) throws -> String {
    var request = CompileRequest(
      source: SourceFile(path: "bounds.kev", text: spec), kind: .spec, stages: [stage],
      schedule: try Trace.parse(SourceFile(path: "bounds.trace", text: trace)))
    request.target = target
    return String(decoding: try Compiler.compile(request).artifacts[stage] ?? Data(), as: UTF8.self)
  }

  /// Runs `module` (named `name`) under Triton's interpreter (its gaps patched: a `tl.range` bound computed from
  /// tensors) on a 5 x 37 normal `x` and compares `y` (of `shape`) with `reference`, a torch expression of `x` in
  /// float64.
  static func expectInterpreted(_ module: String, _ name: String, y shape: String, reference: String) throws {
    guard TritonTestSupport.tritonVersion != nil else { return }
    let python = TritonTestSupport.inRepository("python").path
    let script = [
      "import sys", "sys.path.insert(0, \"\(python)\")", "from kevc_gpu import interpreter_fixes",
      "interpreter_fixes.apply()", "import torch, \(name)", "torch.manual_seed(0)", "x = torch.randn(5, 37)",
      "y = torch.empty(\(shape))", "\(name).launch(x=x, y=y)", "x = x.double()",
      "err = (y.double() - (\(reference))).abs().max().item()", "assert err < 1e-4, err",
    ].joined(separator: "\n")
    let (status, log) = try TritonTestSupport.interpret(module: module, named: name, script: script)
    #expect(status == 0, "\(log)")
  }

  /// A schedule, the text each stage must show for it, and the torch reference of its result.
  struct Case: Sendable, CustomStringConvertible {
    var name: String
    var spec: String
    var trace: String
    /// Expected in the loop IR, the Triton module and the Triton plan.
    var loops: String
    var module: String
    var plan: String
    var y: String
    var reference: String
    var description: String { name }
  }

  static let cases = [
    // `sum(j in 2 .. N)` split by 8: the point is `2 + j.o * 8 + j.i` on every target (the Triton copy read from 0).
    Case(
      name: "shifted",
      spec: "kernel shifted(x: f32[B, N]) -> (y: f32[B, N]) {\n  dims B = 5, N = 37\n  y[b, n] = sum(j in 2 .. N) x[b, j]\n}\n",
      trace: "split(y, j, 8)\nbind(y, b, grid.x)\nbind(y, n, block.x)\n",
      loops: "%x[b, (2:i64 + ((j.o * 8:i64) + j.i))]", module: "x_ptr + (b * 37 + (2 + ((j_o * 8) + j_i)))",
      plan: "j = (2:i64 + ((j_o * 8:i64) + j_i))", y: "5, 37", reference: "x[:, 2:].sum(1, keepdim=True).expand(5, 37)"),
    // `j` split by 16, then `j.i` by 5: `j.i.o * 5 + j.i.i` reaches 19, into the next block of 16, which the root's
    // guard `j < 37` does not exclude; both targets add `j.i < 16` (the Triton copy summed those twice).
    Case(
      name: "rows",
      spec: "kernel rows(x: f32[B, N]) -> (y: f32[B]) {\n  dims B = 5, N = 37\n  y[b] = sum(j in 0 .. N) x[b, j]\n}\n",
      trace: "split(y, j, 16)\nsplit(y, j.i, 5)\nbind(y, b, grid.x)\n",
      loops: "(((j.i.o * 5:i64) + j.i.i) < 16:i64)", module: "(((j_i_o * 5) + j_i_i) < 16)",
      plan: "guard (((j_i_o * 5:i64) + j_i_i) < 16:i64)", y: "5", reference: "x.sum(1)"),
  ]

  @Test(arguments: cases)
  func splitsAgreeAcrossTargets(_ c: Case) throws {
    let loops = try Self.compile(c.spec, c.trace, .lowered, target: .llvm)
    #expect(loops.contains(c.loops), "\(loops)")
    let module = try Self.compile(c.spec, c.trace, .triton, target: .triton)
    #expect(module.contains(c.module), "\(module)")
    let plan = try Self.compile(c.spec, c.trace, .plan, target: .triton)
    #expect(plan.contains(c.plan), "\(plan)")
    try Self.expectInterpreted(module, c.name, y: c.y, reference: c.reference)
  }
}
