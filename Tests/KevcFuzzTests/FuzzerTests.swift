import Foundation
import KevcFuzz
import Testing

/// The fuzzers' short CI run (a few seconds per target, in process), the mutator's determinism, the skip list,
/// the supervisor's crash handling, and the replay of every saved crasher.
@Suite struct FuzzerTests {
  static let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  @Test func mutationsAreDeterministicForASeed() {
    let seeds = [Array("kernel k(x: f32[N]) -> (y: f32[N]) {\n  dims N = 7\n  y[n] = x[n] * 2\n}\n".utf8)]
    let dictionary = Mutator.dictionary(of: seeds)
    func stream(_ seed: UInt64) -> [[UInt8]] {
      var m = Mutator(seed: seed)
      return (0..<50).map { _ in m.mutate(seeds[0], corpus: seeds, dictionary: dictionary) }
    }
    #expect(stream(7) == stream(7))
    #expect(stream(7) != stream(8))
    #expect(Set(stream(7)).count > 40)
  }

  @Test func tokensJoinBackToTheInput() {
    let text = Array("y[m, n] = sum<f32>(k)  a[m, k] * 1.5e-3 # note\n\tz".utf8)
    #expect(Mutator.tokens(text).flatMap { $0 } == text)
  }

  @Test func skipPredicatesRecogniseTheirClasses() {
    #expect(FuzzSkip.hasHugeInteger(Array("split(y, m, 9223372036854775807)".utf8)))
    #expect(FuzzSkip.hasHugeInteger(Array("dims N = 2147483648".utf8)))
    #expect(!FuzzSkip.hasHugeInteger(Array("dims N = 2147483647\ny = 1e400 + x2222222222222".utf8)))
    #expect(FuzzSkip.maxBracketDepth(Array(("tile(y, " + String(repeating: "[", count: 300) + "m])").utf8)) == 301)
    #expect(FuzzSkip.maxBracketDepth(Array("tile(y, [m, n], [8, 8])".utf8)) == 2)
  }

  @Test(arguments: FuzzTarget.allCases)
  func shortRunEndsEveryInputInAResultOrADiagnostic(_ target: FuzzTarget) throws {
    let harness = try FuzzHarness(target: target, repository: Self.repository)
    let count = harness.seeds.count + 400
    let stats = FuzzCampaign.run(harness, seed: 13, first: 0, count: count, deadline: Date().addingTimeInterval(4))
    // Reaching this line means no input trapped; both outcomes must occur, or the fuzzer is not reaching deep.
    #expect(stats.executions > harness.seeds.count / 2)
    #expect(stats.accepted > 0)
    #expect(stats.diagnosed > 0)
  }

  /// Every saved crasher runs to a result or a diagnostic (those a skip-list entry still names wait for its fix).
  @Test func savedCrashersNoLongerCrash() throws {
    let folder = Self.repository.appendingPathComponent("Tests/Corpus/fuzz-regressions")
    var replayed = 0
    var waiting = 0
    for target in FuzzTarget.allCases {
      let harness = try FuzzHarness(target: target, repository: Self.repository)
      let dir = folder.appendingPathComponent(target.rawValue)
      let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
      for name in names.sorted() where name.hasSuffix("." + target.fileExtension) {
        let input = try [UInt8](Data(contentsOf: dir.appendingPathComponent(name)))
        if FuzzSkip.current.contains(where: { $0.targets.contains(target) && $0.applies(input) }) {
          waiting += 1
          continue
        }
        switch harness.execute(input) {
        case .accepted, .diagnosed: replayed += 1
        }
      }
    }
    // The folder holds the crashers found so far; every one is replayed or waits for a named fix.
    #expect(replayed + waiting >= 2)
    #expect(replayed >= 2)
  }

  /// A child that dies of a signal leaves its crash file; the supervisor reports the input and restarts after it.
  @Test func supervisorReportsACrashAndContinuesAfterIt() throws {
    let script = """
      if [ "$1" = 0 ]; then
        printf '\\003\\000\\000\\000\\000\\000\\000\\000\\004\\000\\000\\000\\000\\000\\000\\000\\013\\000\\000\\000boom' > "$3"
        kill -SEGV $$
      fi
      echo '{"target":"spec","executions":'"$2"',"accepted":1,"diagnosed":0,"diagnosticIDs":{},"skipped":{},"seconds":0}'
      """
    var supervisor = Supervisor<FuzzStatistics> { first, count, crashFile in
      ["-c", script, "sh", "\(first)", "\(count)", crashFile]
    }
    supervisor.executable = "/bin/sh"
    var runs: [Supervisor<FuzzStatistics>.ChildRun] = []
    try supervisor.run(first: 0, count: 10) { runs.append($0) }
    #expect(runs.count == 2)
    #expect(runs.first?.crash?.index == 3)
    #expect(runs.first?.crash?.signal == 11)
    #expect(runs.first?.crash?.input == Array("boom".utf8))
    #expect(runs.first?.recorded == 4)
    #expect(runs.last?.crash == nil)
    #expect(runs.last?.statistics?.executions == 6)
  }
}
