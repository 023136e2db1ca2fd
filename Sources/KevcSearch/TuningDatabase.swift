/// The tuning database: everything a search measured, in SQLite (WAL, synchronous=FULL), so that a search killed at
/// any moment resumes where it stopped and `kevc compile` can apply the best record for its spec, shape and target.
/// The schema is documented in docs/search.md; `application_id` marks the file as kevc's and `user_version` is the
/// schema version, so a foreign or damaged file is reported, never trusted.
import CSQLite
import Foundation
import KevcIR

/// Why a database cannot be used, in words a user can act on.
public struct TuningDatabaseError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// Rows of the tables, as the rest of the search sees them.
public struct WorkloadRecord: Sendable, Hashable {
  public var id: Int
  public var specHash: String
  public var specName: String
  public var specPath: String
  public var shape: String
  public var dtypes: String
}

public struct TargetRecord: Sendable, Hashable {
  public var id: Int
  public var key: String
  public var kind: String
  public var device: String
  public var arch: String
  public var toolchain: String
  public var cores: Int
  /// Bytes per second and flops per second measured on the machine (nil until measured).
  public var bandwidth: Double?
  public var peakFlops: Double?
  /// The cache levels measured with them (`memory_levels`, JSON; nil until measured, or measured by a kevc
  /// before schema 5, whose single-chain peak and DRAM-only floor the search measures again).
  public var memoryLevels: [MemoryLevel]?

  /// The roofline's machine numbers, when this kevc measured them (the search measures again otherwise).
  public var peaks: MachinePeaks? { memoryLevels == nil ? nil : measured }

  /// Whatever was measured, an older kevc's numbers (no cache levels) included: what the cost model's replay and
  /// the agent's memory-bound test read, where only ratios matter.
  public var measured: MachinePeaks? {
    guard let bandwidth, let peakFlops else { return nil }
    return MachinePeaks(bandwidth: bandwidth, peakFlops: peakFlops, levels: memoryLevels ?? [])
  }
}

public struct CandidateRecord: Sendable, Hashable {
  public var id: Int
  public var workloadID: Int
  public var targetID: Int
  public var irHash: String
  public var traceJSON: String
  public var irText: String
  public var parentID: Int?
  public var secondParentID: Int?
  public var proposer: String
  public var transform: String?
  public var island: Int
}

public struct EvaluationRecord: Sendable, Hashable {
  public var id: Int
  public var candidateID: Int
  public var status: EvaluationStatus
  public var error: String?
  public var maxAbsError: Double?
  public var maxRelError: Double?
  public var medianTime: Double?
  public var times: String?
  public var baselineTime: Double?
  public var speedup: Double?
  public var rooflineFraction: Double?
  public var checkedShapes: String?
  public var seed: Int
  public var workerSeconds: Double?
  public var startedAt: Double
  public var finishedAt: Double
  /// JSON object: what the worker said about its own run (`phase_seconds`: where its time went; `retried_alone`:
  /// why its checks ran again with the device to itself); nil when it said nothing (CPU workers).
  public var workerReport: String? = nil
  /// The checking mode the evaluation ran in (schema 7): "race" (timed first; a candidate clearly slower than the
  /// incumbent is `slower_unchecked`, any other checked in full) or "every" (every check before the timing:
  /// `kevc search --check-every-candidate`, the default, seeds, the CPU target, confirmations); nil before schema 7.
  public var checks: String? = nil
}

extension EvaluationRecord {
  /// Phases of a GPU worker that do not use the device: Python and torch start-up, loading modules, Triton's compile
  /// ahead of the lock (`compile ahead`: no launch), waiting for the device lock (`waiting for the device: shared` or
  /// `: exclusive`), and the worker's end.
  static let offDevicePhases: Set<String> = ["start", "load-reference", "load-kernel", "compile ahead", "done"]
  static func isOffDevice(_ phase: String) -> Bool {
    offDevicePhases.contains(phase) || phase.hasPrefix("waiting for the device")
  }

  /// Seconds of the device this evaluation used: for a GPU worker, its phases that ran on the GPU (trials and
  /// their reference, timing, revalidation, roofline); for a CPU worker, its whole time (the CPU is the device).
  /// A candidate rejected before any worker used none.
  public var deviceSeconds: Double {
    let phases = phaseSeconds
    guard !phases.isEmpty else { return workerSeconds ?? 0 }
    return phases.reduce(0) { sum, phase in Self.isOffDevice(phase.key) ? sum : sum + phase.value }
  }

