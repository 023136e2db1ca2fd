import KevcBasic
import KevcIR

/// Naive, target-neutral lowering of kernel IR to loop IR.
///
/// Every definition, in program order, becomes a nest of serial loops over its axes (`0 ..< extent`, the extent
/// evaluated under the kernel's dim bindings) that stores into the result buffer (a `global` result) or a
/// `workspace` buffer (an intermediate). A reduction allocates a rank-0 `local` accumulator `<def>.acc`,
/// initialises it with the operator's identity, combines the body over nested reduction loops (whose bounds may
/// read data) and stores the accumulator, cast to the definition's type, after the loops. A tuple reduction
/// (argmax/argmin among them) keeps one local per state component (TupleReductionLoops.swift). Expressions are copied unchanged, except that
/// `BoundsAnalysis` marks the loads it proves in range `inBounds`. Nothing depends on a kernel's or tensor's name.
public enum LowerToLoops {
  public static func lower(_ kernel: Kernel) throws(DiagnosticError) -> LoopProgram {
    var lowering = Lowering(kernel: prepared(kernel))
    let program = try lowering.run()
    return BoundsAnalysis.apply(program)
  }

  /// The placement decisions the loop lowering reads (`--emit plan` of the loop-level targets).
  public static func plan(_ kernel: Kernel) -> NestPlan { NestPlan(loops: prepared(kernel)) }

  /// The plans of the kernel's `dot` definitions (`plan(kernel).contractions`), which the loop-level GPU targets
  /// read with the loops (`ThreadPlan`'s matrix tiles, the CuTe DSL's `cute.gemm`).
  public static func contractions(_ kernel: Kernel) -> [String: NestPlan.ContractionPlan] {
    NestPlan.contractions(prepared(kernel))
  }

  /// The loop IR's name of the local accumulator of definition `name` (a reduction's running value).
  public static func accumulatorName(of name: String) -> String { name + ".acc" }

  /// The kernel the loops are built from: split scans and split vectorized reductions merged back into one loop.
  static func prepared(_ kernel: Kernel) -> Kernel { unsplitVectorReductions(unsplitSerialScans(kernel)) }
}

/// The type of an expression, given the element types of the tensors and scalars it reads; nil when a name is
/// unknown.
func exprType(_ e: Expr, _ lookup: (String) -> DType?) -> DType? {
  switch e {
  case .constant(let c): return c.dtype
  case .index, .dim: return .i64
  case .scalar(let s): return lookup(s)
  case .load(let l): return lookup(l.tensor)
  case .unary(let op, let a):
    switch op {
    case .isnan, .not: return .bool
    case .neg, .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .erf, .floor, .ceil: return exprType(a, lookup)
    }
  case .binary(let op, let a, let b):
    if op.isComparison || op.isLogical { return .bool }
    return exprType(a, lookup) ?? exprType(b, lookup)
  case .select(_, let a, let b): return exprType(a, lookup) ?? exprType(b, lookup)
  case .cast(let t, _): return t
  }
}

/// Constants used by the lowering: identities of the reduction operators.
extension Constant {
  static func one(_ t: DType) -> Constant {
    switch t {
    case .f16, .bf16, .f32, .f64: return .float(1, t)
    case .i8, .i32, .i64: return .int(1, t)
    case .bool: return .bool(true)
    }
  }

  /// The smallest value of a type (-inf for floats).
  static func lowest(_ t: DType) -> Constant {
    switch t {
    case .f16, .bf16, .f32, .f64: return .float(-.infinity, t)
    case .i8: return .int(Int64(Int8.min), t)
    case .i32: return .int(Int64(Int32.min), t)
    case .i64: return .int(Int64.min, t)
    case .bool: return .bool(false)
    }
  }

