import KevcBasic

/// Checks the schedules of a kernel: every definition's loops are exactly the leaves of its split tree (each axis
/// and reduction axis, split or not, appears once), split factors are positive, a definition computed at a
/// consumer names an existing later definition that reads it and one of that consumer's loops, storage layouts are
/// permutations, GPU dimensions are bound at most once, a precision only marks a `dot`, a program order
/// (group, persistent) is in range and only on a kernel's root definition, `compute_with` names an earlier
/// root definition, a scan's loops can carry its accumulator (Scan.swift), and an order-sensitive reduction
/// (argmax/argmin) visits its domain in ascending order (ReductionOrder.swift, `kevc.ir.reduction-order`), and a
/// producer computed inside a parallel loop is not stored in workspace (one buffer all threads would write), and
/// the definitions stored in place into another cover it exactly once (`kevc.ir.bad-in-place-store`).
public enum ScheduleVerifier {
  public static func verify(_ kernel: Kernel) -> [Diagnostic] {
    var out: [Diagnostic] = []
    func error(_ d: Definition, _ message: String) {
      out.append(.error(DiagnosticID("ir", "bad-schedule"), "schedule of '%\(d.name)': \(message)", at: d.location))
    }
    let order = Dictionary(kernel.definitions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    // Definitions stored in place into another (`store_phases`) cover it exactly once (InPlaceInterleave.swift).
    for t in kernel.assembledInPlace.sorted() {
      guard let problem = kernel.inPlaceInterleaveProblem(t),
        let d = kernel.definitions.first(where: { $0.name == t || $0.effectiveSchedule.storage.interleave?.tensor == t })
      else { continue }
      out.append(.error(DiagnosticID("ir", "bad-in-place-store"), "stored in place into '%\(t)': \(problem)", at: d.location))
    }
    for d in kernel.definitions {
      if let problem = d.scanScheduleProblem { error(d, problem) }
      guard let s = d.schedule else { continue }
      if let problem = d.reductionOrderProblem(s) {
        out.append(.error(DiagnosticID("ir", "reduction-order"), "schedule of '%\(d.name)': \(problem)", at: d.location))
      }
      // Expected leaves.
      var leaves = d.axes.map(\.name) + (d.reduction?.axes.map(\.name) ?? [])
      if let f = s.fusion {
        if let i = leaves.firstIndex(of: f.outer), i + 1 < d.axes.count, leaves[i + 1] == f.inner {
          leaves.replaceSubrange(i...(i + 1), with: [f.variable])
        } else {
          error(d, "fused loop '\(f.variable)' does not join two adjacent axes ('\(f.outer)', '\(f.inner)')")
        }
        if d.reduction != nil { error(d, "fused loop '\(f.variable)' in a reduction (only elementwise loops are fused)") }
        if s.placement != .root { error(d, "fused loop '\(f.variable)' in a definition not computed at the root") }
      }
      for split in s.splits {
        guard split.factor >= 1, split.factor <= ShapeLimits.maxExtent else {
          error(d, "split of '\(split.variable)' has factor \(split.factor), outside 1 ... \(ShapeLimits.maxExtent)")
          continue
        }
        guard let i = leaves.firstIndex(of: split.variable) else {
          error(d, "split of '\(split.variable)', which is not a loop at that point")
          continue
        }
        leaves.replaceSubrange(i...i, with: [split.outer, split.inner])
      }
      let names = s.loops.map(\.name)
      if Set(names).count != names.count { error(d, "a loop appears twice") }
      if Set(names) != Set(leaves) {
        error(d, "loops (\(names.joined(separator: ", "))) do not match its axes after splits (\(leaves.joined(separator: ", ")))")
      }
      var bound: Set<GPUDimension> = []
      for l in s.loops {
        if case .gpu(let g) = l.kind {
          if bound.contains(g) { error(d, "\(g.rawValue) is bound twice") }
          bound.insert(g)
        }
        if case .vectorized(let w) = l.kind, w < 1 { error(d, "vector width \(w)") }
      }
      switch s.placement {
      case .root: break
      case .computeAt(let consumer, let loop):
        if let c = kernel.definitions.first(where: { $0.name == consumer }) {
          if (order[consumer] ?? 0) <= (order[d.name] ?? 0) { error(d, "computed at '\(consumer)', which comes before it") }
          if !c.expressions.contains(where: { e in e.loads.contains { $0.tensor == d.name } }) {
            error(d, "computed at '\(consumer)', which does not read it")
          }
          if !c.effectiveSchedule.loops.contains(where: { $0.name == loop }) {
            error(d, "computed at '\(consumer).\(loop)', which is not a loop of '\(consumer)'")
          }
        } else {
          error(d, "computed at unknown definition '\(consumer)'")
        }
        if s.storage.scope == .workspace, let (c, l) = enclosingParallelLoop(of: d, in: kernel) {
          error(
            d,
            "computed inside parallel loop '\(c).\(l)' and stored in workspace, one buffer every thread writes at once "
              + "(a race: its accumulations interleave); store it local (per thread), or compute it at the root")
        }
      }
      if let p = s.storage.permutation, p.sorted() != Array(0..<d.axes.count) {
        error(d, "layout is not a permutation of its \(d.axes.count) dimensions")
      }
      if let pad = s.storage.padding, pad.count != d.axes.count || pad.contains(where: { $0 < 0 }) {
        error(d, "padding must give one non-negative amount per dimension")
      }
      if s.dotPrecision != nil, !s.isDot { error(d, "a precision is set but the definition is not a 'dot'") }
      // IR read back (`-x ir`, a kernel whose contract an override changed) cannot carry a precision beyond the
      // kernel's accuracy contract that `precision(y, p)` would refuse.
      if let p = s.dotPrecision, !p.isAllowed(under: kernel.matmulPrecision) {
        error(d, "precision(\(p.rawValue)) is beyond the kernel's matmul_precision \(kernel.matmulPrecision.rawValue)")
      }
      if let g = s.programGroup, g < 1 || g > 1024 { error(d, "program group \(g) is outside 1 ... 1024") }
      if let p = s.persistentPrograms, p < 1 || p > 1 << 20 { error(d, "\(p) persistent programs, outside 1 ... 2^20") }
      if let w = s.computeWith {
        if (order[w] ?? Int.max) >= (order[d.name] ?? 0) {
          error(d, "computed with '\(w)', which is not an earlier definition")
        } else if s.placement != .root || kernel.definitions.first(where: { $0.name == w })?.effectiveSchedule.placement != .root {
          error(d, "computed with '\(w)', but both must be computed at the root")
        } else if let l = s.computeWithLoop,
          (kernel.definitions.first(where: { $0.name == w })?.effectiveSchedule.loops.firstIndex(where: { $0.name == l }))
            .map({ $0 >= s.loops.count }) ?? true
        {
          error(d, "computed with '\(w)' at loop '\(l)', which is not a loop of '\(w)' at a depth '\(d.name)' has")
        }
      }
      if s.programGroup != nil || s.persistentPrograms != nil, s.placement != .root {
        error(d, "a program order is set but the definition is computed inside another one")
      }
    }
    return out
  }

  /// The first parallel loop around a definition computed at a consumer (CPU threads, or a GPU dimension: the
  /// loop-level GPU targets keep workspace in one device buffer too): a loop of that consumer at or outside the one
  /// it is computed at, or, the consumer itself computed at another, around that one in turn.
  static func enclosingParallelLoop(of d: Definition, in kernel: Kernel) -> (String, String)? {
    var current = d
    var seen: Set<String> = [d.name]
    while case .computeAt(let consumer, let loop) = current.effectiveSchedule.placement,
      let c = kernel.definitions.first(where: { $0.name == consumer }), seen.insert(consumer).inserted
    {
      let loops = c.effectiveSchedule.loops
      if let at = loops.firstIndex(where: { $0.name == loop }),
        let p = loops[...at].first(where: { l in
          if case .gpu = l.kind { return true }
          return l.kind == .parallel
        })
      {
        return (consumer, p.name)
      }
      current = c
    }
    return nil
  }
}
