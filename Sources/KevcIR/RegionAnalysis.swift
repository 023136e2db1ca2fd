import KevcBasic

/// The region of a producer that one iteration of a consumer's loop reads: for each producer axis, a start that is
/// an affine function of the consumer's loop variables at or outside the loop, and a constant extent.
///
/// Each consumer axis is first written in its loop variables (`n = n.o * 8 + n.i` after a split); loop variables
/// inside the chosen loop range over their extents, the others stay symbolic. An index that is not affine in the
/// consumer's axes (a gather, a product of two axes) has no region.
///
/// A consumer that is itself computed over a region (inside its own consumer) runs a split axis from the start of
/// that region: `n = origin(n) + n.o * 8 + n.i`, where `origin(n)` (a variable named by `origin(of:)`) is fixed for
/// the whole nest and is replaced by the region's start when the nest is lowered. Where the reads of one producer
/// axis move differently with the consumer's outer loops or origins (`t[B - 1 - n]` and `t[n]` read by a consumer
/// computed over a window of `n`), no box of fixed size follows them; the region is then the producer's whole axis
/// (start 0), which covers every read.
public struct RegionDimension: Hashable, Sendable {
  /// The first element, in the consumer's loop variables (those at or outside the compute loop).
  public var start: Expr
  public var extent: Int

  public init(start: Expr, extent: Int) {
    self.start = start
    self.extent = extent
  }
}

public struct RegionAnalysis: Sendable {
  public let kernel: Kernel

  public init(_ kernel: Kernel) { self.kernel = kernel }

  typealias Affine = IndexArithmetic.Affine

  /// The affine form of an index expression in the definition's index variables, or nil (the shared analysis).
  func affine(_ e: Expr) -> Affine? { IndexArithmetic(dims: kernel.dimBindings).affine(e) }

  /// The index variables of an affine index expression with their coefficients (`l + k - 1` -> [l: 1, k: 1]), or
  /// nil when the expression is not affine (a gather through a load, a product of two variables, a float).
  public func affineTerms(_ e: Expr) -> [String: Int]? { affine(e)?.terms }

  /// The variable standing for the first point of axis `axis` in the region a consumer computed inside another
  /// definition is computed over (not a valid IR name, so it never clashes with a loop).
  public static func origin(of axis: String) -> String { "origin#\(axis)" }

  /// Each root index variable of `d` as an affine form of its loop variables (`n -> 8 * n.o + n.i`), with the
  /// lower bound of reduction axes added, and the region's origin for a split axis of a definition computed inside
  /// another one (its split loops count from there).
  func loopForms(of d: Definition) throws(ScheduleQueryError) -> [String: Affine] {
    let s = d.effectiveSchedule
    if let f = s.fusion {
      throw ScheduleQueryError(
        "'\(d.name)' iterates '\(f.outer)' and '\(f.inner)' as the fused loop '\(f.variable)'; its reads are not affine in its loops")
    }
    var forms: [String: Affine] = [:]
    func form(_ v: String) -> Affine {
      if let split = s.splits.first(where: { $0.variable == v }) {
        return form(split.outer).scaled(split.factor) + form(split.inner)
      }
      return Affine(constant: 0, terms: [v: 1])
    }
    let overRegion: Bool
    switch s.placement {
    case .root: overRegion = false
    case .computeAt: overRegion = true
    }
    for a in d.axes {
      forms[a.name] = form(a.name)
      if overRegion, s.splits.contains(where: { $0.variable == a.name }) {
        forms[a.name] = (forms[a.name] ?? Affine(constant: 0, terms: [:])) + Affine(constant: 0, terms: [Self.origin(of: a.name): 1])
      }
    }
    for r in d.reduction?.axes ?? [] {
      let lo = kernel.constantValue(r.lowerBound) ?? 0
      forms[r.name] = form(r.name) + Affine(constant: lo, terms: [:])
    }
    return forms
  }

