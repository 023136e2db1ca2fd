import Foundation
import KevcBasic
import KevcIR

// Compiles kernel-IR expressions into closures over resolved slots and raw tensor storage, so that evaluating an
// element walks no enum and looks up no names. Float-typed expressions compute in f64 (rounding only at casts and
// stores); integer and bool expressions compute in Int64 with wrapping to the operation's type.

/// An expression compiled for one element type: float types produce a Double, integers and bool an Int64.
enum Code {
  case float(() -> Double)
  case int(() -> Int64)
}

/// A compiled expression and the IR type of its value.
struct Node {
  var dtype: DType
  var code: Code
  /// The value is an input or a constant, the same in every target (no rounding of a computation can move it).
  var exact = false

  static func constant(_ value: Double, _ dtype: DType) -> Node {
    if dtype.isFloat {
      let v = dtype.round(value)
      return Node(dtype: dtype, code: .float { v }, exact: true)
    }
    let v = ElementEncoding.saturatingInteger(value, dtype)
    return Node(dtype: dtype, code: .int { v }, exact: true)
  }

  static func constant(_ value: Int64, _ dtype: DType) -> Node {
    if dtype.isFloat { return constant(Double(value), dtype) }
    let v = ElementEncoding.wrap(value, to: dtype)
    return Node(dtype: dtype, code: .int { v }, exact: true)
  }
}

/// The first run-time error of an evaluation (an `inbounds` load outside its tensor, a runaway reduction range).
/// Compiled code records it and continues with a harmless value; the interpreter checks it and throws.
final class ErrorSink {
  private(set) var diagnostic: Diagnostic?
  private(set) var failed = false

  func report(_ d: @autoclosure () -> Diagnostic) {
    if failed { return }
    diagnostic = d()
    failed = true
  }
}

/// Whether the element being computed depends on a discontinuity met within tolerance (a floor, a comparison or a
/// float-to-integer conversion of a computed value close to its jump, a read of such an element), and the
/// alternatives of an arg reduction with ties. Reset before each element; `Machine.fill` records it.
final class Doubt {
  var flag = false
  var alternatives: [Double]? = nil
}

/// Whether two values of type `t` are within that type's comparison tolerance of each other.
@inline(__always) func withinTolerance(_ a: Double, _ b: Double, _ t: DType) -> Bool {
  let (atol, rtol) = Comparison.tolerance(for: t)
  return Swift.abs(a - b) <= atol + rtol * Swift.max(Swift.abs(a), Swift.abs(b))
}

/// Whether a value of type `t` is within tolerance of an integer (where floor, ceil and truncation jump).
@inline(__always) func nearInteger(_ v: Double, _ t: DType) -> Bool {
  v.isFinite && withinTolerance(v, v.rounded(), t)
}

/// Storage of one tensor for the duration of a run: doubles for float types, Int64 for integers and bool.
final class TensorStorage {
  let name: String
  let dtype: DType
  let shape: [Int]
  let count: Int
  let floats: UnsafeMutablePointer<Double>?
  let ints: UnsafeMutablePointer<Int64>?

  init(name: String, dtype: DType, shape: [Int], count: Int) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.count = count
    let capacity = max(1, count)
    if dtype.isFloat {
      let p = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
      p.initialize(repeating: 0, count: capacity)
      floats = p
      ints = nil
    } else {
      let p = UnsafeMutablePointer<Int64>.allocate(capacity: capacity)
      p.initialize(repeating: 0, count: capacity)
      ints = p
      floats = nil
    }
  }

  /// Elements whose value depends on which side of a discontinuity a computation fell (see `Leeway`); allocated
  /// when the first one is marked.
  var doubtful: UnsafeMutablePointer<Bool>?
  /// Per element, the values an arg reduction may equally give (indices whose values tie within tolerance).
  var alternatives: [Int: [Double]] = [:]

  func markDoubtful(_ i: Int) {
    if doubtful == nil {
      let p = UnsafeMutablePointer<Bool>.allocate(capacity: Swift.max(1, count))
      p.initialize(repeating: false, count: Swift.max(1, count))
      doubtful = p
    }
    doubtful?[i] = true
  }

  var leeway: Leeway {
    var out = Leeway()
    out.alternatives = alternatives
    if let d = doubtful {
      for i in 0..<count where d[i] && alternatives[i] == nil { out.anyValue.insert(i) }
    }
    return out
  }

  deinit {
    floats?.deallocate()
    ints?.deallocate()
    doubtful?.deallocate()
  }

  /// Stores one element given as a double, with the in-memory conversion of its type.
  func set(_ i: Int, _ x: Double) {
    if let f = floats {
      f[i] = dtype.round(x)
    } else if let p = ints {
      p[i] = ElementEncoding.storedInteger(x, dtype)
    }
  }

  func value(_ i: Int) -> Double {
    if let f = floats { return f[i] }
    if let p = ints { return Double(p[i]) }
    return 0
  }

  var tensorValue: TensorValue {
    var values: [Double] = []
    values.reserveCapacity(count)
    for i in 0..<count { values.append(value(i)) }
    return TensorValue(dtype: dtype, shape: shape, values: values)
  }
}

