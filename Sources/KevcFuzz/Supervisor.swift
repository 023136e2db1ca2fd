import Foundation

/// Runs a long fuzzing or differential-testing job in child processes of the current executable, so that a crash
/// ends one child, not the run: the child records each input with `CrashCapture`; when it dies of a signal (or of
/// the watchdog's hang abort) the supervisor reads the crash file, hands the input to `onCrash` and starts a new
/// child after the crashed index. Children print their cumulative statistics as JSON lines on standard output; the
/// supervisor keeps each child's last line, and copies lines starting with `#` (notes) to its standard error.
public struct Supervisor<Statistics: Codable & Sendable> {
  /// The child's arguments for inputs `first ..< first + count`, writing its crash file to `crashFile`.
  public var arguments: (_ first: Int, _ count: Int, _ crashFile: String) -> [String]
  /// The executable (this one, by default).
  public var executable = Supervisor.currentExecutable
  /// Where the children's standard error goes (nil: this process's).
  public var childStandardError: FileHandle? = nil
  /// No child is started after this time (children are told the same deadline through their arguments).
  public var deadline: Date? = nil

  public init(arguments: @escaping (_ first: Int, _ count: Int, _ crashFile: String) -> [String]) {
    self.arguments = arguments
  }

  public static var currentExecutable: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }

  public struct Crash: Sendable {
    public var index: Int
    /// The signal the child died of; 0 for a hang, `CrashCapture.compileTimeoutSignal` for a compile timeout.
    public var signal: Int32
    public var input: [UInt8]
  }

  /// One entry per child: its last statistics line (nil when it printed none) and how it ended.
  public struct ChildRun: Sendable {
    public var statistics: Statistics?
    public var crash: Crash?
    /// Indices the child got through, the crashing one included.
    public var processed: Int
    /// For a crashed child: the inputs it recorded (ran), the crashing one included; exact where the statistics
    /// are stale.
    public var recorded: Int?
  }

  /// Runs inputs `first ..< first + count` in as many children as crashes require.
  public func run(first: Int, count: Int, onChild: (ChildRun) -> Void) throws {
    let crashFile = FileManager.default.temporaryDirectory
      .appendingPathComponent("kevc-crash-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: crashFile) }
    var next = first
    while next < first + count {
      if let deadline, Date() >= deadline { return }
      try? FileManager.default.removeItem(atPath: crashFile)
      let process = Process()
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments = arguments(next, first + count - next, crashFile)
      var environment = ProcessInfo.processInfo.environment
      environment["SWIFT_BACKTRACE"] = "enable=no"
      process.environment = environment
      let out = Pipe()
      process.standardOutput = out
      if let childStandardError { process.standardError = childStandardError }
      try process.run()
      let data = out.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
      // Lines starting with '#' are the child's notes for the log.
      for line in lines where line.hasPrefix("#") { FileHandle.standardError.write(Data((line + "\n").utf8)) }
      let last = lines.reversed().lazy.compactMap { try? JSONDecoder().decode(Statistics.self, from: Data($0.utf8)) }.first
      if process.terminationReason == .uncaughtSignal {
        guard let (index, recorded, sig, input) = CrashCapture.read(crashFile: crashFile), index >= next else {
          throw SupervisorError("a child died of signal \(process.terminationStatus) without a crash file")
        }
        let crash = Crash(index: index, signal: sig, input: input)
        onChild(ChildRun(statistics: last, crash: crash, processed: index - next + 1, recorded: recorded))
        next = index + 1
      } else {
        guard process.terminationStatus == 0, last != nil else {
          throw SupervisorError("a child exited with status \(process.terminationStatus)")
        }
        onChild(ChildRun(statistics: last, crash: nil, processed: first + count - next, recorded: nil))
        return
      }
    }
  }
}

public struct SupervisorError: Error, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}
