import KevcBasic
import KevcIR

/// Marks loads that provably stay inside their buffer as `inBounds`.
///
/// The shared interval analysis of index expressions (`IndexArithmetic` in KevcIR) over the loop nest: a loop variable ranges over
/// `[min(lowerBound), max(upperBound) - 1]` when both bounds have known ranges (constants, dims and arithmetic on
/// them and on enclosing loop variables), and an `if` on `v < e`, `v >= e`, ... narrows `v` inside its branches.
/// Values read from memory (gathers, data-dependent loop bounds) and scalars are unknown, so loads indexed by them
/// stay padded. The analysis is sound: every operation follows the IR's semantics (floor division and modulo,
/// integers wrapping in their type) and gives up, rather than guess, on any possible overflow, so a load is only
/// marked when every index lies in `[0, extent)` for every execution. A load already marked `inBounds` is kept.
public enum BoundsAnalysis {
  /// The program with every provably in-range padded load marked `inBounds`.
  public static func apply(_ program: LoopProgram) -> LoopProgram {
    var buffers: [String: Buffer] = [:]
    for b in program.params + program.results + program.temporaries { buffers[b.name] = b }
    var analysis = Analysis(dims: program.dims, buffers: buffers)
    var out = program
    out.body = analysis.rewrite(program.body)
    return out
  }

  /// The range of values an integer expression can take when each variable lies in its range (variables not
  /// listed are unknown); nil when the analysis cannot bound it.
  public static func range(
    of e: Expr, variables: [String: ClosedRange<Int64>], dims: [String: Int]
  ) -> ClosedRange<Int64>? {
    let arithmetic = IndexArithmetic(
      dims: dims, variables: variables.mapValues { Interval(lo: $0.lowerBound, hi: $0.upperBound, dtype: .i64) })
    guard let i = arithmetic.interval(e) else { return nil }
    return i.lo...i.hi
  }
}

typealias Interval = IndexArithmetic.Interval

private struct Analysis {
  var buffers: [String: Buffer]
  /// The shared index analysis; its variables are the loop variables in scope whose range is known.
  var arithmetic: IndexArithmetic
  var variables: [String: Interval] {
    get { arithmetic.variables }
    set { arithmetic.variables = newValue }
  }

  init(dims: [String: Int], buffers: [String: Buffer]) {
    self.arithmetic = IndexArithmetic(dims: dims)
    self.buffers = buffers
  }

  // MARK: Statements

  mutating func rewrite(_ stmts: [Stmt]) -> [Stmt] { stmts.map { rewrite($0) } }

  mutating func rewrite(_ stmt: Stmt) -> Stmt {
    switch stmt {
    case .loop(var loop):
      loop.lowerBound = rewrite(loop.lowerBound)
      loop.upperBound = rewrite(loop.upperBound)
      var range: Interval? = nil
      if let lb = interval(loop.lowerBound), let ub = interval(loop.upperBound), lb.dtype.isInteger,
        ub.dtype.isInteger, ub.hi > Int64.min, lb.lo <= ub.hi - 1
      {
        range = Interval(lo: lb.lo, hi: ub.hi - 1, dtype: .i64)
      }
      let saved = variables[loop.variable]
      variables[loop.variable] = range
      loop.body = rewrite(loop.body)
      variables[loop.variable] = saved
      return .loop(loop)

    case .store(let buffer, let indices, let value):
      return .store(buffer: buffer, indices: indices.map { rewrite($0) }, value: rewrite(value))

    case .ifThen(let condition, let thenBody, let elseBody):
      let c = rewrite(condition)
      let saved = variables
      refine(c, holds: true)
      let t = rewrite(thenBody)
      variables = saved
      refine(c, holds: false)
      let e = rewrite(elseBody)
      variables = saved
      return .ifThen(condition: c, then: t, else: e)

    case .allocate(let buffer, let body):
      let saved = buffers[buffer.name]
      buffers[buffer.name] = buffer
      let b = rewrite(body)
      buffers[buffer.name] = saved
      return .allocate(buffer, body: b)
    }
  }

