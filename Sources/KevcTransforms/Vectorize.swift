import KevcBasic
import KevcIR

/// `vectorize(y, n, 8)`: run the innermost loop `n` as 8 SIMD lanes. When `n`'s extent is not 8 it is split first
/// and the inner part (`n.i`) is vectorized; a tail shorter than 8 is handled by the emitter. A reduction loop may
/// be vectorized for sum/prod/max/min (each lane keeps a partial result, combined at the end: the order of
/// combination changes within the dtype's tolerance), not for argmax/argmin.
///
/// Before:
/// ```
///   schedule loops(m, n)
/// ```
/// After `vectorize(y, n, 8)` with N = 100:
/// ```
///   schedule loops(m, n.o, n.i: vectorize(8)) splits(n = n.o * 8 + n.i)
/// ```
extension ScheduleEditing {
  mutating func vectorize(_ tensor: String, _ loop: String, _ width: Int) throws(TransformError) {
    guard [2, 4, 8, 16, 32, 64].contains(width) else {
      throw fail("vector width must be a power of two from 2 to 64, got \(width)", .badParameter)
    }
    let d = try definition(tensor)
    if let r = d.reduction, r.op.carriesState, Self.isReductionLoop(loop, of: d) {
      let kind = r.kindName == "tuple" ? "a tuple" : "an \(r.kindName)"
      throw fail("'\(loop)' is \(kind) reduction loop of '\(tensor)'; it cannot be vectorized", .reductionLoop)
    }
    // Check before splitting, so that the error names the loop given rather than its inner part.
    let loops = d.effectiveSchedule.loops
    if let position = loops.firstIndex(where: { $0.name == loop }), position != loops.count - 1 {
      let inside = loops[(position + 1)...].map(\.name).joined(separator: ", ")
      throw fail("only the innermost loop of '\(tensor)' can be vectorized; '\(loop)' has \(inside) inside it (reorder first)", .notInnermost)
    }
    let target = try mapLoop(tensor, loop, factor: width)
    try setKind(tensor, target, .vectorized(width: width), innermost: true)
  }

  /// The loop to map: `loop` itself when its extent is `factor`, else the inner part of a split by `factor`.
  mutating func mapLoop(_ tensor: String, _ loop: String, factor: Int) throws(TransformError) -> String {
    let d = try definition(tensor)
    _ = try loopIndex(loop, in: d)
    if try maxExtent(loop, in: d) == factor { return loop }
    try split(tensor, loop, by: factor)
    return loop + ".i"
  }

  mutating func setKind(_ tensor: String, _ loop: String, _ kind: LoopKind, innermost: Bool) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    var s = d.effectiveSchedule
    let position = try loopIndex(loop, in: d)
    guard s.loops[position].kind == .serial else {
      throw fail("loop '\(loop)' of '\(tensor)' is already \(describe(s.loops[position].kind))", .alreadyMapped)
    }
    if innermost, position != s.loops.count - 1 {
      let inside = s.loops[(position + 1)...].map(\.name).joined(separator: ", ")
      throw fail("only the innermost loop of '\(tensor)' can be vectorized; '\(loop)' has \(inside) inside it (reorder first)", .notInnermost)
    }
    s.loops[position].kind = kind
    setSchedule(s, of: index)
  }
}
