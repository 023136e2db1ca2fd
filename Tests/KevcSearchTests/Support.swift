import Foundation
import KevcBasic

/// Paths of the repository and of the built `kevc` executable (SwiftPM puts the test bundle next to it), and a
/// fresh temporary folder per test.
enum Paths {
  static let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func inRepository(_ relative: String) -> URL { repository.appendingPathComponent(relative) }

  static var kevc: URL {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("kevc")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    return inRepository(".build/debug/kevc")
  }

  static func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-search-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  static func text(_ relative: String) throws -> String {
    try String(contentsOf: inRepository(relative), encoding: .utf8)
  }
}

/// Runs kevc to completion and returns (status, stdout, stderr); output goes through files, not pipes.
func runKevc(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> (Int32, String, String) {
  let process = Process()
  process.executableURL = Paths.kevc
  process.arguments = arguments
  process.currentDirectoryURL = directory
  var env = ProcessInfo.processInfo.environment
  env.removeValue(forKey: "KEVC_DB")
  for (k, v) in environment { env[k] = v }
  process.environment = env
  let out = directory.appendingPathComponent("stdout-\(UUID().uuidString).txt")
  let err = directory.appendingPathComponent("stderr-\(UUID().uuidString).txt")
  _ = FileManager.default.createFile(atPath: out.path, contents: nil)
  _ = FileManager.default.createFile(atPath: err.path, contents: nil)
  process.standardOutput = try FileHandle(forWritingTo: out)
  process.standardError = try FileHandle(forWritingTo: err)
  process.standardInput = FileHandle.nullDevice
  try ChildProcesses.start(process)
  process.waitUntilExit()
  return (
    process.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "",
    (try? String(contentsOf: err, encoding: .utf8)) ?? ""
  )
}
