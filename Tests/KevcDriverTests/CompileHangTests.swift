/// Compiles that never ended (issue 13): LLVM 22's loop vectorizer went exponential on unrolled arg-reductions,
/// which the emitter now keeps rolled (ConditionalRecurrences.swift), and the time bound on LLVM
/// (CompileTimeLimit.swift) that turns any compile past it into a located diagnostic instead of a hang.
import Foundation
import Testing

@Suite struct CompileHangTests {
  /// The two difftest programs whose compile at -O3 never finished (bench/reliability/difftest-mismatches/
  /// s2-hangs.txt) compile, under a time limit that makes a regression a failure rather than a hung suite.
  /// s6-p2050 is the other cause: an `unroll` around loops that LLVM then unrolled again in every copy (the loops
  /// inside a fully unrolled loop are kept rolled now, LoopEmitter.fullyUnrolledDepth).
  @Test(arguments: ["s2-p2048", "s2-p4015", "s6-p2050"])
  func argReductionNestsThatHungLLVMCompile(_ name: String) throws {
    let spec = Paths.inRepository("Tests/Corpus/llvm-hangs/\(name).kev").path
    let trace = Paths.inRepository("Tests/Corpus/llvm-hangs/\(name).trace").path
    let unoptimized = try runKevc(
      ["compile", spec, "--schedule", trace, "--emit", "llvm-unopt", "-o", "-"],
      environment: ["KEVC_COMPILE_TIMEOUT": "120"])
    #expect(unoptimized.status == 0, "\(unoptimized.stderr)")
    #expect(unoptimized.stdout.contains("llvm.loop.unroll.disable"), "the loops that blew up are kept rolled")
    let started = Date()
    let optimized = try runKevc(
      ["compile", spec, "--schedule", trace, "--emit", "llvm", "-o", "-"], environment: ["KEVC_COMPILE_TIMEOUT": "120"])
    #expect(optimized.status == 0, "\(optimized.stderr)")
    #expect(!optimized.stderr.contains("compile-timeout"))
    #expect(Date().timeIntervalSince(started) < 60)
  }

  /// Only loops that carry a conditional recurrence and that LLVM could unroll fully are kept rolled: a sum's
  /// loops, and an argmax over 200 elements, get no such hint.
  @Test func onlyLoopsCarryingAConditionalRecurrenceAreKeptRolled() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-rolled-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let sum = dir.appendingPathComponent("s.kev")
    try "kernel s(x: f32[M, N]) -> (y: f32[M]) {\n  dims M = 16, N = 40\n  y[m] = sum(n < N) x[m, n]\n}\n"
      .write(to: sum, atomically: true, encoding: .utf8)
    let arg = dir.appendingPathComponent("a.kev")
    try "kernel a(x: f32[M, N]) -> (y: i64[M]) {\n  dims M = 16, N = 40\n  y[m] = argmax(n < N) x[m, n]\n}\n"
      .write(to: arg, atomically: true, encoding: .utf8)
    let s = try runKevc(["compile", sum.path, "--emit", "llvm-unopt", "-o", "-"])
    #expect(s.status == 0, "\(s.stderr)")
    #expect(!s.stdout.contains("unroll.disable"))
    let a = try runKevc(["compile", arg.path, "--emit", "llvm-unopt", "-o", "-"])
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stdout.contains("llvm.loop.unroll.disable"))
    let run = try runKevc(["run", arg.path, "--trials", "1"])
    #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    // A loop too long for LLVM to unroll fully keeps LLVM's partial unrolling (no hang is possible there).
    let long = try runKevc(["compile", arg.path, "--shape", "M=16,N=200", "--emit", "llvm-unopt", "-o", "-"])
    #expect(long.status == 0, "\(long.stderr)")
    #expect(!long.stdout.contains("unroll.disable"))
  }

  /// Defence in depth: a compile that runs past KEVC_COMPILE_TIMEOUT ends with a located diagnostic and status 1,
  /// never a hang (here the limit is far below any real compile).
  @Test func compilesPastTheTimeLimitAreLocatedDiagnostics() throws {
    let r = try runKevc(
      ["compile", "specs/softmax.kev", "--emit", "llvm", "-o", "-"], environment: ["KEVC_COMPILE_TIMEOUT": "0.001"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("specs/softmax.kev:"), "\(r.stderr)")
    #expect(r.stderr.contains("error: llvm did not finish compiling kernel 'softmax"), "\(r.stderr)")
    #expect(r.stderr.contains("[kevc.llvm.compile-timeout]"), "\(r.stderr)")
  }
}
