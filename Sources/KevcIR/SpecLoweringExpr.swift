import KevcBasic
import KevcSpec

/// Typing and translation of spec expressions to IR expressions.
///
/// A lowered value is strong (its IR type is final) or weak: a weak integer (literals, dims, index variables and
/// integer arithmetic on them) is built as i64 IR; a weak float (float literals, possibly mixed with weak
/// integers) is built as f32 IR. When a weak value meets a strong type `T` it is converted: a literal becomes a
/// constant of type `T`; a weak integer expression is computed in i64 and cast to `T` as a whole
/// (`x * (N / 2)` divides as integers); a weak float expression is rebuilt at `T` (its constants retyped, its
/// integer parts cast to `T`). Alone, weak values keep i64 / f32.

enum ValueType: Equatable {
  case strong(DType)
  case weakInt
  case weakFloat
}

struct Value {
  var expr: Expr
  var type: ValueType
  var location: SourceLocation

  var defaultType: DType {
    switch type {
    case .strong(let t): return t
    case .weakInt: return .i64
    case .weakFloat: return .f32
    }
  }

  var isLiteral: Bool {
    if case .constant = expr { return true }
    return false
  }

  /// How the value's type reads in a message: `'f32'`, `integer literal`, `float expression`.
  var typeDescription: String {
    switch type {
    case .strong(let t): return "'\(t)'"
    case .weakInt: return isLiteral ? "integer literal" : "integer"
    case .weakFloat: return isLiteral ? "float literal" : "float expression"
    }
  }
}

private let floatFunctions: [String: UnaryOp] = [
  "exp": .exp, "log": .log, "sqrt": .sqrt, "rsqrt": .rsqrt, "tanh": .tanh, "sigmoid": .sigmoid, "erf": .erf,
  "floor": .floor, "ceil": .ceil,
]
private let binaryFunctions: [String: BinaryOp] = ["max": .max, "min": .min, "pow": .pow]
private let knownFunctions: Set<String> = Set(floatFunctions.keys).union(binaryFunctions.keys).union([
  "isnan", "abs", "where",
])

/// The values an integer type can hold.
private func fits(_ v: Int64, _ t: DType) -> Bool {
  switch t {
  case .i8: return v >= -128 && v <= 127
  case .i32: return v >= Int64(Int32.min) && v <= Int64(Int32.max)
  case .i64: return true
  case .bool: return v == 0 || v == 1
  case .f16, .bf16, .f32, .f64: return true
  }
}

/// Rebuilds a weak float expression (built at f32) at the float type `t`.
private func retype(_ e: Expr, _ t: DType) -> Expr {
  if t == .f32 { return e }
  switch e {
  case .constant(let c):
    if c.dtype == .f32 { return .constant(Constant(t, c.value)) }
    return e
  case .cast(let to, let inner):
    return to == .f32 ? .cast(t, inner) : e
  case .unary(let op, let a): return .unary(op, retype(a, t))
  case .binary(let op, let a, let b): return .binary(op, retype(a, t), retype(b, t))
  case .select(let c, let a, let b): return .select(c, retype(a, t), retype(b, t))
  case .index, .dim, .scalar, .load: return e
  }
}

/// `SizeExpr` as an i64 expression.
func sizeToExpr(_ s: SizeExpr) -> Expr {
  switch s {
  case .constant(let c): return .constant(.int(Int64(c)))
  case .dim(let d): return .dim(d)
  case .add(let a, let b): return .binary(.add, sizeToExpr(a), sizeToExpr(b))
  case .sub(let a, let b): return .binary(.sub, sizeToExpr(a), sizeToExpr(b))
  case .mul(let a, let b): return .binary(.mul, sizeToExpr(a), sizeToExpr(b))
  case .div(let a, let b): return .binary(.div, sizeToExpr(a), sizeToExpr(b))
  }
}

extension SpecLowerer {
  // MARK: - Conversions

