import KevcBasic

/// Recursive-descent parser for `.kev` files, following the grammar of docs/spec-language.md.
///
/// Syntax errors are collected, not thrown one by one: after an error the parser skips to the next statement (a
/// line that starts like a definition, `dims` or `bench`) and goes on, so one run reports every broken statement.
/// `parse` throws all of them at the end. Nesting is capped so that no input can exhaust the stack.
public enum SpecParser {
  public static let syntax = DiagnosticID("spec", "syntax")
  public static let unterminated = DiagnosticID("spec", "unterminated")
  public static let literalRange = DiagnosticID("spec", "literal-range")
  public static let unknownType = DiagnosticID("spec", "unknown-type")
  public static let tooDeep = DiagnosticID("spec", "nesting-limit")
  public static let unknownMatmulPrecision = DiagnosticID("spec", "unknown-matmul-precision")

  /// The deepest expression nesting accepted (parentheses, operator chains, calls).
  public static let maximumDepth = 200

  public static func parse(_ source: SourceFile) throws(DiagnosticError) -> SpecFile {
    let (tokens, lexical) = Lexer.tokenize(source)
    var parser = Parser(tokens: tokens, path: source.path)
    parser.diagnostics = lexical
    let kernel = parser.parseFile()
    // A bad character already explains a broken line: drop the parser's follow-on complaints about that line.
    let badLines = Set(lexical.map(\.location.line))
    parser.diagnostics = lexical + parser.diagnostics.dropFirst(lexical.count).filter { !badLines.contains($0.location.line) }
    // Report in source order (the lexer's and the parser's diagnostics interleave).
    let all = parser.diagnostics.enumerated().sorted { a, b in
      let x = a.element.location
      let y = b.element.location
      if x.line != y.line { return x.line < y.line }
      if x.column != y.column { return x.column < y.column }
      return a.offset < b.offset
    }.map(\.element)
    if let kernel, all.isEmpty { return SpecFile(path: source.path, kernel: kernel) }
    if all.isEmpty {
      // Unreachable in practice: a missing kernel always comes with a diagnostic.
      throw DiagnosticError(.error(syntax, "expected a kernel", at: SourceLocation(file: source.path, line: 1, column: 1)))
    }
    throw DiagnosticError(all)
  }
}

/// Thrown inside a statement after its diagnostic is recorded; the statement loop catches it and resynchronises.
private struct Abort: Error {}

private let dtypeNames = DType.allCases.map(\.rawValue).joined(separator: ", ")

private struct Parser {
  let tokens: [Token]
  let path: String
  var index = 0
  /// How many `(` / `[` are open; newlines inside them are not statement ends.
  var nesting = 0
  /// Expression depth, to bound recursion.
  var depth = 0
  var diagnostics: [Diagnostic] = []

  init(tokens: [Token], path: String) {
    self.tokens = tokens
    self.path = path
  }

  // MARK: - Token access

  func position(from start: Int) -> Int {
    var i = min(start, tokens.count - 1)
    if nesting > 0 {
      while i < tokens.count - 1, tokens[i].kind == .newline { i += 1 }
    }
    return i
  }

  var peek: Token { tokens[position(from: index)] }

  /// The token after the next one (same newline rule).
  var peekSecond: Token { tokens[position(from: position(from: index) + 1)] }

  @discardableResult
  mutating func advance() -> Token {
    let i = position(from: index)
    index = min(i + 1, tokens.count - 1)
    return tokens[i]
  }

  func isPunct(_ t: Token, _ p: Punctuation) -> Bool { t.kind == .punctuation(p) }
  func isKeyword(_ t: Token, _ k: Keyword) -> Bool { t.kind == .keyword(k) }

  mutating func eat(_ p: Punctuation) -> Bool {
    if isPunct(peek, p) {
      advance()
      return true
    }
    return false
  }

  /// The last significant token consumed.
  var previous: Token? {
    var i = min(index, tokens.count) - 1
    while i >= 0 {
      if tokens[i].kind != .newline { return tokens[i] }
      i -= 1
    }
    return nil
  }

  /// Where a missing token should be reported: at the next token, or just after the previous one when the next
  /// token is on a later line (as clang does for a missing `;`).
  var insertionPoint: SourceLocation {
    let next = peek
    if let prev = previous, prev.end.line < next.location.line { return prev.end }
    return next.location
  }

