import KevcBasic
import KevcIR

/// `inline(t)`: replace every load of the elementwise definition `t` by its body, with the load's indices
/// substituted for `t`'s axes, and remove `t`. A load that may fall outside `t`'s domain keeps its meaning: the
/// inlined body is selected only inside the domain, the load's pad value outside.
///
/// Before:
/// ```
/// %t: f32[m < M, n < N] = exp(%x[m, n])
/// %y: f32[m < M, n < N] = (%t[m, n] * 2:f32)
/// ```
/// After `inline(t)`:
/// ```
/// %y: f32[m < M, n < N] = (exp(%x[m, n]) * 2:f32)
/// ```
extension ScheduleEditing {
  mutating func inline(_ tensor: String) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let producer = kernel.definitions[index]
    if producer.reduction != nil {
      throw fail("'\(tensor)' is a reduction; it cannot be inlined (use compute_at to fuse it into its consumer)")
    }
    if isResult(tensor) { throw fail("'\(tensor)' is a result of the kernel; it must be stored", .resultStorage) }
    if producer.schedule?.placement != nil, producer.schedule?.placement != .root {
      throw fail("'\(tensor)' is computed at another definition; compute_root it first")
    }
    var definitions = kernel.definitions
    definitions.remove(at: index)
    for (i, consumer) in definitions.enumerated() where consumer.reads(tensor) {
      let vars = indexArithmetic(of: consumer)
      definitions[i] = consumer.mappingExpressions { e in
        e.rewritten { node in
          guard case .load(let load) = node, load.tensor == tensor else { return nil }
          return Self.inlined(producer, at: load, vars: vars)
        }
      }
    }
    kernel.definitions = definitions
  }

  /// The producer's body evaluated at the load's indices, guarded by the producer's domain when needed.
  static func inlined(_ producer: Definition, at load: Load, vars: IndexArithmetic) -> Expr {
    let dims = vars.dims
    var substitution: [String: Expr] = [:]
    var conditions: [Expr] = []
    for (axis, index) in zip(producer.axes, load.indices) {
      substitution[axis.name] = index
      let extent = axis.extent.evaluate(dims)
      if let r = vars.range(index), let extent, r.lowerBound >= 0, r.upperBound < extent { continue }
      conditions.append(.binary(.ge, index, .constant(.int(0))))
      conditions.append(.binary(.lt, index, axis.extent.expr))
    }
    let value = producer.body.substituting(substitution)
    guard let first = conditions.first else { return value }
    let inside = conditions.dropFirst().reduce(first) { .binary(.and, $0, $1) }
    let pad: Constant
    switch load.bounds {
    case .padded(let c): pad = c ?? .zero(producer.dtype)
    case .inBounds: return value
    }
    // Both branches of a select are evaluated: the producer's `inbounds` reads along its axes may fall outside
    // their tensors at the points the select discards, so they become padded reads.
    let axisNames = Set(producer.axes.map(\.name))
    let guardedBody = producer.body.rewritten { node in
      guard case .load(var l) = node, l.bounds == .inBounds,
        l.indices.contains(where: { !$0.indexNames.isDisjoint(with: axisNames) })
      else { return nil }
      l.bounds = .padded(nil)
      return .load(l)
    }
    return .select(inside, guardedBody.substituting(substitution), .constant(pad))
  }
}

extension ScheduleEditing {
  /// The shared index analysis over the index variables of `d`: its axes over their extents, its reduction axes
  /// over constant bounds.
  func indexArithmetic(of d: Definition) -> IndexArithmetic {
    var out = IndexArithmetic(dims: kernel.dimBindings)
    for a in d.axes {
      if let e = a.extent.evaluate(out.dims), e >= 1 { out.bound(a.name, 0...(e - 1)) }
    }
    for r in d.reduction?.axes ?? [] {
      if let lo = constantValue(r.lowerBound), let hi = constantValue(r.upperBound), hi > lo {
        out.bound(r.name, lo...(hi - 1))
      }
    }
    return out
  }
}
