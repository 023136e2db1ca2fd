import Foundation
import KevcBasic
import KevcIR
import KevcTriton
import Testing

/// The Triton emitter refuses what it cannot lower yet, with a located diagnostic of its own id: scans
/// (`kevc.triton.unsupported-scan`). Tuple reductions lower (TritonTupleTests).
@Suite struct TritonRefusalTests {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static func refusal(_ file: String) throws -> [Diagnostic] {
    let url = repository.appendingPathComponent("ir/roundtrip").appendingPathComponent(file)
    let kernel = try IRParser.parse(SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)))
    do throws(DiagnosticError) {
      _ = try TritonEmitter.emit(kernel)
      return []
    } catch {
      return error.diagnostics
    }
  }

  @Test func scansAreRefused() throws {
    #expect(try Self.refusal("tuple_attention.kir").isEmpty)
    let scan = try Self.refusal("scan.kir")
    #expect(scan.first?.id == DiagnosticID("triton", "unsupported-scan"))
  }
}
