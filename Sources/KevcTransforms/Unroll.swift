import KevcBasic
import KevcIR

/// `unroll(y, k, 4)`: replicate the body of loop `k` 4 times (splitting `k` by 4 first unless its extent is 4).
/// Unrolled loops give the emitter straight-line code: register blocking, fewer branches.
///
/// Before:
/// ```
///   schedule loops(m, n, k)
/// ```
/// After `unroll(y, m, 4)` with M = 64:
/// ```
///   schedule loops(m.o, m.i: unroll, n, k) splits(m = m.o * 4 + m.i)
/// ```
extension ScheduleEditing {
  mutating func unroll(_ tensor: String, _ loop: String, _ factor: Int) throws(TransformError) {
    guard (2...64).contains(factor) else { throw fail("unroll factor must be from 2 to 64, got \(factor)", .badParameter) }
    let target = try mapLoop(tensor, loop, factor: factor)
    try setKind(tensor, target, .unrolled, innermost: false)
  }
}
