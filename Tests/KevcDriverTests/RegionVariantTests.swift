import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcTransforms
import Testing

/// Producers computed inside consumers that are themselves computed inside another definition (chains of
/// `compute_at`), read at reversed, shifted and strided indices, with the middle definition's loops split,
/// vectorized or unrolled: the JIT (LLVM, the CPU lowering of `ScheduledNests`) must match the interpreter on the
/// unscheduled kernel, under the default CPU schedule and under explicit traces. Guards issue 13's miscompile
/// (`t0[a, B - 1 - b]` read by a `t1` computed over one `b` of `y` and vectorized along `b`: the region of `t0`
/// was placed at the first read's offset only, so the reversed read fell outside it and read garbage).
@Suite struct RegionVariantTests {
  /// Index forms `t1` reads `t0` at along `b`, in pairs.
  static let reads: [(String, String)] = [
    ("B - 1 - b", "b"), ("b + 1", "b - 2"), ("2 * b", "b"), ("B - 2 - b", "b + 1"), ("b", "b"), ("b + 3", "B - 1 - b"),
  ]
  /// Bodies of the producer `t0[a, b]`: a reduction over another axis, and an elementwise map.
  static let producers = ["max(k < A) x[k, b]", "x[a, b] * 2.0"]
  /// Explicit traces (besides the default schedule): chains of compute_at with the middle loop split, vectorized
  /// or unrolled, in both orders of application.
  static let traces = [
    "compute_at(t1, y, b)\ncompute_at(t0, t1, a)\nvectorize(t1, b, 8)",
    "compute_at(t0, t1, a)\ncompute_at(t1, y, b)\nsplit(t1, b, 4)",
    "split(y, b, 8)\ncompute_at(t1, y, b.o)\ncompute_at(t0, t1, a)\nvectorize(t1, b, 4)",
    "split(y, b, 8)\ncompute_at(t1, y, b.o)\nunroll(t1, b, 4)\ncompute_at(t0, t1, b.o)",
    "reorder(y, [k2, b])\nsplit(y, b, 8)\ncompute_at(t1, y, b.i)\ncompute_at(t0, t1, b)\nsplit(t1, a, 2)",
  ]

  static func spec(_ producer: String, _ first: String, _ second: String) -> String {
    """
    kernel rev(x: f32[A, B]) -> (y: f32[B]) {
      dims A = 7, B = 61
      t0[a < A, b < B] = \(producer)
      t1[a < A, b < B] = t0[a, \(first)] + t0[a, \(second)]
      y[b] = sum(k2 < A) t1[k2, b]
    }
    """
  }

  struct Case: CustomTestStringConvertible, Sendable {
    var producer: String
    var first: String
    var second: String
    var testDescription: String { "t0 = \(producer); t1 reads t0[a, \(first)] + t0[a, \(second)]" }
  }

  static let cases: [Case] = producers.flatMap { p in reads.map { Case(producer: p, first: $0.0, second: $0.1) } }

  /// Compiles `text` with `trace` (nil: the default CPU schedule) at `shape` and checks it against the
  /// interpreter; returns a description of the failure, or nil.
  static func check(_ text: String, trace: String?, shape: [String: Int]) -> String? {
    do {
      let schedule = try trace.map { try TraceText.parse(SourceFile(path: "variant.trace", text: $0)) }
      let request = CompileRequest(
        source: SourceFile(path: "variant.kev", text: text), kind: .spec, shapeOverrides: shape,
        stages: [.lowered, .llvm], optimizationLevel: 1, schedule: schedule)
      let result = try Compiler.compile(request)
      let original = try result.kernel.binding(shape, location: .unknown)
      let jit = try #require(result.module).jit()
      let report = try KernelCheck.run(
        original, jit: jit, options: KernelCheck.Options(trials: 2, seed: 13, timingIterations: 0))
      if report.passed { return nil }
      let loops = String(decoding: result.artifacts[.lowered] ?? Data(), as: UTF8.self)
      return "\(RunReportText.render(report, kernel: original))\n\(loops)"
    } catch {
      return "\(error)"
    }
  }

