import KevcBasic

/// Splits spec text into tokens. Comments (`#` to the end of the line) and blanks are dropped; runs of newlines
/// become one newline token. Bytes that start no token are reported and skipped, so lexing always finishes.
public enum Lexer {
  public static let invalidCharacter = DiagnosticID("spec", "invalid-character")

  public static func tokenize(_ source: SourceFile) -> (tokens: [Token], diagnostics: [Diagnostic]) {
    var lexer = Scanner(bytes: Array(source.text.utf8), file: source.path)
    lexer.run()
    return (lexer.tokens, lexer.diagnostics)
  }
}

private struct Scanner {
  let bytes: [UInt8]
  let file: String
  var offset = 0
  var line = 1
  var lineStart = 0
  var tokens: [Token] = []
  var diagnostics: [Diagnostic] = []

  init(bytes: [UInt8], file: String) {
    self.bytes = bytes
    self.file = file
  }

  func location(_ at: Int) -> SourceLocation {
    SourceLocation(file: file, line: line, column: at - lineStart + 1)
  }

  func byte(_ at: Int) -> UInt8? { at < bytes.count ? bytes[at] : nil }

  mutating func add(_ kind: Token.Kind, from start: Int) {
    let text = String(decoding: bytes[start..<offset], as: UTF8.self)
    tokens.append(Token(kind: kind, text: text, location: location(start), end: location(offset)))
  }

  mutating func run() {
    while let c = byte(offset) {
      let start = offset
      switch c {
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
        offset += 1
      case UInt8(ascii: "\n"):
        if let last = tokens.last, last.kind != .newline {
          tokens.append(Token(kind: .newline, text: "", location: location(start), end: location(start)))
        }
        offset += 1
        line += 1
        lineStart = offset
      case UInt8(ascii: "#"):
        while let d = byte(offset), d != UInt8(ascii: "\n") { offset += 1 }
      case _ where isIdentifierStart(c):
        while let d = byte(offset), isIdentifierStart(d) || isDigit(d) { offset += 1 }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        add(Keyword(rawValue: text).map { .keyword($0) } ?? .identifier(text), from: start)
      case _ where isDigit(c):
        number(start)
      case UInt8(ascii: ".") where byte(offset + 1).map(isDigit) == true:
        number(start)
      default:
        if let p = punctuation() {
          offset += p.rawValue.utf8.count
          add(.punctuation(p), from: start)
        } else {
          invalid(start)
        }
      }
    }
    let end = location(offset)
    if let last = tokens.last, last.kind != .newline {
      tokens.append(Token(kind: .newline, text: "", location: end, end: end))
    }
    tokens.append(Token(kind: .endOfFile, text: "", location: end, end: end))
  }

  /// `12`, `1.5`, `1e-5`, `.5`, `2.`; a `.` followed by another `.` is left for `..` (`0..N`).
  mutating func number(_ start: Int) {
    var isFloat = false
    while let d = byte(offset), isDigit(d) { offset += 1 }
    if byte(offset) == UInt8(ascii: "."), byte(offset + 1) != UInt8(ascii: ".") {
      isFloat = true
      offset += 1
      while let d = byte(offset), isDigit(d) { offset += 1 }
    }
    if let e = byte(offset), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
      var look = offset + 1
      if let s = byte(look), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { look += 1 }
      if let d = byte(look), isDigit(d) {
        isFloat = true
        offset = look
        while let d = byte(offset), isDigit(d) { offset += 1 }
      }
    }
    let text = String(decoding: bytes[start..<offset], as: UTF8.self)
    if isFloat {
      var normal = text
      if normal.hasPrefix(".") { normal = "0" + normal }
      normal = normal.replacingDotBeforeExponent()
      if normal.hasSuffix(".") { normal += "0" }
      add(.float(Double(normal) ?? .infinity), from: start)
    } else {
      add(.integer(Int64(text)), from: start)
    }
  }

  func punctuation() -> Punctuation? {
    // Longest match first.
    for length in [2, 1] where offset + length <= bytes.count {
      let text = String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
      if let p = Punctuation(rawValue: text) { return p }
    }
    return nil
  }

  mutating func invalid(_ start: Int) {
    let c = bytes[start]
    var length = 1
    let message: String
    if c < 0x80 {
      if c >= 0x21 && c < 0x7f {
        let s = String(UnicodeScalar(c))
        let hint: String
        switch s {
        case "&": hint = "; did you mean '&&'?"
        case "|": hint = "; did you mean '||'?"
        case ".": hint = "; did you mean '..'?"
        default: hint = ""
        }
        message = "unexpected character '\(s)'\(hint)"
      } else {
        message = "unexpected byte 0x\(hex(c))"
      }
    } else {
      // Keep a whole UTF-8 sequence together so that the message names the character.
      let expected = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
      while length < expected, let d = byte(start + length), d & 0xC0 == 0x80 { length += 1 }
      let slice = Array(bytes[start..<(start + length)])
      if length == expected, expected > 1, let s = String(validating: slice, as: UTF8.self),
        let scalar = s.unicodeScalars.first
      {
        let code = String(scalar.value, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 4 - code.count)) + code
        message = "unexpected character '\(s)' (U+\(padded))"
      } else {
        length = 1
        message = "unexpected byte 0x\(hex(c)) (not UTF-8 text)"
      }
    }
    diagnostics.append(.error(Lexer.invalidCharacter, message, at: location(start)))
    offset = start + length
  }

  func hex(_ c: UInt8) -> String {
    let s = String(c, radix: 16, uppercase: true)
    return s.count == 1 ? "0" + s : s
  }
}

private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

private func isIdentifierStart(_ c: UInt8) -> Bool {
  (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    || c == UInt8(ascii: "_")
}

extension String {
  /// `2.e5` -> `2.0e5`, so that every float literal has the form Double's parser accepts.
  fileprivate func replacingDotBeforeExponent() -> String {
    var out = ""
    var previous: Character? = nil
    for ch in self {
      if previous == ".", ch == "e" || ch == "E" { out.append("0") }
      out.append(ch)
      previous = ch
    }
    return out
  }
}
