import KevcBasic
import KevcIR

/// `full-tiles`: versions a local tile (a register-tile accumulator) on whether the tile is full. A loop inside a
/// `local` allocation bounded by `min(c, e)` (a tile's tail: `min(16, 62 - 16 * l.o)`) runs c iterations on every
/// tile but the last; the allocation becomes `if every such e >= c { body with those bounds c } else { body }`, so
/// that on full tiles every trip count is a constant and LLVM can unroll the tile, vectorize it without a remainder
/// and keep its accumulators in registers. When only the last value K of the tile loop o leaves a partial tile
/// (a split's tail), the versions are `o < K and e >= c` (full), `o == K` (o fixed, and the loops that only
/// accumulate into the tile run the full width, their other reads padded: the extra columns are never copied
/// out) and anything else as it was. Values are unchanged (each version is exact under its condition).
/// Measured on a 2-core EPYC, one thread: conv1d 32x32x64 -> 64 channels, output length 62 (a tail in every row)
/// 9.3 ms -> 0.58 ms (0.23 ms at a tail-free length).
///
/// Before:
/// ```
/// local %y.acc: f32[4, 16] {
///   for y.acc.l.i in 0 .. min(16, (62 - (16 * l.o))) vectorize(16) { ... }
/// }
/// ```
/// After (l.o in 0 .. 4):
/// ```
/// if ((l.o < 3) and ((62 - (16 * l.o)) >= 16)) {
///   local %y.acc: f32[4, 16] { for y.acc.l.i in 0 .. 16 vectorize(16) { ... } }
/// } else if (l.o == 3) {
///   local %y.acc: f32[4, 16] { for y.acc.l.i in 0 .. 16 vectorize(16) { ... padded reads } ; copy-out of 14 }
/// } else {
///   local %y.acc: f32[4, 16] { for y.acc.l.i in 0 .. min(16, (62 - (16 * l.o))) vectorize(16) { ... } }
/// }
/// ```
public enum FullTiles {
  /// The program with its local tiles versioned, then its loads re-checked (`BoundsAnalysis`: inside a full tile,
  /// the condition's `o < K` bounds the tile's indices, so reads a tail could push past an edge are proven inside).
  public static func version(_ program: LoopProgram) -> LoopProgram {
    var p = program
    var walk = Walk(program: program)
    p.body = p.body.map { walk.version($0) }
    return BoundsAnalysis.apply(p)
  }
}

private struct Walk {
  let dims: [String: Int]
  /// The program (its buffers), for the bounds analysis of a tile's interior.
  let program: LoopProgram
  /// Ranges of the enclosing loop variables.
  var ranges: [String: ClosedRange<Int64>] = [:]
  /// Enclosing loop variables whose iterations run on the thread pool.
  var parallel: Set<String> = []

  init(program: LoopProgram) {
    self.dims = program.dims
    self.program = program
  }

  mutating func version(_ s: Stmt) -> Stmt {
    switch s {
    case .loop(var l):
      let saved = ranges[l.variable]
      ranges[l.variable] = FullTiles.range(of: l, ranges, dims: dims)
      let wasParallel = parallel.contains(l.variable)
      if l.kind == .parallel { parallel.insert(l.variable) }
      l.body = l.body.map { version($0) }
      ranges[l.variable] = saved
      if !wasParallel { parallel.remove(l.variable) }
      return .loop(l)
    case .store:
      return s
    case .ifThen(let c, let t, let e):
      return .ifThen(condition: c, then: t.map { version($0) }, else: e.map { version($0) })
    case .allocate(let buffer, let body):
      guard buffer.scope == .local else { return .allocate(buffer, body: body.map { version($0) }) }
      let box = interior(body)
      if !box.isEmpty {
        let bounds: [Expr] = box.map { (o, r) in
          Expr.binary(
            .and, .binary(.ge, .index(o), .constant(.int(r.lowerBound))),
            .binary(.le, .index(o), .constant(.int(r.upperBound))))
        }
        let inside = bounds.dropFirst().reduce(bounds[0]) { Expr.binary(.and, $0, $1) }
        return .ifThen(condition: inside, then: [tile(buffer, body, depth: 0)], else: [tile(buffer, body, depth: 0)])
      }
      return tile(buffer, body, depth: 0)
    }
  }

