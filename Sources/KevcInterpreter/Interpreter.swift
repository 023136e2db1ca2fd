import KevcBasic
import KevcIR

/// The float64 reference interpreter of kernel IR: the oracle every compiled kernel is checked against.
///
/// Semantics (Kernel.swift, Expr.swift): definitions run in program order; each element of a definition is its
/// body evaluated in f64 (floats) or wrapping Int64 (integers), then rounded to the definition's type (`DType.round`
/// for floats, wrapping for integers). A reduction converts its body to the accumulator type (when the types
/// differ), combines in f64 / Int64 without rounding per step, and rounds the final value once; identities are
/// sum 0, prod 1, max -inf (integers: the type's minimum), min +inf (the type's maximum); max/min propagate NaN;
/// a tuple reduction folds its combiner (TupleReductionEval.swift; argmax/argmin, `Combiner.argExtreme`, give the
/// first index of the extreme value, NaN the extreme, -1 for an empty range). Reduction
/// bounds are evaluated at every point (they may read tensors and outer reduction variables). Loads outside a
/// tensor give the pad value; an `inbounds` load outside is a diagnostic. The f64 arithmetic makes the oracle more
/// precise than f16/bf16/f32 candidates: that is intended, the tolerance of `Comparison` absorbs it.
public enum Interpreter {
  /// The largest tensor the interpreter allocates, in elements.
  public static let maxElements = 1 << 28
  /// The longest range one reduction variable may span at one point.
  public static let maxReductionRange: Int64 = 1 << 31

  /// Runs `kernel` (every dim bound) on `inputs` (one per parameter, by name) and returns every result by name.
  public static func run(_ kernel: Kernel, inputs: [String: TensorValue]) throws(DiagnosticError)
    -> [String: TensorValue]
  {
    let machine = try Machine(kernel: kernel, inputs: inputs)
    try machine.execute()
    var out: [String: TensorValue] = [:]
    for r in kernel.results {
      if let s = machine.storage[r.name] { out[r.name] = s.tensorValue }
    }
    return out
  }

  /// As `run`, and with each result the leeway its comparison allows: elements that depend on a discontinuity met
  /// within tolerance (a floor, a comparison or a float-to-integer conversion of a computed value close to its
  /// jump, or a read of such an element) may take any value; a select-form tuple reduction with an order key (an
  /// argmax/argmin) whose extreme ties within tolerance with other elements may give the yield of any of them,
  /// except that an exact tie (the same value) gives the first.
  public static func runWithLeeway(_ kernel: Kernel, inputs: [String: TensorValue]) throws(DiagnosticError)
    -> (values: [String: TensorValue], leeway: [String: Leeway])
  {
    let machine = try Machine(kernel: kernel, inputs: inputs, tracksDoubt: true)
    try machine.execute()
    var values: [String: TensorValue] = [:]
    var leeway: [String: Leeway] = [:]
    for r in kernel.results {
      if let s = machine.storage[r.name] {
        values[r.name] = s.tensorValue
        leeway[r.name] = s.leeway
      }
    }
    return (values, leeway)
  }

  /// The kernel evaluated in its declared precision: as `run`, but each step of a float sum or product is rounded
  /// to the reduction's accumulator type, in the reduction's order (a straightforward sequential evaluation, where
  /// `run` combines in f64 and rounds once). The checker compares a candidate that misses the plain tolerance with
  /// this evaluation's own error on the same inputs (`Comparison.dtypeError`, `Comparison.widening`): where the
  /// declared types cannot resolve the computation, no kernel in them can.
  public static func runInDeclaredPrecision(_ kernel: Kernel, inputs: [String: TensorValue]) throws(DiagnosticError)
    -> [String: TensorValue]
  {
    let machine = try Machine(kernel: kernel, inputs: inputs, roundsEachStep: true)
    try machine.execute()
    var out: [String: TensorValue] = [:]
    for r in kernel.results {
      if let s = machine.storage[r.name] { out[r.name] = s.tensorValue }
    }
    return out
  }

