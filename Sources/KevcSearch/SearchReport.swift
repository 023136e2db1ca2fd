/// `kevc report`: one self-contained HTML page (inline CSS and SVG, no external assets) about one workload's search
/// on one target: best-so-far over evaluations, the lineage of the best candidate, the whole search graph, each
/// candidate's trace and IR diff against its parent, failure reasons with counts, and proposer statistics.
import Foundation
import KevcTransforms

public enum SearchReport {
  public static func html(db: TuningDatabase, workload: WorkloadRecord, target: TargetRecord) throws -> String {
    let cands = try db.candidates(workload: workload.id, target: target.id)
    let evals = try db.evaluations(workload: workload.id, target: target.id)
    let calls = try db.proposerCalls(workload: workload.id, target: target.id)
    var byID: [Int: CandidateRecord] = [:]
    for c in cands { byID[c.id] = c }
    var evalOf: [Int: EvaluationRecord] = [:]
    for e in evals { evalOf[e.candidateID] = e }
    let best = try db.best(workload: workload.id, target: target.id)
    let confirmation = try db.confirmation(workload: workload.id, target: target.id)
    let baseline = evals.first { byID[$0.candidateID]?.proposer == "default" && $0.status == .ok }?.medianTime

    var h = """
      <!DOCTYPE html><html><head><meta charset="utf-8"><title>kevc search: \(esc(workload.specName))</title>
      <style>
      body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1340px}
      h1{font-size:22px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
      table{border-collapse:collapse;font-size:12.5px} td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
      th{background:#f4f4f4} .num{text-align:right;font-variant-numeric:tabular-nums}
      .ok{color:#17803d} .bad{color:#b42318} pre{font-size:11.5px;background:#f8f8f8;padding:6px;overflow-x:auto;margin:4px 0}
      .add{background:#e6ffec} .del{background:#ffebe9} .kv td:first-child{font-weight:600}
      details summary{cursor:pointer} .small{font-size:12px;color:#555}
      </style></head><body>
      <h1>kevc search: \(esc(workload.specName)) [\(esc(workload.shape))]</h1>
      <table class="kv">
      <tr><td>spec</td><td>\(esc(workload.specPath)) (structural hash \(esc(String(workload.specHash.prefix(16)))))</td></tr>
      <tr><td>target</td><td>\(esc(target.key)) &mdash; \(esc(target.toolchain)), \(target.cores) cores</td></tr>
      """
    if let bw = target.bandwidth, let pk = target.peakFlops {
      let caches = (target.memoryLevels ?? []).map { "\(Int($0.bytes) >> 10) KiB at \(f1($0.bandwidth / 1e9)) GB/s" }
      let levels = caches.isEmpty ? "" : "; caches " + caches.joined(separator: ", ")
      h += "<tr><td>machine</td><td>\(f1(bw / 1e9)) GB/s, \(f1(pk / 1e9)) GFLOP/s\(levels) (measured once per target)</td></tr>"
    }
    let ok = evals.filter { $0.status == .ok }.count
    let compiled = evals.filter { $0.status != .illegal && $0.status != .compileError }.count
    let harness = evals.filter { $0.status == .harnessError }.count
    let flagged = evals.filter { $0.flag != nil }.count
    h += "<tr><td>evaluations</td><td>\(evals.count) (\(pct(compiled, evals.count)) compiled, \(pct(ok, evals.count)) correct); \(cands.count) candidates"
    if harness > 0 { h += "; \(harness) harness error(s) (the harness's, not the candidates')" }
    let unchecked = evals.filter { $0.status == .slowerUnchecked }.count
    if unchecked > 0 {
      h += "; \(unchecked) timed but not checked (slower_unchecked: clearly slower than the best, never a result)"
    }
    if flagged > 0 { h += "; \(flagged) flagged above 100% of the roofline floor (not counted as speedups)" }
    h += "</td></tr>"
    let devices = Dictionary(grouping: evals.compactMap { e in e.device.map { ($0, e) } }, by: { $0.0.key })
    if !devices.isEmpty {
      // Per device (issue 20: a search over several GPUs): its evaluations and the device seconds they used.
      let cells = devices.sorted { $0.key < $1.key }.map { _, rows in
        "\(esc(rows[0].0.text)): \(rows.count) evaluation(s), \(f1(rows.reduce(0) { $0 + $1.1.deviceSeconds })) s on the device"
      }
      h += "<tr><td>devices</td><td>\(cells.joined(separator: "<br>"))</td></tr>"
    }
    h += "<tr><td>baseline</td><td>default schedule: \(baseline.map(SearchProgress.time) ?? "not measured")</td></tr>"
    if let (c, e) = best {
      h += "<tr><td>best</td><td><b>candidate #\(c.id)</b>: \(esc(e.timeText)) (median &plusmn; IQR)"
      if let s = e.speedup { h += ", <b>\(f2(s))x</b> over the default schedule" }
      if let f = e.rooflineFraction { h += ", \(f1(f * 100))% of the roofline floor" }
      if let k = confirmation, k.winner == c.id {
        h += "; confirmed side by side (below)"
        if let sb = k.searchedBest, sb != c.id { h += ", the search's own best was #\(sb)" }
      }
      h += "</td></tr>"
    }
    h += "</table>"
    if let k = confirmation { h += confirmationTable(k, byID) }

    // Best so far.
    h += "<h2>Best so far</h2>" + progressPlot(evals: evals, baseline: baseline)

    // Lineage.
    if let (b, _) = best {
      var chain: [CandidateRecord] = []
      var cur: CandidateRecord? = b
      var seen: Set<Int> = []
      while let c = cur, !seen.contains(c.id) {
        seen.insert(c.id)
        chain.append(c)
        cur = c.parentID.flatMap { byID[$0] }
      }
      chain.reverse()
      h += "<h2>Lineage of the best candidate</h2>" + lineagePlot(chain, evalOf, baseline)
      h += "<table><tr><th>#</th><th>proposer</th><th>edit from parent</th><th>status</th><th>time</th><th>speedup</th></tr>"
      for c in chain {
        let e = evalOf[c.id]
        h += "<tr><td>\(c.id)</td><td>\(esc(c.proposer))</td><td><code>\(esc(c.transform ?? "(root)"))</code></td>"
        h += "<td>\(statusCell(e))</td><td class=num>\(e.map { esc($0.timeText) } ?? "")</td>"
        h += "<td class=num>\(e?.speedup.map { f2($0) + "x" } ?? "")</td></tr>"
      }
      h += "</table>"
      if let t = traceText(b.traceJSON) { h += "<p class=small>trace of #\(b.id):</p><pre>\(esc(t))</pre>" }
    }

    // The graph.
    h += "<h2>Search graph</h2><p class=small>one node per candidate (distinct IR), by generation; "
    h += "green: correct (darker is faster), red: failed, grey: not evaluated; edges lead from parent to child.</p>"
    h += graphPlot(cands, evalOf, bestID: best?.0.id)

    // Failures.
    h += "<h2>Failure reasons</h2><table><tr><th>count</th><th>kind</th><th>reason</th></tr>"
    var counts: [String: (Int, String, String)] = [:]
    for e in evals where e.status != .ok && e.status != .slowerUnchecked {
      let key = e.status.rawValue + "|" + normalize(e.error ?? "")
      counts[key, default: (0, e.status.rawValue, e.error ?? "")].0 += 1
    }
    for call in calls {
      let list = (try? JSONSerialization.jsonObject(with: Data(call.reasons.utf8))) as? [[String: String]] ?? []
      for r in list {
        let why = r["reason"] ?? ""
        let key = "illegal proposal|" + normalize(why)
        counts[key, default: (0, "illegal proposal (never evaluated)", why)].0 += 1
      }
    }
    for (_, v) in counts.sorted(by: { ($0.value.0, $1.key) > ($1.value.0, $0.key) }).prefix(60) {
      h += "<tr><td class=num>\(v.0)</td><td>\(esc(v.1))</td><td>\(esc(clip(v.2, 300)))</td></tr>"
    }
    h += "</table>"

    // Proposers.
    h += "<h2>Proposers</h2><table><tr><th>proposer</th><th>calls</th><th>proposed</th><th>illegal</th><th>duplicate</th><th>new</th><th>correct</th><th>best speedup</th></tr>"
    var names = Set(calls.map(\.proposer))
    for c in cands { names.insert(c.proposer) }
    for name in names.sorted() {
      let cs = calls.filter { $0.proposer == name }
      let mine = cands.filter { $0.proposer == name }
      let okEvals = mine.compactMap { evalOf[$0.id] }.filter { $0.status == .ok }
      let bestGain = okEvals.compactMap(\.speedup).max()
      h += "<tr><td>\(esc(name))</td><td class=num>\(cs.count)</td><td class=num>\(cs.reduce(0) { $0 + $1.proposed })</td>"
      h += "<td class=num>\(cs.reduce(0) { $0 + $1.illegal })</td><td class=num>\(cs.reduce(0) { $0 + $1.duplicate })</td>"
      h += "<td class=num>\(mine.count)</td><td class=num>\(okEvals.count)</td><td class=num>\(bestGain.map { f2($0) + "x" } ?? "")</td></tr>"
    }
    h += "</table>"
    h += AgentReport.section(db: db, workload: workload.id, target: target.id, evaluations: evals, candidates: cands)

    // Candidates.
    h += "<h2>Candidates</h2><p class=small>fastest first, then failures; expand a row for its trace and its IR diff against its parent.</p>"
    h += "<table><tr><th>#</th><th>parent</th><th>proposer</th><th>status</th><th>time</th><th>speedup</th><th>roofline</th><th>edit / details</th></tr>"
    let order = cands.sorted { a, b in
      let ta = evalOf[a.id]?.medianTime ?? .infinity
      let tb = evalOf[b.id]?.medianTime ?? .infinity
      return ta != tb ? ta < tb : a.id < b.id
    }
    for c in order.prefix(400) {
      let e = evalOf[c.id]
      h += "<tr><td>\(c.id)</td><td>\(c.parentID.map(String.init) ?? "")</td><td>\(esc(c.proposer))</td><td>\(statusCell(e))</td>"
      h += "<td class=num>\(e.map { esc($0.timeText) } ?? "")</td><td class=num>\(e?.speedup.map { f2($0) + "x" } ?? "")</td>"
      h += "<td class=num>\(e?.rooflineFraction.map { f1($0 * 100) + "%" } ?? "")</td><td><details><summary><code>\(esc(clip(c.transform ?? "(root)", 110)))</code></summary>"
      if let err = e?.error, !err.isEmpty { h += "<p class=bad>\(esc(clip(err, 600)))</p>" }
      if let e, e.workerSeconds != nil { h += "<p class=small>worker\(esc(SearchProgress.workerNote(e, allPhases: true)))</p>" }
      if let t = traceText(c.traceJSON) { h += "<pre>\(esc(t.isEmpty ? "(empty trace)" : t))</pre>" }
      let parentIR = c.parentID.flatMap { byID[$0]?.irText } ?? ""
      h += "<pre>" + diffHTML(parentIR, c.irText) + "</pre></details></td></tr>"
    }
    h += "</table><p class=small>generated by kevc \(kevcVersion) from \(esc(URL(fileURLWithPath: db.path).lastPathComponent))</p></body></html>\n"
    return h
  }

