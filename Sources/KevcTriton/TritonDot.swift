import KevcBasic
import KevcIR

/// Contractions marked `dot` lower to `tl.dot` on tiles when their schedule makes one output axis of each operand
/// and their shared reduction axis blocks (the matrix-unit tile) and every other loop serial or a program id:
/// `acc += tl.dot(a_tile[M, K], b_tile[K, N])` with f32 accumulation (bf16/f16 operands stay in their type and use
/// tensor cores; f32 operands use `input_precision="ieee"` so the result meets f32 tolerance, unless the schedule's
/// `precision(y, ...)` asks for `tf32`, `tf32x3` or `bf16` operands). Recognised from the
/// IR pattern only (a sum of a product of two loads, possibly cast); any other schedule of a `dot` definition
/// takes the general block-reduction path, which computes the same values.
extension KernelBuilder {
  struct DotPlan {
    var m: String
    var n: String
    var k: String
    var lhs: Expr
    var rhs: Expr
    var lhsRaw: Bool
    var rhsRaw: Bool
    /// The Triton dtype operands are converted to, nil for raw operands of matching type.
    var operandType: String?
    var precision: String?
    var accumulatorType: String
    var resultType: DType
    var outputFrame: Frame
    var lhsFrame: Frame
    var rhsFrame: Frame
  }

  func stripCasts(_ e: Expr) -> Expr {
    if case .cast(_, let inner) = e { return stripCasts(inner) }
    return e
  }

  /// Whether an operand is a load under only widening float casts (its stored values are exact in the result).
  func rawLoad(_ e: Expr) -> Load? {
    var x = e
    var targets: [DType] = []
    while case .cast(let t, let inner) = x {
      targets.append(t)
      x = inner
    }
    guard case .load(let l) = x, let s = kernel.tensorType(l.tensor)?.dtype else { return nil }
    for t in targets {
      guard s.isFloat == t.isFloat, t.mantissaBits >= s.mantissaBits, t.isFloat || t == s || s == .i8 else { return nil }
    }
    return l
  }

  func dotPlan(
    _ d: Definition, body: Expr, frameLanes: [String], axisLanes: [String], reductionLanes: [String],
    guarded: Bool, serialReductionBounds: [(Expr, Expr)], registerMode: Bool, blocks: [String: Int]
  ) throws(DiagnosticError) -> DotPlan? {
    let s = d.effectiveSchedule
    guard s.isDot, let r = d.reduction, r.op == .sum, !registerMode, !guarded, axisLanes.count == 2,
      reductionLanes.count == 1
    else { return nil }
    let laneSet = Set(frameLanes)
    for (lo, hi) in serialReductionBounds where !lo.indexNames.union(hi.indexNames).isDisjoint(with: laneSet) {
      return nil
    }
    guard case .binary(.mul, let a, let b) = stripCasts(body) else { return nil }
    let aLanes = a.indexNames.intersection(laneSet)
    let bLanes = b.indexNames.intersection(laneSet)
    let k = reductionLanes[0]
    var m = axisLanes[0]
    var n = axisLanes[1]
    if aLanes == [n, k] && bLanes == [m, k] { swap(&m, &n) }
    guard aLanes == [m, k], bLanes == [k, n] else { return nil }
    // Blocks of at least 16 in every dimension (tl.dot's minimum).
    guard let bm = blocks[m], let bn = blocks[n], let bk = blocks[k], bm >= 16, bn >= 16, bk >= 16 else {
      return nil
    }
    let la = rawLoad(a)
    let lb = rawLoad(b)
    let sa = la.flatMap { kernel.tensorType($0.tensor)?.dtype }
    let sb = lb.flatMap { kernel.tensorType($0.tensor)?.dtype }
    var plan = DotPlan(
      m: m, n: n, k: k, lhs: a, rhs: b, lhsRaw: false, rhsRaw: false,
      operandType: "tl.float32", precision: "ieee", accumulatorType: "tl.float32", resultType: r.accumulator,
      outputFrame: Frame(dims: [m: 0, n: 1], rank: 2), lhsFrame: Frame(dims: [m: 0, k: 1], rank: 2),
      rhsFrame: Frame(dims: [k: 0, n: 1], rank: 2))
    switch r.accumulator {
    case .f32, .f16, .bf16:
      if let sa, let sb, sa == sb, sa == .f16 || sa == .bf16 {
        plan.lhsRaw = true
        plan.rhsRaw = true
        plan.operandType = nil
        plan.precision = nil
      }
    case .f64:
      plan.operandType = "tl.float64"
      plan.accumulatorType = "tl.float64"
    case .i32:
      guard sa == .i8, sb == .i8 else { return nil }
      plan.lhsRaw = true
      plan.rhsRaw = true
      plan.operandType = nil
      plan.precision = nil
      plan.accumulatorType = "tl.int32"
    case .i8, .i64, .bool:
      return nil
    }
    // `precision(y, ...)`: f32 operands on tensor cores in tf32 (one pass or three) or cast to bf16.
    if plan.operandType == "tl.float32", plan.accumulatorType == "tl.float32" {
      switch s.dotPrecision {
      case .tf32?: plan.precision = "tf32"
      case .tf32x3?: plan.precision = "tf32x3"
      case .bf16?:
        plan.operandType = "tl.bfloat16"
        plan.precision = nil
      case nil: break
      }
    }
    return plan
  }

