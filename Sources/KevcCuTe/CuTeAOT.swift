import Foundation
import KevcBasic

/// Ahead-of-time compilation of a CuTe DSL module with no GPU: `python3 -m kevc_gpu.cute_aot MODULE --arch ARCH`
/// (python/kevc_gpu/cute_aot.py) calls the module's `compile_aot` (cute.compile with fake tensors); a DSL error
/// becomes a diagnostic located in the module (`kevc.cute.aot-error`).
public enum CuTeAOT {
  public static func compile(module: String, path: String, archs: [String], origin: String) throws(DiagnosticError) {
    let here = SourceLocation(file: "kevc", line: 0, column: 0)
    guard let dir = PythonPackage.directory() else {
      throw DiagnosticError(
        .error(DiagnosticID("cute", "aot-unavailable"), "cannot find python/kevc_gpu (set KEVC_PYTHON_DIR)", at: here))
    }
    guard FileManager.default.createFile(atPath: path, contents: Data(module.utf8)) else {
      throw DiagnosticError(.error(DiagnosticID("cute", "aot-unavailable"), "cannot write \(path)", at: here))
    }
    let python = ProcessInfo.processInfo.environment["KEVC_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
    var problems: [Diagnostic] = []
    for arch in archs {
      var env = ProcessInfo.processInfo.environment
      env["PYTHONPATH"] = dir + (env["PYTHONPATH"].map { ":" + $0 } ?? "")
      env["PYTHONDONTWRITEBYTECODE"] = "1"
      let output: String
      do {
        output = try ChildProcesses.run(
          python, ["-m", "kevc_gpu.cute_aot", path, "--arch", arch], environment: env, capture: .standardOutput
        ).output
      } catch {
        throw DiagnosticError(
          .error(DiagnosticID("cute", "aot-unavailable"), "cannot run \(python): \(error.localizedDescription)", at: here))
      }
      let lines = output.split(separator: "\n")
      guard let last = lines.last,
        let json = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
      else {
        throw DiagnosticError(
          .error(
            DiagnosticID("cute", "aot-unavailable"),
            "ahead-of-time compilation did not run (\(python) -m kevc_gpu.cute_aot; is nvidia-cutlass-dsl installed?)",
            at: here))
      }
      if json["ok"] as? Bool == true { continue }
      var message = (json["error"] as? String) ?? "unknown error"
      while message.hasSuffix(".") { message.removeLast() }
      problems.append(
        .error(
          DiagnosticID("cute", "aot-error"), "cute.compile for \(arch) (generated from \(origin)): \(message)",
          at: SourceLocation(file: path, line: json["line"] as? Int ?? 1, column: json["column"] as? Int ?? 1)))
    }
    if !problems.isEmpty { throw DiagnosticError(problems) }
  }
}
