import ArgumentParser
import Foundation
import KevcBasic
import KevcFuzz
import KevcLLVM

/// `kevc fuzz` and `kevc difftest`: the reliability tools of docs/reliability.md. Both run their inputs in child
/// processes of this executable (a hidden `--worker` mode) under a `Supervisor`, so that a crash is caught, its
/// input saved, and the run goes on after it.
struct Fuzz: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fuzz the spec parser, the IR parser, or the trace parser and transforms with mutated seed inputs.",
    discussion: """
      Inputs are the target's seed corpus (specs/, ir/, the repository's .trace files) and seeded mutations of \
      it, run in process in a child; a child that dies of a signal, or runs one input longer than \
      --hang-seconds, leaves its input in the crash folder (trace inputs gain a '# spec:' line naming the kernel \
      they applied to) and the run continues after it. Exits with status 1 when anything crashed or hung.
      """)

  @Option(help: "spec, ir, trace or all.")
  var target: String = "all"

  @Option(help: "Inputs per target.")
  var executions: Int = 10_000

  @Option(help: "Seed of the mutation stream.")
  var seed: UInt64 = 1

  @Option(help: "The repository whose specs/, ir/ and traces seed the corpus.")
  var repository: String = "."

  @Option(help: "Folder for crashing and hanging inputs.")
  var crashes: String = "fuzz-crashes"

  @Option(help: "Write the run's figures (executions, crashes, time, machine) as JSON to this file.")
  var results: String?

  @Option(help: "A label recorded in the results (e.g. the commit).")
  var label: String = ""

  @Option(help: "Seconds one input may run before it counts as a hang.")
  var hangSeconds: Double = 20

  @Option(help: "Stop each target after this many seconds, even before --executions (0: no limit).")
  var seconds: Double = 0

  @Flag(help: .hidden) var worker = false
  @Option(help: .hidden) var first: Int = 0
  @Option(help: .hidden) var count: Int = 0
  @Option(help: .hidden) var crashFile: String = ""
  /// Seconds since 1970 at which a worker stops (0: none).
  @Option(help: .hidden) var deadline: Double = 0

  struct TargetResult: Codable {
    var statistics: FuzzStatistics
    var crashes: Int
    var hangs: Int
    var crashFiles: [String]
    var executionsPerSecond: Double
  }

  struct Results: Codable {
    var date: String
    var label: String
    var machine: MachineDescription
    var seed: UInt64
    var hangSeconds: Double
    /// The run's limits: inputs per target, and seconds per target (0: none).
    var requestedExecutions: Int
    var secondsLimit: Double
    var targets: [TargetResult]
  }

  func targets() throws -> [FuzzTarget] {
    if target == "all" { return FuzzTarget.allCases }
    guard let t = FuzzTarget(rawValue: target) else {
      throw ValidationError("unknown fuzz target '\(target)'; known: spec, ir, trace, all")
    }
    return [t]
  }

  func run() throws {
    let root = URL(fileURLWithPath: repository)
    if worker {
      guard let t = try targets().first else { return }
      CrashCapture.install(crashFile: crashFile, hangSeconds: hangSeconds)
      let harness = try FuzzHarness(target: t, repository: root)
      let final = FuzzCampaign.run(
        harness, seed: seed, first: first, count: count,
        deadline: deadline > 0 ? Date(timeIntervalSince1970: deadline) : nil, capture: true, reportEvery: 5000
      ) { stats in
        printJSONLine(stats)
        if stats.executions % 100_000 == 0 {
          FileHandle.standardError.write(Data("fuzz \(t.rawValue): \(stats.executions) executions in \(Int(stats.seconds)) s\n".utf8))
        }
      }
      printJSONLine(final)
      return
    }
    try FileManager.default.createDirectory(atPath: crashes, withIntermediateDirectories: true)
    var out: [TargetResult] = []
    for t in try targets() {
      let harness = try FuzzHarness(target: t, repository: root)
      var total = FuzzStatistics(target: t.rawValue)
      var result = TargetResult(statistics: total, crashes: 0, hangs: 0, crashFiles: [], executionsPerSecond: 0)
      let stop = seconds > 0 ? Date().addingTimeInterval(seconds).timeIntervalSince1970 : 0
      var supervisor = Supervisor<FuzzStatistics> { first, count, crashFile in
        [
          "fuzz", "--worker", "--target", t.rawValue, "--seed", "\(seed)", "--first", "\(first)", "--count", "\(count)",
          "--crash-file", crashFile, "--repository", repository, "--hang-seconds", "\(hangSeconds)",
          "--deadline", "\(stop)",
        ]
      }
      supervisor.deadline = stop > 0 ? Date(timeIntervalSince1970: stop) : nil
      try supervisor.run(first: 0, count: max(0, executions)) { child in
        var stats = child.statistics ?? FuzzStatistics(target: t.rawValue)
        // A crashed child's last statistics line is up to 5000 inputs old: its exact count is in the crash file
        // (skipped inputs and outcomes after the line are not counted).
        if let recorded = child.recorded { stats.executions = recorded }
        total.merge(stats)
        guard let crash = child.crash else { return }
        let file = "\(crashes)/\(t.rawValue)-s\(seed)-\(crash.index).\(t.fileExtension)"
        _ = FileManager.default.createFile(atPath: file, contents: Data(harness.replayable(crash.input)))
        if crash.signal == 0 { result.hangs += 1 } else { result.crashes += 1 }
        result.crashFiles.append(file)
        let what = crash.signal == 0 ? "hang" : "crash (signal \(crash.signal))"
        FileHandle.standardError.write(Data("fuzz \(t.rawValue): \(what) at input \(crash.index), saved as \(file)\n".utf8))
      }
      result.statistics = total
      result.executionsPerSecond = total.seconds > 0 ? (Double(total.executions) / total.seconds).rounded() : 0
      print(
        "\(t.rawValue): \(total.executions) executions, \(total.accepted) accepted, \(total.diagnosed) diagnosed, "
          + "\(result.crashes) crashes, \(result.hangs) hangs, \(Int(total.seconds)) s")
      out.append(result)
    }
    if let results {
      try writeJSON(
        Results(
          date: ISO8601DateFormatter().string(from: Date()), label: label, machine: .current, seed: seed,
          hangSeconds: hangSeconds, requestedExecutions: executions, secondsLimit: seconds, targets: out),
        to: results)
    }
    if out.contains(where: { $0.crashes + $0.hangs > 0 }) { throw ExitCode(1) }
  }
}