  /// The largest value of a type (+inf for floats).
  static func highest(_ t: DType) -> Constant {
    switch t {
    case .f16, .bf16, .f32, .f64: return .float(.infinity, t)
    case .i8: return .int(Int64(Int8.max), t)
    case .i32: return .int(Int64(Int32.max), t)
    case .i64: return .int(Int64.max, t)
    case .bool: return .bool(true)
    }
  }
}

struct Lowering {
  let kernel: Kernel
  let dims: [String: Int]
  var diagnostics: [Diagnostic] = []
  /// Element types of every tensor and scalar visible to expressions (params, results, definitions).
  var types: [String: DType] = [:]
  /// How definitions are stored, when their buffers differ from their logical shape (layouts, padding,
  /// regions of producers computed at a consumer's loop).
  var storage: [String: TensorStorage] = [:]
  /// Where producers are opened and live, how reductions accumulate (NestPlan.swift), decided once.
  let plan: NestPlan

  init(kernel: Kernel) {
    self.kernel = kernel
    self.plan = NestPlan(loops: kernel)
    self.dims = kernel.dimBindings
    for p in kernel.params { types[p.name] = p.dtype }
    for r in kernel.results { types[r.name] = r.dtype }
    for d in kernel.definitions { types[d.name] = d.dtype }
  }

  private static let unboundDim = DiagnosticID("lower", "unbound-dim")

  mutating func error(_ id: String, _ message: String, at location: SourceLocation) {
    diagnostics.append(.error(DiagnosticID("lower", id), message, at: location))
  }

  mutating func run() throws(DiagnosticError) -> LoopProgram {
    for d in kernel.dims where d.value == nil {
      diagnostics.append(
        .error(
          Self.unboundDim, "dimension '\(d.name)' has no value; bind it with 'dims' or --shape",
          at: kernel.location))
    }
    if !diagnostics.isEmpty { throw DiagnosticError(diagnostics) }

    let params = kernel.params.map { p in
      Buffer(name: p.name, dtype: p.dtype, shape: evaluate(p.shape, of: p.name, at: p.location), scope: .global)
    }
    let results = kernel.results.map { r in
      Buffer(name: r.name, dtype: r.dtype, shape: evaluate(r.shape, of: r.name, at: r.location), scope: .global)
    }
    var temporaries: [Buffer] = []
    var body: [Stmt] = []
    for def in kernel.definitions {
      checkDims(def)
      let shape = evaluate(def.shape, of: def.name, at: def.location)
      if let r = results.first(where: { $0.name == def.name }) {
        if r.shape != shape {
          error(
            "shape-mismatch",
            "definition of '\(def.name)' has shape \(shape) but the result is declared \(r.shape)",
            at: def.location)
        }
        storage[def.name] = TensorStorage(buffer: def.name, logicalShape: shape, permutation: nil, padding: nil)
      } else if let slice = def.effectiveSchedule.storage.interleave {
        // Stored in place into the tensor it is a phase of (`store_phases`): no buffer of its own.
        storage[def.name] = TensorStorage(
          buffer: slice.tensor, logicalShape: shape, permutation: nil, padding: nil, interleave: slice)
      } else if let placed = placedInWorkspace(def, shape: shape) {
        temporaries.append(Buffer(name: def.name, dtype: def.dtype, shape: placed.bufferShape, scope: .workspace))
        storage[def.name] = placed
      }
    }
    if !diagnostics.isEmpty { throw DiagnosticError(diagnostics) }
    // A tensor its phases store in place (`store_phases`) has no nest of its own.
    let assembled = kernel.assembledInPlace
    for def in kernel.definitions where def.effectiveSchedule.placement == .root && !assembled.contains(def.name) {
      body += nest(def, region: nil, scope: [:])
    }
    if !diagnostics.isEmpty { throw DiagnosticError(diagnostics) }
    let program = LoopProgram(
      name: kernel.name, dims: dims, params: params, results: results, temporaries: temporaries, body: body,
      dotAccumulators: Set(
        kernel.definitions.filter { d in
          switch plan.contractions[d.name] {
          case .planned?: return true
          case .refused?, nil: return false
          }
        }.map(Self.accumulatorName)))
    try ResourceBudget.check(program, at: kernel.location)
    return program
  }