  /// Converts a weak value to type `t` (strong values must already have it).
  mutating func materialize(_ v: Value, to t: DType, context: String) throws(LoweringAbort) -> Expr {
    switch v.type {
    case .strong(let s):
      guard s == t else {
        throw fail(
          SpecDiagnostic.typeMismatch, "value of type '\(s)' cannot be used \(context), which needs '\(t)'",
          at: v.location)
      }
      return v.expr
    case .weakInt:
      if t == .bool {
        throw fail(
          SpecDiagnostic.typeMismatch, "\(v.typeDescription) cannot be used \(context), which needs 'bool'",
          at: v.location)
      }
      if case .constant(let c) = v.expr, case .int(let i) = c.value {
        if t.isFloat { return .constant(.float(Double(i), t)) }
        guard fits(i, t) else {
          throw fail(SpecDiagnostic.literalRange, "integer literal \(i) does not fit in '\(t)'", at: v.location)
        }
        return .constant(.int(i, t))
      }
      return t == .i64 ? v.expr : .cast(t, v.expr)
    case .weakFloat:
      guard t.isFloat else {
        throw fail(
          SpecDiagnostic.typeMismatch, "\(v.typeDescription) cannot be used \(context), which needs '\(t)'",
          at: v.location)
      }
      return retype(v.expr, t)
    }
  }

  func materializeDefault(_ v: Value) -> Expr { v.expr }

  /// A weak integer seen as a weak float.
  func toWeakFloat(_ v: Value) -> Value {
    if case .constant(let c) = v.expr, case .int(let i) = c.value {
      return Value(expr: .constant(.float(Double(i), .f32)), type: .weakFloat, location: v.location)
    }
    return Value(expr: .cast(.f32, v.expr), type: .weakFloat, location: v.location)
  }

  /// Brings two operands to one type: weak adopts strong; two strong types must be equal.
  mutating func unify(_ a: Value, _ b: Value, _ op: String, at location: SourceLocation) throws(LoweringAbort) -> (
    Expr, Expr, ValueType
  ) {
    switch (a.type, b.type) {
    case (.strong(let x), .strong(let y)):
      guard x == y else {
        throw fail(
          SpecDiagnostic.typeMismatch, "mismatched types '\(x)' and '\(y)' in '\(op)'; insert a cast", at: location)
      }
      return (a.expr, b.expr, a.type)
    case (.strong(let x), .weakInt), (.strong(let x), .weakFloat):
      return (a.expr, try adopt(b, x, other: a, op, at: location, weakFirst: false), a.type)
    case (.weakInt, .strong(let y)), (.weakFloat, .strong(let y)):
      return (try adopt(a, y, other: b, op, at: location, weakFirst: true), b.expr, b.type)
    case (.weakInt, .weakInt), (.weakFloat, .weakFloat):
      return (a.expr, b.expr, a.type)
    case (.weakInt, .weakFloat):
      return (toWeakFloat(a).expr, b.expr, .weakFloat)
    case (.weakFloat, .weakInt):
      return (a.expr, toWeakFloat(b).expr, .weakFloat)
    }
  }

  private mutating func adopt(
    _ weak: Value, _ t: DType, other: Value, _ op: String, at location: SourceLocation, weakFirst: Bool
  ) throws(LoweringAbort) -> Expr {
    let compatible: Bool
    switch weak.type {
    case .weakInt: compatible = t != .bool
    case .weakFloat: compatible = t.isFloat
    case .strong: compatible = true
    }
    guard compatible else {
      let names = weakFirst ? "\(weak.typeDescription) and '\(t)'" : "'\(t)' and \(weak.typeDescription)"
      let hint = t == .bool ? "" : "; insert a cast"
      throw fail(SpecDiagnostic.typeMismatch, "mismatched types \(names) in '\(op)'\(hint)", at: location)
    }
    return try materialize(weak, to: t, context: "with '\(t)'")
  }