/// The index variables of one definition: its axes, then its reduction axes, each in its own Int64 slot.
final class Frame {
  let slots: UnsafeMutablePointer<Int64>
  let count: Int

  init(count: Int) {
    self.count = max(1, count)
    slots = .allocate(capacity: self.count)
    slots.initialize(repeating: 0, count: self.count)
  }

  deinit { slots.deallocate() }
}

/// Floor division (Python `//`) with wrapping; a zero divisor gives 0.
@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
  if b == 0 { return 0 }
  let q = a.dividedReportingOverflow(by: b).partialValue
  let r = a.remainderReportingOverflow(dividingBy: b).partialValue
  return (r != 0 && ((r < 0) != (b < 0))) ? q &- 1 : q
}

/// Floor modulo (Python `%`: the sign of the divisor); a zero divisor gives 0.
@inline(__always) func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
  if b == 0 { return 0 }
  let r = a.remainderReportingOverflow(dividingBy: b).partialValue
  return (r != 0 && ((r < 0) != (b < 0))) ? r &+ b : r
}

/// Floored float remainder (torch.remainder): `a - b * floor(a / b)`; NaN for `b == 0` or infinite `a`.
@inline(__always) func floatMod(_ a: Double, _ b: Double) -> Double {
  a - b * (a / b).rounded(.down)
}

@inline(__always) func wrapInt(_ v: Int64, _ t: DType) -> Int64 {
  switch t {
  case .i8: return Int64(Int8(truncatingIfNeeded: v))
  case .i32: return Int64(Int32(truncatingIfNeeded: v))
  case .i64, .f16, .bf16, .f32, .f64: return v
  case .bool: return v != 0 ? 1 : 0
  }
}

/// Compiles the expressions of one definition.
struct ExprCompiler {
  var dims: [String: Int]
  var scalars: [String: Node]
  var tensors: [String: TensorStorage]
  /// Index variables in scope and their slots in `frame`.
  var slots: [String: Int]
  var frame: UnsafeMutablePointer<Int64>
  var sink: ErrorSink
  /// The definition being compiled (for messages).
  var definition: String
  var location: SourceLocation
  /// Tracks discontinuities met within tolerance (nil: not tracked).
  var doubt: Doubt? = nil
  /// Definitions some of whose elements may be doubtful: reads of them propagate the doubt.
  var mayDoubt: Set<String> = []
  /// Tensors computed by the kernel (definitions), as opposed to inputs: their values are not exact.
  var computed: Set<String> = []

  func error(_ name: String, _ message: String) -> DiagnosticError {
    DiagnosticError(.error(DiagnosticID("run", name), message, at: location))
  }