  /// Evaluates a shape; reports unbound dims, division by zero, negative extents and overflowing sizes.
  mutating func evaluate(_ shape: [SizeExpr], of name: String, at location: SourceLocation) -> [Int] {
    var out: [Int] = []
    var count = 1
    for size in shape {
      guard let v = size.evaluate(dims) else {
        let unbound = size.dimNames.filter { dims[$0] == nil }.sorted()
        if let d = unbound.first {
          diagnostics.append(
            .error(Self.unboundDim, "shape of '\(name)' uses dimension '\(d)', which has no value", at: location))
        } else {
          error("bad-size", "shape of '\(name)' divides by zero or overflows 64 bits", at: location)
        }
        out.append(0)
        continue
      }
      if v < 0 {
        error("negative-size", "shape of '\(name)' has a negative extent (\(v))", at: location)
        out.append(0)
        continue
      }
      let (product, overflow) = count.multipliedReportingOverflow(by: v)
      if overflow {
        error("too-large", "tensor '\(name)' has too many elements", at: location)
        out.append(0)
        continue
      }
      count = product
      out.append(v)
    }
    return out
  }

  /// Reports dims read by a definition's expressions that have no value.
  mutating func checkDims(_ def: Definition) {
    var names: Set<String> = []
    for e in [def.body] + (def.reduction?.combiner?.otherElements ?? []) { collectDims(e, into: &names) }
    for r in def.reduction?.axes ?? [] {
      collectDims(r.lowerBound, into: &names)
      collectDims(r.upperBound, into: &names)
    }
    for d in names.sorted() where dims[d] == nil {
      diagnostics.append(
        .error(Self.unboundDim, "definition of '\(def.name)' uses dimension '\(d)', which has no value",
               at: def.location))
    }
  }

  func type(_ e: Expr) -> DType? { exprType(e) { types[$0] } }

  /// `value` converted to `dtype` (a cast unless it already has that type).
  func convert(_ value: Expr, to dtype: DType) -> Expr {
    type(value) == dtype ? value : .cast(dtype, value)
  }

  /// The statements computing one element of a reduction (inside the loops over the definition's axes).
  mutating func lowerReduction(_ def: Definition, _ r: Reduction, point: [Expr]) -> [Stmt]? {
    let snapshot = self
    return lowerReduction(
      def, r, body: def.body, others: r.combiner?.otherElements ?? [],
      loops: { snapshot.reductionLoops(r.axes, body: $0) },
      store: { [.store(buffer: def.name, indices: point, value: $0)] })
  }

  /// The statements computing one element of a reduction: a local accumulator initialised with the identity,
  /// the reduction loops that `loops` builds around the update, and the final `store` of the result.
  /// `others` are a tuple reduction's other elements, in the same variables as `body`.
  mutating func lowerReduction(
    _ def: Definition, _ r: Reduction, body: Expr, others: [Expr], loops: ([Stmt]) -> [Stmt],
    store: (Expr) -> [Stmt]
  ) -> [Stmt]? {
    let accName = Self.accumulatorName(def)
    func acc() -> Expr { .load(Load(tensor: accName, indices: [], bounds: .inBounds)) }

    switch r.op {
    case .sum, .prod, .max, .min:
      let t = r.accumulator
      types[accName] = t
      let identity: Constant
      let combine: BinaryOp
      switch r.op {
      case .sum: (identity, combine) = (.zero(t), .add)
      case .prod: (identity, combine) = (.one(t), .mul)
      case .max: (identity, combine) = (.lowest(t), .max)
      case .min: (identity, combine) = (.highest(t), .min)
      case .tuple: return nil
      }
      let update = Stmt.store(
        buffer: accName, indices: [], value: .binary(combine, acc(), convert(body, to: t)))
      // A scan's accumulator runs along its scan loop: no blocks.
      let nest =
        r.op == .sum && r.scanAxis == nil ? blockedSum(loops([update]), accumulator: accName, type: t) : loops([update])
      return [
        .allocate(
          Buffer(name: accName, dtype: t, shape: [], scope: .local),
          body: [.store(buffer: accName, indices: [], value: .constant(identity))]
            + nest
            + store(Self.reductionValue(def, r)))
      ]

    case .tuple:
      guard let c = r.combiner else {
        error("invalid-combiner", "tuple reduction '\(def.name)' has no combiner", at: def.location)
        return nil
      }
      return lowerTupleReduction(def, c, elements: [body] + others, loops: loops, store: store)
    }
  }

