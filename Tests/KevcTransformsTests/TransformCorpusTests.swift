import Foundation
import KevcBasic
import KevcIR
import KevcLowering
import KevcTransforms
import Testing

/// The IR-in / IR-out corpus of schedule transforms (`ir/transforms/<transform>/*.kir`, format in
/// `ir/transforms/README.md`): each file gives a trace in `// apply:` lines, an input kernel, and either the exact
/// IR the trace produces (after `// expect:`) or the exact diagnostic it is rejected with (`// expect-error:`).
/// With `KEVC_RECORD=1` the test rewrites the expected part of every file that differs and fails, so that changes
/// are deliberate and reviewed as diffs.
@Suite struct TransformCorpusTests {
  static let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let corpus = repository.appendingPathComponent("ir/transforms")

  /// Every transform of the catalogue (docs/transforms.md) has a folder.
  static let catalogue = [
    "split", "tile", "reorder", "inline", "compute_at", "compute_root", "store_in", "layout", "pad", "stage", "cache",
    "vectorize", "unroll", "parallel", "bind", "rfactor", "dot", "launch", "fuse_axes", "precision", "group_programs",
    "persistent", "compute_with", "fuse_reductions", "fuse_siblings", "welford", "to_scan", "phase_split", "store_phases", "deinterleave", "pad_input",
  ]

