import KevcBasic
import KevcIR

/// `tap-bounds`: a serial reduction loop runs only the iterations whose terms can be nonzero. A convolution's taps
/// that land on the zero padding (a transposed convolution's `x[n, c, d - a, i - p, j - q]` near the output's
/// borders, read from the padded copy `pad_input` makes or through a padded load) add `0 * w` to the accumulator;
/// where every store in the loop's body accumulates `acc[I] = acc[I] + t` and `t` is a product with a factor that is
/// zero outside an interval of the loop variable, the loop is clamped to that interval (the hull over every store),
/// so whole rows of taps at the borders are skipped and none inside.
///
/// Where a factor is zero: a load padded with 0 outside its buffer (`x[..] `, pad 0), or an unchecked load of a
/// workspace buffer every store of which copies another buffer through such a load at a constant offset per
/// dimension (`x.pad[.., k] = x[.., k - 2]`: zero outside `[2, X + 2)`), along a dimension whose index is
/// `e + c * r` in the loop variable r (c a nonzero integer constant). The terms of the other iterations are exactly
/// zero for finite operands (as in torch's transposed convolution, which runs only the taps on the input; a skipped
/// tap times an infinite or NaN weight would have made the output NaN). The interval of r is
/// `[min(e) - hi + 1, max(e) - lo + 1)` for `e - r`, `[lo - max(e), hi - min(e))` for `e + r`, and the same divided by
/// |c| (floor divisions, the lower end rounded up) for a stride, with `e`'s extremes over the loops inside r substituted
/// symbolically from their bounds (an over-approximation is exact: the extra taps read zeros), the enclosing loop
/// variables kept as they are, so the bounds are evaluated once per entry of the loop. A dimension whose index reads
/// a vectorized loop inside r is not used: its taps differ per lane, the loop keeps its constant trip count. The new
/// bounds are kept only where the shared interval analysis (`IndexArithmetic`, through `BoundsAnalysis.range`)
/// bounds them (no overflow).
///
/// Before (a tile of 2 output rows `i.i`, `x.pad` zero outside rows `[2, 18)`):
/// ```
/// for p in 0 .. 3 {
///   for i.i in 0 .. 2 unroll { %acc[i.i] = (%acc[i.i] + (%x.pad[(((2 * i.o) + i.i) - p) + 2] inbounds * %w[p])) }
/// }
/// ```
/// After:
/// ```
/// for p in max(0, ((((2 * i.o) + 0) + 2) - 18) + 1) .. min(3, ((((2 * i.o) + (2 - 1)) + 2) - 2) + 1) { ... }
/// ```
public enum TapBounds {
  /// The program with its serial accumulation loops clamped to the iterations whose terms can be nonzero.
  public static func apply(_ program: LoopProgram) -> LoopProgram {
    var buffers: [String: Buffer] = [:]
    for b in program.params + program.results + program.temporaries { buffers[b.name] = b }
    var walk = TapWalk(dims: program.dims, buffers: buffers, copies: paddedCopies(program, buffers))
    var out = program
    out.body = program.body.map { walk.rewrite($0) }
    return out
  }

  /// The interval of each dimension outside which a buffer is zero, for the workspace buffers every store of which
  /// copies one buffer through a zero-padded load at constant offsets (`x.pad[.., k] = x[.., k - 2]`: `[2, X + 2)`).
  static func paddedCopies(_ program: LoopProgram, _ buffers: [String: Buffer]) -> [String: [Range<Int64>]] {
    var stores: [String: [(indices: [Expr], value: Expr)]] = [:]
    func collect(_ s: Stmt) {
      switch s {
      case .loop(let l): l.body.forEach(collect)
      case .store(let b, let indices, let value): stores[b, default: []].append((indices, value))
      case .ifThen(_, let t, let e):
        t.forEach(collect)
        e.forEach(collect)
      case .allocate(_, let body): body.forEach(collect)
      }
    }
    program.body.forEach(collect)
    var out: [String: [Range<Int64>]] = [:]
    for t in program.temporaries where t.scope == .workspace {
      guard let all = stores[t.name], !all.isEmpty else { continue }
      var support: [Range<Int64>]? = nil
      for (indices, value) in all {
        guard case .load(let l) = stripCasts(value), zeroPadded(l), let source = buffers[l.tensor],
          source.shape.count == l.indices.count, indices.count == l.indices.count, indices.count == t.shape.count
        else {
          support = nil
          break
        }
        var mine: [Range<Int64>] = []
        for (k, (i, j)) in zip(indices, l.indices).enumerated() {
          guard let c = offset(j, from: i) else { break }
          mine.append((-c)..<(Int64(source.shape[k]) - c))
        }
        guard mine.count == indices.count, support == nil || support == mine else {
          support = nil
          break
        }
        support = mine
      }
      if let support { out[t.name] = support }
    }
    return out
  }