  @Test(arguments: cases)
  func chainsOfComputeAtMatchTheInterpreter(_ c: Case) {
    let text = Self.spec(c.producer, c.first, c.second)
    for shape in [["A": 7, "B": 61], ["A": 3, "B": 13]] {
      if let failure = Self.check(text, trace: nil, shape: shape) {
        Issue.record("default schedule at \(shape):\n\(failure)")
      }
    }
    for trace in Self.traces {
      if let failure = Self.check(text, trace: trace, shape: ["A": 5, "B": 29]) {
        Issue.record("trace \(trace.split(separator: "\n").joined(separator: "; ")):\n\(failure)")
      }
    }
  }
}

/// `compute_at` followed by a split of the consumer's loop (split, vectorize, unroll, tile all split) is rejected by
/// the split itself (`kevc.transform.compute-loop-split`), not by the verifier after the fact; splitting first and
/// computing at a part of the split works. A step that makes a producer's region outgrow local storage is rejected
/// by the step itself with `kevc.transform.bad-placement`, never left to the lowering.
@Suite struct ComputeAtAndSplitTests {
  static let mirrored = """
    kernel mirrored(x: f32[M, N]) -> (y: f32[M, N]) {
      dims M = 9, N = 37
      t[m < M, n < N] = exp(x[m, n])
      y[m, n] = t[m, n] + t[m, N - 1 - n]
    }
    """

  static func compile(_ text: String, _ trace: String, shape: [String: Int]) throws -> CompileResult {
    let request = CompileRequest(
      source: SourceFile(path: "mirrored.kev", text: text), kind: .spec, shapeOverrides: shape,
      stages: [.lowered, .llvm], optimizationLevel: 1,
      schedule: try TraceText.parse(SourceFile(path: "split.trace", text: trace)))
    return try Compiler.compile(request)
  }

  static func diagnostic(_ trace: String, shape: [String: Int] = [:]) throws -> Diagnostic? {
    do {
      _ = try compile(mirrored, trace, shape: shape)
      return nil
    } catch let error as DiagnosticError {
      return error.diagnostics.first
    }
  }

  @Test(arguments: ["split(y, m, 2)", "unroll(y, m, 4)", "tile(y, [m, n], [4, 8])", "reorder(y, [n, m])\nvectorize(y, m, 4)"])
  func splittingTheComputeLoopIsRejectedByTheSplit(_ step: String) throws {
    let d = try #require(try Self.diagnostic("compute_at(t, y, m)\n" + step), "the split was accepted")
    #expect(d.id == DiagnosticID("transform", "compute-loop-split"), "\(d)")
    #expect(d.message.contains("'t' is computed at 'y.m'"), "\(d)")
  }

  @Test func computingAtAPartOfASplitMatchesTheInterpreter() throws {
    for trace in ["split(y, m, 2)\ncompute_at(t, y, m.o)", "split(y, m, 4)\ncompute_at(t, y, m.i)\nvectorize(y, n, 8)"] {
      let result = try Self.compile(Self.mirrored, trace, shape: [:])
      let original = try result.kernel.binding([:], location: .unknown)
      let report = try KernelCheck.run(
        original, jit: try #require(result.module).jit(),
        options: KernelCheck.Options(trials: 2, seed: 3, timingIterations: 0))
      #expect(report.passed, "\(trace): \(RunReportText.render(report, kernel: original))")
    }
  }

  @Test func aReorderThatGrowsARegionPastLocalStorageIsRejectedByTheStep() throws {
    // At y.n (loops m, n) t's region is one row, 4 KiB; with m inside n it is the whole 1024 x 1024 tensor, 4 MiB.
    let d = try #require(
      try Self.diagnostic("compute_at(t, y, n)\nreorder(y, [n, m])", shape: ["M": 1024, "N": 1024]),
      "the reorder was accepted")
    #expect(d.id == DiagnosticID("transform", "bad-placement"), "\(d)")
    #expect(d.location.line == 2, "\(d)")
    #expect(d.message.contains("more than local storage"), "\(d)")
  }
}
