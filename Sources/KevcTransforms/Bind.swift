import KevcBasic
import KevcIR

/// `bind(y, m.o, grid.x)`: map the iterations of a loop onto a GPU dimension: program ids (`grid.*`), the tile a
/// program processes (`block.*`), warps or threads. Block-level targets (Triton, CuTe) read grid bindings as
/// program ids and block bindings as tile axes; loop-level GPU targets (HIP) read all of them. Only axis loops may
/// be bound to grid, warp or thread dimensions (a reduction loop would race); a reduction loop with constant
/// bounds may be bound to `block.*`, where the block-level targets evaluate it as one block and reduce it
/// (`tl.sum`). Each dimension is bound at most once per definition. The CPU target rejects bound loops.
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
      switch dimension {
      case .blockX, .blockY, .blockZ:
        // A block reduction: the whole loop is one block, so its extent must be known.
        _ = try maxExtent(loop, in: d)
      case .gridX, .gridY, .gridZ, .warp, .threadX, .threadY, .threadZ:
        throw fail("'\(loop)' is a reduction loop of '\(tensor)'; it cannot be bound to \(dimension.rawValue)", .reductionLoop)
      }
    }
    if d.effectiveSchedule.loops.contains(where: { $0.kind == .gpu(dimension) }) {
      throw fail("'\(tensor)' already binds a loop to \(dimension.rawValue)")
    }
    try setKind(tensor, loop, .gpu(dimension), innermost: false)
  }
}
