/// Scans on Triton: a root scan whose scan axis is a block (`bind(y, i, block.x)`, the whole axis in the block, or
/// `split(y, i, B); bind(y, i.i, block.x)` with a prefix carried across the serial loop of blocks) is emitted as an elementwise definition of its element at `j = i` (the reduction loop `j` dropped), scanned
/// along the block's dimension before the store: `tl.cumsum` for a sum, `tl.associative_scan` with a combine
/// function otherwise (NaN-propagating max/min, product, a tuple combiner's generated function, then its `yield`).
///
///     %y: f32[m < M, n < N] = scan(n) sum<f32> [j in 0 .. (n + 1)] %x[m, j]    (n bound to block.x)
///     ->
///     x_v = tl.load(x_ptr + (m * N + n), mask=n_ok, other=0.0)
///     t = tl.cumsum(tl.broadcast_to((x_v).to(tl.float32), (BLOCK_n,)), axis=0)
///     tl.store(y_ptr + (m * N + n), t, mask=n_ok)
///
/// Lanes past the axis' extent come after every stored position, so they need no identity. A lower bound `lo > 0`
/// masks positions below it to the identity; a negative or non-constant one and a serial scan axis are refused
/// (`kevc.triton.unsupported-scan`); a tuple scan (a cumulative argmax among them) uses its generated combine
/// function. Blocked: `total = tl.reduce(t, axis, f)`, `t = scan(t)`,
/// `t = f(carry, t)`, `carry = f(carry, total)`.
import KevcBasic
import KevcIR

extension KernelBuilder {
  /// How a scan definition's elementwise form is scanned before its store.
  struct ScanPlan {
    var axis: String
    var op: ReduceOp
    var accumulator: DType
    var combiner: Combiner?
    var lowerBound: Int
    /// The elements of the axis one block scans (the split factor when the axis is split).
    var extent: Int
    /// The serial loop of blocks when the axis is split: each block's scan is combined with the carried prefix.
    var blocks: String?
  }

  /// The carried prefix of a blocked scan: one tensor per component at the identity, shaped like the block with
  /// the scan lane kept as a dimension of size 1.
  /// `blocks` gives each lane's block size (the lanes may not be defined yet where the carry is initialised).
  mutating func initialiseCarry(_ plan: ScanPlan, frame: Frame, axisLane: String, blocks: [String: Int]) -> [String] {
    var dims = [String](repeating: "1", count: frame.rank)
    for (lane, k) in frame.dims where lane != axisLane { dims[k] = "\(blocks[lane] ?? 1)" }
    let s = "[" + dims.joined(separator: ", ") + "]"
    let parts: [(DType, Constant)] = plan.combiner.map { $0.components.map { ($0.dtype, $0.identity) } }
      ?? [(plan.accumulator, TritonType.identity(plan.op, plan.accumulator))]
    return parts.map { t, identity in
      let v = fresh("carry")
      line("\(v) = tl.full(\(s), \(TritonType.literal(identity)), \(TritonType.register(t)))")
      return v
    }
  }

  /// The elementwise form of the scan `d` (its element at `j = axis`, the reduction loop removed) and its plan.
  func scanAsElementwise(_ d: Definition, region: [RegionDimension]?) throws(DiagnosticError) -> (Definition, ScanPlan) {
    func refuse(_ why: String) -> DiagnosticError {
      DiagnosticError(.error(DiagnosticID("triton", "unsupported-scan"), "the Triton emitter cannot lower the scan '\(d.name)': \(why)", at: d.location))
    }
    guard let r = d.reduction, let axis = r.scanAxis, let j = r.axes.first,
      let k = d.axes.firstIndex(where: { $0.name == axis }), let extent = d.axes[k].extent.evaluate(dims)
    else { throw refuse("it is not a scan over bound dims") }
    guard region == nil else { throw refuse("it is computed inside another definition (compute it at the root)") }
    guard let lo = kernel.constantValue(j.lowerBound), lo >= 0 else {
      throw refuse("the lower bound of '\(j.name)' must be a constant >= 0")
    }
    let s = d.effectiveSchedule
    let split = s.splits.first { $0.variable == axis }
    guard let loop = s.loops.first(where: { $0.name == (split?.inner ?? axis) }), case .gpu(let g) = loop.kind,
      [.blockX, .blockY, .blockZ].contains(g)
    else {
      throw refuse("the scan axis '\(axis)' must be a block (bind(\(d.name), \(axis), block.x)), or split into a serial loop of blocks")
    }
    var plain = d
    var schedule = s
    schedule.loops.removeAll { $0.name == j.name }
    plain.schedule = schedule
    plain.reduction = nil
    let at = [j.name: Expr.index(axis)]
    plain.body = d.body.substituting(at)
    var combiner = r.combiner
    if let others = combiner?.otherElements { combiner?.otherElements = others.map { $0.substituting(at) } }
    return (
      plain,
      ScanPlan(
        axis: split?.inner ?? axis, op: r.op, accumulator: r.accumulator, combiner: combiner, lowerBound: lo,
        extent: split.map { min($0.factor, extent) } ?? extent, blocks: split?.outer))
  }

