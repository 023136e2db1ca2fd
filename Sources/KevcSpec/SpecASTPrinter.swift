import KevcBasic

/// Prints a spec's syntax tree as an indented outline, one node per line with its `line:col`
/// (`kevc compile --emit ast`). The output depends only on the tree, so it is stable across runs.
///
/// ```
/// kernel rmsnorm @1:1
///   param x: bf16[M, N] @1:16
///   definition ss[m] @5:3
///     sum<f32> @5:11
///       axis n
///       binary * @5:32
/// ```
public enum SpecASTPrinter {
  public static func print(_ file: SpecFile) -> String {
    var out = Output()
    let k = file.kernel
    out.line(0, "kernel \(k.name) \(at(k.location))")
    for p in k.params { out.line(1, "param \(param(p)) \(at(p.location))") }
    for r in k.results { out.line(1, "result \(param(r)) \(at(r.location))") }
    for s in k.statements {
      switch s {
      case .dims(let bindings, let location):
        out.line(1, "dims \(bindings.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")) \(at(location))")
      case .bench(let bindings, let location):
        out.line(1, "bench \(bindings.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")) \(at(location))")
      case .matmulPrecision(let value, let location):
        out.line(1, "matmul_precision \(value) \(at(location))")
      case .definition(let d):
        let axes = d.axes.map { a in a.extent.map { "\(a.name) < \(size($0))" } ?? a.name }
        let lhs = d.axes.isEmpty ? d.name : "\(d.name)[\(axes.joined(separator: ", "))]"
        out.line(1, "definition \(lhs) \(at(d.location))")
        expr(d.body, 2, &out)
      }
    }
    return out.text
  }

  private struct Output {
    var text = ""
    mutating func line(_ indent: Int, _ s: String) {
      text += String(repeating: "  ", count: indent) + s + "\n"
    }
  }

  private static func at(_ l: SourceLocation) -> String { "@\(l.line):\(l.column)" }

  private static func param(_ p: SpecParam) -> String {
    var s = "\(p.name): \(p.dtype)"
    if let shape = p.shape { s += "[\(shape.map(size).joined(separator: ", "))]" }
    if let d = p.domain {
      s += "\(d.sorted ? " sorted" : "") in \(size(d.lowerBound)) .. \(size(d.upperBound))"
    }
    return s
  }

  /// Sizes print on one line, fully parenthesised below the top level.
  public static func size(_ s: SpecSize) -> String {
    switch s.kind {
    case .integer(let v): return String(v)
    case .name(let n): return n
    case .binary(let op, let a, let b): return "\(sizeOperand(a)) \(op.rawValue) \(sizeOperand(b))"
    }
  }

  private static func sizeOperand(_ s: SpecSize) -> String {
    switch s.kind {
    case .integer, .name: return size(s)
    case .binary: return "(\(size(s)))"
    }
  }

  /// A float literal as the spec writes it (`inf`, `-inf`, `nan`, `1.5`).
  public static func literal(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v < 0 ? "-inf" : "inf" }
    return String(v)
  }

  private static func expr(_ e: SpecExpr, _ indent: Int, _ out: inout Output) {
    let loc = at(e.location)
    switch e.kind {
    case .integer(let v): out.line(indent, "integer \(v) \(loc)")
    case .float(let v): out.line(indent, "float \(literal(v)) \(loc)")
    case .bool(let v): out.line(indent, "bool \(v) \(loc)")
    case .name(let n): out.line(indent, "name \(n) \(loc)")
    case .call(let name, let args):
      out.line(indent, "call \(name) \(loc)")
      for a in args { expr(a, indent + 1, &out) }
    case .index(let base, let indices, let pad):
      out.line(indent, "index \(loc)")
      expr(base, indent + 1, &out)
      out.line(indent + 1, "indices")
      for i in indices { expr(i, indent + 2, &out) }
      if let pad {
        out.line(indent + 1, "else")
        expr(pad, indent + 2, &out)
      }
    case .unary(let op, let a):
      out.line(indent, "unary \(op.rawValue) \(loc)")
      expr(a, indent + 1, &out)
    case .binary(let op, let a, let b, let opLocation):
      out.line(indent, "binary \(op.rawValue) \(at(opLocation))")
      expr(a, indent + 1, &out)
      expr(b, indent + 1, &out)
    case .reduction(let op, let accumulator, let axes, let body):
      out.line(indent, "\(op.rawValue)\(accumulator.map { "<\($0)>" } ?? "") \(loc)")
      for a in axes {
        switch a.range {
        case .inferred:
          out.line(indent + 1, "axis \(a.name) \(at(a.location))")
        case .below(let e):
          out.line(indent + 1, "axis \(a.name) < \(at(a.location))")
          expr(e, indent + 2, &out)
        case .between(let lo, let hi):
          out.line(indent + 1, "axis \(a.name) in .. \(at(a.location))")
          expr(lo, indent + 2, &out)
          expr(hi, indent + 2, &out)
        }
      }
      out.line(indent + 1, "body")
      expr(body, indent + 2, &out)
    }
  }
}
