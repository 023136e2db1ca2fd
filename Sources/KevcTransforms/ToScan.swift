import KevcBasic
import KevcIR

/// `to_scan(y)`: a triangular reduction `[j in lo .. (i + 1)]` along an axis `i` of `y`, whose lower bound and
/// reduced value do not read `i`, becomes a scan along `i` (Scan.swift): the same value, computed with one
/// accumulator running along `i` (O(N) element evaluations instead of O(N^2)). An exclusive prefix
/// `[j in lo .. i]` is first shifted to `[j in (lo + 1) .. (i + 1)]` with `j - 1` for `j` in the reduced value
/// (the same terms in the same order, so the same value), then made a scan. A suffix `[j in i .. E]` (E the
/// extent of `i`, a reversed cumsum) becomes a scan of the reversed axis `y.scan` read reversed by `y`
/// (`suffixScan`). A natural schedule becomes the
/// natural one with `i` moved to the innermost axis loop, directly before `j`; another schedule must already keep
/// `i` and `j` innermost, serial and unsplit (Scan.swift), e.g. after splits of the other axes.
///
/// Before:
/// ```
/// %y: f32[m < M, n < N] = sum<f32> [j in 0 .. (n + 1)] %x[m, j]
/// ```
/// After `to_scan(y)`:
/// ```
/// %y: f32[m < M, n < N] = scan(n) sum<f32> [j in 0 .. (n + 1)] %x[m, j]
/// ```
/// An exclusive prefix, before and after:
/// ```
/// %y: f32[m < M, n < N] = sum<f32> [j in 0 .. n] %x[m, j]
/// %y: f32[m < M, n < N] = scan(n) sum<f32> [j in 1 .. (n + 1)] %x[m, (j - 1)]
/// ```
extension ScheduleEditing {
  mutating func toScan(_ tensor: String) throws(TransformError) {
    let index = try definitionIndex(tensor)
    var d = kernel.definitions[index]
    guard var r = d.reduction else { throw fail("'\(tensor)' is not a reduction") }
    guard r.scanAxis == nil else { throw fail("'\(tensor)' is already a scan") }
    // A suffix [j in i .. E] (E the extent of i) is a scan of the reversed axis, read reversed.
    if r.axes.count == 1, case .index(let a) = r.axes[0].lowerBound, let axis = d.axes.first(where: { $0.name == a }),
      r.axes[0].upperBound == axis.extent.expr
    {
      try suffixScan(index, along: a)
      return
    }
    // The axis the upper bound counts to, if any.
    guard r.axes.count == 1 else {
      throw fail("'\(tensor)' is not a triangular reduction [j in lo .. (i + 1)] over one axis")
    }
    let axis: String
    if case .binary(.add, .index(let a), .constant(let one)) = r.axes[0].upperBound, one == .int(1) {
      axis = a
    } else if case .index(let a) = r.axes[0].upperBound, d.axes.contains(where: { $0.name == a }),
      !r.axes[0].lowerBound.indexNames.contains(a)
    {
      // An exclusive prefix [j in lo .. i]: the same terms over [j in (lo + 1) .. (i + 1)] at j - 1.
      axis = a
      let j = r.axes[0].name
      let shifted: [String: Expr] = [j: .binary(.sub, .index(j), .constant(.int(1)))]
      if case .constant(let c) = r.axes[0].lowerBound, case .int(let lo) = c.value, lo < Int64.max {
        r.axes[0].lowerBound = .constant(.int(lo + 1, c.dtype))
      } else {
        r.axes[0].lowerBound = .binary(.add, r.axes[0].lowerBound, .constant(.int(1)))
      }
      r.axes[0].upperBound = .binary(.add, .index(a), .constant(.int(1)))
      d.body = d.body.substituting(shifted)
      if var c = r.combiner {
        c.otherElements = c.otherElements.map { $0.substituting(shifted) }
        r.combiner = c
      }
      d.reduction = r
    } else {
      throw fail("'\(tensor)' is not a triangular reduction [j in lo .. (i + 1)] or [j in lo .. i] over one axis")
    }
    if let problem = d.scanProblem(along: axis) { throw fail("'\(tensor)' cannot be a scan: \(problem)") }
    r.scanAxis = axis
    d.reduction = r
    if d.schedule == nil || d.schedule == .natural(for: d) {
      var s = Schedule.natural(for: d)
      if let at = s.loops.firstIndex(where: { $0.name == axis }) {
        let scanLoop = s.loops.remove(at: at)
        s.loops.insert(scanLoop, at: s.loops.count - 1)
      }
      d.schedule = s == .natural(for: d) ? nil : s
    } else if let problem = d.scanScheduleProblem {
      throw fail("'\(tensor)' cannot be a scan under its schedule: \(problem)")
    }
    kernel.definitions[index] = d
  }

  /// `y[.., i] = R [j in i .. E] f(j)` (a suffix: E the extent of `i`) becomes a scan `y.scan[.., i] =
  /// scan(i) R [j in 0 .. (i + 1)] f((E - 1) - j)` over the reversed axis and `y[.., i] = y.scan[.., (E - 1) - i]`:
  /// the same terms combined in the same order from the end (y.scan's position `E - 1 - i` folds f(E - 1) down to
  /// f(i)). One more pass over the output (write and read `y.scan`) for O(N) instead of O(N^2) element
  /// evaluations. Only before `y`'s other schedule transforms.
  mutating func suffixScan(_ index: Int, along axis: String) throws(TransformError) {
    let d = kernel.definitions[index]
    guard let r = d.reduction, let extent = d.axes.first(where: { $0.name == axis })?.extent.expr else { return }
    guard d.schedule == nil || d.schedule == .natural(for: d) else {
      throw fail("to_scan of a suffix [j in \(axis) .. E] must come before the other schedule transforms of '\(d.name)'")
    }
    let j = r.axes[0].name
    let last: Expr = .binary(.sub, extent, .constant(.int(1)))
    let flipped: [String: Expr] = [j: .binary(.sub, last, .index(j))]
    var scan = r
    scan.axes[0].lowerBound = .constant(.int(0))
    scan.axes[0].upperBound = .binary(.add, .index(axis), .constant(.int(1)))
    if var c = scan.combiner {
      c.otherElements = c.otherElements.map { $0.substituting(flipped) }
      scan.combiner = c
    }
    var z = Definition(
      name: fresh("\(d.name).scan", taken: tensorNames), dtype: r.combiner == nil ? r.accumulator : d.dtype,
      axes: d.axes, reduction: scan, body: d.body.substituting(flipped), location: d.location)
    if let problem = z.scanProblem(along: axis) { throw fail("'\(d.name)' cannot be a scan: \(problem)") }
    scan.scanAxis = axis
    z.reduction = scan
    var s = Schedule.natural(for: z)
    if let at = s.loops.firstIndex(where: { $0.name == axis }) {
      let scanLoop = s.loops.remove(at: at)
      s.loops.insert(scanLoop, at: s.loops.count - 1)
    }
    z.schedule = s == .natural(for: z) ? nil : s
    var y = d
    y.reduction = nil
    y.schedule = nil
    let read: Expr = .load(
      Load(
        tensor: z.name, indices: d.axes.map { $0.name == axis ? .binary(.sub, last, .index(axis)) : .index($0.name) },
        bounds: .inBounds))
    y.body = z.dtype == d.dtype ? read : .cast(d.dtype, read)
    kernel.definitions[index] = y
    kernel.definitions.insert(z, at: index)
  }
}
