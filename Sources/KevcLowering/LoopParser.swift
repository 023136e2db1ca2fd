import KevcBasic
import KevcIR

/// Reads the textual form of loop IR written by `LoopPrinter`; `parse(print(p)) == p`.
///
/// The reader is syntactic: it checks the grammar, the names of types, scopes, loop kinds, GPU dimensions and
/// functions, and that literals fit their types, and reports the first problem as a located diagnostic
/// (`kevc.loops.*`). It never traps, whatever the input (nesting deeper than a fixed limit is an error). Beyond
/// the printed form it accepts untyped integer literals (i64) anywhere and `#` comments.
public enum LoopParser {
  public static func parse(_ source: SourceFile) throws(DiagnosticError) -> LoopProgram {
    var parser = try Parser(source)
    return try parser.program()
  }
}

struct Token {
  enum Kind: Equatable {
    /// `name`, `grid.x`, `f32`
    case ident
    /// `%name` (text without the `%`)
    case percent
    /// `$name`
    case dollar
    /// `@name`
    case at
    /// `"quoted name"` (text is the decoded name)
    case string
    case number
    case punct
    case end
  }

  var kind: Kind
  var text: String
  var location: SourceLocation

  var display: String {
    switch kind {
    case .ident, .number, .punct: return "'\(text)'"
    case .string: return "'\(Names.quoted(text))'"
    case .percent: return "'%\(text)'"
    case .dollar: return "'$\(text)'"
    case .at: return "'@\(text)'"
    case .end: return "end of file"
    }
  }
}

private func isNameStart(_ c: UInt8) -> Bool { Names.isIdentStart(c) }

private func isDigit(_ c: UInt8) -> Bool { Names.isDigit(c) }

private func isNameChar(_ c: UInt8) -> Bool { Names.isIdentChar(c) }

func diagnostic(_ name: String, _ message: String, at location: SourceLocation) -> DiagnosticError {
  DiagnosticError(.error(DiagnosticID("loops", name), message, at: location))
}

