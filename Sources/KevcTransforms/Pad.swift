import KevcBasic
import KevcIR

/// `pad(t, [0, 4])`: allocate extra elements at the end of each stored dimension of an intermediate (to break
/// power-of-two strides that alias in caches or shared-memory banks). Values and reads are unchanged.
///
/// Before:
/// ```
/// %t: f32[k < 64, n < 64] = ...
/// ```
/// After `pad(t, [0, 4])`:
/// ```
///   schedule loops(k, n) store(workspace, pad [0, 4])
/// ```
extension ScheduleEditing {
  mutating func pad(_ tensor: String, _ amounts: [Int]) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    if isResult(tensor) { throw fail("'\(tensor)' is a result; its storage is the caller's", .resultStorage) }
    guard amounts.count == d.axes.count else {
      throw fail("'\(tensor)' has \(d.axes.count) dimensions but pad gives \(amounts.count) amounts")
    }
    guard amounts.allSatisfy({ (0...4096).contains($0) }) else { throw fail("pad amounts must be in 0 ... 4096", .badParameter) }
    var s = d.effectiveSchedule
    s.storage.padding = amounts.allSatisfy { $0 == 0 } ? nil : amounts
    setSchedule(s, of: index)
  }
}
