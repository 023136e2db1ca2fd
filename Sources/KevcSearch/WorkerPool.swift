/// Runs candidates in separate worker processes (`kevc worker`), at most `jobs` at a time, each with a time limit.
///
/// The request goes to the worker's standard input from a file and its result comes back through a file (no pipes
/// to fill up). Workers are started with `posix_spawn` and reaped with `waitpid` on their pid (`SpawnedChild`), so
/// the pool reads every exit status itself: Foundation's `Process` once missed a killed worker's exit. A worker that exits by a signal or with a non-zero status is a `crash`, one that outlives its limit
/// is killed (SIGKILL) and is a `timeout`, and one whose output does not decode is a `crash` with the garbage
/// quoted: nothing a candidate does can stop the search.
///
/// Time a worker spends waiting for the timing lock (CPU) or the device lock (GPU) never counts against its
/// timeout: while it waits, its wait marker file exists (`WorkerRequest.waitMarker`), and the pool adds the time
/// between polls during which the marker existed to the worker's allowance. The wait is bounded all the same: the
/// holder is killed at its own timeout, and flock(2) locks die with their process.
///
/// Work is admitted by device memory as well as by count: with a `memoryBudget` (the card's memory less a margin),
/// a worker starts only when its declared footprint (`WorkerRequest.deviceFootprint`, `EvaluationFootprint`) fits
/// beside the footprints of those in flight; one that fits nothing runs alone.
///
/// A worker also gets a memory cap (`memoryLimit` bytes of address space, set by the worker on itself before it
/// compiles); a worker that runs out of it is a `crash` whose error starts with `out of memory:` (a resource
/// failure of the candidate, not of the harness).
import Foundation
import KevcBasic

public final class WorkerPool {
  public let executable: URL
  public let arguments: [String]
  public let timeout: Double
  /// Bytes of address space each worker may use; nil: no cap.
  public let memoryLimit: Int?

  /// The default cap: half the machine's physical memory, at least 4 GiB (a worker's own compiler and runtime take
  /// a few hundred MiB of address space; the rest is the candidate's tensors, copies and workspace).
  public static var defaultMemoryLimit: Int {
    max(4 << 30, Int(clamping: ProcessInfo.processInfo.physicalMemory / 2))
  }
  /// Bytes of device memory the evaluations in flight may hold together; nil: admission by count only.
  public var memoryBudget: Int?
  let scratch: URL
  private var running: [Int: Running] = [:]

  struct Running {
    var process: SpawnedChild
    var started: Date
    /// Seconds spent waiting for a lock so far, and when the marker was last looked at.
    var waited: Double = 0
    var lastPoll: Date
    var marker: URL
    var output: URL
    var errors: URL
    var input: URL
    /// The device memory this evaluation declared (0: none).
    var footprint: Int = 0
  }

  /// Device memory declared by the evaluations in flight.
  public var memoryInFlight: Int { EvaluationFootprint.sum(running.values.map(\.footprint)) }

  /// Whether an evaluation declaring `footprint` bytes may start now: always when nothing is in flight (one that
  /// fits nothing runs alone), else when it fits beside the others under `memoryBudget`.
  public func admits(footprint: Int) -> Bool {
    guard let budget = memoryBudget, !running.isEmpty else { return true }
    return EvaluationFootprint.sum([memoryInFlight, footprint]) <= budget
  }

  public init(executable: URL, arguments: [String] = ["worker"], timeout: Double, memoryLimit: Int? = nil) throws {
    self.executable = executable
    self.arguments = arguments
    self.timeout = timeout
    self.memoryLimit = memoryLimit
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
    let marker = scratch.appendingPathComponent("waiting-\(id)")
    var request = request
    request.waitMarker = marker.path
    if request.memoryLimit == nil { request.memoryLimit = memoryLimit }
    // A compile that never ends is reported by the worker itself (`compile_timeout:`) before the pool's kill.
    if request.compileSeconds == nil { request.compileSeconds = timeout * 0.75 }
    let input = scratch.appendingPathComponent("request-\(id).json")
    let output = scratch.appendingPathComponent("result-\(id).json")
    let errors = scratch.appendingPathComponent("stderr-\(id).txt")
    try JSONEncoder().encode(request).write(to: input)
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
    let process = try SpawnedChild.spawn(
      executable: executable.path, arguments: arguments, standardInput: input.path, standardOutput: output.path,
      standardError: errors.path)
    let now = Date()
    running[id] = Running(
      process: process, started: now, lastPoll: now, marker: marker, output: output, errors: errors, input: input,
      footprint: request.deviceFootprint ?? 0)
  }

  /// Results of the workers that finished (or were killed for their time limit) since the last call.
  public func poll() -> [(id: Int, result: WorkerResult)] {
    var done: [(Int, WorkerResult)] = []
    for (id, var r) in running {
      let now = Date()
      let elapsed = now.timeIntervalSince(r.started)
      if FileManager.default.fileExists(atPath: r.marker.path) { r.waited += now.timeIntervalSince(r.lastPoll) }
      r.lastPoll = now
      running[id] = r
      if r.process.isRunning {
        guard elapsed - r.waited > timeout else { continue }
        r.process.killAndWait()
        let waitNote = r.waited >= 1 ? " (not counting \(Int(r.waited)) s waiting for a lock)" : ""
        done.append(
          (id, WorkerResult(
            status: .timeout, error: "no result after \(Int(timeout)) s\(waitNote); killed", seconds: elapsed)))
      } else {
        done.append((id, classify(r, elapsed: elapsed)))
      }
      cleanUp(r)
    }
    for (id, _) in done { running[id] = nil }
    return done.sorted { $0.0 < $1.0 }
  }

  func classify(_ r: Running, elapsed: Double) -> WorkerResult {
    let stderrText = (try? Data(contentsOf: r.errors)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    let stderrTail = tail(stderrText)
    let exit = r.process.poll() ?? .exited(-1)
    if exit != .exited(0),
      let line = stderrText.split(separator: "\n").first(where: { l in Self.outOfMemoryMarks.contains { l.contains($0) } })
    {
      let cap = memoryLimit.map { " (the cap is \($0 >> 20) MiB of address space)" } ?? ""
      return WorkerResult(
        status: .crash, error: "out of memory: the worker ran out of memory\(cap): \(line.prefix(300))",
        seconds: elapsed)
    }
    if case .signaled(let signal) = exit {
      return WorkerResult(
        status: .crash, error: "worker killed by signal \(signal)\(stderrTail.isEmpty ? "" : ": \(stderrTail)")",
        seconds: elapsed)
    }
    if case .exited(let status) = exit, status != 0 {
      return WorkerResult(
        status: .crash, error: "worker exited with status \(status): \(stderrTail)",
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
    for u in [r.input, r.output, r.errors, r.marker] { try? FileManager.default.removeItem(at: u) }
  }

  /// What a process that ran out of its address space says before it dies: the Swift runtime, LLVM, glibc, the
  /// worker's own check (`WorkerMemory`), Python.
  static let outOfMemoryMarks = [
    "failed to allocate", "Could not allocate memory", "LLVM ERROR: out of memory", "std::bad_alloc", "Cannot allocate memory",
    "kevc: worker out of memory", "MemoryError",
  ]

  /// Kills every worker still running; their results are discarded.
  public func killAll() {
    for (_, r) in running {
      r.process.killAndWait()
      cleanUp(r)
    }
    running.removeAll()
  }
}
