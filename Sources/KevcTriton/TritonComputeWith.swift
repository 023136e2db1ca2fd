import KevcBasic
import KevcIR

/// `compute_with(y, b, l)` on the Triton target: `y`'s code, emitted on its own, is spliced into `b`'s kernel so
/// that one loop `l` carries both. What `y` does before its loop `l` (program ids, lanes, an accumulator's
/// initial value) goes before `b`'s loop; `y`'s iteration body goes at the start of `b`'s (before `b`'s producers
/// and store, so that every load of the iteration precedes its stores and equal loads can be merged by Triton's
/// CSE); what follows `y`'s loop (the accumulator's store) goes after `b`'s. `y`'s loop variable is bound to
/// `b`'s. Both loops must run over the same literal range at the same depth (the transform checked the extents;
/// the loops outside `l` are grid loops in both).
///
/// Before (y emitted alone, then b):
/// ```
/// acc = tl.full(...)                 # y
/// for m_o_1_ in tl.range(0, 16):     # y
///     ... acc = acc + ...
/// tl.store(ws + ..., acc)            # y
/// for m_o_ in tl.range(0, 16):       # b
///     ... tl.store(dx_ptr + ..., ...)
/// ```
/// After:
/// ```
/// acc = tl.full(...)
/// for m_o_ in tl.range(0, 16):
///     m_o = tl.cast(m_o_, tl.int32)
///     # _r2.rf: its iteration of m.o, fused into dx's (compute_with)
///     m_o_1_ = m_o_
///     ... acc = acc + ...
///     ... tl.store(dx_ptr + ..., ...)
/// tl.store(ws + ..., acc)
/// ```
extension KernelBuilder {
  mutating func splice(_ own: [String], of y: Definition, into b: Definition, at loop: String) throws(DiagnosticError) {
    let refusal = DiagnosticID("triton", "unsupported-compute-with")
    func refuse(_ why: String) -> DiagnosticError {
      DiagnosticError(.error(refusal, "'\(y.name)' cannot be fused into loop '\(loop)' of '\(b.name)': \(why)", at: y.location))
    }
    // y's loop at the depth of b's (the transform checked the loops outside are grid loops in both).
    guard let depth = b.effectiveSchedule.loops.firstIndex(where: { $0.name == loop }), depth < y.effectiveSchedule.loops.count else {
      throw refuse("the loop is not a loop of both")
    }
    let bKey = LoopKey(definition: b.name, loop: loop)
    let yKey = LoopKey(definition: y.name, loop: y.effectiveSchedule.loops[depth].name)
    guard let bm = loopMarks[bKey], let ym = loopMarks[yKey] else {
      throw refuse("the loop is not a serial loop of both")
    }
    guard bm.opened == 1, ym.opened == 1 else { throw refuse("one of them opens the loop more than once") }
    // The `for` lines: the last ones before each body.
    func forLine(_ text: [String], _ mark: LoopMark) -> Int? {
      (mark.forLine..<mark.bodyStart).last { text[$0].drop { $0 == " " }.hasPrefix("for ") }
    }
    guard let bf = forLine(lines, bm), let yf = forLine(own, ym) else { throw refuse("internal error: no loop header") }
    // `for NAME in RANGE:` with the same indentation and range.
    func parts(_ l: String) -> (indent: Int, variable: String, range: String)? {
      let indent = l.prefix { $0 == " " }.count
      let words = l.dropFirst(indent).split(separator: " ", maxSplits: 3)
      guard words.count == 4, words[0] == "for", words[2] == "in" else { return nil }
      return (indent, String(words[1]), String(words[3]))
    }
    guard let bp = parts(lines[bf]), let yp = parts(own[yf]) else { throw refuse("internal error: no loop header") }
    guard bp.indent == yp.indent, bp.range == yp.range else {
      throw refuse("the loops differ ('\(lines[bf].drop { $0 == " " })' and '\(own[yf].drop { $0 == " " })')")
    }
    let pad = String(repeating: " ", count: bp.indent + 4)
    let pre = Array(own[..<yf])
    let body = ["\(pad)# \(y.name): its iteration of \(loop), fused into \(b.name)'s (compute_with)", "\(pad)\(yp.variable) = \(bp.variable)"]
      + own[(yf + 1)..<ym.end]
    let post = Array(own[ym.end...])
    let insertAt = bm.bodyStart
    var out = Array(lines[..<bf]) + pre + lines[bf..<insertAt] + body + lines[insertAt..<bm.end] + post
    out += lines[bm.end...]
    lines = out
    // A later sibling fused into the same loop finds it where it is now.
    var moved = bm
    moved.forLine += pre.count
    moved.bodyStart += pre.count
    moved.end += pre.count + body.count
    loopMarks[bKey] = moved
  }
}