  /// Nested loops over reduction axes (the first outermost); bounds that only involve constants and dims are
  /// folded to constants.
  func reductionLoops(_ axes: [ReductionAxis], body: [Stmt]) -> [Stmt] {
    var inner = body
    for axis in axes.reversed() {
      inner = [
        .loop(
          Loop(
            variable: axis.name, lowerBound: fold(axis.lowerBound), upperBound: fold(axis.upperBound),
            kind: .serial, body: inner))
      ]
    }
    return inner
  }

  /// An i64 expression of constants and dims, evaluated; other expressions unchanged.
  func fold(_ e: Expr) -> Expr {
    guard type(e) == .i64, let v = constantValue(e) else { return e }
    return .constant(.int(v))
  }

  /// The value of an i64 expression made of integer constants and dims (wrapping, floor division, x / 0 == 0).
  func constantValue(_ e: Expr) -> Int64? {
    switch e {
    case .constant(let c):
      if case .int(let v) = c.value, c.dtype == .i64 { return v }
      return nil
    case .dim(let d): return dims[d].map { Int64($0) }
    case .index, .scalar, .load, .unary, .select, .cast: return nil
    case .binary(let op, let a, let b):
      guard let x = constantValue(a), let y = constantValue(b) else { return nil }
      switch op {
      case .add: return x &+ y
      case .sub: return x &- y
      case .mul: return x &* y
      case .div: return floorDiv(x, y)
      case .mod: return floorMod(x, y)
      case .max: return Swift.max(x, y)
      case .min: return Swift.min(x, y)
      case .pow, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return nil
      }
    }
  }
}

/// Floor division with the IR's conventions: x / 0 == 0, and Int64.min / -1 wraps.
func floorDiv(_ x: Int64, _ y: Int64) -> Int64 {
  if y == 0 { return 0 }
  let (q, overflow) = x.dividedReportingOverflow(by: y)
  if overflow { return q }
  let r = x &- q &* y
  return (r != 0 && ((r < 0) != (y < 0))) ? q &- 1 : q
}

/// Floored modulo with the IR's conventions: x % 0 == 0.
func floorMod(_ x: Int64, _ y: Int64) -> Int64 {
  if y == 0 { return 0 }
  let (r, overflow) = x.remainderReportingOverflow(dividingBy: y)
  if overflow { return 0 }
  return (r != 0 && ((r < 0) != (y < 0))) ? r &+ y : r
}

private func collectDims(_ e: Expr, into names: inout Set<String>) {
  switch e {
  case .constant, .index, .scalar: return
  case .dim(let d): names.insert(d)
  case .load(let l): for i in l.indices { collectDims(i, into: &names) }
  case .unary(_, let a), .cast(_, let a): collectDims(a, into: &names)
  case .binary(_, let a, let b):
    collectDims(a, into: &names)
    collectDims(b, into: &names)
  case .select(let c, let a, let b):
    collectDims(c, into: &names)
    collectDims(a, into: &names)
    collectDims(b, into: &names)
  }
}
