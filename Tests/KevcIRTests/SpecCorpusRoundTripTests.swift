import Foundation
import KevcBasic
import KevcIR
import KevcSpec
import Testing

/// Kernels lowered from the bundled specs (specs/*.kev, specs/kernelbench/*.kev) print to text that reads back to the same kernel, and
/// the printed text verifies exactly as the kernel does.
@Suite struct SpecCorpusRoundTripTests {
  static let specs: [URL] = ["specs", "specs/kernelbench"].flatMap { folder in
    let dir = Corpus.repository.appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(".kev") }.sorted().map { dir.appendingPathComponent($0) }
  }

  @Test func loweredSpecsRoundTrip() throws {
    var lowered = 0
    for url in Self.specs {
      let source = SourceFile(path: url.lastPathComponent, text: try String(contentsOf: url, encoding: .utf8))
      // Spec errors are the frontend's tests' business; only kernels that lower are checked here.
      guard let kernel = try? SpecLowering.lower(SpecParser.parse(source)) else { continue }
      lowered += 1
      let text = IRPrinter.print(kernel)
      let parsed: Kernel
      do {
        parsed = try IRParser.parse(SourceFile(path: url.lastPathComponent + ".kir", text: text))
      } catch {
        Issue.record("\(url.lastPathComponent): printed IR does not parse: \(error)\n\(text)")
        continue
      }
      #expect(parsed.withoutLocations() == kernel.withoutLocations(), "\(url.lastPathComponent):\n\(text)")
      #expect(
        Verifier.verify(parsed).map(\.message) == Verifier.verify(kernel).map(\.message), "\(url.lastPathComponent)")
      #expect(Verifier.verify(kernel).map(\.description) == [], "\(url.lastPathComponent):\n\(text)")
    }
    #expect(lowered > 0 || Self.specs.isEmpty)
  }
}
