import KevcBasic
import KevcIR
import KevcLowering

/// Contractions marked `dot` lower to `tl.dot` on tiles when the shared analysis (`NestPlan.dot`, KevcLowering)
/// decides so: their schedule makes one output axis of each operand and their shared reduction axis blocks (the
/// matrix-unit tile) and every other loop serial or a program id:
/// `acc += tl.dot(a_tile[M, K], b_tile[K, N])` with f32 accumulation (bf16/f16 operands stay in their type and use
/// tensor cores; f32 operands use `input_precision="ieee"` so the result meets f32 tolerance, unless the schedule's
/// `precision(y, ...)` asks for `tf32`, `tf32x3`, `bf16x3` or `bf16` operands). Recognised from the
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
    /// The shared analysis's decision this plan spells (nil for a block fold's dot).
    var decision: NestPlan.Dot? = nil
  }

  /// Whether an operand is a load under only widening float casts (NestPlan.rawLoad).
  func rawLoad(_ e: Expr) -> Load? { NestPlan.rawLoad(e) { kernel.tensorType($0)?.dtype } }

  /// The shared analysis's dot decision (NestPlan.dot), spelled in Triton types.
  func dotPlan(
    _ d: Definition, body: Expr, axisLanes: [String], reductionLanes: [String], guarded: Bool,
    serialReductionBounds: [(Expr, Expr)], home: NestPlan.Home, blocks: [String: Int]
  ) -> DotPlan? {
    let laneSet = Set(blocks.keys)
    let laneDependent = serialReductionBounds.contains { !$0.0.indexNames.union($0.1.indexNames).isDisjoint(with: laneSet) }
    guard
      let dot = NestPlan.dot(
        d, body: body, axisLanes: axisLanes, reductionLanes: reductionLanes, blocks: blocks, guarded: guarded,
        laneDependentReductionBounds: laneDependent, home: home, storedType: { kernel.tensorType($0)?.dtype })
    else { return nil }
    let (m, n, k) = (dot.m, dot.n, dot.k)
    return DotPlan(
      m: m, n: n, k: k, lhs: dot.lhs, rhs: dot.rhs, lhsRaw: dot.lhsRaw, rhsRaw: dot.rhsRaw,
      operandType: dot.operands.map(TritonType.storage), precision: dot.precision?.rawValue,
      accumulatorType: TritonType.storage(dot.accumulator), resultType: dot.result,
      outputFrame: Frame(dims: [m: 0, n: 1], rank: 2), lhsFrame: Frame(dims: [m: 0, k: 1], rank: 2),
      rhsFrame: Frame(dims: [k: 0, n: 1], rank: 2), decision: dot)
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
    if let split = SplitDot(plan.precision.flatMap(NestPlan.Dot.Precision.init(rawValue:))) {
      // Three passes of split operands, written out (Triton's own "tf32x3" exists on CUDA only, and it has no
      // bf16x3): each f32 operand is a high part plus the remainder; the small products first. The high part is the
      // operand rounded to nearest (CUTLASS's 3xTF32 big part: add half of the dropped low mantissa bits' weight,
      // then clear them: 13 bits for tf32, 16 for bf16), so the remainder is at most half an ulp of the high
      // part: the dropped small x small product and the rounding of the remainder (tf32: the tensor cores'
      // truncation; bf16: the conversion's rounding to nearest, 8 of its at most 16 bits) leave about 2^-21 (tf32)
      // or up to 2^-16 (bf16) of each product instead of 2^-20 with a truncated tf32 part (two corpus defaults failed
      // f32 tolerance on heavy-tailed inputs with it, bench/gpu/session-h100-2026-12-07b). Where rounding up
      // reaches infinity (near f32's largest value) or the operand is NaN, the truncated part is kept, so a finite
      // operand never has an infinite high part and a NaN remainder. bf16 has f32's exponent range, so the high
      // part is exact in bf16 and the remainder (below 2^-8 of the operand) underflows only where f32's atol
      // covers it.
      let parts = [an, bn].map { (hi: fresh($0 + "_hi"), lo: fresh($0 + "_lo"), of: $0) }
      for p in parts {
        let bits = fresh(p.of + "_bits")
        line("\(bits) = \(p.of).to(tl.int32, bitcast=True)")
        line("\(p.hi) = ((\(bits) + \(split.half)) & \(split.mask)).to(tl.float32, bitcast=True)")
        line("\(p.hi) = tl.where((\(p.of) != \(p.of)) | (tl.abs(\(p.hi)) == float(\"inf\")), (\(bits) & \(split.mask)).to(tl.float32, bitcast=True), \(p.hi))")
        line("\(p.lo) = \(p.of) - \(p.hi)")
        if let t = split.operandType {
          line("\(p.hi) = \(p.hi).to(\(t))")
          line("\(p.lo) = \(p.lo).to(\(t))")
        }
      }
      // The three passes of one step go into a fresh partial, added to the running sum by an ordinary f32 add: the
      // tensor cores' f32 accumulation truncates (it does not round to nearest), and chained through the whole
      // contraction (`tl.dot(.., acc)`) its error grows with the number of steps. Chained, three corpus defaults
      // failed f32 tolerance on an H100 at K of 2048 to 8192 (bench/gpu/session-h100-2026-12-07/wrong/); modelled
      // at K = 8192 the chained error is 53x an f32 dot's, the per-step partial's 1.3x
      // (python/tests/test_tf32x3_numerics.py; bf16x3: python/tests/test_bf16x3_numerics.py).
      let precision = split.inputPrecision.map { ", input_precision=\"\($0)\"" } ?? ""
      let step = fresh(acc + "_step")
      line("\(step) = tl.dot(\(parts[0].lo), \(parts[1].hi)\(precision), out_dtype=tl.float32)")
      line("\(step) = tl.dot(\(parts[0].hi), \(parts[1].lo), \(step)\(precision))")
      line("\(step) = tl.dot(\(parts[0].hi), \(parts[1].hi), \(step)\(precision))")
      line("\(acc) = \(acc) + \(step)")
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

/// How a dot in three passes of split operands (`precision(y, tf32x3 | bf16x3)`) splits each f32 operand: the high
/// part keeps the sign, the exponent and the top mantissa bits (rounded to nearest: `half` added to the bits before
/// `mask` clears the rest), the remainder is the operand minus it; both go to `tl.dot` as `operandType` (nil: f32
/// read as `inputPrecision`).
struct SplitDot {
  var half: Int
  var mask: Int
  var operandType: String?
  var inputPrecision: String?

  init?(_ precision: NestPlan.Dot.Precision?) {
    switch precision {
    case .tf32x3?: (half, mask, operandType, inputPrecision) = (4096, -8192, nil, "tf32")
    case .bf16x3?: (half, mask, operandType, inputPrecision) = (32768, -65536, "tl.bfloat16", nil)
    case .ieee?, .tf32?, nil: return nil
    }
  }
}