  public func region(of producer: Definition, readBy consumer: Definition, at loop: String) throws(ScheduleQueryError)
    -> [RegionDimension]
  {
    let s = consumer.effectiveSchedule
    guard let at = s.loops.firstIndex(where: { $0.name == loop }) else {
      throw ScheduleQueryError("'\(consumer.name)' has no loop '\(loop)'")
    }
    let inner = Set(s.loops[(at + 1)...].map(\.name))
    var extents: [String: Int] = [:]
    for l in s.loops { extents[l.name] = try kernel.maxExtent(l.name, in: consumer) }
    let forms = try loopForms(of: consumer)
    let reads = consumer.expressions.flatMap(\.loads).filter { $0.tensor == producer.name }
    var lows = [Int?](repeating: nil, count: producer.axes.count)
    var highs = [Int?](repeating: nil, count: producer.axes.count)
    var starts = [Affine?](repeating: nil, count: producer.axes.count)
    // Axes whose reads move differently: the region is the whole axis.
    var whole = Set<Int>()
    for read in reads {
      for (k, index) in read.indices.enumerated() where k < producer.axes.count {
        // The affine part, and the range of the div/mod terms over inner loops (a fused axis: `c.k / 3`).
        guard let (a, boundedLow, boundedHigh) = quasiAffine(index, forms: forms, inner: inner, extents: extents) else {
          throw ScheduleQueryError(
            "'\(consumer.name)' reads '\(producer.name)' at an index that is not affine in its loops (\(IRPrinter.print(index))); its region is unknown")
        }
        // Rewrite in loop variables.
        var inLoops = Affine(constant: a.constant, terms: [:])
        for (v, c) in a.terms {
          guard let f = forms[v] else {
            throw ScheduleQueryError("'\(consumer.name)' reads '\(producer.name)' through '\(v)', which is not one of its loops")
          }
          inLoops = inLoops + f.scaled(c)
        }
        // Split into the symbolic part (outer loops) and the ranging part (inner loops).
        var fixed = Affine(constant: 0, terms: [:])
        var low = inLoops.constant &+ boundedLow
        var high = inLoops.constant &+ boundedHigh
        for (v, c) in inLoops.terms {
          if inner.contains(v) {
            let span = c &* ((extents[v] ?? 1) - 1)
            if span < 0 { low &+= span } else { high &+= span }
          } else {
            fixed = fixed + Affine(constant: 0, terms: [v: c])
          }
        }
        if let previous = starts[k], previous != fixed { whole.insert(k) }
        starts[k] = fixed
        lows[k] = Swift.min(lows[k] ?? low, low)
        highs[k] = Swift.max(highs[k] ?? high, high)
      }
    }
    var out: [RegionDimension] = []
    for k in producer.axes.indices {
      if whole.contains(k) {
        guard let extent = producer.axes[k].extent.evaluate(kernel.dimBindings) else {
          throw ScheduleQueryError("the kernel's dims must be bound (use --shape or a dims line)")
        }
        out.append(RegionDimension(start: .constant(.int(0)), extent: Swift.max(1, extent)))
        continue
      }
      let fixed = starts[k] ?? Affine(constant: 0, terms: [:])
      let low = lows[k] ?? 0
      let high = highs[k] ?? 0
      var start: Expr = .constant(.int(Int64(low)))
      for (v, c) in fixed.terms.sorted(by: { $0.key < $1.key }) {
        start = .binary(.add, start, .binary(.mul, .constant(.int(Int64(c))), .index(v)))
      }
      out.append(RegionDimension(start: start, extent: Swift.max(1, high - low + 1)))
    }
    return out
  }

  /// An index as an affine form plus terms that are not affine (floor division or modulo by a positive constant,
  /// as a fused reduction axis reads `c.k / 3` and `l + c.k % 3`) but whose variables range over inner loops only,
  /// with the smallest and largest sum of those terms. Nil when a non-affine term reads an outer loop (its value
  /// moves with the region's start in no fixed way) or is not integer arithmetic.
  func quasiAffine(
    _ e: Expr, forms: [String: Affine], inner: Set<String>, extents: [String: Int]
  ) -> (Affine, Int, Int)? {
    if let a = affine(e) { return (a, 0, 0) }
    if case .binary(let op, let a, let b) = e, op == .add || op == .sub {
      guard let (x, xl, xh) = quasiAffine(a, forms: forms, inner: inner, extents: extents),
        let (y, yl, yh) = quasiAffine(b, forms: forms, inner: inner, extents: extents)
      else { return nil }
      if op == .add { return (x + y, xl &+ yl, xh &+ yh) }
      return (x + y.scaled(-1), xl &- yh, xh &- yl)
    }
    if case .cast(let t, let a) = e, t.isInteger { return quasiAffine(a, forms: forms, inner: inner, extents: extents) }
    do {
      // A bounded term: every variable it reads is a root whose loop form ranges over inner loops only.
      var ranges: [String: ClosedRange<Int>] = [:]
      for v in e.indexNames {
        guard let f = forms[v], f.terms.keys.allSatisfy(inner.contains) else { return nil }
        var lo = f.constant
        var hi = f.constant
        for (l, c) in f.terms {
          let span = c &* ((extents[l] ?? 1) - 1)
          if span < 0 { lo &+= span } else { hi &+= span }
        }
        ranges[v] = lo...hi
      }
      guard let r = interval(e, ranges) else { return nil }
      return (Affine(constant: 0, terms: [:]), r.lowerBound, r.upperBound)
    }
  }

