import KevcBasic
import KevcIR

/// `persistent(y, P)`: persistent programs for the kernel computing `y`: `P` programs are launched (typically the
/// number of multiprocessors) and program `p` computes the output tiles `p, p + P, p + 2P, ...` of the grid in
/// turn, so that launching and retiring programs does not leave multiprocessors idle between waves, and (with
/// `group_programs`) a wave's tiles stay close in L2. Each tile is computed exactly as before.
///
/// Legal when `y` is computed at the root and binds at least one loop to the grid; `P` from 1 to 2^20.
///
/// Before:
/// ```
///   schedule ... loops(n.o: bind(grid.x), m.o: bind(grid.y), ...) root
/// ```
/// After `persistent(c, 132)`:
/// ```
///   schedule ... loops(n.o: bind(grid.x), m.o: bind(grid.y), ...) root persistent(132)
/// ```
extension ScheduleEditing {
  mutating func persistent(_ tensor: String, _ programs: Int) throws(TransformError) {
    let index = try definitionIndex(tensor)
    guard (1...(1 << 20)).contains(programs) else {
      throw fail("the number of programs must be from 1 to 2^20, got \(programs)", .badParameter)
    }
    var s = kernel.definitions[index].effectiveSchedule
    guard s.placement == .root else {
      throw fail("'\(tensor)' is computed inside another definition, whose kernel's program order applies")
    }
    let onGrid = s.loops.contains { l in
      if case .gpu(let g) = l.kind { return g == .gridX || g == .gridY || g == .gridZ }
      return false
    }
    guard onGrid else { throw fail("'\(tensor)' binds no loop to the grid; there are no programs to make persistent") }
    s.persistentPrograms = programs
    setSchedule(s, of: index)
  }
}
