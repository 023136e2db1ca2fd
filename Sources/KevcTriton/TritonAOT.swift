import Foundation
import KevcBasic

/// Ahead-of-time compilation of a generated Triton module for GPU targets, with no GPU: runs
/// `python3 -m kevc_gpu.aot MODULE --target ...` (python/kevc_gpu/aot.py) and turns every kernel that Triton
/// rejects into a located diagnostic (`MODULE:line:col: error: ...`) that names the kernel, the target and the
/// origin (spec and schedule) the caller gives.
public enum TritonAOT {
  /// One kernel compiled for one target.
  public struct Outcome: Hashable, Sendable {
    public var module: String
    public var kernel: String?
    public var target: String?
    public var ok: Bool
    public var seconds: Double
    public var error: String?
    public var line: Int?
    public var column: Int?
  }

  /// The folder holding `kevc_gpu` (`$KEVC_PYTHONPATH`, else `python/` of the repository, found from the working
  /// directory, the executable or this source file).
  public static func pythonDirectory() -> String? { PythonPackage.directory() }

  /// The Python interpreter: `$KEVC_PYTHON`, else `python3` on the PATH.
  public static var python: String { ProcessInfo.processInfo.environment["KEVC_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3" }

  /// Compiles every kernel of the modules for the targets (`cuda:90`, `hip:gfx942`), in `jobs` Python processes
  /// running side by side (modules dealt round-robin); outcomes in module order.
  public static func compile(modules: [String], targets: [String], jobs: Int = 1) throws(DiagnosticError) -> [Outcome] {
    let n = max(1, min(jobs, modules.count))
    if n == 1 { return try compileInOneProcess(modules: modules, targets: targets) }
    let batches = (0..<n).map { j in modules.enumerated().filter { $0.offset % n == j }.map(\.element) }
    let box = OutcomeBox(count: n)
    DispatchQueue.concurrentPerform(iterations: n) { j in
      do throws(DiagnosticError) {
        box.set(j, .success(try compileInOneProcess(modules: batches[j], targets: targets)))
      } catch {
        box.set(j, .failure(error))
      }
    }
    var all: [Outcome] = []
    for r in box.results {
      switch r {
      case .success(let o)?: all += o
      case .failure(let e)?: throw e
      case nil: break
      }
    }
    let order = Dictionary(uniqueKeysWithValues: modules.enumerated().map { ($1, $0) })
    return all.enumerated().sorted { a, b in
      let (x, y) = (order[a.element.module] ?? 0, order[b.element.module] ?? 0)
      return x != y ? x < y : a.offset < b.offset
    }.map(\.element)
  }

  static func compileInOneProcess(modules: [String], targets: [String]) throws(DiagnosticError) -> [Outcome] {
    let here = SourceLocation(file: "kevc", line: 0, column: 0)
    guard let dir = pythonDirectory() else {
      throw DiagnosticError(
        .error(DiagnosticID("triton", "aot-unavailable"), "cannot find python/kevc_gpu/aot.py (set KEVC_PYTHONPATH)", at: here))
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, "-m", "kevc_gpu.aot"] + modules + targets.flatMap { ["--target", $0] }
    var env = ProcessInfo.processInfo.environment
    env["PYTHONPATH"] = dir + (env["PYTHONPATH"].map { ":" + $0 } ?? "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do {
      try ChildProcesses.start(process)
    } catch {
      throw DiagnosticError(
        .error(DiagnosticID("triton", "aot-unavailable"), "cannot run \(python): \(error.localizedDescription)", at: here))
    }
    // Read both pipes concurrently so that neither fills up.
    let errBox = DataBox()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errBox.data = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    var outcomes: [Outcome] = []
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
      guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
      outcomes.append(
        Outcome(
          module: json["module"] as? String ?? "", kernel: json["kernel"] as? String, target: json["target"] as? String,
          ok: json["ok"] as? Bool ?? false, seconds: json["seconds"] as? Double ?? 0, error: json["error"] as? String,
          line: json["line"] as? Int, column: json["column"] as? Int))
    }
    if outcomes.isEmpty || (process.terminationStatus == 2) {
      let tail = String(decoding: errBox.data.suffix(2000), as: UTF8.self)
      let reason = outcomes.first?.error ?? tail.split(separator: "\n").last.map(String.init) ?? "no output"
      throw DiagnosticError(
        .error(
          DiagnosticID("triton", "aot-unavailable"),
          "ahead-of-time compilation did not run (\(python) -m kevc_gpu.aot): \(reason.lowercased())", at: here))
    }
    return outcomes
  }

  /// Diagnostics for the failures, located in the module; `origin` says where the module came from.
  public static func diagnostics(_ outcomes: [Outcome], origin: String) -> [Diagnostic] {
    outcomes.filter { !$0.ok }.map { o in
      let loc = SourceLocation(file: o.module, line: o.line ?? 1, column: o.column ?? 1)
      let what = o.kernel.map { "kernel '\($0)'" } ?? "the module"
      let target = o.target.map { " for \($0)" } ?? ""
      var message = o.error ?? "unknown error"
      if let first = message.first, first.isUppercase, !message.hasPrefix("CompilationError") {
        message = message.prefix(1).lowercased() + message.dropFirst()
      }
      while message.hasSuffix(".") { message.removeLast() }
      return Diagnostic.error(
        DiagnosticID("triton", "aot-error"), "triton cannot compile \(what)\(target) (\(origin)): \(message)", at: loc)
    }
  }
}

/// Holds data read on another thread (the process's standard error); read only after the group finished.
private final class DataBox: @unchecked Sendable {
  var data = Data()
}

/// Results of the concurrent batches, one slot per batch, written under a lock.
private final class OutcomeBox: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [Result<[TritonAOT.Outcome], DiagnosticError>?]
  init(count: Int) { slots = Array(repeating: nil, count: count) }
  func set(_ i: Int, _ r: Result<[TritonAOT.Outcome], DiagnosticError>) {
    lock.lock()
    slots[i] = r
    lock.unlock()
  }
  var results: [Result<[TritonAOT.Outcome], DiagnosticError>?] {
    lock.lock()
    defer { lock.unlock() }
    return slots
  }
}
