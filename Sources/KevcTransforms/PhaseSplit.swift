import KevcBasic
import KevcIR

/// `phase_split(y, [t])`: the polyphase (sub-pixel) decomposition of a strided transposed convolution. An output
/// axis `t` whose index expressions sit under guards `(E % s) == c` and exact divisions `E / s` by one constant
/// stride `s` is split by phase: each phase `p < s` becomes a definition `y.phP` over `t0 < ceil((T - p) / s)`
/// computing `y` at `t = s * t0 + p`, and `y` becomes the elementwise interleaving
/// `select((t % s) == 0, y.ph0[t / s], select(... y.ph(s-1)[t / s]))`. Within a phase every guard is a constant
/// per tap: a reduction variable `k` that a guard reads with a coefficient the stride does not divide is split the
/// same way (`k = s * k0 + r`, `k0 < ceil((K - r) / s)`), and the one residue `r` whose guard holds is kept; dead
/// taps vanish, `E / s` becomes affine in `t0` and `k0`, and each phase is a dense convolution `s` (per split axis)
/// times smaller. A phase whose every tap is dead is the constant 0 in `y`'s interleaving (no definition). Several
/// axes split together (`phase_split(y, [s, t])`: one definition per pair of phases).
///
/// Folding: with `t = s * t0 + p` and `k = s * k0 + r` substituted, `E % s` and `E / s` whose affine form has
/// coefficients all divisible by `s` fold to a constant and to an affine expression (floor semantics, exact);
/// comparisons of constants, `and`/`or`/`not` of constants and `select` with a constant condition fold; and a
/// product with a discarded tap (`select(false, x, 0.0) * w`) folds to 0. That last fold is the one place the value
/// can change: a tap with an infinite or NaN weight contributed `0 * inf = NaN` before and
/// contributes nothing after (as a transposed convolution itself, which never multiplies a tap it skips).
///
/// Legal when `y` has no schedule yet, is elementwise or a plain `sum` (no scan, no tuple), every named axis is an
/// output axis read (outside reduction bounds) under at least one `% s` guard, every `%` and `/` reading it divides
/// by the same constant `s >= 2`, their arguments are affine in index variables and constants (no dims, data or
/// other unsplit output axes with a coefficient `s` does not divide), a reduction variable they need split has
/// constant lower bound 0 and an upper bound free of index variables and data, read by no other reduction bound,
/// the guards leave at most one residue of the split reduction variables live per phase, every divided index
/// folds, and the phases number at most 64. The extent `T` need not be a multiple of `s` (each phase has its own
/// extent; the interleaving reads the phases with padded loads, so `select`'s unused arm never faults).
///
/// Before:
/// ```
/// %_r0: f32[n < N, f < F, s < ((2 * H) + K - 3)] = sum<f32> [c in 0 .. $C, p in 0 .. $K] (select(((((s + 1:i64) - p) % 2:i64) == 0:i64), %x[n, c, (((s + 1:i64) - p) / 2:i64)], 0.0:f32) * %w[c, f, p])
/// ```
/// After `phase_split(_r0, [s])` (phase 0 keeps the odd taps `p = 2 p + 1`, phase 1 the even ones):
/// ```
/// %_r0.ph0: f32[n < N, f < F, s < ((((2 * H) + K) - 3) + 1) / 2)] = sum<f32> [c in 0 .. $C, p in 0 .. (($K + 0) / 2)] (%x[n, c, (s - p)] * %w[c, f, ((2 * p) + 1)])
/// %_r0.ph1: f32[n < N, f < F, s < ((((2 * H) + K) - 3) / 2)] = sum<f32> [c in 0 .. $C, p in 0 .. (($K + 1) / 2)] (%x[n, c, ((s - p) + 1)] * %w[c, f, (2 * p)])
/// %_r0: f32[n < N, f < F, s < (((2 * H) + K) - 3)] = select(((s % 2) == 0), %_r0.ph0[n, f, (s / 2)], %_r0.ph1[n, f, (s / 2)])
/// ```
extension ScheduleEditing {
  /// Most definitions one phase split may create (the product of the strides).
  static let maxPhases = 64

