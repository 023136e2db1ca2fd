import KevcBasic
import KevcIR

/// `layout(t, [1, 0])`: store an intermediate's dimensions in the given order (outermost first); reads and writes
/// are re-indexed, values are unchanged. Used to make a consumer's innermost loop walk memory contiguously
/// (e.g. a transposed copy of a staged input).
///
/// Before:
/// ```
/// %t: f32[k < K, n < N] = ...
/// ```
/// After `layout(t, [1, 0])`:
/// ```
///   schedule loops(k, n) store(workspace, [1, 0])
/// ```
extension ScheduleEditing {
  mutating func layout(_ tensor: String, _ permutation: [Int]) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    if isResult(tensor) { throw fail("'\(tensor)' is a result; its layout is the caller's (row-major)", .resultStorage) }
    guard permutation.sorted() == Array(0..<d.axes.count) else {
      throw fail("[\(permutation.map(String.init).joined(separator: ", "))] is not a permutation of the \(d.axes.count) dimensions of '\(tensor)'")
    }
    var s = d.effectiveSchedule
    s.storage.permutation = permutation == Array(0..<d.axes.count) ? nil : permutation
    setSchedule(s, of: index)
  }
}