  mutating func error(_ message: String, at location: SourceLocation, id: DiagnosticID = SpecParser.syntax,
                      notes: [Diagnostic.Note] = []) {
    diagnostics.append(Diagnostic(.error, id, message, at: location, notes: notes))
  }

  /// Records "expected X" and aborts the statement.
  mutating func fail(_ what: String, notes: [Diagnostic.Note] = []) throws(Abort) -> Never {
    let next = peek
    let found: String
    if case .newline = tokens[min(index, tokens.count - 1)].kind, nesting == 0 {
      found = "end of line"
    } else {
      found = next.spelling
    }
    let location = insertionPoint
    let at = location == next.location ? ", found \(found)" : ""
    error("expected \(what)\(at)", at: location, notes: notes)
    throw Abort()
  }

  mutating func expect(_ p: Punctuation, _ what: String? = nil, opening: Token? = nil) throws(Abort) {
    if eat(p) { return }
    var notes: [Diagnostic.Note] = []
    if let opening { notes.append(.init("to match this '\(opening.text)'", at: opening.location)) }
    try fail(what ?? "'\(p.rawValue)'", notes: notes)
  }

  mutating func identifier(_ what: String) throws(Abort) -> (String, SourceLocation) {
    let t = peek
    if case .identifier(let name) = t.kind {
      advance()
      return (name, t.location)
    }
    if case .keyword(let k) = t.kind {
      error("expected \(what), found keyword '\(k.rawValue)'", at: t.location)
      throw Abort()
    }
    try fail(what)
  }

  mutating func dtype() throws(Abort) -> (DType, SourceLocation) {
    let t = peek
    if case .identifier(let name) = t.kind {
      advance()
      guard let d = DType(rawValue: name) else {
        error("unknown type '\(name)'; expected one of \(dtypeNames)", at: t.location, id: SpecParser.unknownType)
        throw Abort()
      }
      return (d, t.location)
    }
    try fail("a type (\(dtypeNames))")
  }

  mutating func skipNewlines() {
    while tokens[index].kind == .newline { index += 1 }
  }

  // MARK: - File and header

  mutating func parseFile() -> SpecKernel? {
    skipNewlines()
    let first = peek
    guard isKeyword(first, .kernel) else {
      if first.kind == .endOfFile {
        error("empty file: expected a 'kernel' declaration", at: first.location)
      } else {
        error("expected 'kernel' at the start of the file, found \(first.spelling)", at: first.location)
      }
      return nil
    }
    advance()
    do {
      let (name, nameLocation) = try identifier("the kernel's name")
      let open = peek
      try expect(.leftParen, "'(' after the kernel's name")
      nesting += 1
      let params = parseParams(closing: open)
      nesting -= 1
      skipNewlines()
      try expect(.arrow, "'->' and the results after the parameters")
      skipNewlines()
      let resultsOpen = peek
      try expect(.leftParen, "'(' before the results")
      nesting += 1
      let results = parseParams(closing: resultsOpen)
      nesting -= 1
      if results.isEmpty, diagnostics.isEmpty {
        error("a kernel needs at least one result", at: resultsOpen.location)
      }
      skipNewlines()
      let brace = peek
      try expect(.leftBrace, "'{' before the kernel's body")
      let statements = parseStatements(brace: brace)
      skipNewlines()
      if peek.kind != .endOfFile {
        error("expected end of file after the kernel, found \(peek.spelling); a file declares one kernel",
              at: peek.location)
      }
      return SpecKernel(
        name: name, params: params, results: results, statements: statements, location: first.location,
        nameLocation: nameLocation)
    } catch {
      return nil
    }
  }

  /// `param (',' param)* ')'`, recovering at `,` after a bad parameter. Consumes the `)`.
  mutating func parseParams(closing open: Token) -> [SpecParam] {
    var params: [SpecParam] = []
    if eat(.rightParen) { return params }
    while true {
      do {
        params.append(try parseParam())
      } catch {
        // Skip to the end of this parameter.
        var depth = 0
        while true {
          let t = peek
          if t.kind == .endOfFile || isPunct(t, .leftBrace) || isPunct(t, .arrow) { return params }
          if depth == 0, isPunct(t, .comma) || isPunct(t, .rightParen) { break }
          if isPunct(t, .leftBracket) || isPunct(t, .leftParen) { depth += 1 }
          if isPunct(t, .rightBracket) || isPunct(t, .rightParen) { depth -= 1 }
          advance()
        }
      }
      if eat(.comma) {
        if eat(.rightParen) { return params }  // trailing comma
        continue
      }
      if eat(.rightParen) { return params }
      do {
        try expect(.rightParen, "',' or ')' after a parameter", opening: open)
      } catch {
        return params
      }
    }
  }