  // MARK: - Plots

  static func progressPlot(evals: [EvaluationRecord], baseline: Double?) -> String {
    let w = 1100.0, hgt = 300.0, left = 60.0, bottom = 36.0, top = 14.0, right = 16.0
    let n = max(1, evals.count)
    let values: [Double?] = evals.map { e in
      guard e.status == .ok, let t = e.medianTime else { return nil }
      return baseline.map { $0 / t } ?? 1 / t
    }
    let ymax = max(1.0, (values.compactMap { $0 }.max() ?? 1) * 1.1)
    func x(_ i: Int) -> Double { left + (w - left - right) * (Double(i) + 0.5) / Double(n) }
    func y(_ v: Double) -> Double { top + (hgt - top - bottom) * (1 - v / ymax) }
    var s = "<svg xmlns='http://www.w3.org/2000/svg' width='\(Int(w))' height='\(Int(hgt))' style='background:#fff;border:1px solid #eee'>"
    for k in 0...4 {
      let v = ymax * Double(k) / 4
      s += "<line x1='\(left)' x2='\(w - right)' y1='\(y(v))' y2='\(y(v))' stroke='#eee'/>"
      s += "<text x='\(left - 6)' y='\(y(v) + 4)' font-size='11' text-anchor='end'>\(f2(v))</text>"
    }
    if baseline != nil {
      s += "<line x1='\(left)' x2='\(w - right)' y1='\(y(1))' y2='\(y(1))' stroke='#888' stroke-dasharray='4 3'/>"
      s += "<text x='\(w - right - 4)' y='\(y(1) - 4)' font-size='11' text-anchor='end' fill='#666'>default schedule</text>"
    }
    var best = 0.0
    var path = ""
    for (i, v) in values.enumerated() {
      if let v {
        best = max(best, v)
        s += "<circle cx='\(x(i))' cy='\(y(v))' r='2.6' fill='#4b8bd6' opacity='0.7'/>"
      } else {
        s += "<text x='\(x(i))' y='\(hgt - bottom - 3)' font-size='9' text-anchor='middle' fill='#c0392b'>x</text>"
      }
      if best > 0 { path += (path.isEmpty ? "M" : " L") + "\(x(i)) \(y(best))" }
    }
    s += "<path d='\(path)' fill='none' stroke='#17803d' stroke-width='2'/>"
    s += "<text x='\((w + left) / 2)' y='\(hgt - 8)' font-size='12' text-anchor='middle'>evaluation (in order; x = failed)</text>"
    s += "<text x='14' y='\(hgt / 2)' font-size='12' transform='rotate(-90 14 \(hgt / 2))' text-anchor='middle'>"
    s += (baseline != nil ? "speedup over default" : "1 / time") + "</text>"
    s += "<text x='\(left + 8)' y='\(top + 12)' font-size='11' fill='#17803d'>best so far</text></svg>"
    return s
  }

