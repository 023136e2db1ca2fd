/// The report's LLM agent section (schema 3's `agent_calls`): every call with its status, tokens, latency, cost and
/// rationale, each proposal's fate (a candidate and how it measured, or why it was rejected), and the cost per
/// improvement (agent candidates that improved the search's best when they were evaluated). Empty when the file
/// has no agent calls (or no such table: an older schema read as it is).
import Foundation

public enum AgentReport {
  public struct Call {
    public var id: Int
    public var proposer: String
    public var status: String
    public var error: String?
    public var tokensIn: Int?
    public var tokensOut: Int?
    public var cachedTokens: Int?
    public var latency: Double?
    public var cost: Double?
    public var rationale: String?
    /// Each proposal: trace, fate (candidate, illegal, duplicate, rejected, pending, ignored), reason, candidate id.
    public var proposals: [[String: Any]]
  }

  public static func calls(db: TuningDatabase, workload: Int, target: Int) -> [Call] {
    guard db.hasTable("agent_calls"),
      let rows = try? db.connection.query(
        "SELECT * FROM agent_calls WHERE workload_id = ?1 AND target_id = ?2 ORDER BY id",
        [.int(Int64(workload)), .int(Int64(target))])
    else { return [] }
    return rows.map { r in
      let list = (r["proposals"].text?.data(using: .utf8)).flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [[String: Any]]
      return Call(
        id: r["id"].int ?? 0, proposer: r["proposer"].text ?? "", status: r["status"].text ?? "", error: r["error"].text,
        tokensIn: r["tokens_in"].int, tokensOut: r["tokens_out"].int, cachedTokens: r["cached_tokens"].int,
        latency: r["latency"].double, cost: r["cost_usd"].double, rationale: r["rationale"].text, proposals: list ?? [])
    }
  }

  /// Agent candidates that were faster than every candidate evaluated before them.
  public static func improvements(evaluations: [EvaluationRecord], candidates: [CandidateRecord]) -> [Int] {
    let proposer = Dictionary(candidates.map { ($0.id, $0.proposer) }) { a, _ in a }
    var best = Double.infinity
    var out: [Int] = []
    for e in evaluations.sorted(by: { $0.id < $1.id }) where e.status == .ok {
      guard let t = e.medianTime else { continue }
      if t < best {
        if proposer[e.candidateID]?.hasPrefix("agent") ?? false, best < .infinity { out.append(e.candidateID) }
        best = t
      }
    }
    return out
  }

  public static func section(
    db: TuningDatabase, workload: Int, target: Int, evaluations: [EvaluationRecord], candidates: [CandidateRecord]
  ) -> String {
    let calls = calls(db: db, workload: workload, target: target)
    guard !calls.isEmpty else { return "" }
    let esc = SearchReport.esc
    let evalOf = Dictionary(evaluations.map { ($0.candidateID, $0) }) { a, _ in a }
    let cost = calls.compactMap(\.cost).reduce(0, +)
    let improved = improvements(evaluations: evaluations, candidates: candidates)
    let fates = calls.flatMap(\.proposals).map { $0["fate"] as? String ?? "" }
    var h = "<h2>LLM agent</h2><p>"
    h += "\(calls.count) calls (\(calls.filter { $0.status == "ok" || $0.status.hasPrefix("replayed") }.count) answered), "
    h += "\(calls.compactMap(\.tokensIn).reduce(0, +)) tokens in (\(calls.compactMap(\.cachedTokens).reduce(0, +)) cached), "
    h += "\(calls.compactMap(\.tokensOut).reduce(0, +)) out, cost $\(String(format: "%.4f", cost)); proposals: "
    h += "\(fates.filter { $0 == "candidate" }.count) accepted as candidates, \(fates.filter { $0 == "illegal" || $0 == "rejected" }.count) rejected, "
    h += "\(fates.filter { $0 == "duplicate" }.count) duplicates; \(improved.count) improved the best"
    if !improved.isEmpty { h += String(format: " ($%.4f per improvement)", cost / Double(improved.count)) }
    h += ".</p><table><tr><th>call</th><th>status</th><th>tokens in / out (cached)</th><th>latency</th><th>cost</th><th>rationale / error</th><th>proposals</th></tr>"
    for c in calls {
      var proposals = ""
      for p in c.proposals {
        let trace = (p["trace"] as? String ?? "").split(separator: "\n").joined(separator: "; ")
        let fate = p["fate"] as? String ?? ""
        var line = "<b>\(esc(fate))</b> <code>\(esc(String(trace.prefix(200))))</code>"
        if let id = p["candidate_id"] as? Int {
          line += " #\(id)"
          if let e = evalOf[id] { line += " \(e.status.rawValue)" + (e.speedup.map { String(format: " %.2fx", $0) } ?? "") }
          if improved.contains(id) { line += " (improved the best)" }
        }
        if let r = p["reason"] as? String { line += ": " + esc(String(r.prefix(300))) }
        proposals += "<div class=small>\(line)</div>"
      }
      let tokens = "\(c.tokensIn.map(String.init) ?? "-") / \(c.tokensOut.map(String.init) ?? "-")" + (c.cachedTokens.map { " (\($0))" } ?? "")
      let note = c.error.map { "<span class=small>\(esc(String($0.prefix(300))))</span>" } ?? esc(String((c.rationale ?? "").prefix(400)))
      h += "<tr><td>#\(c.id)</td><td>\(esc(c.status))</td><td class=num>\(tokens)</td>"
      h += "<td class=num>\(c.latency.map { String(format: "%.2f s", $0) } ?? "")</td>"
      h += "<td class=num>\(c.cost.map { String(format: "$%.4f", $0) } ?? "")</td><td>\(note)</td><td>\(proposals)</td></tr>"
    }
    return h + "</table>"
  }
}