  /// c where `j` is `i + c` or `i - c` (c a constant), 0 where they are the same expression.
  static func offset(_ j: Expr, from i: Expr) -> Int64? {
    if j == i { return 0 }
    guard case .binary(let op, let a, .constant(let k)) = j, a == i, case .int(let c) = k.value,
      abs(c) < 1 << 40
    else { return nil }
    switch op {
    case .add: return c
    case .sub: return -c
    case .mul, .div, .mod, .max, .min, .pow, .lt, .le, .gt, .ge, .eq, .ne, .and, .or: return nil
    }
  }

  static func zeroPadded(_ l: Load) -> Bool {
    guard case .padded(let pad) = l.bounds else { return false }
    guard let pad else { return true }
    return pad == .zero(pad.dtype)
  }

  static func stripCasts(_ e: Expr) -> Expr {
    if case .cast(_, let inner) = e { return stripCasts(inner) }
    return e
  }

  /// The coefficient of `r` in the index `e` when `e` is linear in `r` (sums, differences, negations and products
  /// by integer constants); nil otherwise.
  static func coefficient(of r: String, in e: Expr) -> Int64? {
    guard e.indexNames.contains(r) else { return 0 }
    switch e {
    case .index(let v): return v == r ? 1 : 0
    case .binary(.add, let a, let b):
      guard let x = coefficient(of: r, in: a), let y = coefficient(of: r, in: b) else { return nil }
      return x.addingReportingOverflow(y).overflow ? nil : x + y
    case .binary(.sub, let a, let b):
      guard let x = coefficient(of: r, in: a), let y = coefficient(of: r, in: b) else { return nil }
      return x.subtractingReportingOverflow(y).overflow ? nil : x - y
    case .binary(.mul, let a, let b):
      for (k, other) in [(a, b), (b, a)] {
        guard case .constant(let c) = k, case .int(let v) = c.value, let x = coefficient(of: r, in: other) else {
          continue
        }
        return v.multipliedReportingOverflow(by: x).overflow ? nil : v * x
      }
      return nil
    case .unary(.neg, let a):
      return coefficient(of: r, in: a).flatMap { $0 == Int64.min ? nil : -$0 }
    case .constant, .dim, .scalar, .load, .unary, .binary, .select, .cast: return nil
    }
  }
}

/// A loop enclosing a store inside the loop being clamped.
private struct InnerLoop {
  var lowerBound: Expr
  var upperBound: Expr
  var vectorized: Bool
}

private struct TapWalk {
  let dims: [String: Int]
  let buffers: [String: Buffer]
  let copies: [String: [Range<Int64>]]
  /// Ranges of the enclosing loop variables (the shared interval analysis's inputs).
  var ranges: [String: ClosedRange<Int64>] = [:]

  init(dims: [String: Int], buffers: [String: Buffer], copies: [String: [Range<Int64>]]) {
    self.dims = dims
    self.buffers = buffers
    self.copies = copies
  }

  mutating func rewrite(_ s: Stmt) -> Stmt {
    switch s {
    case .loop(var l):
      if case .serial = l.kind, let (lo, hi) = clamp(l) {
        l.lowerBound = lo
        l.upperBound = hi
      }
      let saved = ranges[l.variable]
      ranges[l.variable] = FullTiles.range(of: l, ranges, dims: dims)
      l.body = l.body.map { rewrite($0) }
      ranges[l.variable] = saved
      return .loop(l)
    case .store: return s
    case .ifThen(let c, let t, let e):
      return .ifThen(condition: c, then: t.map { rewrite($0) }, else: e.map { rewrite($0) })
    case .allocate(let b, let body): return .allocate(b, body: body.map { rewrite($0) })
    }
  }