  /// The interior of a tile's padded reads: for the enclosing loop variables their indices read, the values
  /// (a proper part of each range) for which the bounds analysis proves every padded read of the tile inside its
  /// buffer (a pooling window or a padded convolution away from the edges). Each variable's interval is found with
  /// it fixed at values from each end of its range (at most 64 from each) and the others at their middle values; the
  /// whole box is checked again. Versioned `if a <= o <= b and ...`, the interior tile reads without a bounds check
  /// per lane (max_pool1d's dilated window: a select per lane in the inner loop). Empty when there is none.
  func interior(_ body: [Stmt]) -> [(String, ClosedRange<Int64>)] {
    var used = Set<String>()
    for st in body { FullTiles.collectPaddedIndexNames(st, &used) }
    let candidates = used.filter { ranges[$0].map { $0.count > 2 } ?? false }.sorted()
    guard !candidates.isEmpty, candidates.count <= 3 else { return [] }
    func padded(_ narrowed: [String: ClosedRange<Int64>]) -> Int {
      // The tile inside loops over the enclosing variables' ranges (narrowed ones narrowed), analysed as a program.
      var nest = body
      for (v, r) in ranges.sorted(by: { $0.key > $1.key }) {
        let span = narrowed[v] ?? r
        nest = [
          .loop(Loop(variable: v, lowerBound: .constant(.int(span.lowerBound)),
            upperBound: .constant(.int(span.upperBound + 1)), kind: .serial, body: nest))
        ]
      }
      var p = program
      p.body = nest
      var count = 0
      for st in BoundsAnalysis.apply(p).body { FullTiles.countPadded(st, &count) }
      return count
    }
    guard padded([:]) > 0 else { return [] }
    var middle: [String: ClosedRange<Int64>] = [:]
    for c in candidates {
      guard let r = ranges[c] else { return [] }
      let m = r.lowerBound + (r.upperBound - r.lowerBound) / 2
      middle[c] = m...m
    }
    var box: [(String, ClosedRange<Int64>)] = []
    let steps = Int64(64)
    for c in candidates {
      guard let range = ranges[c] else { return [] }
      func inside(_ v: Int64) -> Bool {
        var n = middle
        n[c] = v...v
        return padded(n) == 0
      }
      var a: Int64? = nil
      var v = range.lowerBound
      while v <= range.upperBound, v < range.lowerBound + steps {
        if inside(v) { a = v; break }
        v += 1
      }
      var b: Int64? = nil
      v = range.upperBound
      while v >= range.lowerBound, v > range.upperBound - steps {
        if inside(v) { b = v; break }
        v -= 1
      }
      guard let a, let b, a <= b else { return [] }
      if a > range.lowerBound || b < range.upperBound { box.append((c, a...b)) }
    }
    guard !box.isEmpty, padded(Dictionary(uniqueKeysWithValues: box)) == 0 else { return [] }
    return box
  }

