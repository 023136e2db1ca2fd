/// One search at a time per workload and target of a tuning database.
///
/// Two searches of the same kernel, shape and target on one file would propose the same IRs, evaluate them twice,
/// collide on the candidates' UNIQUE key and each count only its own evaluations against the budget. So a search
/// claims its (workload, target) pair in the `meta` table, in one IMMEDIATE transaction, before it reads what earlier
/// runs recorded, and gives it back when it ends. A second search of the same pair exits at once with
/// `kevc.search.busy`, naming the first (pid, host, start time); searches of other workloads or targets share the
/// file freely (WAL journal, 10 s busy timeout). A claim whose process is gone (same host, `kill(pid, 0)` fails
/// with ESRCH: a crash or SIGKILL) is stale and taken over, so a killed search never blocks the next one.
import Foundation
import KevcBasic

extension TuningDatabase {
  /// Who holds a search claim.
  public struct SearchOwner: Sendable, Hashable {
    public var pid: Int32
    public var host: String
    public var started: Double

    public static func current() -> SearchOwner {
      SearchOwner(pid: getpid(), host: ProcessInfo.processInfo.hostName, started: TuningDatabase.now)
    }

    var text: String { "\(pid) \(started) \(host)" }

    public init(pid: Int32, host: String, started: Double) {
      self.pid = pid
      self.host = host
      self.started = started
    }

    init?(_ text: String) {
      let parts = text.split(separator: " ", maxSplits: 2).map(String.init)
      guard parts.count == 3, let pid = Int32(parts[0]), let started = Double(parts[1]) else { return nil }
      self.init(pid: pid, host: parts[2], started: started)
    }

    /// False only when the process is known to be gone: same host and no such pid.
    var isAlive: Bool {
      guard host == ProcessInfo.processInfo.hostName else { return true }
      return kill(pid, 0) == 0 || errno != ESRCH
    }
  }

  public static let searchBusy = DiagnosticID("search", "busy")

  static func searchKey(workload: Int, target: Int) -> String { "search:\(workload):\(target)" }

  /// Claims the pair for `owner`, or throws `kevc.search.busy` naming the live search that holds it.
  public func claimSearch(workload: Int, target: Int, owner: SearchOwner) throws {
    let key = Self.searchKey(workload: workload, target: target)
    let holder: SearchOwner? = try connection.transaction {
      if let text = try connection.query("SELECT value FROM meta WHERE key = ?1", [.text(key)]).first?["value"].text,
        let other = SearchOwner(text), other != owner, other.isAlive
      {
        return other
      }
      try connection.query(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", [.text(key), .text(owner.text)])
      return nil
    }
    if let holder {
      let since = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: holder.started))
      throw DiagnosticError(
        .error(
          Self.searchBusy,
          "another kevc search (pid \(holder.pid) on \(holder.host), since \(since)) is searching this kernel, shape "
            + "and target in \(path); wait for it to finish (or stop it) and run again: the second search resumes "
            + "where the first ended",
          at: SourceLocation(file: path, line: 0, column: 0)))
    }
  }

  /// Gives the claim back if `owner` still holds it.
  public func releaseSearch(workload: Int, target: Int, owner: SearchOwner) throws {
    try connection.query(
      "DELETE FROM meta WHERE key = ?1 AND value = ?2",
      [.text(Self.searchKey(workload: workload, target: target)), .text(owner.text)])
  }
}
