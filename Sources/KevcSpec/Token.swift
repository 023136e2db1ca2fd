import KevcBasic

/// The tokens of the spec language: identifiers, keywords, numbers and punctuation, each with the location of its
/// first byte. Newlines are tokens (they end statements); the parser ignores them inside `(...)` and `[...]`.
public struct Token: Hashable, Sendable {
  public enum Kind: Hashable, Sendable {
    case identifier(String)
    case keyword(Keyword)
    /// An integer literal; nil when it does not fit in 64 bits (the parser reports it).
    case integer(Int64?)
    case float(Double)
    case punctuation(Punctuation)
    case newline
    case endOfFile
  }

  public var kind: Kind
  /// The exact source text of the token (empty for newline and end of file).
  public var text: String
  public var location: SourceLocation
  /// The location just past the token's last byte (for "expected ';' after ..." style diagnostics).
  public var end: SourceLocation

  public init(kind: Kind, text: String, location: SourceLocation, end: SourceLocation) {
    self.kind = kind
    self.text = text
    self.location = location
    self.end = end
  }

  /// How the token reads in a diagnostic: `'foo'`, `'('`, `newline`, `end of file`.
  public var spelling: String {
    switch kind {
    case .newline: return "newline"
    case .endOfFile: return "end of file"
    case .identifier, .keyword, .integer, .float, .punctuation: return "'\(text)'"
    }
  }
}

public enum Keyword: String, Hashable, Sendable, CaseIterable {
  case kernel, dims, bench, `in`, sorted, `else`, `true`, `false`, inf, nan, and, or, not
}

public enum Punctuation: String, Hashable, Sendable, CaseIterable {
  case leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]", leftBrace = "{", rightBrace = "}"
  case comma = ",", colon = ":", semicolon = ";", arrow = "->", assign = "="
  case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
  case plus = "+", minus = "-", star = "*", slash = "/", slashSlash = "//", percent = "%"
  case dotDot = "..", bang = "!", ampAmp = "&&", pipePipe = "||"
}
