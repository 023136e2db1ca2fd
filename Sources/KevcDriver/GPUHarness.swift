import Foundation
import KevcBasic
import KevcTriton

/// Runs kevc's Python GPU evaluation harness (`python3 -m kevc_gpu run`, python/kevc_gpu) on a kernel module and
/// its torch reference module, and renders the JSON summary it prints the way `kevc run` prints CPU results.
///
/// The modules are written to a fresh temporary folder; the harness runs each candidate in its own worker process
/// (docs/gpu-harness.md). `kevc_gpu` is found by `PythonHarness` ($KEVC_PYTHON_DIR, else relative to the executable).
public enum GPUHarness {
  public struct Options: Sendable {
    public var trials: Int
    public var timingCalls: Int
    public var timeout: Double
    public var seed: UInt64?
    public var python: String
    /// Calls of the reference module's eager path timed for the report (0: none; the search never needs them).
    public var eagerCalls: Int
    /// The target the modules were emitted for, as the summary names it (triton, hip, cute).
    public var targetLabel = "triton"
    /// The device lock shared by concurrent evaluations (python/kevc_gpu/device_lock.py): their checks overlap,
    /// their timings own the GPU. Nil: this evaluation is alone on the GPU.
    public var deviceLock: String?
    /// All cases in one worker process (the shapes of one candidate): one Python, torch and CUDA start-up instead
    /// of one per case; a case that crashes or hangs fails the cases after it.
    public var oneWorker: Bool
    /// At most this many seconds of timed calls (and their warm-up): a kernel too slow for timingCalls of them in
    /// that time gets fewer (at least 3). Nil: always timingCalls.
    public var timingSeconds: Double?
    /// A file the GPU worker creates while it waits for the device lock and removes once it holds it
    /// (`$KEVC_WAIT_MARKER`): the search's worker pool does not count that wait against the candidate's timeout.
    public var waitMarker: String?
    /// Reference outputs from the harness's cache, computed once per (reference module, trial seed)
    /// (`--reuse-references`); a candidate timed faster than `freshIfFasterThan` seconds gets one fresh-seed trial.
    public var reuseReferences: Bool
    public var freshIfFasterThan: Double?
    /// A warm-worker server's socket (`python3 -m kevc_gpu serve`, `HarnessServer`): the candidate runs in one of its
    /// persistent workers instead of a new Python process (`--server`).
    public var server: String?
    /// A baseline kernel module (same signature as the first case) timed beside it, interleaved
    /// (`--baseline-kernel`): the summary's `baseline_timing`.
    public var baselineModule: String?
    /// Adaptive timing (docs/gpu-harness.md): stop the timed calls once the median's ~95% confidence interval is
    /// within this fraction of it (`--timing-ci`), and once the candidate is clearly slower than `incumbentSeconds`
    /// (the best median so far: its fastest call after 3 is more than 2x it, `--incumbent-s`). Nil: a fixed count.
    public var timingCI: Double?
    public var incumbentSeconds: Double?
    /// Racing (`--race`, with `incumbentSeconds`): the timed case is timed first, after one sanity launch, and a
    /// candidate whose median is more than the slower factor (2x) times the incumbent is `slower_unchecked` (timed,
    /// not checked); any other gets every check after its timing (docs/gpu-harness.md, "Racing").
    public var race: Bool = false
    /// The roofline measures the workload's bytes and flops (the reference's `measured_cost`, about as long again as
    /// the float64 reference) only when the case's reference took at most this many seconds, else the static
    /// `COST` stands (`--cost-limit-s`; nil: always measured).
    public var costLimitSeconds: Double?

