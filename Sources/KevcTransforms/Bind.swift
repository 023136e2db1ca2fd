import KevcBasic
import KevcIR

/// `bind(y, m.o, grid.x)`: map the iterations of a loop onto a GPU dimension: program ids (`grid.*`), the tile a
/// program processes (`block.*`), warps or threads. Block-level targets (Triton, CuTe) read grid bindings as
/// program ids and block bindings as tile axes; loop-level GPU targets (HIP) read all of them. Only axis loops may
/// be bound (a reduction loop would race), each dimension at most once per definition. The CPU target rejects
/// bound loops.
///
/// Before:
/// ```
///   schedule loops(m, n)
/// ```
/// After `bind(y, m, grid.x)`:
/// ```
///   schedule loops(m: bind(grid.x), n)
/// ```
extension ScheduleEditing {
  mutating func bind(_ tensor: String, _ loop: String, _ dimension: GPUDimension) throws(TransformError) {
    let d = try definition(tensor)
    if Self.isReductionLoop(loop, of: d) {
      throw fail("'\(loop)' is a reduction loop of '\(tensor)'; it cannot be bound to \(dimension.rawValue)")
    }
    if d.effectiveSchedule.loops.contains(where: { $0.kind == .gpu(dimension) }) {
      throw fail("'\(tensor)' already binds a loop to \(dimension.rawValue)")
    }
    try setKind(tensor, loop, .gpu(dimension), innermost: false)
  }
}
