/// Runs candidates in separate worker processes (`kevc worker`), at most `jobs` at a time, each with a time limit.
///
/// The request goes to the worker's standard input from a file and its result comes back through a file (no pipes
/// to fill up). A worker that exits by a signal or with a non-zero status is a `crash`, one that outlives its limit
/// is killed (SIGKILL) and is a `timeout`, and one whose output does not decode is a `crash` with the garbage
/// quoted: nothing a candidate does can stop the search.
import Foundation

public final class WorkerPool {
  public let executable: URL
  public let arguments: [String]
  public let timeout: Double
  let scratch: URL
  private var running: [Int: Running] = [:]

  struct Running {
    var process: Process
    var started: Date
    var output: URL
    var errors: URL
    var input: URL
  }

  public init(executable: URL, arguments: [String] = ["worker"], timeout: Double) throws {
    self.executable = executable
    self.arguments = arguments
    self.timeout = timeout
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
      "kevc-workers-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  }

  deinit {
    killAll()
    try? FileManager.default.removeItem(at: scratch)
  }

  public var inFlight: Int { running.count }
  public var inFlightIDs: [Int] { running.keys.sorted() }

  /// Starts a worker on `request` under the caller's `id`.
  public func launch(id: Int, request: WorkerRequest) throws {
    let input = scratch.appendingPathComponent("request-\(id).json")
    let output = scratch.appendingPathComponent("result-\(id).json")
    let errors = scratch.appendingPathComponent("stderr-\(id).txt")
    try JSONEncoder().encode(request).write(to: input)
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.standardInput = try FileHandle(forReadingFrom: input)
    process.standardOutput = try FileHandle(forWritingTo: output)
    process.standardError = try FileHandle(forWritingTo: errors)
    try process.run()
    running[id] = Running(process: process, started: Date(), output: output, errors: errors, input: input)
  }

  /// Results of the workers that finished (or were killed for their time limit) since the last call.
  public func poll() -> [(id: Int, result: WorkerResult)] {
    var done: [(Int, WorkerResult)] = []
    for (id, r) in running {
      let elapsed = Date().timeIntervalSince(r.started)
      if r.process.isRunning {
        guard elapsed > timeout else { continue }
        kill(r.process.processIdentifier, SIGKILL)
        r.process.waitUntilExit()
        done.append((id, WorkerResult(status: .timeout, error: "no result after \(Int(timeout)) s; killed", seconds: elapsed)))
      } else {
        done.append((id, classify(r, elapsed: elapsed)))
      }
      cleanUp(r)
    }
    for (id, _) in done { running[id] = nil }
    return done.sorted { $0.0 < $1.0 }
  }

  func classify(_ r: Running, elapsed: Double) -> WorkerResult {
    let stderrTail = tail((try? Data(contentsOf: r.errors)).map { String(decoding: $0, as: UTF8.self) } ?? "")
    if r.process.terminationReason == .uncaughtSignal {
      let signal = r.process.terminationStatus
      return WorkerResult(
        status: .crash, error: "worker killed by signal \(signal)\(stderrTail.isEmpty ? "" : ": \(stderrTail)")",
        seconds: elapsed)
    }
    if r.process.terminationStatus != 0 {
      return WorkerResult(
        status: .crash, error: "worker exited with status \(r.process.terminationStatus): \(stderrTail)",
        seconds: elapsed)
    }
    let data = (try? Data(contentsOf: r.output)) ?? Data()
    if let result = try? JSONDecoder().decode(WorkerResult.self, from: data) { return result }
    let text = String(decoding: data.prefix(200), as: UTF8.self).unicodeScalars
      .map { $0.isASCII && $0.value >= 32 ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
    return WorkerResult(status: .crash, error: "worker wrote no valid result: '\(text)'", seconds: elapsed)
  }

  func tail(_ s: String) -> String {
    let lines = s.split(separator: "\n").suffix(3).joined(separator: " | ")
    return String(lines.suffix(400))
  }

  func cleanUp(_ r: Running) {
    for u in [r.input, r.output, r.errors] { try? FileManager.default.removeItem(at: u) }
  }

  /// Kills every worker still running; their results are discarded.
  public func killAll() {
    for (_, r) in running {
      if r.process.isRunning {
        kill(r.process.processIdentifier, SIGKILL)
        r.process.waitUntilExit()
      }
      cleanUp(r)
    }
    running.removeAll()
  }
}
