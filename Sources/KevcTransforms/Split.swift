import KevcBasic
import KevcIR

/// `split(y, n, 8)`: loop `n` of `y` becomes `n.o` over `ceil(N / 8)` and `n.i` over `0 ..< 8`, with
/// `n = n.o * 8 + n.i`. A factor that does not divide the extent is legal: the lowering bounds the inner loop by
/// what is left (or guards the point) so that no point outside the domain is computed.
///
/// A loop that a producer is computed at (`compute_at(t, y, n)`) cannot be split: the split would leave the
/// producer without its loop, and moving it silently to `n.o` (Halide's choice) changes the region it is computed
/// over and which targets can express it. The transform rejects it with `kevc.transform.compute-loop-split`, naming
/// the producer; split first and then `compute_at(t, y, n.o)` (or `n.i`). Split, vectorize, unroll and tile (all of
/// which split) behave alike.
///
/// Before:
/// ```
/// %y: f32[m < 64, n < 100] = ...
///   schedule loops(m, n)
/// ```
/// After `split(y, n, 8)`:
/// ```
///   schedule loops(m, n.o, n.i) splits(n = n.o * 8 + n.i)
/// ```
extension ScheduleEditing {
  mutating func split(_ tensor: String, _ loop: String, by factor: Int) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    var s = d.effectiveSchedule
    let position = try loopIndex(loop, in: d)
    guard factor >= 1 else { throw fail("split factor must be at least 1, got \(factor)", .badParameter) }
    guard factor <= ShapeLimits.maxExtent else {
      throw fail("split factor \(factor) is larger than the limit of \(ShapeLimits.maxExtent)", .badParameter)
    }
    guard s.loops[position].kind == .serial else {
      throw fail("loop '\(loop)' of '\(tensor)' is already \(describe(s.loops[position].kind)); split it before mapping it", .alreadyMapped)
    }
    let root = Self.root(of: loop, in: s)
    if let r = d.reduction?.axes.first(where: { $0.name == root }),
      constantValue(r.lowerBound) == nil || constantValue(r.upperBound) == nil
    {
      throw fail("reduction axis '\(root)' of '\(tensor)' has data-dependent bounds and cannot be split")
    }
    let taken = Set(s.loops.map(\.name) + s.splits.flatMap { [$0.variable, $0.outer, $0.inner] })
    let outer = loop + ".o"
    let inner = loop + ".i"
    guard !taken.contains(outer), !taken.contains(inner) else {
      throw fail("loop '\(loop)' of '\(tensor)' is already split", .alreadyMapped)
    }
    s.loops.replaceSubrange(position...position, with: [ScheduledLoop(name: outer), ScheduledLoop(name: inner)])
    let inside = kernel.definitions.filter {
      if case .computeAt(let consumer, let at) = $0.effectiveSchedule.placement { return consumer == tensor && at == loop }
      return false
    }.map(\.name)
    if let first = inside.first {
      throw fail(
        "'\(first)' is computed at '\(tensor).\(loop)'; splitting '\(loop)' would leave it without its loop (split first, then compute_at(\(first), \(tensor), \(outer)) or \(inner))",
        .computeLoopSplit)
    }
    s.splits.append(Split(variable: loop, outer: outer, inner: inner, factor: factor))
    setSchedule(s, of: index)
  }
}

func describe(_ kind: LoopKind) -> String {
  switch kind {
  case .serial: return "serial"
  case .parallel: return "parallel"
  case .vectorized(let w): return "vectorized (width \(w))"
  case .unrolled: return "unrolled"
  case .gpu(let d): return "bound to \(d.rawValue)"
  }
}
