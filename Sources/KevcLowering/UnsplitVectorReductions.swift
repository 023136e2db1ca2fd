import KevcIR

/// Merges a reduction loop that `vectorize` split into `v.o` (serial) and `v.i` (one vector) back into one loop
/// `v`, vectorized at the same width, before the loops are built (pass `unsplit-vector-reductions`, a step of
/// `LowerToLoops`). The loop vectorizer then sees the whole row: it keeps partial results per lane in several
/// interleaved vector accumulators and handles the tail itself. Split, the one-vector inner loop was fully unrolled
/// before the vectorizer ran, which then vectorized `v.o` instead, reading the row as eight-way interleaved groups
/// (a transpose of every 8 x 8 block) with one accumulator chain: a row's sum of exp(x - max) at 9.4 instructions
/// per element with spills, the row max at 23.5 us for 32 x 4096 floats on one thread of the 2-core EPYC (8.2 us
/// with lane partials). Visiting `v.o` then `v.i` is visiting `v` in the same order, and a vectorized reduction
/// already reassociates its combines (each lane a partial), so the values are the same up to that reassociation.
///
/// It applies where `v` is a reduction axis of the definition (an axis accumulating in place, a register tile's
/// columns, keeps its split), `v.o` directly encloses `v.i`, `v.o` is serial, `v.i` is vectorized, and no producer
/// is computed at either.
///
/// Before:
///   %s: f32[b < B] = sum<f32> [d in 0 .. $D] exp(%x[b, d])
///     schedule split(d, d.o, d.i, 8) loops(b, d.o, d.i: vectorize(8))
/// After:
///     schedule loops(b, d: vectorize(8))
extension LowerToLoops {
  public static func unsplitVectorReductions(_ kernel: Kernel) -> Kernel {
    var k = kernel
    for i in k.definitions.indices {
      let d = k.definitions[i]
      guard let r = d.reduction, var s = d.schedule else { continue }
      for split in s.splits where r.axes.contains(where: { $0.name == split.variable }) {
        guard let o = s.loops.firstIndex(where: { $0.name == split.outer }), o + 1 < s.loops.count,
          s.loops[o + 1].name == split.inner, s.loops[o].kind == .serial,
          case .vectorized(let width) = s.loops[o + 1].kind, width == split.factor
        else { continue }
        let named = k.definitions.contains { other in
          guard case .computeAt(let consumer, let loop)? = other.schedule?.placement else { return false }
          return consumer == d.name && (loop == split.outer || loop == split.inner)
        }
        guard !named else { continue }
        s.loops.replaceSubrange(o...(o + 1), with: [ScheduledLoop(name: split.variable, kind: .vectorized(width: width))])
        s.splits.removeAll { $0 == split }
      }
      k.definitions[i].schedule = s
    }
    return k
  }
}
