import KevcBasic
import KevcIR

/// `cache(y, n.o, local)`: accumulate the reduction `y` in a buffer of the given scope that covers one iteration
/// of `y`'s loop `n.o` (registers for a micro-kernel tile, shared memory on a GPU), then write it back. `y`
/// becomes a copy of a new definition `y.acc` (the reduction itself) computed at that loop; `y.acc`'s own loops
/// can then be reordered, vectorized and unrolled (register blocking).
///
/// Before:
/// ```
/// %c: f32[i < M, j < N] = sum<f32> [k in 0 .. $K] (%a[i, k] * %b[k, j])
///   schedule loops(i.o, j.o, i.i, j.i, k) splits(...)
/// ```
/// After `cache(c, j.o, local)`:
/// ```
/// %c.acc: f32[i < M, j < N] = sum<f32> [k in 0 .. $K] (%a[i, k] * %b[k, j])
///   schedule loops(i, j, k) at(c, j.o) store(local)
/// %c: f32[i < M, j < N] = %c.acc[i, j] inbounds
///   schedule loops(i.o, j.o, i.i, j.i) splits(...)
/// ```
extension ScheduleEditing {
  mutating func cache(_ tensor: String, _ loop: String, _ scope: MemoryScope) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    guard d.reduction != nil else { throw fail("'\(tensor)' is not a reduction; there is no accumulator to cache") }
    _ = try loopIndex(loop, in: d)
    if Self.isReductionLoop(loop, of: d) {
      throw fail("'\(loop)' is a reduction loop of '\(tensor)'; cache the accumulator at one of its axis loops", .reductionLoop)
    }
    guard scope != .global else { throw fail("an accumulator cannot live in the caller's global memory") }
    let name = fresh("\(tensor).acc", taken: tensorNames)
    var accumulator = d
    accumulator.name = name
    accumulator.schedule = nil
    var copy = d
    copy.reduction = nil
    copy.body = .load(Load(tensor: name, indices: d.axes.map { .index($0.name) }, bounds: .inBounds))
    var s = d.effectiveSchedule
    s.loops = s.loops.filter { !Self.isReductionLoop($0.name, of: d) }
    s.splits = s.splits.filter { !Self.isReductionLoop($0.variable, of: d) }
    s.isDot = false
    copy.schedule = s
    kernel.definitions[index] = copy
    kernel.definitions.insert(accumulator, at: index)
    try computeAt(name, tensor, loop)
    try storeIn(name, scope)
  }
}
