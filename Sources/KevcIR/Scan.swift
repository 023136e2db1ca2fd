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
/// loop, directly followed by `j`'s, `j` serial and unsplit, `i` serial and unsplit for the CPU; Triton also takes
/// `i` as a block, or split once into a serial loop of blocks and a block (a carried prefix). Any operator works,
/// a tuple reduction's combiner included (its associativity is what makes the running form equal the prefix).
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

  /// Why the schedule cannot run the scan (nil: it can): the scan axis (or, split once, its inner loop) is the
  /// innermost axis loop, directly followed by the serial, unsplit reduction loop; the scan loop is serial or a
  /// block, the loop of blocks of a split one serial.
  public var scanScheduleProblem: String? {
    guard let r = reduction, let axis = r.scanAxis, let j = r.axes.first else { return nil }
    let s = effectiveSchedule
    // A block-level target may split the scan axis into a serial loop of blocks (a carried prefix) and a block.
    let split = s.splits.first { $0.variable == axis }
    if s.splits.contains(where: { $0.variable == j.name || $0.variable == split?.outer || $0.variable == split?.inner }) {
      return "the scan loops '\(axis)' and '\(j.name)' cannot be split"
    }
    let scanLoop = split?.inner ?? axis
    let names = s.loops.map(\.name)
    guard names.count >= 2, names[names.count - 2] == scanLoop, names[names.count - 1] == j.name else {
      return "the scan loop '\(scanLoop)' must be the innermost axis loop, directly followed by '\(j.name)'"
    }
    let blocks: [GPUDimension] = [.blockX, .blockY, .blockZ]
    for (k, l) in s.loops.suffix(2).enumerated() {
      switch l.kind {
      // A split scan axis stays serial until it is bound to a block (the CPU lowering refuses it: no scan loop).
      case .serial: continue
      // The scan axis may be one block of a block-level target (Triton scans it with tl.associative_scan).
      case .gpu(let g) where k == 0 && blocks.contains(g): continue
      case .parallel, .vectorized, .unrolled, .gpu:
        return split == nil || k == 1 ? "the scan loop '\(l.name)' must stay serial" : "the split scan loop '\(l.name)' must be serial or a block"
      }
    }
    if let split, let outer = s.loops.first(where: { $0.name == split.outer }), outer.kind != .serial {
      return "the loop of blocks '\(split.outer)' of the scan must stay serial"
    }
    // A serial split scan runs as one loop (`a.o` then `a.i` is `a` in order; UnsplitSerialScans.swift) only when
    // the loop of blocks directly encloses its block: with another loop between them, each of its points would need
    // its own running value across the blocks.
    if let split, s.loops[names.count - 2].kind == .serial, names.count < 3 || names[names.count - 3] != split.outer {
      return "the loop of blocks '\(split.outer)' must directly enclose the serial scan loop '\(split.inner)'"
    }
    return nil
  }
}
