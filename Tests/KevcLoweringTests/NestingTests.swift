// Issue 13: the loop IR parser bounds its nesting. Loop IR nested 20,000 levels deep (expressions, loops) is a
// located `kevc.loops.too-deep` error, not a stack overflow.
import KevcBasic
import KevcLowering
import Testing

@Suite struct LoopNestingTests {
  static let depth = 20_000

  @Test func deepExpressionsAndLoopsAreLocatedErrors() throws {
    let expression = String(repeating: "(", count: Self.depth) + "%x[i] inbounds" + String(repeating: ")", count: Self.depth)
    let loops = String(repeating: "for i in 0 .. 4 {\n", count: Self.depth) + "%y[i] = %x[i] inbounds\n"
      + String(repeating: "}\n", count: Self.depth)
    for body in ["  for i in 0 .. 4 {\n    %y[i] = \(expression)\n  }\n", loops] {
      let text = "loops @f(%x: f32[4]) -> (%y: f32[4]) dims(N = 4) {\n\(body)}\n"
      do {
        _ = try LoopParser.parse(SourceFile(path: "deep.loops", text: text))
        Issue.record("deeply nested loop IR parsed")
      } catch {
        let d = try #require(error.diagnostics.first)
        #expect(d.id.description == "kevc.loops.too-deep", "\(d)")
        #expect(d.location.file == "deep.loops")
      }
    }
  }
}