  /// One tail at a time (at most 3 levels: rows, columns and one more): `if o < K and e >= c { full along it }
  /// else if o == K { the last tile, o = K } else { as is }` when only o's last value K leaves a partial tile, else
  /// `if e >= c { full } else { as is }`; then the next tail in each version.
  func tile(_ buffer: Buffer, _ body: [Stmt], depth: Int) -> Stmt {
    var inner = Set<String>()
    var single: [String: Expr] = [:]
    for st in body { FullTiles.collectLoops(st, &inner, &single) }
    var tails: [Expr: Int64] = [:]
    for st in body { FullTiles.collectTails(st, inner: inner, single: single, &tails) }
    // A tail whose extent is already known (a constant after substitution) needs no version.
    let open = tails.filter { BoundsAnalysis.range(of: $0.key, variables: [:], dims: dims).map { $0.count != 1 } ?? true }
    guard depth < 3, let (e, c) = open.sorted(by: { "\($0.key)" < "\($1.key)" }).first else {
      return .allocate(buffer, body: body)
    }
    let full = body.map { FullTiles.fill($0, single: single, [e: c]) }
    let condition = Expr.binary(.ge, e, .constant(.int(c)))
    if let (o, k) = lastTile(e, c) {
      let fixed = [o: Expr.constant(.int(k))]
      // Shifted back to end at the edge (every lane a real column, reads in bounds), or, where that is not exact
      // (the tile loop runs on the thread pool, or the tile reads what it writes), widened with padded reads.
      var atLast = ranges
      atLast[o] = k...k
      var shifted =
        parallel.contains(o) ? nil : FullTiles.shiftedBack(body, o, k, tile: buffer.name, single: single, dims: dims)
      // The shifted loops index the tile with their whole width too: only where that stays inside it (a tile index
      // `i + 2` on the last tile, inside for its 3 columns, not for 5).
      if let s = shifted,
        !FullTiles.accessesInside(
          buffer, s, changed: FullTiles.tailLoops(of: o, body, single: single), ranges: atLast, dims: dims)
      {
        shifted = nil
      }
      let last =
        shifted?.map { FullTiles.substitute($0, fixed) }
        ?? body.map {
          FullTiles.substitute(
            FullTiles.widen($0, tile: buffer, tail: (e, c), single: single, ranges: atLast, dims: dims), fixed)
        }
      return .ifThen(
        condition: .binary(.and, .binary(.lt, .index(o), .constant(.int(k))), condition),
        then: [tile(buffer, full, depth: depth + 1)],
        else: [
          .ifThen(
            condition: .binary(.eq, .index(o), .constant(.int(k))), then: [tile(buffer, last, depth: depth + 1)],
            else: [.allocate(buffer, body: body)])
        ])
    }
    return .ifThen(
      condition: condition, then: [tile(buffer, full, depth: depth + 1)], else: [tile(buffer, body, depth: depth + 1)])
  }

  /// For a tail `e >= c` that reads one enclosing loop variable o (ranging up to K) whose tile is full at o's lowest
  /// value and at K - 1 and partial at K (values of e from the interval analysis with o fixed): (o, K). The full
  /// version runs under `o < K and e >= c`, the last tile under `o == K` with o substituted (its bounds become
  /// constants), anything else (a partial tile in the middle, which a split's tail never is) as it was: each
  /// version is exact under its condition.
  func lastTile(_ e: Expr, _ c: Int64) -> (String, Int64)? {
    guard e.indexNames.count == 1, let o = e.indexNames.first, let range = ranges[o], range.count > 1 else {
      return nil
    }
    func full(_ v: Int64) -> Bool? {
      guard let r = BoundsAnalysis.range(of: e, variables: [o: v...v], dims: dims), r.lowerBound == r.upperBound
      else { return nil }
      return r.lowerBound >= c
    }
    let k = range.upperBound
    guard full(range.lowerBound) == true, full(k - 1) == true, full(k) == false else { return nil }
    return (o, k)
  }
}