  mutating func parseParam() throws(Abort) -> SpecParam {
    let (name, location) = try identifier("a parameter name")
    try expect(.colon, "':' and a type after '\(name)'")
    let (dtype, dtypeLocation) = try dtype()
    var shape: [SpecSize]? = nil
    let open = peek
    if eat(.leftBracket) {
      nesting += 1
      var sizes: [SpecSize] = []
      repeat {
        sizes.append(try parseSize())
      } while eat(.comma)
      try expect(.rightBracket, "',' or ']' in the shape of '\(name)'", opening: open)
      nesting -= 1
      shape = sizes
    }
    var domain: SpecDomain? = nil
    let start = peek
    let sorted = isKeyword(start, .sorted)
    if sorted { advance() }
    if isKeyword(peek, .in) {
      advance()
      let lo = try parseSize()
      try expect(.dotDot, "'..' between the bounds of the value range")
      let hi = try parseSize()
      domain = SpecDomain(lowerBound: lo, upperBound: hi, sorted: sorted, location: start.location)
    } else if sorted {
      try fail("'in' after 'sorted'")
    }
    return SpecParam(
      name: name, dtype: dtype, dtypeLocation: dtypeLocation, shape: shape, domain: domain, location: location)
  }

  // MARK: - Sizes

  mutating func parseSize() throws(Abort) -> SpecSize {
    var lhs = try parseSizeProduct()
    while true {
      let t = peek
      let op: SpecSize.SizeOperator
      if isPunct(t, .plus) { op = .add } else if isPunct(t, .minus) { op = .sub } else { return lhs }
      advance()
      let rhs = try parseSizeProduct()
      lhs = SpecSize(.binary(op, lhs, rhs), at: lhs.location)
    }
  }

  mutating func parseSizeProduct() throws(Abort) -> SpecSize {
    var lhs = try parseSizeAtom()
    while true {
      let t = peek
      let op: SpecSize.SizeOperator
      if isPunct(t, .star) {
        op = .mul
      } else if isPunct(t, .slashSlash) {
        op = .div
      } else if isPunct(t, .slash) {
        error("sizes divide with '//' (floor division), not '/'", at: t.location)
        throw Abort()
      } else {
        return lhs
      }
      advance()
      let rhs = try parseSizeAtom()
      lhs = SpecSize(.binary(op, lhs, rhs), at: lhs.location)
    }
  }

  mutating func parseSizeAtom() throws(Abort) -> SpecSize {
    depth += 1
    defer { depth -= 1 }
    if depth > SpecParser.maximumDepth {
      error("size is nested too deeply", at: peek.location, id: SpecParser.tooDeep)
      throw Abort()
    }
    let t = peek
    switch t.kind {
    case .integer(let v):
      advance()
      guard let v else {
        error("integer literal '\(t.text)' is too large", at: t.location, id: SpecParser.literalRange)
        throw Abort()
      }
      return SpecSize(.integer(Int(v)), at: t.location)
    case .identifier(let name):
      advance()
      return SpecSize(.name(name), at: t.location)
    case .punctuation(.leftParen):
      advance()
      nesting += 1
      let inner = try parseSize()
      try expect(.rightParen, opening: t)
      nesting -= 1
      return inner
    case .keyword, .float, .punctuation, .newline, .endOfFile:
      try fail("a size (an integer, a dimension name or a size expression)")
    }
  }

  // MARK: - Statements

  /// Statements up to the closing `}` (consumed).
  mutating func parseStatements(brace: Token) -> [SpecStatement] {
    var statements: [SpecStatement] = []
    while true {
      nesting = 0
      depth = 0
      while tokens[index].kind == .newline || isPunct(tokens[index], .semicolon) { index += 1 }
      let t = tokens[index]
      if isPunct(t, .rightBrace) {
        index += 1
        return statements
      }
      if t.kind == .endOfFile {
        error(
          "expected '}' at the end of kernel body", at: t.location, id: SpecParser.unterminated,
          notes: [.init("to match this '{'", at: brace.location)])
        return statements
      }
      do {
        statements.append(try parseStatement())
        let end = tokens[index]
        if end.kind == .newline || isPunct(end, .semicolon) || isPunct(end, .rightBrace) || end.kind == .endOfFile {
          continue
        }
        try fail("end of statement (newline or ';')")
      } catch {
        recover()
      }
    }
  }

