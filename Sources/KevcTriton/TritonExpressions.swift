import KevcBasic
import KevcIR

/// Expressions, loads and reductions on blocks: every IR operation maps to Triton operations with the IR's
/// semantics (floored integer division and modulo with 0 for a zero divisor, NaN-propagating max/min, saturating
/// float -> int casts, f16/bf16 computed in f32), evaluated elementwise with broadcasting over the lanes.
extension KernelBuilder {
  /// A constant as a typed 0-d tensor; other code unchanged.
  func materialize(_ c: Code) -> String {
    guard c.isConstant else { return c.text }
    if c.text.hasPrefix("tl.") { return c.text }
    // An i64 constant that fits in 32 bits takes the kernel's index type (IndexWidth counts it as one).
    if c.type == .i64, indexType != "tl.int64", let v = Int64(c.text), v >= Int64(Int32.min), v <= Int64(Int32.max) {
      return "tl.full([], \(c.text), \(indexType))"
    }
    return "tl.full([], \(c.text), \(TritonType.register(c.type)))"
  }

  mutating func expr(_ e: Expr, _ f: Frame) throws(DiagnosticError) -> Code {
    let code = try expression(e, f)
    guard repeated.contains(e), !code.isConstant, code.text.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_") })
    else { return code }
    return hoisted(code, name: "e")
  }

  /// The code as a variable assigned at the current indentation (once per distinct text there).
  mutating func hoisted(_ code: Code, name: String) -> Code {
    if loadCacheIndent != indent {
      loadCache = [:]
      loadCacheIndent = indent
    }
    if let v = loadCache[code.text] { return Code(text: v, lanes: code.lanes, type: code.type, isConstant: false) }
    let v = fresh(name)
    line("\(v) = \(code.text)")
    loadCache[code.text] = v
    return Code(text: v, lanes: code.lanes, type: code.type, isConstant: false)
  }

  mutating func expression(_ e: Expr, _ f: Frame) throws(DiagnosticError) -> Code {
    switch e {
    case .constant(let c):
      return Code(text: TritonType.literal(c), lanes: [], type: c.dtype, isConstant: true)
    case .index(let name):
      switch bindings[name] {
      case .scalar(let v)?: return Code(text: v, lanes: [], type: .i64, isConstant: false)
      case .lane(let lane)?:
        guard f.dims[name] != nil else {
          throw fail("internal error: lane '\(name)' is used outside its block", at: nil, "internal")
        }
        return Code(text: expand(lane.variable, lane: name, f), lanes: [name], type: .i64, isConstant: false)
      case nil:
        throw fail("internal error: index '\(name)' is used before its loop is emitted", at: nil, "internal")
      }
    case .dim(let d):
      guard let v = dims[d] else { throw fail("dim '\(d)' is not bound", at: nil, "unbound-dims") }
      return Code(text: "\(v)", lanes: [], type: .i64, isConstant: true)
    case .scalar(let s):
      if let local = tupleLocals[s] { return local }
      guard let name = scalarNames[s], let p = kernel.params.first(where: { $0.name == s }) else {
        throw fail("unknown scalar '\(s)'", at: nil, "internal")
      }
      usedScalars.insert(s)
      return Code(text: name, lanes: [], type: p.dtype, isConstant: false)
    case .load(let l):
      return try load(l, f, raw: false)
    case .unary(let op, let a):
      let x = try expr(a, f)
      let t = materialize(x)
      let float = x.type == .f64 ? "tl.float64" : "tl.float32"
      _ = float
      func call(_ fn: String) -> Code { Code(text: "\(fn)(\(t))", lanes: x.lanes, type: x.type, isConstant: false) }
      switch op {
      case .neg: return Code(text: "(-\(t))", lanes: x.lanes, type: x.type, isConstant: false)
      case .not: return Code(text: "(\(t) == 0)", lanes: x.lanes, type: .bool, isConstant: false)
      case .abs: return call("tl.abs")
      case .exp: return call("tl.exp")
      case .log: return call("tl.log")
      case .sqrt: return call("tl.sqrt_rn")
      case .rsqrt: return call("tl.rsqrt")
      case .tanh: return call("libdevice.tanh")
      case .sigmoid: return call("tl.sigmoid")
      case .erf: return call("tl.erf")
      case .floor: return call("tl.floor")
      case .ceil: return call("tl.ceil")
      case .isnan: return Code(text: "(\(t) != \(t))", lanes: x.lanes, type: .bool, isConstant: false)
      }
    case .binary(let op, let a, let b):
      // A block of a fused axis inside one of its components (`(k.o * 32 + k.i) // 64` with k.i < 32): the
      // lane part drops out of the division (IndexArithmetic.alignedSplit), so the outer components are scalars.
      if let split = facts.alignedDivision(op, a, b) { return try expression(split, f) }
      var x = try expr(a, f)
      let y = try expr(b, f)
      if x.isConstant && y.isConstant { x = Code(text: materialize(x), lanes: [], type: x.type, isConstant: false) }
      let lanes = x.lanes.union(y.lanes)
      let t = x.type
      func infix(_ s: String, _ type: DType) -> Code {
        Code(text: "(\(x.text) \(s) \(y.text))", lanes: lanes, type: type, isConstant: false)
      }
      func helper(_ name: String) -> Code {
        helpers.insert(name)
        return Code(text: "\(name)(\(materialize(x)), \(materialize(y)))", lanes: lanes, type: t, isConstant: false)
      }
      switch op {
      case .add: return infix("+", t)
      case .sub: return infix("-", t)
      case .mul: return infix("*", t)
      case .div, .mod:
        if t.isFloat { return op == .div ? infix("/", t) : helper("_kevc_fmod") }
        // A non-negative index by a positive constant (a fused axis: `c.k / 3`): C's division is the floor
        // division, and a constant divisor lets the compiler use a multiply.
        if let n = facts.range(a), n.lowerBound >= 0, let d = facts.range(b), d.lowerBound == d.upperBound, d.lowerBound > 0 {
          return infix(op == .div ? "//" : "%", t)
        }
        return helper(op == .div ? "_kevc_floordiv" : "_kevc_floormod")
      case .max, .min:
        let fn = op == .max ? "tl.maximum" : "tl.minimum"
        let nan = t.isFloat ? ", propagate_nan=tl.PropagateNan.ALL" : ""
        return Code(text: "\(fn)(\(materialize(x)), \(materialize(y))\(nan))", lanes: lanes, type: t, isConstant: false)
      case .pow:
        return Code(text: "libdevice.pow(\(materialize(x)), \(materialize(y)))", lanes: lanes, type: t, isConstant: false)
      case .eq, .ne, .lt, .le, .gt, .ge: return infix(op.comparisonOperator ?? "==", .bool)
      case .and: return infix("&", .bool)
      case .or: return infix("|", .bool)
      }
    case .select(let c, let a, let b):
      let cond = try expr(c, f)
      var x = try expr(a, f)
      let y = try expr(b, f)
      if x.isConstant && y.isConstant { x = Code(text: materialize(x), lanes: [], type: x.type, isConstant: false) }
      return Code(
        text: "tl.where(\(materialize(cond)), \(x.text), \(y.text))", lanes: cond.lanes.union(x.lanes).union(y.lanes),
        type: x.type, isConstant: false)
    case .cast(let t, let a):
      let x = try expr(a, f)
      return Code(text: cast(materialize(x), from: x.type, to: t), lanes: x.lanes, type: t, isConstant: false)
    }
  }

