import Foundation
import KevcBasic

/// Tuple reductions: a reduction whose state is several values, combined by an associative combiner (Halide's
/// tuple reductions, TVM's `CommReducer`). The definition's value is a `yield` expression of the final state.
///
/// A tuple reduction `reduce<c0: T0 = id0, c1: T1 = id1, ...> [k in lo .. hi] (e0, e1, ...) combine (f0, f1, ...)
/// yield y` means, at each point of the definition's axes:
///
///     state = (id0, id1, ...)
///     for each point of the reduction domain:  state = (f0, f1, ...)[a := state, b := (e0, e1, ...)]
///     value = y[state]
///
/// The elements `e_i` are expressions of the point (they may read tensors, axes and reduction axes); component 0's
/// element is the definition's `body`, the others are `Combiner.otherElements`. The combiner expressions read the
/// left state as `%a.NAME` and the right one as `%b.NAME` (and constants only); `yield` reads the final state as
/// `%NAME`. The combiner must be associative with the identities as its identity, so that schedules may reorder
/// and split the reduction; `Combiner.associativityProblem` checks this by evaluating it on random states (the
/// verifier reports `kevc.ir.non-associative-combiner`). Online softmax (a running maximum `m` and a sum `s` of
/// `exp(x - m)` rescaled when `m` grows) and argmax (the value and its index) are instances:
///
///     %lse: f32[i < M] = reduce<m: f32 = -inf:f32, s: f32 = 0.0:f32> [k in 0 .. $N] (%x[i, k], 1.0:f32)
///       combine (max(%a.m, %b.m), ((%a.s * select((%a.m == max(%a.m, %b.m)), 1.0:f32, exp((%a.m - max(%a.m, %b.m)))))
///                                  + (%b.s * select((%b.m == max(%a.m, %b.m)), 1.0:f32, exp((%b.m - max(%a.m, %b.m)))))))
///       yield (%m + log(%s))
public struct Combiner: Hashable, Codable, Sendable {
  /// One value of the state.
  public struct Component: Hashable, Codable, Sendable {
    public var name: String
    public var dtype: DType
    /// The value of the state for an empty reduction domain (the combiner's identity).
    public var identity: Constant

    public init(name: String, dtype: DType, identity: Constant) {
      self.name = name
      self.dtype = dtype
      self.identity = identity
    }
  }

  public var components: [Component]
  /// The elements of components 1 ..< n (component 0's element is the definition's body).
  public var otherElements: [Expr]
  /// One expression per component: the combined state, of `%a.NAME` and `%b.NAME`.
  public var combine: [Expr]
  /// The definition's value, of the final state `%NAME`.
  public var yield: Expr

  public init(components: [Component], otherElements: [Expr], combine: [Expr], yield: Expr) {
    self.components = components
    self.otherElements = otherElements
    self.combine = combine
    self.yield = yield
  }

  /// The scalar name of component `name` of the left (`a`) or right (`b`) operand of the combiner.
  public static func left(_ name: String) -> String { "a." + name }
  public static func right(_ name: String) -> String { "b." + name }

  /// The combined state with the left operand `a` and right operand `b` substituted (expressions by component).
  public func combined(_ a: [Expr], _ b: [Expr]) -> [Expr] {
    var map: [String: Expr] = [:]
    for (i, c) in components.enumerated() where i < a.count && i < b.count {
      map[Self.left(c.name)] = a[i]
      map[Self.right(c.name)] = b[i]
    }
    return combine.map { $0.substitutingScalars(map) }
  }

  /// The definition's value for the final state `state` (expressions by component).
  public func yielded(_ state: [Expr]) -> Expr {
    var map: [String: Expr] = [:]
    for (i, c) in components.enumerated() where i < state.count { map[c.name] = state[i] }
    return yield.substitutingScalars(map)
  }