  /// Skips to the next line that starts like a statement, or to the closing `}`.
  mutating func recover() {
    nesting = 0
    while true {
      let t = tokens[index]
      if t.kind == .endOfFile { return }
      if isPunct(t, .semicolon) {
        index += 1
        return
      }
      if t.kind == .newline {
        index += 1
        let next = tokens[index]
        if looksLikeStatementStart(index) || isPunct(next, .rightBrace) || next.kind == .endOfFile { return }
        continue
      }
      if isPunct(t, .rightBrace), index + 1 < tokens.count, tokens[index + 1].kind == .newline || tokens[index + 1].kind == .endOfFile {
        // A `}` alone at the end of a line closes the kernel.
        if isLineStart(index) { return }
      }
      index += 1
    }
  }

  func isLineStart(_ i: Int) -> Bool { i == 0 || tokens[i - 1].kind == .newline }

  func looksLikeStatementStart(_ i: Int) -> Bool {
    let t = tokens[i]
    if isKeyword(t, .dims) || isKeyword(t, .bench) || isMatmulPrecisionLine(i) { return true }
    guard case .identifier = t.kind, i + 1 < tokens.count else { return false }
    let n = tokens[i + 1]
    return isPunct(n, .leftBracket) || isPunct(n, .assign)
  }

  /// `matmul_precision WORD` at token `i`: the word is not a keyword, so a definition of a tensor named
  /// `matmul_precision` (followed by `[` or `=`) stays one.
  func isMatmulPrecisionLine(_ i: Int) -> Bool {
    guard case .identifier("matmul_precision") = tokens[i].kind, i + 1 < tokens.count else { return false }
    if case .identifier = tokens[i + 1].kind { return true }
    return false
  }

  mutating func parseStatement() throws(Abort) -> SpecStatement {
    let t = peek
    if isKeyword(t, .dims) || isKeyword(t, .bench) {
      advance()
      var bindings: [SpecBinding] = []
      repeat {
        let (name, location) = try identifier("a dimension name")
        try expect(.assign, "'=' after '\(name)'")
        let v = peek
        guard case .integer(let value) = v.kind else { try fail("an integer value for '\(name)'") }
        advance()
        guard let value else {
          error("integer literal '\(v.text)' is too large", at: v.location, id: SpecParser.literalRange)
          throw Abort()
        }
        bindings.append(SpecBinding(name: name, value: Int(value), location: location, valueLocation: v.location))
      } while eat(.comma)
      return isKeyword(t, .dims) ? .dims(bindings, location: t.location) : .bench(bindings, location: t.location)
    }
    if isMatmulPrecisionLine(index) {
      advance()
      let (word, location) = try identifier("a matmul precision")
      guard let value = MatmulPrecision(rawValue: word) else {
        error(
          "unknown matmul precision '\(word)'; expected one of \(MatmulPrecision.spellings)", at: location,
          id: SpecParser.unknownMatmulPrecision)
        throw Abort()
      }
      return .matmulPrecision(value, location: t.location)
    }
    if case .keyword(let k) = t.kind {
      error("expected a definition, 'dims' or 'bench', found keyword '\(k.rawValue)'", at: t.location)
      throw Abort()
    }
    let (name, location) = try identifier("a definition ('name[axes] = expression'), 'dims' or 'bench'")
    var axes: [SpecAxis] = []
    let open = peek
    if eat(.leftBracket) {
      nesting += 1
      repeat {
        let (axis, axisLocation) = try identifier("an axis name")
        var extent: SpecSize? = nil
        if eat(.less) { extent = try parseSize() }
        axes.append(SpecAxis(name: axis, extent: extent, location: axisLocation))
      } while eat(.comma)
      try expect(.rightBracket, "',' or ']' after an axis", opening: open)
      nesting -= 1
    }
    if isPunct(peek, .equal) {
      error("expected '=' in a definition, found '=='", at: peek.location)
      throw Abort()
    }
    try expect(.assign, "'=' after the left side of the definition")
    let body = try parseExpression()
    return .definition(SpecDefinition(name: name, axes: axes, body: body, location: location))
  }