  /// Conversion with the IR's semantics, on register representations.
  mutating func cast(_ v: String, from s: DType, to t: DType) -> String {
    if s == t { return v }
    switch (s.isFloat, t.isFloat) {
    case (true, true):
      switch t {
      case .f16, .bf16: return "(\(v)).to(\(TritonType.storage(t))).to(tl.float32)"
      case .f32: return s == .f64 ? "(\(v)).to(tl.float32)" : v
      case .f64: return "(\(v)).to(tl.float64)"
      case .i8, .i32, .i64, .bool: return v
      }
    case (true, false):
      if t == .bool { return "(\(v) != 0)" }
      let name = "_kevc_f2\(t.rawValue)"
      helpers.insert(name)
      return "\(name)(\(v))"
    case (false, true):
      if TritonType.isHalf(t) { return "(\(v)).to(tl.float32).to(\(TritonType.storage(t))).to(tl.float32)" }
      return "(\(v)).to(\(TritonType.storage(t)))"
    case (false, false):
      if t == .bool { return "(\(v) != 0)" }
      return "(\(v)).to(\(TritonType.storage(t)))"
    }
  }

  // MARK: - Loads

  /// A load: from memory (masked by the bounds checks it needs and the lanes it depends on), scratch, or a
  /// register. `raw` keeps f16/bf16 in their storage type (dot operands).
  mutating func load(_ l: Load, _ f: Frame, raw: Bool) throws(DiagnosticError) -> Code {
    guard let home = homes[l.tensor], let type = kernel.tensorType(l.tensor) else {
      throw fail("internal error: '\(l.tensor)' is read where it is not available", at: nil, "internal")
    }
    var indices: [Code] = []
    for i in l.indices { indices.append(try expr(i, f)) }
    let shape: [Int]
    switch home {
    case .memory(_, let s), .scratch(_, _, _, _, let s), .register(_, let s), .tile(_, _, let s): shape = s
    }
    // Bounds checks for indices not proven inside the tensor.
    var inside: [String] = []
    var lanes: Set<String> = []
    for (k, (index, code)) in zip(l.indices, indices).enumerated() where k < shape.count {
      lanes.formUnion(code.lanes)
      let r = facts.range(index)
      let lowOK = r.map { $0.lowerBound >= 0 } ?? false
      let highOK = r.map { $0.upperBound < shape[k] } ?? false
      switch home {
      case .register, .scratch, .tile:
        if case .inBounds = l.bounds { continue }
      case .memory:
        break
      }
      if !lowOK { inside.append("(\(code.text) >= 0)") }
      if !highOK { inside.append("(\(code.text) < \(shape[k]))") }
    }
    let pad: Constant
    switch l.bounds {
    case .padded(let c): pad = c ?? .zero(type.dtype)
    case .inBounds: pad = .zero(type.dtype)
    }
    let padText = TritonType.literal(Constant(pad.dtype, TritonType.roundedValue(pad)))
    if case .register(let value, _) = home {
      if inside.isEmpty { return Code(text: value, lanes: [], type: type.dtype, isConstant: false) }
      return Code(
        text: "tl.where(\(inside.joined(separator: " & ")), \(value), \(padText))", lanes: lanes, type: type.dtype,
        isConstant: false)
    }
    if case .tile(let value, let tileLanes, _) = home {
      // The block in this frame: its axes at their lanes' dimensions (transposed or broadcast as needed).
      let named = tileLanes.compactMap { $0 }
      guard let positions = Optional(named.compactMap { f.dims[$0] }), positions.count == named.count else {
        throw fail("internal error: '\(l.tensor)' is read outside the blocks it was computed for", at: nil, "internal")
      }
      var text = value
      var ordered = positions
      if positions.count == 2, positions[0] > positions[1] {
        text = "tl.trans(\(text))"
        ordered = [positions[1], positions[0]]
      }
      guard ordered == ordered.sorted() else {
        throw fail("internal error: cannot arrange the block of '\(l.tensor)' in this frame", at: nil, "internal")
      }
      if f.rank > ordered.count {
        let idx = (0..<f.rank).map { ordered.contains($0) ? ":" : "None" }.joined(separator: ", ")
        text = "\(text)[\(idx)]"
      }
      let tileLaneSet = Set(named)
      if inside.isEmpty { return Code(text: text, lanes: tileLaneSet, type: type.dtype, isConstant: false) }
      return Code(
        text: "tl.where(\(inside.joined(separator: " & ")), \(text), \(padText))", lanes: lanes.union(tileLaneSet),
        type: type.dtype, isConstant: false)
    }
    let pointer: String
    switch home {
    case .memory:
      guard let p = pointerNames[l.tensor] else { throw fail("internal error: no pointer for '\(l.tensor)'", at: nil, "internal") }
      pointer = p
      usedTensors.insert(l.tensor)
    case .scratch(let p, _, _, _, _):
      pointer = p
    case .register, .tile:
      pointer = ""
    }
    let off = try offset(home, l.indices, f)
    var maskParts: [String] = []
    if let m = maskText(f, within: lanes) { maskParts.append(m) }
    maskParts += inside
    let mask = maskParts.isEmpty ? "" : ", mask=\(maskParts.count == 1 ? maskParts[0] : maskParts.joined(separator: " & "))"
    let other = maskParts.isEmpty ? "" : ", other=\(padText)"
    let upcast = TritonType.isHalf(type.dtype) && !raw ? ".to(tl.float32)" : ""
    let text = "tl.load(\(pointer) + \(off.text)\(mask)\(other))\(upcast)"
    // Each distinct load once per block of code: a variable assigned just before the statement that uses it.
    return hoisted(Code(text: text, lanes: lanes, type: type.dtype, isConstant: false), name: l.tensor + "_v")
  }