  /// The worker report's seconds by phase; empty when it has none.
  public var phaseSeconds: [String: Double] {
    (workerReportObject["phase_seconds"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
  }

  /// The spread of the time: the interquartile range of its samples (seconds), when the worker gave it.
  public var timeIQR: Double? { (workerReportObject["time_iqr"] as? NSNumber)?.doubleValue }

  /// The baseline's IQR when it was timed beside this candidate (paired); `baselineTime` is then its median.
  public var pairedBaselineIQR: Double? { (workerReportObject["paired_baseline_iqr"] as? NSNumber)?.doubleValue }
  public var pairedBaseline: Bool { workerReportObject["paired_baseline"] != nil }

  /// Why a correct result is not trusted as a time (above 100% of the roofline floor), or nil. A flagged result is
  /// never a speedup and never the best.
  public var flag: String? { workerReportObject["flag"] as? String }

  /// "1.23 ms ± 0.04 ms" (median and IQR), or "-".
  public var timeText: String {
    guard let t = medianTime else { return "-" }
    return SearchProgress.time(t) + (timeIQR.map { " ± " + SearchProgress.time($0) } ?? "")
  }

  /// The device the evaluation ran on (its worker_report's `device`: index, name, UUID), or nil when not reported.
  public var device: EvaluationDevice? {
    guard let d = workerReportObject["device"] as? [String: Any], let index = (d["index"] as? NSNumber)?.intValue
    else { return nil }
    return EvaluationDevice(index: index, name: d["name"] as? String, uuid: d["uuid"] as? String)
  }

  /// Whether the worker reran its checks alone after running out of device memory.
  public var retriedAlone: Bool { workerReportObject["retried_alone"] != nil }

  private var workerReportObject: [String: Any] {
    guard let text = workerReport else { return [:] }
    return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
  }
}

public struct ProposerCallRecord: Sendable, Hashable {
  public var proposer: String
  public var parentID: Int?
  public var proposed: Int
  public var illegal: Int
  public var duplicate: Int
  public var new: Int
  /// JSON list of {"trace": ..., "reason": ...} for the proposals that were rejected.
  public var reasons: String
}

/// How one candidate's evaluation ended.
public enum EvaluationStatus: String, Codable, Sendable, CaseIterable {
  case ok, illegal
  case compileError = "compile_error"
  case wrong, nan, timeout, crash
  /// The evaluation infrastructure failed, not the candidate: the GPU harness's own work (inputs, the float64
  /// reference, checks) ran out of device or host memory also with the device to itself, or the harness could not
  /// evaluate at all (no device, a broken reference). The candidate is not blamed: it stays out of the failures
  /// fed to proposers and is evaluated again, alone, once (`SearchEngine`).
  case harnessError = "harness_error"
  /// Racing (docs/search.md, "Racing"): timed first and clearly slower than the incumbent (median more than the
  /// slower factor, 2x, times it), so its correctness checks were skipped. Timed, NOT checked: never correct, never
  /// the best, never exported, never used by `kevc compile`; not a failure either (not fed to proposers as one).
  case slowerUnchecked = "slower_unchecked"
}

public final class TuningDatabase {
  /// 'kevc' in ASCII: PRAGMA application_id of every kevc tuning database.
  public static let applicationID: Int = 0x6B65_7663
  public static let schemaVersion = 7
  /// The default file when neither `--db` nor `KEVC_DB` names one.
  public static let defaultFileName = "kevc-tuning.db"

  public let connection: SQLiteConnection
  public let path: String

  /// The path to use: the flag, else `$KEVC_DB`, else `kevc-tuning.db` in the current directory.
  public static func resolvePath(_ flag: String?) -> String {
    if let flag, !flag.isEmpty { return flag }
    if let env = ProcessInfo.processInfo.environment["KEVC_DB"], !env.isEmpty { return env }
    return defaultFileName
  }

  /// Opens (creating when `create` and absent) a kevc tuning database; a foreign, newer or damaged file is an error.
  /// An older schema is upgraded in place when `upgrade` (a writer: the search, a merge's destination); readers
  /// (`kevc compile`, `report`, `db list/show/export`, a merge's source) leave the file as it is and read the
  /// columns it has (a missing one reads as nil).
  public init(path: String, create: Bool = true, upgrade: Bool = true) throws(TuningDatabaseError) {
    self.path = path
    let name = (path as NSString).lastPathComponent
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    if isDirectory.boolValue { throw TuningDatabaseError("\(name) is a directory, not a kevc tuning database") }
    if !exists && !create { throw TuningDatabaseError("no tuning database at \(path)") }
    // Readers open the file read-only, so that a database in a read-only folder (or a read-only file) can still
    // be read; one whose WAL files cannot be created there is read as immutable.
    let reader = !create && !upgrade
    do {
      connection = try Self.open(path, reader: reader)
    } catch {
      // A reader's open already reads the header: SQLITE_NOTADB (26) means the file is not an SQLite database.
      if error.code == 26 { throw TuningDatabaseError("\(name) is not a kevc tuning database (\(error.message))") }
      throw TuningDatabaseError("cannot open \(path): \(error.message)")
    }
    do {
      // The three in one read transaction: read one at a time, they could straddle another process's creation of
      // the schema (application id 0, then tables present) and call a database being created foreign.
      try connection.execWaiting("BEGIN")
      let identity: (appID: Int, version: Int, tables: Int)
      do {
        identity = (
          try connection.scalar("PRAGMA application_id") ?? 0, try connection.scalar("PRAGMA user_version") ?? 0,
          try connection.scalar("SELECT count(*) FROM sqlite_master") ?? 0
        )
      } catch {
        try? connection.exec("ROLLBACK")
        throw error
      }
      try connection.exec("COMMIT")
      let (appID, version, tables) = identity
      if tables == 0 && appID == 0 && version == 0 && !reader {
        // Two processes may create the same file at once: WAL first (outside any transaction), then the schema
        // in an IMMEDIATE transaction that checks again that nobody created it meanwhile.
        try connection.execWaiting("PRAGMA journal_mode=WAL")
        try connection.exec("PRAGMA synchronous=FULL")
        try createSchema()
      } else if tables == 0 && appID == 0 && version == 0 {
        throw TuningDatabaseError("\(name) is not a kevc tuning database (it is empty)")
      } else {
        guard appID == Self.applicationID else {
          throw TuningDatabaseError("\(name) is not a kevc tuning database")
        }
        guard version <= Self.schemaVersion else {
          throw TuningDatabaseError(
            "\(name) uses tuning database schema \(version); this kevc reads schema \(Self.schemaVersion) (upgrade kevc)")
        }
        guard version >= 1 else { throw TuningDatabaseError("\(name) is not a kevc tuning database (no schema)") }
        let check = try connection.query("PRAGMA quick_check").first?.values.values.first?.text ?? "ok"
        guard check == "ok" else { throw TuningDatabaseError("\(name): database disk image is malformed: \(check)") }
        if !reader {
          try connection.execWaiting("PRAGMA journal_mode=WAL")
          try connection.exec("PRAGMA synchronous=FULL")
          if version < Self.schemaVersion, upgrade { try self.upgrade(from: version) }
        }
      }
      try connection.exec("PRAGMA foreign_keys=ON")
    } catch let error as TuningDatabaseError {
      throw error
    } catch let error as SQLiteError {
      // SQLITE_NOTADB (26): not an SQLite file at all; SQLITE_CORRUPT (11): damaged.
      if error.code == 26 { throw TuningDatabaseError("\(name) is not a kevc tuning database (\(error.message))") }
      if error.code == 11 { throw TuningDatabaseError("\(name): database disk image is malformed: \(error.message)") }
      throw TuningDatabaseError("\(name): \(error.message)")
    } catch {
      throw TuningDatabaseError("\(name): \(error)")
    }
  }

  public static let schema = """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE workloads (
      id INTEGER PRIMARY KEY,
      spec_hash TEXT NOT NULL,
      spec_name TEXT NOT NULL,
      spec_path TEXT NOT NULL,
      spec_text TEXT NOT NULL,
      shape TEXT NOT NULL,
      dtypes TEXT NOT NULL,
      created_at REAL NOT NULL,
      UNIQUE (spec_hash, shape));
    CREATE TABLE targets (
      id INTEGER PRIMARY KEY,
      key TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL,
      device TEXT NOT NULL,
      arch TEXT NOT NULL,
      features TEXT NOT NULL,
      toolchain TEXT NOT NULL,
      cores INTEGER NOT NULL,
      bandwidth REAL,
      peak_flops REAL,
      measured_at REAL,
      memory_levels TEXT);
    CREATE TABLE candidates (
      id INTEGER PRIMARY KEY,
      workload_id INTEGER NOT NULL REFERENCES workloads(id),
      target_id INTEGER NOT NULL REFERENCES targets(id),
      ir_hash TEXT NOT NULL,
      trace TEXT NOT NULL,
      ir_text TEXT NOT NULL,
      parent_id INTEGER REFERENCES candidates(id),
      second_parent_id INTEGER REFERENCES candidates(id),
      proposer TEXT NOT NULL,
      transform TEXT,
      island INTEGER NOT NULL DEFAULT 0,
      created_at REAL NOT NULL,
      UNIQUE (workload_id, target_id, ir_hash));
    \(evaluationsTable)
    CREATE TABLE proposer_calls (
      id INTEGER PRIMARY KEY,
      workload_id INTEGER NOT NULL REFERENCES workloads(id),
      target_id INTEGER NOT NULL REFERENCES targets(id),
      proposer TEXT NOT NULL,
      parent_id INTEGER REFERENCES candidates(id),
      proposed INTEGER NOT NULL,
      illegal INTEGER NOT NULL,
      duplicate INTEGER NOT NULL,
      new INTEGER NOT NULL,
      reasons TEXT NOT NULL,
      created_at REAL NOT NULL);
    CREATE INDEX candidates_by_workload ON candidates (workload_id, target_id);
    CREATE INDEX proposer_calls_by_workload ON proposer_calls (workload_id, target_id);
    """ + agentSchema + confirmationSchema

  /// Schema 6: each search's confirmation of its winner (`Confirmation.swift`): the entrants' times per round as
  /// JSON ({`candidate`, `times`, `failure`, `harness_errors`}), each round's order, and the confirmed best.
  public static let confirmationSchema = """
    CREATE TABLE IF NOT EXISTS confirmations (
      id INTEGER PRIMARY KEY,
      workload_id INTEGER NOT NULL REFERENCES workloads(id),
      target_id INTEGER NOT NULL REFERENCES targets(id),
      searched_best_id INTEGER REFERENCES candidates(id),
      winner_id INTEGER REFERENCES candidates(id),
      rounds INTEGER NOT NULL,
      rounds_run INTEGER NOT NULL,
      entries TEXT NOT NULL,
      round_order TEXT NOT NULL,
      last_evaluation_id INTEGER NOT NULL,
      note TEXT,
      seconds REAL NOT NULL,
      created_at REAL NOT NULL);
    CREATE INDEX IF NOT EXISTS confirmations_by_workload ON confirmations (workload_id, target_id);
    """

  /// The evaluations table (schema 4: `harness_error` is a status; schema 7: `slower_unchecked` is one, and `checks`
  /// says which checking mode ran).
  public static let evaluationsTable = """
    CREATE TABLE evaluations (
      id INTEGER PRIMARY KEY,
      candidate_id INTEGER NOT NULL UNIQUE REFERENCES candidates(id),
      status TEXT NOT NULL CHECK (status IN ('ok', 'illegal', 'compile_error', 'wrong', 'nan', 'timeout', 'crash',
        'harness_error', 'slower_unchecked')),
      error TEXT,
      max_abs_error REAL,
      max_rel_error REAL,
      median_time REAL,
      times TEXT,
      baseline_time REAL,
      speedup REAL,
      roofline_fraction REAL,
      checked_shapes TEXT,
      seed INTEGER NOT NULL,
      worker_seconds REAL,
      started_at REAL NOT NULL,
      finished_at REAL NOT NULL,
      worker_report TEXT,
      checks TEXT);
    """

  /// Schema 3: the LLM agent's calls, its memory of winning edits, and user documents of its knowledge base.
  public static let agentSchema = """
    CREATE TABLE IF NOT EXISTS agent_calls (
      id INTEGER PRIMARY KEY,
      workload_id INTEGER REFERENCES workloads(id),
      target_id INTEGER REFERENCES targets(id),
      proposer TEXT NOT NULL,
      provider TEXT NOT NULL,
      model TEXT NOT NULL,
      url TEXT NOT NULL,
      parent_id INTEGER REFERENCES candidates(id),
      request_hash TEXT,
      prompt_chars INTEGER,
      status TEXT NOT NULL,
      error TEXT,
      http_status INTEGER,
      attempts TEXT,
      tokens_in INTEGER,
      tokens_out INTEGER,
      cached_tokens INTEGER,
      latency REAL,
      cost_usd REAL,
      rationale TEXT,
      proposals TEXT,
      created_at REAL NOT NULL,
      finished_at REAL);
    CREATE INDEX IF NOT EXISTS agent_calls_by_workload ON agent_calls (workload_id, target_id);
    CREATE TABLE IF NOT EXISTS agent_memory (
      id INTEGER PRIMARY KEY,
      signature TEXT NOT NULL,
      spec_hash TEXT NOT NULL,
      spec_name TEXT NOT NULL,
      shape TEXT NOT NULL,
      target_kind TEXT NOT NULL,
      edits TEXT NOT NULL,
      trace TEXT NOT NULL,
      speedup REAL NOT NULL,
      created_at REAL NOT NULL,
      UNIQUE (spec_hash, shape, target_kind, trace));
    CREATE TABLE IF NOT EXISTS kb_documents (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      title TEXT NOT NULL,
      body TEXT NOT NULL,
      added_at REAL NOT NULL);
    """

  /// Brings an older schema up to this one, in one transaction (a failure leaves the file as it was).
  /// 1 -> 2: evaluations.worker_report. 2 -> 3: agent_calls, agent_memory, kb_documents. 3 -> 4: the evaluations
  /// table rebuilt with `harness_error` in its status CHECK. 4 -> 5: targets.memory_levels (the CPU floor's cache
  /// levels; a target measured before it is measured again). 5 -> 6: confirmations. 6 -> 7: the evaluations table
  /// rebuilt again, `slower_unchecked` in its status CHECK and a `checks` column (NULL for the rows before it).
  private func upgrade(from version: Int) throws {
    _ = try connection.transaction {
      if version < 2 { try connection.exec("ALTER TABLE evaluations ADD COLUMN worker_report TEXT") }
      if version < 3 { try connection.exec(Self.agentSchema) }
      if version < 7 {
        // The status CHECK learns 'harness_error' (4) and 'slower_unchecked' (7), and `checks` is added (7): SQLite
        // cannot alter a CHECK, so the table is rebuilt (every row kept, `checks` NULL).
        let columns = "id, candidate_id, status, error, max_abs_error, max_rel_error, median_time, times, baseline_time, "
          + "speedup, roofline_fraction, checked_shapes, seed, worker_seconds, started_at, finished_at, worker_report"
        try connection.exec(
          "ALTER TABLE evaluations RENAME TO evaluations_v6; \(Self.evaluationsTable) "
            + "INSERT INTO evaluations (\(columns)) SELECT \(columns) FROM evaluations_v6; DROP TABLE evaluations_v6;")
      }
      if version < 5, try !connection.query("PRAGMA table_info(targets)").contains(where: { $0["name"].text == "memory_levels" }) {
        try connection.exec("ALTER TABLE targets ADD COLUMN memory_levels TEXT")
      }
      if version < 6 { try connection.exec(Self.confirmationSchema) }
      try connection.exec("PRAGMA user_version = \(Self.schemaVersion)")
    }
  }

  private func createSchema() throws {
    _ = try connection.transaction {
      guard try connection.scalar("SELECT count(*) FROM sqlite_master") == 0 else { return }
      try connection.exec(Self.schema)
      try connection.query("INSERT INTO meta (key, value) VALUES ('created_by', ?1)", [.text("kevc \(kevcVersion)")])
      try connection.exec("PRAGMA application_id = \(Self.applicationID)")
      try connection.exec("PRAGMA user_version = \(Self.schemaVersion)")
    }
  }

  static var now: Double { Date().timeIntervalSince1970 }

  /// A connection to `path`: read-write for writers; read-only for readers, falling back to an immutable read
  /// when SQLite cannot open the WAL files beside a read-only database.
  static func open(_ path: String, reader: Bool) throws(SQLiteError) -> SQLiteConnection {
    guard reader else { return try SQLiteConnection(path: path) }
    let plain = try SQLiteConnection(path: path, readOnly: true)
    do {
      _ = try plain.scalar("PRAGMA user_version")
      return plain
    } catch {
      // Not a database, damaged, ...: the caller's checks report those in their own words.
      guard error.code == SQLITE_CANTOPEN || error.code == SQLITE_READONLY || error.code == SQLITE_BUSY else {
        return plain
      }
      return try SQLiteConnection(path: path, immutable: true)
    }
  }

  // MARK: - Workloads and targets

  /// The workload row for (spec hash, shape), inserted when new.
  public func workload(
    specHash: String, specName: String, specPath: String, specText: String, shape: String, dtypes: String
  ) throws -> WorkloadRecord {
    try connection.query(
      "INSERT OR IGNORE INTO workloads (spec_hash, spec_name, spec_path, spec_text, shape, dtypes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      [.text(specHash), .text(specName), .text(specPath), .text(specText), .text(shape), .text(dtypes), .double(Self.now)])
    guard let w = try findWorkload(specHash: specHash, shape: shape) else {
      throw TuningDatabaseError("cannot record the workload")
    }
    return w
  }

  public func findWorkload(specHash: String, shape: String) throws -> WorkloadRecord? {
    try connection.query("SELECT * FROM workloads WHERE spec_hash = ?1 AND shape = ?2", [.text(specHash), .text(shape)])
      .first.map(Self.workload)
  }

  public func workloads() throws -> [WorkloadRecord] {
    try connection.query("SELECT * FROM workloads ORDER BY id").map(Self.workload)
  }

  static func workload(_ r: SQLRow) -> WorkloadRecord {
    WorkloadRecord(
      id: r["id"].int ?? 0, specHash: r["spec_hash"].text ?? "", specName: r["spec_name"].text ?? "",
      specPath: r["spec_path"].text ?? "", shape: r["shape"].text ?? "", dtypes: r["dtypes"].text ?? "")
  }

  public func target(_ host: HostTarget) throws -> TargetRecord {
    try connection.query(
      "INSERT OR IGNORE INTO targets (key, kind, device, arch, features, toolchain, cores) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      [.text(host.key), .text(host.kind), .text(host.device), .text(host.arch), .text(host.features),
       .text(host.toolchain), .int(Int64(host.cores))])
    guard let t = try findTarget(key: host.key) else { throw TuningDatabaseError("cannot record the target") }
    return t
  }

  public func findTarget(key: String) throws -> TargetRecord? {
    try connection.query("SELECT * FROM targets WHERE key = ?1", [.text(key)]).first.map(Self.target)
  }

  public func targets() throws -> [TargetRecord] {
    try connection.query("SELECT * FROM targets ORDER BY id").map(Self.target)
  }

  static func target(_ r: SQLRow) -> TargetRecord {
    TargetRecord(
      id: r["id"].int ?? 0, key: r["key"].text ?? "", kind: r["kind"].text ?? "", device: r["device"].text ?? "",
      arch: r["arch"].text ?? "", toolchain: r["toolchain"].text ?? "", cores: r["cores"].int ?? 1,
      bandwidth: r["bandwidth"].double, peakFlops: r["peak_flops"].double,
      memoryLevels: r["memory_levels"].text.flatMap { try? JSONDecoder().decode([MemoryLevel].self, from: Data($0.utf8)) })
  }

  public func setMachinePeaks(target: Int, _ peaks: MachinePeaks) throws {
    let levels = (try? JSONEncoder().encode(peaks.levels)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    try connection.query(
      "UPDATE targets SET bandwidth = ?1, peak_flops = ?2, measured_at = ?3, memory_levels = ?4 WHERE id = ?5",
      [.double(peaks.bandwidth), .double(peaks.peakFlops), .double(Self.now), .text(levels), .int(Int64(target))])
  }

  // MARK: - Candidates

  public func findCandidate(workload: Int, target: Int, irHash: String) throws -> CandidateRecord? {
    try connection.query(
      "SELECT * FROM candidates WHERE workload_id = ?1 AND target_id = ?2 AND ir_hash = ?3",
      [.int(Int64(workload)), .int(Int64(target)), .text(irHash)]
    ).first.map(Self.candidate)
  }

  public func candidate(id: Int) throws -> CandidateRecord? {
    try connection.query("SELECT * FROM candidates WHERE id = ?1", [.int(Int64(id))]).first.map(Self.candidate)
  }

  public func candidates(workload: Int, target: Int) throws -> [CandidateRecord] {
    try connection.query(
      "SELECT * FROM candidates WHERE workload_id = ?1 AND target_id = ?2 ORDER BY id",
      [.int(Int64(workload)), .int(Int64(target))]
    ).map(Self.candidate)
  }

  /// Inserts a new candidate and returns its id.
  public func insertCandidate(
    workload: Int, target: Int, irHash: String, traceJSON: String, irText: String, parent: Int?, secondParent: Int?,
    proposer: String, transform: String?, island: Int
  ) throws -> Int {
    try connection.query(
      """
      INSERT INTO candidates (workload_id, target_id, ir_hash, trace, ir_text, parent_id, second_parent_id, proposer,
        transform, island, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
      """,
      [.int(Int64(workload)), .int(Int64(target)), .text(irHash), .text(traceJSON), .text(irText), SQLValue(parent),
       SQLValue(secondParent), .text(proposer), SQLValue(transform), .int(Int64(island)), .double(Self.now)])
    return connection.lastInsertID
  }

  static func candidate(_ r: SQLRow) -> CandidateRecord {
    CandidateRecord(
      id: r["id"].int ?? 0, workloadID: r["workload_id"].int ?? 0, targetID: r["target_id"].int ?? 0,
      irHash: r["ir_hash"].text ?? "", traceJSON: r["trace"].text ?? "{\"steps\":[]}", irText: r["ir_text"].text ?? "",
      parentID: r["parent_id"].int, secondParentID: r["second_parent_id"].int, proposer: r["proposer"].text ?? "",
      transform: r["transform"].text, island: r["island"].int ?? 0)
  }

  // MARK: - Evaluations

  public func insertEvaluation(_ e: EvaluationRecord) throws {
    try connection.query(
      """
      INSERT OR REPLACE INTO evaluations (candidate_id, status, error, max_abs_error, max_rel_error, median_time, times,
        baseline_time, speedup, roofline_fraction, checked_shapes, seed, worker_seconds, started_at, finished_at,
        worker_report, checks)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
      """,
      [.int(Int64(e.candidateID)), .text(e.status.rawValue), SQLValue(e.error), SQLValue(e.maxAbsError),
       SQLValue(e.maxRelError), SQLValue(e.medianTime), SQLValue(e.times), SQLValue(e.baselineTime), SQLValue(e.speedup),
       SQLValue(e.rooflineFraction), SQLValue(e.checkedShapes), .int(Int64(truncatingIfNeeded: e.seed)),
       SQLValue(e.workerSeconds), .double(e.startedAt), .double(e.finishedAt), SQLValue(e.workerReport),
       SQLValue(e.checks)])
  }

  /// Evaluations of a workload on a target, in the order they were recorded.
  public func evaluations(workload: Int, target: Int) throws -> [EvaluationRecord] {
    try connection.query(
      """
      SELECT e.* FROM evaluations e JOIN candidates c ON c.id = e.candidate_id
      WHERE c.workload_id = ?1 AND c.target_id = ?2 ORDER BY e.id
      """, [.int(Int64(workload)), .int(Int64(target))]
    ).map(Self.evaluation)
  }

  public func evaluation(candidate: Int) throws -> EvaluationRecord? {
    try connection.query("SELECT * FROM evaluations WHERE candidate_id = ?1", [.int(Int64(candidate))])
      .first.map(Self.evaluation)
  }

  static func evaluation(_ r: SQLRow) -> EvaluationRecord {
    EvaluationRecord(
      id: r["id"].int ?? 0, candidateID: r["candidate_id"].int ?? 0,
      status: EvaluationStatus(rawValue: r["status"].text ?? "") ?? .crash, error: r["error"].text,
      maxAbsError: r["max_abs_error"].double, maxRelError: r["max_rel_error"].double,
      medianTime: r["median_time"].double, times: r["times"].text, baselineTime: r["baseline_time"].double,
      speedup: r["speedup"].double, rooflineFraction: r["roofline_fraction"].double,
      checkedShapes: r["checked_shapes"].text, seed: r["seed"].int ?? 0, workerSeconds: r["worker_seconds"].double,
      startedAt: r["started_at"].double ?? 0, finishedAt: r["finished_at"].double ?? 0,
      workerReport: r["worker_report"].text, checks: r["checks"].text)
  }

  /// The fastest correct candidate of a workload on a target, with its evaluation.
  public func best(workload: Int, target: Int) throws -> (CandidateRecord, EvaluationRecord)? {
    try correct(workload: workload, target: target, limit: 1).first
  }

  /// Correct, timed, unflagged records, fastest first (ties: the older record), at most `limit`. Fastest by the
  /// speedup over the default schedule, which divides two times measured together where the default was timed
  /// beside the candidate (paired), else the default's own time (the same order as the median then); records
  /// without a speedup (no baseline) come after, by median. When the latest confirmation of the workload and target
  /// (`confirmation`) still holds (`confirmationHolds`), its confirmed best comes first and the entrants that failed
  /// it are left out: what `kevc compile`, `db list`, the report and the agent's memory take as the best.
  public func correct(workload: Int, target: Int, limit: Int) throws -> [(CandidateRecord, EvaluationRecord)] {
    // The whole order as ids (cheap), then the records of the first `limit` only.
    let rows = try connection.query(
      """
      SELECT c.id AS cid, e.id AS eid FROM candidates c JOIN evaluations e ON e.candidate_id = c.id
      WHERE c.workload_id = ?1 AND c.target_id = ?2 AND e.status = 'ok' AND e.median_time IS NOT NULL
        AND (e.worker_report IS NULL OR json_extract(e.worker_report, '$.flag') IS NULL)
      ORDER BY (e.speedup IS NULL) ASC, e.speedup DESC, e.median_time ASC, c.id ASC
      """, [.int(Int64(workload)), .int(Int64(target))])
    let ranked = rows.compactMap { r in r["cid"].int.flatMap { c in r["eid"].int.map { (candidate: c, evaluation: $0) } } }
    var order = ranked.map(\.candidate)
    if let confirmed = try confirmation(workload: workload, target: target),
      Self.confirmationHolds(confirmed, ranked: ranked), let winner = confirmed.winner, order.contains(winner)
    {
      let failed = Set(confirmed.failed)
      order = [winner] + order.filter { $0 != winner && !failed.contains($0) }
    }
    var out: [(CandidateRecord, EvaluationRecord)] = []
    for id in order.prefix(max(0, limit)) {
      guard let c = try candidate(id: id), let e = try evaluation(candidate: id) else { continue }
      out.append((c, e))
    }
    return out
  }

  /// Whether a confirmation still decides the best: it has a winner, and no correct evaluation recorded after it
  /// ranks above the searched best it was made against (`ranked`: candidate and evaluation ids in the search's
  /// order). A resumed search that finds something faster makes it stale until that search confirms again.
  public static func confirmationHolds(_ c: ConfirmationRecord, ranked: [(candidate: Int, evaluation: Int)]) -> Bool {
    guard c.winner != nil else { return false }
    for r in ranked {
      if r.candidate == c.searchedBest { return true }
      if r.evaluation > c.lastEvaluationID { return false }
    }
    return true
  }

  // MARK: - Confirmations

  public func insertConfirmation(_ c: ConfirmationRecord, createdAt: Double? = nil) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let entries = String(decoding: try encoder.encode(c.entries), as: UTF8.self)
    let order = String(decoding: try encoder.encode(c.order), as: UTF8.self)
    try connection.query(
      """
      INSERT INTO confirmations (workload_id, target_id, searched_best_id, winner_id, rounds, rounds_run, entries,
        round_order, last_evaluation_id, note, seconds, created_at)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
      """,
      [.int(Int64(c.workloadID)), .int(Int64(c.targetID)), SQLValue(c.searchedBest), SQLValue(c.winner),
       .int(Int64(c.rounds)), .int(Int64(c.roundsRun)), .text(entries), .text(order), .int(Int64(c.lastEvaluationID)),
       SQLValue(c.note), .double(c.seconds), .double(createdAt ?? Self.now)])
  }

  /// The latest confirmation of a workload on a target; nil when none (or the file predates schema 6).
  public func confirmation(workload: Int, target: Int) throws -> ConfirmationRecord? {
    try confirmations(workload: workload, target: target).last
  }

  /// Every confirmation of a workload on a target, oldest first.
  public func confirmations(workload: Int, target: Int) throws -> [ConfirmationRecord] {
    guard hasTable("confirmations") else { return [] }
    return try connection.query(
      "SELECT * FROM confirmations WHERE workload_id = ?1 AND target_id = ?2 ORDER BY id",
      [.int(Int64(workload)), .int(Int64(target))]
    ).map(Self.confirmation)
  }

  static func confirmation(_ r: SQLRow) -> ConfirmationRecord {
    let entries = (r["entries"].text).flatMap {
      try? JSONDecoder().decode([ConfirmationRecord.Entry].self, from: Data($0.utf8))
    } ?? []
    let order = (r["round_order"].text).flatMap { try? JSONDecoder().decode([[Int]].self, from: Data($0.utf8)) } ?? []
    var c = ConfirmationRecord(
      workloadID: r["workload_id"].int ?? 0, targetID: r["target_id"].int ?? 0, searchedBest: r["searched_best_id"].int,
      winner: r["winner_id"].int, rounds: r["rounds"].int ?? 0, roundsRun: r["rounds_run"].int ?? 0, entries: entries,
      order: order, lastEvaluationID: r["last_evaluation_id"].int ?? 0, note: r["note"].text,
      seconds: r["seconds"].double ?? 0)
    c.id = r["id"].int ?? 0
    c.createdAt = r["created_at"].double ?? 0
    return c
  }

  /// The id of the last evaluation recorded (0: none).
  public func lastEvaluationID() throws -> Int { try connection.scalar("SELECT max(id) FROM evaluations") ?? 0 }

  // MARK: - Proposer calls

  public func insertProposerCall(workload: Int, target: Int, _ call: ProposerCallRecord) throws {
    try connection.query(
      """
      INSERT INTO proposer_calls (workload_id, target_id, proposer, parent_id, proposed, illegal, duplicate, new,
        reasons, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
      """,
      [.int(Int64(workload)), .int(Int64(target)), .text(call.proposer), SQLValue(call.parentID),
       .int(Int64(call.proposed)), .int(Int64(call.illegal)), .int(Int64(call.duplicate)), .int(Int64(call.new)),
       .text(call.reasons), .double(Self.now)])
  }

  public func proposerCalls(workload: Int, target: Int) throws -> [ProposerCallRecord] {
    try connection.query(
      "SELECT * FROM proposer_calls WHERE workload_id = ?1 AND target_id = ?2 ORDER BY id",
      [.int(Int64(workload)), .int(Int64(target))]
    ).map { r in
      ProposerCallRecord(
        proposer: r["proposer"].text ?? "", parentID: r["parent_id"].int, proposed: r["proposed"].int ?? 0,
        illegal: r["illegal"].int ?? 0, duplicate: r["duplicate"].int ?? 0, new: r["new"].int ?? 0,
        reasons: r["reasons"].text ?? "[]")
    }
  }
}

extension TuningDatabase {
  /// Whether the file has this table (an older schema read without upgrading may lack it).
  public func hasTable(_ name: String) -> Bool {
    ((try? connection.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [.text(name)])) ?? 0) ?? 0 > 0
  }
}

/// The version string recorded in databases and targets.
public let kevcVersion = "0.1.0"
