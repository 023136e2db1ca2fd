import Foundation
import KevcBasic
import KevcIR
import KevcLowering

/// Expressions of loop IR as C++ for the HIP target (and, through `kevc_hip.h`, CUDA): every IR operation maps to
/// a C++ operator or a `kevc_*` helper of the portability header with the IR's semantics (wrapping integers,
/// floored division and modulo with 0 for a zero divisor, NaN-propagating max/min, saturating float -> int casts);
/// f16/bf16 live in memory as 16-bit patterns and in registers as f32.
struct HIPSyntax: KernelSyntax {

  /// The C++ type of a value in registers (f16/bf16 computed in f32).
  static func register(_ t: DType) -> String { storage(t.computed) }

  /// The C++ type of an element in memory (f16 and bf16 as their 16-bit patterns).
  static func storage(_ t: DType) -> String {
    switch t {
    case .f16, .bf16: return "uint16_t"
    case .f32: return "float"
    case .f64: return "double"
    case .i8: return "int8_t"
    case .i32: return "int"
    case .i64: return "long long"
    case .bool: return "bool"
    }
  }

  static func literal(_ c: Constant) -> String {
    switch c.value {
    case .bool(let b): return b ? "true" : "false"
    case .int(let v):
      switch c.dtype {
      case .i64, .f16, .bf16, .f32, .f64: return v == Int64.min ? "(-9223372036854775807LL - 1)" : "\(v)LL"
      case .i32: return "((int)\(v))"
      case .i8: return "((int8_t)\(v))"
      case .bool: return v != 0 ? "true" : "false"
      }
    case .float(let d):
      let double = c.dtype == .f64
      if d.isNaN { return double ? "__builtin_nan(\"\")" : "__builtin_nanf(\"\")" }
      if d.isInfinite {
        let inf = double ? "__builtin_inf()" : "__builtin_inff()"
        return d < 0 ? "(-\(inf))" : inf
      }
      // Hexadecimal literals are exact.
      let text = hexFloat(d)
      return double ? "(\(text))" : "(\(text)f)"
    }
  }

  /// `d` as an exact C hexadecimal floating literal (`0x1.8p+1`).
  static func hexFloat(_ d: Double) -> String { String(format: "%a", d) }

  /// The row-major linear offset of `indices` in a buffer of `shape`.
  func offset(_ indices: [String], _ shape: [Int]) -> String {
    guard var text = indices.first else { return "0" }
    for (i, extent) in zip(indices.dropFirst(), shape.dropFirst()) { text = "(\(text)) * \(extent)LL + \(i)" }
    return text
  }

