import Foundation
import KevcBasic

/// Where kevc's Python side (`kevc_gpu`: the ahead-of-time compiler, the GPU harness, the artifact builders) lives.
///
/// One variable, `KEVC_PYTHON_DIR` (the folder that holds `kevc_gpu/`), overrides the search. Without it, the folder
/// is found relative to the running executable (`/proc/self/exe`, so a kevc run from the PATH finds it too):
/// `<prefix>/share/kevc/python` of an installed kevc (`<prefix>/bin/kevc`), else a `python/` folder above the
/// executable (a build inside the repository: `.build/release/kevc`), else above the working directory.
public enum PythonHarness {
  public static let variable = PythonPackage.variable

  /// The folder holding `kevc_gpu`, or nil (`PythonPackage.directory()`).
  public static func directory() -> String? { PythonPackage.directory() }

  /// Runs `python -m MODULE ARGUMENTS` with `directory` (the folder holding kevc_gpu) on the PYTHONPATH, reading
  /// both pipes to the end; a Python that cannot be started is the diagnostic `failure`.
  public static func run(
    module: String, _ arguments: [String], directory: String, python: String, failure: DiagnosticID
  ) throws(DiagnosticError) -> (status: Int32, stdout: Data, stderr: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, "-m", module] + arguments
    var env = ProcessInfo.processInfo.environment
    env["PYTHONPATH"] = directory + (env["PYTHONPATH"].map { ":" + $0 } ?? "")
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
        .error(failure, "cannot run \(python): \(error.localizedDescription)", at: SourceLocation(file: "kevc", line: 0, column: 0)))
    }
    // Read both pipes concurrently so that neither fills up.
    let errBox = PipeBox()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errBox.data = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return (process.terminationStatus, data, errBox.data)
  }

  /// The sentence a "not found" error ends with.
  public static let hint = "set \(variable) to the folder holding kevc_gpu (the repository's python/, or <prefix>/share/kevc/python)"
}

/// Holds bytes written by one thread and read by another after a DispatchGroup wait (which orders the accesses).
private final class PipeBox: @unchecked Sendable {
  var data = Data()
}