  /// As `run`, but returns every definition (intermediates included) by name: for debugging later stages.
  public static func runAllDefinitions(_ kernel: Kernel, inputs: [String: TensorValue]) throws(DiagnosticError)
    -> [String: TensorValue]
  {
    let machine = try Machine(kernel: kernel, inputs: inputs)
    try machine.execute()
    var out: [String: TensorValue] = [:]
    for d in kernel.definitions {
      if let s = machine.storage[d.name] { out[d.name] = s.tensorValue }
    }
    return out
  }
}

/// One prepared run: storage for every tensor, and a compiled filler per definition.
private final class Machine {
  let kernel: Kernel
  let dims: [String: Int]
  var storage: [String: TensorStorage] = [:]
  let sink = ErrorSink()
  var steps: [(Definition, () -> Void)] = []
  /// Keeps the index slots alive while compiled code refers to them.
  var frames: [Frame] = []

  /// Tracks discontinuities met within tolerance (`Interpreter.runWithLeeway`); nil for plain runs.
  let doubt: Doubt?
  /// Definitions that may hold doubtful elements (see `Doubt`).
  let mayDoubt: Set<String>

  /// Rounds each step of a float sum or product to the accumulator type (`Interpreter.runInDeclaredPrecision`).
  let roundsEachStep: Bool

  init(kernel: Kernel, inputs: [String: TensorValue], tracksDoubt: Bool = false, roundsEachStep: Bool = false)
    throws(DiagnosticError)
  {
    self.kernel = kernel
    self.roundsEachStep = roundsEachStep
    self.doubt = tracksDoubt ? Doubt() : nil
    self.mayDoubt = tracksDoubt ? ComputedPrecision.definitionsThatMayDoubt(kernel) : []
    var dims: [String: Int] = [:]
    var unbound: [Diagnostic] = []
    for d in kernel.dims {
      if let v = d.value {
        dims[d.name] = v
      } else {
        unbound.append(
          .error(
            DiagnosticID("run", "unbound-dim"),
            "dimension '\(d.name)' has no value; bind it with 'dims' or --shape", at: kernel.location))
      }
    }
    if !unbound.isEmpty { throw DiagnosticError(unbound) }
    self.dims = dims

    var scalars: [String: Node] = [:]
    var problems: [Diagnostic] = []
    for p in kernel.params {
      guard storage[p.name] == nil, scalars[p.name] == nil else {
        throw Machine.error("duplicate-name", "parameter '\(p.name)' is declared twice", locate(p.location))
      }
      let shape = try concreteShape(p.shape, of: "parameter '\(p.name)'", at: locate(p.location))
      guard let value = inputs[p.name] else {
        problems.append(
          .error(DiagnosticID("run", "missing-input"), "no input for '\(p.name)'", at: locate(p.location)))
        continue
      }
      guard value.dtype == p.dtype else {
        problems.append(
          .error(
            DiagnosticID("run", "input-dtype"),
            "input '\(p.name)' has type \(value.dtype) but the parameter is \(p.dtype)", at: locate(p.location)))
        continue
      }
      guard value.shape == shape else {
        problems.append(
          .error(
            DiagnosticID("run", "input-shape"),
            "input '\(p.name)' has shape \(Machine.text(value.shape)) but the parameter has shape "
              + Machine.text(shape), at: locate(p.location)))
        continue
      }
      let count = try elementCount(shape, of: "parameter '\(p.name)'", at: locate(p.location))
      guard value.values.count == count else {
        problems.append(
          .error(
            DiagnosticID("run", "input-size"),
            "input '\(p.name)' has \(value.values.count) values but its shape \(Machine.text(shape)) holds \(count)",
            at: locate(p.location)))
        continue
      }
      if p.isScalar {
        let v = value.values[0]
        scalars[p.name] =
          p.dtype.isFloat
          ? .constant(v, p.dtype) : .constant(ElementEncoding.storedInteger(v, p.dtype), p.dtype)
      } else {
        let s = TensorStorage(name: p.name, dtype: p.dtype, shape: shape, count: count)
        for (i, v) in value.values.enumerated() { s.set(i, v) }
        storage[p.name] = s
      }
    }
    if !problems.isEmpty { throw DiagnosticError(problems) }

    // Storage for every definition first, then the checks of the results, then compilation.
    var definitionShapes: [String: [Int]] = [:]
    for d in kernel.definitions {
      guard storage[d.name] == nil, scalars[d.name] == nil, definitionShapes[d.name] == nil else {
        throw Machine.error(
          "duplicate-name", "'\(d.name)' is defined more than once or redefines a parameter", locate(d.location))
      }
      let shape = try concreteShape(d.shape, of: "definition '\(d.name)'", at: locate(d.location))
      _ = try elementCount(shape, of: "definition '\(d.name)'", at: locate(d.location))
      definitionShapes[d.name] = shape
    }
    for r in kernel.results {
      guard let d = kernel.definitions.first(where: { $0.name == r.name }), let shape = definitionShapes[r.name]
      else {
        throw Machine.error("undefined-result", "result '\(r.name)' has no definition", locate(r.location))
      }
      guard d.dtype == r.dtype else {
        throw Machine.error(
          "result-type", "result '\(r.name)' is declared \(r.dtype) but defined as \(d.dtype)", locate(d.location))
      }
      let declared = try concreteShape(r.shape, of: "result '\(r.name)'", at: locate(r.location))
      guard declared == shape else {
        throw Machine.error(
          "result-shape",
          "result '\(r.name)' is declared with shape \(Machine.text(declared)) but defined with shape "
            + Machine.text(shape), locate(d.location))
      }
    }

    var visible = storage
    for d in kernel.definitions {
      let shape = definitionShapes[d.name] ?? []
      let out = TensorStorage(
        name: d.name, dtype: d.dtype, shape: shape, count: TensorValue.elementCount(shape) ?? 0)
      let fill = try compileDefinition(d, into: out, scalars: scalars, tensors: visible)
      steps.append((d, fill))
      visible[d.name] = out
      storage[d.name] = out
    }
  }

