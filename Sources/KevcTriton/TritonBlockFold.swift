/// The block fold of a max-rescaled tuple reduction (`MaxRescaledCombiner`): a block of reduction lanes folds in
/// closed form instead of element by element, and a block of a contraction `sum_j p[i, j] * x[j, n]` is one
/// `tl.dot` (the dot machinery of TritonDot.swift). The state lives in the frame of the axis lanes, each component
/// in its own lanes only (the running maximum and the normaliser of attention are `[BLOCK_i]`, the output rows
/// `[BLOCK_i, BLOCK_e]`): Triton keeps a row statistic once per row, where `[BLOCK_i, 1]` in the output rows' layout
/// would repeat it across the matrix-unit tile's columns in every thread. Across a serial loop of blocks, each block
/// joins the running state directly (FlashAttention-2's update, which is the combiner applied to the state and the
/// block's closed form).
///
///     %o[i, e] = reduce<m = -inf, w0 = 0, w1 = 0> [j in 0 .. S] (s[i, j] * c, v[j, e], 1.0) combine (max, rescaled sums)
///     ->  (j split by 64, j.i a block: lanes i (64), e (D), j.i (64); c > 0 a constant, e.g. rsqrt(f32(D)))
///     t_m = tl.where(j_ok, s, -inf)                         # the element without its scale   [BI, BJ]
///     blk_m = tl.reduce(t_m, 1, _kevc_max_nan) * c          # M_J = max_j m_j = c max_j s_j    [BI]
///     m_new = max(acc_m, blk_m)                             # the combiner's max               [BI]
///     m_s = tl.where(m_new == -inf, 0.0, m_new) * log2(e)   # the guard, once per row          [BI]
///     p = tl.where(j_ok, tl.exp2(t_m * (c * log2(e)) - m_s[:, None]), 0)   # p_j = r(m_j, M)   [BI, BJ]
///     alpha = tl.exp2(acc_m * log2(e) - m_s)                # r(m, M)                          [BI]
///     blk_w0 = acc_w0 * alpha[:, None]
///     blk_w0 = tl.dot(p.to(tl.bfloat16), v_tile, blk_w0)    # w0 r(m, M) + sum_j p_j v[j, e]  [BI, BE]
///     blk_w1 = acc_w1 * alpha + tl.sum(p, 1)                # w1 r(m, M) + sum_j p_j          [BI]
///     acc_m, acc_w0, acc_w1 = m_new, blk_w0, blk_w1
///
/// Masked lanes (block tails) get `m = -inf` and `p = 0`, so they contribute the identity. With bf16/f16 operands
/// of the contraction, `p` is rounded to that type for the tensor cores (FlashAttention-2 does the same); f32
/// operands stay f32 (`input_precision="ieee"`).
///
/// f32 rescalings `r(x, M) = exp(x - M)` are printed as `exp2(x * log2(e) - M * log2(e))` (one FMA and `ex2` per
/// element, where `tl.exp` is a multiplication by log2(e) and `ex2` after the subtraction), and the guarded form
/// `select(x == M, 1, exp(x - M))` as the same against the safe maximum `M' = (M == -inf ? 0 : M)` taken once per
/// row (FlashAttention-2's form): `x == M` only matters where `M` is infinite, so the two agree on every row whose
/// maximum is finite; on a row whose maximum is -inf throughout, the guarded combiner would sum `x` with weight 1
/// (the IR's `r(-inf, -inf) = 1`), the safe maximum leaves the identity (w = 0), and the yield sees what the unfused
/// kernel computes (softmax: `0 / 0 = NaN`). A row whose maximum is -inf for some blocks and finite later is the same
/// either way: the guarded sums are rescaled by `r(-inf, M) = 0` once the maximum is finite. The exp2 form rounds
/// differently from `exp` at the ulp level (the argument's product with log2(e) is rounded once instead of the
/// difference being rounded first): a relative error of a few f32 ulps of `|x| log2(e)` in `p`, within the harness's
/// f32 tolerance. A positive constant scale `c` of the maximum's element (`y * c`, or `select(g, y * c, -inf)`) is
/// folded: the block maximum is taken of `y` and scaled once per row (exact: rounding is monotone), and `c * log2(e)`
/// is the factor of `exp2` (the scaled element is never formed), as the Triton tutorial's fused attention does.
import KevcBasic
import KevcIR