  // MARK: - Expressions

  mutating func enter() throws(Abort) {
    depth += 1
    if depth > SpecParser.maximumDepth {
      error(
        "expression is nested too deeply (more than \(SpecParser.maximumDepth) levels)", at: peek.location,
        id: SpecParser.tooDeep)
      throw Abort()
    }
  }

  mutating func parseExpression() throws(Abort) -> SpecExpr {
    try enter()
    defer { depth -= 1 }
    return try parseOr()
  }

  mutating func parseOr() throws(Abort) -> SpecExpr {
    var lhs = try parseAnd()
    let saved = depth
    defer { depth = saved }
    while isKeyword(peek, .or) || isPunct(peek, .pipePipe) {
      let op = advance()
      try enter()
      let rhs = try parseAnd()
      lhs = SpecExpr(.binary(.or, lhs, rhs, operatorLocation: op.location), at: lhs.location)
    }
    return lhs
  }

  mutating func parseAnd() throws(Abort) -> SpecExpr {
    var lhs = try parseNot()
    let saved = depth
    defer { depth = saved }
    while isKeyword(peek, .and) || isPunct(peek, .ampAmp) {
      let op = advance()
      try enter()
      let rhs = try parseNot()
      lhs = SpecExpr(.binary(.and, lhs, rhs, operatorLocation: op.location), at: lhs.location)
    }
    return lhs
  }

  mutating func parseNot() throws(Abort) -> SpecExpr {
    let t = peek
    if isKeyword(t, .not) || isPunct(t, .bang) {
      advance()
      try enter()
      defer { depth -= 1 }
      let operand = try parseNot()
      return SpecExpr(.unary(.not, operand), at: t.location)
    }
    return try parseComparison()
  }

  mutating func comparisonOperator(_ t: Token) -> SpecBinaryOperator? {
    guard case .punctuation(let p) = t.kind else { return nil }
    switch p {
    case .equal: return .equal
    case .notEqual: return .notEqual
    case .less: return .less
    case .lessEqual: return .lessEqual
    case .greater: return .greater
    case .greaterEqual: return .greaterEqual
    case .leftParen, .rightParen, .leftBracket, .rightBracket, .leftBrace, .rightBrace, .comma, .colon, .semicolon,
      .arrow, .assign, .plus, .minus, .star, .slash, .slashSlash, .percent, .dotDot, .bang, .ampAmp, .pipePipe:
      return nil
    }
  }

  mutating func parseComparison() throws(Abort) -> SpecExpr {
    let lhs = try parseAdditive()
    guard let op = comparisonOperator(peek) else { return lhs }
    let opToken = advance()
    let rhs = try parseAdditive()
    if comparisonOperator(peek) != nil {
      error(
        "comparisons cannot be chained; combine them with 'and'", at: peek.location)
      throw Abort()
    }
    return SpecExpr(.binary(op, lhs, rhs, operatorLocation: opToken.location), at: lhs.location)
  }

  mutating func parseAdditive() throws(Abort) -> SpecExpr {
    var lhs = try parseMultiplicative()
    let saved = depth
    defer { depth = saved }
    while true {
      let t = peek
      let op: SpecBinaryOperator
      if isPunct(t, .plus) { op = .add } else if isPunct(t, .minus) { op = .sub } else { return lhs }
      advance()
      try enter()
      let rhs = try parseMultiplicative()
      lhs = SpecExpr(.binary(op, lhs, rhs, operatorLocation: t.location), at: lhs.location)
    }
  }

  mutating func parseMultiplicative() throws(Abort) -> SpecExpr {
    var lhs = try parseUnary()
    let saved = depth
    defer { depth = saved }
    while true {
      let t = peek
      let op: SpecBinaryOperator
      if isPunct(t, .star) {
        op = .mul
      } else if isPunct(t, .slash) {
        op = .div
      } else if isPunct(t, .percent) {
        op = .mod
      } else if isPunct(t, .slashSlash) {
        error("'//' is for sizes; in expressions write '/' (integer division floors)", at: t.location)
        throw Abort()
      } else {
        return lhs
      }
      advance()
      try enter()
      let rhs = try parseUnary()
      lhs = SpecExpr(.binary(op, lhs, rhs, operatorLocation: t.location), at: lhs.location)
    }
  }