  func execute() throws(DiagnosticError) {
    for (_, fill) in steps {
      fill()
      if sink.failed, let d = sink.diagnostic { throw DiagnosticError(d) }
    }
  }

  // MARK: - Definitions

  private func compileDefinition(
    _ d: Definition, into out: TensorStorage, scalars: [String: Node], tensors: [String: TensorStorage]
  ) throws(DiagnosticError) -> () -> Void {
    let reductionAxes = d.reduction?.axes ?? []
    let frame = Frame(count: d.axes.count + reductionAxes.count)
    frames.append(frame)
    var compiler = ExprCompiler(
      dims: dims, scalars: scalars, tensors: tensors, slots: [:], frame: frame.slots, sink: sink,
      definition: d.name, location: locate(d.location))
    compiler.doubt = doubt
    compiler.mayDoubt = mayDoubt
    compiler.computed = Set(kernel.definitions.map(\.name))
    for (i, a) in d.axes.enumerated() { compiler.slots[a.name] = i }

    var element: Node
    if let reduction = d.reduction {
      var levels: [ReductionLevel] = []
      for (k, axis) in reduction.axes.enumerated() {
        let lo = try compiler.compile(axis.lowerBound)
        let hi = try compiler.compile(axis.upperBound)
        guard case .int(let lf) = lo.code, case .int(let hf) = hi.code, lo.dtype.isInteger, hi.dtype.isInteger
        else {
          throw Machine.error(
            "ill-typed", "the bounds of reduction variable '\(axis.name)' of '\(d.name)' must be integers",
            locate(d.location))
        }
        let slot = d.axes.count + k
        levels.append(ReductionLevel(name: axis.name, slot: slot, lower: lf, upper: hf))
        compiler.slots[axis.name] = slot
      }
      let domain = ReductionDomain(
        levels: levels, frame: frame.slots, sink: sink, definition: d.name, location: locate(d.location))
      if let combiner = reduction.combiner, reduction.op == .tuple {
        element = try compiler.tupleReduction(combiner, body: d.body, domain: domain, reduction: reduction)
      } else {
        var body = try compiler.compile(d.body)
        if body.dtype != reduction.accumulator { body = ExprCompiler.convert(body, to: reduction.accumulator) }
        element = try reduce(reduction, body: body, domain: domain, definition: d)
      }
      if element.dtype != d.dtype, !reduction.op.carriesState {
        element = ExprCompiler.convert(element, to: reduction.accumulator)
      }
    } else {
      element = try compiler.compile(d.body)
    }
    element = ExprCompiler.convert(element, to: d.dtype)

    let extents = out.shape
    let count = out.count
    let slots = frame.slots
    let sink = self.sink
    let doubt = mayDoubt.contains(d.name) ? self.doubt : nil
    switch element.code {
    case .float(let f):
      guard let base = out.floats else { throw Machine.error("internal", "storage kind mismatch", locate(d.location)) }
      return { Machine.fill(base, count: count, extents: extents, slots: slots, sink: sink, doubt: doubt, out: out, f) }
    case .int(let f):
      guard let base = out.ints else { throw Machine.error("internal", "storage kind mismatch", locate(d.location)) }
      return { Machine.fill(base, count: count, extents: extents, slots: slots, sink: sink, doubt: doubt, out: out, f) }
    }
  }