  static func lineagePlot(_ chain: [CandidateRecord], _ evalOf: [Int: EvaluationRecord], _ baseline: Double?) -> String {
    let step = 150.0
    let w = max(300.0, Double(chain.count) * step + 40)
    var s = "<svg xmlns='http://www.w3.org/2000/svg' width='\(Int(w))' height='92'>"
    for (i, c) in chain.enumerated() {
      let cx = 20 + Double(i) * step + 60
      if i > 0 { s += "<line x1='\(cx - step + 60)' y1='36' x2='\(cx - 60)' y2='36' stroke='#888' marker-end='url(#a)'/>" }
      let e = evalOf[c.id]
      let fill = e?.status == .ok ? "#e6f4ea" : "#fdecea"
      s += "<rect x='\(cx - 60)' y='14' width='120' height='44' rx='6' fill='\(fill)' stroke='#999'/>"
      s += "<text x='\(cx)' y='31' font-size='12' text-anchor='middle'>#\(c.id) \(esc(clip(c.proposer, 12)))</text>"
      let label = e?.speedup.map { f2($0) + "x" } ?? e?.status.rawValue ?? "-"
      s += "<text x='\(cx)' y='49' font-size='12' text-anchor='middle' font-weight='600'>\(esc(label))</text>"
      s += "<text x='\(cx)' y='78' font-size='9.5' text-anchor='middle' fill='#555'>\(esc(clip(c.transform ?? "root", 26)))</text>"
    }
    s += "<defs><marker id='a' markerWidth='8' markerHeight='8' refX='7' refY='3' orient='auto'><path d='M0,0 L7,3 L0,6 z' fill='#888'/></marker></defs></svg>"
    return s
  }

