import Foundation
import KevcBasic
import KevcIR
@testable import KevcSearch
import KevcTransforms
import Testing

@Suite struct DatabaseTests {
  @Test func createsAndReopensWithSchemaVersionAndApplicationID() throws {
    let dir = try Paths.temporaryDirectory()
    let path = dir.appendingPathComponent("t.db").path
    do {
      let db = try TuningDatabase(path: path)
      #expect(try db.connection.scalar("PRAGMA application_id") == TuningDatabase.applicationID)
      #expect(try db.connection.scalar("PRAGMA user_version") == TuningDatabase.schemaVersion)
      #expect(try db.connection.query("PRAGMA journal_mode").first?.values.values.first?.text == "wal")
      let w = try db.workload(specHash: "h", specName: "k", specPath: "k.kev", specText: "", shape: "N=1", dtypes: "{}")
      let w2 = try db.workload(specHash: "h", specName: "k", specPath: "k.kev", specText: "", shape: "N=1", dtypes: "{}")
      #expect(w.id == w2.id)
    }
    let again = try TuningDatabase(path: path, create: false)
    #expect(try again.workloads().count == 1)
  }

  @Test func foreignFilesAreReportedNotTrusted() throws {
    let dir = try Paths.temporaryDirectory()
    // Not SQLite at all.
    let text = dir.appendingPathComponent("notes.db")
    try Data(String(repeating: "hello, this is not a database\n", count: 200).utf8).write(to: text)
    #expect(throws: TuningDatabaseError.self) { try TuningDatabase(path: text.path) }
    do {
      _ = try TuningDatabase(path: text.path)
    } catch {
      #expect(error.message.hasPrefix("notes.db is not a kevc tuning database"))
    }
    // SQLite, but someone else's.
    let other = dir.appendingPathComponent("other.db")
    do {
      let c = try SQLiteConnection(path: other.path)
      try c.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1); PRAGMA application_id = 42;")
    }
    do {
      _ = try TuningDatabase(path: other.path)
      Issue.record("a foreign database opened")
    } catch {
      #expect(error.message == "other.db is not a kevc tuning database")
    }
    // A newer schema.
    let newer = dir.appendingPathComponent("newer.db")
    do {
      _ = try TuningDatabase(path: newer.path)
      let c = try SQLiteConnection(path: newer.path)
      try c.exec("PRAGMA user_version = 99")
    }
    do {
      _ = try TuningDatabase(path: newer.path)
      Issue.record("a newer schema opened")
    } catch {
      #expect(error.message.contains("schema 99"))
    }
  }

  @Test func schemaOneIsUpgradedInPlaceKeepingItsRecords() throws {
    let dir = try Paths.temporaryDirectory()
    let path = dir.appendingPathComponent("v1.db").path
    // A schema-1 file as kevc wrote it before evaluations had a worker_report column, with one evaluation.
    do {
      let db = try TuningDatabase(path: path)
      let w = try db.workload(specHash: "h", specName: "k", specPath: "k.kev", specText: "", shape: "N=1", dtypes: "{}")
      let t = try db.target(HostTarget.current())
      let c = try db.insertCandidate(
        workload: w.id, target: t.id, irHash: "abc", traceJSON: "[]", irText: "", parent: nil, secondParent: nil,
        proposer: "default", transform: nil, island: 0)
      try db.insertEvaluation(
        EvaluationRecord(
          id: 0, candidateID: c, status: .ok, error: nil, maxAbsError: 0, maxRelError: 0, medianTime: 0.5, times: nil,
          baselineTime: nil, speedup: nil, rooflineFraction: nil, checkedShapes: nil, seed: 1, workerSeconds: 2,
          startedAt: 1, finishedAt: 3))
      // Measured by a kevc before schema 5: a peak and a bandwidth without cache levels.
      try db.connection.exec("UPDATE targets SET bandwidth = 2e10, peak_flops = 7e10")
      try db.connection.exec(
        "ALTER TABLE evaluations DROP COLUMN checks; ALTER TABLE evaluations DROP COLUMN worker_report; ALTER TABLE targets DROP COLUMN memory_levels; PRAGMA user_version = 1")
    }
    // A reader (kevc compile, report, db list, a merge's source) leaves the file as it is and reads what it has.
    do {
      let reader = try TuningDatabase(path: path, create: false, upgrade: false)
      #expect(try reader.connection.scalar("PRAGMA user_version") == 1)
      #expect(try reader.evaluation(candidate: 1)?.medianTime == 0.5)
      let copy = try TuningDatabase(path: dir.appendingPathComponent("copy.db").path)
      #expect(try copy.merge(reader).evaluations == 1)
      #expect(try reader.connection.scalar("PRAGMA user_version") == 1)
    }
    let db = try TuningDatabase(path: path, create: false)
    #expect(try db.connection.scalar("PRAGMA user_version") == TuningDatabase.schemaVersion)
    // Schema 5: the old measurement is kept but not used (no cache levels: the search measures again), and a new
    // one keeps its levels.
    let target = try #require(try db.targets().first)
    #expect(target.bandwidth == 2e10 && target.memoryLevels == nil && target.peaks == nil)
    let measured = MachinePeaks(bandwidth: 3e10, peakFlops: 2e11, levels: [MemoryLevel(bytes: 65536, bandwidth: 4e11)])
    try db.setMachinePeaks(target: target.id, measured)
    #expect(try db.targets().first?.peaks == measured)
    let e = try #require(try db.evaluation(candidate: 1))
    #expect(e.medianTime == 0.5 && e.workerReport == nil)
    // Schema 4: the rebuilt evaluations table kept the row and takes harness_error.
    var infra = e
    infra.status = .harnessError
    try db.insertEvaluation(infra)
    #expect(try db.evaluation(candidate: 1)?.status == .harnessError)
    try db.insertEvaluation(e)
    var next = e
    next.workerReport = #"{"phase_seconds":{"start":1.5}}"#
    try db.insertEvaluation(next)
    #expect(try db.evaluation(candidate: 1)?.workerReport == next.workerReport)
  }

  @Test func corruptFilesGiveAClearErrorNeverACrash() throws {
    let dir = try Paths.temporaryDirectory()
    let path = dir.appendingPathComponent("c.db").path
    do {
      let db = try TuningDatabase(path: path)
      for i in 0..<200 {
        _ = try db.workload(
          specHash: "h\(i)", specName: "k", specPath: "k.kev", specText: String(repeating: "x", count: 500),
          shape: "N=\(i)", dtypes: "{}")
      }
      try db.connection.exec("PRAGMA wal_checkpoint(TRUNCATE)")
    }
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    // Keep the header (so it still looks like kevc's), scribble over the b-tree pages.
    for i in stride(from: 4096, to: bytes.count, by: 7) { bytes[i] = UInt8(truncatingIfNeeded: i &* 31) }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    do {
      _ = try TuningDatabase(path: path)
      Issue.record("a corrupt database opened")
    } catch {
      #expect(error.message.contains("malformed") || error.message.contains("not a kevc tuning database"))
    }
  }

  @Test func traceEditsDescribeTheDifference() {
    let a = KevcTransformsFixtures.trace("split(c, n, 8)\nvectorize(c, n.i, 8)\n")
    let b = KevcTransformsFixtures.trace("split(c, n, 16)\nvectorize(c, n.i, 8)\n")
    #expect(traceEdit(from: a, to: b) == "split(c, n, 8) -> split(c, n, 16)")
    let c = KevcTransformsFixtures.trace("split(c, n, 8)\nvectorize(c, n.i, 8)\nparallel(c, m)\n")
    #expect(traceEdit(from: a, to: c) == "+ parallel(c, m)")
    #expect(StructuralHash.of("abc") != StructuralHash.of("abd"))
    #expect(StructuralHash.of("abc").count == 32)
  }
}

enum KevcTransformsFixtures {
  static func trace(_ text: String) -> Trace {
    (try? TraceText.parse(SourceFile(path: "t", text: text))) ?? Trace([])
  }
}
