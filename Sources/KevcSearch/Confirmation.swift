/// The confirmation of a search's winner: its top candidates and the default schedule re-timed side by side before
/// one is reported as the best.
///
/// A search's best is the fastest of many measurements taken minutes apart, so under a changing load the luckiest
/// one wins (on the loaded 2-core CPU machine, softmax's searched best re-timed at 0.75x of the default schedule it
/// had "beaten"; bench/search/cpu-noseeds-2026-12-07). When a search stops (not when interrupted) the engine takes
/// the top K distinct candidates by fitness plus the default schedule and evaluates each again, one at a time,
/// through the same worker path as any evaluation, in R rounds whose order rotates (round r starts at entrant r), so
/// that drift and other processes' load fall on all of them alike. The confirmed best is the entrant with the lowest
/// median over its rounds (`choose`). A round that fails for the candidate (wrong, NaN, crash, timeout, compile
/// error) disqualifies it, and the failure is recorded; a harness error is the harness's, not the candidate's: that
/// round is left out of its median and it is not blamed.
import Foundation

/// One confirmation, as recorded in the `confirmations` table (docs/search.md).
public struct ConfirmationRecord: Sendable, Hashable {
  /// One entrant: its times, one per round it was measured in, and what went wrong.
  public struct Entry: Sendable, Hashable, Codable {
    public var candidate: Int
    /// Seconds, in round order (the rounds it was measured in).
    public var times: [Double] = []
    /// The first round's failure that disqualifies it (`status: error`), or nil.
    public var failure: String?
    /// Rounds lost to the harness (not the candidate's fault: left out of its median).
    public var harnessErrors: Int = 0

    public init(candidate: Int) { self.candidate = candidate }

    /// The median over its rounds; nil when it failed or was never measured.
    public var median: Double? {
      guard failure == nil, !times.isEmpty else { return nil }
      let s = times.sorted()
      return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    enum CodingKeys: String, CodingKey {
      case candidate, times, failure
      case harnessErrors = "harness_errors"
    }
  }

  public var id: Int = 0
  public var workloadID: Int
  public var targetID: Int
  /// The search's own best when it stopped (fitness: the fastest single evaluation).
  public var searchedBest: Int?
  /// The confirmed best: the entrant with the lowest median; nil when no round ran or every entrant failed.
  public var winner: Int?
  /// Rounds asked for and rounds run (fewer when the time limit left no room: `note` says so).
  public var rounds: Int
  public var roundsRun: Int
  /// The entrants in the search's order (fitness, then the default schedule), with their rounds.
  public var entries: [Entry]
  /// The order each round ran in (candidate ids).
  public var order: [[Int]]
  /// The last evaluation recorded before it: a later correct evaluation that ranks above `searchedBest` makes it
  /// stale (`TuningDatabase.correct`).
  public var lastEvaluationID: Int
  /// Why rounds were skipped, or nil.
  public var note: String?
  /// Wall seconds the confirmation took.
  public var seconds: Double
  public var createdAt: Double = 0

  public init(
    workloadID: Int, targetID: Int, searchedBest: Int?, winner: Int?, rounds: Int, roundsRun: Int, entries: [Entry],
    order: [[Int]], lastEvaluationID: Int, note: String?, seconds: Double
  ) {
    self.workloadID = workloadID
    self.targetID = targetID
    self.searchedBest = searchedBest
    self.winner = winner
    self.rounds = rounds
    self.roundsRun = roundsRun
    self.entries = entries
    self.order = order
    self.lastEvaluationID = lastEvaluationID
    self.note = note
    self.seconds = seconds
  }

  public func entry(_ candidate: Int) -> Entry? { entries.first { $0.candidate == candidate } }

  /// Candidates that failed a round (disqualified, never the best).
  public var failed: [Int] { entries.filter { $0.failure != nil }.map(\.candidate) }

  /// Round `round`'s order: the entrants rotated to start at entrant `round % count`.
  public static func rotation(_ entrants: [Int], round: Int) -> [Int] {
    guard !entrants.isEmpty else { return [] }
    let k = round % entrants.count
    return Array(entrants[k...] + entrants[..<k])
  }

  /// The confirmed best: the lowest median over the rounds among entrants that never failed and were measured at
  /// least once; a tie goes to the one earlier in `entries` (the search's order). nil when none qualifies.
  public static func choose(_ entries: [Entry]) -> Int? {
    var best: (median: Double, candidate: Int)?
    for e in entries {
      guard let m = e.median else { continue }
      if best.map({ m < $0.median }) ?? true { best = (m, e.candidate) }
    }
    return best?.candidate
  }

  /// One line for the search's end: the confirmed best, and the searched best beside it when they differ.
  public var summary: String {
    let what = "\(roundsRun) of \(rounds) round\(rounds == 1 ? "" : "s") side by side"
    guard let w = winner, let m = entry(w)?.median else {
      return "confirmation: no best confirmed (\(what))" + failures + (note.map { "; " + $0 } ?? "")
    }
    var text = "confirmed best #\(w): \(SearchProgress.time(m)) (median of \(what))"
    if let s = searchedBest, s != w {
      let theirs = entry(s).flatMap { $0.median.map(SearchProgress.time) ?? $0.failure.map { "failed: " + $0 } }
      text += "; the search's best #\(s) measured \(theirs ?? "-") beside it"
    }
    return text + failures + (note.map { "; " + $0 } ?? "")
  }

  var failures: String {
    let f = entries.filter { $0.failure != nil }
    return f.isEmpty ? "" : "; failed: " + f.map { "#\($0.candidate) (\(SearchProgress.clip($0.failure ?? "", 80)))" }
      .joined(separator: ", ")
  }
}
