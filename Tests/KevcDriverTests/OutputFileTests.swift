import Foundation
import Testing

/// What `-o` does to its destination: a regular file is replaced whole, a symbolic link is followed (the link
/// stays), a device or FIFO is written in place and stays what it is, `-` is standard output.
@Suite struct OutputFileTests {
  static func scratch() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-out-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  static func kind(_ path: String) -> mode_t {
    var info = stat()
    return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
  }

  @Test func dashIsStandardOutput() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runKevc(["compile", Paths.inRepository("specs/softmax.kev").path, "--emit", "ir", "-o", "-"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("kernel @softmax"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
  }

  @Test func symlinkIsFollowedAndKept() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let target = dir.appendingPathComponent("real.kir")
    try "old\n".write(to: target, atomically: true, encoding: .utf8)
    chmod(target.path, 0o640)
    let link = dir.appendingPathComponent("link.kir")
    try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "real.kir")
    let r = try runKevc(["compile", "specs/softmax.kev", "--emit", "ir", "-o", link.path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Self.kind(link.path) == S_IFLNK)
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "real.kir")
    #expect(try String(contentsOf: target, encoding: .utf8).hasPrefix("kernel @softmax"))
    var info = stat()
    #expect(stat(target.path, &info) == 0 && info.st_mode & 0o777 == 0o640)
    // A dangling link creates its target.
    let dangling = dir.appendingPathComponent("dangling.kir")
    try FileManager.default.createSymbolicLink(atPath: dangling.path, withDestinationPath: "new.kir")
    let d = try runKevc(["compile", "specs/softmax.kev", "--emit", "ir", "-o", dangling.path])
    #expect(d.status == 0, "\(d.stderr)")
    #expect(Self.kind(dangling.path) == S_IFLNK)
    #expect(Self.kind(dir.appendingPathComponent("new.kir").path) == S_IFREG)
    // Nothing but the named output: no temporary file left beside it.
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    #expect(names == ["dangling.kir", "link.kir", "new.kir", "real.kir"])
  }

  @Test func fifoIsWrittenInPlace() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let fifo = dir.appendingPathComponent("pipe").path
    #expect(mkfifo(fifo, 0o600) == 0)
    // Hold both ends ourselves (O_RDWR never blocks on Linux), so kevc's write lands in the pipe's buffer.
    let fd = open(fifo, O_RDWR | O_NONBLOCK)
    #expect(fd >= 0)
    defer { close(fd) }
    let r = try runKevc(["compile", "specs/softmax.kev", "--emit", "ir", "-o", fifo])
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    let n = read(fd, &buffer, buffer.count)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Self.kind(fifo) == S_IFIFO)
    #expect(String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self).hasPrefix("kernel @softmax"))
  }

  /// A character device stays a character device. As root (where the old rename-over-it replaced the machine's
  /// /dev/null) the test uses its own null device made with mknod in a scratch folder; otherwise /dev/null.
  @Test func characterDeviceStaysADevice() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    var device = "/dev/null"
    if geteuid() == 0 {
      device = dir.appendingPathComponent("null").path
      guard mknod(device, S_IFCHR | 0o666, dev_t(0x103)  /* major 1, minor 3 */) == 0 else { return }
    }
    for stage in ["ir", "obj"] {
      let r = try runKevc(["compile", "specs/softmax.kev", "--emit", stage, "-o", device])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(Self.kind(device) == S_IFCHR)
    }
    if device != "/dev/null" {
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["null"])
    }
  }

  @Test func directoryIsRefused() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runKevc(["compile", "specs/softmax.kev", "--emit", "ir", "-o", dir.path])
    #expect(r.status == 1)
    #expect(r.stderr.contains("is a directory"), "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
  }
}
