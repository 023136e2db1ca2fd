import Foundation
import KevcBasic

/// Locations of the repository's corpora and of the built `kevc` executable, found from this file's path and the
/// test runner's own location (SwiftPM puts the test bundle next to the executables it built).
enum Paths {
  static let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func inRepository(_ relative: String) -> URL { repository.appendingPathComponent(relative) }

  static func files(in folder: String, withExtension ext: String) -> [URL] {
    let dir = inRepository(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(".\(ext)") }.sorted().map { dir.appendingPathComponent($0) }
  }

  /// The `kevc` binary built alongside the tests.
  static var kevc: URL {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("kevc")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    return inRepository(".build/debug/kevc")
  }
}

/// The outcome of running the `kevc` executable.
struct ProcessResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs `kevc` with arguments and optional standard input, in `directory`, with `environment` added to this
/// process's.
func runKevc(
  _ arguments: [String], stdin: String? = nil, in directory: URL? = nil, environment: [String: String] = [:]
) throws -> ProcessResult {
  try runProgram(Paths.kevc, arguments, stdin: stdin, in: directory, environment: environment)
}

/// Runs any program (a path, or a name looked up on the PATH through /usr/bin/env) the way `runKevc` runs kevc.
func runProgram(
  _ program: URL, _ arguments: [String], stdin: String? = nil, in directory: URL? = nil,
  environment: [String: String] = [:]
) throws -> ProcessResult {
  let process = Process()
  process.executableURL = program
  process.arguments = arguments
  process.currentDirectoryURL = directory ?? Paths.repository
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
  }
  let out = Pipe()
  let err = Pipe()
  let input = Pipe()
  process.standardOutput = out
  process.standardError = err
  process.standardInput = input
  try ChildProcesses.start(process)
  if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
  try input.fileHandleForWriting.close()
  // Drain standard error on another thread so that neither pipe can fill up and block the child.
  let errBox = DataBox()
  let group = DispatchGroup()
  group.enter()
  DispatchQueue.global().async {
    errBox.data = err.fileHandleForReading.readDataToEndOfFile()
    group.leave()
  }
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  group.wait()
  let errData = errBox.data
  process.waitUntilExit()
  return ProcessResult(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self))
}

/// Holds bytes written by one thread and read by another after a DispatchGroup wait (which orders the accesses).
private final class DataBox: @unchecked Sendable {
  var data = Data()
}
