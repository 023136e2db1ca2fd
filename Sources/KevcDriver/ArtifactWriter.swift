import Foundation
import KevcBasic

/// Writes compile artifacts all-or-nothing: each file goes to a temporary name in its destination folder and is
/// renamed into place only after every artifact has been written, so an interrupted or failing run never leaves a
/// half-written output (and never clobbers a previous good one with a partial file).
public struct ArtifactWriter {
  private var pending: [(temporary: String, final: String)] = []

  public init() {}

  public mutating func stage(_ data: Data, at path: String) throws(DiagnosticError) {
    let directory = (path as NSString).deletingLastPathComponent
    let folder = directory.isEmpty ? "." : directory
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw Self.ioError("cannot create directory '\(folder)': \(error.localizedDescription)")
    }
    let name = (path as NSString).lastPathComponent
    let temporary = (folder as NSString).appendingPathComponent(
      ".\(name).kevc-tmp-\(ProcessInfo.processInfo.processIdentifier)")
    guard FileManager.default.createFile(atPath: temporary, contents: data) else {
      discard()
      throw Self.ioError("cannot write '\(path)'")
    }
    pending.append((temporary, path))
  }

  /// Moves every staged file into place.
  public mutating func commit() throws(DiagnosticError) {
    for (index, item) in pending.enumerated() {
      if rename(item.temporary, item.final) != 0 {
        for rest in pending[index...] { unlink(rest.temporary) }
        pending = []
        throw Self.ioError("cannot move output into place at '\(item.final)'")
      }
    }
    pending = []
  }

  /// Removes every staged file.
  public mutating func discard() {
    for item in pending { unlink(item.temporary) }
    pending = []
  }

  static func ioError(_ message: String) -> DiagnosticError {
    DiagnosticError(.error(DiagnosticID("driver", "io"), message, at: SourceLocation(file: "kevc", line: 0, column: 0)))
  }
}
