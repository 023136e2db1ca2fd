import KevcBasic
import KevcIR

/// `tile(y, [m, n], [64, 128])`: split each named loop by its size, then place all outer parts before all inner
/// parts, in the positions the named loops occupied.
///
/// Before:
/// ```
///   schedule loops(m, n, k)
/// ```
/// After `tile(y, [m, n], [64, 128])`:
/// ```
///   schedule loops(m.o, n.o, m.i, n.i, k) splits(m = m.o * 64 + m.i, n = n.o * 128 + n.i)
/// ```
extension ScheduleEditing {
  mutating func tile(_ tensor: String, _ loops: [String], _ sizes: [Int]) throws(TransformError) {
    guard !loops.isEmpty, loops.count == sizes.count else {
      throw fail("tile needs one size per loop, got \(loops.count) loops and \(sizes.count) sizes")
    }
    guard Set(loops).count == loops.count else { throw fail("tile names a loop twice") }
    // Check every name first, so that an error lists the loops as they were before any split.
    let d = try definition(tensor)
    for loop in loops { _ = try loopIndex(loop, in: d) }
    for (loop, size) in zip(loops, sizes) { try split(tensor, loop, by: size) }
    try reorder(tensor, loops.map { $0 + ".o" } + loops.map { $0 + ".i" })
  }
}
