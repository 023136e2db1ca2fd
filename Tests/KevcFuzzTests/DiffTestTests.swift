import Foundation
import KevcFuzz
import Testing

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
}
