import Foundation
import KevcBasic
import KevcIR
import KevcLowering

/// Loop IR in the CuTe DSL's Python (`cutlass.cute`, nvidia-cutlass-dsl 4.8.1), with the IR's semantics: every
/// value is a typed DSL value (`cutlass.Int64(3)`, `cutlass.Float32(0.5)`), f16/bf16 are read into and computed in
/// Float32, integer division and modulo are floored with 0 for a zero divisor, max/min propagate NaN, float -> int
/// casts saturate (NaN -> 0). Padded loads read a clamped index under a select (the DSL evaluates both sides).
struct CuTeSyntax: KernelSyntax {
  static func type(_ t: DType) -> String {
    switch t {
    case .f16: return "cutlass.Float16"
    case .bf16: return "cutlass.BFloat16"
    case .f32: return "cutlass.Float32"
    case .f64: return "cutlass.Float64"
    case .i8: return "cutlass.Int8"
    case .i32: return "cutlass.Int32"
    case .i64: return "cutlass.Int64"
    case .bool: return "cutlass.Boolean"
    }
  }

  /// The DSL type of a value in registers (f16/bf16 computed in f32).
  static func register(_ t: DType) -> String { type(t.computed) }

  static func literal(_ c: Constant) -> String {
    let r = register(c.dtype)
    switch c.value {
    case .bool(let b): return c.dtype == .bool ? "\(r)(\(b ? "True" : "False"))" : "\(r)(\(b ? 1 : 0))"
    case .int(let v): return c.dtype.isFloat ? "\(r)(\(v).0)" : "\(r)(\(v))"
    case .float(let d):
      if d.isNaN { return "\(r)(float(\"nan\"))" }
      if d.isInfinite { return "\(r)(float(\"\(d < 0 ? "-" : "")inf\"))" }
      if !c.dtype.isFloat { return "\(r)(\(Int64(d)))" }
      return "\(r)(float.fromhex(\"\(String(format: "%a", d))\"))"
    }
  }

  static func zero(_ t: DType) -> String { literal(.zero(t)) }
  static func one(_ t: DType) -> String {
    switch t {
    case .bool: return literal(.bool(true))
    case .f16, .bf16, .f32, .f64: return literal(.float(1, t))
    case .i8, .i32, .i64: return literal(.int(1, t))
    }
  }

  func offset(_ indices: [String], _ shape: [Int]) -> String {
    guard var text = indices.first else { return "0" }
    for (i, extent) in zip(indices.dropFirst(), shape.dropFirst()) { text = "(\(text)) * cutlass.Int64(\(extent)) + \(i)" }
    return text
  }

