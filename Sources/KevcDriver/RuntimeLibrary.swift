/// The kevc runtime (the thread pool behind parallel loops) as object code for the `lib` and `runtime` stages.
///
/// kevc carries the runtime's C source inside its own binary (`Sources/KevcRuntime`, embedded at build time), so an
/// installed kevc needs no source tree: the source is compiled with the C compiler (`$CC`, else `cc`) and archived
/// with `$AR` (else `ar`) into `libkevc_runtime.a`, or together with a kernel's object into `lib<name>.a`.
import Foundation
import KevcBasic

public enum RuntimeLibrary {
  /// The runtime's C source and header, as kevc was built with them.
  public static var source: String { String(decoding: PackageResources.kevc_runtime_c, as: UTF8.self) }
  public static var header: String { String(decoding: PackageResources.kevc_runtime_h, as: UTF8.self) }

  /// The runtime compiled to one object file, named as it goes into an archive.
  static func objects(cCompiler: String) throws(DiagnosticError) -> [(String, Data)] {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let c = folder.appendingPathComponent("kevc_runtime.c")
    let h = folder.appendingPathComponent("kevc_runtime.h")
    let o = folder.appendingPathComponent("kevc_runtime.o")
    do {
      try Data(source.utf8).write(to: c)
      try Data(header.utf8).write(to: h)
    } catch {
      throw failure("cannot write the runtime's source to '\(folder.path)'")
    }
    try runTool(cCompiler, ["-O2", "-fPIC", "-pthread", "-c", c.path, "-o", o.path], what: "the C compiler")
    guard let data = FileManager.default.contents(atPath: o.path) else {
      throw failure("the C compiler wrote no object for the runtime")
    }
    return [("kevc_runtime.o", data)]
  }

  /// A shared library of the kernel's object and the runtime (`$CC -shared`).
  static func sharedLibrary(object: Data, cCompiler: String) throws(DiagnosticError) -> Data {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let o = folder.appendingPathComponent("kernel.o")
    let c = folder.appendingPathComponent("kevc_runtime.c")
    let so = folder.appendingPathComponent("out.so")
    do {
      try object.write(to: o)
      try Data(source.utf8).write(to: c)
      try Data(header.utf8).write(to: folder.appendingPathComponent("kevc_runtime.h"))
    } catch {
      throw failure("cannot write to '\(folder.path)'")
    }
    try runTool(cCompiler, ["-shared", "-O2", "-fPIC", "-pthread", o.path, c.path, "-o", so.path], what: "the C compiler")
    guard let data = FileManager.default.contents(atPath: so.path) else {
      throw failure("the C compiler wrote no shared library")
    }
    return data
  }

  /// A static library (`ar rcs`, with a symbol index) holding the named object files.
  static func archive(_ members: [(String, Data)], archiver: String) throws(DiagnosticError) -> Data {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    var paths: [String] = []
    for (name, data) in members {
      let path = folder.appendingPathComponent(name).path
      guard FileManager.default.createFile(atPath: path, contents: data) else {
        throw failure("cannot write '\(path)'")
      }
      paths.append(path)
    }
    let library = folder.appendingPathComponent("out.a").path
    try runTool(archiver, ["rcs", library] + paths, what: "the archiver")
    guard let data = FileManager.default.contents(atPath: library) else {
      throw failure("the archiver wrote no library")
    }
    return data
  }

  static func scratchFolder() throws(DiagnosticError) -> URL {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("kevc-runtime-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw failure("cannot create '\(folder.path)'")
    }
    return folder
  }

  /// Runs `tool` (a name on the PATH or a path) and fails with its standard error.
  static func runTool(_ tool: String, _ arguments: [String], what: String) throws(DiagnosticError) {
    let (status, message): (Int32, String)
    do {
      (status, message) = try ChildProcesses.run(tool, arguments, capture: .standardError)
    } catch {
      throw failure("cannot run \(what) '\(tool)': \(error.localizedDescription)")
    }
    guard status == 0 else {
      let detail = message.split(separator: "\n").prefix(3).joined(separator: "; ")
      throw failure(
        status == 127
          ? "\(what) '\(tool)' was not found (set \(what == "the archiver" ? "AR" : "CC")); it builds the kevc runtime"
          : "\(what) '\(tool)' failed on the kevc runtime: \(detail)")
    }
  }

  static func failure(_ message: String) -> DiagnosticError {
    DiagnosticError(
      .error(DiagnosticID("driver", "runtime-build"), message, at: SourceLocation(file: "kevc", line: 0, column: 0)))
  }
}
