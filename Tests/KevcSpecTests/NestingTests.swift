import KevcBasic
import KevcSpec
import Testing

/// Issue 13: every parser bounds its nesting. A spec nested 20,000 levels deep (parentheses, unary minus, index
/// expressions, sizes) is a located `kevc.spec.nesting-limit` error, not a stack overflow.
@Suite struct NestingTests {
  static let depth = 20_000

  @Test(arguments: [
    "y[i] = " + String(repeating: "(", count: depth) + "x[i]" + String(repeating: ")", count: depth),
    "y[i] = " + String(repeating: "-", count: depth) + "x[i]",
    "y[i] = x[" + String(repeating: "x[", count: depth) + "i" + String(repeating: "]", count: depth) + "]",
    "y[i] = " + String(repeating: "exp(", count: depth) + "x[i]" + String(repeating: ")", count: depth),
  ])
  func deepExpressionsAreLocatedErrors(_ statement: String) throws {
    let text = "kernel f(x: f32[N]) -> (y: f32[N]) {\n  dims N = 4\n  \(statement)\n}\n"
    do {
      _ = try SpecParser.parse(SourceFile(path: "deep.kev", text: text))
      Issue.record("a deeply nested spec parsed")
    } catch {
      let d = try #require(error.diagnostics.first)
      #expect(d.id.description == "kevc.spec.nesting-limit", "\(d)")
      #expect(d.location.file == "deep.kev" && d.location.line == 3)
    }
  }

  @Test func deepSizesAreLocatedErrors() throws {
    let size = String(repeating: "(", count: Self.depth) + "N" + String(repeating: ")", count: Self.depth)
    let text = "kernel f(x: f32[\(size)]) -> (y: f32[N]) {\n  dims N = 4\n  y[i] = x[i]\n}\n"
    do {
      _ = try SpecParser.parse(SourceFile(path: "deep.kev", text: text))
      Issue.record("a deeply nested size parsed")
    } catch {
      #expect(error.diagnostics.first?.id.description == "kevc.spec.nesting-limit", "\(error)")
    }
  }
}