  /// An index or a range bound: any integer, as i64.
  mutating func indexExpr(_ v: Value, _ what: String) throws(LoweringAbort) -> Expr {
    switch v.type {
    case .weakInt: return v.expr
    case .strong(let t) where t.isInteger: return t == .i64 ? v.expr : .cast(.i64, v.expr)
    case .strong, .weakFloat:
      throw fail(
        SpecDiagnostic.indexType, "\(what) must be an integer, not \(v.typeDescription)", at: v.location)
    }
  }

  // MARK: - Expressions

  mutating func lowerExpr(_ e: SpecExpr) throws(LoweringAbort) -> Value {
    let at = e.location
    switch e.kind {
    case .integer(let v):
      return Value(expr: .constant(.int(v)), type: .weakInt, location: at)
    case .float(let v):
      return Value(expr: .constant(.float(v, .f32)), type: .weakFloat, location: at)
    case .bool(let b):
      return Value(expr: .constant(.bool(b)), type: .strong(.bool), location: at)
    case .name(let n):
      return try lowerName(n, at: at)
    case .index(let base, let indices, let pad):
      return try lowerLoad(base, indices, pad: pad)
    case .call(let name, let args):
      return try lowerCall(name, args, at: at)
    case .unary(let op, let operand):
      let v = try lowerExpr(operand)
      switch op {
      case .negate:
        switch v.type {
        case .strong(.bool):
          throw fail(SpecDiagnostic.typeMismatch, "cannot negate a value of type 'bool'; use 'not'", at: at)
        case .strong, .weakInt, .weakFloat:
          if case .constant(let c) = v.expr {
            switch c.value {
            case .int(let i): return Value(expr: .constant(Constant(c.dtype, .int(0 &- i))), type: v.type, location: at)
            case .float(let f): return Value(expr: .constant(Constant(c.dtype, .float(-f))), type: v.type, location: at)
            case .bool: break
            }
          }
          return Value(expr: .unary(.neg, v.expr), type: v.type, location: at)
        }
      case .not:
        guard v.type == .strong(.bool) else {
          throw fail(
            SpecDiagnostic.typeMismatch, "'not' needs a 'bool' operand, not \(v.typeDescription); compare it instead",
            at: operand.location)
        }
        return Value(expr: .unary(.not, v.expr), type: v.type, location: at)
      }
    case .binary(let op, let lhs, let rhs, let opLocation):
      let a = try lowerExpr(lhs)
      let b = try lowerExpr(rhs)
      return try lowerBinary(op, a, b, at: at, operatorAt: opLocation)
    case .reduction(let op, let accumulator, let axes, let body):
      return try hoist(op, accumulator: accumulator, axes: axes, body: body, at: at)
    }
  }

  mutating func lowerBinary(
    _ op: SpecBinaryOperator, _ a: Value, _ b: Value, at: SourceLocation, operatorAt: SourceLocation
  ) throws(LoweringAbort) -> Value {
    let symbol = op.rawValue
    switch op {
    case .and, .or:
      for v in [a, b] where v.type != .strong(.bool) {
        throw fail(
          SpecDiagnostic.typeMismatch,
          "operand of '\(symbol)' has type \(v.typeDescription); '\(symbol)' needs 'bool' operands", at: v.location)
      }
      return Value(expr: .binary(op == .and ? .and : .or, a.expr, b.expr), type: .strong(.bool), location: at)
    case .add, .sub, .mul, .div, .mod:
      let (x, y, t) = try unify(a, b, symbol, at: operatorAt)
      if t == .strong(.bool) {
        throw fail(
          SpecDiagnostic.typeMismatch, "arithmetic '\(symbol)' on 'bool' values; convert them with 'i32(...)'",
          at: operatorAt)
      }
      let irOp: BinaryOp
      switch op {
      case .add: irOp = .add
      case .sub: irOp = .sub
      case .mul: irOp = .mul
      case .div: irOp = .div
      case .mod: irOp = .mod
      case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .and, .or: irOp = .add  // unreachable
      }
      return Value(expr: .binary(irOp, x, y), type: t, location: at)
    case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
      let (x, y, t) = try unify(a, b, symbol, at: operatorAt)
      let irOp: BinaryOp
      switch op {
      case .equal: irOp = .eq
      case .notEqual: irOp = .ne
      case .less: irOp = .lt
      case .lessEqual: irOp = .le
      case .greater: irOp = .gt
      case .greaterEqual: irOp = .ge
      case .add, .sub, .mul, .div, .mod, .and, .or: irOp = .eq  // unreachable
      }
      if t == .strong(.bool), irOp != .eq, irOp != .ne {
        throw fail(
          SpecDiagnostic.typeMismatch, "'\(symbol)' compares numbers, not 'bool' values", at: operatorAt)
      }
      return Value(expr: .binary(irOp, x, y), type: .strong(.bool), location: at)
    }
  }

