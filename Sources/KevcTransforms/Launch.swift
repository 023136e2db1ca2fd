import KevcBasic
import KevcIR

/// `launch(y, 8, 3)`: the GPU launch of the kernel that computes `y`: warps per program (1, 2, 4, 8, 16, 32) and
/// software-pipeline stages for its loads (1 to 8). Block-level targets read them (`num_warps`, `num_stages`);
/// the CPU ignores them.
///
/// Before:
/// ```
///   schedule loops(m: bind(grid.x), n: bind(block.x)) root store(workspace)
/// ```
/// After `launch(y, 8, 3)`:
/// ```
///   schedule loops(m: bind(grid.x), n: bind(block.x)) root store(workspace) launch(warps 8, stages 3)
/// ```
extension ScheduleEditing {
  mutating func launch(_ tensor: String, warps: Int, stages: Int) throws(TransformError) {
    let index = try definitionIndex(tensor)
    guard [1, 2, 4, 8, 16, 32].contains(warps) else {
      throw fail("warps must be 1, 2, 4, 8, 16 or 32, got \(warps)", .badParameter)
    }
    guard (1...8).contains(stages) else { throw fail("stages must be from 1 to 8, got \(stages)", .badParameter) }
    var s = kernel.definitions[index].effectiveSchedule
    guard s.placement == .root else {
      throw fail("'\(tensor)' is computed inside another definition, whose kernel's launch applies")
    }
    s.launch = GPULaunch(warps: warps, stages: stages)
    setSchedule(s, of: index)
  }
}
