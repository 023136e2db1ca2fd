import KevcBasic

/// Prints kernel IR in its textual form (`.kir`, see docs/ir.md). The form is canonical and complete:
/// `IRParser.parse(IRPrinter.print(k))` equals `k` up to source locations for every kernel whose constants are
/// well formed (the verifier checks that). Every binary operation is parenthesised, every constant carries its
/// type, and names that are not plain identifiers are quoted.
public enum IRPrinter {
  public static func print(_ kernel: Kernel) -> String {
    var out = "kernel @\(sigilName(kernel.name))("
    out += kernel.params.map(param).joined(separator: ", ")
    out += ") -> ("
    out += kernel.results.map(param).joined(separator: ", ")
    out += ")"
    // The accuracy contract of f32 contractions, only when it is not the default (`highest`).
    if kernel.matmulPrecision != .highest { out += " matmul_precision(\(kernel.matmulPrecision.rawValue))" }
    out += " {\n"
    if !kernel.dims.isEmpty {
      out += "  dims " + kernel.dims.map(dim).joined(separator: ", ") + "\n"
    }
    for c in kernel.constraints {
      out += "  " + constraint(c) + "\n"
    }
    for d in kernel.definitions {
      out += "  " + definition(d) + "\n"
    }
    out += "}\n"
    return out
  }

  public static func print(_ expr: Expr) -> String { self.expr(expr, bareI64: false) }

  public static func print(size: SizeExpr) -> String { self.size(size) }

  public static func print(_ constant: Constant) -> String { self.constant(constant, bareI64: false) }

  /// One definition line, without indentation or newline.
  public static func print(_ definition: Definition) -> String { self.definition(definition) }

  // MARK: - Pieces

  static func param(_ p: Param) -> String {
    var s = "%\(sigilName(p.name)): \(p.dtype)"
    if !p.shape.isEmpty { s += "[" + p.shape.map(size).joined(separator: ", ") + "]" }
    if let d = p.domain {
      s += d.sorted ? " sorted in " : " in "
      s += size(d.lowerBound) + " .. " + size(d.upperBound)
    }
    return s
  }

  static func dim(_ d: Dim) -> String {
    var s = bareName(d.name)
    if let v = d.value { s += " = \(v)" }
    if let b = d.benchValue { s += " bench \(b)" }
    return s
  }

  /// `require FIRST == SECOND for VAR in %T1[DIM1], %T2[DIM2]`.
  static func constraint(_ c: ShapeConstraint) -> String {
    "require \(size(c.first.extent)) == \(size(c.second.extent)) for \(bareName(c.variable)) in "
      + "%\(sigilName(c.first.tensor))[\(c.first.dimension)], %\(sigilName(c.second.tensor))[\(c.second.dimension)]"
  }

  static func definition(_ d: Definition) -> String {
    var s = "%\(sigilName(d.name)): \(d.dtype)["
    s += d.axes.map { "\(bareName($0.name)) < \(size($0.extent))" }.joined(separator: ", ")
    s += "] = "
    if let r = d.reduction {
      if let axis = r.scanAxis { s += "scan(\(bareName(axis))) " }
      if let isMax = r.argExtremeSpelling {
        s += "\(isMax ? "argmax" : "argmin")<\(r.accumulator)> ["
      } else if let c = r.combiner {
        s += "\(r.op.rawValue)<" + c.components.map {
          "\(bareName($0.name)): \($0.dtype) = \(expr(.constant($0.identity), bareI64: false))"
        }.joined(separator: ", ") + "> ["
      } else {
        s += "\(r.op.rawValue)<\(r.accumulator)> ["
      }
      s += r.axes.map {
        "\(bareName($0.name)) in \(expr($0.lowerBound, bareI64: true)) .. \(expr($0.upperBound, bareI64: true))"
      }.joined(separator: ", ")
      s += "] "
    }
    if let c = d.reduction?.combiner, d.reduction?.argExtremeSpelling == nil {
      let list = { (es: [Expr]) in "(" + es.map { expr($0, bareI64: false) }.joined(separator: ", ") + ")" }
      s += list([d.body] + c.otherElements) + " combine " + list(c.combine) + " yield " + expr(c.yield, bareI64: false)
    } else {
      s += expr(d.body, bareI64: false)
    }
    if let schedule = d.schedule { s += "\n    " + self.schedule(schedule) }
    return s
  }