  /// The constexpr name and size of a lane's block, whether or not the lane is defined yet.
  func pendingBlock(_ lane: String) -> (String, Int)? {
    if case .lane(let l)? = bindings[lane] { return (l.constexpr, l.block) }
    return nil
  }

  mutating func emitDotStep(_ plan: DotPlan, accumulator acc: String) throws(DiagnosticError) {
    let a = try dotOperand(plan.lhs, raw: plan.lhsRaw, frame: plan.lhsFrame, type: plan.operandType)
    let b = try dotOperand(plan.rhs, raw: plan.rhsRaw, frame: plan.rhsFrame, type: plan.operandType)
    let an = fresh("a")
    let bn = fresh("b")
    line("\(an) = \(a)")
    line("\(bn) = \(b)")
    if plan.precision == "tf32x3" {
      // Three tf32 passes, written out (Triton's own "tf32x3" exists on CUDA only): each f32 operand is a tf32
      // part (its low 13 mantissa bits cleared) plus the exact remainder; the small products first.
      let parts = [an, bn].map { (hi: fresh($0 + "_hi"), lo: fresh($0 + "_lo"), of: $0) }
      for p in parts {
        line("\(p.hi) = (\(p.of).to(tl.int32, bitcast=True) & -8192).to(tl.float32, bitcast=True)")
        line("\(p.lo) = \(p.of) - \(p.hi)")
      }
      let tf32 = ", input_precision=\"tf32\""
      line("\(acc) = tl.dot(\(parts[0].lo), \(parts[1].hi), \(acc)\(tf32))")
      line("\(acc) = tl.dot(\(parts[0].hi), \(parts[1].lo), \(acc)\(tf32))")
      line("\(acc) = tl.dot(\(parts[0].hi), \(parts[1].hi), \(acc)\(tf32))")
      return
    }
    let precision = plan.precision.map { ", input_precision=\"\($0)\"" } ?? ""
    line("\(acc) = tl.dot(\(an), \(bn), \(acc)\(precision))")
  }

  mutating func dotOperand(_ x: Expr, raw: Bool, frame: Frame, type: String?) throws(DiagnosticError) -> String {
    if let l = rawLoad(x) {
      let code = try load(l, frame, raw: true)
      let padIsZero: Bool
      switch l.bounds {
      case .inBounds, .padded(nil): padIsZero = true
      case .padded(let c?): padIsZero = c.doubleValue == 0
      }
      let converted = raw || type == nil ? code.text : "(\(code.text)).to(\(type ?? "tl.float32"))"
      if padIsZero { return converted }
      let m = maskText(frame, within: code.lanes)
      return m.map { "tl.where(\($0), \(converted), 0)" } ?? converted
    }
    let code = try expr(x, frame)
    var text = code.isConstant ? materialize(code) : code.text
    if let type { text = "(\(text)).to(\(type))" }
    if let m = maskText(frame, within: code.lanes) { text = "tl.where(\(m), \(text), 0)" }
    if !Set(frame.dims.keys).isSubset(of: code.lanes) {
      text = "tl.broadcast_to(\(text), (\(shape(frame, keeping: Set(frame.dims.keys)).joined(separator: ", "))))"
    }
    return text
  }
}
