import KevcIR

/// Merges a scan axis that a schedule split into two adjacent serial loops back into one loop before the loops are
/// built (pass `unsplit-serial-scans`, the first step of `LowerToLoops`). Visiting `a.o` then `a.i` serially is
/// visiting `a` in the same order, and a scan's accumulator runs along one loop (Scan.swift): the schedule verifier
/// accepts such a split (a block-level target binds the inner loop to a block later), so the loop lowering takes it
/// too rather than refusing a schedule the verifier allowed. It applies where both loops are serial, `a.o` directly
/// encloses `a.i`, and no producer is computed at either; otherwise the lowering reports why it cannot scan.
///
/// Before:
///   %y.acc: f64[a < A] = scan(a) sum<f64> [k in 0 .. (a + 1)] ...
///     schedule split(a, a.o, a.i, 32) loops(a.o, a.i, k)
/// After:
///     schedule loops(a, k)
extension LowerToLoops {
  public static func unsplitSerialScans(_ kernel: Kernel) -> Kernel {
    var k = kernel
    for i in k.definitions.indices {
      let d = k.definitions[i]
      guard let axis = d.reduction?.scanAxis, var s = d.schedule,
        let split = s.splits.first(where: { $0.variable == axis }),
        let o = s.loops.firstIndex(where: { $0.name == split.outer }), o + 1 < s.loops.count,
        s.loops[o + 1].name == split.inner, s.loops[o].kind == .serial, s.loops[o + 1].kind == .serial
      else { continue }
      let named = k.definitions.contains { other in
        guard case .computeAt(let consumer, let loop)? = other.schedule?.placement else { return false }
        return consumer == d.name && (loop == split.outer || loop == split.inner)
      }
      guard !named else { continue }
      s.loops.replaceSubrange(o...(o + 1), with: [ScheduledLoop(name: axis, kind: .serial)])
      s.splits.removeAll { $0 == split }
      k.definitions[i].schedule = s
    }
    return k
  }
}