  func expr(_ e: Expr, _ scope: PrintScope) throws(DiagnosticError) -> (text: String, type: DType) {
    let names = scope.names
    let types = scope.types
    let shapes = scope.shapes
    let dims = scope.dims
    func expr(_ e: Expr) throws(DiagnosticError) -> (text: String, type: DType) { try self.expr(e, scope) }
    switch e {
    case .constant(let c):
      return (Self.literal(c), c.dtype)
    case .index(let v):
      guard let n = names[v] else { throw HIPEmitter.internalError("loop variable '\(v)' is not in scope") }
      return (n, .i64)
    case .dim(let d):
      guard let v = dims[d] else { throw HIPEmitter.internalError("dim '\(d)' is not bound") }
      return ("\(v)LL", .i64)
    case .scalar(let s):
      guard let n = names[s], let t = types[s] else { throw HIPEmitter.internalError("unknown scalar '\(s)'") }
      return (n, t)
    case .load(let l):
      guard let n = names[l.tensor], let t = types[l.tensor], let shape = shapes[l.tensor] else {
        throw HIPEmitter.internalError("buffer '\(l.tensor)' is read where it is not declared")
      }
      var indices: [String] = []
      for i in l.indices { indices.append(try expr(i).text) }
      let read = Self.fromStorage("\(n)[\(offset(indices, shape))]", t)
      switch l.bounds {
      case .inBounds: return (read, t)
      case .padded(let pad):
        let inside = zip(indices, shape).map { "(\($0) >= 0 && \($0) < \($1)LL)" }
        guard !inside.isEmpty else { return (read, t) }
        let other = Self.literal(pad ?? .zero(t))
        // A C-style cast: a function-style one is not C++ for a two-word type (`long long(0LL)`).
        return ("(\(inside.joined(separator: " && ")) ? \(read) : ((\(Self.register(t)))(\(other))))", t)
      }
    case .unary(let op, let a):
      let (x, t) = try expr(a)
      switch op {
      case .neg: return (t.isFloat ? "(-\(x))" : "kevc_sub<\(Self.register(t))>(0, \(x))", t)
      case .not: return ("(!\(x))", .bool)
      case .abs: return ("kevc_abs(\(x))", t)
      case .exp: return ("kevc_exp(\(x))", t)
      case .log: return ("kevc_log(\(x))", t)
      case .sqrt: return ("kevc_sqrt(\(x))", t)
      case .rsqrt: return ("kevc_rsqrt(\(x))", t)
      case .tanh: return ("kevc_tanh(\(x))", t)
      case .sigmoid: return ("kevc_sigmoid(\(x))", t)
      case .erf: return ("kevc_erf(\(x))", t)
      case .floor: return ("kevc_floor(\(x))", t)
      case .ceil: return ("kevc_ceil(\(x))", t)
      case .isnan: return ("kevc_isnan(\(x))", .bool)
      }
    case .binary(let op, let a, let b):
      let (x, t) = try expr(a)
      let (y, _) = try expr(b)
      let r = Self.register(t)
      func call(_ f: String) -> (String, DType) { ("\(f)<\(r)>(\(x), \(y))", t) }
      func infix(_ s: String, _ type: DType) -> (String, DType) { ("(\(x) \(s) \(y))", type) }
      switch op {
      case .add: return t.isFloat ? infix("+", t) : call("kevc_add")
      case .sub: return t.isFloat ? infix("-", t) : call("kevc_sub")
      case .mul: return t.isFloat ? infix("*", t) : call("kevc_mul")
      case .div: return t.isFloat ? infix("/", t) : call("kevc_floordiv")
      case .mod: return t.isFloat ? call("kevc_fmod") : call("kevc_floormod")
      case .max: return t.isFloat ? call("kevc_fmax") : call("kevc_imax")
      case .min: return t.isFloat ? call("kevc_fmin") : call("kevc_imin")
      case .pow: return ("kevc_pow((\(r))(\(x)), (\(r))(\(y)))", t)
      case .eq, .ne, .lt, .le, .gt, .ge: return infix(op.comparisonOperator ?? "==", .bool)
      case .and: return infix("&&", .bool)
      case .or: return infix("||", .bool)
      }
    case .select(let c, let a, let b):
      let (cond, _) = try expr(c)
      let (x, t) = try expr(a)
      let (y, _) = try expr(b)
      let r = Self.register(t)
      return ("(\(cond) ? ((\(r))(\(x))) : ((\(r))(\(y))))", t)
    case .cast(let t, let a):
      let (x, s) = try expr(a)
      return (Self.convert(x, from: s, to: t), t)
    }
  }

  /// A register value of type `s` as type `t`, with the IR's semantics (floats round to nearest even, float -> int
  /// saturates with NaN -> 0, number -> bool is `!= 0`; f64 -> f16/bf16 rounds through f32 as on every target).
  static func convert(_ v: String, from s: DType, to t: DType) -> String {
    if s == t { return v }
    switch t {
    case .bool: return "(\(v) != 0)"
    case .i8, .i32, .i64:
      if s.isFloat { return "kevc_f2\(t.rawValue)(\(v))" }
      return "((\(register(t)))(\(v)))"
    case .f64: return "((double)(\(v)))"
    case .f32: return "((float)(\(v)))"
    case .f16: return "kevc_round_f16((float)(\(v)))"
    case .bf16: return "kevc_round_bf16((float)(\(v)))"
    }
  }

  /// An element read from memory, in registers.
  static func fromStorage(_ v: String, _ t: DType) -> String {
    switch t {
    case .f16: return "kevc_h2f(\(v))"
    case .bf16: return "kevc_bf2f(\(v))"
    case .f32, .f64, .i8, .i32, .i64, .bool: return v
    }
  }