  static func graphPlot(_ cands: [CandidateRecord], _ evalOf: [Int: EvaluationRecord], bestID: Int?) -> String {
    let shown = Array(cands.prefix(500))
    var depth: [Int: Int] = [:]
    var byID: [Int: CandidateRecord] = [:]
    for c in shown { byID[c.id] = c }
    func d(_ c: CandidateRecord, _ guardCount: Int = 0) -> Int {
      if let v = depth[c.id] { return v }
      let v = guardCount > 200 ? 0 : (c.parentID.flatMap { byID[$0] }.map { d($0, guardCount + 1) + 1 } ?? 0)
      depth[c.id] = v
      return v
    }
    var rows: [Int: [CandidateRecord]] = [:]
    for c in shown { rows[d(c), default: []].append(c) }
    let maxRow = rows.values.map(\.count).max() ?? 1
    let levels = (rows.keys.max() ?? 0) + 1
    let w = max(600.0, min(1300.0, Double(maxRow) * 22 + 60))
    let hgt = Double(levels) * 46 + 30
    var pos: [Int: (Double, Double)] = [:]
    for (level, items) in rows {
      for (i, c) in items.enumerated() {
        pos[c.id] = (30 + (w - 60) * (Double(i) + 0.5) / Double(items.count), 20 + Double(level) * 46)
      }
    }
    let okTimes = shown.compactMap { evalOf[$0.id]?.medianTime }
    let tmin = okTimes.min() ?? 1, tmax = okTimes.max() ?? 1
    var s = "<svg xmlns='http://www.w3.org/2000/svg' width='\(Int(w))' height='\(Int(hgt))' style='border:1px solid #eee'>"
    for c in shown {
      guard let p = c.parentID.flatMap({ pos[$0] }), let q = pos[c.id] else { continue }
      s += "<line x1='\(p.0)' y1='\(p.1)' x2='\(q.0)' y2='\(q.1)' stroke='#ccc'/>"
    }
    for c in shown {
      guard let q = pos[c.id] else { continue }
      let e = evalOf[c.id]
      var fill = "#bbb"
      if let e {
        if e.status == .ok, let t = e.medianTime {
          let r = tmax > tmin ? (log(t) - log(tmin)) / (log(tmax) - log(tmin)) : 0
          fill = "hsl(140,60%,\(Int(25 + 50 * r))%)"
        } else {
          fill = "#e0584b"
        }
      }
      let stroke = c.id == bestID ? " stroke='#000' stroke-width='2.5'" : ""
      s += "<circle cx='\(q.0)' cy='\(q.1)' r='\(c.id == bestID ? 8 : 6)' fill='\(fill)'\(stroke)><title>#\(c.id) \(esc(c.proposer)): \(esc(c.transform ?? "root")) — \(esc(e?.status.rawValue ?? "pending"))\(e?.speedup.map { " " + f2($0) + "x" } ?? "")</title></circle>"
    }
    return s + "</svg>"
  }

