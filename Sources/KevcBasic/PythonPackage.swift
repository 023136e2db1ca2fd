import Foundation

/// Where kevc's Python side (`kevc_gpu`: the ahead-of-time compilers, the GPU harness, the artifact builders, the HIP
/// portability header `kevc_hip.h`) lives.
///
/// One variable, `KEVC_PYTHON_DIR` (the folder that holds `kevc_gpu/`), overrides the search. Without it, the folder
/// is found relative to the running executable (`/proc/self/exe`, so a kevc run from the PATH finds it too):
/// `<prefix>/share/kevc/python` of an installed kevc (`<prefix>/bin/kevc`), else a `python/` folder above the
/// executable (a build inside the repository: `.build/release/kevc`), else above the working directory.
public enum PythonPackage {
  public static let variable = "KEVC_PYTHON_DIR"

  /// The folder holding `kevc_gpu`, or nil.
  public static func directory() -> String? {
    let fm = FileManager.default
    if let env = ProcessInfo.processInfo.environment[variable], !env.isEmpty { return env }
    func holdsHarness(_ dir: URL) -> Bool {
      fm.fileExists(atPath: dir.appendingPathComponent("kevc_gpu/__main__.py").path)
    }
    var starts: [URL] = []
    if let exe = executable() {
      let bin = exe.deletingLastPathComponent()
      let installed = bin.deletingLastPathComponent().appendingPathComponent("share/kevc/python")
      if holdsHarness(installed) { return installed.path }
      starts.append(bin)
    }
    starts.append(URL(fileURLWithPath: fm.currentDirectoryPath))
    for start in starts {
      var dir = start.standardizedFileURL
      for _ in 0..<8 {
        let candidate = dir.appendingPathComponent("python")
        if holdsHarness(candidate) { return candidate.path }
        let parent = dir.deletingLastPathComponent()
        if parent.path == dir.path { break }
        dir = parent
      }
    }
    return nil
  }

  /// The running executable, links resolved: `/proc/self/exe` where there is one, else `argv[0]`.
  static func executable() -> URL? {
    var buffer = [CChar](repeating: 0, count: 4097)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if n > 0 {
      return URL(fileURLWithPath: String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    guard let first = CommandLine.arguments.first, first.contains("/") else { return nil }
    return URL(fileURLWithPath: first).resolvingSymlinksInPath()
  }

}
