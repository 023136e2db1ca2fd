import KevcBasic

/// Scans (prefix reductions): a reduction marked `scan(i)` is the inclusive prefix reduction along the
/// definition's axis `i`:
///
///     %y: f32[r < R, i < N] = scan(i) sum<f32> [j in lo .. (i + 1)] BODY(j)
///
/// means `y[r, i] = sum over j in lo ..< i + 1 of BODY(j)`, exactly the value of the same reduction without the
/// mark (the interpreter evaluates it that way), with the promise the verifier checks: one reduction axis `j`,
/// upper bound `i + 1`, and neither the lower bound nor the body (nor a tuple reduction's other elements) reads
/// `i`. So `y[.., i]` is `y[.., i - 1]` combined with `BODY(i)`: the lowering keeps one accumulator that runs along
/// `i` (a serial scan, O(N) instead of O(N^2) element evaluations), which needs `i`'s loop to be the innermost axis
/// loop, directly followed by `j`'s, both unsplit, `j` serial and `i` serial or one block (Triton scans a block with
/// `tl.cumsum`/`tl.associative_scan`).
/// reduction's combiner included (its associativity is what makes the running form equal the prefix).
extension Definition {
  /// Why the reduction cannot be a scan along `axis` (nil: it can).
  public func scanProblem(along axis: String) -> String? {
    guard let r = reduction else { return "'%\(name)' is not a reduction" }
    guard axes.contains(where: { $0.name == axis }) else { return "'\(axis)' is not an axis of '%\(name)'" }
    guard r.axes.count == 1, let j = r.axes.first else {
      return "a scan has one reduction axis; '%\(name)' has \(r.axes.count)"
    }
    guard j.upperBound == .binary(.add, .index(axis), .constant(.int(1))) else {
      return "the upper bound of '\(j.name)' is not '(\(axis) + 1)'"
    }
    if j.lowerBound.indexNames.contains(axis) { return "the lower bound of '\(j.name)' reads '\(axis)'" }
    let elements = [body] + (r.combiner?.otherElements ?? [])
    if elements.contains(where: { $0.indexNames.contains(axis) }) {
      return "the reduced value reads '\(axis)' (it must depend on '\(j.name)' only, not on the scan position)"
    }
    return nil
  }

  /// Why the schedule cannot run the scan (nil: it can): the scan axis is the innermost axis loop, directly
  /// followed by the reduction loop, both serial and unsplit.
  public var scanScheduleProblem: String? {
    guard let r = reduction, let axis = r.scanAxis, let j = r.axes.first else { return nil }
    let s = effectiveSchedule
    if s.splits.contains(where: { $0.variable == axis || $0.variable == j.name }) {
      return "the scan loops '\(axis)' and '\(j.name)' cannot be split"
    }
    let names = s.loops.map(\.name)
    guard names.count >= 2, names[names.count - 2] == axis, names[names.count - 1] == j.name else {
      return "the scan loop '\(axis)' must be the innermost axis loop, directly followed by '\(j.name)'"
    }
    for (k, l) in s.loops.suffix(2).enumerated() {
      switch l.kind {
      case .serial: continue
      // The scan axis may be one block of a block-level target (Triton scans it with tl.associative_scan).
      case .gpu(let g) where k == 0 && [.blockX, .blockY, .blockZ].contains(g): continue
      case .parallel, .vectorized, .unrolled, .gpu: return "the scan loop '\(l.name)' must stay serial"
      }
    }
    return nil
  }
}
