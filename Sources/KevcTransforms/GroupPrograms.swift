import KevcBasic
import KevcIR

/// `group_programs(y, G)`: grouped (L2-friendly) program order for the kernel computing `y`. With one program per
/// output tile of a contraction on `grid.x` (columns) and `grid.y` (rows), the default order runs a whole row of
/// tiles before the next row, so every program of a wave reads a different column panel of the right operand.
/// Grouped order launches the `grid.x * grid.y` programs on one axis and walks `G` rows at a time: program `p` is
/// tile (`row = first + (p % (G * X)) % g`, `col = (p % (G * X)) / g`) of group `p / (G * X)`, with `g` rows in
/// that group (fewer in the last), so consecutive programs share `G` row panels and a few column panels in L2
/// (Triton's matmul tutorial, `GROUP_SIZE_M`). Which program computes which tile changes, nothing else.
///
/// Legal when `y` is computed at the root and binds loops to `grid.x` and `grid.y`; `G` from 1 to 1024.
///
/// Before:
/// ```
///   schedule split(m, m.o, m.i, 128) split(n, n.o, n.i, 128) loops(n.o: bind(grid.x), m.o: bind(grid.y), ...) root
/// ```
/// After `group_programs(c, 8)`:
/// ```
///   schedule split(m, m.o, m.i, 128) split(n, n.o, n.i, 128) loops(n.o: bind(grid.x), m.o: bind(grid.y), ...) root group(8)
/// ```
extension ScheduleEditing {
  mutating func groupPrograms(_ tensor: String, _ size: Int) throws(TransformError) {
    let index = try definitionIndex(tensor)
    guard (1...1024).contains(size) else { throw fail("the group size must be from 1 to 1024, got \(size)", .badParameter) }
    var s = kernel.definitions[index].effectiveSchedule
    guard s.placement == .root else {
      throw fail("'\(tensor)' is computed inside another definition, whose kernel's program order applies")
    }
    let bound = Set(s.loops.compactMap { l -> GPUDimension? in
      if case .gpu(let g) = l.kind { return g }
      return nil
    })
    guard bound.contains(.gridX), bound.contains(.gridY) else {
      throw fail("'\(tensor)' needs loops bound to grid.x and grid.y to group its programs")
    }
    s.programGroup = size
    setSchedule(s, of: index)
  }
}