  // MARK: - Names and loads

  /// The error for a name that is a tensor which is not yet readable, if it is one.
  mutating func checkReadable(_ name: String, at location: SourceLocation) throws(LoweringAbort) -> TensorInfo? {
    if let t = tensors[name] {
      if t.poisoned { throw LoweringAbort() }
      if !t.defined {
        if name == current {
          throw fail(
            SpecDiagnostic.useBeforeDefinition, "'\(name)' is read in its own definition", at: location)
        }
        let site = definitionSites[name]
        let note: Diagnostic.Note =
          site.map { .init("'\(name)' is defined here", at: $0) } ?? .init("'\(name)' is declared here", at: t.location)
        throw fail(
          SpecDiagnostic.useBeforeDefinition, "'\(name)' is used before it is defined", at: location, notes: [note])
      }
      return t
    }
    if let site = definitionSites[name] {
      throw fail(
        SpecDiagnostic.useBeforeDefinition, "'\(name)' is used before it is defined", at: location,
        notes: [.init("'\(name)' is defined here", at: site)])
    }
    return nil
  }

  mutating func lowerName(_ n: String, at: SourceLocation) throws(LoweringAbort) -> Value {
    if scope.contains(where: { $0.name == n }) {
      return Value(expr: .index(n), type: .weakInt, location: at)
    }
    if let t = try checkReadable(n, at: at) {
      guard t.shape.isEmpty else {
        throw fail(
          SpecDiagnostic.rankMismatch, "tensor '\(n)' has rank \(t.shape.count) but is used without indices",
          at: at, notes: [.init("'\(n)' is declared here", at: t.location)])
      }
      let expr: Expr = t.role == .input ? .scalar(n) : .load(Load(tensor: n, indices: []))
      return Value(expr: expr, type: .strong(t.dtype), location: at)
    }
    if dimLocations[n] != nil {
      return Value(expr: .dim(n), type: .weakInt, location: at)
    }
    var hint = ""
    if knownFunctions.contains(n) || DType(rawValue: n) != nil {
      hint = "; '\(n)' is a function: call it as '\(n)(...)'"
    } else if SpecReduceOp(rawValue: n) != nil {
      hint = "; a reduction is written '\(n)(k) expression'"
    }
    throw fail(SpecDiagnostic.unknownName, "use of unknown name '\(n)'\(hint)", at: at)
  }

