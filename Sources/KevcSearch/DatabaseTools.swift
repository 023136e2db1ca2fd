/// `kevc db`: listing, showing, exporting (JSON) and merging tuning databases. Merging maps the other file's rows
/// onto this one by their natural keys (workload: spec hash + shape; target: key; candidate: workload + target +
/// IR hash), so merging the same file twice adds nothing, and evaluations already present are kept.
import Foundation

extension TuningDatabase {
  static let tables = ["workloads", "targets", "candidates", "evaluations", "proposer_calls"]
  /// Schema 3's agent tables, exported when the file has them.
  static let agentTables = ["agent_calls", "agent_memory", "kb_documents"]

  /// Every table as JSON (rows as objects), with the schema version.
  public func exportJSON() throws -> String {
    var root: [String: Any] = ["schema_version": Self.schemaVersion, "application_id": Self.applicationID]
    for t in Self.tables + (Self.agentTables + ["confirmations"]).filter(hasTable) {
      root[t] = try connection.query("SELECT * FROM \(t) ORDER BY id").map { row in
        row.values.mapValues { v -> Any in
          switch v {
          case .null: return NSNull()
          case .int(let i): return i
          case .double(let d): return d
          case .text(let s): return s
          }
        }
      }
    }
    let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  /// One line per workload and target: evaluation counts and the best record.
  public func listing() throws -> String {
    var lines: [String] = []
    let targets = try self.targets()
    for w in try workloads() {
      lines.append("workload #\(w.id) \(w.specName) [\(w.shape)] \(w.specPath)")
      for t in targets {
        let evals = try evaluations(workload: w.id, target: t.id)
        guard !evals.isEmpty else { continue }
        let ok = evals.filter { $0.status == .ok }.count
        var line = "  target #\(t.id) \(t.key): \(evals.count) evaluated, \(ok) correct"
        let unchecked = evals.filter { $0.status == .slowerUnchecked }.count
        if unchecked > 0 { line += ", \(unchecked) timed but not checked (slower_unchecked)" }
        if let (c, e) = try best(workload: w.id, target: t.id) {
          line += "; best candidate #\(c.id) \(e.timeText)"
          if let s = e.speedup { line += String(format: " (%.2fx over default)", s) }
          if let k = try confirmation(workload: w.id, target: t.id), k.winner == c.id, let m = k.entry(c.id)?.median {
            line += "; confirmed: \(SearchProgress.time(m)) median of \(k.roundsRun) round(s) side by side"
            if let s = k.searchedBest, s != c.id { line += " (the search's best was #\(s))" }
          }
        }
        lines.append(line)
      }
    }
    return lines.isEmpty ? "(empty tuning database)\n" : lines.joined(separator: "\n") + "\n"
  }

  /// A candidate in full: lineage edge, trace, evaluation, IR.
  public func describeCandidate(_ id: Int) throws -> String? {
    guard let c = try candidate(id: id) else { return nil }
    var out = "candidate #\(c.id) (workload #\(c.workloadID), target #\(c.targetID), island \(c.island))\n"
    out += "IR hash: \(c.irHash)\n"
    out += "proposer: \(c.proposer)" + (c.parentID.map { ", parent #\($0)" } ?? " (root)") + "\n"
    if let t = c.transform { out += "edit: \(t)\n" }
    out += "trace:\n" + (SearchReport.traceText(c.traceJSON).map { $0.isEmpty ? "  (empty)\n" : $0 } ?? c.traceJSON + "\n")
    if let e = try evaluation(candidate: id) {
      out += "evaluation: \(e.status.rawValue)"
      if e.status == .slowerUnchecked {
        out += " (timed, NOT checked: clearly slower than the best when it ran; never a result)"
        if let t = e.times { out += ", times \(t)" }
      }
      if e.medianTime != nil { out += ", median \(e.timeText)" }
      if let s = e.speedup { out += String(format: ", %.2fx over default", s) }
      if e.pairedBaseline, let b = e.baselineTime {
        out += " (baseline timed beside it: \(SearchProgress.time(b))"
          + (e.pairedBaselineIQR.map { " ± " + SearchProgress.time($0) } ?? "") + ")"
      }
      if let flag = e.flag { out += ", FLAGGED: \(flag)" }
      if let f = e.rooflineFraction { out += String(format: ", %.1f%% of roofline", f * 100) }
      out += "\n"
      if let err = e.error { out += "error: \(err)\n" }
      if let shapes = e.checkedShapes { out += "checked at: \(shapes)\n" }
      if let d = e.device { out += "device: \(d.text)\n" }
      if let k = try confirmation(workload: c.workloadID, target: c.targetID), let entry = k.entry(id) {
        out += "confirmation #\(k.id): " + (entry.median.map { "median \(SearchProgress.time($0))" } ?? "no median")
        out += " over \(entry.times.count) of \(k.rounds) round(s) side by side ["
          + entry.times.map(SearchProgress.time).joined(separator: ", ") + "]"
        if let f = entry.failure { out += ", FAILED: \(f)" }
        if entry.harnessErrors > 0 { out += ", \(entry.harnessErrors) round(s) lost to harness errors" }
        out += k.winner == id ? ", the confirmed best" : (k.searchedBest == id ? ", the search's best, not confirmed" : "")
        out += "\n"
      }
    } else {
      out += "evaluation: none yet\n"
    }
    out += "scheduled IR:\n" + c.irText
    return out
  }

  /// Copies every row of `other` that this database lacks. Returns (candidates, evaluations) added.
  public func merge(_ other: TuningDatabase) throws -> (candidates: Int, evaluations: Int) {
    try connection.transaction {
      var workloadMap: [Int: Int] = [:]
      for r in try other.connection.query("SELECT * FROM workloads") {
        let w = try workload(
          specHash: r["spec_hash"].text ?? "", specName: r["spec_name"].text ?? "", specPath: r["spec_path"].text ?? "",
          specText: r["spec_text"].text ?? "", shape: r["shape"].text ?? "", dtypes: r["dtypes"].text ?? "{}")
        workloadMap[r["id"].int ?? 0] = w.id
      }
      var targetMap: [Int: Int] = [:]
      for r in try other.connection.query("SELECT * FROM targets") {
        try connection.query(
          """
          INSERT OR IGNORE INTO targets (key, kind, device, arch, features, toolchain, cores, bandwidth, peak_flops,
            measured_at, memory_levels) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
          """,
          [r["key"], r["kind"], r["device"], r["arch"], r["features"], r["toolchain"], r["cores"], r["bandwidth"],
           r["peak_flops"], r["measured_at"], r["memory_levels"]])
        if let t = try findTarget(key: r["key"].text ?? "") { targetMap[r["id"].int ?? 0] = t.id }
      }
      var candidateMap: [Int: Int] = [:]
      var added = (0, 0)
      let rows = try other.connection.query("SELECT * FROM candidates ORDER BY id")
      for r in rows {
        guard let w = workloadMap[r["workload_id"].int ?? -1], let t = targetMap[r["target_id"].int ?? -1] else { continue }
        let hash = r["ir_hash"].text ?? ""
        if let existing = try findCandidate(workload: w, target: t, irHash: hash) {
          candidateMap[r["id"].int ?? 0] = existing.id
          continue
        }
        let id = try insertCandidate(
          workload: w, target: t, irHash: hash, traceJSON: r["trace"].text ?? "{\"steps\":[]}",
          irText: r["ir_text"].text ?? "", parent: r["parent_id"].int.flatMap { candidateMap[$0] },
          secondParent: r["second_parent_id"].int.flatMap { candidateMap[$0] }, proposer: r["proposer"].text ?? "merged",
          transform: r["transform"].text, island: r["island"].int ?? 0)
        candidateMap[r["id"].int ?? 0] = id
        added.0 += 1
      }
      for r in try other.connection.query("SELECT * FROM evaluations ORDER BY id") {
        guard let c = candidateMap[r["candidate_id"].int ?? -1], try evaluation(candidate: c) == nil else { continue }
        let e = TuningDatabase.evaluation(r)
        var copy = e
        copy.candidateID = c
        try insertEvaluation(copy)
        added.1 += 1
      }
      for r in try other.connection.query("SELECT * FROM proposer_calls ORDER BY id") {
        guard let w = workloadMap[r["workload_id"].int ?? -1], let t = targetMap[r["target_id"].int ?? -1] else { continue }
        try insertProposerCall(
          workload: w, target: t,
          ProposerCallRecord(
            proposer: r["proposer"].text ?? "", parentID: r["parent_id"].int.flatMap { candidateMap[$0] },
            proposed: r["proposed"].int ?? 0, illegal: r["illegal"].int ?? 0, duplicate: r["duplicate"].int ?? 0,
            new: r["new"].int ?? 0, reasons: r["reasons"].text ?? "[]"))
      }
      for r in hasTable("confirmations") && other.hasTable("confirmations")
        ? try other.connection.query("SELECT * FROM confirmations ORDER BY id") : []
      {
        guard let w = workloadMap[r["workload_id"].int ?? -1], let t = targetMap[r["target_id"].int ?? -1] else { continue }
        var k = TuningDatabase.confirmation(r)
        let known = try confirmations(workload: w, target: t).contains { $0.createdAt == k.createdAt }
        guard !known else { continue }
        k.workloadID = w
        k.targetID = t
        k.searchedBest = k.searchedBest.flatMap { candidateMap[$0] }
        k.winner = k.winner.flatMap { candidateMap[$0] }
        k.entries = k.entries.compactMap { e in
          candidateMap[e.candidate].map { var copy = e; copy.candidate = $0; return copy }
        }
        k.order = k.order.map { $0.compactMap { candidateMap[$0] } }
        // Ids of the other file's evaluations mean nothing here: the confirmation holds for what is here now.
        k.lastEvaluationID = try lastEvaluationID()
        try insertConfirmation(k, createdAt: k.createdAt)
      }
      return added
    }
  }
}
