import KevcBasic
import KevcSpec
import Testing

/// The lexer and parser: tokens, precedence, reductions versus calls, recovery, and the AST dump.
@Suite struct ParserTests {
  func parse(_ text: String) throws(DiagnosticError) -> SpecFile {
    try SpecParser.parse(SourceFile(path: "t.kev", text: text))
  }

  func body(_ expr: String) throws -> SpecExpr {
    let f = try parse("kernel k(x: f32[N]) -> (y: f32[N]) {\n  y[n] = \(expr)\n}\n")
    guard case .definition(let d) = try #require(f.kernel.statements.first) else {
      Issue.record("no definition")
      return SpecExpr(.integer(0), at: .unknown)
    }
    return d.body
  }

  /// A compact, fully parenthesised rendering to check grouping.
  func shape(_ e: SpecExpr) -> String {
    switch e.kind {
    case .integer(let v): return String(v)
    case .float(let v): return SpecASTPrinter.literal(v)
    case .bool(let b): return String(b)
    case .name(let n): return n
    case .call(let n, let args): return "\(n)(\(args.map(shape).joined(separator: ", ")))"
    case .index(let b, let i, let pad):
      return "\(shape(b))[\(i.map(shape).joined(separator: ", "))]" + (pad.map { " else \(shape($0))" } ?? "")
    case .unary(let op, let a): return "(\(op.rawValue) \(shape(a)))"
    case .binary(let op, let a, let b, _): return "(\(shape(a)) \(op.rawValue) \(shape(b)))"
    case .reduction(let op, let acc, let axes, let body):
      let ax = axes.map { a -> String in
        switch a.range {
        case .inferred: return a.name
        case .below(let e): return "\(a.name) < \(shape(e))"
        case .between(let lo, let hi): return "\(a.name) in \(shape(lo)) .. \(shape(hi))"
        }
      }
      return "{\(op.rawValue)\(acc.map { "<\($0)>" } ?? "")(\(ax.joined(separator: ", "))) \(shape(body))}"
    }
  }

  @Test func lexesNumbersAndRanges() {
    let (tokens, diagnostics) = Lexer.tokenize(SourceFile(path: "t", text: "12 1.5 1e-5 .5 2. 0..N 3e 1e+2"))
    #expect(diagnostics.isEmpty)
    let kinds = tokens.map(\.kind)
    #expect(kinds == [
      .integer(12), .float(1.5), .float(1e-5), .float(0.5), .float(2), .integer(0), .punctuation(.dotDot),
      .identifier("N"), .integer(3), .identifier("e"), .float(100), .newline, .endOfFile,
    ])
    #expect(tokens[1].location == SourceLocation(file: "t", line: 1, column: 4))
  }

  @Test func precedence() throws {
    #expect(shape(try body("a + b * c - d / e % f")) == "((a + (b * c)) - ((d / e) % f))")
    #expect(shape(try body("not a < b and c or d")) == "(((not (a < b)) and c) or d)")
    #expect(shape(try body("-a * -b")) == "((- a) * (- b))")
    #expect(shape(try body("a && b || !c")) == "((a and b) or (not c))")
    #expect(shape(try body("x[i + 1, j] else -inf")) == "x[(i + 1), j] else -inf")
  }

  @Test func reductionsVersusCalls() throws {
    #expect(shape(try body("max(a, b)")) == "max(a, b)")
    #expect(shape(try body("max(a, b) - c")) == "(max(a, b) - c)")
    #expect(shape(try body("max(k) x[k]")) == "{max(k) x[k]}")
    #expect(shape(try body("sum<f32>(k, j < 3) a * b + c")) == "{sum<f32>(k, j < 3) ((a * b) + c)}")
    #expect(shape(try body("(sum(k) a) + c")) == "({sum(k) a} + c)")
    #expect(shape(try body("sum(j in o[b] .. o[b + 1]) v[j]")) == "{sum(j in o[b] .. o[(b + 1)]) v[j]}")
    #expect(shape(try body("x * sum(k) -y[k]")) == "(x * {sum(k) (- y[k])})")
    #expect(shape(try body("f(max(k) x[k], 2)")) == "f({max(k) x[k]}, 2)")
    #expect(shape(try body("min(k < 2) (a)")) == "{min(k < 2) a}")
  }

  @Test func newlinesInsideBracketsContinueTheStatement() throws {
    let f = try parse(
      """
      kernel k(x: f32[M,
                      N]) # comment
        -> (y: f32[M, N]) {
        y[m, n] = where(m < n,
                        x[m, n], 0); dims M = 2, N = 3
      }
      """)
    #expect(f.kernel.statements.count == 2)
  }

  @Test func headerDetails() throws {
    let f = try parse("kernel k(a: i32[B + 1] sorted in 0 .. N + 1, s: f32) -> (y: bf16[(L - 1) // 2 + 1]) { }")
    let a = f.kernel.params[0]
    #expect(a.dtype == .i32 && a.domain?.sorted == true)
    #expect(f.kernel.params[1].shape == nil)
    #expect(SpecASTPrinter.size(try #require(f.kernel.results[0].shape?.first)) == "((L - 1) // 2) + 1")
  }

  @Test func recoversAndReportsEveryBrokenStatement() {
    let text = """
      kernel k(x: f32[N]) -> (y: f32[N]) {
        a[n] = x[n] +
        b[n] = x[n]]
        y[n] = x[n]
        c[n] = (x[n]
      }
      """
    do {
      _ = try parse(text)
      Issue.record("expected errors")
    } catch {
      #expect(error.diagnostics.map { "\($0.location.line):\($0.location.column)" } == ["2:16", "3:14", "5:15"])
      #expect(error.diagnostics.last?.notes.first?.location == SourceLocation(file: "t.kev", line: 5, column: 10))
    }
  }

  @Test func astDumpIsReadableAndDeterministic() throws {
    let text = """
      kernel rmsnorm(x: bf16[M, N], eps: f32) -> (y: bf16[M, N]) {
        dims M = 61, N = 96
        y[m, n] = bf16(f32(x[m, n]) * rsqrt((sum<f32>(k) f32(x[m, k]) * f32(x[m, k])) / N + eps)) else 0
      }
      """.replacingOccurrences(of: " else 0", with: "")
    let f = try parse(text)
    let dump = SpecASTPrinter.print(f)
    #expect(dump == SpecASTPrinter.print(try parse(text)))
    #expect(dump.hasPrefix("""
      kernel rmsnorm @1:1
        param x: bf16[M, N] @1:16
        param eps: f32 @1:31
        result y: bf16[M, N] @1:45
        dims M = 61, N = 96 @2:3
        definition y[m, n] @3:3
          call bf16 @3:13
            binary * @3:31
              call f32 @3:18
                index @3:22
                  name x @3:22
                  indices
                    name m @3:24
                    name n @3:27
              call rsqrt @3:33
                binary + @3:85
                  binary / @3:81
                    sum<f32> @3:40
                      axis k @3:49
                      body
      """), "\(dump)")
  }
}
