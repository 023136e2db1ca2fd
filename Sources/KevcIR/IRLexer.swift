import KevcBasic

/// Splits kernel IR text (`.kir`) into tokens: sigiled names (`%x`, `@k`, `$M`), bare identifiers, quoted names,
/// integer and float literals, and punctuation. `//` starts a comment that runs to the end of the line; whitespace
/// and newlines only separate tokens. Columns count UTF-8 bytes.
struct IRToken: Sendable {
  enum Kind: Equatable, Sendable {
    /// A bare identifier or keyword: `[A-Za-z_][A-Za-z0-9_]*`, with single `.` allowed between such characters.
    case ident(String)
    /// A name written in double quotes (an index or axis name that is not a plain identifier).
    case string(String)
    /// `%name`: a parameter, result or definition.
    case local(String)
    /// `@name`: the kernel.
    case global(String)
    /// `$name`: a dimension's value.
    case dimRef(String)
    /// An integer literal's magnitude (the sign is a separate `-`).
    case int(UInt64)
    /// A literal with a fraction or exponent.
    case float(Double)
    case punct(String)
    case eof
  }

  var kind: Kind
  var location: SourceLocation
  /// The token's source text (for messages).
  var text: String

  var describe: String {
    if case .eof = kind { return "end of file" }
    return "'\(text)'"
  }
}

enum IRLexer {
  static let syntax = DiagnosticID("ir", "syntax")

  /// Punctuation, longest first.
  private static let puncts: [(text: String, bytes: [UInt8])] = [
    "->", "..", "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ":", "=", "<", ">", "+", "-", "*", "/",
    "%",
  ].map { ($0, Array($0.utf8)) }

  static func isIdentStart(_ c: UInt8) -> Bool {
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
  }

  static func isIdentChar(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }

  static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