  func compile(_ e: Expr) throws(DiagnosticError) -> Node {
    switch e {
    case .constant(let c):
      switch c.value {
      case .float(let v): return .constant(v, c.dtype)
      case .int(let v): return .constant(v, c.dtype)
      case .bool(let v): return .constant(Int64(v ? 1 : 0), c.dtype)
      }
    case .index(let name):
      guard let s = slots[name] else {
        throw error("unknown-name", "index variable '\(name)' is not in scope in the definition of '\(definition)'")
      }
      let p = frame
      return Node(dtype: .i64, code: .int { p[s] })
    case .dim(let name):
      guard let v = dims[name] else {
        throw error("unbound-dim", "dimension '\(name)' has no value")
      }
      return .constant(Int64(v), .i64)
    case .scalar(let name):
      guard let n = scalars[name] else {
        throw error("unknown-name", "'\(name)' is not a scalar parameter (in the definition of '\(definition)')")
      }
      return n
    case .load(let load):
      return try compileLoad(load)
    case .unary(let op, let x):
      return try compileUnary(op, try compile(x))
    case .binary(let op, let x, let y):
      return try compileBinary(op, try compile(x), try compile(y))
    case .select(let c, let a, let b):
      let cn = try compile(c)
      let an = try compile(a)
      let bn = try compile(b)
      guard case .int(let cf) = cn.code, cn.dtype == .bool else {
        throw error("ill-typed", "the condition of a select has type \(cn.dtype), not bool")
      }
      guard an.dtype == bn.dtype else {
        throw error("ill-typed", "the branches of a select have different types (\(an.dtype) and \(bn.dtype))")
      }
      switch (an.code, bn.code) {
      case (.float(let af), .float(let bf)):
        return Node(
          dtype: an.dtype,
          code: .float {
            let cv = cf()
            let x = af()
            let y = bf()
            return cv != 0 ? x : y
          })
      case (.int(let af), .int(let bf)):
        return Node(
          dtype: an.dtype,
          code: .int {
            let cv = cf()
            let x = af()
            let y = bf()
            return cv != 0 ? x : y
          })
      case (.float, .int), (.int, .float):
        throw error("ill-typed", "the branches of a select have different types")
      }
    case .cast(let t, let x):
      let n = try compile(x)
      var out = ExprCompiler.convert(n, to: t)
      out.exact = n.exact && (t.isFloat || !n.dtype.isFloat)
      // A computed float truncated to an integer jumps at integers.
      if let doubt, !n.exact, case .float(let f) = n.code, !t.isFloat, t != .bool {
        let source = n.dtype
        out.code = .int {
          let v = f()
          if nearInteger(v, source) { doubt.flag = true }
          return ElementEncoding.saturatingInteger(v, t)
        }
      }
      return out
    }
  }

  /// A value converted to `t` as a cast (and a store) does it: floats round to nearest-even, float -> int truncates
  /// and saturates (NaN -> 0), int -> int wraps, number -> bool is `!= 0`, bool -> number is 0 or 1.
  static func convert(_ n: Node, to t: DType) -> Node {
    switch n.code {
    case .float(let f):
      switch t {
      case .f64: return Node(dtype: t, code: .float(f))
      case .f32: return Node(dtype: t, code: .float { Double(Float(f())) })
      case .f16, .bf16: return Node(dtype: t, code: .float { t.round(f()) })
      case .i8, .i32, .i64: return Node(dtype: t, code: .int { ElementEncoding.saturatingInteger(f(), t) })
      case .bool: return Node(dtype: t, code: .int { f() != 0 ? 1 : 0 })
      }
    case .int(let f):
      switch t {
      case .f64: return Node(dtype: t, code: .float { Double(f()) })
      case .f32, .f16, .bf16: return Node(dtype: t, code: .float { t.round(Double(f())) })
      case .i8, .i32, .bool:
        if n.dtype == t { return n }
        return Node(dtype: t, code: .int { wrapInt(f(), t) })
      case .i64: return Node(dtype: t, code: .int(f))
      }
    }
  }

  // MARK: - Loads

