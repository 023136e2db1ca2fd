/// The SwiftPM build-tool plugin: compiles every `.kev` spec of a target with kevc into `lib<stem>.so` (the kernel
/// and the kevc runtime; SwiftPM copies it into the target's resources) and `<stem>.swift`, an enum `<stem>` whose
/// `run(<dims>:, <buffers>:)` checks the sizes and calls the kernel (docs/build.md).
///
/// A spec is compiled at its `dims` line, or at the shape in `<stem>.shape` beside it (`M=256,N=1000`), for this
/// machine's CPU, with no tuning database. kevc is `$KEVC`, else `kevc` on the PATH; a C compiler (`$CC`, else cc)
/// builds the runtime.
import Foundation
import PackagePlugin

@main
struct KevcPlugin: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
    guard let module = target as? SourceModuleTarget else { return [] }
    let specs = module.sourceFiles(withSuffix: "kev")
    guard !specs.isEmpty else { return [] }
    let kevc = try Self.kevc()
    return specs.map { file in
      let spec = file.url
      let stem = spec.deletingPathExtension().lastPathComponent
      let out = context.pluginWorkDirectoryURL.appending(path: stem)
      var arguments = [
        "compile", spec.path, "--name", stem, "--emit", "shared,swift", "--dump-dir", out.path, "--no-db",
      ]
      var inputs = [spec, kevc]
      let shapeFile = spec.deletingPathExtension().appendingPathExtension("shape")
      if let text = try? String(contentsOf: shapeFile, encoding: .utf8) {
        arguments += ["--shape", text.trimmingCharacters(in: .whitespacesAndNewlines)]
        inputs.append(shapeFile)
      }
      return .buildCommand(
        displayName: "kevc \(stem)", executable: kevc, arguments: arguments, inputFiles: inputs,
        outputFiles: [out.appending(path: "\(stem).swift"), out.appending(path: "lib\(stem).so")])
    }
  }

  /// `$KEVC`, else the first `kevc` on the PATH.
  static func kevc() throws -> URL {
    let environment = ProcessInfo.processInfo.environment
    if let path = environment["KEVC"], !path.isEmpty { return URL(fileURLWithPath: path) }
    for folder in (environment["PATH"] ?? "").split(separator: ":") {
      let candidate = URL(fileURLWithPath: String(folder)).appending(path: "kevc")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    throw KevcPluginError("kevc not found: set KEVC to the kevc executable or put kevc on the PATH")
  }
}

struct KevcPluginError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