  static func tokenize(_ source: SourceFile) throws(DiagnosticError) -> [IRToken] {
    let bytes = Array(source.text.utf8)
    var tokens: [IRToken] = []
    var i = 0
    var line = 1
    var lineStart = 0

    func location(_ at: Int) -> SourceLocation {
      SourceLocation(file: source.path, line: line, column: at - lineStart + 1)
    }
    func fail(_ message: String, _ at: Int) -> DiagnosticError {
      DiagnosticError(.error(syntax, message, at: location(at)))
    }
    func text(_ from: Int, _ to: Int) -> String { String(decoding: bytes[from..<to], as: UTF8.self) }
    func at(_ k: Int) -> UInt8? { k < bytes.count ? bytes[k] : nil }

    /// Scans an identifier starting at `k` (which must be an identifier character); returns its end.
    func scanIdent(_ k: Int) -> Int {
      var j = k
      while let c = at(j) {
        if isIdentChar(c) {
          j += 1
        } else if c == 46, j > k, let n = at(j + 1), isIdentChar(n) {
          j += 2
        } else {
          break
        }
      }
      return j
    }

    /// Scans a quoted name starting at the opening quote; returns its value and end.
    func scanString(_ k: Int) throws(DiagnosticError) -> (String, Int) {
      var j = k + 1
      var value: [UInt8] = []
      while true {
        guard let c = at(j), c != 10 else { throw fail("unterminated quoted name", k) }
        if c == 34 { return (String(decoding: value, as: UTF8.self), j + 1) }
        if c == 92 {
          guard let e = at(j + 1) else { throw fail("unterminated quoted name", k) }
          switch e {
          case 34: value.append(34)
          case 92: value.append(92)
          case 110: value.append(10)
          case 116: value.append(9)
          case 117:  // \u{HEX}
            guard at(j + 2) == 123 else { throw fail("expected '{' after '\\u'", j) }
            var m = j + 3
            var scalar: UInt32 = 0
            var digits = 0
            while let h = at(m), h != 125 {
              let v: UInt32
              switch h {
              case 48...57: v = UInt32(h - 48)
              case 65...70: v = UInt32(h - 55)
              case 97...102: v = UInt32(h - 87)
              default: throw fail("invalid hexadecimal digit in '\\u{...}'", m)
              }
              digits += 1
              guard digits <= 6 else { throw fail("too many digits in '\\u{...}'", m) }
              scalar = scalar &* 16 &+ v
              m += 1
            }
            guard at(m) == 125, digits > 0, let u = Unicode.Scalar(scalar) else {
              throw fail("invalid '\\u{...}' escape", j)
            }
            value.append(contentsOf: Array(String(Character(u)).utf8))
            j = m + 1
            continue
          default: throw fail("invalid escape in quoted name", j)
          }
          j += 2
          continue
        }
        value.append(c)
        j += 1
      }
    }

    while i < bytes.count {
      let c = bytes[i]
      // Whitespace and newlines.
      if c == 10 {
        i += 1
        line += 1
        lineStart = i
        continue
      }
      if c == 32 || c == 9 || c == 13 {
        i += 1
        continue
      }
      // Comments.
      if c == 47, at(i + 1) == 47 {
        while i < bytes.count, bytes[i] != 10 { i += 1 }
        continue
      }
      let start = i
      let loc = location(start)
      // Sigiled names.
      if c == 37 || c == 64 || c == 36, let n = at(i + 1), isIdentChar(n) || n == 34 {
        let name: String
        if n == 34 {
          let (v, end) = try scanString(i + 1)
          name = v
          i = end
        } else {
          let end = scanIdent(i + 1)
          name = text(i + 1, end)
          i = end
        }
        let kind: IRToken.Kind = c == 37 ? .local(name) : c == 64 ? .global(name) : .dimRef(name)
        tokens.append(IRToken(kind: kind, location: loc, text: text(start, i)))
        continue
      }
      if isIdentStart(c) {
        let end = scanIdent(i)
        tokens.append(IRToken(kind: .ident(text(i, end)), location: loc, text: text(i, end)))
        i = end
        continue
      }
      if c == 34 {
        let (v, end) = try scanString(i)
        tokens.append(IRToken(kind: .string(v), location: loc, text: text(start, end)))
        i = end
        continue
      }
      if isDigit(c) {
        var j = i
        while let d = at(j), isDigit(d) { j += 1 }
        var isFloat = false
        if at(j) == 46, let d = at(j + 1), isDigit(d) {
          isFloat = true
          j += 1
          while let d = at(j), isDigit(d) { j += 1 }
        }
        if at(j) == 101 || at(j) == 69 {
          var k = j + 1
          if at(k) == 43 || at(k) == 45 { k += 1 }
          if let d = at(k), isDigit(d) {
            isFloat = true
            j = k
            while let d = at(j), isDigit(d) { j += 1 }
          }
        }
        if let d = at(j), isIdentStart(d) || d == 46 && at(j + 1).map(isDigit) == true {
          throw fail("invalid number '\(text(i, j + 1))'", i)
        }
        let literal = text(i, j)
        if isFloat {
          guard let v = Double(literal) else { throw fail("invalid number '\(literal)'", i) }
          tokens.append(IRToken(kind: .float(v), location: loc, text: literal))
        } else {
          guard let v = UInt64(literal) else {
            throw DiagnosticError(
              .error(DiagnosticID("ir", "invalid-literal"), "integer literal '\(literal)' is too large", at: loc))
          }
          tokens.append(IRToken(kind: .int(v), location: loc, text: literal))
        }
        i = j
        continue
      }
      var matched = false
      for (p, pb) in puncts {
        if i + pb.count <= bytes.count, bytes[i..<(i + pb.count)].elementsEqual(pb) {
          tokens.append(IRToken(kind: .punct(p), location: loc, text: p))
          i += pb.count
          matched = true
          break
        }
      }
      if matched { continue }
      // An unexpected character: quote it whole (a multi-byte UTF-8 sequence counts as one).
      var end = i + 1
      while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
      throw fail("unexpected character '\(text(i, end))'", i)
    }
    tokens.append(IRToken(kind: .eof, location: location(bytes.count), text: ""))
    return tokens
  }
}