  /// argmax (`isMax`) or argmin of `value` (of type `t`) over one reduction axis `index`, as a tuple reduction:
  /// the state is the best value so far and its index; the right operand wins when it is strictly more extreme,
  /// or when it is NaN and the left is not, or on a tie with a smaller index (or when the left is empty, index
  /// -1), so the first index of the extreme wins and NaN counts as the extreme. The body is `value`.
  /// `empty` is the index of the empty state: -1, or below a range that contains -1 (`Reduction.argExtreme`: the
  /// axis's lower bound minus one), where the yield maps it back to -1, the value of an empty range. With -1 as
  /// the empty state over such a range, the element at index -1 could never be chosen.
  public static func argExtreme(isMax: Bool, valueType t: DType, index: Expr, empty sentinel: Int64 = -1) -> Combiner {
    let (av, bv) = (Expr.scalar(left("v")), Expr.scalar(right("v")))
    let (ai, bi) = (Expr.scalar(left("i")), Expr.scalar(right("i")))
    let better: BinaryOp = isMax ? .gt : .lt
    let none = Expr.constant(.int(sentinel))
    let empty = Expr.binary(.eq, ai, none)
    let rightIsSome = Expr.binary(.ne, bi, none)
    var wins = Expr.binary(.or, .binary(better, bv, av), .binary(.and, .binary(.eq, bv, av), .binary(.lt, bi, ai)))
    if t.isFloat {
      let aNaN = Expr.unary(.isnan, av)
      let bNaN = Expr.unary(.isnan, bv)
      // NaN is the extreme: a NaN beats a number; between two NaNs the smaller index wins.
      wins = .select(
        aNaN, .binary(.and, bNaN, .binary(.lt, bi, ai)),
        .binary(.or, bNaN, wins))
    }
    let take = Expr.binary(.and, rightIsSome, .binary(.or, empty, wins))
    let worst: Constant = t.isFloat ? .float(isMax ? -.infinity : .infinity, t) : .zero(t)
    return Combiner(
      components: [
        Component(name: "v", dtype: t, identity: worst),
        Component(name: "i", dtype: .i64, identity: .int(sentinel)),
      ],
      otherElements: [index],
      combine: [.select(take, bv, av), .select(take, bi, ai)],
      yield: sentinel == -1 ? .scalar("i") : .select(.binary(.eq, .scalar("i"), none), .constant(.int(-1)), .scalar("i")))
  }
}

extension Combiner {
  /// argmax (true) or argmin (false) when this is `Combiner.argExtreme` of its value type and its index element
  /// (whatever expression that is), matched by structure; nil otherwise.
  public var argExtremeDirection: Bool? {
    guard components.count == 2, otherElements.count == 1, case .int(let sentinel) = components[1].identity.value
    else { return nil }
    for isMax in [true, false]
    where self == .argExtreme(isMax: isMax, valueType: components[0].dtype, index: otherElements[0], empty: sentinel) {
      return isMax
    }
    return nil
  }
}

extension Reduction {
  /// The tuple reduction `argmax<T>`/`argmin<T>` (`isMax`) over one axis stands for: `Combiner.argExtreme` of the
  /// axis's index, in the accumulator type `t` (the body is the value).
  public static func argExtreme(isMax: Bool, accumulator t: DType, axis: ReductionAxis, scanAxis: String? = nil)
    -> Reduction
  {
    Reduction(
      op: .tuple, accumulator: t, axes: [axis],
      combiner: .argExtreme(isMax: isMax, valueType: t, index: .index(axis.name), empty: emptyIndex(of: axis)),
      scanAxis: scanAxis)
  }

  /// The empty state's index of an arg-reduction over `axis`: -1, or one below a constant lower bound under 0 (a
  /// range that may contain -1). A lower bound that is not a constant keeps -1: such a range containing -1 is not
  /// handled (docs/ir.md).
  public static func emptyIndex(of axis: ReductionAxis) -> Int64 {
    if case .constant(let c) = axis.lowerBound, case .int(let lower) = c.value, lower < 0, lower > Int64.min / 2 {
      return lower - 1
    }
    return -1
  }

  /// Whether this is the tuple reduction `argmax<T>` (true) or `argmin<T>` (false) stands for
  /// (`Reduction.argExtreme`), matched by structure; nil for any other reduction. The printer writes these as
  /// `argmax<T>`/`argmin<T>`.
  public var argExtremeSpelling: Bool? {
    guard op == .tuple, axes.count == 1, let c = combiner, c.components.first?.dtype == accumulator,
      c.otherElements == [.index(axes[0].name)], case .int(let sentinel) = c.components[1].identity.value,
      sentinel == Reduction.emptyIndex(of: axes[0])
    else { return nil }
    return c.argExtremeDirection
  }

