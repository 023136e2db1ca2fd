import Foundation
import KevcBasic
import KevcIR
import KevcLowering
import KevcSpec
import KevcTransforms

/// The three fuzzed entry points and their seed corpora. Each target runs one input through a stage of the real
/// pipeline, in process: it must end in a result or in `DiagnosticError`s, never in a trap.
///
/// - `spec`: `.kev` text -> `SpecParser` -> `SpecLowering` -> `Verifier` -> dims bound (the front end of
///   `kevc compile`). Seeds: `specs/*.kev` and the spec corpora under `Tests/Corpus/`.
/// - `ir`: `.kir` text -> `IRParser` -> `Verifier` + `ScheduleVerifier` -> dims bound. Seeds: `ir/**/*.kir`.
/// - `trace`: trace text (or JSON) -> `Trace.parse` -> applied to a kernel of `specs/` -> `LowerToLoops` when it
///   applies. The kernel is the one a first line `# spec: NAME` names, else one chosen by a hash of the input.
///   Seeds: every `.trace` file of the repository (bench/, lowering/, Tests/Corpus/, ir/transforms/).
public enum FuzzTarget: String, CaseIterable, Sendable {
  case spec, ir, trace

  /// The file extension of this target's inputs (for saved crashers and regression inputs).
  public var fileExtension: String {
    switch self {
    case .spec: return "kev"
    case .ir: return "kir"
    case .trace: return "trace"
    }
  }

  /// How one input ended.
  public enum Outcome: Sendable, Equatable {
    /// Every stage accepted the input.
    case accepted
    /// A stage rejected it with located diagnostics; the first one's id.
    case diagnosed(String)
  }
}

/// A loaded target: its seeds, the token dictionary mutations draw from, and (for traces) the kernels to apply to.
public struct FuzzHarness: Sendable {
  public let target: FuzzTarget
  public let seeds: [[UInt8]]
  public let dictionary: [String]
  /// Bound kernels of `specs/`, by spec name (trace target only).
  let kernels: [(name: String, kernel: Kernel)]

  /// Loads the seed corpus of `target` from the repository at `root`.
  public init(target: FuzzTarget, repository root: URL) throws {
    self.target = target
    func files(_ folders: [String], _ ext: String) -> [URL] {
      folders.flatMap { Self.files(under: root.appendingPathComponent($0), withExtension: ext) }
    }
    var seedFiles: [URL]
    switch target {
    case .spec: seedFiles = files(["specs", "Tests/Corpus"], "kev")
    case .ir: seedFiles = files(["ir"], "kir")
    case .trace: seedFiles = files(["bench", "lowering", "Tests/Corpus", "ir/transforms"], "trace")
    }
    var kernels: [(String, Kernel)] = []
    if target == .trace {
      for url in Self.files(under: root.appendingPathComponent("specs"), withExtension: "kev") {
        let name = url.deletingPathExtension().lastPathComponent
        guard let text = try? String(contentsOf: url, encoding: .utf8),
          let kernel = try? Self.frontEnd(SourceFile(path: url.path, text: text))
        else { continue }
        kernels.append((name, kernel))
      }
      // A trace seed named after a spec (`softmax.rows2.trace`) is tagged with it, so that its mutations apply
      // to the kernel they were written for.
      let names = Set(kernels.map(\.0))
      seedFiles.sort { $0.path < $1.path }
      self.seeds = seedFiles.compactMap { url -> [UInt8]? in
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let stem = String(url.lastPathComponent.prefix { $0 != "." })
        return names.contains(stem) ? Array("# spec: \(stem)\n".utf8) + Array(data) : Array(data)
      }
    } else {
      seedFiles.sort { $0.path < $1.path }
      self.seeds = seedFiles.compactMap { FileManager.default.contents(atPath: $0.path).map { Array($0) } }
    }
    self.kernels = kernels
    if target == .trace && kernels.isEmpty {
      throw DiagnosticError(
        .error(
          DiagnosticID("fuzz", "no-seeds"), "no spec under \(root.path)/specs compiles: the trace fuzzer has no kernel",
          at: SourceLocation(file: root.path, line: 1, column: 1)))
    }
    self.dictionary = Mutator.dictionary(of: seeds) + kernels.flatMap { k in
      k.1.definitions.map(\.name) + k.1.definitions.flatMap { $0.effectiveSchedule.loops.map(\.name) }
    }
    guard !seeds.isEmpty else {
      throw DiagnosticError(
        .error(
          DiagnosticID("fuzz", "no-seeds"), "no seed inputs for the \(target.rawValue) fuzzer under \(root.path)",
          at: SourceLocation(file: root.path, line: 1, column: 1)))
    }
  }

  /// Files with the extension under `folder`, recursively, sorted by path.
  static func files(under folder: URL, withExtension ext: String) -> [URL] {
    guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
    return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == ext }.sorted { $0.path < $1.path }
  }

  /// The spec front end as `kevc compile` runs it, up to bound dims.
  static func frontEnd(_ source: SourceFile) throws(DiagnosticError) -> Kernel {
    let kernel = try SpecLowering.lower(try SpecParser.parse(source))
    let problems = Verifier.verify(kernel) + ScheduleVerifier.verify(kernel)
    if !problems.isEmpty { throw DiagnosticError(problems) }
    return try kernel.binding([:], location: SourceLocation(file: "<fuzz>", line: 1, column: 1))
  }

  /// Runs one input through the target's stages.
  public func execute(_ input: [UInt8]) -> FuzzTarget.Outcome {
    let text = String(decoding: input, as: UTF8.self)
    do throws(DiagnosticError) {
      switch target {
      case .spec:
        _ = try Self.frontEnd(SourceFile(path: "fuzz.kev", text: text))
      case .ir:
        let kernel = try IRParser.parse(SourceFile(path: "fuzz.kir", text: text))
        let problems = Verifier.verify(kernel) + ScheduleVerifier.verify(kernel)
        if !problems.isEmpty { throw DiagnosticError(problems) }
        _ = try kernel.binding([:], location: SourceLocation(file: "<fuzz>", line: 1, column: 1))
      case .trace:
        let kernel = self.kernel(for: text).kernel
        let trace = try Trace.parse(SourceFile(path: "fuzz.trace", text: text))
        let scheduled: Kernel
        do {
          scheduled = try trace.apply(to: kernel)
        } catch {
          throw DiagnosticError(error.diagnostic)
        }
        _ = try LowerToLoops.lower(scheduled)
      }
      return .accepted
    } catch {
      return .diagnosed(error.diagnostics.first.map { "\($0.id)" } ?? "?")
    }
  }

  /// The kernel a trace input applies to: the spec its first line names (`# spec: NAME`), else one chosen by a
  /// hash of the input (FNV-1a, stable across runs).
  func kernel(for text: String) -> (name: String, kernel: Kernel) {
    let firstLine = text.prefix { $0 != "\n" }
    if firstLine.hasPrefix("# spec: ") {
      let name = firstLine.dropFirst(8).trimmingCharacters(in: .whitespaces)
      if let k = kernels.first(where: { $0.name == name }) { return k }
    }
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in text.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
    return kernels[Int(hash % UInt64(kernels.count))]
  }

  /// A trace input with a first line naming the kernel it applied to, so that it replays the same way whatever
  /// specs exist later; other inputs are returned as they are.
  public func replayable(_ input: [UInt8]) -> [UInt8] {
    guard target == .trace else { return input }
    let text = String(decoding: input, as: UTF8.self)
    if text.hasPrefix("# spec: ") { return input }
    return Array("# spec: \(kernel(for: text).name)\n".utf8) + input
  }
}
