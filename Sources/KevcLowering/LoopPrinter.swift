import KevcBasic
import KevcIR

/// The textual form of loop IR, read back by `LoopParser` (`parse(print(p)) == p`).
///
/// ```
/// loops @name(%x: bf16[61, 96], %eps: f32[]) -> (%y: bf16[61, 96]) dims(M = 61, N = 96) dot(%c.acc) {
///   workspace %ss: f32[61]                       // temporaries
///   for m in 0 .. 61 parallel {                  // kinds: (serial), parallel, vectorize(8), unroll, bind(grid.x)
///     local %ss.acc: f32[] { ... }               // allocate
///     if (m < 3:i64) { ... } else { ... }
///     %ss[m] = (%ss.acc[] inbounds + 1.0:f32)    // store
///   }
/// }
/// ```
/// Expressions are printed by the kernel IR's `IRPrinter`, so they read exactly as in `.kir` files: typed
/// constants (`1.5:f32`, `0.0:f32`, `-inf:f32`, `3:i64`, `true`), bare index variables, dims `$M`, scalar
/// parameters `%eps`, loads `%x[i, j]` (padded with zero), `%x[i] else -inf:f32`, `%x[i] inbounds`, fully
/// parenthesised infix `(a + b)` for `+ - * / % == != < <= > >= and or`, calls `max(a, b)`, `neg(a)`,
/// `select(c, a, b)`, `cast<f32>(a)`, and names that are not identifiers quoted (`%"a b"`, `"exp"`). Loop bounds
/// that are i64 constants print without their type. Dims print sorted by name; temporaries print with their memory
/// scope, params and results only when it is not `global`. Scalar parameters are rank-0 buffers (`f32[]`).
/// `dot(...)`, printed only when there are some, names the accumulators of contractions marked `dot`.
public enum LoopPrinter {
  public static func print(_ p: LoopProgram) -> String {
    var out = "loops @\(Names.sigil(p.name))(\(p.params.map(param).joined(separator: ", ")))"
    out += " -> (\(p.results.map(param).joined(separator: ", ")))"
    out += " dims(\(p.dims.sorted { $0.key < $1.key }.map { "\(Names.bare($0.key)) = \($0.value)" }.joined(separator: ", ")))"
    if !p.dotAccumulators.isEmpty {
      out += " dot(\(p.dotAccumulators.sorted().map { "%\(Names.sigil($0))" }.joined(separator: ", ")))"
    }
    out += " {\n"
    for t in p.temporaries { out += "  \(t.scope.rawValue) \(declaration(t))\n" }
    for s in p.body { statement(s, indent: "  ", into: &out) }
    out += "}\n"
    return out
  }

  /// The text of one expression.
  public static func print(_ e: Expr) -> String { IRPrinter.print(e) }

  static func declaration(_ b: Buffer) -> String {
    "%\(Names.sigil(b.name)): \(b.dtype.rawValue)[\(b.shape.map(String.init).joined(separator: ", "))]"
  }

  static func param(_ b: Buffer) -> String {
    b.scope == .global ? declaration(b) : declaration(b) + " " + b.scope.rawValue
  }

  static func kind(_ k: LoopKind) -> String {
    switch k {
    case .serial: return ""
    case .parallel: return " parallel"
    case .vectorized(let width): return " vectorize(\(width))"
    case .unrolled: return " unroll"
    case .gpu(let d): return " bind(\(d.rawValue))"
    }
  }

  /// A loop bound: an i64 constant without its type, else the expression.
  static func bound(_ e: Expr) -> String {
    if case .constant(let c) = e, c.dtype == .i64, case .int(let v) = c.value { return String(v) }
    return IRPrinter.print(e)
  }

  static func block(_ body: [Stmt], indent: String, into out: inout String) {
    out += "{\n"
    for s in body { statement(s, indent: indent + "  ", into: &out) }
    out += indent + "}"
  }

  static func statement(_ s: Stmt, indent: String, into out: inout String) {
    out += indent
    switch s {
    case .loop(let l):
      out += "for \(Names.bare(l.variable)) in \(bound(l.lowerBound)) .. \(bound(l.upperBound))\(kind(l.kind)) "
      block(l.body, indent: indent, into: &out)
    case .store(let buffer, let indices, let value):
      out += "%\(Names.sigil(buffer))[\(indices.map(IRPrinter.print).joined(separator: ", "))] = \(IRPrinter.print(value))"
    case .ifThen(let condition, let thenBody, let elseBody):
      out += "if \(IRPrinter.print(condition)) "
      block(thenBody, indent: indent, into: &out)
      if !elseBody.isEmpty {
        out += " else "
        block(elseBody, indent: indent, into: &out)
      }
    case .allocate(let buffer, let body):
      out += "\(buffer.scope.rawValue) \(declaration(buffer)) "
      block(body, indent: indent, into: &out)
    }
    out += "\n"
  }
}

/// Names in the text form, spelled as the kernel IR's printer spells them: a sigiled name (`%x`, `@k`) is an
/// identifier (single dots allowed, digits may start it), a bare name (loop variables, dims) also must not be a
/// keyword; any other name is quoted (`%"a b"`, `"exp"`).
enum Names {
  /// Words that read as keywords, literals, operators or types in expressions (the kernel IR's list).
  static let reserved: Set<String> = {
    var words: Set<String> = [
      "kernel", "dims", "bench", "in", "sorted", "else", "inbounds", "true", "false", "inf", "nan", "and", "or",
      "cast", "select", "argmax", "argmin",
    ]
    for op in UnaryOp.allCases { words.insert(op.rawValue) }
    for op in BinaryOp.allCases { words.insert(op.rawValue) }
    for op in ReduceOp.allCases { words.insert(op.rawValue) }
    for t in DType.allCases { words.insert(t.rawValue) }
    return words
  }()

  static func isIdentStart(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
  static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
  static func isIdentChar(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }

  /// `[A-Za-z_][A-Za-z0-9_]*` (or starting with a digit) with single dots between identifier characters.
  static func isIdentifier(_ name: String, digitStart: Bool) -> Bool {
    let b = Array(name.utf8)
    guard let first = b.first, isIdentStart(first) || (digitStart && isDigit(first)) else { return false }
    var i = 1
    while i < b.count {
      if isIdentChar(b[i]) {
        i += 1
      } else if b[i] == 46, i + 1 < b.count, isIdentChar(b[i + 1]) {
        i += 2
      } else {
        return false
      }
    }
    return true
  }

  static func bare(_ name: String) -> String {
    isIdentifier(name, digitStart: false) && !reserved.contains(name) ? name : quoted(name)
  }

  static func sigil(_ name: String) -> String { isIdentifier(name, digitStart: true) ? name : quoted(name) }

  /// A name in double quotes with the kernel IR's escapes (the same spelling as `IRPrinter`'s).
  static func quoted(_ name: String) -> String { IRPrinter.quoted(name) }
}
