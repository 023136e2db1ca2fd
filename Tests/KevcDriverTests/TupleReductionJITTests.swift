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
/// the log-sum-exp with a split, parallel, unrolled reduction. argmax/argmin as tuple reductions (a select-form
/// combiner, lowered as `if c { state = element }`) agree with the interpreter on ties, NaN, -inf and an empty range,
/// and their short reduction loop is kept rolled (ConditionalRecurrences sees the `if`), its condition folded by the
/// ascending index (SelectFormCombiner.ascendingIndex).
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

  @Test(arguments: [
    "tuple_logsumexp.kir", "tuple_argmax.kir", "tuple_attention.kir", "tuple_argmax_gather.kir", "tuple_argmax_flat.kir",
  ])
  func naturalSchedule(_ file: String) throws { try Self.check(file) }

  @Test func scheduled() throws {
    try Self.check("tuple_attention.kir", trace: "compute_at(qk, o, j)\n")
    try Self.check(
      "tuple_logsumexp.kir", trace: "split(lse, k, 8)\nreorder(lse, [i, k.o, k.i])\nparallel(lse, i)\nunroll(lse, k.i, 8)\n")
    // argmax as a tuple with its index split (a tail: N = 129): the ascending-index fold holds in the tiled order.
    try Self.check("tuple_argmax_gather.kir", trace: "split(idx, n, 8)\nparallel(idx, m)\nunroll(idx, n.i, 8)\n")
    // A flat argmax over (c, k) with its axes fused: the same visit order, checked against the unfused kernel.
    try Self.check("tuple_argmax_flat.kir", trace: "fuse_axes(i, [c, k])\n")
    try Self.check("tuple_argmax_flat.kir", trace: "fuse_axes(i, [c, k])\nsplit(i, c.k, 8)\nparallel(i, b)\n")
  }

  /// argmax/argmin of `x[b, n]` over `n in lo .. N`: the tuple reduction Reduction.argExtreme (spelled `argmax<f32>`).
  static func argExtremeIR(isMax: Bool, lowerBound: Int) throws -> String {
    let text = """
      kernel @am(%x: f32[B, N]) -> (%i: i64[B]) {
        dims B = 5, N = 6
        %i: i64[b < B] = \(isMax ? "argmax" : "argmin")<f32> [n in \(lowerBound) .. $N] %x[b, n]
      }
      """
    let k = try IRParser.parse(SourceFile(path: "am.kir", text: text))
    let n = ReductionAxis(name: "n", lowerBound: .constant(.int(Int64(lowerBound))), upperBound: .dim("N"))
    #expect(k.definitions[0].reduction == .argExtreme(isMax: isMax, accumulator: .f32, axis: n))
    #expect(Verifier.verify(k).isEmpty)
    return text
  }

  @Test(arguments: [true, false])
  func selectFormArgExtremeMatchesTheInterpreterOnTiesNaNAndInfinities(_ isMax: Bool) throws {
    // Ties, a NaN after the extreme, one repeated value, -inf and +inf, NaN first.
    let values: [Float] = [
      1, 3, 3, 2, 0, 3, 5, -1, .nan, 7, .nan, 0, 2, 2, 2, 2, 2, 2, -.infinity, 4, -.infinity, 4, 1, .infinity,
      .nan, -.infinity, .infinity, .infinity, -.infinity, 0,
    ]
    for lowerBound in [0, 6] {  // 6: an empty range (index -1)
      let text = try Self.argExtremeIR(isMax: isMax, lowerBound: lowerBound)
      let request = CompileRequest(
        source: SourceFile(path: "am.kir", text: text), kind: .ir, shapeOverrides: [:], stages: [.llvm],
        optimizationLevel: 2, schedule: nil)
      let result = try Compiler.compile(request)
      let kernel = try result.kernel.binding([:], location: .unknown)
      var buffers: [[UInt8]] = [
        values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }, [UInt8](repeating: 0, count: 5 * 8),
      ]
      try #require(result.module).jit().run(&buffers)
      let got = stride(from: 0, to: buffers[1].count, by: 8).map { o in
        buffers[1][o..<(o + 8)].reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }
      }
      let x = TensorValue(dtype: .f32, shape: [5, 6], values: values.map(Double.init))
      let want = try #require(try Interpreter.run(kernel, inputs: ["x": x])["i"]).values.map { Int64($0) }
      #expect(got == want, "isMax \(isMax), from \(lowerBound)")
      if lowerBound == 6 { #expect(got == [-1, -1, -1, -1, -1]) }
      if lowerBound == 0 { #expect(got == (isMax ? [1, 2, 0, 5, 0] : [4, 2, 0, 0, 0])) }
    }
  }

  @Test func selectFormLoopsAreKeptRolled() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-select-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("am.kir")
    try Self.argExtremeIR(isMax: true, lowerBound: 0).write(to: file, atomically: true, encoding: .utf8)
    let lowered = try runKevc(["compile", file.path, "--emit", "lowered", "-o", "-"])
    #expect(lowered.status == 0, "\(lowered.stderr)")
    #expect(lowered.stdout.contains("if ") && !lowered.stdout.contains("%i.n."), "\(lowered.stdout)")
    // The index is visited in ascending order: its tests fold away (SelectFormCombiner.ascendingIndex).
    #expect(
      lowered.stdout.contains(
        "if ((%i.s.1[] inbounds == -1:i64) or (not(isnan(%i.s.0[] inbounds)) and (isnan(%i.e.0[] inbounds) or "
          + "(%i.e.0[] inbounds > %i.s.0[] inbounds))))"), "\(lowered.stdout)")
    let llvm = try runKevc(["compile", file.path, "--emit", "llvm-unopt", "-o", "-"])
    #expect(llvm.status == 0, "\(llvm.stderr)")
    #expect(llvm.stdout.contains("llvm.loop.unroll.disable"))
  }
}