  /// The reduction's name in messages: `argmax`/`argmin` for `Reduction.argExtreme`, `tuple` for another tuple
  /// reduction, else the operator (`sum`, ...).
  public var kindName: String {
    if let isMax = argExtremeSpelling { return isMax ? "argmax" : "argmin" }
    return op == .tuple ? "tuple" : op.rawValue
  }
}

extension Expr {
  /// Replaces scalar references by expressions (simultaneously); other scalars are kept.
  public func substitutingScalars(_ map: [String: Expr]) -> Expr {
    rewritten { e in
      if case .scalar(let name) = e { return map[name] }
      return nil
    }
  }
}

// MARK: - Associativity check

extension Combiner {
  /// Why the combiner is not an associative operation with the components' identities as its identity, or nil.
  /// It is evaluated in float64 on `trials` triples of random states a reduction can reach: the identity combined
  /// with a random element (components drawn from a small set of values so that ties occur, and the identity), so
  /// that a state the combiner never produces (argmax's value 3 with the index -1 of an empty state) is not a
  /// counterexample. `f(f(x, y), z)` must equal `f(x, f(y, z))`, and `f(id, x)` and `f(x, id)` must equal `x`,
  /// within a relative 1e-9 (NaN equals NaN; an infinity only itself). Deterministic (a fixed seed). The count of a
  /// Welford combiner (`WelfordCombiner`) is drawn from values >= 0 only: a state of negative count is not one a
  /// reduction reaches (the verifier requires the count's element to be a constant >= 0).
  public func associativityProblem(trials: Int = 64) -> String? {
    var random = SplitMix64(seed: 0x6B65_7663)
    let floats: [Double] = [-3, -2, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3]
    let counts: Set<Int> = WelfordCombiner.analyse(self).map { [$0.count] } ?? []
    func randomState() -> [Double] {
      components.enumerated().map { i, c in
        if random.next() % 8 == 0 { return c.identity.doubleValue }
        if c.dtype.isFloat { return floats[Int(random.next() % UInt64(floats.count))] }
        if c.dtype == .bool { return Double(random.next() % 2) }
        let v = Double(Int(random.next() % 9) - 4)
        return counts.contains(i) ? abs(v) : v
      }
    }
    let identity = components.map(\.identity.doubleValue)
    for _ in 0..<trials {
      guard let x = apply(identity, randomState()), let y = apply(identity, randomState()),
        let z = apply(identity, randomState()), let xy = apply(x, y), let xyz1 = apply(xy, z), let yz = apply(y, z), let xyz2 = apply(x, yz),
        let ix = apply(identity, x), let xi = apply(x, identity)
      else { return "the combiner cannot be evaluated on constants (it reads something other than its operands)" }
      if !same(xyz1, xyz2) {
        return "the combiner is not associative: f(f(x, y), z) = \(text(xyz1)) but f(x, f(y, z)) = \(text(xyz2)) "
          + "for x = \(text(x)), y = \(text(y)), z = \(text(z))"
      }
      if !same(ix, x) || !same(xi, x) {
        return "the identity \(text(identity)) is not the combiner's identity: f(id, x) = \(text(ix)) and "
          + "f(x, id) = \(text(xi)) for x = \(text(x))"
      }
    }
    return nil
  }

  /// One application of the combiner to two states (floats in f64, as the interpreter combines; integers
  /// truncated); nil if it cannot be evaluated.
  private func apply(_ a: [Double], _ b: [Double]) -> [Double]? {
    var env: [String: Double] = [:]
    var types: [String: DType] = [:]
    for (i, c) in components.enumerated() {
      env[Self.left(c.name)] = a[i]
      env[Self.right(c.name)] = b[i]
      types[Self.left(c.name)] = c.dtype
      types[Self.right(c.name)] = c.dtype
    }
    let evaluator = ConstantEvaluator(values: env, types: types)
    var out: [Double] = []
    for (i, e) in combine.enumerated() {
      guard i < components.count, let v = evaluator.evaluate(e) else { return nil }
      out.append(components[i].dtype.isFloat ? v : ConstantEvaluator.rounded(v, components[i].dtype))
    }
    return out
  }