  private func compileLoad(_ load: Load) throws(DiagnosticError) -> Node {
    guard let storage = tensors[load.tensor] else {
      throw error(
        "unknown-name",
        "'\(load.tensor)' is not a tensor defined before '\(definition)' (parameters and earlier definitions only)")
    }
    guard load.indices.count == storage.shape.count else {
      throw error(
        "rank-mismatch",
        "'\(load.tensor)' has rank \(storage.shape.count) but is indexed with \(load.indices.count) indices")
    }
    var indices: [() -> Int64] = []
    for ie in load.indices {
      let n = try compile(ie)
      guard case .int(let f) = n.code, n.dtype.isInteger else {
        throw error("ill-typed", "an index of '\(load.tensor)' has type \(n.dtype), not an integer type")
      }
      indices.append(f)
    }
    let pad: Constant?
    let inBounds: Bool
    switch load.bounds {
    case .padded(let c):
      pad = c
      inBounds = false
    case .inBounds:
      pad = nil
      inBounds = true
    }
    let sink = self.sink
    let tensor = load.tensor
    let shape = storage.shape
    let location = self.location
    let onOutside: ([Int64]) -> Void = { index in
      sink.report(
        .error(
          DiagnosticID("run", "out-of-bounds"),
          "inbounds load of '\(tensor)' at [\(index.map(String.init).joined(separator: ", "))] is outside its shape "
            + "[\(shape.map(String.init).joined(separator: ", "))]",
          at: location))
    }
    let exact = !computed.contains(load.tensor)
    if let base = storage.floats {
      let padValue = pad.map { storage.dtype.round($0.doubleValue) } ?? 0
      let code = ExprCompiler.loadCode(
        base, shape: shape, indices: indices, pad: padValue, inBounds: inBounds, onOutside: onOutside)
      return Node(dtype: storage.dtype, code: .float(propagatingDoubt(code, of: storage, load.tensor, indices)), exact: exact)
    }
    if let base = storage.ints {
      var padValue: Int64 = 0
      if let c = pad {
        switch c.value {
        case .int(let v): padValue = wrapInt(v, storage.dtype)
        case .float(let v): padValue = ElementEncoding.saturatingInteger(v, storage.dtype)
        case .bool(let v): padValue = v ? 1 : 0
        }
      }
      let code = ExprCompiler.loadCode(
        base, shape: shape, indices: indices, pad: padValue, inBounds: inBounds, onOutside: onOutside)
      return Node(dtype: storage.dtype, code: .int(propagatingDoubt(code, of: storage, load.tensor, indices)), exact: exact)
    }
    throw error("internal", "tensor '\(load.tensor)' has no storage")
  }

  /// `code`, flagging the element being computed when it reads a doubtful element of `tensor` (only for tensors
  /// that may hold doubtful elements: other reads stay as they are).
  private func propagatingDoubt<T>(
    _ code: @escaping () -> T, of storage: TensorStorage, _ tensor: String, _ indices: [() -> Int64]
  ) -> () -> T {
    guard let doubt, mayDoubt.contains(tensor) else { return code }
    let shape = storage.shape
    return {
      let v = code()
      guard let mask = storage.doubtful else { return v }
      var offset = 0
      for d in 0..<indices.count {
        let a = indices[d]()
        if a < 0 || a >= Int64(shape[d]) { return v }
        offset = offset &* shape[d] &+ Int(truncatingIfNeeded: a)
      }
      if mask[offset] { doubt.flag = true }
      return v
    }
  }