  mutating func lowerLoad(_ base: SpecExpr, _ indices: [SpecExpr], pad: SpecExpr?) throws(LoweringAbort) -> Value {
    guard case .name(let n) = base.kind else {
      throw fail(SpecDiagnostic.notATensor, "only tensors can be indexed", at: base.location)
    }
    guard let t = try checkReadable(n, at: base.location) else {
      if scope.contains(where: { $0.name == n }) {
        throw fail(SpecDiagnostic.notATensor, "'\(n)' is an index variable, not a tensor", at: base.location)
      }
      if dimLocations[n] != nil {
        throw fail(SpecDiagnostic.notATensor, "'\(n)' is a dimension, not a tensor", at: base.location)
      }
      throw fail(SpecDiagnostic.unknownName, "use of unknown name '\(n)'", at: base.location)
    }
    if scope.contains(where: { $0.name == n }) {
      // `x[...]` always reads the tensor, even when an index variable has the same name.
    }
    let note = Diagnostic.Note("'\(n)' is declared here", at: t.location)
    guard !t.shape.isEmpty else {
      throw fail(SpecDiagnostic.rankMismatch, "'\(n)' is a scalar and cannot be indexed", at: base.location, notes: [note])
    }
    guard t.shape.count == indices.count else {
      throw fail(
        SpecDiagnostic.rankMismatch,
        "tensor '\(n)' has rank \(t.shape.count) but is indexed with \(plural(indices.count, "index", "indices"))",
        at: base.location, notes: [note])
    }
    var lowered: [Expr] = []
    for i in indices {
      lowered.append(try indexExpr(try lowerExpr(i), "index of '\(n)'"))
    }
    var bounds = LoadBounds.padded(nil)
    if let pad { bounds = .padded(try padConstant(pad, tensor: n, t.dtype)) }
    return Value(
      expr: .load(Load(tensor: n, indices: lowered, bounds: bounds)), type: .strong(t.dtype), location: base.location)
  }

  mutating func padConstant(_ pad: SpecExpr, tensor: String, _ t: DType) throws(LoweringAbort) -> Constant {
    let text: String
    switch pad.kind {
    case .integer(let v):
      if t.isFloat { return .float(Double(v), t) }
      if t.isInteger, fits(v, t) { return .int(v, t) }
      if t == .bool, v == 0 || v == 1 { return .bool(v == 1) }
      text = String(v)
    case .float(let v):
      if t.isFloat { return .float(v, t) }
      text = SpecASTPrinter.literal(v)
    case .bool(let b):
      if t == .bool { return .bool(b) }
      text = String(b)
    case .name, .call, .index, .unary, .binary, .reduction:
      text = "?"
    }
    throw fail(
      SpecDiagnostic.typeMismatch, "padding value '\(text)' cannot be stored in '\(tensor)' of type '\(t)'",
      at: pad.location)
  }

  // MARK: - Calls

  mutating func lowerCall(_ name: String, _ args: [SpecExpr], at: SourceLocation) throws(LoweringAbort) -> Value {
    func arity(_ n: Int, _ hint: String = "") throws(LoweringAbort) {
      guard args.count == n else {
        throw fail(
          SpecDiagnostic.arity,
          "'\(name)' takes \(plural(n, "argument", "arguments")), got \(args.count)\(hint)", at: at)
      }
    }
    if let t = DType(rawValue: name) {
      guard args.count == 1 else {
        throw fail(SpecDiagnostic.arity, "cast to '\(t)' takes 1 argument, got \(args.count)", at: at)
      }
      return try cast(try lowerExpr(args[0]), to: t, at: at)
    }
    if let op = floatFunctions[name] {
      try arity(1)
      let v = try lowerExpr(args[0])
      try requireFloat(v, name)
      return Value(expr: .unary(op, v.expr), type: v.type, location: at)
    }
    switch name {
    case "isnan":
      try arity(1)
      let v = try lowerExpr(args[0])
      try requireFloat(v, name)
      return Value(expr: .unary(.isnan, v.expr), type: .strong(.bool), location: at)
    case "abs":
      try arity(1)
      let v = try lowerExpr(args[0])
      if v.type == .strong(.bool) {
        throw fail(SpecDiagnostic.typeMismatch, "'abs' needs a number, not 'bool'", at: v.location)
      }
      return Value(expr: .unary(.abs, v.expr), type: v.type, location: at)
    case "where":
      try arity(3)
      let c = try lowerExpr(args[0])
      guard c.type == .strong(.bool) else {
        throw fail(
          SpecDiagnostic.typeMismatch,
          "condition of 'where' must be 'bool', not \(c.typeDescription); compare it, e.g. 'x != 0'", at: c.location)
      }
      let a = try lowerExpr(args[1])
      let b = try lowerExpr(args[2])
      let (x, y, t) = try unify(a, b, "where", at: args[2].location)
      return Value(expr: .select(c.expr, x, y), type: t, location: at)
    default:
      break
    }
    if let op = binaryFunctions[name] {
      let hint = args.count == 1 && name != "pow" ? "; a reduction is written '\(name)(k) expression'" : ""
      try arity(2, hint)
      let a = try lowerExpr(args[0])
      let b = try lowerExpr(args[1])
      let (x, y, t) = try unify(a, b, name, at: at)
      if t == .strong(.bool) {
        throw fail(SpecDiagnostic.typeMismatch, "'\(name)' needs numbers, not 'bool'", at: at)
      }
      if op == .pow {
        switch t {
        case .strong(let s) where !s.isFloat:
          throw fail(
            SpecDiagnostic.typeMismatch, "'pow' needs float operands, not '\(s)'; convert them with 'f32(...)'", at: at)
        case .weakInt:
          throw fail(
            SpecDiagnostic.typeMismatch, "'pow' needs float operands, not integers; write float literals such as '2.0'",
            at: at)
        case .strong, .weakFloat:
          break
        }
        if let product = Self.powerAsProducts(x, y) { return Value(expr: product, type: t, location: at) }
      }
      return Value(expr: .binary(op, x, y), type: t, location: at)
    }
    if let t = tensors[name] {
      throw fail(
        SpecDiagnostic.unknownFunction, "'\(name)' is a tensor, not a function; index it as '\(name)[...]'", at: at,
        notes: [.init("'\(name)' is declared here", at: t.location)])
    }
    if SpecReduceOp(rawValue: name) != nil {
      throw fail(
        SpecDiagnostic.unknownFunction, "'\(name)' is a reduction: write '\(name)(k) expression'", at: at)
    }
    throw fail(SpecDiagnostic.unknownFunction, "use of unknown function '\(name)'", at: at)
  }