extension FullTiles {
  /// The last tile computed at the full width: a loop bounded by the versioned tail `min(c, e)` (the same e, up to
  /// single-iteration loops and spelling: `sameTail`) whose statements store only into the tile's own buffer (the
  /// accumulation, not the copy-out) runs c iterations, its reads of other buffers padded (the extra lanes read the
  /// pad value where they leave a buffer, and the bounds analysis proves the rest inside again). The extra lanes fill
  /// accumulator columns that are never copied out; the accumulators keep constant indices without masks, so LLVM
  /// keeps them in registers (a predicated 14-of-16-lane tile kept them in memory: 10x slower per element). A loop
  /// is widened only when the interval analysis proves that the tile's indices that read its variable stay inside
  /// the tile at the full width (`ranges`: the enclosing variables, the tile's index fixed at its last value). Every
  /// loop of another tail once ran at the full width: a staged copy's `min(4, 1 - 4 * d2.o)` (an unroll by 4 over an
  /// extent of 1) stored past its stack buffer (difftest s2026-p106, an O3 segfault).
  static func widen(
    _ s: Stmt, tile: Buffer, tail: (e: Expr, c: Int64), single: [String: Expr], ranges: [String: ClosedRange<Int64>],
    dims: [String: Int]
  ) -> Stmt {
    switch s {
    case .loop(var l):
      if l.lowerBound == .constant(.int(0)), case .binary(.min, let a, let b) = l.upperBound,
        storesOnly(into: tile.name, l.body)
      {
        for (side, other) in [(a, b), (b, a)] {
          guard case .constant(let k) = side, case .int(let v) = k.value, v == tail.c,
            sameTail(other.substituting(single), tail, ranges: ranges, dims: dims)
          else { continue }
          var wide = l
          wide.upperBound = side
          wide.body = l.body.map { padded($0, except: tile.name) }
          if accessesInside(tile, [.loop(wide)], changed: [l.variable], ranges: ranges, dims: dims) {
            return .loop(wide)
          }
        }
      }
      var inner = ranges
      inner[l.variable] = range(of: l, ranges, dims: dims)
      l.body = l.body.map { widen($0, tile: tile, tail: tail, single: single, ranges: inner, dims: dims) }
      return .loop(l)
    case .store:
      return s
    case .ifThen(let c, let t, let e):
      func each(_ b: [Stmt]) -> [Stmt] {
        b.map { widen($0, tile: tile, tail: tail, single: single, ranges: ranges, dims: dims) }
      }
      return .ifThen(condition: c, then: each(t), else: each(e))
    case .allocate(let buffer, let body):
      guard buffer.name != tile.name else { return s }  // an inner buffer of the same name hides the tile
      return .allocate(
        buffer, body: body.map { widen($0, tile: tile, tail: tail, single: single, ranges: ranges, dims: dims) })
    }
  }

  /// Whether `e` is the versioned tail's extent: the same expression, or another spelling of it (matmul's
  /// `(min(4 * m.o + 4, 67) - 4 * m.o) - 4 * c.acc.m.o` beside `67 - 4 * m.o`) that reads a variable of it and takes
  /// its single value on the last tile (`ranges`: the tile's index fixed at its last value), at least 1 (so the
  /// loop ran on the last tile, with every index that does not read its variable).
  static func sameTail(
    _ e: Expr, _ tail: (e: Expr, c: Int64), ranges: [String: ClosedRange<Int64>], dims: [String: Int]
  ) -> Bool {
    guard let theirs = BoundsAnalysis.range(of: tail.e, variables: ranges, dims: dims), theirs.count == 1,
      theirs.lowerBound >= 1
    else { return false }
    if e == tail.e { return true }
    guard !e.indexNames.isDisjoint(with: tail.e.indexNames),
      let mine = BoundsAnalysis.range(of: e, variables: ranges, dims: dims)
    else { return false }
    return mine == theirs
  }

  /// The range of a loop's variable from its bounds' ranges under `ranges`; nil when unknown or empty.
  static func range(
    of l: Loop, _ ranges: [String: ClosedRange<Int64>], dims: [String: Int]
  ) -> ClosedRange<Int64>? {
    guard let lo = BoundsAnalysis.range(of: l.lowerBound, variables: ranges, dims: dims),
      let hi = BoundsAnalysis.range(of: l.upperBound, variables: ranges, dims: dims), hi.upperBound > Int64.min,
      lo.lowerBound <= hi.upperBound - 1
    else { return nil }
    return lo.lowerBound...(hi.upperBound - 1)
  }

