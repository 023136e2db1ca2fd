import KevcBasic
import KevcIR

/// Type and literal conventions of the Triton emitter: how each IR dtype is stored (pointer element type) and
/// held in registers (f16/bf16 values are computed in f32 and rounded at stores and explicit casts, as the IR says),
/// how constants print as Python, and how IR names become unique Python identifiers.
enum TritonType {
  /// The Triton dtype of memory elements.
  static func storage(_ t: DType) -> String {
    switch t {
    case .f16: return "tl.float16"
    case .bf16: return "tl.bfloat16"
    case .f32: return "tl.float32"
    case .f64: return "tl.float64"
    case .i8: return "tl.int8"
    case .i32: return "tl.int32"
    case .i64: return "tl.int64"
    case .bool: return "tl.int1"
    }
  }

  /// The Triton dtype values of this IR type are computed in.
  static func register(_ t: DType) -> String { storage(t.computed) }

  /// The signature string of a pointer to elements of this type (`triton.compile`'s `signature`).
  static func pointerSignature(_ t: DType) -> String { "*" + scalarSignature(t, asStored: true) }

  /// The signature string of a scalar argument (f16/bf16 scalars are passed as f32 and rounded in the kernel).
  static func scalarSignature(_ t: DType, asStored: Bool = false) -> String {
    switch t {
    case .f16: return asStored ? "fp16" : "fp32"
    case .bf16: return asStored ? "bf16" : "fp32"
    case .f32: return "fp32"
    case .f64: return "fp64"
    case .i8: return "i8"
    case .i32: return "i32"
    case .i64: return "i64"
    case .bool: return "i1"
    }
  }

  /// The torch dtype (for workspace allocation in `launch`).
  static func torch(_ t: DType) -> String { HarnessModule.torch(t) }

  static func isHalf(_ t: DType) -> Bool { t == .f16 || t == .bf16 }

  /// A Python float literal (inf and nan through `float(...)`, which Triton folds at compile time).
  static func floatLiteral(_ v: Double) -> String {
    if v.isNaN { return "float(\"nan\")" }
    if v.isInfinite { return v < 0 ? "-float(\"inf\")" : "float(\"inf\")" }
    var s = "\(v)"
    if !s.contains(".") && !s.contains("e") && !s.contains("n") { s += ".0" }
    return s
  }

  /// The value of a constant rounded to its type (what the IR means by a constant of that type).
  static func roundedValue(_ c: Constant) -> Constant.Value {
    switch c.value {
    case .float(let v): return .float(c.dtype.isFloat ? c.dtype.round(v) : v)
    case .int(let v): return .int(c.dtype.isInteger ? ElementEncoding.wrap(v, to: c.dtype) : v)
    case .bool: return c.value
    }
  }

  /// A bare Python literal for a constant: right as an operand next to a tensor of the constant's register type.
  static func literal(_ c: Constant) -> String {
    switch roundedValue(c) {
    case .float(let v):
      if c.dtype.isFloat { return floatLiteral(v) }
      if c.dtype == .bool { return v != 0 ? "True" : "False" }
      return "\(Int64(exactly: v.rounded(.towardZero)) ?? 0)"
    case .int(let v):
      if c.dtype.isFloat { return floatLiteral(Double(v)) }
      if c.dtype == .bool { return v != 0 ? "True" : "False" }
      return "\(v)"
    case .bool(let b):
      if c.dtype.isFloat { return b ? "1.0" : "0.0" }
      if c.dtype.isInteger { return b ? "1" : "0" }
      return b ? "True" : "False"
    }
  }

  /// A typed 0-d tensor holding the constant (for constants that are not next to a typed operand).
  static func typedConstant(_ c: Constant) -> String {
    "tl.full([], \(literal(c)), \(register(c.dtype)))"
  }

  /// The smallest and largest values of an integer type (for saturating float -> int casts).
  static func integerLimits(_ t: DType) -> (Int64, Int64) {
    let r = ElementEncoding.integerRange(t)
    return (r.lowerBound, r.upperBound)
  }

  /// The identity of a reduction in the accumulator type.
  static func identity(_ op: ReduceOp, _ t: DType) -> Constant {
    switch op {
    case .sum: return .zero(t)
    case .prod: return t.isFloat ? .float(1, t) : (t == .bool ? .bool(true) : .int(1, t))
    case .max: return lowest(t)
    case .min: return highest(t)
    // Never used: the emitter refuses tuple reductions (TritonEmitter.emit).
    case .tuple: return .zero(t)
    }
  }

  static func lowest(_ t: DType) -> Constant {
    if t.isFloat { return .float(-.infinity, t) }
    if t == .bool { return .bool(false) }
    return .int(integerLimits(t).0, t)
  }

  static func highest(_ t: DType) -> Constant {
    if t.isFloat { return .float(.infinity, t) }
    if t == .bool { return .bool(true) }
    return .int(integerLimits(t).1, t)
  }
}

/// Unique Python identifiers for IR names (`n.o` -> `n_o`), never colliding with each other or with the
/// emitter's own names.
struct PythonNames {
  private var taken: Set<String> = [
    "tl", "triton", "libdevice", "torch", "KEVC", "launch", "and", "or", "not", "if", "else", "for", "in", "is",
    "def", "return", "None", "True", "False", "lambda", "while", "with", "as", "pass", "del", "from", "import",
    "global", "class", "try", "except", "raise", "yield", "assert", "break", "continue", "elif", "finally",
    "nonlocal", "float", "int", "range", "min", "max", "abs", "len",
  ]

  mutating func fresh(_ base: String) -> String {
    var s = ""
    for ch in base.unicodeScalars {
      if (ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z") || (ch >= "0" && ch <= "9") || ch == "_" {
        s.unicodeScalars.append(ch)
      } else {
        s += "_"
      }
    }
    if s.isEmpty { s = "v" }
    if let f = s.unicodeScalars.first, f >= "0" && f <= "9" { s = "v" + s }
    var name = s
    var i = 1
    while taken.contains(name) {
      name = "\(s)_\(i)"
      i += 1
    }
    taken.insert(name)
    return name
  }
}

/// The next power of two at least `n` (and at least 1).
func nextPowerOfTwo(_ n: Int) -> Int {
  var p = 1
  while p < n && p < (1 << 30) { p <<= 1 }
  return p
}