  /// `transform/file.kir`, sorted.
  static let cases: [String] = {
    let fm = FileManager.default
    var out: [String] = []
    let folders = ((try? fm.contentsOfDirectory(atPath: corpus.path)) ?? []).sorted()
    for folder in folders {
      let dir = corpus.appendingPathComponent(folder)
      let names = ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".kir") }.sorted()
      out += names.map { "\(folder)/\($0)" }
    }
    return out
  }()

  static var recording: Bool { ProcessInfo.processInfo.environment["KEVC_RECORD"] == "1" }

  /// One corpus file, split into its parts.
  struct Case {
    var path: String
    /// Everything before the expectation marker (comments, `// apply:` lines and the input kernel).
    var head: String
    var trace: String
    var expectedIR: String?
    var expectedError: String?

    static let applyPrefix = "// apply:"
    static let expectMarker = "// expect:"
    static let errorPrefix = "// expect-error:"

    init(path: String, text: String) {
      self.path = path
      var headLines: [Substring] = []
      var traceLines: [String] = []
      var expected: [Substring]? = nil
      for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if expected != nil {
          expected?.append(line)
        } else if line.hasPrefix(Self.expectMarker) {
          expected = []
        } else if line.hasPrefix(Self.errorPrefix) {
          expectedError = line.dropFirst(Self.errorPrefix.count).trimmingCharacters(in: .whitespaces)
        } else {
          if line.hasPrefix(Self.applyPrefix) {
            traceLines.append(line.dropFirst(Self.applyPrefix.count).trimmingCharacters(in: .whitespaces))
          }
          headLines.append(line)
        }
      }
      while let last = headLines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { headLines.removeLast() }
      head = headLines.joined(separator: "\n") + "\n"
      trace = traceLines.joined(separator: "\n") + "\n"
      expectedIR = expected.map { $0.joined(separator: "\n") }
    }

    func text(withIR ir: String) -> String { head + Self.expectMarker + "\n" + ir }
    func text(withError message: String) -> String { head + Self.errorPrefix + " " + message + "\n" }
  }

  enum Outcome: Equatable {
    case ir(String)
    case error(String)
  }

  /// Applies the case's trace to its kernel: the printed result, or the first diagnostic's message.
  static func run(_ c: Case) throws -> (Outcome, Kernel?, Kernel, Trace?) {
    let kernel = try IRParser.parse(SourceFile(path: c.path, text: c.head))
    let problems = Verifier.verify(kernel) + ScheduleVerifier.verify(kernel)
    #expect(problems.isEmpty, "\(c.path): the input kernel does not verify: \(problems)")
    let trace: Trace
    do {
      trace = try TraceText.parse(SourceFile(path: c.path, text: c.trace))
    } catch {
      return (.error(error.diagnostics.first?.message ?? "\(error)"), nil, kernel, nil)
    }
    do {
      let result = try trace.apply(to: kernel)
      return (.ir(IRPrinter.print(result)), result, kernel, trace)
    } catch {
      return (.error(error.diagnostic.message), nil, kernel, trace)
    }
  }

  @Test func corpusCoversEveryTransform() {
    for t in Self.catalogue {
      let files = Self.cases.filter { $0.hasPrefix(t + "/") }
      var legal = 0
      var illegal = 0
      for f in files {
        guard let text = try? String(contentsOf: Self.corpus.appendingPathComponent(f), encoding: .utf8) else { continue }
        let c = Case(path: f, text: text)
        if c.expectedError != nil { illegal += 1 } else { legal += 1 }
      }
      #expect(legal >= 2, "\(t): \(legal) legal cases")
      #expect(illegal >= 1, "\(t): \(illegal) illegal cases")
    }
    #expect(Self.cases.count >= 3 * Self.catalogue.count)
  }

  @Test(arguments: cases)
  func transformCase(_ relative: String) throws {
    let url = Self.corpus.appendingPathComponent(relative)
    let text = try String(contentsOf: url, encoding: .utf8)
    let c = Case(path: relative, text: text)
    #expect(c.trace.contains("("), "\(relative): no '// apply:' lines")
    #expect(
      (c.expectedIR != nil) != (c.expectedError != nil),
      "\(relative): needs exactly one of '// expect:' and '// expect-error:'")
    let (outcome, result, input, trace) = try Self.run(c)

    let expected: Outcome? = c.expectedIR.map { .ir($0) } ?? c.expectedError.map { .error($0) }
    if outcome != expected {
      if Self.recording {
        let updated: String
        switch outcome {
        case .ir(let ir): updated = c.text(withIR: ir)
        case .error(let message): updated = c.text(withError: message)
        }
        try updated.write(to: url, atomically: true, encoding: .utf8)
        Issue.record("\(relative): re-recorded the expectation; review the diff")
      } else {
        switch outcome {
        case .ir(let ir): Issue.record("\(relative): got IR\n\(ir)\nexpected \(expected.map { "\($0)" } ?? "nothing")")
        case .error(let m): Issue.record("\(relative): got error '\(m)'\nexpected \(expected.map { "\($0)" } ?? "nothing")")
        }
      }
      return
    }

    guard let result, let trace else {
      // An illegal case: the diagnostic names the transform it rejects (for transform errors).
      if case .error(let m) = outcome, m.hasPrefix("cannot apply") {
        #expect(m.contains("'"), "\(relative): the diagnostic names no IR object: \(m)")
      }
      return
    }
    // The expected text is canonical: it parses back to the same kernel (schedules included).
    let reparsed = try IRParser.parse(SourceFile(path: relative, text: c.expectedIR ?? ""))
    #expect(reparsed.withoutLocations() == result.withoutLocations(), "\(relative): the expected IR does not round-trip")
    // The same trace through JSON gives the same kernel.
    let json = try JSONDecoder().decode(Trace.self, from: Data(trace.json.utf8))
    #expect(json == trace)
    #expect(try json.apply(to: input) == result)
    // Every legal result lowers to loops (GPU bindings are carried; only the CPU emitter rejects them).
    do {
      _ = try LowerToLoops.lower(result)
    } catch {
      Issue.record("\(relative): the scheduled kernel does not lower: \(error)")
    }
  }

  /// The before/after snippet of `compute_with` at a loop in `Sources/KevcTransforms/ComputeWith.swift` is what
  /// `ir/transforms/compute_with/rows_loop.kir` gives: each schedule of the snippet's "After" block is in the
  /// corpus file's expected IR.
  @Test func computeWithSnippetIsTheCorpusCase() throws {
    let source = try String(
      contentsOf: Self.repository.appendingPathComponent("Sources/KevcTransforms/ComputeWith.swift"), encoding: .utf8)
    let corpusCase = try String(contentsOf: Self.corpus.appendingPathComponent("compute_with/rows_loop.kir"), encoding: .utf8)
    guard let after = source.range(of: "/// After `compute_with(dw.rf, dx, m.o)`:") else {
      Issue.record("no After snippet in ComputeWith.swift")
      return
    }
    let schedules = source[after.upperBound...].split(separator: "\n").dropFirst(1).prefix { !$0.contains("```") }
      .compactMap { line -> String? in line.range(of: "schedule ").map { String(line[$0.lowerBound...]) } }
    #expect(schedules.count == 2)
    for s in schedules { #expect(corpusCase.contains(s), "\(s)") }
  }
}
