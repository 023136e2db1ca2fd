import Foundation
import KevcBasic

/// Deployable artifacts of a generated Triton module, built with no GPU by `python3 -m kevc_gpu.artifacts`
/// (python/kevc_gpu/artifacts.py): the compiled kernel (`cubin` for cuda, `hsaco` for hip), a C launcher over the
/// CUDA driver API with its header, and a PyTorch custom-op module. Triton's errors become diagnostics
/// `kevc.triton.artifact-error`.
public enum TritonArtifacts {
  public struct Request: Sendable {
    public var cubin: String?
    public var hsaco: String?
    public var launcher: String?
    public var torch = false
    /// The header's file name as the launcher includes it (the output stem's `.h`).
    public var include: String?

    public init(cubin: String? = nil, hsaco: String? = nil, launcher: String? = nil, torch: Bool = false) {
      self.cubin = cubin
      self.hsaco = hsaco
      self.launcher = launcher
      self.torch = torch
    }
  }

  /// The artifacts by kind (`cubin`, `hsaco`, `header`, `launcher`, `torch`) for the module text, exported as `name`.
  public static func build(module: String, name: String, _ request: Request) throws(DiagnosticError) -> [String: Data] {
    let here = SourceLocation(file: "kevc", line: 0, column: 0)
    let id = DiagnosticID("triton", "artifact-error")
    guard let dir = PythonHarness.directory() else {
      throw DiagnosticError(.error(id, "cannot find kevc_gpu/artifacts.py: \(PythonHarness.hint)", at: here))
    }
    let fm = FileManager.default
    let folder = fm.temporaryDirectory.appendingPathComponent(
      "kevc-artifacts-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    do { try fm.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
      throw DiagnosticError(.error(id, "cannot create '\(folder.path)'", at: here))
    }
    defer { try? fm.removeItem(at: folder) }
    let modulePath = folder.appendingPathComponent("\(name)_triton.py").path
    guard fm.createFile(atPath: modulePath, contents: Data(module.utf8)) else {
      throw DiagnosticError(.error(id, "cannot write '\(modulePath)'", at: here))
    }
    let out = folder.appendingPathComponent("out").path
    var arguments = [modulePath, "--name", name, "--out", out]
    if let t = request.cubin { arguments += ["--cubin", t] }
    if let t = request.hsaco { arguments += ["--hsaco", t] }
    if let t = request.launcher { arguments += ["--launcher", t] }
    if request.torch { arguments.append("--torch") }
    if let include = request.include { arguments += ["--include", include] }
    let run = try PythonHarness.run(
      module: "kevc_gpu.artifacts", arguments, directory: dir, python: TritonAOT.python, failure: id)
    let reply = String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    let json = (try? JSONSerialization.jsonObject(with: Data(reply.utf8))) as? [String: Any]
    guard run.status == 0, json?["ok"] as? Bool == true else {
      let reason =
        json?["error"] as? String
        ?? String(decoding: run.stderr.suffix(2000), as: UTF8.self).split(separator: "\n").last.map(String.init)
        ?? "no output"
      throw DiagnosticError(.error(id, "building GPU artifacts failed (\(TritonAOT.python) -m kevc_gpu.artifacts): \(reason)", at: here))
    }
    var artifacts: [String: Data] = [:]
    let files = [
      ("cubin", "\(name).cubin"), ("hsaco", "\(name).hsaco"), ("header", "\(name).h"), ("launcher", "\(name).launcher.c"),
      ("torch", "\(name)_torch.py"),
    ]
    for (kind, file) in files {
      if let data = fm.contents(atPath: (out as NSString).appendingPathComponent(file)) { artifacts[kind] = data }
    }
    return artifacts
  }
}