extension KernelBuilder {
  /// How one tuple reduction is emitted over its reduction lanes.
  struct BlockFold {
    var form: MaxRescaledCombiner
    /// The frame of the axis lanes (the state's frame).
    var stateFrame: Frame
    /// Per component, the axis lanes its state varies along.
    var stateLanes: [Set<String>]
    /// The lanes the maximum's block is evaluated over (besides the reduction lanes): those its element reads and
    /// those the reduction's domain depends on (bounds and guards that vary across lanes, so that their masks
    /// apply). Fixed for every pass over the blocks, so that the state keeps its shapes.
    var maxBlockLanes: Set<String>

    /// The frame of component `i`'s state: its own lanes only (the running maximum of attention is `[BLOCK_i]`, a
    /// row statistic Triton keeps once per row, where `[BLOCK_i, 1]` would be held in the layout of the output
    /// rows, every value repeated in each thread across the columns of the matrix-unit tile).
    func componentFrame(_ i: Int) -> Frame {
      let lanes = i < stateLanes.count ? stateLanes[i] : []
      let ordered = lanes.filter { stateFrame.dims[$0] != nil }.sorted { (stateFrame.dims[$0] ?? 0) < (stateFrame.dims[$1] ?? 0) }
      return Frame(dims: Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1, $0) }), rank: ordered.count)
    }
  }

  /// The lanes of the frame an expression reads.
  func frameLanes(_ e: Expr, _ f: Frame) -> Set<String> {
    e.indexNames.filter { f.dims[$0] != nil }
  }

  /// The frame of `lanes` (a subset of `f`'s), in `f`'s order.
  func subframe(_ f: Frame, _ lanes: Set<String>) -> Frame {
    let ordered = lanes.filter { f.dims[$0] != nil }.sorted { (f.dims[$0] ?? 0) < (f.dims[$1] ?? 0) }
    return Frame(dims: Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1, $0) }), rank: ordered.count)
  }

  /// The lanes of a frame in order.
  func orderedLanes(_ f: Frame) -> [String] { f.dims.keys.sorted { (f.dims[$0] ?? 0) < (f.dims[$1] ?? 0) } }

  /// A value of the frame `from` (whose lanes are a subset of `to`'s, in the same order) as a value of `to`: size-1
  /// dimensions inserted where `to` has lanes `from` lacks.
  func lift(_ text: String, from: Frame, to: Frame) -> String {
    if from.rank == to.rank { return text }
    if from.rank == 0 {
      return "tl.broadcast_to(\(text), (\(Array(repeating: "1", count: to.rank).joined(separator: ", ")),))"
    }
    let index = orderedLanes(to).map { from.dims[$0] != nil ? ":" : "None" }
    return "\(text)[\(index.joined(separator: ", "))]"
  }

  /// The block fold of `c` when it is max-rescaled and the reduction has lanes, else nil.
  func blockFold(
    _ c: Combiner, elements: [Expr], domain: [Expr], frame: Frame, reductionLanes: [String], axisLanes: [String]
  ) -> BlockFold? {
    guard !reductionLanes.isEmpty, let form = MaxRescaledCombiner.analyse(c), elements.count == c.components.count else {
      return nil
    }
    let axes = Set(axisLanes)
    let domainLanes = domain.reduce(into: Set<String>()) { $0.formUnion(frameLanes($1, frame)) }
    let maxBlockLanes = frameLanes(elements[form.maxComponent], frame).union(domainLanes)
    let maxLanes = maxBlockLanes.intersection(axes)
    let lanes = elements.indices.map { i in
      i == form.maxComponent ? maxLanes : frameLanes(elements[i], frame).intersection(axes).union(maxLanes)
    }
    return BlockFold(form: form, stateFrame: subframe(frame, axes), stateLanes: lanes, maxBlockLanes: maxBlockLanes)
  }

  /// The initial state of a block fold: each component at its identity, shaped by its lanes in the state frame.
  mutating func initialiseBlockFold(_ c: Combiner, _ fold: BlockFold) -> [String] {
    c.components.enumerated().map { i, comp in
      let v = fresh("acc_" + pythonIdentifier(comp.name))
      let own = fold.componentFrame(i)
      let s = own.rank == 0 ? "[]" : "[" + shape(own, keeping: fold.stateLanes[i]).joined(separator: ", ") + "]"
      line("\(v) = tl.full(\(s), \(TritonType.literal(comp.identity)), \(TritonType.register(comp.dtype)))")
      return v
    }
  }

  /// One block of reduction lanes folded in. With a running state `running` (a serial loop of blocks), the block
  /// joins it directly, FlashAttention-2's form: `M = max(m, M_J)` (the combiner's own max), `p_j = r(m_j, M)` and
  /// `w = w * r(m, M) + sum_j p_j * x_j` (a contraction block accumulates into the rescaled state: `tl.dot(p, v,
  /// w * r(m, M))`), which is the combiner applied to (state, block) since `r(m_j, M_J) * r(M_J, M) = r(m_j, M)`
  /// (also at -inf). Returns the new state's values (state frame), by component; without a running state, the
  /// block's own state (`M_J`, `W_J`).
  mutating func blockFoldContribution(
    _ c: Combiner, _ fold: BlockFold, elements: [Expr], frame: Frame, reductionLanes: [String], running: [String]?
  ) throws(DiagnosticError) -> [String] {
    let k = fold.form.maxComponent
    let mc = c.components[k]
    let reduction = Set(reductionLanes)
    let maxState = fold.componentFrame(k)
    // The maximum's element on its lanes and the reduction lanes; masked lanes at -inf.
    let g0 = subframe(frame, fold.maxBlockLanes.union(reduction))
    let g0Lanes = Set(g0.dims.keys)
    // f32 rescalings are printed as exp2 (below); a positive constant scale of the element is then folded.
    let exp2Form = mc.dtype == .f32
    let scaled = exp2Form ? positivelyScaled(elements[k]) : nil
    let element = scaled?.unscaled ?? elements[k]
    noteRepeats(element)
    let x = try expr(element, g0)
    var text = x.isConstant ? materialize(x) : "(\(x.text)).to(\(TritonType.register(mc.dtype)))"
    let mask0 = maskText(g0, within: g0Lanes)
    if let mask0 { text = "tl.where(\(mask0), \(text), \(TritonType.literal(mc.identity)))" }
    let tm = fresh("t_" + pythonIdentifier(mc.name))
    line("\(tm) = tl.broadcast_to(\(text), (\(shape(g0, keeping: g0Lanes).joined(separator: ", "))\(g0.rank == 1 ? "," : "")))")
    // M_J: the maximum over the reduction lanes (NaN-propagating, like the combiner's max).
    let (maxFn, _) = reducer(.max, mc.dtype)
    let blockMax = fresh("blk_" + pythonIdentifier(mc.name))
    line("\(blockMax) = \(tm)")
    for l in reductionLanes.sorted(by: { (g0.dims[$0] ?? 0) > (g0.dims[$1] ?? 0) }) {
      line("\(blockMax) = tl.reduce(\(blockMax), \(g0.dims[l] ?? 0), \(maxFn))")
    }
    // max_j (y_j * c) = (max_j y_j) * c for c > 0 (rounding is monotone): the block's maximum of the element.
    var scaleLog2e = "1.4426950408889634"
    if let scaled {
      let c = materialize(try expr(scaled.scale, subframe(g0, [])))
      line("\(blockMax) = \(blockMax) * \(c)")
      scaleLog2e = fresh("scale_log2e")
      line("\(scaleLog2e) = \(c) * 1.4426950408889634")
    }
    let maxFrame = subframe(g0, g0Lanes.subtracting(reduction))
    let maxLanes = Set(maxFrame.dims.keys)
    // The maximum p is taken against: the block's, or the new running maximum (state frame, then block frame).
    let saved = tupleLocals
    defer { tupleLocals = saved }
    var newMax = lift(blockMax, from: maxFrame, to: maxState)
    var maxInBlock = lift(blockMax, from: maxFrame, to: g0)
    if let running {
      let a = Combiner.left(mc.name)
      let b = Combiner.right(mc.name)
      tupleLocals[a] = Code(text: running[k], lanes: fold.stateLanes[k], type: mc.dtype, isConstant: false)
      tupleLocals[b] = Code(text: newMax, lanes: maxLanes, type: mc.dtype, isConstant: false)
      let m = try expr(c.combine[k], maxState)
      newMax = fresh("m_new")
      line("\(newMax) = \(m.text)")
      // (A scalar state broadcasts as it is.)
      maxInBlock = maxState.rank == 0 ? newMax : lift(newMax, from: maxState, to: g0)
    }
    // p_j = r(m_j, M), 0 on masked lanes.
    let pName = fresh("p")
    let xName = "%block.x"
    let mName = "%block.M"
    var alpha: String?
    if exp2Form {
      // exp(x - M) as exp2(x * log2(e) - M * log2(e)), the offset once per row against the safe maximum (0 where M
      // is -inf: FlashAttention-2's form of the guard, docs in lowering/triton/README.md).
      func offset(_ m: String) -> String {
        fold.form.guarded ? "tl.where(\(m) == -float(\"inf\"), 0.0, \(m)) * 1.4426950408889634" : "\(m) * 1.4426950408889634"
      }
      let ms = fresh("m_s")
      if let running {
        line("\(ms) = \(offset(newMax))")
        let msInBlock = maxState.rank == 0 ? ms : lift(ms, from: maxState, to: g0)
        line("\(pName) = \(mask0.map { "tl.where(\($0), tl.exp2(\(tm) * \(scaleLog2e) - \(msInBlock)), 0.0)" } ?? "tl.exp2(\(tm) * \(scaleLog2e) - \(msInBlock))")")
        let name = fresh("alpha")
        line("\(name) = tl.exp2(\(running[k]) * 1.4426950408889634 - \(ms))")
        alpha = name
      } else {
        line("\(ms) = \(offset(maxInBlock))")
        line("\(pName) = \(mask0.map { "tl.where(\($0), tl.exp2(\(tm) * \(scaleLog2e) - \(ms)), 0.0)" } ?? "tl.exp2(\(tm) * \(scaleLog2e) - \(ms))")")
      }
    } else {
      tupleLocals[xName] = Code(text: tm, lanes: g0Lanes, type: mc.dtype, isConstant: false)
      tupleLocals[mName] = Code(text: maxInBlock, lanes: maxLanes, type: mc.dtype, isConstant: false)
      let r = try expr(fold.form.rescaling(.scalar(xName), max: .scalar(mName), type: mc.dtype), g0)
      line("\(pName) = \(mask0.map { "tl.where(\($0), \(r.text), 0.0)" } ?? r.text)")
    }
    // The running state's rescaling r(m, M) (state frame).
    if let running, !exp2Form {
      tupleLocals[xName] = Code(text: running[k], lanes: fold.stateLanes[k], type: mc.dtype, isConstant: false)
      tupleLocals[mName] = Code(text: newMax, lanes: fold.stateLanes[k], type: mc.dtype, isConstant: false)
      let rm = try expr(fold.form.rescaling(.scalar(xName), max: .scalar(mName), type: mc.dtype), maxState)
      let name = fresh("alpha")
      line("\(name) = \(rm.text)")
      alpha = name
    }
    var out: [String] = []
    for (i, comp) in c.components.enumerated() {
      if i == k {
        out.append(newMax)
        continue
      }
      let w = fresh("blk_" + pythonIdentifier(comp.name))
      let stateLanes = fold.stateLanes[i]
      let own = fold.componentFrame(i)
      let rescaled = running.map { "\($0[i]) * \(alpha.map { lift($0, from: maxState, to: own) } ?? "1.0")" }
      if let plan = blockDotPlan(comp, element: elements[i], p: (pName, g0), frame: frame, reductionLanes: reductionLanes, stateLanes: stateLanes) {
        let bm = pendingBlock(plan.m)?.0 ?? "1"
        let bn = pendingBlock(plan.n)?.0 ?? "1"
        let inOrder = (frame.dims[plan.m] ?? 0) < (frame.dims[plan.n] ?? 0)
        // The product accumulates into the rescaled state when it comes out in the state's layout.
        if let rescaled, inOrder, own.rank == 2 {
          line("\(w) = \(rescaled)")
        } else {
          line("\(w) = tl.zeros([\(bm), \(bn)], dtype=\(plan.accumulatorType))")
        }
        tupleLocals[plan.lhsName] = Code(text: plan.lhsText, lanes: [plan.m, plan.k], type: mc.dtype, isConstant: false)
        try emitDotStep(plan.plan, accumulator: w)
        if let rescaled, inOrder, own.rank == 2 {
          out.append(w)
          continue
        }
        let result = lift(inOrder ? w : "tl.trans(\(w))", from: subframe(frame, [plan.m, plan.n]), to: own)
        out.append(rescaled.map { "\($0) + \(result)" } ?? result)
        continue
      }
      // W = sum over the reduction lanes of p * x (masked lanes at 0).
      let gi = subframe(frame, frameLanes(elements[i], frame).union(g0Lanes))
      let giLanes = Set(gi.dims.keys)
      noteRepeats(elements[i])
      let xi = try expr(elements[i], gi)
      var t = xi.isConstant ? materialize(xi) : "(\(xi.text)).to(\(TritonType.register(comp.dtype)))"
      if let m = maskText(gi, within: giLanes) { t = "tl.where(\(m), \(t), \(TritonType.literal(comp.identity)))" }
      line("\(w) = tl.broadcast_to(\(lift(pName, from: g0, to: gi)) * \(t), (\(shape(gi, keeping: giLanes).joined(separator: ", "))\(gi.rank == 1 ? "," : "")))")
      for l in reductionLanes.sorted(by: { (gi.dims[$0] ?? 0) > (gi.dims[$1] ?? 0) }) {
        line("\(w) = tl.sum(\(w), \(gi.dims[l] ?? 0))")
      }
      let sum = lift(w, from: subframe(gi, giLanes.subtracting(reduction)), to: own)
      out.append(rescaled.map { "\($0) + \(sum)" } ?? sum)
    }
    return out.map { text in
      if text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) { return text }
      let v = fresh("blk")
      line("\(v) = \(text)")
      return v
    }
  }

  /// The maximum component's element as `y * c` (or `select(g, y * c, -inf)`) with `c` free of lanes and loads and
  /// a positive normal f32 constant once the dims are bound (`rsqrt(f32(D))`): then the block's maximum is taken of
  /// `y` and scaled once per row (`max_j y_j c = c max_j y_j`, rounding being monotone), and `c * log2(e)` is one
  /// factor of `exp2` (the scaled score is never formed). Else nil.
  func positivelyScaled(_ e: Expr) -> (unscaled: Expr, scale: Expr)? {
    if case .select(let g, let inside, .constant(let other)) = e, other == .float(-.infinity, .f32) {
      return positivelyScaled(inside).map { (.select(g, $0.unscaled, .constant(other)), $0.scale) }
    }
    guard case .binary(.mul, let a, let b) = e else { return nil }
    let evaluator = ConstantEvaluator(values: [:], types: [:])
    func positive(_ c: Expr) -> Bool {
      let closed = c.rewritten { node in
        if case .dim(let d) = node, let v = dims[d] { return .constant(.int(Int64(v))) }
        return nil
      }
      guard let v = evaluator.evaluate(closed) else { return false }
      let f = Float(v)
      return f.isFinite && f >= Float.leastNormalMagnitude
    }
    if positive(b) { return (a, b) }
    if positive(a) { return (b, a) }
    return nil
  }

  /// A dot of the block contraction `sum_j p[m, j] * x[j, n]` for a component whose element `x` varies along
  /// the one reduction lane `j` and one axis lane `n` that `p` lacks, with tl.dot's minimum block of 16 in each.
  struct BlockDot {
    var plan: DotPlan
    var lhsName: String
    var lhsText: String
    var m: String { plan.m }
    var n: String { plan.n }
    var k: String { plan.k }
    var accumulatorType: String { plan.accumulatorType }
  }

  func blockDotPlan(
    _ comp: Combiner.Component, element: Expr, p: (name: String, frame: Frame), frame: Frame, reductionLanes: [String],
    stateLanes: Set<String>
  ) -> BlockDot? {
    guard reductionLanes.count == 1, let j = reductionLanes.first, comp.dtype == .f32 || comp.dtype == .f16 || comp.dtype == .bf16 else { return nil }
    let pLanes = Set(p.frame.dims.keys)
    guard pLanes.count == 2, let m = pLanes.first(where: { $0 != j }) else { return nil }
    let xLanes = frameLanes(element, frame)
    guard xLanes.count == 2, xLanes.contains(j), let n = xLanes.first(where: { $0 != j }), n != m,
      stateLanes == [m, n]
    else { return nil }
    for lane in [m, n, j] {
      guard case .lane(let l)? = bindings[lane], l.block >= 16 else { return nil }
    }
    var plan = DotPlan(
      m: m, n: n, k: j, lhs: .scalar("%block.p"), rhs: element, lhsRaw: false, rhsRaw: false,
      operandType: "tl.float32", precision: "ieee", accumulatorType: "tl.float32", resultType: comp.dtype,
      outputFrame: Frame(dims: [m: 0, n: 1], rank: 2), lhsFrame: Frame(dims: [m: 0, j: 1], rank: 2),
      rhsFrame: Frame(dims: [j: 0, n: 1], rank: 2))
    if let l = rawLoad(element), let t = kernel.tensorType(l.tensor)?.dtype, t == .bf16 || t == .f16 {
      // Tensor-core operands: p rounded to the stored type of x (FlashAttention-2's P V).
      plan.rhsRaw = true
      plan.operandType = TritonType.storage(t)
      plan.precision = nil
    }
    let pText = (p.frame.dims[m] ?? 0) < (p.frame.dims[j] ?? 0) ? p.name : "tl.trans(\(p.name))"
    return BlockDot(plan: plan, lhsName: "%block.p", lhsText: pText)
  }
}