  func expr(_ e: Expr, _ scope: PrintScope) throws(DiagnosticError) -> (text: String, type: DType) {
    func expr(_ e: Expr) throws(DiagnosticError) -> (text: String, type: DType) { try self.expr(e, scope) }
    /// `cutlass.select_` gives an untyped value: it is wrapped in the branches' type.
    func select(_ c: String, _ a: String, _ b: String, _ t: DType) -> String {
      "\(Self.register(t))(cutlass.select_(\(c), \(a), \(b)))"
    }
    switch e {
    case .constant(let c): return (Self.literal(c), c.dtype)
    case .index(let v):
      guard let n = scope.names[v] else { throw CuTeEmitter.internalError("loop variable '\(v)' is not in scope") }
      return (n, .i64)
    case .dim(let d):
      guard let v = scope.dims[d] else { throw CuTeEmitter.internalError("dim '\(d)' is not bound") }
      return ("cutlass.Int64(\(v))", .i64)
    case .scalar(let s):
      guard let n = scope.names[s], let t = scope.types[s] else { throw CuTeEmitter.internalError("unknown scalar '\(s)'") }
      return (n, t)
    case .load(let l):
      guard let n = scope.names[l.tensor], let t = scope.types[l.tensor], let shape = scope.shapes[l.tensor] else {
        throw CuTeEmitter.internalError("buffer '\(l.tensor)' is read where it is not declared")
      }
      var indices: [String] = []
      for i in l.indices { indices.append(try expr(i).text) }
      func read(_ idx: [String]) -> String {
        let raw = "\(n)[\(offset(idx, shape))]"
        return t == .f16 || t == .bf16 ? "\(raw).to(cutlass.Float32)" : raw
      }
      switch l.bounds {
      case .inBounds: return (read(indices), t)
      case .padded(let pad):
        let inside = zip(indices, shape).map { "(\($0) >= cutlass.Int64(0)) & (\($0) < cutlass.Int64(\($1)))" }
        guard !inside.isEmpty else { return (read(indices), t) }
        let ok = "(" + inside.joined(separator: " & ") + ")"
        let clamped = indices.map { select(ok, $0, "cutlass.Int64(0)", .i64) }
        return (select(ok, read(clamped), Self.literal(pad ?? .zero(t)), t), t)
      }
    case .unary(let op, let a):
      let (x, t) = try expr(a)
      func call(_ f: String) -> (String, DType) { ("cute.math.\(f)(\(x))", t) }
      switch op {
      case .neg: return t.isFloat ? ("(-\(x))", t) : ("(\(Self.zero(t)) - \(x))", t)
      case .not: return ("(~\(x))", .bool)
      case .abs: return t.isFloat ? call("abs") : (select("\(x) < \(Self.zero(t))", "\(Self.zero(t)) - \(x)", x, t), t)
      case .exp: return call("exp")
      case .log: return call("log")
      case .sqrt: return call("sqrt")
      case .rsqrt: return call("rsqrt")
      case .tanh: return call("tanh")
      case .sigmoid: return ("(\(Self.one(t)) / (\(Self.one(t)) + cute.math.exp(-\(x))))", t)
      case .erf: return call("erf")
      case .floor: return call("floor")
      case .ceil: return call("ceil")
      case .isnan: return ("(\(x) != \(x))", .bool)
      }
    case .binary(let op, let a, let b):
      let (x, t) = try expr(a)
      let (y, _) = try expr(b)
      func infix(_ s: String, _ type: DType) -> (String, DType) { ("(\(x) \(s) \(y))", type) }
      let z = Self.zero(t)
      switch op {
      case .add: return infix("+", t)
      case .sub: return infix("-", t)
      case .mul: return infix("*", t)
      case .div:
        if t.isFloat { return infix("/", t) }
        return (select("\(y) == \(z)", z, "\(x) // \(select("\(y) == \(z)", Self.one(t), y, t))", t), t)
      case .mod:
        if t.isFloat { return ("(\(x) - cute.math.floor(\(x) / \(y)) * \(y))", t) }
        return (select("\(y) == \(z)", z, "\(x) % \(select("\(y) == \(z)", Self.one(t), y, t))", t), t)
      case .max, .min:
        let better = select("\(x) \(op == .max ? ">" : "<") \(y)", x, y, t)
        return t.isFloat ? (select("(\(x) != \(x)) | (\(y) != \(y))", "\(x) + \(y)", better, t), t) : (better, t)
      case .pow: return ("cute.math.pow(\(x), \(y))", t)
      case .eq, .ne, .lt, .le, .gt, .ge: return infix(op.comparisonOperator ?? "==", .bool)
      case .and: return infix("&", .bool)
      case .or: return infix("|", .bool)
      }
    case .select(let c, let a, let b):
      let (cond, _) = try expr(c)
      let (x, t) = try expr(a)
      let (y, _) = try expr(b)
      return (select(cond, x, y, t), t)
    case .cast(let t, let a):
      let (x, s) = try expr(a)
      return (Self.convert(x, from: s, to: t), t)
    }
  }

  /// A register value of type `s` as type `t`, with the IR's semantics.
  static func convert(_ v: String, from s: DType, to t: DType) -> String {
    if s == t { return v }
    if s == .bool { return "\(register(t))(cutlass.select_(\(v), \(one(t)), \(zero(t))))" }
    switch t {
    case .bool: return "(\(v) != \(zero(s)))"
    case .i8, .i32, .i64:
      guard s.isFloat else { return "\(v).to(\(type(t)))" }
      let (lo, hi, tmin, tmax): (String, String, Int64, Int64)
      switch t {
      case .i8: (lo, hi, tmin, tmax) = ("-128.0", "128.0", Int64(Int8.min), Int64(Int8.max))
      case .i32: (lo, hi, tmin, tmax) = ("-2147483648.0", "2147483648.0", Int64(Int32.min), Int64(Int32.max))
      case .i64, .f16, .bf16, .f32, .f64, .bool: (lo, hi, tmin, tmax) = ("-9223372036854775808.0", "9223372036854775808.0", Int64.min, Int64.max)
      }
      let f = register(s)
      let T = type(t)
      let safe = "\(f)(cutlass.select_((\(v) >= \(f)(\(lo))) & (\(v) < \(f)(\(hi))), \(v), \(f)(0.0))).to(\(T))"
      let high = "\(T)(cutlass.select_(\(v) >= \(f)(\(hi)), \(T)(\(tmax)), \(safe)))"
      let low = "\(T)(cutlass.select_(\(v) < \(f)(\(lo)), \(T)(\(tmin)), \(high)))"
      return "\(T)(cutlass.select_(\(v) != \(v), \(T)(0), \(low)))"
    case .f64: return "\(v).to(cutlass.Float64)"
    case .f32: return "\(v).to(cutlass.Float32)"
    case .f16, .bf16: return "\(v).to(cutlass.Float32).to(\(type(t))).to(cutlass.Float32)"
    }
  }