  // MARK: - Reductions

  struct Accumulator {
    var op: ReduceOp
    var type: DType
    var frame: Frame
    var axisLanes: [String]
    var value = ""

    var asValue: ReducedValue { ReducedValue(value: Code(text: value, lanes: Set(axisLanes), type: type, isConstant: false)) }
  }

  struct ReducedValue {
    var value: Code
  }

  /// The block dimensions of `lanes` in `frame`, highest first: the order a block is reduced lane by lane, each
  /// kept as a dimension of 1, so that the remaining dimensions keep their positions.
  func blockDimensionsDescending(_ frame: Frame, _ lanes: [String]) -> [Int] {
    lanes.map { frame.dims[$0] ?? 0 }.sorted(by: >)
  }

  /// The register type an index carried by a reduction's state (argmax's, a select-form tuple's ascending index:
  /// TritonTuple.narrowedTupleComponents) travels in: int32 where the kernel's indices fit 32 bits (as Triton's own
  /// `tl.argmax`), else int64; widened to int64 only at the store. (It did not fix argmax at 4096 x 32000 on the
  /// GPU; the single-operand block of TritonArgExtreme.swift is that fix.)
  var argIndexType: String { indexType == "tl.int32" ? "tl.int32" : "tl.int64" }

  mutating func accumulatorShape(_ f: Frame, _ axisLanes: [String]) -> String {
    axisLanes.isEmpty ? "[]" : "[" + shape(f, keeping: Set(axisLanes)).joined(separator: ", ") + "]"
  }

