// Golden loop IR: every lowering/loops/NAME.kir is parsed, lowered and printed, and must equal NAME.loops.
// Re-record with KEVC_RECORD=1 (the test then fails, so that recording is never mistaken for passing).
import Foundation
import KevcBasic
import KevcIR
import KevcLowering
import Testing

/// lowering/loops in the source tree.
let goldenDirectory = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("lowering/loops")

func goldenSources() -> [String] {
  let names = (try? FileManager.default.contentsOfDirectory(atPath: goldenDirectory.path)) ?? []
  return names.filter { $0.hasSuffix(".kir") }.map { String($0.dropLast(4)) }.sorted()
}

@Test func goldenDirectoryIsPopulated() {
  #expect(goldenSources().count >= 5)
}

@Test(arguments: goldenSources())
func goldenLoops(name: String) throws {
  let kirURL = goldenDirectory.appendingPathComponent(name + ".kir")
  let loopsURL = goldenDirectory.appendingPathComponent(name + ".loops")
  let source = SourceFile(path: "lowering/loops/\(name).kir", text: try String(contentsOf: kirURL, encoding: .utf8))
  let program = try LowerToLoops.lower(try IRParser.parse(source))
  let text = LoopPrinter.print(program)
  // The golden text itself must read back as the program.
  #expect(try LoopParser.parse(SourceFile(path: loopsURL.path, text: text)) == program)
  if ProcessInfo.processInfo.environment["KEVC_RECORD"] == "1" {
    try text.write(to: loopsURL, atomically: true, encoding: .utf8)
    Issue.record("recorded \(loopsURL.path); run again without KEVC_RECORD")
    return
  }
  let expected = try? String(contentsOf: loopsURL, encoding: .utf8)
  #expect(expected == text, "\(name).loops differs; re-record with KEVC_RECORD=1 after checking the change")
}