  /// `schedule [fuse(v, outer, inner)] split(v, outer, inner, factor)... loops(name[: kind], ...) (root | compute_at(%consumer,
  /// loop)) store(SCOPE[, permute [..]][, pad [..]]) [dot] [launch(warps W, stages S)] [precision(P)] [group(G)]
  /// [persistent(P)] [compute_with(%sibling)]`, printed on the line after
  /// its definition.
  static func schedule(_ s: Schedule) -> String {
    var out = "schedule"
    if let f = s.fusion { out += " fuse(\(bareName(f.variable)), \(bareName(f.outer)), \(bareName(f.inner)))" }
    for split in s.splits {
      out += " split(\(bareName(split.variable)), \(bareName(split.outer)), \(bareName(split.inner)), \(split.factor))"
    }
    out += " loops(" + s.loops.map { loop in
      switch loop.kind {
      case .serial: return bareName(loop.name)
      case .parallel: return "\(bareName(loop.name)): parallel"
      case .vectorized(let width): return "\(bareName(loop.name)): vectorize(\(width))"
      case .unrolled: return "\(bareName(loop.name)): unroll"
      case .gpu(let dim): return "\(bareName(loop.name)): bind(\(dim.rawValue))"
      }
    }.joined(separator: ", ") + ")"
    switch s.placement {
    case .root: out += " root"
    case .computeAt(let consumer, let loop): out += " compute_at(%\(sigilName(consumer)), \(bareName(loop)))"
    }
    out += " store(\(s.storage.scope.rawValue)"
    if let p = s.storage.permutation { out += ", permute [" + p.map(String.init).joined(separator: ", ") + "]" }
    if let p = s.storage.padding { out += ", pad [" + p.map(String.init).joined(separator: ", ") + "]" }
    if let i = s.storage.interleave {
      out += ", into %\(sigilName(i.tensor)) stride [" + i.strides.map(String.init).joined(separator: ", ") + "] offset ["
        + i.offsets.map(String.init).joined(separator: ", ") + "]"
    }
    out += ")"
    if s.isDot { out += " dot" }
    if let l = s.launch { out += " launch(warps \(l.warps), stages \(l.stages))" }
    if let p = s.dotPrecision { out += " precision(\(p.rawValue))" }
    if let g = s.programGroup { out += " group(\(g))" }
    if let p = s.persistentPrograms { out += " persistent(\(p))" }
    if let w = s.computeWith { out += " compute_with(%\(sigilName(w))\(s.computeWithLoop.map { ", \($0)" } ?? ""))" }
    return out
  }

  static func size(_ s: SizeExpr) -> String {
    switch s {
    case .constant(let c): return String(c)
    case .dim(let d): return bareName(d)
    case .add(let a, let b): return "(\(size(a)) + \(size(b)))"
    case .sub(let a, let b): return "(\(size(a)) - \(size(b)))"
    case .mul(let a, let b): return "(\(size(a)) * \(size(b)))"
    case .div(let a, let b): return "(\(size(a)) / \(size(b)))"
    }
  }

  /// `bareI64`: print i64 integer constants without their `:i64` suffix (inside reduction bounds).
  static func expr(_ e: Expr, bareI64: Bool) -> String {
    func sub(_ e: Expr) -> String { expr(e, bareI64: bareI64) }
    switch e {
    case .constant(let c): return constant(c, bareI64: bareI64)
    case .index(let name): return bareName(name)
    case .dim(let name): return "$\(sigilName(name))"
    case .scalar(let name): return "%\(sigilName(name))"
    case .load(let l):
      var s = "%\(sigilName(l.tensor))[" + l.indices.map(sub).joined(separator: ", ") + "]"
      switch l.bounds {
      case .padded(nil): break
      case .padded(let c?): s += " else " + constant(c, bareI64: false)
      case .inBounds: s += " inbounds"
      }
      return s
    case .unary(let op, let a): return "\(op.rawValue)(\(sub(a)))"
    case .binary(let op, let a, let b):
      if let symbol = infixSymbol(op) { return "(\(sub(a)) \(symbol) \(sub(b)))" }
      return "\(op.rawValue)(\(sub(a)), \(sub(b)))"
    case .select(let c, let a, let b): return "select(\(sub(c)), \(sub(a)), \(sub(b)))"
    case .cast(let t, let a): return "cast<\(t)>(\(sub(a)))"
    }
  }