struct DiffTest: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "difftest",
    abstract: "Compile random well-typed programs with random legal schedules and compare them with the interpreter.",
    discussion: """
      Program i is a random spec and a schedule (the default one, a random legal trace, or the default followed \
      by random legal steps), compiled through LLVM and checked against the float64 interpreter on normal and \
      uniform inputs with the checker's tolerances. A mismatch is saved as NAME.kev, NAME.trace and NAME.txt \
      (seed, mode, comparison) in the mismatch folder, its trace minimised; a legal schedule that does not compile \
      the same way under rejected/; a crash as a bundle (spec, then the trace after a '#---trace' line). Exits with \
      status 1 on any mismatch or crash.
      """)

  @Option(help: "Number of programs.")
  var programs: Int = 200

  @Option(help: "Seed of the run (program i's seed derives from it).")
  var seed: UInt64 = 1

  @Option(help: "Index of the first program.")
  var first: Int = 0

  @Option(help: "Folder for mismatching and crashing programs.")
  var mismatches: String = "difftest-mismatches"

  @Option(help: "Write the run's figures as JSON to this file.")
  var results: String?

  @Option(help: "A label recorded in the results (e.g. the commit).")
  var label: String = ""

  @Option(name: .customLong("opt-level"), help: "LLVM optimisation level, 0 to 3.")
  var optimizationLevel: Int = 3

  @Option(help: "Seconds one program may run before it counts as a hang.")
  var hangSeconds: Double = 120

  @Option(help: "Seconds LLVM may spend compiling one program before it counts as a compile timeout (below --hang-seconds).")
  var compileSeconds: Double = 60

  @Option(help: "Stop after this many seconds, even before --programs (0: no limit).")
  var seconds: Double = 0

  @Flag(help: "Print each program's spec, trace and outcome (no child processes).")
  var verbose = false

  @Flag(help: .hidden) var worker = false
  @Option(help: .hidden) var count: Int = 0
  @Option(help: .hidden) var crashFile: String = ""
  /// Seconds since 1970 at which a worker stops (0: none).
  @Option(help: .hidden) var deadline: Double = 0

  struct Results: Codable {
    var date: String
    var label: String
    var machine: MachineDescription
    var seed: UInt64
    var optimizationLevel: Int
    var trialsPerProgram: Int
    /// The run's programs: `firstProgram ..< firstProgram + requestedPrograms` of the seed; seconds (0: none).
    var firstProgram: Int
    var requestedPrograms: Int
    var secondsLimit: Double
    var statistics: DiffTestStatistics
    /// Children that died of a signal, that ran one program past --hang-seconds, and whose LLVM compile of one
    /// program ran past --compile-seconds: each a failure of the run.
    var crashes: Int
    var hangs: Int
    var compileTimeouts: Int
    var files: [String]
    var skipList: [String: String]
  }

  func tester() -> DiffTester {
    var t = DiffTester(seed: seed)
    t.optimizationLevel = optimizationLevel
    return t
  }

  /// Runs programs in this process, saving mismatches; `capture` records each for the crash handler.
  func runHere(first: Int, count: Int, capture: Bool) -> DiffTestStatistics {
    let tester = tester()
    var stats = DiffTestStatistics()
    let start = Date()
    for i in first..<(first + count) {
      if deadline > 0, Date().timeIntervalSince1970 >= deadline { break }
      let program = tester.program(i)
      if capture { CrashCapture.record(Array(program.bundle.utf8), index: i) }
      let outcome = tester.check(program)
      stats.record(program, outcome)
      if verbose { print("--- program \(i) (\(program.mode.rawValue)): \(outcome)\n\(program.bundle)") }
      if case .mismatch(let why) = outcome { save(tester.minimize(program), why, in: mismatches, as: "mismatch") }
      if case .rejected(let id) = outcome { save(program, "rejected: \(id)", in: mismatches + "/rejected", as: "rejection") }
      if case .invalidProgram(let why) = outcome, verbose { print("invalid: \(why)") }
      stats.seconds = Date().timeIntervalSince(start)
      if capture, stats.programs % 25 == 0 { printJSONLine(stats) }
      if capture, stats.programs % 500 == 0 {
        print("# \(stats.programs) programs, \(stats.mismatches) mismatches, \(Int(stats.seconds)) s")
      }
    }
    return stats
  }

  /// Saves a program as NAME.kev, NAME.trace and NAME.txt (what happened) in `folder`.
  func save(_ program: DiffTester.Program, _ why: String, in folder: String, as what: String) {
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let base = "\(folder)/s\(seed)-p\(program.index)"
    _ = FileManager.default.createFile(atPath: base + ".kev", contents: Data(program.spec.utf8))
    _ = FileManager.default.createFile(atPath: base + ".trace", contents: Data((program.trace?.text ?? "").utf8))
    let note = """
      seed \(seed), program \(program.index), mode \(program.mode.rawValue), opt-level \(optimizationLevel)
      schedule: \(program.trace == nil ? "the default CPU schedule" : "\(base).trace")
      \(why)

      """
    _ = FileManager.default.createFile(atPath: base + ".txt", contents: Data(note.utf8))
    print("# difftest: \(what) of program \(program.index), saved as \(base).kev")
  }

  func run() throws {
    if worker {
      CrashCapture.install(crashFile: crashFile, hangSeconds: hangSeconds)
      CompileTimeLimit.seconds = compileSeconds
      CompileTimeLimit.onTimeout = { _ in CrashCapture.compileTimedOut() }
      printJSONLine(runHere(first: first, count: count, capture: true))
      return
    }
    if verbose {
      let stats = runHere(first: first, count: programs, capture: false)
      printJSONLine(stats)
      if stats.mismatches > 0 { throw ExitCode(1) }
      return
    }
    var total = DiffTestStatistics()
    var crashes = 0
    var hangs = 0
    var compileTimeouts = 0
    var files: [String] = []
    let stop = seconds > 0 ? Date().addingTimeInterval(seconds).timeIntervalSince1970 : 0
    var supervisor = Supervisor<DiffTestStatistics> { first, count, crashFile in
      [
        "difftest", "--worker", "--seed", "\(seed)", "--first", "\(first)", "--count", "\(count)", "--crash-file",
        crashFile, "--mismatches", mismatches, "--opt-level", "\(optimizationLevel)", "--hang-seconds", "\(hangSeconds)",
        "--compile-seconds", "\(compileSeconds)", "--deadline", "\(stop)",
      ]
    }
    supervisor.deadline = stop > 0 ? Date(timeIntervalSince1970: stop) : nil
    // LLVM's remarks on loops it could not vectorize as asked would drown the run's own lines.
    supervisor.childStandardError = FileHandle.nullDevice
    try supervisor.run(first: first, count: max(0, programs)) { child in
      if let stats = child.statistics { total.merge(stats) }
      guard let crash = child.crash else { return }
      try? FileManager.default.createDirectory(atPath: mismatches, withIntermediateDirectories: true)
      let what: String
      switch crash.signal {
      case 0:
        what = "hang"
        hangs += 1
      case CrashCapture.compileTimeoutSignal:
        what = "compile-timeout"
        compileTimeouts += 1
      default:
        what = "crash"
        crashes += 1
      }
      let file = "\(mismatches)/s\(seed)-p\(crash.index).\(what).kev"
      _ = FileManager.default.createFile(atPath: file, contents: Data(crash.input))
      files.append(file)
      // The programs the crashed child ran after its last statistics line are counted as they are rerun: not at
      // all (the figures stay a lower bound); the crashing one is counted here.
      total.programs += 1
      let how =
        switch what {
        case "hang": "ran past \(Int(hangSeconds)) s (a hang)"
        case "compile-timeout": "did not compile within \(compileSeconds.formatted()) s (a compile timeout)"
        default: "crashed (signal \(crash.signal))"
        }
      FileHandle.standardError.write(Data("difftest: program \(crash.index) \(how), saved as \(file)\n".utf8))
    }
    if let listing = try? FileManager.default.contentsOfDirectory(atPath: mismatches) {
      let failures = [".crash.kev", ".hang.kev", ".compile-timeout.kev"]
      files += listing.filter { f in f.hasPrefix("s\(seed)-") && f.hasSuffix(".kev") && !failures.contains { f.hasSuffix($0) } }
        .sorted()
        .map { "\(mismatches)/\($0)" }
    }
    print(
      "\(total.programs) programs: \(total.passed) passed, \(total.mismatches) mismatches, \(crashes) crashes, "
        + "\(hangs) hangs, \(compileTimeouts) compile timeouts, \(total.invalidPrograms) invalid, rejected \(total.rejected), skipped \(total.skipped), \(Int(total.seconds)) s")
    if let results {
      try writeJSON(
        Results(
          date: ISO8601DateFormatter().string(from: Date()), label: label, machine: .current, seed: seed,
          optimizationLevel: optimizationLevel, trialsPerProgram: tester().trials, firstProgram: first, requestedPrograms: programs,
          secondsLimit: seconds, statistics: total, crashes: crashes, hangs: hangs, compileTimeouts: compileTimeouts,
          files: files,
          skipList: Dictionary(uniqueKeysWithValues: DiffTestSkip.current.map { ($0.name, $0.reason) })),
        to: results)
    }
    if total.mismatches + crashes + hangs + compileTimeouts > 0 { throw ExitCode(1) }
  }
}

/// One JSON object on a line of standard output (a worker's statistics for its supervisor).
func printJSONLine<T: Encodable>(_ value: T) {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys]
  if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
  fflush(nil)
}
