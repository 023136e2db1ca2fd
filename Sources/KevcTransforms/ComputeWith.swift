import KevcBasic
import KevcIR

/// `compute_with(y, b)` (Halide's compute_with, at the level of a GPU kernel's programs): the root definition `y`
/// runs in the kernel of the earlier root definition `b`: one launch, and each program computes its tile of `b`
/// and then its tile of `y`. Siblings that read the same inputs over the same programs thus share a launch, and the
/// second read of a program's rows may hit the cache the first one filled. What is computed does not change: `y`
/// runs earlier than its own position, which is legal because it needs nothing defined between `b` and itself.
///
/// `compute_with(y, b, l)` (Halide's `compute_with(f, var)`) fuses further: one loop carries `b`'s serial loop `l`
/// and `y`'s loop at the same depth, each iteration computing `b`'s body and `y`'s, so that both read the
/// iteration's rows once (rmsnorm backward's `dx` rows and its `dw` partial sums over the same rows: each program
/// reads its rows of dy and x once and keeps dw's partial row in registers). Legal when, beyond the above, the
/// loops outside `l` in `b` and outside the loop at that depth in `y` are all grid loops, both loops are plain
/// serial loops, and they run the same number of iterations (the siblings' iterations need not touch the same
/// rows: nothing `y` reads is written by `b`, so any interleaving computes the same values).
///
/// Legal when `y` and `b` are distinct definitions computed at the root, `b` comes first, both bind loops to the
/// same grid dimensions (the programs are shared: the kernel launches the most either needs along each, and a
/// definition masks off the programs past its own extent), neither has a
/// program order (group_programs, persistent) nor is already computed with another definition (and nothing is
/// computed with `y`), `y` does not read `b` (other programs of the same launch write it), and everything `y` (or
/// a producer computed inside it) reads is defined before `b` or computed inside `y`. Block-level targets emit
/// both in one kernel (Triton fuses the loop: TritonComputeWith.swift); the CPU, HIP and CuTe run the definitions
/// in program order as before, which computes the same.
///
/// Before (ir/transforms/compute_with/rows_loop.kir):
/// ```
/// %dx: ... schedule split(m, m.o, m.i, 4) loops(m.i: bind(grid.x), m.o, n: bind(block.x)) root store(workspace)
/// %dw.rf: ... schedule loops(m.i: bind(grid.x), m.o, n: bind(block.x)) root store(workspace)
/// ```
/// After `compute_with(dw.rf, dx, m.o)`:
/// ```
/// %dx: ... schedule split(m, m.o, m.i, 4) loops(m.i: bind(grid.x), m.o, n: bind(block.x)) root store(workspace)
/// %dw.rf: ... schedule loops(m.i: bind(grid.x), m.o, n: bind(block.x)) root store(workspace) compute_with(%dx, m.o)
/// ```
/// (`compute_with(dw.rf, dx)` gives `compute_with(%dx)`: the partials after the program's rows of dx.)
extension ScheduleEditing {
  mutating func computeWith(_ tensor: String, _ sibling: String, at loop: String? = nil) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let siblingIndex = try definitionIndex(sibling)
    guard index != siblingIndex else { throw fail("'\(tensor)' cannot be computed with itself", .badParameter) }
    guard siblingIndex < index else {
      throw fail("'\(sibling)' comes after '\(tensor)'; compute the later definition with the earlier one")
    }
    let d = kernel.definitions[index]
    let b = kernel.definitions[siblingIndex]
    var s = d.effectiveSchedule
    let bs = b.effectiveSchedule
    guard s.placement == .root, bs.placement == .root else {
      throw fail("'\(tensor)' and '\(sibling)' must both be computed at the root (kernels of their own)")
    }
    guard bs.computeWith == nil, !kernel.definitions.contains(where: { $0.schedule?.computeWith == tensor }) else {
      throw fail("'\(sibling)' is itself computed with another definition, or something is computed with '\(tensor)'")
    }
    guard s.programGroup == nil, s.persistentPrograms == nil, bs.programGroup == nil, bs.persistentPrograms == nil else {
      throw fail("'\(tensor)' or '\(sibling)' has a program order (group_programs, persistent), which shared programs cannot follow")
    }
    // The same programs: equal extents along each grid dimension, at least one.
    func grid(_ x: Definition) throws(TransformError) -> [GPUDimension: Int] {
      var out: [GPUDimension: Int] = [:]
      for l in x.effectiveSchedule.loops {
        guard case .gpu(let g) = l.kind, g == .gridX || g == .gridY || g == .gridZ else { continue }
        out[g] = try maxExtent(l.name, in: x)
      }
      return out
    }
    let mine = try grid(d)
    let theirs = try grid(b)
    guard !mine.isEmpty else { throw fail("'\(tensor)' binds no loop to the grid; there are no programs to share") }
    guard Set(mine.keys) == Set(theirs.keys) else {
      func show(_ g: [GPUDimension: Int]) -> String {
        g.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
      }
      throw fail("'\(tensor)' runs programs over [\(show(mine))] but '\(sibling)' over [\(show(theirs))]; they must use the same grid dimensions")
    }
    // What y needs: its own reads and those of producers computed inside it.
    var inside: Set<String> = [tensor]
    var grew = true
    while grew {
      grew = false
      for p in kernel.definitions where !inside.contains(p.name) {
        if case .computeAt(let c, _) = p.effectiveSchedule.placement, inside.contains(c) {
          inside.insert(p.name)
          grew = true
        }
      }
    }
    let position = Dictionary(kernel.definitions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    for p in kernel.definitions where inside.contains(p.name) {
      for read in Set(p.expressions.flatMap(\.loads).map(\.tensor)) where !inside.contains(read) {
        guard let at = position[read] else { continue }  // a parameter
        if read == sibling {
          throw fail("'\(tensor)' reads '\(sibling)', which other programs of the same launch write")
        }
        if at > siblingIndex {
          throw fail("'\(tensor)' reads '\(read)', which is computed after '\(sibling)'")
        }
      }
    }
    if let loop {
      // One loop for both: `loop` of the sibling and the loop of `tensor` at the same depth, with only grid loops
      // outside it in each, running the same iterations.
      let theirs = b.effectiveSchedule.loops
      guard let i = theirs.firstIndex(where: { $0.name == loop }) else {
        throw fail("'\(sibling)' has no loop '\(loop)'", .badParameter)
      }
      let mine = s.loops
      guard i < mine.count else { throw fail("'\(tensor)' has no loop at the depth of '\(loop)' in '\(sibling)'") }
      for (x, loops) in [(tensor, mine), (sibling, theirs)] {
        guard case .serial = loops[i].kind else {
          throw fail("loop '\(loops[i].name)' of '\(x)' is not a plain serial loop; only serial loops can carry both bodies")
        }
        for l in loops[..<i] {
          guard case .gpu(let g) = l.kind, g == .gridX || g == .gridY || g == .gridZ else {
            throw fail("loop '\(l.name)' of '\(x)' encloses the fused loop but is not a grid loop; only programs may enclose it")
          }
        }
      }
      let mineExtent = try maxExtent(mine[i].name, in: d)
      let theirExtent = try maxExtent(loop, in: b)
      guard mineExtent == theirExtent else {
        throw fail("loop '\(mine[i].name)' of '\(tensor)' runs \(mineExtent) iterations but '\(loop)' of '\(sibling)' \(theirExtent); the fused loops must run the same")
      }
    }
    s.computeWith = sibling
    s.computeWithLoop = loop
    setSchedule(s, of: index)
  }
}
