import Foundation
import KevcBasic
import KevcIR
import Testing

/// Every file of ir/errors states the diagnostics it must produce, in order, as `// expect: LINE:COL: error:
/// MESSAGE [kevc.ir.NAME]` lines. A file that parses is verified; the verifier's diagnostics are compared.
@Suite struct ErrorCorpusTests {
  static let corpus = Corpus.files("errors")

  @Test func corpusIsThere() {
    #expect(Self.corpus.count >= 10)
  }

  /// The diagnostics of parsing and verifying `source` (the IR verifier, then the schedule verifier, as `kevc opt
  /// -x ir` runs them), without the file name.
  static func diagnostics(_ source: SourceFile) -> [String] {
    let found: [Diagnostic]
    do {
      let kernel = try IRParser.parse(source)
      found = Verifier.verify(kernel) + ScheduleVerifier.verify(kernel)
    } catch {
      found = error.diagnostics
    }
    return found.map {
      "\($0.location.line):\($0.location.column): \($0.severity.rawValue): \($0.message) [\($0.id)]"
    }
  }

  @Test(arguments: corpus.map { $0.lastPathComponent })
  func errorFile(_ name: String) throws {
    let source = try Corpus.source(Corpus.repository.appendingPathComponent("ir/errors/\(name)"))
    let expected = source.text.split(separator: "\n", omittingEmptySubsequences: false)
      .filter { $0.hasPrefix("// expect: ") }.map { String($0.dropFirst("// expect: ".count)) }
    #expect(!expected.isEmpty, "\(name) has no '// expect:' lines")
    let found = Self.diagnostics(source)
    #expect(found == expected, "\(name)")
    // Diagnostics point into the file.
    do {
      _ = try IRParser.parse(source)
    } catch {
      for d in error.diagnostics { #expect(d.location.file == source.path) }
    }
  }
}
