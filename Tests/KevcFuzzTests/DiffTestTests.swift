import Foundation
import KevcBasic
import KevcTransforms
import Testing

@testable import KevcFuzz

/// The differential tester's CI run: a few hundred random programs with random legal schedules, compiled through
/// LLVM and compared with the interpreter; and the generator's validity and determinism.
@Suite struct DiffTestTests {
  @Test func generatedProgramsAreDeterministicAndValid() {
    let tester = DiffTester(seed: 99)
    #expect(tester.program(5).spec == tester.program(5).spec)
    #expect(tester.program(5).spec != tester.program(6).spec)
    var invalid: [String] = []
    for i in 0..<1000 {
      var generator = ProgramGenerator(seed: UInt64(i) &* 7919)
      let spec = generator.generate(name: "g\(i)")
      if !DiffTester.frontEndAccepts(spec) { invalid.append(spec) }
    }
    #expect(invalid.isEmpty, "\(invalid.prefix(2))")
  }

  @Test func randomProgramsMatchTheInterpreter() {
    let tester = DiffTester(seed: 2026)
    var stats = DiffTestStatistics()
    var mismatches: [String] = []
    for i in 0..<200 {
      let program = tester.program(i)
      let outcome = tester.check(program)
      stats.record(program, outcome)
      if case .mismatch(let why) = outcome { mismatches.append("\(program.bundle)\n\(why)") }
    }
    #expect(mismatches.isEmpty, "\(mismatches.first ?? "")")
    #expect(stats.invalidPrograms == 0)
    #expect(stats.passed > 120)
    #expect(stats.modes.count == 3)
  }

  /// Programs on which the tester once found wrong code or a legal schedule the lowering refused
  /// (Tests/Corpus/difftest-regressions) now match the
  /// interpreter, compiled at -O3 and checked with the trial seeds of their run.
  @Test(arguments: ["s1-p10797", "s1-p10247", "s1-p10928", "s1-p2867", "s1-p10745", "s2026-p106", "s49-p277",
    "s5050-p122", "s5050-p205", "s5050-p122v",
  ])
  func savedMismatchesMatchTheInterpreter(_ name: String) throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Corpus/difftest-regressions")
    let spec = try String(contentsOf: folder.appendingPathComponent(name + ".kev"), encoding: .utf8)
    let traceFile = folder.appendingPathComponent(name + ".trace")
    let trace = try (try? String(contentsOf: traceFile, encoding: .utf8)).map {
      try TraceText.parse(SourceFile(path: traceFile.path, text: $0))
    }
    let parts = name.dropFirst().split(separator: "-p")
    let seed = try #require(parts.first.flatMap { UInt64($0) })
    // A letter after the index names another trace of the same program (`s5050-p122v`).
    let index = try #require(parts.last.flatMap { Int($0.prefix { $0.isNumber }) })
    let program = DiffTester.Program(
      index: index, spec: spec, trace: trace, mode: trace == nil ? .defaultSchedule : .random)
    var tester = DiffTester(seed: seed)
    tester.trials = 8  // what the stray reads return depends on memory: more trials than the tester's two
    let outcome = tester.check(program)
    guard case .passed = outcome else {
      Issue.record("\(name): \(outcome)")
      return
    }
  }
}
