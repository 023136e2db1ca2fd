import KevcBasic
import KevcIR

/// `parallel(y, m)`: share the iterations of loop `m` among the CPU thread pool. Only a loop over the definition's
/// own axes may be parallel (different iterations then write different elements); a reduction loop would race on
/// its accumulator (use rfactor first). The definition must be computed at the root.
///
/// Before:
/// ```
///   schedule loops(m, n)
/// ```
/// After `parallel(y, m)`:
/// ```
///   schedule loops(m: parallel, n)
/// ```
extension ScheduleEditing {
  mutating func parallel(_ tensor: String, _ loop: String) throws(TransformError) {
    let d = try definition(tensor)
    if Self.isReductionLoop(loop, of: d) {
      throw fail("'\(loop)' is a reduction loop of '\(tensor)'; parallel iterations would race on the accumulator (rfactor first)", .reductionLoop)
    }
    guard d.effectiveSchedule.placement == .root else {
      throw fail("'\(tensor)' is computed inside another definition; only root definitions have parallel loops")
    }
    try setKind(tensor, loop, .parallel, innermost: false)
  }
}