  /// Evaluates `element` at every point of the domain `extents` (row-major), axis values in `slots[0 ..< rank]`.
  private static func fill<T>(
    _ base: UnsafeMutablePointer<T>, count: Int, extents: [Int], slots: UnsafeMutablePointer<Int64>,
    sink: ErrorSink, doubt: Doubt?, out: TensorStorage, _ element: () -> T
  ) {
    let rank = extents.count
    for d in 0..<rank { slots[d] = 0 }
    if count == 0 { return }
    var flat = 0
    while true {
      if let doubt {
        doubt.flag = false
        doubt.alternatives = nil
        base[flat] = element()
        if let alternatives = doubt.alternatives, !doubt.flag { out.alternatives[flat] = alternatives }
        if doubt.flag || doubt.alternatives != nil { out.markDoubtful(flat) }
      } else {
        base[flat] = element()
      }
      flat += 1
      if flat >= count || sink.failed { return }
      var d = rank - 1
      slots[d] &+= 1
      while d > 0, slots[d] >= Int64(extents[d]) {
        slots[d] = 0
        d -= 1
        slots[d] &+= 1
      }
    }
  }

  // MARK: - Reductions

  private func reduce(_ r: Reduction, body: Node, domain: ReductionDomain, definition d: Definition)
    throws(DiagnosticError) -> Node
  {
    let acc = r.accumulator
    switch r.op {
    case .sum, .prod, .max, .min:
      break
    case .tuple:
      throw Machine.error("internal", "a tuple reduction without a combiner in '\(d.name)'", locate(d.location))
    }
    switch body.code {
    case .float(let f):
      let code: () -> Double
      let stepwise = roundsEachStep && acc != .f64
      switch r.op {
      case .sum where stepwise:
        code = {
          var s = 0.0
          domain.forEach { s = acc.round(s + f()) }
          return s
        }
      case .prod where stepwise:
        code = {
          var s = 1.0
          domain.forEach { s = acc.round(s * f()) }
          return s
        }
      case .sum:
        code = {
          var s = 0.0
          domain.forEach { s += f() }
          return s
        }
      case .prod:
        code = {
          var s = 1.0
          domain.forEach { s *= f() }
          return s
        }
      case .max:
        code = {
          var s = -Double.infinity
          domain.forEach {
            let v = f()
            if v.isNaN || s.isNaN { s = .nan } else if v > s { s = v }
          }
          return s
        }
      case .min:
        code = {
          var s = Double.infinity
          domain.forEach {
            let v = f()
            if v.isNaN || s.isNaN { s = .nan } else if v < s { s = v }
          }
          return s
        }
      case .tuple:
        throw Machine.error("internal", "unreachable reduction", locate(d.location))
      }
      return Node(dtype: acc, code: .float(code))
    case .int(let f):
      let range = ElementEncoding.integerRange(acc)
      let code: () -> Int64
      switch r.op {
      case .sum:
        code = {
          var s: Int64 = 0
          domain.forEach { s = s &+ f() }
          return wrapInt(s, acc)
        }
      case .prod:
        code = {
          var s: Int64 = 1
          domain.forEach { s = s &* f() }
          return wrapInt(s, acc)
        }
      case .max:
        let identity = range.lowerBound
        code = {
          var s = identity
          domain.forEach { s = Swift.max(s, f()) }
          return wrapInt(s, acc)
        }
      case .min:
        let identity = range.upperBound
        code = {
          var s = identity
          domain.forEach { s = Swift.min(s, f()) }
          return wrapInt(s, acc)
        }
      case .tuple:
        throw Machine.error("internal", "unreachable reduction", locate(d.location))
      }
      return Node(dtype: acc, code: .int(code))
    }
  }