  /// Whether, in `stmts`, every index of a store into `tile` or of an unchecked (`inBounds`) load of it that reads a
  /// `changed` variable (the widened loop's, and those of the loops whose bounds read one) provably lies inside the
  /// tile's extent, the enclosing variables in `ranges`, and every store into the tile reads one (its extra lanes
  /// write elements of their own, not one the real lanes use: `acc[j] = max(acc[j], x[..])` along the widened loop
  /// would take the pad value into the maximum). The other indices take the values they took before the widening. A
  /// variable of unknown range makes the answer no.
  static func accessesInside(
    _ tile: Buffer, _ stmts: [Stmt], changed: Set<String>, ranges: [String: ClosedRange<Int64>], dims: [String: Int]
  ) -> Bool {
    func inside(_ indices: [Expr], store: Bool = false) -> Bool {
      guard indices.count == tile.shape.count else { return false }
      // A store whose indices read no changed variable would write the extra lanes' values over a used element.
      if store, indices.allSatisfy({ $0.indexNames.isDisjoint(with: changed) }) { return false }
      return zip(indices, tile.shape).allSatisfy { (i, extent) in
        guard !i.indexNames.isDisjoint(with: changed) else { return true }
        guard let r = BoundsAnalysis.range(of: i, variables: ranges, dims: dims) else { return false }
        return r.lowerBound >= 0 && r.upperBound < Int64(extent)
      }
    }
    func loadsInside(_ e: Expr) -> Bool {
      e.loads.allSatisfy { $0.tensor != tile.name || $0.bounds != .inBounds || inside($0.indices) }
    }
    return stmts.allSatisfy { s in
      switch s {
      case .loop(let l):
        var inner = ranges
        inner[l.variable] = range(of: l, ranges, dims: dims)
        var innerChanged = changed
        if !(l.lowerBound.indexNames.union(l.upperBound.indexNames)).isDisjoint(with: changed) {
          innerChanged.insert(l.variable)
        }
        return loadsInside(l.lowerBound) && loadsInside(l.upperBound)
          && accessesInside(tile, l.body, changed: innerChanged, ranges: inner, dims: dims)
      case .store(let buffer, let indices, let value):
        return (buffer != tile.name || inside(indices, store: true)) && indices.allSatisfy(loadsInside)
          && loadsInside(value)
      case .ifThen(let c, let t, let e):
        return loadsInside(c) && accessesInside(tile, t + e, changed: changed, ranges: ranges, dims: dims)
      case .allocate(let buffer, let body):
        return buffer.name == tile.name
          || accessesInside(tile, body, changed: changed, ranges: ranges, dims: dims)
      }
    }
  }

