import Foundation
import KevcBasic

/// Writes compile artifacts all-or-nothing and touches nothing but the named outputs.
///
/// - A regular file (or a name that does not exist yet) is written to a temporary name in its folder and renamed
///   into place only after every artifact has been written, so an interrupted or failing run never leaves a
///   half-written output (and never clobbers a previous good one with a partial file). The new file keeps the
///   permission bits of the one it replaces.
/// - A symbolic link is followed: its final target is written (by the rule for what the target is) and the link
///   stays a link.
/// - An existing destination that is not a regular file (`/dev/null`, a FIFO, a terminal) is opened and written in
///   place at commit time, after every artifact exists; it is never replaced. A directory is refused.
/// - `-` is standard output, written at commit time too.
public struct ArtifactWriter {
  /// How a staged artifact reaches its destination.
  enum Pending {
    /// A complete temporary file renamed over `final` at commit.
    case rename(temporary: String, final: String)
    /// Bytes written into an existing non-regular file (a device or FIFO) at commit.
    case inPlace(Data, path: String)
    /// Bytes written to standard output at commit.
    case standardOutput(Data)
  }

  private var pending: [Pending] = []

  public init() {}

  /// Most links followed from one name before giving up (a loop of links), as the kernel's own `ELOOP` limit.
  static let maxLinks = 40

  public mutating func stage(_ data: Data, at path: String) throws(DiagnosticError) {
    if path == "-" {
      pending.append(.standardOutput(data))
      return
    }
    let final = try Self.followLinks(path)
    var info = stat()
    if lstat(final, &info) == 0 {
      switch info.st_mode & S_IFMT {
      case S_IFREG: break
      case S_IFDIR:
        discard()
        throw Self.ioError("cannot write '\(path)': it is a directory")
      default:
        pending.append(.inPlace(data, path: final))
        return
      }
    }
    let directory = (final as NSString).deletingLastPathComponent
    let folder = directory.isEmpty ? "." : directory
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      discard()
      throw Self.ioError("cannot create directory '\(folder)': \(error.localizedDescription)")
    }
    let name = (final as NSString).lastPathComponent
    let temporary = (folder as NSString).appendingPathComponent(
      ".\(name).kevc-tmp-\(ProcessInfo.processInfo.processIdentifier)-\(pending.count)")
    guard FileManager.default.createFile(atPath: temporary, contents: data) else {
      discard()
      throw Self.ioError("cannot write '\(path)'")
    }
    if lstat(final, &info) == 0 { chmod(temporary, info.st_mode & 0o7777) }
    pending.append(.rename(temporary: temporary, final: final))
  }

  /// Moves every staged file into place, then writes the in-place destinations and standard output.
  public mutating func commit() throws(DiagnosticError) {
    let items = pending
    pending = []
    for (index, item) in items.enumerated() {
      switch item {
      case .rename(let temporary, let final):
        if rename(temporary, final) != 0 {
          Self.discard(items[index...])
          throw Self.ioError("cannot move output into place at '\(final)'")
        }
      case .inPlace(let data, let path):
        guard Self.writeInPlace(data, to: path) else {
          Self.discard(items[index...])
          throw Self.ioError("cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
      case .standardOutput(let data):
        FileHandle.standardOutput.write(data)
      }
    }
  }

  /// Removes every staged file.
  public mutating func discard() {
    Self.discard(pending[...])
    pending = []
  }

  static func discard(_ items: ArraySlice<Pending>) {
    for item in items {
      if case .rename(let temporary, _) = item { unlink(temporary) }
    }
  }

  /// The name `path` finally designates after following symbolic links (a dangling link designates the file it
  /// would create). Links are resolved one at a time, relative to the folder of the link.
  static func followLinks(_ path: String) throws(DiagnosticError) -> String {
    var current = path
    for _ in 0..<maxLinks {
      var info = stat()
      guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let n = readlink(current, &buffer, buffer.count - 1)
      guard n > 0 else { return current }
      let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      current =
        target.hasPrefix("/")
        ? target : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
    }
    throw ioError("cannot write '\(path)': too many levels of symbolic links")
  }

  /// Writes `data` into an existing device or FIFO without truncating or replacing it.
  static func writeInPlace(_ data: Data, to path: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
      var offset = 0
      while offset < raw.count {
        let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return false
        }
        offset += n
      }
      return true
    }
  }

  static func ioError(_ message: String) -> DiagnosticError {
    DiagnosticError(.error(DiagnosticID("driver", "io"), message, at: SourceLocation(file: "kevc", line: 0, column: 0)))
  }
}