  /// A register value as the element written to memory.
  static func toStorage(_ v: String, _ t: DType) -> String {
    switch t {
    case .f16: return "kevc_f2h(\(v))"
    case .bf16: return "kevc_f2bf(\(v))"
    case .f32, .f64, .i8, .i32, .i64, .bool: return v
    }
  }
}


extension HIPSyntax {
  func store(_ buffer: String, _ offset: String, _ value: String, from: DType, to: DType) -> String {
    "\(buffer)[\(offset)] = \(Self.toStorage(Self.convert(value, from: from, to: to), to));"
  }
  func loop(_ v: String, _ lo: String, _ hi: String) -> String {
    "for (long long \(v) = \(lo), \(v)_end = \(hi); \(v) < \(v)_end; ++\(v)) {"
  }
  func ifThen(_ condition: String) -> String { "if (\(condition)) {" }
  var elseLine: String { "} else {" }
  var blockEnd: String? { "}" }
  func allocate(_ name: String, _ dtype: DType, count: Int) -> String { "\(Self.storage(dtype)) \(name)[\(count)];" }
  func threadLoop(_ index: String, total: Int) -> [String] {
    ["for (long long \(index) = KEVC_BID_X * \(HIPEmitter.blockSize) + KEVC_TID_X; \(index) < \(total)LL; \(index) += kevc_stride) {"]
  }
  func singleThread() -> [String] { ["if (KEVC_BID_X * \(HIPEmitter.blockSize) + KEVC_TID_X == 0) {"] }
  func threadIndex(_ name: String, rest: String, lower: Int, span: Int, last: Bool) -> [String] {
    ["const long long \(name) = \(lower)LL + \(rest) % \(span)LL;"] + (last ? [] : ["\(rest) /= \(span)LL;"])
  }
  func decodeStart(_ rest: String, _ index: String) -> String { "long long \(rest) = \(index);" }
  func blockLoop(_ index: String, total: Int) -> [String] {
    ["for (long long \(index) = KEVC_BID_X; \(index) < \(total)LL; \(index) += kevc_stride) {"]
  }
  func singleBlock() -> [String] { ["if (KEVC_BID_X == 0) {"] }
  func stridedLoop(_ v: String, _ lo: String, _ hi: String, threads: Int) -> String {
    "for (long long \(v) = (\(lo)) + KEVC_TID_X, \(v)_end = \(hi); \(v) < \(v)_end; \(v) += KEVC_BLOCK(\(threads))) {"
  }
  var barrier: String { "KEVC_SYNC();" }
  var isFirstThread: String { "KEVC_TID_X == 0" }
  func declare(_ name: String, _ dtype: DType, _ value: String) -> [String] { ["\(Self.register(dtype)) \(name) = \(value);"] }
  func variable(_ name: String) -> String { name }
  func allocateShared(_ name: String, _ dtype: DType, count: Int) -> String {
    "__shared__ \(Self.storage(dtype)) \(name)[\(count)];"
  }
  /// Butterfly shuffles within each warp (32 lanes on NVIDIA, 64 on AMD), one shared slot per warp, then every
  /// thread folds the slots in the same order (so all get the same value); host C++ has one thread per block.
  func blockReduce(_ value: String, other: String, _ dtype: DType, threads: Int, scratch: String, combined: String) -> [String] {
    let r = Self.register(dtype)
    return [
      "{",
      "  __shared__ \(r) \(scratch)[\(max(1, threads / 32))];",
      "  for (int kevc_o = KEVC_WARP / 2; kevc_o > 0; kevc_o /= 2) { \(r) \(other) = kevc_shfl_xor(\(value), kevc_o); \(value) = \(combined); }",
      "  if (KEVC_TID_X % KEVC_WARP == 0) \(scratch)[KEVC_TID_X / KEVC_WARP] = \(value);",
      "  KEVC_SYNC();",
      "  \(value) = \(scratch)[0];",
      "  for (int kevc_w = 1; kevc_w < KEVC_BLOCK(\(threads)) / KEVC_WARP; ++kevc_w) { \(r) \(other) = \(scratch)[kevc_w]; \(value) = \(combined); }",
      "  KEVC_SYNC();",
      "}",
    ]
  }
  func identifier(_ prefix: String, _ name: String) -> String { HIPEmitter.ident(prefix, name) }
}
