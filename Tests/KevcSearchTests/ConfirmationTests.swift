import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcSearch
import Testing

/// The confirmation phase (issue 15): the choice on synthetic timings, and real CPU searches that record it.
@Suite(.serialized) struct ConfirmationTests {
  func entry(_ id: Int, _ times: [Double], failure: String? = nil, harness: Int = 0) -> ConfirmationRecord.Entry {
    var e = ConfirmationRecord.Entry(candidate: id)
    e.times = times
    e.failure = failure
    e.harnessErrors = harness
    return e
  }

  @Test func theConfirmedBestHasTheLowestMedian() {
    // The median, not the luckiest round: #7 has the fastest single time (1.0) but the slower median.
    let entries = [entry(7, [1.0, 3.0, 3.2]), entry(8, [2.0, 2.1, 1.9]), entry(1, [2.5, 2.4, 2.6])]
    #expect(entries.map(\.median) == [3.0, 2.0, 2.5])
    #expect(ConfirmationRecord.choose(entries) == 8)
    // An even count: the mean of the middle two.
    #expect(entry(2, [4, 1, 3, 2]).median == 2.5)
    // Ties go to the one earlier in the search's order.
    #expect(ConfirmationRecord.choose([entry(5, [2, 2]), entry(3, [2, 2])]) == 5)
    #expect(ConfirmationRecord.choose([entry(3, [2, 2]), entry(5, [2, 2])]) == 3)
    // A failed round disqualifies whatever its times; rounds lost to the harness are left out, never blamed.
    let failing = [entry(4, [0.5, 0.5], failure: "round 2: wrong: max abs error 3"), entry(1, [1.0]),
                   entry(6, [], harness: 3), entry(9, [0.9], harness: 2)]
    #expect(ConfirmationRecord.choose(failing) == 9)
    #expect(failing[2].median == nil && failing[2].failure == nil)
    let record = ConfirmationRecord(
      workloadID: 1, targetID: 1, searchedBest: 4, winner: ConfirmationRecord.choose(failing), rounds: 2, roundsRun: 2,
      entries: failing, order: [], lastEvaluationID: 10, note: nil, seconds: 1)
    #expect(record.failed == [4])
    #expect(record.summary.contains("confirmed best #9") && record.summary.contains("the search's best #4 measured failed"))
    // Nothing measured: no best.
    #expect(ConfirmationRecord.choose([entry(1, [], harness: 1), entry(2, [], failure: "round 1: crash")]) == nil)
    // The order rotates: round r starts at entrant r, so each entrant runs first once in every `count` rounds.
    #expect(ConfirmationRecord.rotation([7, 8, 1], round: 0) == [7, 8, 1])
    #expect(ConfirmationRecord.rotation([7, 8, 1], round: 1) == [8, 1, 7])
    #expect(ConfirmationRecord.rotation([7, 8, 1], round: 2) == [1, 7, 8])
    #expect(ConfirmationRecord.rotation([7, 8, 1], round: 3) == [7, 8, 1])
    #expect(ConfirmationRecord.rotation([], round: 2) == [])
  }

  @Test func aConfirmationHoldsUntilSomethingMeasuredAfterItRanksAboveItsSearchedBest() {
    let k = ConfirmationRecord(
      workloadID: 1, targetID: 1, searchedBest: 5, winner: 2, rounds: 3, roundsRun: 3, entries: [], order: [],
      lastEvaluationID: 10, note: nil, seconds: 1)
    // (candidate, evaluation) in the search's order.
    #expect(TuningDatabase.confirmationHolds(k, ranked: [(5, 5), (2, 2), (11, 11)]))
    #expect(TuningDatabase.confirmationHolds(k, ranked: [(5, 5), (12, 12), (2, 2)]))
    #expect(!TuningDatabase.confirmationHolds(k, ranked: [(12, 12), (5, 5), (2, 2)]))
    var none = k
    none.winner = nil
    #expect(!TuningDatabase.confirmationHolds(none, ranked: [(5, 5)]))
  }

  func softmaxInput() throws -> SearchInput {
    SearchInput(
      specPath: "specs/softmax.kev", specText: try Paths.text("specs/softmax.kev"), kind: .spec,
      shape: ["M": 16, "N": 64])
  }

  @Test func aSearchConfirmsItsBestRecordsItAndExportsTheConfirmedBest() throws {
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("c.db").path)
    var options = smallOptions(budget: 5)
    options.confirm = 2
    options.confirmRounds = 2
    var messages: [String] = []
    let engine = SearchEngine(db: db, input: try softmaxInput(), options: options) { e in
      if case .message(let m) = e { messages.append(m) }
    }
    let summary = try engine.run()
    #expect(summary.stopReason == .budget && summary.stats.evaluated == 5)
    guard let k = summary.confirmation, let stored = try db.confirmation(workload: summary.workloadID, target: summary.targetID)
    else {
      Issue.record("no confirmation recorded: \(messages)")
      return
    }
    #expect(stored == k)
    // The top 2 by fitness and the default schedule (#1), each measured in both rounds, the order rotated.
    #expect(k.rounds == 2 && k.roundsRun == 2 && k.note == nil)
    #expect(k.entries.count == 3 || (k.entries.count == 2 && k.entries.contains { $0.candidate == 1 }))
    #expect(k.entries.contains { $0.candidate == 1 })
    #expect(k.entries.allSatisfy { $0.times.count == 2 && $0.failure == nil }, "\(k.entries)")
    #expect(k.order.count == 2 && k.order[1] == ConfirmationRecord.rotation(k.order[0], round: 1))
    #expect(k.searchedBest == summary.stats.bestCandidate)
    #expect(k.winner != nil && k.winner == ConfirmationRecord.choose(k.entries))
    #expect(messages.contains { $0.hasPrefix("confirming the best: ") })
    // No evaluation rows were added by the confirmation: the search's records stay one per candidate.
    #expect(try db.evaluations(workload: summary.workloadID, target: summary.targetID).count == 5)