  /// `pow(x, 2.0)`, `pow(x, 3.0)` and `pow(x, 4.0)` lower to products (`x * x`, `(x * x) * x`, `(x * x) * (x * x)`):
  /// the same value for every x (signs, zeros, infinities and NaN alike; an integer power of a negative base is
  /// defined), one or two roundings instead of a `pow` call that a GPU computes through `exp2(y * log2(x))` with
  /// its special cases (gelu_tanh at 8192 x 8192 on an H100: 251.5 us with `pow`, 192.3 us with products;
  /// bench/kernelbench/results-h100-2026-12-06-c/ and bench/gpu/session-h100-2026-12-06-evening/). Other exponents
  /// stay `pow`.
  static func powerAsProducts(_ x: Expr, _ y: Expr) -> Expr? {
    guard case .constant(let c) = y, case .float(let e) = c.value else { return nil }
    let square = Expr.binary(.mul, x, x)
    switch e {
    case 2: return square
    case 3: return .binary(.mul, square, x)
    case 4: return .binary(.mul, square, square)
    default: return nil
    }
  }

  mutating func requireFloat(_ v: Value, _ function: String) throws(LoweringAbort) {
    switch v.type {
    case .strong(let t) where t.isFloat: return
    case .weakFloat: return
    case .weakInt:
      throw fail(
        SpecDiagnostic.typeMismatch,
        "'\(function)' needs a float operand, not an integer; write a float literal such as '2.0' or convert with 'f32(...)'",
        at: v.location)
    case .strong(let t):
      throw fail(
        SpecDiagnostic.typeMismatch,
        "'\(function)' needs a float operand, not '\(t)'; convert it with 'f32(...)'", at: v.location)
    }
  }

