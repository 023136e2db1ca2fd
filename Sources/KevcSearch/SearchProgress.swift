/// What a running search shows: a live table redrawn in place (ANSI) on a terminal, one plain line per evaluation
/// otherwise (logs, CI).
import Foundation

public struct SearchProgress {
  public let tty: Bool
  var drawn = 0
  var header = ""
  var last = ""

  public init(tty: Bool) { self.tty = tty }

  /// The text to write to standard output for an event.
  public mutating func render(_ event: SearchEvent) -> String {
    switch event {
    case .started(let w, let t, let resumed, let machine):
      header = "kevc search \(w.specName) [\(w.shape)] on \(t.key)"
      var lines = [header]
      if let m = machine {
        let caches = m.levels.map { String(format: "%d KiB at %.0f GB/s", Int($0.bytes) >> 10, $0.bandwidth / 1e9) }
        lines.append(
          String(format: "machine: %.1f GB/s, %.1f GFLOP/s", m.bandwidth / 1e9, m.peakFlops / 1e9)
            + (caches.isEmpty ? "" : "; caches " + caches.joined(separator: ", ")) + " (measured once per target)")
      }
      if resumed > 0 { lines.append("resuming: \(resumed) evaluations already in the database") }
      return lines.joined(separator: "\n") + "\n"
    case .message(let text):
      if tty {
        last = text
        return ""
      }
      return text + "\n"
    case .evaluated(let c, let e, let s):
      let time = e.timeText
      let gain = e.flag.map { "FLAGGED: \($0)" } ?? e.speedup.map { String(format: "%.2fx", $0) } ?? ""
      let edit = c.transform.map { ": \($0)" } ?? ""
      let what = e.status == .ok ? "ok \(time) \(gain)" : "\(e.status.rawValue): \(Self.clip(e.error ?? "", 100))"
      last = "#\(c.id) \(what) (\(c.proposer)\(Self.clip(edit, 90)))" + Self.workerNote(e)
      if tty { return redraw(s) }
      return "[\(s.evaluated)/\(s.budget)] \(last) | best \(s.bestTime.map(Self.time) ?? "-")"
        + (s.bestSpeedup.map { String(format: " %.2fx", $0) } ?? "") + "\n"
    case .finished(let summary):
      let s = summary.stats
      var out = tty ? redraw(s) : ""
      out += "stopped: \(summary.stopReason.rawValue) after \(s.evaluated) evaluations (\(s.evaluatedThisRun) in this run)"
      if let b = s.bestCandidate {
        out += "; best candidate #\(b): \(s.bestTime.map(Self.time) ?? "-")"
        if let g = s.bestSpeedup { out += String(format: ", %.2fx over the default schedule", g) }
        if let f = s.bestFraction { out += String(format: ", %.1f%% of the roofline floor", f * 100) }
      }
      // The confirmed best beside the searched one (they differ when the search's was a lucky measurement).
      if let k = summary.confirmation { out += "; " + k.summary }
      out += String(format: "; %.1f s of device time", s.deviceSeconds)
      if s.pruned > 0 { out += "; pruned by the cost model: \(s.pruned)" }
      return out + "\n"
    }
  }

  /// The worker's wall time, its longest phase, and a retry of its checks, e.g. " [22.5 s, 12.1 s waiting for the
  /// device]": where the search's time goes, one candidate at a time.
  /// With allPhases (the report): every phase, longest first.
  static func workerNote(_ e: EvaluationRecord, allPhases: Bool = false) -> String {
    guard let seconds = e.workerSeconds else { return "" }
    var note = String(format: " [%.1f s", seconds)
    let phases = e.phaseSeconds.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    for (phase, s) in phases.prefix(allPhases ? phases.count : 1) { note += String(format: ", %.1f s ", s) + phase }
    if e.retriedAlone { note += ", checks rerun alone after running out of device memory" }
    return note + "]"
  }

  mutating func redraw(_ s: SearchStats) -> String {
    let pct = { (n: Int) -> String in s.evaluated == 0 ? "-" : String(format: "%.0f%%", Double(n) * 100 / Double(s.evaluated)) }
    let elapsed = String(format: "%02d:%02d", Int(s.elapsed) / 60, Int(s.elapsed) % 60)
    let rows = [
      "  evaluated  in flight  compiled  correct  best time    speedup  roofline  elapsed",
      "  " + [
        Self.pad("\(s.evaluated)/\(s.budget)", 9), Self.pad("\(s.inFlight)", 9), Self.pad(pct(s.compiled), 8),
        Self.pad(pct(s.correct), 7), Self.pad(s.bestTime.map(Self.time) ?? "-", 11, left: true),
        Self.pad(s.bestSpeedup.map { String(format: "%.2fx", $0) } ?? "-", 7),
        Self.pad(s.bestFraction.map { String(format: "%.1f%%", $0 * 100) } ?? "-", 8), Self.pad(elapsed, 7),
      ].joined(separator: "  "),
      "  proposals: \(s.proposed), illegal \(s.illegal), duplicates \(s.duplicates), pruned by the cost model "
        + "\(s.pruned)",
      "  last: " + Self.clip(last, 110),
    ]
    var out = drawn > 0 ? "\u{1B}[\(drawn)A\u{1B}[J" : ""
    out += rows.joined(separator: "\n") + "\n"
    drawn = rows.count
    return out
  }

  static func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, n - s.count))
    return left ? s + fill : fill + s
  }

  static func clip(_ s: String, _ n: Int) -> String {
    let one = s.replacingOccurrences(of: "\n", with: " ")
    return one.count > n ? String(one.prefix(n - 3)) + "..." : one
  }

  public static func time(_ seconds: Double) -> String {
    if seconds < 1e-3 { return String(format: "%.2f us", seconds * 1e6) }
    if seconds < 1 { return String(format: "%.3f ms", seconds * 1e3) }
    return String(format: "%.3f s", seconds)
  }
}
