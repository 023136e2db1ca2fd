import KevcBasic
import KevcIR

/// Marks loads that provably stay inside their buffer as `inBounds`.
///
/// An interval analysis over integer index expressions: a loop variable ranges over
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
    var analysis = Analysis(dims: dims, buffers: [:])
    for (v, r) in variables { analysis.variables[v] = Interval(lo: r.lowerBound, hi: r.upperBound, dtype: .i64) }
    guard let i = analysis.interval(e) else { return nil }
    return i.lo...i.hi
  }
}

/// A closed range of values of an integer (or bool) type; `lo <= hi` always.
struct Interval: Hashable {
  var lo: Int64
  var hi: Int64
  var dtype: DType

  /// The interval if it fits in `t`'s range (so no wrapping happened), else nil.
  func fitting(_ t: DType) -> Interval? {
    guard let (min, max) = Interval.typeRange(t), lo >= min, hi <= max, lo <= hi else { return nil }
    return Interval(lo: lo, hi: hi, dtype: t)
  }

  static func typeRange(_ t: DType) -> (Int64, Int64)? {
    switch t {
    case .i8: return (Int64(Int8.min), Int64(Int8.max))
    case .i32: return (Int64(Int32.min), Int64(Int32.max))
    case .i64: return (Int64.min, Int64.max)
    case .bool: return (0, 1)
    case .f16, .bf16, .f32, .f64: return nil
    }
  }

  static func bool(_ lo: Int64, _ hi: Int64) -> Interval { Interval(lo: lo, hi: hi, dtype: .bool) }

  /// The smallest interval holding the given values (all computed without overflow), in type `t`.
  static func hull(_ values: [Int64], _ t: DType) -> Interval? {
    guard let lo = values.min(), let hi = values.max() else { return nil }
    return Interval(lo: lo, hi: hi, dtype: t).fitting(t)
  }
}

private struct Analysis {
  let dims: [String: Int]
  var buffers: [String: Buffer]
  /// Ranges of the loop variables in scope whose range is known.
  var variables: [String: Interval] = [:]

  init(dims: [String: Int], buffers: [String: Buffer]) {
    self.dims = dims
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

  /// The values an expression can take, or nil when unknown (floats, data, scalars, possible overflow).
  func interval(_ e: Expr) -> Interval? {
    switch e {
    case .constant(let c):
      switch c.value {
      case .int(let v): return c.dtype.isInteger ? Interval(lo: v, hi: v, dtype: c.dtype) : nil
      case .bool(let b): return c.dtype == .bool ? .bool(b ? 1 : 0, b ? 1 : 0) : nil
      case .float: return nil
      }
    case .index(let v): return variables[v]
    case .dim(let d):
      guard let v = dims[d] else { return nil }
      return Interval(lo: Int64(v), hi: Int64(v), dtype: .i64)
    case .scalar, .load: return nil
    case .unary(let op, let a):
      guard let x = interval(a) else { return nil }
      switch op {
      case .neg:
        guard x.dtype.isInteger, x.lo > Int64.min else { return nil }
        return Interval(lo: -x.hi, hi: -x.lo, dtype: x.dtype).fitting(x.dtype)
      case .abs:
        guard x.dtype.isInteger, x.lo > Int64.min else { return nil }
        if x.lo >= 0 { return x }
        if x.hi <= 0 { return Interval(lo: -x.hi, hi: -x.lo, dtype: x.dtype).fitting(x.dtype) }
        return Interval(lo: 0, hi: max(-x.lo, x.hi), dtype: x.dtype).fitting(x.dtype)
      case .not:
        guard x.dtype == .bool else { return nil }
        return .bool(1 - x.hi, 1 - x.lo)
      case .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .erf, .floor, .ceil, .isnan: return nil
      }
    case .binary(let op, let a, let b):
      if op.isComparison || op.isLogical { return .bool(0, 1) }
      guard let x = interval(a), let y = interval(b), x.dtype == y.dtype, x.dtype.isInteger else { return nil }
      let t = x.dtype
      switch op {
      case .add:
        let (lo, o1) = x.lo.addingReportingOverflow(y.lo)
        let (hi, o2) = x.hi.addingReportingOverflow(y.hi)
        guard !o1, !o2 else { return nil }
        return Interval(lo: lo, hi: hi, dtype: t).fitting(t)
      case .sub:
        let (lo, o1) = x.lo.subtractingReportingOverflow(y.hi)
        let (hi, o2) = x.hi.subtractingReportingOverflow(y.lo)
        guard !o1, !o2 else { return nil }
        return Interval(lo: lo, hi: hi, dtype: t).fitting(t)
      case .mul:
        var products: [Int64] = []
        for p in [x.lo, x.hi] {
          for q in [y.lo, y.hi] {
            let (r, o) = p.multipliedReportingOverflow(by: q)
            if o { return nil }
            products.append(r)
          }
        }
        return .hull(products, t)
      case .div:
        // Floor division is monotone in each operand on a divisor range that excludes 0 (x / 0 == 0 is not
        // modelled: give up when the divisor may be 0).
        guard y.lo > 0 || y.hi < 0 else { return nil }
        if x.lo == Int64.min && y.lo <= -1 && y.hi >= -1 { return nil }
        return .hull([x.lo, x.hi].flatMap { p in [y.lo, y.hi].map { q in floorDiv(p, q) } }, t)
      case .mod:
        if y.lo > 0 {
          if x.lo >= 0 && x.hi < y.lo { return x }
          return Interval(lo: 0, hi: y.hi - 1, dtype: t)
        }
        if y.hi < 0 {
          if x.hi <= 0 && x.lo > y.hi { return x }
          return Interval(lo: y.lo + 1, hi: 0, dtype: t)
        }
        return nil
      case .max: return Interval(lo: max(x.lo, y.lo), hi: max(x.hi, y.hi), dtype: t)
      case .min: return Interval(lo: min(x.lo, y.lo), hi: min(x.hi, y.hi), dtype: t)
      case .pow, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return nil
      }
    case .select(_, let a, let b):
      guard let x = interval(a), let y = interval(b), x.dtype == y.dtype else { return nil }
      return Interval(lo: min(x.lo, y.lo), hi: max(x.hi, y.hi), dtype: x.dtype)
    case .cast(let t, let a):
      guard let x = interval(a) else { return nil }
      switch t {
      case .i8, .i32, .i64:
        guard x.dtype.isInteger || x.dtype == .bool else { return nil }
        return x.fitting(t)
      case .bool:
        guard x.dtype.isInteger || x.dtype == .bool else { return nil }
        if x.lo == 0 && x.hi == 0 { return .bool(0, 0) }
        if x.lo > 0 || x.hi < 0 { return .bool(1, 1) }
        return .bool(0, 1)
      case .f16, .bf16, .f32, .f64: return nil
      }
    }
  }
}
