import KevcBasic
import KevcIR

/// `fuse_axes(y, [c, k])`: several reduction axes of `y` become one (a rewrite; the loop form for output axes is below), iterated in the order given (the last
/// fastest): `v = (c - lo_c) * K + (k - lo_k)` over `0 .. C * K`, and the body reads `c = lo_c + v / K`,
/// `k = lo_k + v % K` (floor division and modulo of a non-negative index by a positive extent). One reduction
/// axis lets one `dot` cover every tap of a convolution (an implicit GEMM over `C * K`, whose operand tiles are
/// loaded at the div/mod indices), instead of one `dot` per tap over a small channel block.
///
/// Legal when every named axis is a reduction axis of `y` with bounds that do not depend on data or other index
/// variables, no other reduction axis's bounds read one of them, an order-sensitive reduction (a select-form tuple
/// combiner: argmax's "the first that wins", ReductionOrder.swift) fuses adjacent axes in their declared order
/// (so that it visits its domain in the same order), and `y` has no other schedule transform yet. A sum is then the
/// same sum in the same order when the axes are named in their declared order (another order only reassociates it,
/// like rfactor). A tuple reduction's other elements (argmax's index) read the fused axis as the body does.
///
/// Before:
/// ```
/// %_r0: f32[n < N, f < F, l < L] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (cast<f32>(%x[n, c, ((l + k) - 1:i64)]) * cast<f32>(%w[f, c, k]))
/// ```
/// After `fuse_axes(_r0, [c, k])`:
/// ```
/// %_r0: f32[n < N, f < F, l < L] = sum<f32> [c.k in 0 .. ($C * $K)] (cast<f32>(%x[n, (c.k / $K), ((l + (c.k % $K)) - 1:i64)]) * cast<f32>(%w[f, (c.k / $K), (c.k % $K)]))
/// ```
///
/// The loop form, `fuse_axes(y, [i, j])` on two adjacent output axes of an elementwise `y`, changes the loop nest
/// only: one loop `i.j` over `I * J` replaces loops `i` and `j` (schedule item `fuse(i.j, i, j)`), and the lowering
/// reads `i = i.j / J`, `j = i.j % J`. Every point is still computed once, so it is legal whenever the axes are
/// adjacent in declared order, `y` is not a reduction (whose accumulation order it would also change), no other
/// schedule transform of `y` came first, and the dims are bound. `y` stays at the root (`compute_at` refuses it, and
/// refuses to compute a producer inside it: its region is not affine in the fused loop). A row of 30 vectorized by
/// itself runs 3 vectors and a scalar remainder of 6 per row; fused with the axis outside it, one run of `I * 30`
/// with the remainder once, and LLVM folds the store's and loads' `(v / J) * J + v % J` back to `v`.
///
/// Before:
/// ```
/// %y: f32[n < N, i < H, j < W] = (%x[n, i, j] * 0.5:f32)
/// ```
/// After `fuse_axes(y, [i, j])`:
/// ```
/// %y: f32[n < N, i < H, j < W] = (%x[n, i, j] * 0.5:f32)
///     schedule fuse(i.j, i, j) loops(n, i.j) root store(workspace)
/// ```
extension ScheduleEditing {
  mutating func fuseAxes(_ tensor: String, _ loops: [String]) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    guard loops.count >= 2 else { throw fail("fuse_axes needs at least two axes, got \(loops.count)", .badParameter) }
    guard Set(loops).count == loops.count else { throw fail("an axis is named twice", .badParameter) }
    if loops.allSatisfy({ l in d.axes.contains { $0.name == l } }) {
      try fuseLoops(tensor, loops)
      return
    }
    guard let r = d.reduction else {
      throw fail("'\(tensor)' is not a reduction and \(loops.joined(separator: ", ")) are not all its output axes")
    }
    guard d.schedule == nil || d.schedule == .natural(for: d) else {
      throw fail("fuse_axes must come before other schedule transforms of '\(tensor)'")
    }
    var positions: [Int] = []
    var extents: [Expr] = []
    var lows: [Expr] = []
    var product = 1
    for loop in loops {
      guard let p = r.axes.firstIndex(where: { $0.name == loop }) else {
        if d.axes.contains(where: { $0.name == loop }) {
          throw fail("'\(loop)' is an output axis of '\(tensor)'; fuse_axes fuses reduction axes or output axes, not both")
        }
        throw fail(
          "'\(tensor)' has no reduction axis '\(loop)'; its reduction axes are \(r.axes.map(\.name).joined(separator: ", "))",
          .unknownLoop)
      }
      let axis = r.axes[p]
      guard let lo = constantValue(axis.lowerBound), let hi = constantValue(axis.upperBound) else {
        throw fail("reduction axis '\(loop)' of '\(tensor)' has bounds that depend on data or other axes")
      }
      let readers = ScheduleEditing.dependents(of: loop, in: d)
      if let reader = readers.first {
        throw fail("the bounds of reduction axis '\(reader)' of '\(tensor)' read '\(loop)'")
      }
      guard let span = ShapeLimits.span(lo, hi) else {
        throw fail("reduction axis '\(loop)' of '\(tensor)' spans more than \(ShapeLimits.maxExtent)", .badParameter)
      }
      let (next, overflow) = product.multipliedReportingOverflow(by: Swift.max(0, span))
      guard !overflow, next <= ShapeLimits.maxExtent else {
        throw fail("the fused axis would span more than \(ShapeLimits.maxExtent)", .badParameter)
      }
      product = next
      positions.append(p)
      lows.append(axis.lowerBound)
      extents.append(lo == 0 ? axis.upperBound : .binary(.sub, axis.upperBound, axis.lowerBound))
    }
    if r.isOrderSensitive, positions != Array(positions[0]..<(positions[0] + positions.count)) {
      throw fail(
        "'\(tensor)' keeps the first element that wins (an order-sensitive combiner): only adjacent reduction axes "
          + "named in their declared order can be fused")
    }
    let used = Set(d.axes.map(\.name) + r.axes.map(\.name))
    let name = fresh(loops.joined(separator: "."), taken: used)
    // c = lo_c + (v / (K * ...)) % C; the outermost needs no modulo, the innermost no division.
    var substitution: [String: Expr] = [:]
    for i in loops.indices {
      var value: Expr = .index(name)
      let stride = extents[(i + 1)...].reduce(nil as Expr?) { acc, e in acc.map { .binary(.mul, $0, e) } ?? e }
      if let stride { value = .binary(.div, value, stride) }
      if i > 0 { value = .binary(.mod, value, extents[i]) }
      if constantValue(lows[i]) != 0 { value = .binary(.add, lows[i], value) }
      substitution[loops[i]] = value
    }
    let upper = extents.dropFirst().reduce(extents[0]) { .binary(.mul, $0, $1) }
    var axes = r.axes
    axes[positions[0]] = ReductionAxis(name: name, lowerBound: .constant(.int(0)), upperBound: upper)
    let drop = Set(positions.dropFirst())
    axes = axes.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
    var fused = d
    var reduction = r
    reduction.axes = axes
    reduction.combiner?.otherElements = r.combiner?.otherElements.map { $0.substituting(substitution) } ?? []
    fused.reduction = reduction
    fused.body = d.body.substituting(substitution)
    fused.schedule = nil
    kernel.definitions[index] = fused
  }

  /// The loop form: two adjacent output axes `[i, j]` of an elementwise `y` iterated as one loop `i.j` over `I * J`
  /// (`fuse(i.j, i, j)` in its schedule; the lowering reads `i = i.j / J`, `j = i.j % J`). The
  /// points and their values are the same, only the loop nest changes (ScheduledBounds.swift).
  mutating func fuseLoops(_ tensor: String, _ loops: [String]) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    guard loops.count == 2 else {
      throw fail("fuse_axes fuses two output axes of '\(tensor)', got \(loops.count)", .badParameter)
    }
    guard d.reduction == nil else {
      throw fail("'\(tensor)' is a reduction; fuse_axes fuses the output axes of an elementwise definition only")
    }
    guard d.schedule == nil || d.schedule == .natural(for: d) else {
      throw fail("fuse_axes must come before other schedule transforms of '\(tensor)'")
    }
    guard let p = d.axes.firstIndex(where: { $0.name == loops[0] }), p + 1 < d.axes.count,
      d.axes[p + 1].name == loops[1]
    else {
      throw fail("output axes '\(loops[0])' and '\(loops[1])' of '\(tensor)' are not adjacent in that order")
    }
    guard let outer = d.axes[p].extent.evaluate(kernel.dimBindings),
      let inner = d.axes[p + 1].extent.evaluate(kernel.dimBindings)
    else {
      throw fail("the kernel's dims must be bound to fuse '\(tensor)''s axes (use --shape or a dims line)")
    }
    let (product, overflow) = outer.multipliedReportingOverflow(by: inner)
    guard !overflow, product <= ShapeLimits.maxExtent else {
      throw fail("the fused axis would span more than \(ShapeLimits.maxExtent)", .badParameter)
    }
    let name = fresh(loops.joined(separator: "."), taken: Set(d.axes.map(\.name)))
    var schedule = Schedule.natural(for: d)
    schedule.loops.replaceSubrange(p...(p + 1), with: [ScheduledLoop(name: name)])
    schedule.fusion = LoopFusion(variable: name, outer: loops[0], inner: loops[1])
    kernel.definitions[index].schedule = schedule
  }
}
