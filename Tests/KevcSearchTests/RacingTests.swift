import Foundation
import KevcBasic
import KevcDriver
import KevcIR
@testable import KevcSearch
import KevcTransforms
import Testing

/// Racing (docs/search.md, "Racing"): a candidate clearly slower than the best is recorded `slower_unchecked`
/// (timed, not checked). Nothing that reads the database as results may ever take such a record for a correct one:
/// the best, `kevc compile`'s pick-up, `kevc db show`/list, the report, the agent's memory; and the schema that
/// stores the status migrates older databases without losing a record. (The worker's side, python/kevc_gpu/worker.py
/// Worker.race, is tested in python/tests/test_racing.py.)
@Suite(.serialized) struct RacingTests {
  @Test func theHarnessStatusIsNeverOk() {
    let r = WorkerEvaluation.tritonResult(
      #"{"status": "slower_unchecked", "reason": "timed, not checked: median 0.004 s > 2 x the incumbent's 0.001 s","#
        + #""timing": {"median_s": 0.004, "stopped": "slower"}, "cases": [{"race": {"timed": true}}]}"#, labels: ["a"])
    #expect(r.status == .slowerUnchecked && r.medianTime == 0.004 && r.timingStopped == "slower")
    #expect(r.error?.hasPrefix("slower_unchecked: timed, not checked") == true)
    #expect(EvaluationStatus(rawValue: "slower_unchecked") == .slowerUnchecked)
  }

  @Test func onlyLaterGPUCandidatesRaceAndTheOptionChecksEveryOne() throws {
    var options = smallOptions(budget: 1)
    options.target = "triton"
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("r.db").path)
    let engine = SearchEngine(db: db, input: try matmulInput(16), options: options)
    func candidate(_ id: Int, _ proposer: String) {
      engine.candidates[id] = CandidateRecord(
        id: id, workloadID: 1, targetID: 1, irHash: "\(id)", traceJSON: "[]", irText: "", parentID: nil,
        secondParentID: nil, proposer: proposer, transform: nil, island: 0)
    }
    candidate(1, "default")
    candidate(2, "seed:softmax")
    candidate(3, "mutate")
    engine.defaultCandidate = 1
    #expect(!engine.racing(1, incumbent: 1e-3))  // the first evaluation is always checked in full
    #expect(!engine.racing(2, incumbent: 1e-3))  // so are the seed traces
    #expect(!engine.racing(3, incumbent: nil))  // nothing to race against yet
    #expect(engine.racing(3, incumbent: 1e-3))
    engine.options.checkEveryCandidate = true
    #expect(!engine.racing(3, incumbent: 1e-3))
    engine.options.checkEveryCandidate = false
    engine.options.target = "llvm"  // the CPU worker checks every candidate
    #expect(!engine.racing(3, incumbent: 1e-3))
  }

  /// A Triton search on the CPU (Triton's interpreter, SearchTests.interpreterGPU): candidate #2 made slow and wrong
  /// (`WorkerRequest.fault` "slow_wrong": 0.5 s a call, results + 1) races and is recorded slower_unchecked, never
  /// ok, never the best; with --check-every-candidate the same candidate is checked and found wrong. The default
  /// (#1) is always checked in full.
  @Test func aSearchRecordsASlowCandidateUncheckedAndTheOptionChecksIt() throws {
    guard let gpu = try TritonSearchTests.interpreterGPU() else { return }  // no torch or Triton here
    let (dir, interpreter) = gpu
    var env = interpreter
    env["KEVC_SEARCH_FAULTS"] = "2:slow_wrong"
    for every in [false, true] {
      let db = dir.appendingPathComponent(every ? "every.db" : "race.db").path
      let (status, log) = try TritonSearchTests.kevc(
        [
          "search", Paths.inRepository("specs/softmax.kev").path, "--target", "triton", "--shape", "M=5,N=16",
          "--budget", "2", "--jobs", "1", "--trials", "1", "--confirm", "0", "--db", db,
        ] + (every ? ["--check-every-candidate"] : []), env: env)
      #expect(status == 0, "\(log)")
      let database = try TuningDatabase(path: db)
      let target = try #require(try database.targets().first)
      let evals = try database.evaluations(workload: 1, target: target.id)
      let one = try #require(evals.first { $0.candidateID == 1 }, "\(log)")
      let two = try #require(evals.first { $0.candidateID == 2 }, "\(log)")
      #expect(one.status == .ok && one.checks == "every", "\(log)")
      if every {
        #expect(two.status == .wrong && two.checks == "every", "\(log)")
      } else {
        #expect(two.status == .slowerUnchecked && two.checks == "race", "\(log)")
        #expect(two.error?.contains("timed, not checked") == true && two.medianTime == nil && two.times != nil)
        #expect(two.error?.contains("not run: the timed case was clearly slower") == true, "\(two.error ?? "")")
      }
      #expect(try database.best(workload: 1, target: target.id)?.0.id == 1)
    }
  }