    public init(
      trials: Int = 5, timingCalls: Int = 50, timeout: Double = 120, seed: UInt64? = nil, python: String = "python3",
      eagerCalls: Int = 10, deviceLock: String? = nil, oneWorker: Bool = false, timingSeconds: Double? = nil,
      waitMarker: String? = nil, reuseReferences: Bool = false,
      freshIfFasterThan: Double? = nil, server: String? = nil, baselineModule: String? = nil,
      timingCI: Double? = nil, incumbentSeconds: Double? = nil, race: Bool = false
    ) {
      self.race = race
      self.timingCI = timingCI
      self.incumbentSeconds = incumbentSeconds
      self.baselineModule = baselineModule
      self.server = server
      self.reuseReferences = reuseReferences
      self.freshIfFasterThan = freshIfFasterThan
      self.waitMarker = waitMarker
      self.timingSeconds = timingSeconds
      self.oneWorker = oneWorker
      self.trials = trials
      self.timingCalls = timingCalls
      self.timeout = timeout
      self.seed = seed
      self.python = python
      self.eagerCalls = eagerCalls
      self.deviceLock = deviceLock
    }
  }

  public struct Outcome: Sendable {
    /// ok, flagged, wrong, nan, compile_error, timeout, crash, error.
    public var status: String
    public var json: String
    public var text: String
  }

  static func ioError(_ m: String) -> DiagnosticError {
    DiagnosticError(.error(DiagnosticID("driver", "gpu-harness"), m, at: SourceLocation(file: "kevc", line: 0, column: 0)))
  }

  /// The folder holding `kevc_gpu`, or nil (`PythonHarness`).
  public static func pythonDirectory() -> String? { PythonHarness.directory() }

  /// One (kernel module, reference module) pair at one shape; the harness times the first case only.
  public struct Case: Sendable {
    public var kernelModule: String
    public var referenceModule: String
    public var label: String
    /// The declared device-memory footprint and reference plan (`EvaluationFootprint.planJSON`, `--footprint`):
    /// whole, in slices of so many elements, or too large (harness_error). Nil: the reference whole.
    public var footprint: String?

    public init(kernelModule: String, referenceModule: String, label: String, footprint: String? = nil) {
      self.kernelModule = kernelModule
      self.referenceModule = referenceModule
      self.label = label
      self.footprint = footprint
    }
  }

  /// Writes both modules, runs the harness and returns its status, raw JSON and the rendered summary.
  public static func run(
    kernelModule: String, referenceModule: String, kernelName: String, shapeLabel: String, options: Options
  ) throws(DiagnosticError) -> Outcome {
    try run(
      cases: [Case(kernelModule: kernelModule, referenceModule: referenceModule, label: shapeLabel)],
      kernelName: kernelName, options: options)
  }

