import KevcBasic
import KevcIR

/// Blocked accumulation of long floating-point sums: a sum of many terms into one f32 (or f16/bf16) accumulator
/// loses about `n * eps` of its magnitude when accumulated sequentially (33M terms: several 1e-3 relative, outside
/// the checker's f32 tolerance and simply wrong). When the reduction loops of one accumulator run more than
/// `blockedSumThreshold` iterations, the sum is accumulated in blocks: a partial accumulator starts at zero in each
/// iteration of the outermost reduction loop whose inner iterations are at most `blockedSumBlock`, and is added to
/// the accumulator after it; a single loop too long for that is strip-mined into blocks of `blockedSumStrip`. The
/// error then grows like `(block + n / block) * eps` instead of `n * eps` (for random terms, with the square root
/// of both), as in the per-lane partials of a vectorized or parallel reduction. f64 sums and sums shorter than the
/// threshold are left as they are (the same loop IR as before), as are max, min, prod and in-place accumulation.
///
/// Before (`%_r0.acc` accumulates 8192 * 4096 terms):
/// ```
/// local %_r0.acc: f32[]
///   %_r0.acc[] = 0.0:f32
///   for m in 0 .. 8192 {
///     for n.o in 0 .. 512 {
///       for n.i in 0 .. 8 vectorize(8) {
///         %_r0.acc[] = (%_r0.acc[] + ...)
/// ```
/// After:
/// ```
///   for m in 0 .. 8192 {
///     local %_r0.acc.block: f32[]
///       %_r0.acc.block[] = 0.0:f32
///       for n.o in 0 .. 512 {
///         for n.i in 0 .. 8 vectorize(8) {
///           %_r0.acc.block[] = (%_r0.acc.block[] + ...)
///       %_r0.acc[] = (%_r0.acc[] + %_r0.acc.block[])
/// ```
extension Lowering {
  /// Sums with more iterations than this are accumulated in blocks.
  static let blockedSumThreshold = 1 << 16
  /// The largest number of iterations one partial accumulator takes (at a loop boundary).
  static let blockedSumBlock = 1 << 14
  /// The block length when one loop alone is longer than `blockedSumBlock`.
  static let blockedSumStrip = 1 << 12

  /// `nest` (the reduction loops around updates of the scalar accumulator `acc`, of float type `t`), accumulated
  /// in blocks when it is long (see above); otherwise `nest` itself.
  mutating func blockedSum(_ nest: [Stmt], accumulator acc: String, type t: DType) -> [Stmt] {
    guard t.isFloat, t != .f64 else { return nest }
    // The chain of perfectly nested loops from the top, with constant trip counts.
    var chain: [Loop] = []
    var level = nest
    var trips: [Int] = []
    while level.count == 1, case .loop(let l) = level[0], let lo = constantValue(l.lowerBound),
      let hi = constantValue(l.upperBound)
    {
      chain.append(l)
      trips.append(hi > lo ? Int(clamping: hi &- lo) : 0)
      level = l.body
    }
    var total = 1
    for n in trips { total = total.multipliedReportingOverflow(by: Swift.max(n, 1)).partialValue }
    guard total > Self.blockedSumThreshold || total <= 0 else { return nest }
    let part = acc + ".block"
    types[part] = t
    // The outermost loop whose inner iterations fit one block (and are not a handful).
    var inner = Array(repeating: 1, count: trips.count)
    for i in stride(from: trips.count - 2, through: 0, by: -1) {
      inner[i] = inner[i + 1].multipliedReportingOverflow(by: Swift.max(trips[i + 1], 1)).partialValue
    }
    if let i = inner.indices.first(where: { inner[$0] <= Self.blockedSumBlock && inner[$0] >= 64 }) {
      return rebuild(chain, upTo: i) { l in
        var l = l
        l.body = partial(l.body, acc: acc, part: part, t: t)
        return .loop(l)
      }
    }
    // Strip-mine the outermost loop that alone is longer than a block (a serial or unrolled one: vector lanes
    // already keep partials).
    guard
      let i = chain.indices.first(where: { trips[$0] > Self.blockedSumBlock && chain[$0].kind == .serial }),
      let lo = constantValue(chain[i].lowerBound), let hi = constantValue(chain[i].upperBound)
    else { return nest }
    return rebuild(chain, upTo: i) { l in
      let strip = Int64(Self.blockedSumStrip)
      let block = l.variable + ".block"
      let start = Expr.binary(.add, .constant(.int(lo)), .binary(.mul, .index(block), .constant(.int(strip))))
      let end = Expr.binary(.min, .binary(.add, start, .constant(.int(strip))), .constant(.int(hi)))
      var innerLoop = l
      innerLoop.lowerBound = start
      innerLoop.upperBound = end
      let blocks = (hi - lo + strip - 1) / strip
      return .loop(
        Loop(
          variable: block, lowerBound: .constant(.int(0)), upperBound: .constant(.int(blocks)), kind: .serial,
          body: partial([.loop(innerLoop)], acc: acc, part: part, t: t)))
    }
  }

  /// The chain with loop `i` replaced by `replace(loop i)` (its enclosing loops kept).
  private func rebuild(_ chain: [Loop], upTo i: Int, _ replace: (Loop) -> Stmt) -> [Stmt] {
    var stmt = replace(chain[i])
    for l in chain[..<i].reversed() {
      var outer = l
      outer.body = [stmt]
      stmt = .loop(outer)
    }
    return [stmt]
  }

  /// `body` accumulating into a fresh partial `part`, added to `acc` at the end.
  private func partial(_ body: [Stmt], acc: String, part: String, t: DType) -> [Stmt] {
    let load = { (name: String) in Expr.load(Load(tensor: name, indices: [], bounds: .inBounds)) }
    return [
      .allocate(
        Buffer(name: part, dtype: t, shape: [], scope: .local),
        body: [.store(buffer: part, indices: [], value: .constant(.zero(t)))] + body.map { renaming($0, acc, to: part) }
          + [.store(buffer: acc, indices: [], value: .binary(.add, load(acc), load(part)))])
    ]
  }

  private func renaming(_ s: Stmt, _ from: String, to: String) -> Stmt {
    func expr(_ e: Expr) -> Expr {
      e.rewritten { node in
        guard case .load(var l) = node, l.tensor == from else { return nil }
        l.tensor = to
        return .load(l)
      }
    }
    switch s {
    case .loop(var l):
      l.body = l.body.map { renaming($0, from, to: to) }
      return .loop(l)
    case .store(let buffer, let indices, let value):
      return .store(buffer: buffer == from ? to : buffer, indices: indices.map(expr), value: expr(value))
    case .ifThen(let c, let t, let e):
      return .ifThen(condition: expr(c), then: t.map { renaming($0, from, to: to) }, else: e.map { renaming($0, from, to: to) })
    case .allocate(let b, let body):
      return .allocate(b, body: body.map { renaming($0, from, to: to) })
    }
  }
}