  /// Narrows variable ranges knowing that `condition` is `holds`.
  mutating func refine(_ condition: Expr, holds: Bool) {
    switch condition {
    case .unary(let op, let a):
      if op == .not { refine(a, holds: !holds) }
    case .binary(let op, let a, let b):
      switch op {
      case .and:
        if holds {
          refine(a, holds: true)
          refine(b, holds: true)
        }
      case .or:
        if !holds {
          refine(a, holds: false)
          refine(b, holds: false)
        }
      case .lt, .le, .gt, .ge, .eq, .ne:
        compare(a, holds ? op : negation(op), b)
      case .add, .sub, .mul, .div, .mod, .max, .min, .pow:
        return
      }
    case .constant, .index, .dim, .scalar, .load, .select, .cast:
      return
    }
  }

  /// The comparison that holds when `op` does not.
  func negation(_ op: BinaryOp) -> BinaryOp {
    switch op {
    case .lt: return .ge
    case .le: return .gt
    case .gt: return .le
    case .ge: return .lt
    case .eq: return .ne
    case .ne: return .eq
    case .add, .sub, .mul, .div, .mod, .max, .min, .pow, .and, .or: return op
    }
  }

  /// Narrows a variable on either side of a comparison `a op b` known to hold.
  mutating func compare(_ a: Expr, _ op: BinaryOp, _ b: Expr) {
    if case .index(let v) = a, let other = interval(b) { narrow(v, op, other) }
    if case .index(let v) = b, let other = interval(a) {
      let flipped: BinaryOp
      switch op {
      case .lt: flipped = .gt
      case .le: flipped = .ge
      case .gt: flipped = .lt
      case .ge: flipped = .le
      case .eq: flipped = .eq
      case .ne, .add, .sub, .mul, .div, .mod, .max, .min, .pow, .and, .or: return
      }
      narrow(v, flipped, other)
    }
  }

  /// Narrows the range of variable `v` knowing `v op e` for some value e in `other`.
  mutating func narrow(_ v: String, _ op: BinaryOp, _ other: Interval) {
    guard let current = variables[v], other.dtype.isInteger else { return }
    var lo = current.lo
    var hi = current.hi
    switch op {
    case .lt: if other.hi > Int64.min { hi = min(hi, other.hi - 1) }
    case .le: hi = min(hi, other.hi)
    case .gt: if other.lo < Int64.max { lo = max(lo, other.lo + 1) }
    case .ge: lo = max(lo, other.lo)
    case .eq:
      lo = max(lo, other.lo)
      hi = min(hi, other.hi)
    case .ne, .add, .sub, .mul, .div, .mod, .max, .min, .pow, .and, .or: return
    }
    // An empty range means the branch never runs; keeping the old range is sound.
    if lo <= hi { variables[v] = Interval(lo: lo, hi: hi, dtype: current.dtype) }
  }

  // MARK: Expressions

  func rewrite(_ e: Expr) -> Expr {
    switch e {
    case .constant, .index, .dim, .scalar: return e
    case .load(var l):
      l.indices = l.indices.map { rewrite($0) }
      if case .padded = l.bounds, provablyInside(l) { l.bounds = .inBounds }
      return .load(l)
    case .unary(let op, let a): return .unary(op, rewrite(a))
    case .binary(let op, let a, let b): return .binary(op, rewrite(a), rewrite(b))
    case .select(let c, let a, let b): return .select(rewrite(c), rewrite(a), rewrite(b))
    case .cast(let t, let a): return .cast(t, rewrite(a))
    }
  }

  func provablyInside(_ l: Load) -> Bool {
    guard let buffer = buffers[l.tensor], buffer.shape.count == l.indices.count else { return false }
    for (index, extent) in zip(l.indices, buffer.shape) {
      guard let i = interval(index), i.dtype.isInteger, i.lo >= 0, i.hi < Int64(extent) else { return false }
    }
    return true
  }

  /// The values an expression can take, or nil when unknown.
  func interval(_ e: Expr) -> Interval? { arithmetic.interval(e) }
}