  // MARK: - Diff and helpers

  /// A line diff (longest common subsequence) as HTML, added lines green, removed red.
  public static func diffHTML(_ a: String, _ b: String) -> String {
    let x = a.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let y = b.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if a.isEmpty { return y.map { "<span class=add>+ \(esc($0))</span>" }.joined(separator: "\n") }
    guard x.count * y.count <= 400_000 else { return esc(b) }
    var table = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in stride(from: x.count - 1, through: 0, by: -1) {
      for j in stride(from: y.count - 1, through: 0, by: -1) {
        table[i][j] = x[i] == y[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
      }
    }
    var out: [String] = []
    var i = 0, j = 0
    while i < x.count || j < y.count {
      if i < x.count, j < y.count, x[i] == y[j] {
        out.append("  " + esc(x[i]))
        i += 1
        j += 1
      } else if j < y.count, i == x.count || table[i][j + 1] >= table[i + 1][j] {
        out.append("<span class=add>+ \(esc(y[j]))</span>")
        j += 1
      } else {
        out.append("<span class=del>- \(esc(x[i]))</span>")
        i += 1
      }
    }
    return out.joined(separator: "\n")
  }

  static func traceText(_ json: String) -> String? {
    (try? JSONDecoder().decode(KevcTraceBox.self, from: Data(json.utf8)))?.trace.text
  }

  static func statusCell(_ e: EvaluationRecord?) -> String {
    guard let e else { return "<span class=small>pending</span>" }
    if let flag = e.flag { return "<span class=bad title=\"\(esc(flag))\">flagged</span>" }
    return e.status == .ok ? "<span class=ok>ok</span>" : "<span class=bad>\(e.status.rawValue)</span>"
  }

  /// Failure text with numbers and candidate-specific names blurred, so that similar failures group together.
  static func normalize(_ text: String) -> String {
    // Drop "step N: " and the list of loops, blur quoted names, then numbers.
    var s = text
    if s.hasPrefix("step "), let colon = s.firstIndex(of: ":") { s = String(s[s.index(after: colon)...]) }
    if let r = s.range(of: "; its loops are") { s = String(s[..<r.lowerBound]) }
    if let r = s.range(of: "): ") { s = String(s[r.upperBound...]) }
    var blurred = ""
    var quoted = false
    for ch in s {
      if ch == "'" {
        quoted.toggle()
        blurred.append(quoted ? "'_" : "'")
      } else if !quoted {
        blurred.append(ch)
      }
    }
    s = blurred
    var out = ""
    var lastDigit = false
    for ch in s.prefix(160) {
      if ch.isNumber {
        if !lastDigit { out.append("#") }
        lastDigit = true
      } else {
        out.append(ch)
        lastDigit = false
      }
    }
    return out
  }

  /// The latest confirmation: each entrant's times per round, its median, and the confirmed best.
  static func confirmationTable(_ k: ConfirmationRecord, _ byID: [Int: CandidateRecord]) -> String {
    var h = "<h2>Confirmation</h2><p class=\"small\">\(esc(k.summary)). The top candidates by the search's fitness "
      + "and the default schedule, evaluated again one at a time in rotating rounds; the lowest median is the best. "
      + "Round order: " + k.order.map { "[" + $0.map { "#\($0)" }.joined(separator: " ") + "]" }.joined(separator: ", ")
      + String(format: "; %.1f s.", k.seconds) + "</p>"
    h += "<table><tr><th>#</th><th>proposer</th><th>times (s)</th><th>median</th><th>status</th></tr>"
    for e in k.entries {
      let status = e.failure.map { "<span class=\"bad\">FAILED: \(esc($0))</span>" }
        ?? (e.candidate == k.winner ? "<b>confirmed best</b>" : (e.candidate == k.searchedBest ? "the search's best" : ""))
      let lost = e.harnessErrors > 0 ? " (\(e.harnessErrors) round(s) lost to harness errors)" : ""
      h += "<tr><td>#\(e.candidate)</td><td>\(esc(byID[e.candidate]?.proposer ?? ""))</td><td class=\"num\">"
        + e.times.map { String(format: "%.6g", $0) }.joined(separator: ", ") + "</td><td class=\"num\">"
        + (e.median.map(SearchProgress.time) ?? "-") + "</td><td>\(status)\(lost)</td></tr>"
    }
    return h + "</table>"
  }

  public static func esc(_ s: String) -> String {
    var out = ""
    for ch in s {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(ch)
      }
    }
    return out
  }

  static func clip(_ s: String, _ n: Int) -> String { s.count > n ? String(s.prefix(n - 1)) + "…" : s }
  static func f1(_ v: Double) -> String { String(format: "%.1f", v) }
  static func f2(_ v: Double) -> String { String(format: "%.2f", v) }
  static func pct(_ a: Int, _ b: Int) -> String { b == 0 ? "-" : String(format: "%.0f%%", Double(a) * 100 / Double(b)) }
}

/// Decodes a stored trace.
struct KevcTraceBox: Decodable {
  var trace: Trace
  init(from decoder: Decoder) throws { trace = try Trace(from: decoder) }
}
