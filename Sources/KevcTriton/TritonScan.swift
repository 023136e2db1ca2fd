/// Scans on Triton: a root scan whose scan axis is one block (`bind(y, i, block.x)`, the whole axis in the block)
/// is emitted as an elementwise definition of its element at `j = i` (the reduction loop `j` dropped), scanned
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
/// masks positions below it to the identity; a negative or non-constant one, a scan axis that is serial or split
/// over several blocks (a carried prefix), and argmax/argmin scans are refused (`kevc.triton.unsupported-scan`).
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
    var extent: Int
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
    guard r.op != .argmax, r.op != .argmin else { throw refuse("argmax/argmin scans are not lowered (use a tuple combiner)") }
    guard let lo = kernel.constantValue(j.lowerBound), lo >= 0 else {
      throw refuse("the lower bound of '\(j.name)' must be a constant >= 0")
    }
    let s = d.effectiveSchedule
    guard let loop = s.loops.first(where: { $0.name == axis }), case .gpu(let g) = loop.kind,
      [.blockX, .blockY, .blockZ].contains(g)
    else {
      throw refuse("the scan axis '\(axis)' must be one block holding the whole axis (bind(\(d.name), \(axis), block.x)); a blocked scan with a carried prefix is not lowered")
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
    return (plain, ScanPlan(axis: axis, op: r.op, accumulator: r.accumulator, combiner: combiner, lowerBound: lo, extent: extent))
  }

  /// The scanned value of `plan` on the block: elements (positions below the lower bound at the identity), then
  /// the scan along the axis' dimension of the frame; `axisLane` is the axis' lane name, `block` its block size.
  mutating func scanned(
    _ plan: ScanPlan, definition d: Definition, body: Expr, axisLane: String, block: Int, frame: Frame
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
        text = "tl.where(\(expand(bindingText(axisLane), lane: axisLane, frame)) >= \(plan.lowerBound), \(text), \(TritonType.literal(identity)))"
      }
      let n = fresh("t")
      line("\(n) = tl.broadcast_to(\(text), \(full))")
      names.append(n)
    }
    let tuple = names.joined(separator: ", ")
    switch plan.op {
    case .sum:
      line("\(tuple) = tl.cumsum(\(tuple), axis=\(dim))")
    case .prod, .max, .min:
      var (fn, custom) = reducer(plan.op, plan.accumulator)
      if !custom {
        // Integer max/min: a combine function for tl.associative_scan.
        fn = plan.op == .max ? "_kevc_scan_max" : "_kevc_scan_min"
        functions[fn] = "@triton.jit\ndef \(fn)(a, b):\n    return \(plan.op == .max ? "tl.maximum" : "tl.minimum")(a, b)\n"
      }
      line("\(tuple) = tl.associative_scan(\(tuple), \(dim), \(fn))")
    case .tuple:
      guard let c = plan.combiner else { throw fail("internal error: the tuple scan '\(d.name)' has no combiner", at: d, "internal") }
      let fn = try combineFunction(d, c)
      line("\(tuple) = tl.associative_scan((\(tuple)\(names.count == 1 ? "," : "")), \(dim), \(fn))")
      return try yieldTuple(c, state: names, frame: frame, axisLanes: Array(all))
    case .argmax, .argmin:
      throw fail("argmax/argmin scans are not lowered", at: d, "unsupported-scan")
    }
    return Code(text: names[0], lanes: all, type: plan.accumulator, isConstant: false)
  }

  /// The variable of a lane (its `tl.arange`).
  func bindingText(_ lane: String) -> String {
    if case .lane(let l)? = bindings[lane] { return l.variable }
    return lane
  }
}
