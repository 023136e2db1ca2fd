import KevcBasic
import KevcIR

/// `store_in(t, local)`: where an intermediate's values live. `local` (registers/stack, private to the loop
/// iteration it is computed in) needs `t` computed at a consumer's loop or to be small; `shared` is GPU shared
/// memory (private to a thread block); `workspace` is memory shared by every thread of the call. Results stay in
/// the caller's (`global`) memory.
///
/// Before:
/// ```
///   schedule loops(m, n) at(y, m) store(local)
/// ```
/// After `store_in(ss, workspace)`:
/// ```
///   schedule loops(m, n) at(y, m)
/// ```
extension ScheduleEditing {
  static let rootLocalLimit = 64 << 10

  mutating func storeIn(_ tensor: String, _ scope: MemoryScope) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    if isResult(tensor) { throw fail("'\(tensor)' is a result; it is stored in the caller's memory", .resultStorage) }
    var s = d.effectiveSchedule
    switch scope {
    case .global:
      throw fail("global memory belongs to the caller; intermediates use workspace, local or shared")
    case .local, .shared:
      if s.placement == .root {
        var elements = 1
        for a in d.axes { elements &*= try value(a.extent) }
        let bytes = elements &* d.dtype.byteSize
        if bytes > Self.rootLocalLimit {
          throw fail(
            "'\(tensor)' is computed at the root and takes \(bytes) bytes, too large for \(scope.rawValue) storage; compute it at a consumer's loop first")
        }
      }
    case .workspace:
      break
    }
    s.storage.scope = scope
    setSchedule(s, of: index)
  }
}