  /// The range of integer index arithmetic (constants, dims, variables in `ranges`, +, -, *, and floor division
  /// and modulo by a positive constant), or nil.
  func interval(_ e: Expr, _ ranges: [String: ClosedRange<Int>]) -> ClosedRange<Int>? {
    func make(_ l: Int, _ u: Int) -> ClosedRange<Int>? { l <= u ? l...u : nil }
    func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
    switch e {
    case .constant, .dim:
      guard let v = kernel.constantValue(e) else { return nil }
      return v...v
    case .index(let n): return ranges[n]
    case .cast(let t, let a): return t.isInteger ? interval(a, ranges) : nil
    case .binary(let op, let a, let b):
      guard let x = interval(a, ranges), let y = interval(b, ranges) else { return nil }
      switch op {
      case .add: return make(x.lowerBound &+ y.lowerBound, x.upperBound &+ y.upperBound)
      case .sub: return make(x.lowerBound &- y.upperBound, x.upperBound &- y.lowerBound)
      case .mul:
        let v = [x.lowerBound &* y.lowerBound, x.lowerBound &* y.upperBound, x.upperBound &* y.lowerBound, x.upperBound &* y.upperBound]
        return make(v.min() ?? 0, v.max() ?? 0)
      case .div:
        guard y.lowerBound == y.upperBound, y.lowerBound > 0 else { return nil }
        return make(floorDiv(x.lowerBound, y.lowerBound), floorDiv(x.upperBound, y.lowerBound))
      case .mod:
        guard y.lowerBound == y.upperBound, y.lowerBound > 0 else { return nil }
        if x.lowerBound >= 0, x.upperBound < y.lowerBound { return x }
        return 0...(y.lowerBound - 1)
      case .max, .min, .pow, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return nil
      }
    case .scalar, .load, .unary, .select: return nil
    }
  }

  /// The index variables of an index that is affine up to floor division and modulo by positive constants (a fused
  /// axis read as `c.k / 3` and `l + c.k % 3 - 1` names c.k and l), sorted; nil for a gather or a product of two
  /// variables. A `dot` operand may be read at such indices: its tile is loaded at computed offsets.
  public func quasiAffineVariables(_ e: Expr) -> [String]? {
    func check(_ e: Expr) -> Bool {
      if affine(e) != nil { return true }
      switch e {
      case .binary(.add, let a, let b), .binary(.sub, let a, let b): return check(a) && check(b)
      case .binary(.mul, let a, let b):
        return (kernel.constantValue(a) != nil && check(b)) || (kernel.constantValue(b) != nil && check(a))
      case .binary(.div, let a, let b), .binary(.mod, let a, let b):
        guard let d = kernel.constantValue(b), d > 0 else { return false }
        return check(a)
      case .cast(let t, let a): return t.isInteger && check(a)
      case .constant, .dim, .index, .scalar, .load, .unary, .select, .binary: return false
      }
    }
    guard check(e) else { return nil }
    return e.indexNames.sorted()
  }

  /// Whether the region of `producer` computed at `loop` of `consumer` also covers every read of `producer` by
  /// `sibling`, another definition computed at that same loop (over its own region): the sibling's reads, with its
  /// axes ranging over its region and its reduction variables over their constant bounds, stay inside the box (an
  /// index that is not affine must be a bounded term of variables of fixed range: a fused axis's div and mod).
  /// Then one computation of `producer` at the loop can serve both (no copy, no recomputation).
  public func covers(
    _ producer: Definition, readBy sibling: Definition, at loop: String, of consumer: Definition
  ) throws(ScheduleQueryError) -> Bool {
    let box = try region(of: producer, readBy: consumer, at: loop)
    let siblingRegion = try region(of: sibling, readBy: consumer, at: loop)
    var ranges: [String: (start: Affine, low: Int, high: Int)] = [:]
    for (k, axis) in sibling.axes.enumerated() where k < siblingRegion.count {
      guard let start = affine(siblingRegion[k].start) else { return false }
      ranges[axis.name] = (start, 0, siblingRegion[k].extent - 1)
    }
    for r in sibling.reduction?.axes ?? [] {
      guard let lo = kernel.constantValue(r.lowerBound), let hi = kernel.constantValue(r.upperBound), hi > lo else {
        return false
      }
      ranges[r.name] = (Affine(constant: 0, terms: [:]), lo, hi - 1)
    }
    for read in sibling.expressions.flatMap(\.loads) where read.tensor == producer.name {
      guard read.indices.count == box.count else { return false }
      for (k, index) in read.indices.enumerated() {
        guard let boxStart = affine(box[k].start) else { return false }
        guard let a = affine(index) else {
          // A term bounded by variables of fixed range (a fused reduction axis: `i.j / 30`, `i.j % 30`): its
          // interval must lie in the box, which then cannot move with the loops either.
          var fixedRanges: [String: ClosedRange<Int>] = [:]
          for v in index.indexNames {
            guard let r = ranges[v], r.start.terms.isEmpty else { return false }
            fixedRanges[v] = (r.start.constant &+ r.low)...(r.start.constant &+ r.high)
          }
          guard boxStart.terms.isEmpty, let span = interval(index, fixedRanges), span.lowerBound >= boxStart.constant,
            span.upperBound <= boxStart.constant &+ box[k].extent &- 1
          else { return false }
          continue
        }
        var fixed = Affine(constant: a.constant, terms: [:])
        var low = 0
        var high = 0
        for (v, c) in a.terms {
          guard let r = ranges[v] else { return false }
          fixed = fixed + r.start.scaled(c)
          low &+= Swift.min(c &* r.low, c &* r.high)
          high &+= Swift.max(c &* r.low, c &* r.high)
        }
        guard fixed.terms == boxStart.terms, fixed.constant &+ low >= boxStart.constant,
          fixed.constant &+ high <= boxStart.constant &+ box[k].extent &- 1
        else { return false }
      }
    }
    return true
  }
}
