import ArgumentParser
import Foundation
import KevcDriver
import KevcSearch

/// `kevc report`: a self-contained HTML page about one workload's search (plots, lineage, graph, diffs, failures).
struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write an HTML report of a search from the tuning database.",
    discussion: "With no --workload, reports the workload searched most recently; with no --target, this machine's target when it has records.")

  @Option(help: "Tuning database (default: $KEVC_DB, else ./kevc-tuning.db).")
  var db: String?

  @Option(help: "Workload id (see kevc db list).")
  var workload: Int?

  @Option(help: "Target id (see kevc db list).")
  var target: Int?

  @Option(name: .short, help: "Output HTML file; '-' is standard output.")
  var output: String = "report.html"

  func run() throws {
    let path = TuningDatabase.resolvePath(db)
    let database: TuningDatabase
    do {
      database = try TuningDatabase(path: path, create: false, upgrade: false)
    } catch {
      FileHandle.standardError.write(Data("kevc: error: \(error.message) [kevc.search.bad-database]\n".utf8))
      throw ExitCode(1)
    }
    let workloads = try database.workloads()
    let targets = try database.targets()
    let latest = try database.connection.query(
      "SELECT workload_id, target_id FROM candidates ORDER BY id DESC LIMIT 1").first
    let here = HostTarget.current()
    guard let w = workloads.first(where: { $0.id == (workload ?? latest?["workload_id"].int ?? -1) }) else {
      FileHandle.standardError.write(Data("kevc: error: no such workload in \(path) (see kevc db list) [kevc.search.no-such-workload]\n".utf8))
      throw ExitCode(1)
    }
    let withRecords = try targets.filter { !(try database.candidates(workload: w.id, target: $0.id)).isEmpty }
    let chosen = target.flatMap { id in targets.first { $0.id == id } }
      ?? withRecords.first { $0.key == here.key } ?? withRecords.first
    guard let t = chosen else {
      FileHandle.standardError.write(Data("kevc: error: no records for workload #\(w.id) [kevc.search.no-such-target]\n".utf8))
      throw ExitCode(1)
    }
    let html = try SearchReport.html(db: database, workload: w, target: t)
    var writer = ArtifactWriter()
    try writer.stage(Data(html.utf8), at: output)
    try writer.commit()
    if output != "-" { print("wrote \(output) (workload #\(w.id) \(w.specName) [\(w.shape)], target #\(t.id))") }
  }
}