  // MARK: - Helpers

  private func concreteShape(_ shape: [SizeExpr], of what: String, at location: SourceLocation)
    throws(DiagnosticError) -> [Int]
  {
    var out: [Int] = []
    for s in shape {
      guard let v = s.evaluate(dims) else {
        let names = s.dimNames.filter { dims[$0] == nil }.sorted()
        let message =
          names.isEmpty
          ? "a size of \(what) divides by zero"
          : "the shape of \(what) uses unbound dimension '\(names.joined(separator: "', '"))'"
        throw Machine.error("unbound-dim", message, location)
      }
      guard v >= 0 else {
        throw Machine.error("negative-extent", "the shape of \(what) has a negative extent (\(v))", location)
      }
      out.append(v)
    }
    return out
  }

  private func elementCount(_ shape: [Int], of what: String, at location: SourceLocation) throws(DiagnosticError)
    -> Int
  {
    guard let n = TensorValue.elementCount(shape), n <= Interpreter.maxElements else {
      throw Machine.error(
        "too-large",
        "\(what) with shape \(Machine.text(shape)) exceeds the interpreter's limit of \(Interpreter.maxElements) "
          + "elements", location)
    }
    return n
  }

  /// A location for a message: the object's own, or the kernel's when the object has none.
  func locate(_ location: SourceLocation) -> SourceLocation { location.isKnown ? location : kernel.location }

  static func error(_ name: String, _ message: String, _ location: SourceLocation) -> DiagnosticError {
    DiagnosticError(.error(DiagnosticID("run", name), message, at: location))
  }

  static func text(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}

/// One reduction variable: its slot and its (per-point) bounds.
struct ReductionLevel {
  var name: String
  var slot: Int
  var lower: () -> Int64
  var upper: () -> Int64
}

/// The nested reduction domain of one definition, walked at the current point of its axes.
struct ReductionDomain {
  var levels: [ReductionLevel]
  var frame: UnsafeMutablePointer<Int64>
  var sink: ErrorSink
  var definition: String
  var location: SourceLocation

  /// Calls `visit` at every point of the domain, in order (outer variables first), with the variables' slots set.
  func forEach(_ visit: () -> Void) { walk(0, visit) }

  private func walk(_ level: Int, _ visit: () -> Void) {
    if level == levels.count {
      visit()
      return
    }
    let l = levels[level]
    let lo = l.lower()
    let hi = l.upper()
    if hi <= lo { return }
    let (span, overflow) = hi.subtractingReportingOverflow(lo)
    if overflow || span > Interpreter.maxReductionRange {
      let (definition, location) = (self.definition, self.location)
      sink.report(
        .error(
          DiagnosticID("run", "reduction-range"),
          "reduction variable '\(l.name)' of '\(definition)' spans \(lo) ..< \(hi), more than the interpreter's "
            + "limit of \(Interpreter.maxReductionRange) values", at: location))
      return
    }
    let slot = l.slot
    var v = lo
    if level == levels.count - 1 {
      while v < hi {
        frame[slot] = v
        visit()
        v &+= 1
      }
    } else {
      while v < hi {
        frame[slot] = v
        walk(level + 1, visit)
        if sink.failed { return }
        v &+= 1
      }
    }
  }
}