  mutating func phaseSplit(_ tensor: String, _ names: [String]) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    guard !names.isEmpty else { throw fail("phase_split needs at least one axis", .badParameter) }
    guard Set(names).count == names.count else { throw fail("an axis is named twice", .badParameter) }
    guard d.schedule == nil || d.schedule == .natural(for: d) else {
      throw fail("phase_split must come before other schedule transforms of '\(tensor)'")
    }
    if let r = d.reduction {
      guard r.op == .sum, r.combiner == nil, r.scanAxis == nil else {
        throw fail("'\(tensor)' is a \(r.scanAxis == nil ? r.op.rawValue : "scan") reduction; phase_split splits sums and elementwise definitions (a dead tap must contribute 0)")
      }
    }
    let reductionAxes = d.reduction?.axes ?? []
    for name in names {
      guard d.axes.contains(where: { $0.name == name }) else {
        if reductionAxes.contains(where: { $0.name == name }) {
          throw fail("'\(name)' is a reduction axis of '\(tensor)'; phase_split splits output axes")
        }
        throw fail("'\(tensor)' has no output axis '\(name)'; its axes are \(d.axes.map(\.name).joined(separator: ", "))", .unknownLoop)
      }
      if let r = reductionAxes.first(where: { $0.lowerBound.indexNames.contains(name) || $0.upperBound.indexNames.contains(name) }) {
        throw fail("the bounds of reduction axis '\(r.name)' of '\(tensor)' read '\(name)'")
      }
    }
    let arithmetic = IndexArithmetic(dims: [:])

    // The stride of each named axis: the one constant every `%` and `/` reading it divides by.
    var stride: [String: Int] = [:]
    var guarded: Set<String> = []
    var problem: String?
    d.body.forEach { e in
      guard problem == nil, case .binary(let op, let a, let b) = e, op == .mod || op == .div else { return }
      for name in names where a.indexNames.contains(name) {
        guard let m = IndexArithmetic.intConstant(b), m >= 2, m <= Self.maxPhases else {
          problem = "'\(name)' is divided by \(IRPrinter.print(b)), not by a constant stride from 2 to \(Self.maxPhases)"
          return
        }
        if let s = stride[name], s != m {
          problem = "'\(name)' is divided by both \(s) and \(m)"
          return
        }
        stride[name] = m
        if op == .mod { guarded.insert(name) }
      }
    }
    if let problem { throw fail(problem) }
    for name in names where !guarded.contains(name) {
      throw fail("'\(name)' of '\(tensor)' is under no guard '(E % s) == c' with a constant stride s")
    }
    var phases = 1
    for name in names {
      phases *= stride[name] ?? 1
      guard phases <= Self.maxPhases else { throw fail("the phases would number more than \(Self.maxPhases)", .badParameter) }
    }

    // The reduction variables a guard reads with a coefficient the stride does not divide are split by it too.
    var split: [String: Int] = [:]
    var dividedArguments: [(Expr, Int)] = []
    d.body.forEach { e in
      if case .binary(let op, let a, let b) = e, op == .mod || op == .div, let m = IndexArithmetic.intConstant(b),
        !names.filter({ a.indexNames.contains($0) }).isEmpty
      {
        dividedArguments.append((a, m))
      }
    }
    for (a, m) in dividedArguments {
      guard let form = arithmetic.affine(a), Self.fitsFolding(form) else {
        throw fail("the index \(IRPrinter.print(a)) is not affine in the index variables and constants")
      }
      for (v, c) in form.terms.sorted(by: { $0.key < $1.key }) where c % m != 0 && !names.contains(v) {
        guard let r = reductionAxes.first(where: { $0.name == v }) else {
          throw fail("the guard on \(IRPrinter.print(a)) also depends on '\(v)', which is not split (name it too)")
        }
        if let s = split[v], s != m { throw fail("reduction axis '\(v)' is divided by both \(s) and \(m)") }
        guard constantValue(r.lowerBound) == 0, r.upperBound.indexNames.isEmpty, r.upperBound.loads.isEmpty else {
          throw fail("reduction axis '\(v)' of '\(tensor)' must range over 0 .. a size free of index variables and data to be split by phase")
        }
        if let reader = Self.dependents(of: v, in: d).first {
          throw fail("the bounds of reduction axis '\(reader)' of '\(tensor)' read '\(v)'")
        }
        split[v] = m
      }
    }
    let splitAxes = reductionAxes.map(\.name).filter { split[$0] != nil }
    let order = d.axes.map(\.name) + reductionAxes.map(\.name)
    let zero = Expr.constant(.zero(d.dtype))