  /// The infix spelling of a binary op; nil for the ones printed as calls (`max`, `min`, `pow`).
  static func infixSymbol(_ op: BinaryOp) -> String? {
    switch op {
    case .add: return "+"
    case .sub: return "-"
    case .mul: return "*"
    case .div: return "/"
    case .mod: return "%"
    case .eq, .ne, .lt, .le, .gt, .ge: return op.comparisonOperator
    case .and: return "and"
    case .or: return "or"
    case .max, .min, .pow: return nil
    }
  }

  static func constant(_ c: Constant, bareI64: Bool) -> String {
    switch c.value {
    case .bool(let b):
      return c.dtype == .bool ? String(b) : "\(b):\(c.dtype)"
    case .int(let v):
      return bareI64 && c.dtype == .i64 ? String(v) : "\(v):\(c.dtype)"
    case .float(let v):
      return "\(floatText(v)):\(c.dtype)"
    }
  }

  /// The shortest text that reads back as the same double; `nan` for every NaN.
  static func floatText(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v < 0 ? "-inf" : "inf" }
    return v.description
  }

  // MARK: - Names

  /// Words that a bare name cannot be (they would read as keywords, literals or operators).
  static let reserved: Set<String> = {
    var words: Set<String> = [
      "kernel", "dims", "bench", "in", "sorted", "else", "inbounds", "true", "false", "inf", "nan", "and", "or",
      "cast", "select", "argmax", "argmin", "schedule", "require", "for", "combine", "yield", "scan",
    ]
    for op in UnaryOp.allCases { words.insert(op.rawValue) }
    for op in BinaryOp.allCases { words.insert(op.rawValue) }
    for op in ReduceOp.allCases { words.insert(op.rawValue) }
    for t in DType.allCases { words.insert(t.rawValue) }
    return words
  }()

  /// A name written without a sigil (index variables, axes, dims in sizes): an identifier that is not reserved,
  /// else quoted.
  static func bareName(_ name: String) -> String {
    isIdentifier(name, digitStart: false) && !reserved.contains(name) ? name : quoted(name)
  }

  /// A name after `%`, `@` or `$`.
  static func sigilName(_ name: String) -> String {
    isIdentifier(name, digitStart: true) ? name : quoted(name)
  }

  /// `[A-Za-z_][A-Za-z0-9_]*` with single dots between identifier characters (`n.o`, `t.1`).
  static func isIdentifier(_ name: String, digitStart: Bool) -> Bool {
    let b = Array(name.utf8)
    guard let first = b.first else { return false }
    guard IRLexer.isIdentStart(first) || (digitStart && IRLexer.isDigit(first)) else { return false }
    var i = 1
    while i < b.count {
      if IRLexer.isIdentChar(b[i]) {
        i += 1
      } else if b[i] == 46, i + 1 < b.count, IRLexer.isIdentChar(b[i + 1]) {
        i += 2
      } else {
        return false
      }
    }
    return true
  }

  /// A name in double quotes, `"` and `\` escaped, control characters as `\n`, `\t` or `\u{..}` (shared with the
  /// loop IR's printer).
  package static func quoted(_ name: String) -> String {
    var s = "\""
    for u in name.unicodeScalars {
      switch u {
      case "\"": s += "\\\""
      case "\\": s += "\\\\"
      case "\n": s += "\\n"
      case "\t": s += "\\t"
      default:
        if u.value < 32 || u.value == 127 {
          s += "\\u{" + String(u.value, radix: 16) + "}"
        } else {
          s.unicodeScalars.append(u)
        }
      }
    }
    return s + "\""
  }
}