  mutating func parseUnary() throws(Abort) -> SpecExpr {
    try enter()
    defer { depth -= 1 }
    let t = peek
    if isPunct(t, .minus) {
      advance()
      let operand = try parseUnary()
      return SpecExpr(.unary(.negate, operand), at: t.location)
    }
    if isKeyword(t, .not) || isPunct(t, .bang) {
      // `a * not b` is unusual but unambiguous.
      return try parseNot()
    }
    return try parsePostfix()
  }

  mutating func parsePostfix() throws(Abort) -> SpecExpr {
    let base = try parsePrimary()
    let open = peek
    guard eat(.leftBracket) else { return base }
    nesting += 1
    var indices: [SpecExpr] = []
    if !isPunct(peek, .rightBracket) {
      repeat {
        indices.append(try parseExpression())
      } while eat(.comma)
    }
    try expect(.rightBracket, "',' or ']' after an index", opening: open)
    nesting -= 1
    var pad: SpecExpr? = nil
    if isKeyword(peek, .else) {
      advance()
      pad = try parseLiteral()
    }
    if isPunct(peek, .leftBracket) {
      error("a tensor is indexed with one '[...]' holding all its indices, e.g. 'x[i, j]'", at: peek.location)
      throw Abort()
    }
    return SpecExpr(.index(base, indices, pad: pad), at: base.location)
  }

  /// `['-'] (NUMBER | inf | nan) | true | false`, for the padding value after `else`.
  mutating func parseLiteral() throws(Abort) -> SpecExpr {
    let start = peek
    let negative = eat(.minus)
    let t = peek
    switch t.kind {
    case .integer(let v):
      advance()
      guard let v else {
        error("integer literal '\(t.text)' is too large", at: t.location, id: SpecParser.literalRange)
        throw Abort()
      }
      return SpecExpr(.integer(negative ? 0 &- v : v), at: start.location)
    case .float(let v):
      advance()
      return SpecExpr(.float(negative ? -v : v), at: start.location)
    case .keyword(.inf):
      advance()
      return SpecExpr(.float(negative ? -.infinity : .infinity), at: start.location)
    case .keyword(.nan):
      advance()
      return SpecExpr(.float(.nan), at: start.location)
    case .keyword(.true), .keyword(.false):
      if !negative {
        advance()
        return SpecExpr(.bool(isKeyword(t, .true)), at: start.location)
      }
    case .keyword, .identifier, .punctuation, .newline, .endOfFile:
      break
    }
    try fail("a literal after 'else' (a number, 'inf', '-inf', 'nan', 'true' or 'false')")
  }

  mutating func parsePrimary() throws(Abort) -> SpecExpr {
    let t = peek
    switch t.kind {
    case .integer(let v):
      advance()
      guard let v else {
        error("integer literal '\(t.text)' is too large", at: t.location, id: SpecParser.literalRange)
        throw Abort()
      }
      return SpecExpr(.integer(v), at: t.location)
    case .float(let v):
      advance()
      return SpecExpr(.float(v), at: t.location)
    case .keyword(.inf):
      advance()
      return SpecExpr(.float(.infinity), at: t.location)
    case .keyword(.nan):
      advance()
      return SpecExpr(.float(.nan), at: t.location)
    case .keyword(.true):
      advance()
      return SpecExpr(.bool(true), at: t.location)
    case .keyword(.false):
      advance()
      return SpecExpr(.bool(false), at: t.location)
    case .identifier(let name):
      if let op = SpecReduceOp(rawValue: name), isReductionAhead(op) {
        return try parseReduction(op)
      }
      advance()
      let open = peek
      guard eat(.leftParen) else { return SpecExpr(.name(name), at: t.location) }
      nesting += 1
      var args: [SpecExpr] = []
      if !isPunct(peek, .rightParen) {
        repeat {
          args.append(try parseExpression())
        } while eat(.comma)
      }
      try expect(.rightParen, "',' or ')' after an argument of '\(name)'", opening: open)
      nesting -= 1
      return SpecExpr(.call(name, args), at: t.location)
    case .punctuation(.leftParen):
      advance()
      nesting += 1
      let inner = try parseExpression()
      try expect(.rightParen, opening: t)
      nesting -= 1
      return inner
    case .keyword(let k):
      error("expected an expression, found keyword '\(k.rawValue)'", at: t.location)
      throw Abort()
    case .punctuation, .newline, .endOfFile:
      try fail("an expression")
    }
  }

