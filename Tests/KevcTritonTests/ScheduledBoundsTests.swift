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

  /// `sum(j in 2 .. N)` split by 8: the point is `2 + j.o * 8 + j.i` on every target (the Triton copy read from 0).
  @Test func aSplitReductionCountsFromItsLowerBound() throws {
    let spec = """
      kernel shifted(x: f32[B, N]) -> (y: f32[B, N]) {
        dims B = 5, N = 37
        y[b, n] = sum(j in 2 .. N) x[b, j]
      }
      """
    let trace = "split(y, j, 8)\nbind(y, b, grid.x)\nbind(y, n, block.x)\n"
    let loops = try Self.compile(spec, trace, .lowered, target: .llvm)
    #expect(loops.contains("%x[b, (2:i64 + ((j.o * 8:i64) + j.i))]"), "\(loops)")
    let module = try Self.compile(spec, trace, .triton, target: .triton)
    #expect(module.contains("x_ptr + (b * 37 + (2 + ((j_o * 8) + j_i)))"), "\(module)")
    let plan = try Self.compile(spec, trace, .plan, target: .triton)
    #expect(plan.contains("j = (2:i64 + ((j_o * 8:i64) + j_i))"), "\(plan)")
    #expect(plan.contains("loop n: a block of 64 lanes, 0:i64 ..< 37:i64"), "\(plan)")
    try Self.expectInterpreted(module, "shifted", y: "5, 37", reference: "x[:, 2:].sum(1, keepdim=True).expand(5, 37)")
  }

  /// `j` split by 16, then `j.i` by 5: `j.i.o * 5 + j.i.i` reaches 19, into the next block of 16, which the
  /// root's guard `j < 37` does not exclude; both targets add `j.i < 16` (the Triton copy summed those twice).
  @Test func aSplitOfASplitWithATailIsGuarded() throws {
    let spec = """
      kernel rows(x: f32[B, N]) -> (y: f32[B]) {
        dims B = 5, N = 37
        y[b] = sum(j in 0 .. N) x[b, j]
      }
      """
    let trace = "split(y, j, 16)\nsplit(y, j.i, 5)\nbind(y, b, grid.x)\n"
    let loops = try Self.compile(spec, trace, .lowered, target: .llvm)
    #expect(loops.contains("(((j.i.o * 5:i64) + j.i.i) < 16:i64)"), "\(loops)")
    let module = try Self.compile(spec, trace, .triton, target: .triton)
    #expect(module.contains("(((j_i_o * 5) + j_i_i) < 16)"), "\(module)")
    let plan = try Self.compile(spec, trace, .plan, target: .triton)
    #expect(plan.contains("guard (((j_i_o * 5:i64) + j_i_i) < 16:i64)"), "\(plan)")
    try Self.expectInterpreted(module, "rows", y: "5", reference: "x.sum(1)")
  }
}
