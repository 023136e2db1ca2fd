import KevcBasic
import KevcIR

/// `stage(x, y, k.o, local)`: copy the region of `x` that one iteration of loop `k.o` of `y` reads into a buffer
/// of the given scope, and make `y` read the copy. The copy is a new definition `x.y` (the identity on `x`'s
/// shape) computed at that loop; `layout` and `pad` then shape its storage (a transposed or padded tile).
///
/// Before:
/// ```
/// %c: f32[i < M, j < N] = sum<f32> [k in 0 .. $K] (%a[i, k] * %b[k, j])
/// ```
/// After `stage(b, c, k.o, local)`:
/// ```
/// %b.c: f32[d0 < K, d1 < N] = %b[d0, d1] inbounds
///   schedule loops(d0, d1) at(c, k.o) store(local)
/// %c: f32[i < M, j < N] = sum<f32> [k in 0 .. $K] (%a[i, k] * %b.c[k, j])
/// ```
extension ScheduleEditing {
  mutating func stage(_ tensor: String, _ consumerName: String, _ loop: String, _ scope: MemoryScope)
    throws(TransformError)
  {
    guard let type = kernel.tensorType(tensor), !type.shape.isEmpty else {
      throw fail("no tensor named '\(tensor)'")
    }
    let consumerIndex = try definitionIndex(consumerName)
    let consumer = kernel.definitions[consumerIndex]
    _ = try loopIndex(loop, in: consumer)
    guard consumer.reads(tensor) else { throw fail("'\(consumerName)' does not read '\(tensor)'") }
    guard scope != .global else { throw fail("a staged copy cannot live in the caller's global memory") }
    let name = fresh("\(tensor).\(consumerName)", taken: tensorNames)
    let axes = type.shape.enumerated().map { Axis(name: "d\($0.offset)", extent: $0.element) }
    let copy = Definition(
      name: name, dtype: type.dtype, axes: axes,
      body: .load(Load(tensor: tensor, indices: axes.map { .index($0.name) }, bounds: .inBounds)),
      location: consumer.location)
    kernel.definitions[consumerIndex] = consumer.mappingExpressions { e in
      e.rewritten { node in
        guard case .load(var l) = node, l.tensor == tensor else { return nil }
        l.tensor = name
        return .load(l)
      }
    }
    kernel.definitions.insert(copy, at: consumerIndex)
    try computeAt(name, consumerName, loop)
    try storeIn(name, scope)
  }
}