/// Splits loop IR text into tokens.
func tokenize(_ source: SourceFile) throws(DiagnosticError) -> [Token] {
  let bytes = Array(source.text.utf8)
  var tokens: [Token] = []
  var i = 0
  var line = 1
  var lineStart = 0
  func at(_ k: Int) -> UInt8? { k < bytes.count ? bytes[k] : nil }
  func text(_ from: Int, _ to: Int) -> String { String(decoding: bytes[from..<to], as: UTF8.self) }
  /// The end of a name starting at `k`: name characters, and dots followed by a name character.
  func nameEnd(_ k: Int) -> Int {
    var j = k
    while let c = at(j) {
      if isNameChar(c) {
        j += 1
      } else if c == 46, let d = at(j + 1), isNameChar(d) {
        j += 1
      } else {
        break
      }
    }
    return j
  }
  /// A quoted name starting at the quote at `k`: its value and end (escapes `\" \\ \n \t \u{HEX}`).
  func quoted(_ k: Int, _ location: SourceLocation) throws(DiagnosticError) -> (String, Int) {
    var j = k + 1
    var value: [UInt8] = []
    while true {
      guard let c = at(j), c != 10 else { throw diagnostic("syntax", "unterminated quoted name", at: location) }
      if c == 34 { return (String(decoding: value, as: UTF8.self), j + 1) }
      guard c == 92 else {
        value.append(c)
        j += 1
        continue
      }
      switch at(j + 1) {
      case 34: value.append(34)
      case 92: value.append(92)
      case 110: value.append(10)
      case 116: value.append(9)
      case 117:
        guard at(j + 2) == 123 else { throw diagnostic("syntax", "invalid escape in quoted name", at: location) }
        var m = j + 3
        var scalar: UInt32 = 0
        var digits = 0
        while let h = at(m), h != 125, digits <= 6 {
          guard let v = UInt32(String(UnicodeScalar(h)), radix: 16) else { break }
          scalar = scalar &* 16 &+ v
          digits += 1
          m += 1
        }
        guard at(m) == 125, digits > 0, digits <= 6, let u = Unicode.Scalar(scalar) else {
          throw diagnostic("syntax", "invalid escape in quoted name", at: location)
        }
        value.append(contentsOf: Array(String(Character(u)).utf8))
        j = m + 1
        continue
      default: throw diagnostic("syntax", "invalid escape in quoted name", at: location)
      }
      j += 2
    }
  }
  while i < bytes.count {
    let c = bytes[i]
    let location = SourceLocation(file: source.path, line: line, column: i - lineStart + 1)
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
    if c == 35 || (c == 47 && at(i + 1) == 47) {  // '#' or '//' comment
      while let d = at(i), d != 10 { i += 1 }
      continue
    }
    if isNameStart(c) {
      let end = nameEnd(i)
      tokens.append(Token(kind: .ident, text: text(i, end), location: location))
      i = end
      continue
    }
    if c == 37 || c == 36 || c == 64, let d = at(i + 1), isNameChar(d) || d == 34 {  // % $ @
      let kind: Token.Kind = c == 37 ? .percent : c == 36 ? .dollar : .at
      if d == 34 {
        let (name, end) = try quoted(i + 1, location)
        tokens.append(Token(kind: kind, text: name, location: location))
        i = end
      } else {
        let end = nameEnd(i + 1)
        tokens.append(Token(kind: kind, text: text(i + 1, end), location: location))
        i = end
      }
      continue
    }
    if c == 34 {
      let (name, end) = try quoted(i, location)
      tokens.append(Token(kind: .string, text: name, location: location))
      i = end
      continue
    }
    if isDigit(c) {
      var j = i
      while let d = at(j), isDigit(d) { j += 1 }
      if at(j) == 46, let d = at(j + 1), isDigit(d) {
        j += 1
        while let d = at(j), isDigit(d) { j += 1 }
      }
      if let e = at(j), e == 101 || e == 69 {
        var k = j + 1
        if let s = at(k), s == 43 || s == 45 { k += 1 }
        if let d = at(k), isDigit(d) {
          j = k
          while let d = at(j), isDigit(d) { j += 1 }
        }
      }
      tokens.append(Token(kind: .number, text: text(i, j), location: location))
      i = j
      continue
    }
    let two = at(i + 1) == nil ? "" : text(i, i + 2)
    if ["..", "->", "==", "!=", "<=", ">="].contains(two) {
      tokens.append(Token(kind: .punct, text: two, location: location))
      i += 2
      continue
    }
    if "()[]{},:=<>+-*/%".utf8.contains(c) {
      tokens.append(Token(kind: .punct, text: text(i, i + 1), location: location))
      i += 1
      continue
    }
    // Report the whole (possibly multi-byte) character.
    var j = i + 1
    while let d = at(j), d & 0xC0 == 0x80 { j += 1 }
    throw diagnostic("bad-character", "unexpected character '\(text(i, j))'", at: location)
  }
  let end = SourceLocation(file: source.path, line: line, column: bytes.count - lineStart + 1)
  tokens.append(Token(kind: .end, text: "", location: end))
  return tokens
}

private struct Parser {
  let tokens: [Token]
  var position = 0
  var depth = 0
  static let maxDepth = 200

  init(_ source: SourceFile) throws(DiagnosticError) {
    tokens = try tokenize(source)
  }

  var current: Token { tokens[min(position, tokens.count - 1)] }

  func peek(_ offset: Int) -> Token { tokens[min(position + offset, tokens.count - 1)] }

  mutating func advance() -> Token {
    let t = current
    if position < tokens.count - 1 { position += 1 }
    return t
  }

  func isPunct(_ p: String) -> Bool { current.kind == .punct && current.text == p }
  func isIdent(_ w: String) -> Bool { current.kind == .ident && current.text == w }

  func unexpected(_ what: String) -> DiagnosticError {
    diagnostic("syntax", "expected \(what), found \(current.display)", at: current.location)
  }

  mutating func expectPunct(_ p: String) throws(DiagnosticError) {
    guard isPunct(p) else { throw unexpected("'\(p)'") }
    _ = advance()
  }