  /// Whether the reduction name at the cursor starts a reduction (`max(k) e`, `sum<f32>(k) e`) rather than a call
  /// (`max(a, b)`): it does when a type follows in `<...>`, when an argument uses `in`, or when an expression
  /// follows the closing `)`. `sum`, `prod`, `argmax` and `argmin` are always reductions.
  func isReductionAhead(_ op: SpecReduceOp) -> Bool {
    var i = position(from: index) + 1
    guard i < tokens.count else { return false }
    if isPunct(tokens[i], .less) {
      if i + 2 < tokens.count, case .identifier(let n) = tokens[i + 1].kind, DType(rawValue: n) != nil,
        isPunct(tokens[i + 2], .greater)
      {
        return true
      }
      return false
    }
    guard isPunct(tokens[i], .leftParen) else { return false }
    switch op {
    case .sum, .prod, .argmax, .argmin: return true
    case .max, .min: break
    }
    var depth = 0
    while i < tokens.count {
      let t = tokens[i]
      if case .punctuation(let p) = t.kind {
        switch p {
        case .leftParen, .leftBracket: depth += 1
        case .rightParen, .rightBracket: depth -= 1
        case .rightBrace, .leftBrace: return false
        case .comma, .colon, .semicolon, .arrow, .assign, .equal, .notEqual, .less, .lessEqual, .greater,
          .greaterEqual, .plus, .minus, .star, .slash, .slashSlash, .percent, .dotDot, .bang, .ampAmp, .pipePipe:
          break
        }
      }
      if depth == 1, isKeyword(t, .in) { return true }
      if t.kind == .endOfFile { return false }
      i += 1
      if depth == 0 { break }
    }
    // The token after `)`; a newline ends the statement unless brackets are open.
    if nesting > 0 {
      while i < tokens.count - 1, tokens[i].kind == .newline { i += 1 }
    }
    guard i < tokens.count else { return false }
    switch tokens[i].kind {
    case .identifier, .integer, .float: return true
    case .keyword(let k):
      switch k {
      case .true, .false, .inf, .nan, .not: return true
      case .kernel, .dims, .bench, .in, .sorted, .else, .and, .or: return false
      }
    case .punctuation(let p): return p == .leftParen || p == .bang
    case .newline, .endOfFile: return false
    }
  }

  mutating func parseReduction(_ op: SpecReduceOp) throws(Abort) -> SpecExpr {
    let start = advance()
    var accumulator: DType? = nil
    if eat(.less) {
      accumulator = try dtype().0
      try expect(.greater, "'>' after the accumulator type")
    }
    let open = peek
    try expect(.leftParen, "'(' and the reduction variables after '\(op.rawValue)'")
    nesting += 1
    var axes: [SpecReductionAxis] = []
    repeat {
      let (name, location) = try identifier("a reduction variable")
      if eat(.less) {
        axes.append(SpecReductionAxis(name: name, range: .below(try parseAdditive()), location: location))
      } else if isKeyword(peek, .in) {
        advance()
        let lo = try parseAdditive()
        try expect(.dotDot, "'..' between the bounds of '\(name)'")
        let hi = try parseAdditive()
        axes.append(SpecReductionAxis(name: name, range: .between(lo, hi), location: location))
      } else {
        axes.append(SpecReductionAxis(name: name, range: .inferred, location: location))
      }
    } while eat(.comma)
    try expect(.rightParen, "',' or ')' after a reduction variable", opening: open)
    nesting -= 1
    let next = peek
    let bodyStarts: Bool
    switch next.kind {
    case .newline, .endOfFile: bodyStarts = false
    case .punctuation(let p): bodyStarts = p == .leftParen || p == .minus || p == .bang
    case .identifier, .integer, .float, .keyword: bodyStarts = true
    }
    if !bodyStarts {
      try fail("the expression to reduce after '\(op.rawValue)(...)'")
    }
    let body = try parseExpression()
    return SpecExpr(.reduction(op, accumulator: accumulator, axes: axes, body: body), at: start.location)
  }
}