  /// A bounds-checked read: outside the shape it yields `pad`, or (inbounds) reports and yields `pad`.
  static func loadCode<T>(
    _ base: UnsafeMutablePointer<T>, shape: [Int], indices: [() -> Int64], pad: T, inBounds: Bool,
    onOutside: @escaping ([Int64]) -> Void
  ) -> () -> T {
    switch indices.count {
    case 0:
      return { base[0] }
    case 1:
      let i0 = indices[0]
      let n0 = UInt64(shape[0])
      return {
        let a = i0()
        if UInt64(bitPattern: a) < n0 { return base[Int(truncatingIfNeeded: a)] }
        if inBounds { onOutside([a]) }
        return pad
      }
    case 2:
      let i0 = indices[0]
      let i1 = indices[1]
      let n0 = UInt64(shape[0])
      let n1 = UInt64(shape[1])
      let s0 = shape[1]
      return {
        let a = i0()
        let b = i1()
        if UInt64(bitPattern: a) < n0, UInt64(bitPattern: b) < n1 {
          return base[Int(truncatingIfNeeded: a) &* s0 &+ Int(truncatingIfNeeded: b)]
        }
        if inBounds { onOutside([a, b]) }
        return pad
      }
    case 3:
      let i0 = indices[0]
      let i1 = indices[1]
      let i2 = indices[2]
      let n0 = UInt64(shape[0])
      let n1 = UInt64(shape[1])
      let n2 = UInt64(shape[2])
      let s1 = shape[2]
      let s0 = shape[1] &* shape[2]
      return {
        let a = i0()
        let b = i1()
        let c = i2()
        if UInt64(bitPattern: a) < n0, UInt64(bitPattern: b) < n1, UInt64(bitPattern: c) < n2 {
          return base[
            Int(truncatingIfNeeded: a) &* s0 &+ Int(truncatingIfNeeded: b) &* s1 &+ Int(truncatingIfNeeded: c)]
        }
        if inBounds { onOutside([a, b, c]) }
        return pad
      }
    default:
      let extents = shape.map { UInt64($0) }
      return {
        var offset = 0
        var inside = true
        for d in 0..<indices.count {
          let a = indices[d]()
          if UInt64(bitPattern: a) >= extents[d] { inside = false }
          offset = offset &* shape[d] &+ Int(truncatingIfNeeded: a)
        }
        if inside { return base[offset] }
        if inBounds { onOutside(indices.map { $0() }) }
        return pad
      }
    }
  }

  // MARK: - Operators

  private func compileUnary(_ op: UnaryOp, _ x: Node) throws(DiagnosticError) -> Node {
    let t = x.dtype
    switch x.code {
    case .float(let a):
      let f: () -> Double
      switch op {
      case .neg: f = { -a() }
      case .abs: f = { Swift.abs(a()) }
      case .exp: f = { Foundation.exp(a()) }
      case .log: f = { Foundation.log(a()) }
      case .sqrt: f = { a().squareRoot() }
      case .rsqrt: f = { 1 / a().squareRoot() }
      case .tanh: f = { Foundation.tanh(a()) }
      case .sigmoid: f = { 1 / (1 + Foundation.exp(-a())) }
      case .erf: f = { Foundation.erf(a()) }
      case .floor, .ceil:
        let rule: FloatingPointRoundingRule = op == .floor ? .down : .up
        if let doubt, !x.exact {
          f = {
            let v = a()
            if nearInteger(v, t) { doubt.flag = true }
            return v.rounded(rule)
          }
        } else {
          f = { a().rounded(rule) }
        }
      case .isnan: return Node(dtype: .bool, code: .int { a().isNaN ? 1 : 0 })
      case .not: throw error("ill-typed", "'not' needs a bool operand, not \(t)")
      }
      return Node(dtype: t, code: .float(f))
    case .int(let a):
      switch op {
      case .neg:
        guard t != .bool else { throw error("ill-typed", "'neg' needs a number, not bool") }
        return Node(dtype: t, code: .int { wrapInt(0 &- a(), t) })
      case .abs:
        guard t != .bool else { throw error("ill-typed", "'abs' needs a number, not bool") }
        return Node(
          dtype: t,
          code: .int {
            let v = a()
            return wrapInt(v < 0 ? 0 &- v : v, t)
          })
      case .not:
        guard t == .bool else { throw error("ill-typed", "'not' needs a bool operand, not \(t)") }
        return Node(dtype: .bool, code: .int { a() == 0 ? 1 : 0 })
      case .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .erf, .floor, .ceil, .isnan:
        throw error("ill-typed", "'\(op.rawValue)' needs a float operand, not \(t)")
      }
    }
  }