  mutating func expectIdent(_ w: String) throws(DiagnosticError) {
    guard isIdent(w) else { throw unexpected("'\(w)'") }
    _ = advance()
  }

  mutating func name(_ kind: Token.Kind, _ what: String) throws(DiagnosticError) -> String {
    guard current.kind == kind else { throw unexpected(what) }
    return advance().text
  }

  /// An identifier or a quoted name.
  mutating func bareName(_ what: String) throws(DiagnosticError) -> String {
    guard current.kind == .ident || current.kind == .string else { throw unexpected(what) }
    return advance().text
  }

  mutating func enter() throws(DiagnosticError) {
    depth += 1
    if depth > Self.maxDepth {
      throw diagnostic("too-deep", "nesting is deeper than \(Self.maxDepth) levels", at: current.location)
    }
  }

  mutating func leave() { depth -= 1 }

  /// A non-negative integer that fits in Int.
  mutating func count(_ what: String) throws(DiagnosticError) -> Int {
    guard current.kind == .number else { throw unexpected(what) }
    let t = advance()
    guard let v = Int(t.text) else {
      throw diagnostic("bad-literal", "'\(t.text)' is not a valid \(what)", at: t.location)
    }
    return v
  }

  mutating func dtype() throws(DiagnosticError) -> DType {
    guard current.kind == .ident else { throw unexpected("a type") }
    let t = advance()
    guard let d = DType(rawValue: t.text) else {
      throw diagnostic("unknown-type", "unknown type '\(t.text)'", at: t.location)
    }
    return d
  }

  // MARK: Program

  mutating func program() throws(DiagnosticError) -> LoopProgram {
    try expectIdent("loops")
    let name = try self.name(.at, "a program name ('@name')")
    try expectPunct("(")
    let params = try buffers(closing: ")")
    try expectPunct("->")
    try expectPunct("(")
    let results = try buffers(closing: ")")
    try expectIdent("dims")
    try expectPunct("(")
    var dims: [String: Int] = [:]
    while !isPunct(")") {
      if !dims.isEmpty { try expectPunct(",") }
      let location = current.location
      let d = try bareName("a dimension name")
      try expectPunct("=")
      let v = try count("dimension value")
      if dims[d] != nil {
        throw diagnostic("duplicate-dim", "dimension '\(d)' is given twice", at: location)
      }
      dims[d] = v
    }
    try expectPunct(")")
    var dots: Set<String> = []
    if isIdent("dot") {
      _ = advance()
      try expectPunct("(")
      while !isPunct(")") {
        if !dots.isEmpty { try expectPunct(",") }
        dots.insert(try self.name(.percent, "an accumulator name ('%name')"))
      }
      try expectPunct(")")
    }
    try expectPunct("{")
    var temporaries: [Buffer] = []
    var body: [Stmt] = []
    while !isPunct("}") {
      if current.kind == .ident, let scope = MemoryScope(rawValue: current.text), peek(1).kind == .percent {
        _ = advance()
        let buffer = try declaration(scope)
        if isPunct("{") {
          body.append(.allocate(buffer, body: try block()))
        } else {
          temporaries.append(buffer)
        }
      } else {
        body.append(try statement())
      }
    }
    try expectPunct("}")
    guard current.kind == .end else { throw unexpected("end of file") }
    return LoopProgram(
      name: name, dims: dims, params: params, results: results, temporaries: temporaries, body: body,
      dotAccumulators: dots)
  }

  /// `%x: f32[2, 3] [scope], ...` up to `closing` (not consumed).
  mutating func buffers(closing: String) throws(DiagnosticError) -> [Buffer] {
    var out: [Buffer] = []
    while !isPunct(closing) {
      if !out.isEmpty { try expectPunct(",") }
      var b = try declaration(.global)
      if current.kind == .ident, let scope = MemoryScope(rawValue: current.text) {
        _ = advance()
        b.scope = scope
      }
      out.append(b)
    }
    try expectPunct(closing)
    return out
  }