  @Test func uncheckedRecordsAreNeverResults() throws {
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("u.db").path)
    let summary = try SearchEngine(db: db, input: try matmulInput(32), options: smallOptions(budget: 4)).run()
    let (w, t) = (summary.workloadID, summary.targetID)
    let evals = try db.evaluations(workload: w, target: t)
    #expect(evals.allSatisfy { $0.checks == "every" }, "\(evals.map(\.checks))")
    let (best, bestEval) = try #require(try db.best(workload: w, target: t))
    // Every other record made unchecked, with a time and a speedup better than the best's (the worst case: the
    // engine stores none for them): still never the best, never picked up, never counted as correct.
    let others = evals.filter { $0.candidateID != best.id }
    #expect(!others.isEmpty)
    for var e in others {
      e.status = .slowerUnchecked
      e.error = "slower_unchecked: timed, not checked"
      e.medianTime = (bestEval.medianTime ?? 1) / 10
      e.speedup = 100
      e.checks = "race"
      try db.insertEvaluation(e)
    }
    #expect(try db.best(workload: w, target: t)?.0.id == best.id)
    let source = SourceFile(path: "specs/matmul.kev", text: try Paths.text("specs/matmul.kev"))
    let front = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
    let bound = try front.binding(["M": 32, "N": 32, "K": 32], location: .unknown)
    #expect(try TunedSchedule.lookup(databasePath: db.path, kernel: front, bound: bound)?.candidateID == best.id)
    let listing = try db.listing()
    #expect(listing.contains("1 correct, \(others.count) timed but not checked (slower_unchecked)"), "\(listing)")
    #expect(listing.contains("best candidate #\(best.id) "), "\(listing)")
    let shown = try #require(try db.describeCandidate(others[0].candidateID))
    #expect(shown.contains("evaluation: slower_unchecked (timed, NOT checked"), "\(shown)")
    let html = try SearchReport.html(
      db: db, workload: try #require(try db.workloads().first), target: try #require(try db.targets().first))
    #expect(html.contains("\(others.count) timed but not checked (slower_unchecked"), "\(html.prefix(3000))")
    #expect(html.contains("<b>candidate #\(best.id)</b>"))
    #expect(try db.correct(workload: w, target: t, limit: 16).map(\.0.id) == [best.id])
    // The best invalidated (a flag: a later check failed): nothing unchecked is promoted without its checks.
    var flagged = bestEval
    flagged.workerReport = #"{"flag": "invalidated"}"#
    try db.insertEvaluation(flagged)
    #expect(try db.best(workload: w, target: t) == nil)
    #expect(try TunedSchedule.lookup(databasePath: db.path, kernel: front, bound: bound) == nil)
    // A resumed search's engine state: no fitness, no best from unchecked records.
    let engine = SearchEngine(db: db, input: try matmulInput(32), options: smallOptions(budget: 0))
    for e in try db.evaluations(workload: w, target: t) { engine.record(e, fresh: false) }
    #expect(engine.stats.bestCandidate == nil && engine.stats.correct == 0 && engine.fitness.isEmpty)
  }

  @Test func committedDatabasesMigrateKeepingEveryRecord() throws {
    let dir = try Paths.temporaryDirectory()
    for (i, relative) in ["bench/search/gpu-h100-noseeds/search.db", "bench/gpu/session-h100-2026-12-07e/search/cute/search.db"]
      .enumerated()
    {
      let source = Paths.inRepository(relative)
      guard FileManager.default.fileExists(atPath: source.path) else { continue }
      let copy = dir.appendingPathComponent("copy\(i).db")
      try FileManager.default.copyItem(at: source, to: copy)
      let before: [EvaluationRecord]
      let version: Int
      do {
        let old = try TuningDatabase(path: copy.path, create: false, upgrade: false)
        version = try old.connection.scalar("PRAGMA user_version") ?? 0
        before = try old.connection.query("SELECT * FROM evaluations ORDER BY id").map(TuningDatabase.evaluation)
      }
      #expect(version < TuningDatabase.schemaVersion && !before.isEmpty)
      let db = try TuningDatabase(path: copy.path, create: false)
      #expect(try db.connection.scalar("PRAGMA user_version") == TuningDatabase.schemaVersion)
      let after = try db.connection.query("SELECT * FROM evaluations ORDER BY id").map(TuningDatabase.evaluation)
      #expect(after == before, "\(relative)")
      #expect(after.allSatisfy { $0.checks == nil })
      // The migrated table takes the new status and the mode.
      var e = after[0]
      e.status = .slowerUnchecked
      e.checks = "race"
      try db.insertEvaluation(e)
      #expect(try db.evaluation(candidate: e.candidateID)?.status == .slowerUnchecked)
      #expect(try db.evaluation(candidate: e.candidateID)?.checks == "race")
    }
  }
}