  /// The clamped bounds of `l`, or nil where some store is not an accumulation of a term that is zero outside an
  /// interval of its variable.
  func clamp(_ l: Loop) -> (Expr, Expr)? {
    var lows: [Expr] = []
    var highs: [Expr] = []
    var ok = true
    func visit(_ s: Stmt, _ inner: [String: InnerLoop]) {
      guard ok else { return }
      switch s {
      case .loop(let m):
        guard !m.lowerBound.indexNames.contains(l.variable), !m.upperBound.indexNames.contains(l.variable) else {
          ok = false
          return
        }
        var deeper = inner
        let vectorized: Bool
        switch m.kind {
        case .vectorized: vectorized = true
        case .serial, .parallel, .unrolled, .gpu: vectorized = false
        }
        deeper[m.variable] = InnerLoop(lowerBound: m.lowerBound, upperBound: m.upperBound, vectorized: vectorized)
        m.body.forEach { visit($0, deeper) }
      case .store(let buffer, let indices, let value):
        guard let term = accumulated(buffer, indices, value), let (lo, hi) = interval(term, l, inner) else {
          ok = false
          return
        }
        lows.append(lo)
        highs.append(hi)
      case .ifThen(_, let t, let e):
        t.forEach { visit($0, inner) }
        e.forEach { visit($0, inner) }
      case .allocate:
        ok = false
      }
    }
    l.body.forEach { visit($0, [:]) }
    guard ok, let firstLow = lows.first, let firstHigh = highs.first else { return nil }
    let low = lows.dropFirst().reduce(firstLow) { .binary(.min, $0, $1) }
    let high = highs.dropFirst().reduce(firstHigh) { .binary(.max, $0, $1) }
    let lo = Expr.binary(.max, l.lowerBound, low)
    let hi = Expr.binary(.min, l.upperBound, high)
    guard BoundsAnalysis.range(of: lo, variables: ranges, dims: dims) != nil,
      BoundsAnalysis.range(of: hi, variables: ranges, dims: dims) != nil
    else { return nil }
    return (lo, hi)
  }

  /// The term `t` of an accumulation `b[I] = b[I] + t` (or `t + b[I]`).
  func accumulated(_ buffer: String, _ indices: [Expr], _ value: Expr) -> Expr? {
    guard case .binary(.add, let x, let y) = value else { return nil }
    func isSelf(_ e: Expr) -> Bool {
      guard case .load(let l) = e else { return false }
      return l.tensor == buffer && l.indices == indices
    }
    if isSelf(x) { return y }
    if isSelf(y) { return x }
    return nil
  }

  /// The interval `[lo, hi)` of `r` outside which the term `t` is zero, or nil when none is known.
  func interval(_ t: Expr, _ loop: Loop, _ inner: [String: InnerLoop]) -> (Expr, Expr)? {
    let r = loop.variable
    switch TapBounds.stripCasts(t) {
    case .load(let l):
      let support: [Range<Int64>]
      if let s = copies[l.tensor] {
        support = s
      } else if TapBounds.zeroPadded(l), let b = buffers[l.tensor] {
        support = b.shape.map { 0..<Int64($0) }
      } else {
        return nil
      }
      guard support.count == l.indices.count else { return nil }
      var out: (Expr, Expr)? = nil
      for (index, s) in zip(l.indices, support) {
        guard let c = TapBounds.coefficient(of: r, in: index), c != 0, abs(c) < 1 << 20 else { continue }
        let rest = index.substituting([r: .constant(.int(0))])
        guard !rest.indexNames.contains(where: { inner[$0]?.vectorized == true }),
          let low = extreme(rest, upper: false, inner), let high = extreme(rest, upper: true, inner)
        else { continue }
        let lo: Expr
        let hi: Expr
        let k = Expr.constant(.int(abs(c)))
        func over(_ e: Expr) -> Expr { abs(c) == 1 ? e : .binary(.div, e, k) }  // floor division
        func overRoundingUp(_ e: Expr) -> Expr {
          abs(c) == 1 ? e : .binary(.div, .binary(.add, e, .constant(.int(abs(c) - 1))), k)
        }
        if c < 0 {
          // s.lo <= rest - |c| r < s.hi  <=>  rest - s.hi < |c| r <= rest - s.lo
          lo = overRoundingUp(.binary(.add, .binary(.sub, low, .constant(.int(s.upperBound))), .constant(.int(1))))
          hi = .binary(.add, over(.binary(.sub, high, .constant(.int(s.lowerBound)))), .constant(.int(1)))
        } else {
          // s.lo <= rest + c r < s.hi  <=>  s.lo - rest <= c r <= s.hi - 1 - rest
          lo = overRoundingUp(.binary(.sub, .constant(.int(s.lowerBound)), high))
          hi = .binary(
            .add, over(.binary(.sub, .constant(.int(s.upperBound - 1)), low)), .constant(.int(1)))
        }
        guard clamps(lo, hi, loop) else { continue }
        out = out.map { (.binary(.max, $0.0, lo), .binary(.min, $0.1, hi)) } ?? (lo, hi)
      }
      return out
    case .binary(.mul, let a, let b):
      switch (interval(a, loop, inner), interval(b, loop, inner)) {
      case (let x?, let y?): return (.binary(.max, x.0, y.0), .binary(.min, x.1, y.1))
      case (let x?, nil): return x
      case (nil, let y?): return y
      case (nil, nil): return nil
      }
    case .select(_, let value, let other):
      guard case .constant(let c) = TapBounds.stripCasts(other), c == .zero(c.dtype) else { return nil }
      return interval(value, loop, inner)
    case .unary(.neg, let a):
      return interval(a, loop, inner)
    case .constant, .index, .dim, .scalar, .unary, .binary, .cast: return nil
    }
  }