  mutating func cast(_ v: Value, to t: DType, at: SourceLocation) throws(LoweringAbort) -> Value {
    let out: Expr
    switch v.type {
    case .strong(let s):
      if s.isFloat && t == .bool {
        throw fail(
          SpecDiagnostic.invalidCast, "cannot cast '\(s)' to 'bool'; compare with 0 instead (e.g. 'x != 0')", at: at)
      }
      out = s == t ? v.expr : .cast(t, v.expr)
    case .weakInt:
      if case .constant(let c) = v.expr, case .int(let i) = c.value {
        if t == .bool {
          out = .constant(.bool(i != 0))
        } else if t.isFloat {
          out = .constant(.float(Double(i), t))
        } else if fits(i, t) {
          out = .constant(.int(i, t))
        } else {
          out = .cast(t, v.expr)
        }
      } else {
        out = t == .i64 ? v.expr : .cast(t, v.expr)
      }
    case .weakFloat:
      if t == .bool {
        throw fail(
          SpecDiagnostic.invalidCast, "cannot cast a float to 'bool'; compare with 0 instead (e.g. 'x != 0')", at: at)
      }
      out = t.isFloat ? retype(v.expr, t) : .cast(t, v.expr)
    }
    return Value(expr: out, type: .strong(t), location: at)
  }

  // MARK: - Reductions

  /// The parts of a reduction definition: its `Reduction`, its body (already of the accumulator type) and the
  /// type of its value (the accumulator, or i64 for argmax/argmin: the tuple reduction `Reduction.argExtreme`).
  mutating func lowerReduction(
    _ op: SpecReduceOp, accumulator: DType?, axes: [SpecReductionAxis], body: SpecExpr, at: SourceLocation,
    preferred: DType?
  ) throws(LoweringAbort) -> (reduction: Reduction, body: Expr, type: DType) {
    // argmax/argmin are the tuple reduction of the extreme value and its index (TupleReduction.swift).
    let irOp: ReduceOp?
    switch op {
    case .sum: irOp = .sum
    case .prod: irOp = .prod
    case .max: irOp = .max
    case .min: irOp = .min
    case .argmax, .argmin: irOp = nil
    }
    let isArg = irOp == nil
    if isArg && axes.count != 1 {
      throw fail(
        SpecDiagnostic.reductionAxes,
        "'\(op.rawValue)' reduces over exactly one variable, got \(axes.count)", at: at)
    }
    let savedScope = scope
    defer { scope = savedScope }
    var raxes: [ReductionAxis] = []
    for (i, a) in axes.enumerated() {
      if let outer = scope.first(where: { $0.name == a.name }) {
        throw fail(
          SpecDiagnostic.shadowing, "reduction variable '\(a.name)' shadows an index variable in scope; rename it",
          at: a.location, notes: [.init("'\(a.name)' is declared here", at: outer.location)])
      }
      if dimLocations[a.name] != nil {
        throw fail(
          SpecDiagnostic.shadowing, "reduction variable '\(a.name)' has the name of a dimension; rename it",
          at: a.location)
      }
      switch a.range {
      case .inferred:
        var later: [SpecExpr] = [body]
        for b in axes[(i + 1)...] {
          switch b.range {
          case .inferred: break
          case .below(let e): later.append(e)
          case .between(let lo, let hi): later += [lo, hi]
          }
        }
        let extent = try inferExtent(
          a.name, at: a.location, uses: wholeIndexUses(of: a.name, in: later), anyUse: mentions(a.name, in: later),
          hint: "write '\(a.name) < EXTENT'")
        raxes.append(ReductionAxis(name: a.name, lowerBound: .constant(.int(0)), upperBound: sizeToExpr(extent)))
        scope.append(ScopeVariable(name: a.name, extent: extent, location: a.location))
      case .below(let e):
        let hi = try indexExpr(try lowerExpr(e), "the bound of '\(a.name)'")
        raxes.append(ReductionAxis(name: a.name, lowerBound: .constant(.int(0)), upperBound: hi))
        scope.append(ScopeVariable(name: a.name, extent: sizeOf(e), location: a.location))
      case .between(let lo, let hi):
        let l = try indexExpr(try lowerExpr(lo), "the lower bound of '\(a.name)'")
        let h = try indexExpr(try lowerExpr(hi), "the upper bound of '\(a.name)'")
        raxes.append(ReductionAxis(name: a.name, lowerBound: l, upperBound: h))
        var extent: SizeExpr? = nil
        if case .integer(0) = lo.kind { extent = sizeOf(hi) }
        scope.append(ScopeVariable(name: a.name, extent: extent, location: a.location))
      }
    }
    let v = try lowerExpr(body)
    let accumulatorType: DType
    let bodyExpr: Expr
    if let t = accumulator {
      accumulatorType = t
      switch v.type {
      case .strong(let s):
        if s.isFloat && t == .bool {
          throw fail(SpecDiagnostic.invalidCast, "cannot accumulate '\(s)' values as 'bool'", at: body.location)
        }
        bodyExpr = s == t ? v.expr : .cast(t, v.expr)
      case .weakInt, .weakFloat:
        bodyExpr = try materialize(v, to: t, context: "in '\(op.rawValue)<\(t)>'")
      }
    } else {
      switch v.type {
      case .strong(let s):
        accumulatorType = s
        bodyExpr = v.expr
      case .weakInt:
        let t = preferred.flatMap { $0 == .bool ? nil : $0 } ?? .i64
        accumulatorType = t
        bodyExpr = try materialize(v, to: t, context: "in '\(op.rawValue)'")
      case .weakFloat:
        let t = preferred.flatMap { $0.isFloat ? $0 : nil } ?? .f32
        accumulatorType = t
        bodyExpr = try materialize(v, to: t, context: "in '\(op.rawValue)'")
      }
    }
    if accumulatorType == .bool {
      let hint = isArg ? "compare with 'i32(...)' values" : "give an accumulator type, e.g. '\(op.rawValue)<i32>'"
      throw fail(
        SpecDiagnostic.typeMismatch, "cannot '\(op.rawValue)' values of type 'bool'; \(hint)", at: body.location)
    }
    guard let irOp else {
      return (.argExtreme(isMax: op == .argmax, accumulator: accumulatorType, axis: raxes[0]), bodyExpr, .i64)
    }
    return (Reduction(op: irOp, accumulator: accumulatorType, axes: raxes), bodyExpr, accumulatorType)
  }