  private func same(_ x: [Double], _ y: [Double]) -> Bool {
    guard x.count == y.count else { return false }
    for (a, b) in zip(x, y) {
      if a.isNaN && b.isNaN { continue }
      if a == b { continue }
      if a.isInfinite || b.isInfinite { return false }
      if !(abs(a - b) <= 1e-9 * Swift.max(1, abs(a), abs(b))) { return false }
    }
    return true
  }

  private func text(_ s: [Double]) -> String { "(" + s.map { "\($0)" }.joined(separator: ", ") + ")" }
}

/// Evaluates expressions of constants and named scalars in float64 (integers as exact doubles, bool as 0/1), with
/// the IR's semantics (docs/ir.md): floor division and modulo, NaN-propagating max/min, saturating float-to-int
/// casts. Loads, index variables and dims have no value here (nil).
public struct ConstantEvaluator: Sendable {
  var values: [String: Double]
  var types: [String: DType]

  public init(values: [String: Double], types: [String: DType]) {
    self.values = values
    self.types = types
  }

  public func evaluate(_ e: Expr) -> Double? {
    switch e {
    case .constant(let c): return c.doubleValue
    case .scalar(let name): return values[name]
    case .index, .dim, .load: return nil
    case .cast(let t, let a):
      guard let x = evaluate(a) else { return nil }
      return Self.rounded(t == .bool ? (x != 0 ? 1 : 0) : (t.isFloat ? x : (x.isNaN ? 0 : x.rounded(.towardZero))), t)
    case .select(let c, let a, let b):
      guard let cv = evaluate(c), let x = evaluate(a), let y = evaluate(b) else { return nil }
      return cv != 0 ? x : y
    case .unary(let op, let a):
      guard let x = evaluate(a) else { return nil }
      switch op {
      case .neg: return -x
      case .not: return x != 0 ? 0 : 1
      case .abs: return abs(x)
      case .exp: return Foundation.exp(x)
      case .log: return Foundation.log(x)
      case .sqrt: return x.squareRoot()
      case .rsqrt: return 1 / x.squareRoot()
      case .tanh: return Foundation.tanh(x)
      case .sigmoid: return 1 / (1 + Foundation.exp(-x))
      case .erf: return Foundation.erf(x)
      case .floor: return x.rounded(.down)
      case .ceil: return x.rounded(.up)
      case .isnan: return x.isNaN ? 1 : 0
      }
    case .binary(let op, let a, let b):
      guard let x = evaluate(a), let y = evaluate(b) else { return nil }
      let integer = typeIsInteger(a)
      switch op {
      case .add: return x + y
      case .sub: return x - y
      case .mul: return x * y
      case .div: return integer ? (y == 0 ? 0 : (x / y).rounded(.down)) : x / y
      case .mod: return integer && y == 0 ? 0 : x - y * (x / y).rounded(.down)
      case .max: return x.isNaN || y.isNaN ? .nan : Swift.max(x, y)
      case .min: return x.isNaN || y.isNaN ? .nan : Swift.min(x, y)
      case .pow: return Foundation.pow(x, y)
      case .eq: return x == y ? 1 : 0
      case .ne: return x != y ? 1 : 0
      case .lt: return x < y ? 1 : 0
      case .le: return x <= y ? 1 : 0
      case .gt: return x > y ? 1 : 0
      case .ge: return x >= y ? 1 : 0
      case .and: return x != 0 && y != 0 ? 1 : 0
      case .or: return x != 0 || y != 0 ? 1 : 0
      }
    }
  }

  /// Whether an operand is of an integer type.
  private func typeIsInteger(_ e: Expr) -> Bool {
    let env = TypeEnvironment(tensors: [:], scalars: types, dims: [], indices: [])
    return (try? ExprTyping.check(e, in: env))?.isInteger ?? false
  }

  /// `v` rounded to type `t`: floats to nearest (f64 unchanged), integers wrap, bool is 0 or 1.
  static func rounded(_ v: Double, _ t: DType) -> Double {
    switch t {
    case .f16, .bf16, .f32: return Double(Float(v))
    case .f64: return v
    case .i8, .i32, .i64: return v.isFinite ? v : 0
    case .bool: return v != 0 ? 1 : 0
    }
  }
}