  /// Whether the interval `[lo, hi)` can exclude an iteration of `loop` (the interval analysis, the enclosing
  /// variables in their ranges): an unpadded convolution's `x[i + p]` bounds p by `[-i, H - i)`, never tighter than
  /// `[0, K)`, and clamping to it would only cost the loop its constant trip count.
  func clamps(_ lo: Expr, _ hi: Expr, _ loop: Loop) -> Bool {
    guard let own = FullTiles.range(of: loop, ranges, dims: dims),
      let low = BoundsAnalysis.range(of: lo, variables: ranges, dims: dims),
      let high = BoundsAnalysis.range(of: hi, variables: ranges, dims: dims)
    else { return false }
    return low.upperBound > own.lowerBound || high.lowerBound <= own.upperBound
  }

  /// The least (or, with `upper`, the greatest) value the index `e` takes over the loops inside the clamped loop
  /// (`inner`: their variables replaced by their bounds' extremes), the enclosing loops' variables kept; nil for an
  /// expression that is not monotone in them.
  func extreme(_ e: Expr, upper: Bool, _ inner: [String: InnerLoop]) -> Expr? {
    switch e {
    case .constant(let c):
      guard case .int = c.value else { return nil }
      return e
    case .dim: return e
    case .index(let v):
      guard let loop = inner[v] else { return e }
      if upper {
        return extreme(loop.upperBound, upper: true, inner).map { .binary(.sub, $0, .constant(.int(1))) }
      }
      return extreme(loop.lowerBound, upper: false, inner)
    case .binary(.add, let a, let b):
      guard let x = extreme(a, upper: upper, inner), let y = extreme(b, upper: upper, inner) else { return nil }
      return .binary(.add, x, y)
    case .binary(.sub, let a, let b):
      guard let x = extreme(a, upper: upper, inner), let y = extreme(b, upper: !upper, inner) else { return nil }
      return .binary(.sub, x, y)
    case .binary(let op, let a, let b) where op == .min || op == .max:
      guard let x = extreme(a, upper: upper, inner), let y = extreme(b, upper: upper, inner) else { return nil }
      return .binary(op, x, y)
    case .binary(.mul, let a, let b):
      for (k, other) in [(a, b), (b, a)] {
        guard case .constant(let c) = k, case .int(let v) = c.value else { continue }
        guard let x = extreme(other, upper: v >= 0 ? upper : !upper, inner) else { return nil }
        return .binary(.mul, k, x)
      }
      guard a.indexNames.isDisjoint(with: inner.keys), b.indexNames.isDisjoint(with: inner.keys) else { return nil }
      return e
    case .unary(.neg, let a):
      return extreme(a, upper: !upper, inner).map { .unary(.neg, $0) }
    case .scalar, .load, .unary, .binary, .select, .cast:
      return e.indexNames.isDisjoint(with: inner.keys) && e.loads.isEmpty ? e : nil
    }
  }
}