  /// `%name: dtype[shape]`.
  mutating func declaration(_ scope: MemoryScope) throws(DiagnosticError) -> Buffer {
    let name = try self.name(.percent, "a buffer name ('%name')")
    try expectPunct(":")
    let t = try dtype()
    try expectPunct("[")
    var shape: [Int] = []
    while !isPunct("]") {
      if !shape.isEmpty { try expectPunct(",") }
      shape.append(try count("extent"))
    }
    try expectPunct("]")
    return Buffer(name: name, dtype: t, shape: shape, scope: scope)
  }

  // MARK: Statements

  mutating func block() throws(DiagnosticError) -> [Stmt] {
    try enter()
    defer { leave() }
    try expectPunct("{")
    var out: [Stmt] = []
    while !isPunct("}") {
      guard current.kind != .end else { throw unexpected("'}'") }
      out.append(try statement())
    }
    try expectPunct("}")
    return out
  }

  mutating func statement() throws(DiagnosticError) -> Stmt {
    switch current.kind {
    case .percent:
      let buffer = advance().text
      try expectPunct("[")
      let indices = try arguments(closing: "]")
      try expectPunct("=")
      return .store(buffer: buffer, indices: indices, value: try expr())
    case .ident:
      if isIdent("for") {
        _ = advance()
        let variable = try bareName("a loop variable")
        try expectIdent("in")
        let lower = try expr()
        try expectPunct("..")
        let upper = try expr()
        let kind = try loopKind()
        return .loop(Loop(variable: variable, lowerBound: lower, upperBound: upper, kind: kind, body: try block()))
      }
      if isIdent("if") {
        _ = advance()
        let condition = try expr()
        let thenBody = try block()
        var elseBody: [Stmt] = []
        if isIdent("else") {
          _ = advance()
          elseBody = try block()
        }
        return .ifThen(condition: condition, then: thenBody, else: elseBody)
      }
      if let scope = MemoryScope(rawValue: current.text) {
        _ = advance()
        let buffer = try declaration(scope)
        return .allocate(buffer, body: try block())
      }
      throw unexpected("a statement")
    case .dollar, .at, .string, .number, .punct, .end:
      throw unexpected("a statement")
    }
  }

  mutating func loopKind() throws(DiagnosticError) -> LoopKind {
    guard current.kind == .ident else { return .serial }
    let t = advance()
    switch t.text {
    case "parallel": return .parallel
    case "unroll": return .unrolled
    case "vectorize":
      try expectPunct("(")
      let width = try count("vector width")
      try expectPunct(")")
      return .vectorized(width: width)
    case "bind":
      try expectPunct("(")
      guard current.kind == .ident else { throw unexpected("a GPU dimension") }
      let d = advance()
      guard let dim = GPUDimension(rawValue: d.text) else {
        throw diagnostic("unknown-gpu-dim", "unknown GPU dimension '\(d.text)'", at: d.location)
      }
      try expectPunct(")")
      return .gpu(dim)
    default:
      throw diagnostic("unknown-loop-kind", "unknown loop kind '\(t.text)'", at: t.location)
    }
  }

  // MARK: Expressions

  /// Comma-separated expressions up to `closing` (consumed).
  mutating func arguments(closing: String) throws(DiagnosticError) -> [Expr] {
    var out: [Expr] = []
    while !isPunct(closing) {
      if !out.isEmpty { try expectPunct(",") }
      out.append(try expr())
    }
    try expectPunct(closing)
    return out
  }

  static func infixOp(_ t: Token) -> BinaryOp? {
    switch (t.kind, t.text) {
    case (.punct, "+"): return .add
    case (.punct, "-"): return .sub
    case (.punct, "*"): return .mul
    case (.punct, "/"): return .div
    case (.punct, "%"): return .mod
    case (.punct, "=="): return .eq
    case (.punct, "!="): return .ne
    case (.punct, "<"): return .lt
    case (.punct, "<="): return .le
    case (.punct, ">"): return .gt
    case (.punct, ">="): return .ge
    case (.ident, "and"): return .and
    case (.ident, "or"): return .or
    default: return nil
    }
  }