extension KernelBuilder {
  /// Where the maximum's element `select(c, x, -inf)` is decided by the serial loop of blocks `outer` alone.
  struct DecidedBlocks {
    /// Blocks from here on hold only `-inf` (an exclusive upper bound of `outer`).
    var end: Expr
    /// Blocks before this one hold only `x` (`c` holds on every lane): their element is `inside`.
    var fullEnd: Expr
    var inside: Expr
  }

  /// The blocks of the serial loop `outer` where the maximum component's element `select(c, x, -inf)` is decided
  /// for every lane, when `c` is an affine comparison whose left-minus-right grows with `outer` (`j <= i`):
  /// with `A` the coefficient of `outer`, `c` holds on no lane past `floor((-(constant + least lane terms) -
  /// scalar terms) / A)` and on every lane up to `floor((-(constant + greatest lane terms) - scalar terms) / A)`.
  /// `lanes` gives the range of every lane variable over its block. Causal attention: the key blocks after the
  /// diagonal block are skipped, and those before it need no mask.
  ///
  /// Skipping a block of `-inf` leaves the state unchanged wherever the running maximum is finite: its block
  /// maximum is `-inf`, so the combiner rescales it by `r(-inf, m) = 0`; where the running maximum is `-inf` too, the
  /// f32 fold's safe maximum (above) makes the block's `p` 0, so skipping it changes nothing either. (An f16/bf16
  /// maximum keeps the guarded select, which would have added the skipped elements' `x` to the sums of a row whose
  /// kept elements are all `-inf`; lowering/triton/README.md.) Dropping the select where `c` holds on every lane
  /// changes nothing.
  func decidedBlocks(
    _ c: Combiner, _ fold: BlockFold, element: Expr, outer: String, lanes: [String: ClosedRange<Int>]
  ) -> DecidedBlocks? {
    let mc = c.components[fold.form.maxComponent]
    guard case .select(let condition, let inside, .constant(let other)) = element, other == mc.identity,
      case .binary(let op, let l, let r) = condition
    else { return nil }
    let difference: Expr
    var slack = 0
    switch op {
    case .le: difference = .binary(.sub, l, r)
    case .lt: difference = .binary(.sub, l, r); slack = 1
    case .ge: difference = .binary(.sub, r, l)
    case .gt: difference = .binary(.sub, r, l); slack = 1
    case .add, .sub, .mul, .div, .mod, .max, .min, .pow, .eq, .ne, .and, .or: return nil
    }
    // c holds iff difference + slack <= 0 (integers).
    guard let form = facts.affine(facts.simplify(difference)), let a = form.terms[outer], a > 0 else { return nil }
    var least = form.constant &+ slack
    var most = least
    var symbolic: Expr = .constant(.int(0))
    for (name, coefficient) in form.terms.sorted(by: { $0.key < $1.key }) where name != outer {
      if let range = lanes[name] {
        least &+= Swift.min(coefficient &* range.lowerBound, coefficient &* range.upperBound)
        most &+= Swift.max(coefficient &* range.lowerBound, coefficient &* range.upperBound)
      } else if case .scalar? = bindings[name] {
        symbolic = .binary(.add, symbolic, .binary(.mul, .constant(.int(Int64(coefficient))), .index(name)))
      } else {
        return nil
      }
    }
    // outer <= floor((-bound - symbolic) / a), as an exclusive end.
    func end(_ bound: Int) -> Expr {
      let numerator = Expr.binary(.sub, .constant(.int(Int64(-bound))), symbolic)
      return facts.simplify(.binary(.add, .binary(.div, numerator, .constant(.int(Int64(a)))), .constant(.int(1))))
    }
    return DecidedBlocks(end: end(least), fullEnd: end(most), inside: inside)
  }
}
