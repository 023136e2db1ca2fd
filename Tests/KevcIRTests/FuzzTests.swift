import Foundation
import KevcBasic
import KevcIR
import Testing

/// Mangled corpus files never crash the parser, the verifier or the printer, and whatever parses round-trips.
@Suite struct FuzzTests {
  static let pieces: [String] = [
    "(", ")", "[", "]", "{", "}", ",", ":", "=", "<", ">", "-", "->", "..", "//", "%", "@", "$", "\"", "\\",
    "0", "9223372036854775808", "1e999", "1.5", "x", "kernel", "dims", "sum<f32>", "inbounds", "else", " ", "\n",
    "é", "\u{0}", "nan", "inf", "true", "%x[", "cast<", "select(", "max(",
  ]

  static func check(_ text: String, _ label: String) {
    let source = SourceFile(path: "fuzz.kir", text: text)
    let kernel: Kernel
    do {
      kernel = try IRParser.parse(source)
    } catch {
      #expect(!error.diagnostics.isEmpty)
      for d in error.diagnostics {
        #expect(d.location.isKnown && d.id.domain == "ir", "\(label): \(d)")
      }
      return
    }
    _ = Verifier.verify(kernel)
    let printed = IRPrinter.print(kernel)
    do {
      let again = try IRParser.parse(SourceFile(path: "again.kir", text: printed))
      #expect(again.withoutLocations() == kernel.withoutLocations(), "\(label)")
    } catch {
      Issue.record("\(label): the printed form does not parse: \(error)\n\(printed)")
    }
  }

  @Test func mangledCorpusFiles() throws {
    var rng = SeededRandom(seed: 7)
    let files = Corpus.files("roundtrip") + Corpus.files("errors")
    #expect(!files.isEmpty)
    for url in files {
      let bytes = Array(try String(contentsOf: url, encoding: .utf8).utf8)
      guard !bytes.isEmpty else { continue }
      for trial in 0..<60 {
        var b = bytes
        let n = Int(rng.next() % UInt64(b.count))
        switch trial % 5 {
        case 0: b = Array(b[..<n])  // truncate
        case 1: b.remove(at: n)  // delete a byte
        case 2: b[n] = UInt8(truncatingIfNeeded: rng.next() % 128)  // replace a byte
        case 3:  // insert a piece
          let piece = Self.pieces[Int(rng.next() % UInt64(Self.pieces.count))]
          b.insert(contentsOf: Array(piece.utf8), at: n)
        default:  // duplicate a chunk elsewhere
          let m = Int(rng.next() % UInt64(b.count))
          let chunk = b[min(n, m)..<min(max(n, m), min(n, m) + 40)]
          b.insert(contentsOf: Array(chunk), at: Int(rng.next() % UInt64(b.count)))
        }
        Self.check(String(decoding: b, as: UTF8.self), "\(url.lastPathComponent) trial \(trial)")
      }
    }
  }

  @Test func hostileInputs() {
    let deep = String(repeating: "(", count: 100_000)
    let inputs = [
      "", "kernel", "kernel @", "kernel @k(", "kernel @k() -> () {", "kernel @k() -> () {}", "kernel @k() -> () {} x",
      "\u{FEFF}kernel", "kernel @k() -> () { %y: f32[] = \(deep)",
      "kernel @k() -> () { %y: f32[] = " + String(repeating: "neg(", count: 50_000),
      "kernel @k(%x: f32[" + String(repeating: "(", count: 50_000), "kernel @k() -> () { dims M = 99999999999999999999 }",
      "kernel @k() -> () { dims M = -9223372036854775808 }", "kernel @k() -> () { %y: i64[] = -9223372036854775809 }",
      "kernel @\"unterminated", "kernel @\"bad \\q escape\"", "kernel @\"\\u{110000}\"", "kernel @\"\\u{41\"",
      "kernel @k() -> () { %y: f32[] = 1.5 }", "kernel @k() -> () { %y: f32[] = 1e }",
    ]
    for (i, text) in inputs.enumerated() { Self.check(text, "hostile input \(i)") }
  }
}