  func store(_ buffer: String, _ offset: String, _ value: String, from: DType, to: DType) -> String {
    "\(buffer)[\(offset)] = (\(Self.convert(value, from: from, to: to))).to(\(Self.type(to)))"
  }
  func loop(_ v: String, _ lo: String, _ hi: String) -> String { "for \(v) in cutlass.range(\(lo), \(hi), 1):" }
  func ifThen(_ condition: String) -> String { "if \(condition):" }
  var elseLine: String { "else:" }
  var blockEnd: String? { nil }
  func allocate(_ name: String, _ dtype: DType, count: Int) -> String {
    "\(name) = cute.make_rmem_tensor(\(count), \(Self.type(dtype)))"
  }
  func threadLoop(_ index: String, total: Int) -> [String] { ["if \(index) < cutlass.Int64(\(total)):"] }
  func singleThread() -> [String] { ["if kevc_t == cutlass.Int64(0):"] }
  func threadIndex(_ name: String, rest: String, lower: Int, span: Int, last: Bool) -> [String] {
    ["\(name) = cutlass.Int64(\(lower)) + \(rest) % cutlass.Int64(\(span))"]
      + (last ? [] : ["\(rest) = \(rest) // cutlass.Int64(\(span))"])
  }
  func decodeStart(_ rest: String, _ index: String) -> String { "\(rest) = \(index)" }
  /// One block per block index (no block-stride loop, as one thread per thread index).
  func blockLoop(_ index: String, total: Int) -> [String] {
    ["\(index) = cutlass.Int64(kevc_bid)", "if \(index) < cutlass.Int64(\(total)):"]
  }
  func singleBlock() -> [String] { ["if cutlass.Int64(kevc_bid) == cutlass.Int64(0):"] }
  func stridedLoop(_ v: String, _ lo: String, _ hi: String, threads: Int) -> String {
    "for \(v) in cutlass.range(\(lo) + cutlass.Int64(kevc_tid), \(hi), \(threads)):"
  }
  var barrier: String { "cute.arch.sync_threads()" }
  var isFirstThread: String { "kevc_tid == 0" }
  /// A one-element register tensor: a DSL scalar assigned in a dynamic loop must keep its exact type, which a
  /// tensor element does.
  func declare(_ name: String, _ dtype: DType, _ value: String) -> [String] {
    ["\(name) = cute.make_rmem_tensor(1, \(Self.register(dtype)))", "\(name)[0] = \(value)"]
  }
  func variable(_ name: String) -> String { "\(name)[0]" }
  func allocateShared(_ name: String, _ dtype: DType, count: Int) -> String {
    "\(name) = cute.make_tensor(cute.arch.alloc_smem(\(Self.type(dtype)), \(count)), cute.make_layout(\(count)))"
  }
  /// Butterfly shuffles within each 32-lane warp (offsets printed), one shared slot per warp, then every thread
  /// folds the slots in the same order.
  func blockReduce(_ value: String, other: String, _ dtype: DType, threads: Int, scratch: String, combined: String) -> [String] {
    let warps = max(1, threads / 32)
    var out: [String] = []
    for o in [16, 8, 4, 2, 1] {
      out.append("\(other) = cute.arch.shuffle_sync_bfly(\(value), offset=\(o))")
      out.append("\(value) = \(combined)")
    }
    out.append("\(scratch) = cute.make_tensor(cute.arch.alloc_smem(\(Self.register(dtype)), \(warps)), cute.make_layout(\(warps)))")
    out.append("if kevc_tid % 32 == 0:")
    out.append("    \(scratch)[kevc_tid // 32] = \(value)")
    out.append(barrier)
    out.append("\(value) = \(scratch)[0]")
    for w in 1..<max(2, warps) where w < warps {
      out.append("\(other) = \(scratch)[\(w)]")
      out.append("\(value) = \(combined)")
    }
    out.append(barrier)
    return out
  }
  func identifier(_ prefix: String, _ name: String) -> String { CuTeEmitter.ident(prefix, name) }
}
