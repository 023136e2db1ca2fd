import KevcBasic
import KevcIR

/// `rfactor(y, k, 16)`: split a reduction into independent partial reductions and a combine step (split-K).
/// A new definition `y.rf` gains an axis `k.i` (extent 16) and reduces over `k.o` (so its iterations over `k.i`
/// are independent: they can be parallel, vectorized or bound to threads); `y` then reduces `y.rf` over `k.i`.
/// The combination order changes, within the dtype's tolerance; tuple reductions (argmax/argmin) are not split.
///
/// Before:
/// ```
/// %s: f32[m < M] = sum<f32> [k in 0 .. $K] %x[m, k]
/// ```
/// After `rfactor(s, k, 16)` with K = 1000:
/// ```
/// %s.rf: f32[m < M, k.i < 16] = sum<f32> [k.o in 0 .. 63] select((((k.o * 16) + k.i) < 1000), %x[m, ((k.o * 16) + k.i)], 0:f32)
/// %s: f32[m < M] = sum<f32> [k.i in 0 .. 16] %s.rf[m, k.i] inbounds
/// ```
extension ScheduleEditing {
  mutating func rfactor(_ tensor: String, _ loop: String, _ factor: Int) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    guard let r = d.reduction else { throw fail("'\(tensor)' is not a reduction") }
    guard !r.op.carriesState else {
      throw fail("\(r.kindName) reductions cannot be split (their partial states would be tuples)")
    }
    guard d.schedule == nil || d.schedule == .natural(for: d) else {
      throw fail("rfactor must come before other schedule transforms of '\(tensor)'")
    }
    guard let axisIndex = r.axes.firstIndex(where: { $0.name == loop }) else {
      throw fail("'\(loop)' is not a reduction axis of '\(tensor)'")
    }
    let axis = r.axes[axisIndex]
    guard let lo = constantValue(axis.lowerBound), let hi = constantValue(axis.upperBound) else {
      throw fail("reduction axis '\(loop)' of '\(tensor)' has data-dependent bounds and cannot be split")
    }
    guard factor >= 2 else { throw fail("rfactor needs a factor of at least 2", .badParameter) }
    guard factor <= ShapeLimits.maxExtent else {
      throw fail("rfactor factor \(factor) is larger than the limit of \(ShapeLimits.maxExtent)", .badParameter)
    }
    guard let span = ShapeLimits.span(lo, hi), span <= ShapeLimits.maxExtent else {
      throw fail("reduction axis '\(loop)' of '\(tensor)' spans more than \(ShapeLimits.maxExtent)", .badParameter)
    }
    let extent = Swift.max(0, span)
    let outerName = loop + ".o"
    let innerName = loop + ".i"
    let used = Set(d.axes.map(\.name) + r.axes.map(\.name))
    guard !used.contains(outerName), !used.contains(innerName) else { throw fail("'\(loop)' is already split", .alreadyMapped) }
    let outerExtent = (extent + factor - 1) / factor
    // k = lo + k.o * factor + k.i
    let offset: Expr = .binary(.add, .binary(.mul, .index(outerName), .constant(.int(Int64(factor)))), .index(innerName))
    let k: Expr = lo == 0 ? offset : .binary(.add, .constant(.int(Int64(lo))), offset)
    var body = d.body.substituting([loop: k])
    if extent % factor != 0 {
      // Both branches of a select are evaluated: reads at the discarded points past the extent must not be
      // `inbounds` (they may fall outside the tensor), so they become padded reads.
      body = body.rewritten { node in
        guard case .load(var l) = node, l.bounds == .inBounds,
          l.indices.contains(where: { !$0.indexNames.isDisjoint(with: [outerName, innerName]) })
        else { return nil }
        l.bounds = .padded(nil)
        return .load(l)
      }
      body = .select(.binary(.lt, offset, .constant(.int(Int64(extent)))), body, .constant(Self.identity(r.op, r.accumulator)))
    }
    var partialAxes = r.axes
    partialAxes[axisIndex] = ReductionAxis(
      name: outerName, lowerBound: .constant(.int(0)), upperBound: .constant(.int(Int64(outerExtent))))
    let name = fresh("\(tensor).rf", taken: tensorNames)
    let partial = Definition(
      name: name, dtype: r.accumulator, axes: d.axes + [Axis(name: innerName, extent: .constant(factor))],
      reduction: Reduction(op: r.op, accumulator: r.accumulator, axes: partialAxes), body: body,
      location: d.location)
    var combine = d
    combine.reduction = Reduction(
      op: r.op, accumulator: r.accumulator,
      axes: [ReductionAxis(name: innerName, lowerBound: .constant(.int(0)), upperBound: .constant(.int(Int64(factor))))])
    combine.body = .load(Load(tensor: name, indices: d.axes.map { .index($0.name) } + [.index(innerName)], bounds: .inBounds))
    combine.schedule = nil
    kernel.definitions[index] = combine
    kernel.definitions.insert(partial, at: index)
  }

  /// The value that leaves a reduction unchanged.
  static func identity(_ op: ReduceOp, _ t: DType) -> Constant {
    switch op {
    case .sum: return .zero(t)
    case .prod: return t.isFloat ? .float(1, t) : .int(1, t)
    case .max: return t.isFloat ? .float(-.infinity, t) : .int(integerLimit(t, max: false), t)
    case .min: return t.isFloat ? .float(.infinity, t) : .int(integerLimit(t, max: true), t)
    // Never used: rfactor refuses reductions that carry state (their identity is a tuple).
    case .tuple: return .zero(t)
    }
  }

  static func integerLimit(_ t: DType, max: Bool) -> Int64 {
    switch t {
    case .i8: return max ? Int64(Int8.max) : Int64(Int8.min)
    case .i32: return max ? Int64(Int32.max) : Int64(Int32.min)
    case .i64: return max ? Int64.max : Int64.min
    case .bool: return max ? 1 : 0
    case .f16, .bf16, .f32, .f64: return 0
    }
  }
}