    // Each phase: its live residue (if any) and its folded body.
    var leaves: [[Int]: Expr] = [:]
    var created: [Definition] = []
    let taken = tensorNames
    for phase in Self.mixedRadix(names.map { stride[$0] ?? 1 }) {
      var live: [([Int], Expr)] = []
      for residue in Self.mixedRadix(splitAxes.map { split[$0] ?? 1 }) {
        var substitution: [String: Expr] = [:]
        for (name, p) in zip(names, phase) { substitution[name] = Self.scaled(name, stride[name] ?? 1, p) }
        for (name, r) in zip(splitAxes, residue) { substitution[name] = Self.scaled(name, split[name] ?? 1, r) }
        let body = fold(d.body.substituting(substitution), order: order)
        if let left = Self.unfolded(body, reading: Set(names + splitAxes)) {
          throw fail("cannot fold \(IRPrinter.print(left)) in phase \(phase.map(String.init).joined(separator: ", "))")
        }
        let dead: Bool
        if case .constant(let c) = body { dead = d.reduction != nil ? c.doubleValue == 0 : false } else { dead = false }
        if case .constant = body, d.reduction == nil {
          leaves[phase] = body
          live = []
          break
        }
        if !dead { live.append((residue, body)) }
      }
      if leaves[phase] != nil { continue }
      guard live.count <= 1 else {
        throw fail("in phase \(phase.map(String.init).joined(separator: ", ")) the guards leave \(live.count) residues of \(splitAxes.joined(separator: ", ")) live; they must determine it")
      }
      guard let (residue, body) = live.first else {
        leaves[phase] = zero
        continue
      }
      var axes = d.axes
      for (name, p) in zip(names, phase) {
        guard let at = axes.firstIndex(where: { $0.name == name }) else { continue }
        let s = stride[name] ?? 1
        let padded: SizeExpr = s - 1 - p == 0 ? axes[at].extent : .add(axes[at].extent, .constant(s - 1 - p))
        axes[at].extent = .div(padded, .constant(s))
      }
      var reduction = d.reduction
      for (name, r) in zip(splitAxes, residue) {
        guard let at = reduction?.axes.firstIndex(where: { $0.name == name }), let upper = reduction?.axes[at].upperBound
        else { continue }
        let s = split[name] ?? 1
        let padded: Expr = s - 1 - r == 0 ? upper : .binary(.add, upper, .constant(.int(Int64(s - 1 - r))))
        reduction?.axes[at].upperBound = .binary(.div, padded, .constant(.int(Int64(s))))
      }
      let name = fresh("\(tensor).ph" + phase.map(String.init).joined(separator: "_"), taken: taken.union(created.map(\.name)))
      created.append(Definition(name: name, dtype: d.dtype, axes: axes, reduction: reduction, body: body, location: d.location))
      leaves[phase] = .load(
        Load(
          tensor: name,
          indices: d.axes.map { a in
            guard let s = stride[a.name], names.contains(a.name) else { return .index(a.name) }
            return .binary(.div, .index(a.name), .constant(.int(Int64(s))))
          }))
    }