  mutating func initialise(_ acc: inout Accumulator, prefix: String) throws(DiagnosticError) {
    let s = accumulatorShape(acc.frame, acc.axisLanes)
    let id = TritonType.identity(acc.op, acc.type)
    acc.value = fresh("acc")
    line("\(acc.value) = tl.full(\(s), \(TritonType.literal(id)), \(TritonType.register(acc.type)))")
  }

  /// The body on the current lanes, masked lanes set to the identity, reduced over the reduction lanes.
  mutating func contribution(
    _ op: ReduceOp, type: DType, body: Expr, frame: Frame, reductionLanes: [String], axisLanes: [String]
  ) throws(DiagnosticError) -> ReducedValue {
    noteRepeats(body)
    let c = try expr(body, frame)
    let mask = maskText(frame, within: nil)
    let allLanes = Set(reductionLanes + axisLanes)
    let full = "(" + shape(frame, keeping: allLanes).joined(separator: ", ") + (frame.rank == 1 ? ",)" : ")")
    let identity = TritonType.identity(op, type)
    func spread(_ text: String, _ lanes: Set<String>, constant: Bool, _ t: DType) -> String {
      let v = constant ? "tl.full([], \(text), \(TritonType.register(t)))" : text
      if Set(reductionLanes).isSubset(of: lanes) || reductionLanes.isEmpty { return v }
      return "tl.broadcast_to(\(v), \(full))"
    }
    var x = c.isConstant ? materialize(c) : c.text
    var lanes = c.lanes
    if let mask {
      x = "tl.where(\(mask), \(x), \(TritonType.literal(identity)))"
      lanes = lanes.union(masks.flatMap { self.lanes(of: $0) }.filter { frame.dims[$0] != nil })
    }
    if reductionLanes.isEmpty {
      return ReducedValue(value: Code(text: x, lanes: lanes, type: type, isConstant: false))
    }
    let name = fresh("t")
    line("\(name) = \(spread(x, lanes, constant: false, type))")
    let (fn, custom) = reducer(op, type)
    let back = type.isInteger ? ".to(\(TritonType.register(type)))" : ""
    if axisLanes.isEmpty {
      line(custom ? "\(name) = tl.reduce(\(name), None, \(fn))\(back)" : "\(name) = \(fn)(\(name))\(back)")
    } else {
      for d in blockDimensionsDescending(frame, reductionLanes) {
        line(
          custom
            ? "\(name) = tl.reduce(\(name), \(d), \(fn), keep_dims=True)\(back)"
            : "\(name) = \(fn)(\(name), axis=\(d), keep_dims=True)\(back)")
      }
    }
    return ReducedValue(value: Code(text: name, lanes: Set(axisLanes), type: type, isConstant: false))
  }

  /// The Triton reduction for an op: a built-in (`tl.sum`) or a combine function for `tl.reduce`.
  mutating func reducer(_ op: ReduceOp, _ t: DType) -> (String, Bool) {
    switch op {
    case .sum: return ("tl.sum", false)
    case .prod:
      helpers.insert("_kevc_mul")
      return ("_kevc_mul", true)
    case .max, .min:
      if t.isFloat {
        let name = op == .max ? "_kevc_max_nan" : "_kevc_min_nan"
        helpers.insert(name)
        return (name, true)
      }
      return (op == .max ? "tl.max" : "tl.min", false)
    case .tuple: return ("", false)
    }
  }

  mutating func combine(_ acc: inout Accumulator, _ r: ReducedValue) {
    let a = acc.value
    let v = r.value.isConstant ? materialize(r.value) : r.value.text
    switch acc.op {
    case .sum: line("\(a) = \(a) + \(v)")
    case .prod: line("\(a) = \(a) * \(v)")
    case .max, .min:
      let fn = acc.op == .max ? "tl.maximum" : "tl.minimum"
      line("\(a) = \(fn)(\(a), \(v)\(acc.type.isFloat ? ", propagate_nan=tl.PropagateNan.ALL" : ""))")
    case .tuple:
      // Never reached: the emitter refuses tuple reductions (TritonEmitter.emit).
      break
    }
  }

  mutating func finish(_ acc: Accumulator) -> Code { acc.asValue.value }
}
