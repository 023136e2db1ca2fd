import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcInterpreter
import KevcLLVM
import KevcTransforms
import Testing

/// Tuple reductions compiled by real LLVM agree with the interpreter: every `tuple_*.kir` of `ir/roundtrip` with
/// its natural schedule, and the online attention with its scores computed inside the key loop (one loop nest) and
/// the log-sum-exp with a split, parallel, unrolled reduction.
@Suite struct TupleReductionJITTests {
  static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("ir/roundtrip")

  static func check(_ file: String, trace: String? = nil) throws {
    let url = corpus.appendingPathComponent(file)
    let text = try String(contentsOf: url, encoding: .utf8)
    let request = CompileRequest(
      source: SourceFile(path: url.path, text: text), kind: .ir, shapeOverrides: [:], stages: [.llvm],
      optimizationLevel: 2, schedule: try trace.map { try Trace.parse(SourceFile(path: "t.trace", text: $0)) })
    let result = try Compiler.compile(request)
    let kernel = try result.kernel.binding([:], location: .unknown)
    let jit = try #require(result.module).jit()
    let report = try KernelCheck.run(kernel, jit: jit, options: KernelCheck.Options(trials: 3, seed: 5, timingIterations: 0))
    #expect(report.passed, "\(file): \(RunReportText.render(report, kernel: kernel))")
  }

  @Test(arguments: ["tuple_logsumexp.kir", "tuple_argmax.kir", "tuple_attention.kir"])
  func naturalSchedule(_ file: String) throws { try Self.check(file) }

  @Test func scheduled() throws {
    try Self.check("tuple_attention.kir", trace: "compute_at(qk, o, j)\n")
    try Self.check(
      "tuple_logsumexp.kir", trace: "split(lse, k, 8)\nreorder(lse, [i, k.o, k.i])\nparallel(lse, i)\nunroll(lse, k.i, 8)\n")
  }
}
