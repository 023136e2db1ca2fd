import KevcBasic
import KevcIR
import Testing

/// Issue 13: the kernel IR parser bounds its nesting. IR nested 20,000 levels deep (parentheses, calls, index
/// expressions, sizes) is a located `kevc.ir.nesting-too-deep` error, not a stack overflow.
@Suite struct NestingTests {
  static let depth = 20_000

  static func wrap(_ open: String, _ inner: String, _ close: String) -> String {
    String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
  }

  @Test(arguments: [
    "  %y: f32[m < M] = " + wrap("(", "%x[m]", ")"),
    "  %y: f32[m < M] = " + wrap("exp(", "%x[m]", ")"),
    "  %y: f32[m < M] = %x[" + wrap("%x[", "m", "]") + "]",
  ])
  func deepExpressionsAreLocatedErrors(_ definition: String) throws {
    let text = "kernel @f(%x: f32[M]) -> (%y: f32[M]) {\n  dims M = 4\n\(definition)\n}\n"
    do {
      _ = try IRParser.parse(SourceFile(path: "deep.kir", text: text))
      Issue.record("deeply nested IR parsed")
    } catch {
      let d = try #require(error.diagnostics.first)
      #expect(d.id.description == "kevc.ir.nesting-too-deep", "\(d)")
      #expect(d.location.file == "deep.kir" && d.location.line == 3)
    }
  }

  @Test func deepSizesAreLocatedErrors() throws {
    let text = "kernel @f(%x: f32[\(Self.wrap("(", "M", ")"))]) -> (%y: f32[M]) {\n  dims M = 4\n  %y: f32[m < M] = %x[m]\n}\n"
    do {
      _ = try IRParser.parse(SourceFile(path: "deep.kir", text: text))
      Issue.record("a deeply nested size parsed")
    } catch {
      #expect(error.diagnostics.first?.id.description == "kevc.ir.nesting-too-deep", "\(error)")
    }
  }
}
