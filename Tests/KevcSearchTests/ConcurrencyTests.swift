import Foundation
import KevcBasic
import KevcSearch
import Testing

/// Two `kevc search` processes on one SQLite file, and readers that cannot write (issue 13): a second search of the
/// same workload and target exits with `kevc.search.busy` instead of re-evaluating, colliding or overshooting the
/// budget; searches of other workloads share the file, even a fresh one; a read-only database in a read-only folder
/// is still read by `kevc compile`.
@Suite(.serialized) struct ConcurrencyTests {
  static func start(_ arguments: [String], in dir: URL, tag: String) throws -> Process {
    let p = Process()
    p.executableURL = Paths.kevc
    p.arguments = arguments
    p.currentDirectoryURL = dir
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "KEVC_DB")
    p.environment = env
    let err = dir.appendingPathComponent("\(tag).err")
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    p.standardOutput = FileHandle.nullDevice
    p.standardError = try FileHandle(forWritingTo: err)
    try ChildProcesses.start(p)
    return p
  }

  static func search(_ db: String, shape: String, budget: Int) -> [String] {
    [
      "search", Paths.inRepository("specs/matmul.kev").path, "--shape", shape, "--budget", "\(budget)", "--jobs", "1",
      "--trials", "1", "--db", db, "--seed", "3",
    ]
  }

  static func evaluations(_ path: String, shape: String) throws -> Int {
    let db = try TuningDatabase(path: path, create: false, upgrade: false)
    let key = shape.split(separator: ",").sorted().joined(separator: ",")
    guard let w = try db.workloads().first(where: { $0.shape.split(separator: ",").sorted().joined(separator: ",") == key })
    else { return 0 }
    return try db.connection.scalar(
      "SELECT count(*) FROM evaluations e JOIN candidates c ON c.id = e.candidate_id WHERE c.workload_id = ?1",
      [.int(Int64(w.id))]) ?? 0
  }

  @Test func aSecondSearchOfTheSameWorkloadSaysSoAndBudgetsStayExact() throws {
    let dir = try Paths.temporaryDirectory()
    let db = dir.appendingPathComponent("c.db").path
    // A fresh file: three searches start at once, two of the same workload and one of another.
    let a = try Self.start(Self.search(db, shape: "M=16,N=16,K=16", budget: 5), in: dir, tag: "a")
    let b = try Self.start(Self.search(db, shape: "M=16,N=16,K=16", budget: 5), in: dir, tag: "b")
    let c = try Self.start(Self.search(db, shape: "M=12,N=12,K=12", budget: 3), in: dir, tag: "c")
    for p in [a, b, c] { p.waitUntilExit() }
    let errors = try ["a", "b", "c"].map { try String(contentsOf: dir.appendingPathComponent("\($0).err"), encoding: .utf8) }
    for e in errors {
      #expect(!e.contains("database is locked") && !e.contains("UNIQUE"), "\(e)")
    }
    #expect(c.terminationStatus == 0, "\(errors[2])")
    // Of the two searches of one workload, either both succeeded one after the other, or the later one was told.
    let statuses = [a.terminationStatus, b.terminationStatus]
    #expect(statuses.contains(0), "\(errors)")
    if let busy = statuses.firstIndex(of: 1) {
      #expect(
        errors[busy].contains("[kevc.search.busy]") && errors[busy].contains("another kevc search (pid "),
        "search \(busy) exited 1 with: \(errors[busy])")
    }
    #expect(try Self.evaluations(db, shape: "M=16,N=16,K=16") == 5)
    #expect(try Self.evaluations(db, shape: "M=12,N=12,K=12") == 3)

    // While one search runs, a second of the same workload exits at once; the first keeps its budget exactly.
    let first = try Self.start(Self.search(db, shape: "M=16,N=16,K=16", budget: 9), in: dir, tag: "first")
    let deadline = Date().addingTimeInterval(120)
    while try Self.evaluations(db, shape: "M=16,N=16,K=16") < 6, first.isRunning, Date() < deadline {
      usleep(50_000)
    }
    let second = try runKevc(Self.search(db, shape: "M=16,N=16,K=16", budget: 9), in: dir)
    first.waitUntilExit()
    #expect(first.terminationStatus == 0)
    if first.terminationStatus == 0, second.0 != 0 {
      #expect(second.2.contains("[kevc.search.busy]"), "\(second.2)")
    }
    #expect(try Self.evaluations(db, shape: "M=16,N=16,K=16") == 9)
    // The claim was given back: the same command again resumes and finds the budget spent.
    let again = try runKevc(Self.search(db, shape: "M=16,N=16,K=16", budget: 9), in: dir)
    #expect(again.0 == 0, "\(again.2)")
    #expect(try Self.evaluations(db, shape: "M=16,N=16,K=16") == 9)
  }

  @Test func aStaleClaimOfAKilledSearchIsTakenOver() throws {
    let dir = try Paths.temporaryDirectory()
    let path = dir.appendingPathComponent("s.db").path
    let db = try TuningDatabase(path: path)
    // A pid that is not running (the kernel's pid_max is below 2^22 here and on every default Linux).
    let gone = TuningDatabase.SearchOwner(pid: 4_000_000, host: ProcessInfo.processInfo.hostName, started: 1)
    try db.claimSearch(workload: 1, target: 1, owner: gone)
    let me = TuningDatabase.SearchOwner(pid: getpid(), host: ProcessInfo.processInfo.hostName, started: 2)
    try db.claimSearch(workload: 1, target: 1, owner: me)
    let other = TuningDatabase.SearchOwner(pid: getppid(), host: ProcessInfo.processInfo.hostName, started: 3)
    #expect(throws: (any Error).self) { try db.claimSearch(workload: 1, target: 1, owner: other) }
    try db.releaseSearch(workload: 1, target: 1, owner: me)
    try db.claimSearch(workload: 1, target: 1, owner: other)
  }

  /// `kevc compile` reads a read-only database in a read-only folder (as root, the test drops to `nobody` with
  /// setpriv, since root may write anywhere).
  @Test func aReadOnlyDatabaseInAReadOnlyFolderIsStillRead() throws {
    let dir = try Paths.temporaryDirectory()
    let folder = dir.appendingPathComponent("ro")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent("t.db").path
    // The default alone (budget 1) is the best for compile to use: the register-tiled default at this small shape
    // runs from cache, which the CPU floor allows for (it is a lower bound: RooflineTests), so it is not flagged.
    let made = try runKevc(Self.search(path, shape: "M=48,N=48,K=96", budget: 1), in: dir)
    #expect(made.0 == 0, "\(made.2)")
    // Checkpoint the WAL into the file and close, so that only t.db remains, then make everything read-only.
    do {
      let db = try TuningDatabase(path: path)
      try db.connection.exec("PRAGMA wal_checkpoint(TRUNCATE)")
    }
    chmod(path, 0o444)
    chmod(folder.path, 0o555)
    chmod(dir.path, 0o755)
    defer { chmod(folder.path, 0o755) }
    var command = [
      Paths.kevc.path, "compile", Paths.inRepository("specs/matmul.kev").path, "--shape", "M=48,N=48,K=96", "--db",
      path, "--emit", "scheduled",
    ]
    if geteuid() == 0 {
      guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
      command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: command[0])
    p.arguments = Array(command.dropFirst())
    p.currentDirectoryURL = URL(fileURLWithPath: "/")
    let err = Pipe()
    p.standardError = err
    p.standardOutput = FileHandle.nullDevice
    try ChildProcesses.start(p)
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(stderr)")
    #expect(stderr.contains("using tuned schedule from DB (candidate #1"), "\(stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["t.db"])
  }
}