  mutating func expr() throws(DiagnosticError) -> Expr {
    try enter()
    defer { leave() }
    let t = current
    switch t.kind {
    case .punct:
      if t.text == "(" {
        _ = advance()
        let a = try expr()
        guard let op = Self.infixOp(current) else { throw unexpected("an operator") }
        _ = advance()
        let b = try expr()
        try expectPunct(")")
        return .binary(op, a, b)
      }
      if t.text == "-" { return .constant(try literal()) }
      throw unexpected("an expression")
    case .number:
      return .constant(try literal())
    case .dollar:
      return .dim(advance().text)
    case .percent:
      let name = advance().text
      guard isPunct("[") else { return .scalar(name) }
      _ = advance()
      let indices = try arguments(closing: "]")
      var bounds = LoadBounds.padded(nil)
      if isIdent("inbounds") {
        _ = advance()
        bounds = .inBounds
      } else if isIdent("else") {
        _ = advance()
        bounds = .padded(try literal())
      }
      return .load(Load(tensor: name, indices: indices, bounds: bounds))
    case .ident:
      switch t.text {
      case "true", "false", "inf", "nan": return .constant(try literal())
      case "cast":
        _ = advance()
        try expectPunct("<")
        let d = try dtype()
        try expectPunct(">")
        try expectPunct("(")
        let a = try expr()
        try expectPunct(")")
        return .cast(d, a)
      default: break
      }
      _ = advance()
      guard isPunct("(") else { return .index(t.text) }
      _ = advance()
      let args = try arguments(closing: ")")
      func arity(_ n: Int) throws(DiagnosticError) {
        guard args.count == n else {
          throw diagnostic(
            "arity", "'\(t.text)' takes \(n) argument\(n == 1 ? "" : "s"), not \(args.count)", at: t.location)
        }
      }
      if t.text == "select" {
        try arity(3)
        return .select(args[0], args[1], args[2])
      }
      if let op = UnaryOp(rawValue: t.text) {
        try arity(1)
        return .unary(op, args[0])
      }
      if let op = BinaryOp(rawValue: t.text), op == .max || op == .min || op == .pow {
        try arity(2)
        return .binary(op, args[0], args[1])
      }
      throw diagnostic("unknown-function", "unknown function '\(t.text)'", at: t.location)
    case .string:
      return .index(advance().text)
    case .at, .end:
      throw unexpected("an expression")
    }
  }

  /// A constant, read as the kernel IR reads it: `[-] INT [':' DTYPE]` (i64 without a type; a float type makes
  /// it a float), `[-] FLOAT ':' DTYPE`, `[-] (inf | nan) ':' DTYPE`, `(true | false) [':' DTYPE]`. The value
  /// keeps the kind it is written in (`1.5:i64` is a float value of type i64, for the verifier to reject).
  mutating func literal() throws(DiagnosticError) -> Constant {
    let start = current
    if isIdent("true") || isIdent("false") {
      let b = advance().text == "true"
      guard isPunct(":") else { return .bool(b) }
      _ = advance()
      return Constant(try dtype(), .bool(b))
    }
    var negative = false
    if isPunct("-") {
      _ = advance()
      negative = true
    }
    let body = current
    guard body.kind == .number || (body.kind == .ident && (body.text == "inf" || body.text == "nan")) else {
      throw unexpected(negative ? "a number after '-'" : "a constant")
    }
    _ = advance()
    let text = (negative ? "-" : "") + body.text
    let isInteger = body.kind == .number && body.text.utf8.allSatisfy(isDigit)
    var t: DType = .i64
    if isPunct(":") {
      _ = advance()
      t = try dtype()
    } else if !isInteger {
      throw diagnostic("bad-literal", "literal '\(text)' needs a type (e.g. '\(text):f32')", at: start.location)
    }
    if isInteger && !t.isFloat {
      guard let v = Int64(text) else {
        throw diagnostic("bad-literal", "integer literal '\(text)' is out of range", at: start.location)
      }
      return Constant(t, .int(v))
    }
    let v: Double?
    switch body.text {
    case "inf": v = negative ? -.infinity : .infinity
    case "nan": v = .nan
    default: v = Double(text)
    }
    guard let v else { throw diagnostic("bad-literal", "'\(text)' is not a valid number", at: start.location) }
    return Constant(t, .float(v))
  }
}