  /// Writes every case's modules, runs the harness on all of them (each case in its own worker process, the first
  /// one timed) and returns the worst status, the raw JSON and the rendered summary.
  public static func run(cases: [Case], kernelName: String, options: Options) throws(DiagnosticError) -> Outcome {
    guard let pythonDir = pythonDirectory() else {
      throw ioError("cannot find kevc_gpu: \(PythonHarness.hint)")
    }
    guard !cases.isEmpty else { throw ioError("no case to evaluate") }
    let fm = FileManager.default
    let folder = fm.temporaryDirectory.appendingPathComponent("kevc-gpu-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    do { try fm.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
      throw ioError("cannot create '\(folder.path)'")
    }
    defer { try? fm.removeItem(at: folder) }
    var args = ["-m", "kevc_gpu", "run"]
    for (i, c) in cases.enumerated() {
      let kernelPath = folder.appendingPathComponent("\(safe(kernelName))_\(i)_triton.py").path
      let referencePath = folder.appendingPathComponent("\(safe(kernelName))_\(i)_ref.py").path
      guard fm.createFile(atPath: kernelPath, contents: Data(c.kernelModule.utf8)),
        fm.createFile(atPath: referencePath, contents: Data(c.referenceModule.utf8))
      else { throw ioError("cannot write the modules to '\(folder.path)'") }
      args += ["--kernel", kernelPath, "--reference", referencePath, "--shape-label", c.label]
      if cases.contains(where: { $0.footprint != nil }) { args += ["--footprint", c.footprint ?? "{}"] }
    }
    args += [
      "--trials", String(options.trials), "--timing-calls", String(options.timingCalls),
      "--timeout", String(options.timeout), "--eager-calls", String(max(0, options.eagerCalls)),
    ]
    if let baseline = options.baselineModule {
      let path = folder.appendingPathComponent("\(safe(kernelName))_baseline_triton.py").path
      guard fm.createFile(atPath: path, contents: Data(baseline.utf8)) else {
        throw ioError("cannot write the modules to '\(folder.path)'")
      }
      args += ["--baseline-kernel", path]
    }
    if options.oneWorker && cases.count > 1 { args.append("--one-worker") }
    if let s = options.seed { args += ["--seed", String(s)] }
    if let t = options.timingSeconds { args += ["--timing-seconds", String(t)] }
    if options.reuseReferences { args.append("--reuse-references") }
    if let server = options.server { args += ["--server", server] }
    if let f = options.freshIfFasterThan, f.isFinite, f > 0 { args += ["--fresh-if-faster-than", String(f)] }
    if let c = options.timingCI, c.isFinite, c > 0 { args += ["--timing-ci", String(c)] }
    if let b = options.incumbentSeconds, b.isFinite, b > 0 {
      args += ["--incumbent-s", String(b)]
      if options.race { args.append("--race") }
    }
    if let c = options.costLimitSeconds, c.isFinite, c >= 0 { args += ["--cost-limit-s", String(c)] }
    let shapeLabel = cases[0].label
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [options.python] + args
    var env = ProcessInfo.processInfo.environment
    env["PYTHONPATH"] = pythonDir + (env["PYTHONPATH"].map { ":" + $0 } ?? "")
    if let lock = options.deviceLock { env["KEVC_GPU_LOCK"] = lock }
    if let marker = options.waitMarker { env["KEVC_WAIT_MARKER"] = marker }
    process.environment = env
    let out = Pipe()
    let errPath = folder.appendingPathComponent("stderr.txt").path
    fm.createFile(atPath: errPath, contents: nil)
    guard let errHandle = FileHandle(forWritingAtPath: errPath) else { throw ioError("cannot write '\(errPath)'") }
    defer { try? errHandle.close() }
    process.standardOutput = out
    process.standardError = errHandle
    do { try ChildProcesses.start(process) } catch { throw ioError("cannot start \(options.python): \(error.localizedDescription)") }
    // Standard error goes to a file and standard output is read to its end before waiting, so no pipe fills up.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errData = fm.contents(atPath: errPath) ?? Data()
    let json = String(decoding: outData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
      let status = object["status"] as? String
    else {
      let tail = String(decoding: errData.suffix(2000), as: UTF8.self)
      throw ioError("the GPU harness printed no result (exit status \(process.terminationStatus)): \(tail)")
    }
    return Outcome(status: status, json: json, text: render(object, kernelName: kernelName, shapeLabel: shapeLabel, target: options.targetLabel))
  }

  /// `python3 -m kevc_gpu ARGS` with python/ on PYTHONPATH, not started; nil when python/kevc_gpu is not found.
  public static func harnessProcess(_ arguments: [String], python: String = "python3") -> Process? {
    guard let pythonDir = pythonDirectory() else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, "-m", "kevc_gpu"] + arguments
    var env = ProcessInfo.processInfo.environment
    env["PYTHONPATH"] = pythonDir + (env["PYTHONPATH"].map { ":" + $0 } ?? "")
    process.environment = env
    return process
  }

  /// The devices the harness sees (`python3 -m kevc_gpu devices`: index, name, total bytes; `$KEVC_SIMULATED_DEVICES`
  /// simulated ones on the CPU), or nil when the query fails.
  public static func devices(python: String = "python3") -> [(index: Int, name: String, totalBytes: Int)]? {
    guard let process = harnessProcess(["devices"], python: python) else { return nil }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    do { try ChildProcesses.start(process) } catch { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
      let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let list = o["devices"] as? [[String: Any]]
    else { return nil }
    return list.compactMap { d in
      guard let i = number(d["index"]), let b = number(d["total_bytes"]) else { return nil }
      return (Int(i), d["name"] as? String ?? "?", Int(b))
    }
  }

  /// The device memory a search's evaluations may hold together on one device: the smallest device's memory less a
  /// margin of 10% (at least 1 GiB) for the CUDA context, Triton's compiler and fragmentation; nil when unknown.
  public static func deviceMemoryBudget(totalBytes: [Int]) -> Int? {
    guard let smallest = totalBytes.min(), smallest > 0 else { return nil }
    return max(smallest / 2, smallest - max(1 << 30, smallest / 10))
  }

  static func safe(_ s: String) -> String {
    String(s.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? Character($0) : "_" })
  }

