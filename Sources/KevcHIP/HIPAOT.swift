import Foundation
import KevcBasic

/// Ahead-of-time compilation of HIP source for an AMD GPU with no GPU and no ROCm: Debian's clang
/// (`$KEVC_HIP_CLANG`, default `clang++-19`) with `-x hip --offload-arch=ARCH --cuda-device-only -nogpulib
/// -nogpuinc` and the portability header `kevc_hip.h`. Each error clang reports (`k.hip:4:32: error: ...`) becomes
/// a located diagnostic in the source. `-S` gives the assembly (kept as a golden for a few kernels).
public enum HIPAOT {
  public static var clang: String {
    ProcessInfo.processInfo.environment["KEVC_HIP_CLANG"].flatMap { $0.isEmpty ? nil : $0 } ?? "clang++-19"
  }

  /// The AMDGPU linker: `$KEVC_HIP_LD`, else Debian's lld-19 when installed (another `lld` earlier on the PATH,
  /// such as the Swift toolchain's, does not know the AMDGPU options), else clang's choice.
  public static var linker: String? {
    if let env = ProcessInfo.processInfo.environment["KEVC_HIP_LD"], !env.isEmpty { return env }
    let debian = "/usr/lib/llvm-19/bin/ld.lld"
    return FileManager.default.isExecutableFile(atPath: debian) ? debian : nil
  }

  /// Compiles `source` (written to `path`) for `arch` (`gfx942`); returns the assembly when `assembly` is set, else
  /// the empty string. Throws the compiler's errors as diagnostics located in `path`.
  public static func compile(source: String, path: String, arch: String, assembly: Bool = false) throws(DiagnosticError)
    -> String
  {
    let here = SourceLocation(file: "kevc", line: 0, column: 0)
    guard let include = PythonPackage.directory().map({ $0 + "/kevc_gpu" }) else {
      throw DiagnosticError(
        .error(DiagnosticID("hip", "aot-unavailable"), "cannot find python/kevc_gpu/kevc_hip.h (set KEVC_PYTHON_DIR)", at: here))
    }
    let fm = FileManager.default
    let output = path + (assembly ? ".s" : ".o")
    defer { try? fm.removeItem(atPath: output) }
    guard fm.createFile(atPath: path, contents: Data(source.utf8)) else {
      throw DiagnosticError(.error(DiagnosticID("hip", "aot-unavailable"), "cannot write \(path)", at: here))
    }
    let arguments = [
      "-x", "hip", "--offload-arch=\(arch)", "--cuda-device-only", "--no-gpu-bundle-output", "-nogpulib",
      "-nogpuinc", "-O3", "-cuid=kevc", "-DKEVC_DEVICE_ONLY", "-I", include, assembly ? "-S" : "-c", path, "-o", output,
    ] + (linker.map { ["--ld-path=\($0)"] } ?? [])
    let (status, text): (Int32, String)
    do {
      (status, text) = try ChildProcesses.run(clang, arguments, capture: .standardError)
    } catch {
      throw DiagnosticError(
        .error(DiagnosticID("hip", "aot-unavailable"), "cannot run \(clang): \(error.localizedDescription)", at: here))
    }
    if status != 0 {
      var problems: [Diagnostic] = []
      for line in text.split(separator: "\n") {
        // file:line:col: error: message
        let parts = line.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[3].trimmingCharacters(in: .whitespaces) == "error",
          let l = Int(parts[1]), let c = Int(parts[2])
        else { continue }
        let message = parts[4].trimmingCharacters(in: .whitespaces)
        problems.append(
          .error(
            DiagnosticID("hip", "aot-error"), "\(clang) for \(arch): \(message)",
            at: SourceLocation(file: String(parts[0]), line: l, column: c)))
      }
      if problems.isEmpty {
        let last = text.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
        if text.contains("No such file") || status == 127 {
          throw DiagnosticError(.error(DiagnosticID("hip", "aot-unavailable"), "cannot run \(clang): \(last)", at: here))
        }
        problems.append(.error(DiagnosticID("hip", "aot-error"), "\(clang) for \(arch): \(last)", at: SourceLocation(file: path, line: 1, column: 1)))
      }
      throw DiagnosticError(problems)
    }
    guard assembly else { return "" }
    return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
  }
}