    // The confirmed best is what the database, kevc compile, db list/show, the report and the export use.
    let winner = try #require(k.winner)
    #expect(try db.best(workload: summary.workloadID, target: summary.targetID)?.0.id == winner)
    let source = SourceFile(path: "specs/softmax.kev", text: try Paths.text("specs/softmax.kev"))
    let front = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
    let bound = try front.binding(["M": 16, "N": 64], location: .unknown)
    let tuned = try #require(try TunedSchedule.lookup(databasePath: db.path, kernel: front, bound: bound))
    #expect(tuned.candidateID == winner)
    #expect(try db.listing().contains("best candidate #\(winner) ") && db.listing().contains("confirmed: "))
    #expect(try db.describeCandidate(winner)?.contains("the confirmed best") == true)
    let html = try SearchReport.html(
      db: db, workload: try #require(try db.workloads().first), target: try #require(try db.targets().first))
    #expect(html.contains("<h2>Confirmation</h2>") && html.contains("confirmed best"))
    let export = try db.exportJSON()
    #expect(export.contains("\"confirmations\"") && export.contains("\"winner_id\""))
    // An export imported elsewhere keeps the confirmation (ids mapped).
    let copy = try TuningDatabase(path: dir.appendingPathComponent("copy.db").path)
    _ = try copy.importJSON(export)
    let w = try #require(try copy.workloads().first)
    let t = try #require(try copy.targets().first)
    let imported = try #require(try copy.confirmation(workload: w.id, target: t.id))
    #expect(imported.entries.map(\.times) == k.entries.map(\.times))
    #expect(try copy.best(workload: w.id, target: t.id)?.0.irHash == db.candidate(id: winner)?.irHash)
    // Run again with nothing left to evaluate: the confirmation it has stands, none is added.
    let again = try SearchEngine(db: db, input: try softmaxInput(), options: options).run()
    #expect(again.confirmation == nil)
    #expect(try db.confirmations(workload: summary.workloadID, target: summary.targetID).count == 1)
  }

  @Test func aCandidateThatFailsItsConfirmationIsReportedAndNeverTheBest() throws {
    // Every candidate but the default schedule crashes when confirmed; one loses its rounds to the harness (not
    // its fault: it is not failed, only unmeasured). The default is the confirmed best.
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("f.db").path)
    var options = smallOptions(budget: 5)
    options.confirm = 3
    options.confirmRounds = 2
    for id in 2...20 { options.confirmationFaults[id] = id == 2 ? "harness_error" : "crash" }
    var messages: [String] = []
    let engine = SearchEngine(db: db, input: try softmaxInput(), options: options) { e in
      if case .message(let m) = e { messages.append(m) }
    }
    let summary = try engine.run()
    guard let k = summary.confirmation else {
      Issue.record("no confirmation recorded: \(messages)")
      return
    }
    #expect(k.winner == 1, "\(k.entries)")
    let crashed = k.entries.filter { $0.candidate > 2 }
    #expect(crashed.allSatisfy { $0.failure?.hasPrefix("round 1: crash") == true && $0.times.isEmpty })
    // A failed candidate runs no further rounds.
    #expect(k.order.count == 2 && k.order[1].allSatisfy { id in !crashed.contains { $0.candidate == id } })
    if let two = k.entry(2) { #expect(two.failure == nil && two.harnessErrors == 2 && two.median == nil) }
    #expect(Set(k.failed) == Set(crashed.map(\.candidate)))
    #expect(messages.contains { $0.contains("failed in round 1 (crash)") })
    // The failed ones are left out of the database's ranking: kevc compile never takes them.
    let ranked = try db.correct(workload: summary.workloadID, target: summary.targetID, limit: 16).map(\.0.id)
    #expect(ranked.first == 1 && !ranked.contains { k.failed.contains($0) })
  }

  @Test func confirmZeroKeepsTheSearchsOwnBest() throws {
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("z.db").path)
    var options = smallOptions(budget: 3)
    options.confirm = 0
    let summary = try SearchEngine(db: db, input: try softmaxInput(), options: options).run()
    #expect(summary.confirmation == nil)
    #expect(try db.confirmations(workload: summary.workloadID, target: summary.targetID).isEmpty)
    #expect(try db.best(workload: summary.workloadID, target: summary.targetID)?.0.id == summary.stats.bestCandidate)
  }

  @Test func aTimeLimitSkipsRoundsThatDoNotFitAndSaysSo() throws {
    // The search stops at 50% of a short limit at the latest; 50 rounds of three evaluations never fit in what is left.
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("t.db").path)
    var options = smallOptions(budget: 100)
    options.confirm = 2
    options.confirmRounds = 50
    options.timeLimit = 6
    let start = Date()
    let summary = try SearchEngine(db: db, input: try softmaxInput(), options: options).run()
    guard let k = summary.confirmation else { return }  // fewer than two correct candidates in the time: nothing to confirm
    #expect(k.roundsRun < 50 && k.note?.contains("skipped") == true, "\(k)")
    // Within the limit, give or take one evaluation (an evaluation in flight finishes past it).
    #expect(Date().timeIntervalSince(start) < 6 + 10)
  }
}
