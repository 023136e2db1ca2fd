import Foundation

/// Where kevc's Python package `kevc_gpu` (the GPU harness, the ahead-of-time checkers, the HIP portability header
/// `kevc_hip.h`) lives: `$KEVC_PYTHONPATH`, else `python/` of the repository, found from the working directory, the
/// executable or this source file.
public enum PythonPackage {
  public static func directory() -> String? {
    let fm = FileManager.default
    if let env = ProcessInfo.processInfo.environment["KEVC_PYTHONPATH"], !env.isEmpty { return env }
    var starts: [URL] = [URL(fileURLWithPath: fm.currentDirectoryPath)]
    if let exe = CommandLine.arguments.first {
      starts.append(URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent())
    }
    starts.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent())
    for start in starts {
      var dir = start.standardizedFileURL
      for _ in 0..<8 {
        let candidate = dir.appendingPathComponent("python")
        if fm.fileExists(atPath: candidate.appendingPathComponent("kevc_gpu/aot.py").path) { return candidate.path }
        let parent = dir.deletingLastPathComponent()
        if parent.path == dir.path { break }
        dir = parent
      }
    }
    return nil
  }
}
