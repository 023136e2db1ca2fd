import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcTransforms
import KevcTriton
import Testing

/// Paths, spec loading, schedule variants and the Triton availability probe shared by the Triton tests.
enum TritonTestSupport {
  static let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func inRepository(_ relative: String) -> URL { repository.appendingPathComponent(relative) }

  /// Every `.kev` under `specs/`, subfolders included (`specs/kernelbench/...`), by relative path.
  static var specs: [URL] {
    let dir = inRepository("specs")
    let paths = (FileManager.default.subpaths(atPath: dir.path) ?? []).filter { $0.hasSuffix(".kev") }.sorted()
    return paths.map { dir.appendingPathComponent($0) }
  }

  /// The spec's path relative to the repository (`specs/kernelbench/conv3d.kev`).
  static func relativePath(_ url: URL) -> String {
    let root = repository.standardizedFileURL.path + "/"
    let path = url.standardizedFileURL.path
    return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : "specs/" + url.lastPathComponent
  }

  /// A spec's name for module files and messages: its path under `specs/` without `.kev`, `/` as `.`.
  static func name(_ url: URL) -> String {
    String(relativePath(url).dropFirst("specs/".count).dropLast(".kev".count)).replacingOccurrences(of: "/", with: ".")
  }

  /// The spec's bench dims (its `bench` line), empty when it has none.
  static func benchShape(_ url: URL) throws -> [String: Int] {
    var bench: [String: Int] = [:]
    for d in try bound(url).dims { if let b = d.benchValue { bench[d.name] = b } }
    return bench
  }

  /// `specs/kernelbench/*.kev`: the KernelBench corpus (specs/kernelbench/README.md).
  static var kernelBenchSpecs: [URL] {
    let dir = inRepository("specs/kernelbench")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(".kev") }.sorted().map { dir.appendingPathComponent($0) }
  }

  static func source(_ url: URL) throws -> SourceFile {
    SourceFile(path: relativePath(url), text: try String(contentsOf: url, encoding: .utf8))
  }

  /// The spec's kernel IR, bound to its default shape (or to `overrides`).
  static func bound(_ url: URL, _ overrides: [String: Int] = [:]) throws -> Kernel {
    let request = CompileRequest(source: try source(url), kind: .spec, stages: [.ir])
    let kernel = try Compiler.compile(request).kernel
    return try kernel.binding(overrides, location: .unknown)
  }

  /// The module for a spec under a trace (nil: the default GPU schedule), through the driver.
  static func module(_ url: URL, trace: Trace? = nil, overrides: [String: Int] = [:]) throws -> String {
    var request = CompileRequest(
      source: try source(url), kind: .spec, shapeOverrides: overrides, stages: [.triton], schedule: trace)
    request.target = .triton
    // A hand trace's precisions need the contract that allows them (the trace never raises it).
    request.matmulPrecision = request.schedule?.leastMatmulPrecision
    let result = try Compiler.compile(request)
    return String(decoding: result.artifacts[.triton] ?? Data(), as: UTF8.self)
  }

  /// Applies the steps of a trace that are legal on `kernel`, in order (a trace made for another shape or
  /// target keeps what still applies).
  static func legalPart(of trace: Trace, on kernel: Kernel) -> Trace {
    var k = kernel
    var kept: [Transform] = []
    for step in trace.steps {
      guard let next = try? step.apply(to: k) else { continue }
      k = next
      kept.append(step)
    }
    return Trace(kept)
  }

  /// Schedule variants every spec must lower and compile under (besides the default GPU schedule):
  /// - bench tiles: the default GPU schedule computed at the bench shape, applied to the default shape (big blocks
  ///   over small extents, tails everywhere);
  /// - cpu style: the default CPU schedule with its thread-pool loop bound to grid.x (a scan's axis a block;
  ///   vectorized loops become blocks; fusion regions larger than one element live in per-program scratch; contractions accumulate in
  ///   place in i-k-j order).
  static func variants(_ url: URL) throws -> [(name: String, trace: Trace)] {
    let kernel = try bound(url)
    var bench: [String: Int] = [:]
    for d in kernel.dims { if let b = d.benchValue { bench[d.name] = b } }
    let benchKernel = (try? kernel.binding(bench, location: .unknown)) ?? kernel
    let benchTiles = legalPart(of: DefaultSchedule.gpu(for: benchKernel), on: kernel)
    var cpu = DefaultSchedule.cpu(for: kernel).steps.map { step -> Transform in
      if case .parallel(let t, let l) = step { return .bind(tensor: t, loop: l, dimension: .gridX) }
      return step
    }
    // A scan's axis is serial on the CPU; Triton scans a block (a serial scan axis is refused).
    if let scheduled = try? Trace(cpu).apply(to: kernel) {
      for d in scheduled.definitions { if let axis = d.reduction?.scanAxis { cpu.append(.bind(tensor: d.name, loop: axis, dimension: .blockX)) } }
    }
    return [("bench-tiles", benchTiles), ("cpu-style", legalPart(of: Trace(cpu), on: kernel))]
  }

  /// Whether the Python that `TritonAOT` runs can import triton; the version, or nil.
  static let tritonVersion: String? = {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [TritonAOT.python, "-c", "import triton; print(triton.__version__)"]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = Pipe()
    do { try ChildProcesses.start(process) } catch { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }()

  /// Compares a module with its golden file (relative to the repository); `KEVC_RECORD=1` records it instead (and
  /// the test fails, so that a recording run is never taken for a pass).
  static func checkGolden(_ text: String, _ relative: String) throws {
    let golden = inRepository(relative)
    if ProcessInfo.processInfo.environment["KEVC_RECORD"] != nil {
      try text.write(to: golden, atomically: true, encoding: .utf8)
      Issue.record("recorded \(golden.path); run again without KEVC_RECORD")
      return
    }
    let expected = try String(contentsOf: golden, encoding: .utf8)
    #expect(text == expected, "\(relative) differs; re-record with KEVC_RECORD=1 after checking")
  }

  /// Runs `script` (Python, after `import` of the module `named`, which holds `module`) under Triton's interpreter
  /// (`TRITON_INTERPRET=1`, CPU torch); the exit status and the output.
  static func interpret(module: String, named: String, script: String) throws -> (Int32, String) {
    let dir = try scratchDirectory("interpret-\(named)-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try module.write(to: dir.appendingPathComponent("\(named).py"), atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [TritonAOT.python, "-c", "import sys; sys.path.insert(0, sys.argv[1])\n" + script, dir.path]
    var env = ProcessInfo.processInfo.environment
    env["TRITON_INTERPRET"] = "1"
    process.environment = env
    let out = Pipe()
    process.standardOutput = out
    process.standardError = out
    try ChildProcesses.start(process)
    let log = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, log)
  }

  static func scratchDirectory(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("kevc-triton-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }
}