  /// The last tile (o = k) shifted back so that it ends at the edge: a loop `0 .. min(c, e)` whose e reads o and is
  /// the constant r < c at o = k (the last tile's r columns) runs c iterations, and everything in it but the
  /// tile buffer's own indices reads its variable v as `v - (c - r)`: the tile computes the c columns that end at
  /// the edge, of which the first c - r were computed by the tile before (the same values, stored again). Every
  /// lane is a real column, so the reads stay inside their buffers without a mask (the widened tile read past the
  /// edge: a masked load per tap, with its mask computed per lane; conv3d_square's 14 columns as 8 + 6 spent more
  /// time in its 6-column tiles than in its full ones). Nil when it does not apply exactly: a buffer that the tile
  /// writes besides its own is also read in it (an accumulation into the output), a loop bounded by `min(c, e)`
  /// whose e reads o but is not a constant at o = k (single-iteration loop variables taken as 0), or no loop has
  /// such a bound, or they would shift by different amounts, or the tile is read or written outside them (a staged
  /// copy of an input filled by other loops holds the unshifted columns): every tail loop of o in the tile (its
  /// accumulation and its copy-out) is shifted, or none. Tails of other loops (the rows' when o runs over columns)
  /// are left to the next version. o is not substituted.
  static func shiftedBack(
    _ body: [Stmt], _ o: String, _ k: Int64, tile: String, single: [String: Expr], dims: [String: Int]
  ) -> [Stmt]? {
    var stored = Set<String>()
    var read = Set<String>()
    for s in body { collectAccesses(s, stored: &stored, read: &read) }
    stored.remove(tile)
    guard stored.isDisjoint(with: read) else { return nil }
    var amounts = Set<Int64>()
    var exact = true
    // Every access of the tile must lie in a shifted loop (the tile then holds, lane for lane, the shifted columns):
    // a staged copy filled outside the tail loops holds the unshifted ones.
    func touchesTile(_ e: Expr) -> Bool { e.loads.contains { $0.tensor == tile } }
    func walk(_ s: Stmt, inside: Bool) -> Stmt {
      switch s {
      case .loop(var l):
        if !inside, touchesTile(l.lowerBound) || touchesTile(l.upperBound) { exact = false }
        var shiftedHere = inside
        if l.lowerBound == .constant(.int(0)), let (e, c) = tail(l.upperBound, inner: [], single: single),
          e.indexNames.contains(o)
        {
          guard let r = BoundsAnalysis.range(of: e, variables: [o: k...k], dims: dims), r.lowerBound == r.upperBound,
            r.lowerBound >= 1, r.lowerBound < c, !inside
          else {
            exact = false
            return s
          }
          l.upperBound = .constant(.int(c))
          l.body = l.body.map { shift($0, l.variable, by: c - r.lowerBound, except: tile) }
          amounts.insert(c - r.lowerBound)
          shiftedHere = true
        }
        l.body = l.body.map { walk($0, inside: shiftedHere) }
        return .loop(l)
      case .store(let buffer, let indices, let value):
        if !inside, buffer == tile || touchesTile(value) || indices.contains(where: touchesTile) { exact = false }
        return s
      case .ifThen(let c, let t, let e):
        if !inside, touchesTile(c) { exact = false }
        return .ifThen(condition: c, then: t.map { walk($0, inside: inside) }, else: e.map { walk($0, inside: inside) })
      case .allocate(let buffer, let inner):
        return .allocate(buffer, body: inner.map { walk($0, inside: inside) })
      }
    }
    let out = body.map { walk($0, inside: false) }
    // One shift for every tail loop of o: the lanes of the tile mean the same columns in each.
    return amounts.count == 1 && exact ? out : nil
  }

  /// The variables of the loops `0 .. min(c, e)` whose e reads `o` (the loops `shiftedBack` runs at the full width).
  static func tailLoops(of o: String, _ body: [Stmt], single: [String: Expr]) -> Set<String> {
    var out = Set<String>()
    func walk(_ s: Stmt) {
      switch s {
      case .loop(let l):
        if l.lowerBound == .constant(.int(0)), let (e, _) = tail(l.upperBound, inner: [], single: single),
          e.indexNames.contains(o)
        {
          out.insert(l.variable)
        }
        l.body.forEach(walk)
      case .store: break
      case .ifThen(_, let t, let e): (t + e).forEach(walk)
      case .allocate(_, let inner): inner.forEach(walk)
      }
    }
    body.forEach(walk)
    return out
  }

  /// `v` read as `v - s` everywhere in the statement except in the indices of `tile` (its loads and stores).
  static func shift(_ s: Stmt, _ v: String, by amount: Int64, except tile: String) -> Stmt {
    func rewrite(_ e: Expr) -> Expr {
      switch e {
      case .load(let l) where l.tensor == tile: return e
      case .index(let name) where name == v: return .binary(.sub, e, .constant(.int(amount)))
      case .constant, .index, .dim, .scalar, .load, .unary, .cast, .binary, .select:
        return e.children.isEmpty ? e : e.withChildren(e.children.map(rewrite))
      }
    }
    switch s {
    case .loop(var l):
      l.lowerBound = rewrite(l.lowerBound)
      l.upperBound = rewrite(l.upperBound)
      l.body = l.body.map { shift($0, v, by: amount, except: tile) }
      return .loop(l)
    case .store(let buffer, let indices, let value):
      return .store(buffer: buffer, indices: buffer == tile ? indices : indices.map(rewrite), value: rewrite(value))
    case .ifThen(let c, let t, let e):
      return .ifThen(
        condition: rewrite(c), then: t.map { shift($0, v, by: amount, except: tile) },
        else: e.map { shift($0, v, by: amount, except: tile) })
    case .allocate(let buffer, let body):
      return .allocate(buffer, body: body.map { shift($0, v, by: amount, except: tile) })
    }
  }