  private func compileBinary(_ op: BinaryOp, _ x: Node, _ y: Node) throws(DiagnosticError) -> Node {
    guard x.dtype == y.dtype else {
      throw error(
        "ill-typed", "the operands of '\(op.rawValue)' have different types (\(x.dtype) and \(y.dtype))")
    }
    let t = x.dtype
    switch (x.code, y.code) {
    case (.float(var a), .float(var b)):
      // A comparison (or a float mod) of computed values close to each other (to a multiple) may go either way.
      if let doubt, !(x.exact && y.exact) {
        // Operands evaluate left to right: `b` sees the value `a` just produced.
        func watching(_ jumps: @escaping (Double, Double) -> Bool) {
          let (u0, v0) = (a, b)
          var last = 0.0
          a = {
            last = u0()
            return last
          }
          b = {
            let v = v0()
            if jumps(last, v) { doubt.flag = true }
            return v
          }
        }
        switch op {
        case .eq, .ne, .lt, .le, .gt, .ge: watching { withinTolerance($0, $1, t) }
        case .mod: watching { $1 != 0 && nearInteger($0 / $1, t) }
        case .add, .sub, .mul, .div, .max, .min, .pow, .and, .or: break
        }
      }
      let f: () -> Double
      switch op {
      case .add: f = { a() + b() }
      case .sub: f = { a() - b() }
      case .mul: f = { a() * b() }
      case .div: f = { a() / b() }
      case .mod: f = { floatMod(a(), b()) }
      case .max:
        f = {
          let u = a()
          let v = b()
          return (u.isNaN || v.isNaN) ? .nan : (u > v ? u : v)
        }
      case .min:
        f = {
          let u = a()
          let v = b()
          return (u.isNaN || v.isNaN) ? .nan : (u < v ? u : v)
        }
      case .pow: f = { Foundation.pow(a(), b()) }
      case .eq: return Node(dtype: .bool, code: .int { a() == b() ? 1 : 0 })
      case .ne: return Node(dtype: .bool, code: .int { a() != b() ? 1 : 0 })
      case .lt: return Node(dtype: .bool, code: .int { a() < b() ? 1 : 0 })
      case .le: return Node(dtype: .bool, code: .int { a() <= b() ? 1 : 0 })
      case .gt: return Node(dtype: .bool, code: .int { a() > b() ? 1 : 0 })
      case .ge: return Node(dtype: .bool, code: .int { a() >= b() ? 1 : 0 })
      case .and, .or: throw error("ill-typed", "'\(op.rawValue)' needs bool operands, not \(t)")
      }
      return Node(dtype: t, code: .float(f))
    case (.int(let a), .int(let b)):
      let isBool = t == .bool
      switch op {
      case .add, .sub, .mul, .div, .mod:
        if isBool { throw error("ill-typed", "'\(op.rawValue)' needs numbers, not bool") }
      case .max, .min, .eq, .ne, .lt, .le, .gt, .ge: break
      case .pow: throw error("ill-typed", "'pow' needs float operands, not \(t)")
      case .and, .or:
        if !isBool { throw error("ill-typed", "'\(op.rawValue)' needs bool operands, not \(t)") }
      }
      let f: () -> Int64
      switch op {
      case .add: f = { wrapInt(a() &+ b(), t) }
      case .sub: f = { wrapInt(a() &- b(), t) }
      case .mul: f = { wrapInt(a() &* b(), t) }
      case .div: f = { wrapInt(floorDiv(a(), b()), t) }
      case .mod: f = { wrapInt(floorMod(a(), b()), t) }
      case .max: f = { Swift.max(a(), b()) }
      case .min: f = { Swift.min(a(), b()) }
      case .pow: throw error("ill-typed", "'pow' needs float operands, not \(t)")
      case .eq: return Node(dtype: .bool, code: .int { a() == b() ? 1 : 0 })
      case .ne: return Node(dtype: .bool, code: .int { a() != b() ? 1 : 0 })
      case .lt: return Node(dtype: .bool, code: .int { a() < b() ? 1 : 0 })
      case .le: return Node(dtype: .bool, code: .int { a() <= b() ? 1 : 0 })
      case .gt: return Node(dtype: .bool, code: .int { a() > b() ? 1 : 0 })
      case .ge: return Node(dtype: .bool, code: .int { a() >= b() ? 1 : 0 })
      case .and:
        f = {
          let u = a()
          let v = b()
          return (u != 0 && v != 0) ? 1 : 0
        }
      case .or:
        f = {
          let u = a()
          let v = b()
          return (u != 0 || v != 0) ? 1 : 0
        }
      }
      return Node(dtype: t, code: .int(f))
    case (.float, .int), (.int, .float):
      throw error("ill-typed", "the operands of '\(op.rawValue)' have different types")
    }
  }
}