  /// The scanned value of `plan` on the block: elements (positions below the lower bound at the identity), then
  /// the scan along the axis' dimension of the frame; `axisLane` is the axis' lane name, `block` its block size.
  mutating func scanned(
    _ plan: ScanPlan, definition d: Definition, body: Expr, axisLane: String, block: Int, frame: Frame,
    position: Expr, carry: [String]
  ) throws(DiagnosticError) -> Code {
    guard let dim = frame.dims[axisLane], block >= plan.extent else {
      throw DiagnosticError(
        .error(
          DiagnosticID("triton", "unsupported-scan"),
          "the Triton emitter cannot lower the scan '\(d.name)': its block along '\(plan.axis)' must hold the whole axis (\(plan.extent))",
          at: d.location))
    }
    let all = Set(frame.dims.keys)
    let full = "(" + shape(frame, keeping: all).joined(separator: ", ") + (frame.rank == 1 ? ",)" : ")")
    let types: [(Expr, DType, Constant)]
    if let c = plan.combiner {
      types = zip([body] + c.otherElements, c.components).map { ($0, $1.dtype, $1.identity) }
    } else {
      types = [(body, plan.accumulator, TritonType.identity(plan.op, plan.accumulator))]
    }
    var names: [String] = []
    for (e, t, identity) in types {
      noteRepeats(e)
      let x = try expr(e, frame)
      var text = x.isConstant ? "tl.full([], \(x.text), \(TritonType.register(t)))" : "(\(x.text)).to(\(TritonType.register(t)))"
      if plan.lowerBound > 0 {
        let inside = try expr(.binary(.ge, position, .constant(.int(Int64(plan.lowerBound)))), frame)
        text = "tl.where(\(inside.text), \(text), \(TritonType.literal(identity)))"
      }
      let n = fresh("t")
      line("\(n) = tl.broadcast_to(\(text), \(full))")
      names.append(n)
    }
    let tuple = names.joined(separator: ", ")
    let fn: String
    switch plan.op {
    case .sum:
      fn = "_kevc_scan_add"
      if !carry.isEmpty { functions[fn] = "@triton.jit\ndef \(fn)(a, b):\n    return a + b\n" }
    case .prod, .max, .min:
      var (f, custom) = reducer(plan.op, plan.accumulator)
      if !custom {
        // Integer max/min: a combine function for tl.associative_scan.
        f = plan.op == .max ? "_kevc_scan_max" : "_kevc_scan_min"
        functions[f] = "@triton.jit\ndef \(f)(a, b):\n    return \(plan.op == .max ? "tl.maximum" : "tl.minimum")(a, b)\n"
      }
      fn = f
    case .tuple:
      guard let c = plan.combiner else { throw fail("internal error: the tuple scan '\(d.name)' has no combiner", at: d, "internal") }
      fn = try combineFunction(d, c)
    }
    // tl.reduce/tl.associative_scan take and return a tuple for several components, a tensor for one.
    let operand = names.count == 1 ? tuple : "(" + tuple + ")"
    if !carry.isEmpty {
      // The block's total, folded into the carried prefix after the block's own scan has used the old one.
      let totals = names.map { _ in fresh("total") }
      line("\(totals.joined(separator: ", ")) = tl.reduce(\(operand), \(dim), \(fn), keep_dims=True)")
      if plan.op == .sum {
        line("\(tuple) = tl.cumsum(\(tuple), axis=\(dim))")
      } else {
        line("\(tuple) = tl.associative_scan(\(operand), \(dim), \(fn))")
      }
      line("\(tuple) = \(fn)(\((carry + names).joined(separator: ", ")))")
      line("\(carry.joined(separator: ", ")) = \(fn)(\((carry + totals).joined(separator: ", ")))")
    } else if plan.op == .sum {
      line("\(tuple) = tl.cumsum(\(tuple), axis=\(dim))")
    } else {
      line("\(tuple) = tl.associative_scan(\(operand), \(dim), \(fn))")
    }
    if let c = plan.combiner { return try yieldTuple(c, state: names, frame: frame, lanes: c.components.map { _ in all }) }
    return Code(text: names[0], lanes: all, type: plan.accumulator, isConstant: false)
  }

  /// The variable of a lane (its `tl.arange`).
  func bindingText(_ lane: String) -> String {
    if case .lane(let l)? = bindings[lane] { return l.variable }
    return lane
  }
}