  /// Buffers the statement stores into and buffers it loads from (each expression visited once).
  static func collectAccesses(_ s: Stmt, stored: inout Set<String>, read: inout Set<String>) {
    forEachExpr(s) { e in for l in e.loads { read.insert(l.tensor) } }
    func stores(_ s: Stmt) {
      switch s {
      case .loop(let l): l.body.forEach(stores)
      case .store(let buffer, _, _): stored.insert(buffer)
      case .ifThen(_, let t, let e): (t + e).forEach(stores)
      case .allocate(_, let body): body.forEach(stores)
      }
    }
    stores(s)
  }

  static func storesOnly(into tile: String, _ body: [Stmt]) -> Bool {
    body.allSatisfy { s in
      switch s {
      case .loop(let l): return storesOnly(into: tile, l.body)
      case .store(let buffer, _, _): return buffer == tile
      case .ifThen(_, let t, let e): return storesOnly(into: tile, t + e)
      case .allocate: return false
      }
    }
  }

  /// Every read of a buffer other than `tile` made padded (with the zero of its type).
  static func padded(_ s: Stmt, except tile: String) -> Stmt {
    func pad(_ e: Expr) -> Expr {
      e.rewritten { node in
        guard case .load(var l) = node, l.tensor != tile, l.bounds == .inBounds else { return nil }
        l.indices = l.indices.map(pad)
        l.bounds = .padded(nil)
        return .load(l)
      }
    }
    switch s {
    case .loop(var l):
      l.body = l.body.map { padded($0, except: tile) }
      return .loop(l)
    case .store(let buffer, let indices, let value):
      return .store(buffer: buffer, indices: indices.map(pad), value: pad(value))
    case .ifThen(let c, let t, let e):
      return .ifThen(condition: pad(c), then: t.map { padded($0, except: tile) }, else: e.map { padded($0, except: tile) })
    case .allocate(let buffer, let body):
      return .allocate(buffer, body: body.map { padded($0, except: tile) })
    }
  }

  /// The statement with index variables replaced (bounds, indices, values and conditions).
  static func substitute(_ s: Stmt, _ map: [String: Expr]) -> Stmt {
    switch s {
    case .loop(var l):
      l.lowerBound = l.lowerBound.substituting(map)
      l.upperBound = l.upperBound.substituting(map)
      l.body = l.body.map { substitute($0, map) }
      return .loop(l)
    case .store(let buffer, let indices, let value):
      return .store(buffer: buffer, indices: indices.map { $0.substituting(map) }, value: value.substituting(map))
    case .ifThen(let c, let t, let e):
      return .ifThen(
        condition: c.substituting(map), then: t.map { substitute($0, map) }, else: e.map { substitute($0, map) })
    case .allocate(let buffer, let body):
      return .allocate(buffer, body: body.map { substitute($0, map) })
    }
  }
}

extension FullTiles {
  /// Calls `visit` on every expression of the statement (bounds, indices, values and conditions).
  static func forEachExpr(_ s: Stmt, _ visit: (Expr) -> Void) {
    switch s {
    case .loop(let l):
      visit(l.lowerBound)
      visit(l.upperBound)
      for b in l.body { forEachExpr(b, visit) }
    case .store(_, let indices, let value):
      indices.forEach(visit)
      visit(value)
    case .ifThen(let c, let t, let e):
      visit(c)
      for b in t + e { forEachExpr(b, visit) }
    case .allocate(_, let body):
      for b in body { forEachExpr(b, visit) }
    }
  }