  /// A reduction inside an expression: its own definition over the index variables it uses, read back here.
  mutating func hoist(
    _ op: SpecReduceOp, accumulator: DType?, axes: [SpecReductionAxis], body: SpecExpr, at: SourceLocation
  ) throws(LoweringAbort) -> Value {
    let r = try lowerReduction(op, accumulator: accumulator, axes: axes, body: body, at: at, preferred: nil)
    var used = r.body.indexNames
    for a in r.reduction.axes {
      used.formUnion(a.lowerBound.indexNames)
      used.formUnion(a.upperBound.indexNames)
    }
    let own = Set(r.reduction.axes.map(\.name))
    var hoistedAxes: [Axis] = []
    for v in scope where used.contains(v.name) && !own.contains(v.name) {
      guard let extent = v.extent else {
        throw fail(
          SpecDiagnostic.unsupportedNesting,
          "cannot compute this reduction on its own: it uses '\(v.name)', whose range is not a size; move it into a separate definition",
          at: at, notes: [.init("'\(v.name)' is declared here", at: v.location)])
      }
      hoistedAxes.append(Axis(name: v.name, extent: extent))
    }
    let key = Definition(
      name: "", dtype: r.type, axes: hoistedAxes, reduction: r.reduction, body: r.body, location: .unknown)
    let name: String
    if let existing = hoisted[key] {
      name = existing
    } else {
      name = freshName()
      var d = key
      d.name = name
      d.location = at
      definitions.append(d)
      hoisted[key] = name
      tensors[name] = TensorInfo(
        role: .hoisted, dtype: r.type, shape: hoistedAxes.map(\.extent), location: at, defined: true)
    }
    let load = Load(tensor: name, indices: hoistedAxes.map { .index($0.name) })
    return Value(expr: .load(load), type: .strong(r.type), location: at)
  }
}
