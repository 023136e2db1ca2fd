/// The canonical form of a scheduled kernel: schedules that lower to the same program on a target print alike, so
/// the search hashes them alike (`CanonicalSchedule.hash`) and evaluates one of them. Rewrites, per definition:
/// - grid bindings are compacted onto `grid.x`, `grid.y`, `grid.z` keeping their relative order (the launch
///   order of programs: x varies fastest), so one program axis on `grid.y` is the same as on `grid.x`, and
///   (`grid.y`, `grid.z`) the same as (`grid.x`, `grid.y`); a compacted loop never gets a smaller limit;
/// - on Triton, block bindings are named by position (the innermost block loop `block.x`, the next `block.y`, ...):
///   the lowering orders a program's blocks by their loops, never by the dimension's name;
/// - on Triton, a `launch` equal to the target's default (4 warps; 2 stages, 3 for a `dot`) is dropped;
/// - on Triton, the loops that open the nest bound to program ids are ordered by their dimension (x, y, z): each
///   is `tl.program_id` of its dimension wherever it sits among them, so a `reorder` of them alone changes nothing;
/// - a split whose outer loop has one iteration, a serial loop that nothing names (no other split, no producer
///   computed at it), is undone (`n.o` removed, `n.i` named `n` again).
///
/// Before (two candidates):
/// ```
///   schedule loops(m: bind(grid.y), n: bind(block.y)) root store(workspace) launch(warps 4, stages 2)
///   schedule loops(m: bind(grid.x), n: bind(block.x)) root store(workspace)
/// ```
/// After: both are `loops(m: bind(grid.x), n: bind(block.x)) root store(workspace)`.
import KevcIR

public enum CanonicalSchedule {
  /// The canonical kernel for `target` ("triton", "llvm").
  public static func canonical(_ kernel: Kernel, target: String) -> Kernel {
    var k = kernel
    for i in k.definitions.indices {
      guard var s = k.definitions[i].schedule else { continue }
      s = undoEmptySplits(s, of: k.definitions[i], in: k, target: target)
      s = compactGrid(s)
      if target == "triton" {
        s = blocksByPosition(s)
        s = gridPrefixByDimension(s)
        if let l = s.launch, l.warps == 4, l.stages == (s.isDot ? 3 : 2) { s.launch = nil }
      }
      k.definitions[i].schedule = s
    }
    return k
  }

  /// The structural hash of the canonical kernel: what the search deduplicates on.
  public static func hash(_ kernel: Kernel, target: String) -> String {
    StructuralHash.of(canonical(kernel, target: target))
  }

  static func compactGrid(_ s: Schedule) -> Schedule {
    let grid: [GPUDimension] = [.gridX, .gridY, .gridZ]
    let bound = s.loops.indices.compactMap { i -> (Int, Int)? in
      guard case .gpu(let g) = s.loops[i].kind, let rank = grid.firstIndex(of: g) else { return nil }
      return (i, rank)
    }.sorted { $0.1 < $1.1 }
    var out = s
    for (position, (i, _)) in bound.enumerated() { out.loops[i].kind = .gpu(grid[position]) }
    return out
  }

  static func gridPrefixByDimension(_ s: Schedule) -> Schedule {
    let grid: [GPUDimension] = [.gridX, .gridY, .gridZ]
    func rank(_ l: ScheduledLoop) -> Int? {
      if case .gpu(let g) = l.kind { return grid.firstIndex(of: g) }
      return nil
    }
    let prefix = s.loops.prefix { rank($0) != nil }
    var out = s
    out.loops.replaceSubrange(0..<prefix.count, with: prefix.sorted { (rank($0) ?? 0) < (rank($1) ?? 0) })
    return out
  }

  static func blocksByPosition(_ s: Schedule) -> Schedule {
    let blocks: [GPUDimension] = [.blockX, .blockY, .blockZ]
    let bound = s.loops.indices.filter {
      if case .gpu(let g) = s.loops[$0].kind { return blocks.contains(g) }
      return false
    }
    var out = s
    for (position, i) in bound.reversed().enumerated() { out.loops[i].kind = .gpu(blocks[position]) }
    return out
  }

  static func undoEmptySplits(_ s: Schedule, of d: Definition, in k: Kernel, target: String) -> Schedule {
    var out = s
    // Only the latest split can be undone alone (later splits and loops may name the parts of earlier ones).
    while let split = out.splits.last, let outer = out.loops.firstIndex(where: { $0.name == split.outer }),
      let inner = out.loops.firstIndex(where: { $0.name == split.inner }), out.loops[outer].kind == .serial,
      (try? k.maxExtent(split.outer, in: withSchedule(d, out))) == 1
    {
      let named = k.definitions.contains { p in
        if case .computeAt(let c, let loop) = p.effectiveSchedule.placement {
          return c == d.name && (loop == split.outer || loop == split.inner)
        }
        return false
      }
      var undone = out
      undone.splits.removeLast()
      undone.loops[inner].name = split.variable
      undone.loops.remove(at: outer)
      // The inner loop must lower alike: serial, or (Triton) a block of the same power-of-two size.
      let sameBlock: Bool
      switch out.loops[inner].kind {
      case .serial: sameBlock = true
      case .gpu(let g):
        let e = (try? k.maxExtent(split.variable, in: withSchedule(d, undone))) ?? -1
        sameBlock = target == "triton" && [.blockX, .blockY, .blockZ].contains(g) && nextPow2(e) == nextPow2(split.factor)
      case .parallel, .vectorized, .unrolled: sameBlock = false
      }
      guard !named, sameBlock else { break }
      out = undone
    }
    return out
  }

  static func nextPow2(_ n: Int) -> Int {
    var p = 1
    while p < n && p < (1 << 30) { p <<= 1 }
    return p
  }

  static func withSchedule(_ d: Definition, _ s: Schedule) -> Definition {
    var d = d
    d.schedule = s
    return d
  }
}