  /// Index variables read by the indices of padded loads.
  static func collectPaddedIndexNames(_ s: Stmt, _ names: inout Set<String>) {
    var found = Set<String>()
    forEachExpr(s) { e in
      for l in e.loads where l.bounds != .inBounds { for i in l.indices { found.formUnion(i.indexNames) } }
    }
    names.formUnion(found)
  }

  /// The number of padded loads.
  static func countPadded(_ s: Stmt, _ count: inout Int) {
    var n = 0
    forEachExpr(s) { e in n += e.loads.filter { $0.bounds != .inBounds }.count }
    count += n
  }

  /// Loop variables declared inside a tile, and those of single-iteration loops `0 .. 1` (always 0).
  static func collectLoops(_ s: Stmt, _ inner: inout Set<String>, _ single: inout [String: Expr]) {
    switch s {
    case .loop(let l):
      inner.insert(l.variable)
      if l.lowerBound == .constant(.int(0)), l.upperBound == .constant(.int(1)) { single[l.variable] = .constant(.int(0)) }
      for b in l.body { collectLoops(b, &inner, &single) }
    case .store:
      break
    case .ifThen(_, let t, let e):
      for b in t + e { collectLoops(b, &inner, &single) }
    case .allocate(_, let body):
      for b in body { collectLoops(b, &inner, &single) }
    }
  }

  /// A bound `min(c, e)` with a constant c >= 2, whose e reads no loop variable of the tile except single-iteration
  /// ones (substituted by 0): a tail.
  static func tail(_ bound: Expr, inner: Set<String>, single: [String: Expr]) -> (Expr, Int64)? {
    guard case .binary(.min, let a, let b) = bound else { return nil }
    let (c, e): (Int64, Expr)
    if case .constant(let k) = a, case .int(let v) = k.value {
      (c, e) = (v, b)
    } else if case .constant(let k) = b, case .int(let v) = k.value {
      (c, e) = (v, a)
    } else {
      return nil
    }
    let outer = e.substituting(single)
    guard c >= 2, outer.indexNames.isDisjoint(with: inner), outer.loads.isEmpty else { return nil }
    return (outer, c)
  }

  static func collectTails(_ s: Stmt, inner: Set<String>, single: [String: Expr], _ tails: inout [Expr: Int64]) {
    switch s {
    case .loop(let l):
      if l.lowerBound == .constant(.int(0)), let (e, c) = tail(l.upperBound, inner: inner, single: single) {
        tails[e] = c
      }
      for b in l.body { collectTails(b, inner: inner, single: single, &tails) }
    case .store:
      break
    case .ifThen(_, let t, let e):
      for b in t + e { collectTails(b, inner: inner, single: single, &tails) }
    case .allocate(_, let body):
      for b in body { collectTails(b, inner: inner, single: single, &tails) }
    }
  }

  /// The tile's statements with every tail bound replaced by its constant.
  static func fill(_ s: Stmt, single: [String: Expr], _ tails: [Expr: Int64]) -> Stmt {
    switch s {
    case .loop(var l):
      if l.lowerBound == .constant(.int(0)), case .binary(.min, let a, let b) = l.upperBound {
        for (side, other) in [(a, b), (b, a)] {
          if case .constant(let k) = side, case .int(let v) = k.value, tails[other.substituting(single)] == v {
            l.upperBound = side
            break
          }
        }
      }
      l.body = l.body.map { fill($0, single: single, tails) }
      return .loop(l)
    case .store:
      return s
    case .ifThen(let c, let t, let e):
      return .ifThen(
        condition: c, then: t.map { fill($0, single: single, tails) }, else: e.map { fill($0, single: single, tails) })
    case .allocate(let buffer, let body):
      return .allocate(buffer, body: body.map { fill($0, single: single, tails) })
    }
  }
}
