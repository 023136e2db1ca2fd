import KevcBasic
import KevcIR

/// The deterministic generator of generated tests (SplitMix64), so that they are reproducible.
typealias SeededRandom = SplitMix64

/// Random kernels that exercise every syntactic construct of the IR, valid or not (names that need quoting,
/// every op, every constant form). They are for round-trip tests, not for the verifier.
struct KernelGenerator {
  var rng: SeededRandom

  static let names = [
    "m", "n", "x", "y_2", "n.o", "n.i.o", "t.1", "max", "sum", "true", "inf", "f32", "in", "weird name", "1x", "",
    "a\"b\\c", "tab\there", "new\nline", "é", "_", "M",
  ]

  mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
  mutating func chance(_ n: UInt64) -> Bool { rng.next() % n == 0 }

  mutating func constant() -> Constant {
    let t = pick(DType.allCases)
    switch rng.next() % 12 {
    case 0: return Constant(.i32, .float(1.5))  // ill-formed but representable: round-trips
    case 1: return Constant(.f32, .bool(true))
    case 2: return Constant(.bool, .int(1))
    default: break
    }
    if t.isFloat {
      return .float(
        pick([0, -0.0, 1, -1, 1.5, 1e-5, 3.0e38, 1e300, .infinity, -.infinity, .nan, 0.1, -Double.leastNonzeroMagnitude, 65504]), t)
    }
    if t == .bool { return .bool(chance(2)) }
    return .int(pick([0, 1, -1, 127, -128, Int64.max, Int64.min, 42]), t)
  }

  mutating func size(_ depth: Int = 0) -> SizeExpr {
    switch depth > 2 ? rng.next() % 2 : rng.next() % 6 {
    case 0: return .constant(pick([0, 1, 64, -3, Int.max, Int.min]))
    case 1: return .dim(pick(Self.names))
    case 2: return .add(size(depth + 1), size(depth + 1))
    case 3: return .sub(size(depth + 1), size(depth + 1))
    case 4: return .mul(size(depth + 1), size(depth + 1))
    default: return .div(size(depth + 1), size(depth + 1))
    }
  }

  mutating func expr(_ depth: Int = 0) -> Expr {
    switch depth > 4 ? rng.next() % 4 : rng.next() % 10 {
    case 0: return .constant(constant())
    case 1: return .index(pick(Self.names))
    case 2: return .dim(pick(Self.names))
    case 3: return .scalar(pick(Self.names))
    case 4:
      let bounds: LoadBounds = pick([.padded(nil), .inBounds, .padded(constant())])
      return .load(Load(tensor: pick(Self.names), indices: (0..<rng.next() % 4).map { _ in expr(depth + 1) }, bounds: bounds))
    case 5: return .unary(pick(UnaryOp.allCases), expr(depth + 1))
    case 6, 7: return .binary(pick(BinaryOp.allCases), expr(depth + 1), expr(depth + 1))
    case 8: return .select(expr(depth + 1), expr(depth + 1), expr(depth + 1))
    default: return .cast(pick(DType.allCases), expr(depth + 1))
    }
  }

  mutating func param() -> Param {
    let shape = (0..<rng.next() % 3).map { _ in size() }
    let domain = chance(3) ? ValueDomain(lowerBound: size(), upperBound: size(), sorted: chance(2)) : nil
    return Param(name: pick(Self.names), dtype: pick(DType.allCases), shape: shape, domain: domain)
  }

  mutating func definition() -> Definition {
    let axes = (0..<rng.next() % 3).map { _ in Axis(name: pick(Self.names), extent: size()) }
    var reduction: Reduction?
    if chance(2) {
      reduction = Reduction(
        op: pick(ReduceOp.allCases), accumulator: pick(DType.allCases),
        axes: (0..<rng.next() % 3).map { _ in
          ReductionAxis(name: pick(Self.names), lowerBound: expr(3), upperBound: expr(3))
        })
      if reduction?.op == .tuple {
        let components = (0...(rng.next() % 2)).map { _ -> Combiner.Component in
          let t = pick(DType.allCases)
          return Combiner.Component(name: pick(Self.names), dtype: t, identity: .zero(t))
        }
        reduction?.accumulator = components[0].dtype
        reduction?.combiner = Combiner(
          components: components, otherElements: components.dropFirst().map { _ in expr(3) },
          combine: components.map { _ in expr(3) }, yield: expr(3))
        // argmax/argmin, printed `argmax<T>`: the tuple reduction of one axis's extreme and its index.
        if chance(3), let r = reduction, let axis = r.axes.first {
          reduction = .argExtreme(isMax: chance(2), accumulator: r.accumulator, axis: axis)
        }
      }
    }
    return Definition(
      name: pick(Self.names), dtype: pick(DType.allCases), axes: axes, reduction: reduction, body: expr(),
      schedule: chance(2) ? schedule() : nil)
  }

  mutating func schedule() -> Schedule {
    let kinds: [LoopKind] =
      [.serial, .parallel, .vectorized(width: 8), .unrolled] + GPUDimension.allCases.map { .gpu($0) }
    let placements: [Placement] = [.root, .computeAt(consumer: pick(Self.names), loop: pick(Self.names))]
    return Schedule(
      loops: (0..<rng.next() % 4).map { _ in ScheduledLoop(name: pick(Self.names), kind: pick(kinds)) },
      splits: (0..<rng.next() % 3).map { _ in
        Split(variable: pick(Self.names), outer: pick(Self.names), inner: pick(Self.names), factor: pick([1, 8, -2]))
      },
      placement: pick(placements),
      storage: Storage(
        scope: pick(MemoryScope.allCases), permutation: chance(2) ? [1, 0] : nil, padding: chance(2) ? [0, 4] : nil),
      isDot: chance(2))
  }

  mutating func kernel() -> Kernel {
    let dims = (0..<rng.next() % 4).map { _ in
      Dim(name: pick(Self.names), value: chance(2) ? pick([0, 1, 61, -5, Int.max]) : nil,
          benchValue: chance(2) ? pick([8192, 0, Int.min]) : nil)
    }
    return Kernel(
      name: pick(Self.names), dims: dims, params: (0..<rng.next() % 4).map { _ in param() },
      results: (0..<rng.next() % 3).map { _ in param() }, definitions: (0..<rng.next() % 5).map { _ in definition() },
      constraints: (0..<rng.next() % 3).map { _ in
        ShapeConstraint(
          variable: pick(Self.names),
          first: .init(tensor: pick(Self.names), dimension: pick([0, 1, -1]), extent: size(), location: .unknown),
          second: .init(tensor: pick(Self.names), dimension: pick([0, 2]), extent: size(), location: .unknown))
      },
      matmulPrecision: pick(MatmulPrecision.allCases))
  }
}