  /// A number from the harness's JSON (non-finite values come as strings: "inf", "nan").
  public static func number(_ v: Any?) -> Double? {
    if let d = v as? Double { return d }
    if let i = v as? Int { return Double(i) }
    if let s = v as? String { return Double(s) }
    return nil
  }

  /// A passing result whose bound the dtype's own error widened (python/kevc_gpu/tolerance.py, widening): said, so
  /// that a pass on an ill-conditioned input is never read as a pass at the plain tolerance.
  static func widened(_ factor: Double?) -> String {
    guard let factor, factor > 1 else { return "" }
    return " (within \(String(format: "%.3g", factor))x the tolerance: the dtype's own error on this input)"
  }

  /// The summary `kevc run --target triton|hip|cute` prints.
  public static func render(_ o: [String: Any], kernelName: String, shapeLabel: String, target: String = "triton") -> String {
    var lines = ["kernel \(kernelName) [\(shapeLabel)] on \(target)"]
    let cases = o["cases"] as? [[String: Any]] ?? []
    for c in cases {
      for (i, t) in (c["trials"] as? [[String: Any]] ?? []).enumerated() {
        let results = (t["results"] as? [String: [String: Any]] ?? [:]).sorted { $0.key < $1.key }.map { name, r in
          "\(name): max abs \(fmt(number(r["max_abs"]))) rel \(fmt(number(r["max_rel"])))"
            + ((r["passed"] as? Bool ?? false)
              ? widened(number(r["widening"])) : " FAIL (\(r["reason"] as? String ?? ""))")
        }.joined(separator: "; ")
        let seed = t["seed"].map { "\($0)" } ?? "?"
        lines.append("  trial \(i + 1) \(t["distribution"] as? String ?? "?") seed \(seed): \(results)")
      }
      for note in c["notes"] as? [String] ?? [] { lines.append("  note: \(note)") }
    }
    if let t = o["timing"] as? [String: Any], let m = number(t["median_s"]) {
      lines.append(
        "time per call: \(time(m)) (median of \(t["calls"] ?? "?"); IQR \(time(number(t["iqr_s"]) ?? 0)), "
          + "min \(time(number(t["min_s"]) ?? 0)), max \(time(number(t["max_s"]) ?? 0)))")
      if let e = o["eager"] as? [String: Any], let em = number(e["median_s"]) {
        lines.append("pytorch eager (reference module in the spec's dtypes): \(time(em)) (\(String(format: "%.2f", em / m))x)")
      }
      if let r = o["roofline"] as? [String: Any], let floor = number(r["floor_s"]) {
        let bound = r["bound"] as? String ?? "?"
        lines.append(
          "roofline floor: \(time(floor)) (\(bound)-bound; \(Int(number(r["bytes"]) ?? 0)) bytes, "
            + "\(Int(number(r["flops"]) ?? 0)) flops): \(String(format: "%.0f", 100 * floor / m))% of the floor")
      }
    }
    for f in o["flags"] as? [String] ?? [] { lines.append("flag: \(f)") }
    let status = o["status"] as? String ?? "error"
    let reason = o["reason"] as? String ?? ""
    switch status {
    case "ok": lines.append("PASS")
    case "flagged": lines.append("FLAGGED (\(reason))")
    default: lines.append("FAIL: \(status)" + (reason.isEmpty ? "" : " (\(reason))"))
    }
    return lines.joined(separator: "\n")
  }

  static func fmt(_ x: Double?) -> String { x.map { String(format: "%.3g", $0) } ?? "?" }

  static func time(_ s: Double) -> String {
    if s < 1e-3 { return String(format: "%.2f us", s * 1e6) }
    if s < 1 { return String(format: "%.3f ms", s * 1e3) }
    return String(format: "%.3f s", s)
  }
}
