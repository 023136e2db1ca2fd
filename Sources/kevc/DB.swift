import ArgumentParser
import Foundation
import KevcBasic
import KevcDriver
import KevcSearch

/// `kevc db`: inspect, export and merge tuning databases; and the `--db` / `--no-db` options of `kevc compile`.
struct DB: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "db", abstract: "Inspect, export and merge tuning databases.",
    discussion: "The database is --db PATH, else $KEVC_DB, else ./kevc-tuning.db. Schema: docs/search.md. (kevc compile and kevc run never default to ./kevc-tuning.db.)",
    subcommands: [List.self, Show.self, Export.self, Import.self, Merge.self, CostModel.self])

  struct Location: ParsableArguments {
    @Option(help: "Tuning database (default: $KEVC_DB, else ./kevc-tuning.db).")
    var db: String?

    /// With `forWriting`, an older schema is upgraded first (a merge's destination); readers leave it as it is.
    func open(forWriting: Bool = false) throws -> TuningDatabase {
      let path = TuningDatabase.resolvePath(db)
      do {
        return try TuningDatabase(path: path, create: false, upgrade: forWriting)
      } catch {
        FileHandle.standardError.write(Data("kevc: error: \(error.message) [kevc.search.bad-database]\n".utf8))
        throw ExitCode(1)
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List workloads, targets and their best records.")
    @OptionGroup var location: Location
    func run() throws { print(try location.open().listing(), terminator: "") }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one candidate: trace, evaluation, scheduled IR.")
    @OptionGroup var location: Location
    @Argument(help: "Candidate id.") var id: Int
    func run() throws {
      guard let text = try location.open().describeCandidate(id) else {
        FileHandle.standardError.write(Data("kevc: error: no candidate #\(id) [kevc.search.no-such-candidate]\n".utf8))
        throw ExitCode(1)
      }
      print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
    }
  }

  struct CostModel: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "cost-model",
      abstract: "Replay the recorded searches through the cost models: Spearman's rho of the analytic and the online-fitted model against the measured times.")
    @OptionGroup var location: Location
    @Flag(help: "Print every measurement beside its estimate.") var verbose = false
    func run() throws { print(try location.open().costModelReplayText(verbose: verbose), terminator: "") }
  }

  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print every table as JSON.")
    @OptionGroup var location: Location
    @Option(help: "Output format: json.") var format: String = "json"
    @Option(name: .short, help: "Output file; default standard output.") var output: String?
    func run() throws {
      guard format == "json" else {
        FileHandle.standardError.write(Data("kevc: error: unknown format '\(format)'; available: json [kevc.driver.bad-option]\n".utf8))
        throw ExitCode(1)
      }
      let text = try location.open().exportJSON()
      var writer = ArtifactWriter()
      try writer.stage(Data(text.utf8), at: output ?? "-")
      try writer.commit()
    }
  }

  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Add the records of a 'kevc db export' file to this database (created if absent).")
    @OptionGroup var location: Location
    @Argument(help: "The export (JSON) to import.") var file: String
    func run() throws {
      guard let data = FileManager.default.contents(atPath: file) else {
        FileHandle.standardError.write(Data("kevc: error: cannot read '\(file)' [kevc.driver.no-such-file]\n".utf8))
        throw ExitCode(1)
      }
      do {
        let db = try TuningDatabase(path: TuningDatabase.resolvePath(location.db), create: true, upgrade: true)
        let added = try db.importJSON(String(decoding: data, as: UTF8.self))
        print("imported \(file): \(added.candidates) candidates and \(added.evaluations) evaluations added")
      } catch {
        let message = (error as? TuningDatabaseError)?.message ?? "\(error)"
        FileHandle.standardError.write(Data("kevc: error: \(file): \(message) [kevc.search.bad-export]\n".utf8))
        throw ExitCode(1)
      }
    }
  }

  struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Copy the records of another tuning database into this one.")
    @OptionGroup var location: Location
    @Argument(help: "The database to merge in.") var other: String
    func run() throws {
      let db = try location.open(forWriting: true)
      let source: TuningDatabase
      do {
        source = try TuningDatabase(path: other, create: false, upgrade: false)
      } catch {
        FileHandle.standardError.write(Data("kevc: error: \(error.message) [kevc.search.bad-database]\n".utf8))
        throw ExitCode(1)
      }
      let added = try db.merge(source)
      print("merged \(other): \(added.candidates) candidates and \(added.evaluations) evaluations added")
    }
  }
}

/// `--db PATH` / `--no-db` for commands that compile: apply the best tuned schedule of the same spec, shape and
/// target, when there is one and no --schedule was given. The database is `--db`, else `$KEVC_DB`; never a file
/// that merely happens to be in the working directory. A named database that does not exist is an error.
struct TuningOptions: ParsableArguments {
  @Option(help: "Tuning database to take a tuned schedule from (default: $KEVC_DB; none otherwise). It must exist.")
  var db: String?

  @Flag(name: .customLong("no-db"), help: "Do not use a tuning database (not even $KEVC_DB).")
  var noDB = false

  /// What `apply` consulted: the database (a dependency of the build) and the record it took, if any.
  struct Use {
    var databasePath: String?
    var tuned: TunedSchedule?
  }

  /// The database to consult, or nil; a named file that does not exist is an error.
  func databasePath() throws(DiagnosticError) -> String? {
    guard !noDB else { return nil }
    let named = db.flatMap { $0.isEmpty ? nil : $0 }
    let fromEnvironment = ProcessInfo.processInfo.environment["KEVC_DB"].flatMap { $0.isEmpty ? nil : $0 }
    guard let path = named ?? fromEnvironment else { return nil }
    guard FileManager.default.fileExists(atPath: path) else {
      let origin = named != nil ? "--db" : "$KEVC_DB"
      throw DiagnosticError(
        .error(
          DiagnosticID("search", "no-database"),
          "tuning database '\(path)' (\(origin)) does not exist; run kevc search --db \(path) first, or pass --no-db",
          at: SourceLocation(file: "kevc", line: 0, column: 0)))
    }
    return path
  }

  /// Sets `request.schedule` from the database; notes it on standard error.
  @discardableResult
  func apply(to request: inout CompileRequest) throws(DiagnosticError) -> Use {
    guard let path = try databasePath() else { return Use() }
    guard request.schedule == nil else { return Use() }
    var frontRequest = CompileRequest(source: request.source, kind: request.kind, stages: [.ir])
    frontRequest.matmulPrecision = request.matmulPrecision
    let front = try Compiler.compile(frontRequest).kernel
    let bound = try front.binding(request.shapeOverrides, location: SourceLocation(file: "--shape", line: 1, column: 1))
    do {
      // Records are keyed by the device they were measured on: a GPU compile looks up this machine's GPU, and
      // finds nothing on a machine without one.
      guard let target = HostTarget.forKind(request.target.rawValue) else { return Use(databasePath: path) }
      let warn = { (message: String) in FileHandle.standardError.write(Data("kevc: warning: \(message)\n".utf8)) }
      if let tuned = try TunedSchedule.lookup(
        databasePath: path, kernel: front, bound: bound, target: target, warn: warn)
      {
        request.schedule = tuned.trace
        FileHandle.standardError.write(Data("kevc: \(tuned.note)\n".utf8))
        return Use(databasePath: path, tuned: tuned)
      }
      return Use(databasePath: path)
    } catch {
      throw DiagnosticError(
        .error(DiagnosticID("search", "bad-database"), error.message, at: SourceLocation(file: path, line: 0, column: 0)))
    }
  }
}