    // y interleaves the phases: a select on `t % s` per named axis, the last phase as the else.
    func interleave(_ level: Int, _ prefix: [Int]) -> Expr {
      guard level < names.count else { return leaves[prefix] ?? zero }
      let s = stride[names[level]] ?? 1
      var e = interleave(level + 1, prefix + [s - 1])
      for p in (0..<(s - 1)).reversed() {
        let test: Expr = .binary(
          .eq, .binary(.mod, .index(names[level]), .constant(.int(Int64(s)))), .constant(.int(Int64(p))))
        let phase = interleave(level + 1, prefix + [p])
        e = phase == e ? e : .select(test, phase, e)
      }
      return e
    }
    var y = d
    y.reduction = nil
    y.schedule = nil
    y.body = interleave(0, [])
    kernel.definitions[index] = y
    kernel.definitions.insert(contentsOf: created, at: index)
  }

  /// `s * v + p` (just `s * v` for phase 0).
  static func scaled(_ v: String, _ s: Int, _ p: Int) -> Expr {
    let product: Expr = .binary(.mul, .constant(.int(Int64(s))), .index(v))
    return p == 0 ? product : .binary(.add, product, .constant(.int(Int64(p))))
  }

  /// Every tuple of digits `d_i < radices[i]`, the last fastest; one empty tuple for no radices.
  static func mixedRadix(_ radices: [Int]) -> [[Int]] {
    radices.reduce([[]]) { acc, r in acc.flatMap { prefix in (0..<Swift.max(r, 1)).map { prefix + [$0] } } }
  }

  /// Coefficients and constants small enough that folding cannot overflow.
  static func fitsFolding(_ a: IndexArithmetic.Affine) -> Bool {
    let limit = 1 << 40
    return abs(a.constant) < limit && a.terms.values.allSatisfy { abs($0) < limit }
  }

  /// A `%` or `/` left in the folded body that reads one of `variables` (it did not fold), or nil.
  static func unfolded(_ e: Expr, reading variables: Set<String>) -> Expr? {
    var found: Expr?
    e.forEach { node in
      guard found == nil, case .binary(let op, let a, _) = node, op == .mod || op == .div,
        !a.indexNames.isDisjoint(with: variables)
      else { return }
      found = node
    }
    return found
  }

  /// Folds the guards of one phase (the rules in the summary); `order` orders the terms of rebuilt indices. Two
  /// passes: the integer arithmetic, comparisons and logic first, with a product by a discarded tap
  /// (`select(false, x, 0) * w`, the select's condition already folded) becoming 0; then the selects whose condition
  /// is a constant. A product with 0 elsewhere is left alone (`0 * inf` is NaN).
  func fold(_ e: Expr, order: [String]) -> Expr {
    let arithmetic = IndexArithmetic(dims: [:])
    func bool(_ e: Expr) -> Bool? {
      if case .constant(let c) = e, case .bool(let v) = c.value { return v }
      return nil
    }
    func isZero(_ e: Expr) -> Bool {
      if case .constant(let c) = DefaultSchedule.stripCasts(e) { return c.dtype != .bool && c.doubleValue == 0 }
      return false
    }
    /// A tap the guard discards: `select(false, x, 0)` or `select(true, 0, x)`, possibly cast.
    func isDiscarded(_ e: Expr) -> Bool {
      guard case .select(let c, let a, let b) = DefaultSchedule.stripCasts(e), let v = bool(c) else { return false }
      return v ? isZero(a) : isZero(b)
    }
    let integers = e.rewritten { node in
      switch node {
      case .binary(let op, let a, let b) where op == .mod || op == .div:
        guard let m = IndexArithmetic.intConstant(b), m > 0, case .constant(let divisor) = b, divisor.dtype == .i64,
          let form = arithmetic.affine(a), Self.fitsFolding(form), form.terms.values.allSatisfy({ $0 % m == 0 })
        else { return nil }
        if op == .mod { return .constant(.int(Int64(form.constant - IndexArithmetic.floorDiv(form.constant, m) * m))) }
        return Self.affineExpr(
          IndexArithmetic.Affine(
            constant: IndexArithmetic.floorDiv(form.constant, m), terms: form.terms.mapValues { $0 / m }),
          order: order)
      case .binary(let op, .constant(let x), .constant(let y)) where op.isComparison:
        guard case .int(let u) = x.value, case .int(let v) = y.value, x.dtype == y.dtype else { return nil }
        switch op {
        case .eq: return .constant(.bool(u == v))
        case .ne: return .constant(.bool(u != v))
        case .lt: return .constant(.bool(u < v))
        case .le: return .constant(.bool(u <= v))
        case .gt: return .constant(.bool(u > v))
        case .ge: return .constant(.bool(u >= v))
        case .add, .sub, .mul, .div, .mod, .max, .min, .pow, .and, .or: return nil
        }
      case .binary(.and, let a, let b):
        if let v = bool(a) { return v ? b : a }
        if let v = bool(b) { return v ? a : b }
        return nil
      case .binary(.or, let a, let b):
        if let v = bool(a) { return v ? a : b }
        if let v = bool(b) { return v ? b : a }
        return nil
      case .unary(.not, let a):
        return bool(a).map { .constant(.bool(!$0)) }
      case .binary(.mul, let a, let b):
        guard isDiscarded(a) || isDiscarded(b), let t = kernel.type(of: node, in: nil) else { return nil }
        return .constant(.zero(t))
      case .constant, .index, .dim, .scalar, .load, .unary, .binary, .select, .cast:
        return nil
      }
    }
    return integers.rewritten { node in
      guard case .select(let c, let a, let b) = node, let v = bool(c) else { return nil }
      return v ? a : b
    }
  }

  /// `c1 * v1 + c2 * v2 + ... + c` with the variables in `order` (others after, by name).
  static func affineExpr(_ a: IndexArithmetic.Affine, order: [String]) -> Expr {
    let names = order.filter { a.terms[$0] != nil } + a.terms.keys.filter { !order.contains($0) }.sorted()
    var e: Expr?
    for v in names {
      guard let c = a.terms[v] else { continue }
      let magnitude = abs(c)
      let term: Expr = magnitude == 1 ? .index(v) : .binary(.mul, .constant(.int(Int64(magnitude))), .index(v))
      if let sum = e {
        e = .binary(c < 0 ? .sub : .add, sum, term)
      } else {
        e = c < 0 ? .binary(.sub, .constant(.int(0)), term) : term
      }
    }
    guard let sum = e else { return .constant(.int(Int64(a.constant))) }
    if a.constant == 0 { return sum }
    return .binary(a.constant < 0 ? .sub : .add, sum, .constant(.int(Int64(abs(a.constant)))))
  }
}

extension Definition {
  /// The output axes its body reads under a `%` by a constant, in axis order: the axes `phase_split` would split
  /// (the defaults and the search propose it with these; the transform checks the rest).
  public var phaseGuardedAxes: [String] {
    var guarded: Set<String> = []
    body.forEach { e in
      guard case .binary(.mod, let a, .constant) = e else { return }
      guarded.formUnion(a.indexNames)
    }
    return axes.map(\.name).filter { guarded.contains($0) }
  }
}
