/// Tuple reductions on Triton: one register tensor per state component, a generated `@triton.jit` combine
/// function (the IR combiner, of `a_NAME`/`b_NAME`), `tl.reduce` over a block's reduction lanes with that function
/// and the same function carrying the state across the serial reduction loop; the definition's value is the
/// combiner's `yield` of the final state.
///
///     %o[i] = reduce<m: f32 = -inf, s: f32 = 0> [j in 0 .. N] (x[i, j], 1.0) combine (max(%a.m, %b.m), ...) yield ...
///     ->
///     @triton.jit
///     def _kevc_combine_o(a_m, a_s, b_m, b_s):
///         return (tl.maximum(a_m, b_m, ...), ...)
///     acc_m = tl.full([BI, 1], float('-inf'), tl.float32); acc_s = tl.full([BI, 1], 0.0, tl.float32)
///     for j0 in range(0, N, BJ):
///         t_m = tl.where(mask, x, float('-inf')); t_s = tl.where(mask, 1.0, 0.0)
///         t_m, t_s = tl.reduce((t_m, t_s), 1, _kevc_combine_o, keep_dims=True)
///         acc_m, acc_s = _kevc_combine_o(acc_m, acc_s, t_m, t_s)
///     tl.store(o_ptr + ..., <yield of acc_m, acc_s>)
///
/// A select-form combiner (SelectFormCombiner.swift; argmax) computes its one condition once and returns
/// `tl.where(take, b_x, a_x)` per component.
/// Masked lanes contribute the combiner's identity, so partial blocks need no other care. The combiner is generic:
/// nothing here knows about softmax or attention.
import KevcBasic
import KevcIR

extension KernelBuilder {
  /// The module-level combine function of `d`'s combiner, emitted once per definition; returns its name.
  mutating func combineFunction(_ d: Definition, _ c: Combiner) throws(DiagnosticError) -> String {
    let name = "_kevc_combine_" + pythonIdentifier(d.name)
    if functions[name] != nil { return name }
    let savedLines = lines
    let savedIndent = indent
    let savedLocals = tupleLocals
    let savedCache = (loadCache, loadCacheIndent)
    lines = []
    indent = 1
    loadCacheIndent = -1
    var params: [String] = []
    for side in ["a", "b"] {
      for comp in c.components {
        let p = side + "_" + pythonIdentifier(comp.name)
        params.append(p)
        let scalar = side == "a" ? Combiner.left(comp.name) : Combiner.right(comp.name)
        tupleLocals[scalar] = Code(text: p, lanes: [], type: comp.dtype, isConstant: false)
      }
    }
    var results: [String] = []
    let empty = Frame(dims: [:], rank: 0)
    if let form = SelectFormCombiner.analyse(c) {
      // Keep the left state or take the right one whole: the condition once, one tl.where per component.
      let take = try expression(form.condition, empty)
      line("take = \(take.text)")
      for comp in c.components {
        let id = pythonIdentifier(comp.name)
        results.append("tl.where(take, b_\(id), a_\(id))")
      }
    } else {
      for (i, e) in c.combine.enumerated() {
        let t = c.components[i].dtype
        let v = try expression(e, empty)
        results.append(
          v.isConstant ? "tl.full([], \(v.text), \(TritonType.register(t)))" : "(\(v.text)).to(\(TritonType.register(t)))")
      }
    }
    var text = "@triton.jit\ndef \(name)(\(params.joined(separator: ", "))):\n"
    for l in lines { text += l + "\n" }
    text += "    return " + results.joined(separator: ", ") + "\n"
    functions[name] = text
    lines = savedLines
    indent = savedIndent
    tupleLocals = savedLocals
    (loadCache, loadCacheIndent) = savedCache
    return name
  }

  /// The components of a select-form tuple reduction that travel in int32: an ascending index component
  /// (`SelectFormCombiner.ascendingIndex`: its element is the reduction variable, its identity below the range) of
  /// a kernel whose indices fit 32 bits, as the arg-reductions' indices do (`argIndexType`). The store widens them.
  func narrowedTupleComponents(_ d: Definition, _ c: Combiner) -> Set<String> {
    guard argIndexType == "tl.int32", SelectFormCombiner.analyse(c) != nil, let r = d.reduction, let original = r.combiner,
      let j = SelectFormCombiner.ascendingIndex(of: original, body: d.body, in: r), j < c.components.count,
      case .int(let identity) = c.components[j].identity.value, identity >= Int64(Int32.min)
    else { return [] }
    return [c.components[j].name]
  }

  /// The register type of a tuple component (the arg-reductions' index type where narrowed).
  func tupleRegister(_ comp: Combiner.Component) -> String {
    narrowTuple.contains(comp.name) ? argIndexType : TritonType.register(comp.dtype)
  }

  /// The initial state: one tensor per component at the combiner's identity, shaped like the axis lanes.
  mutating func initialiseTuple(_ c: Combiner, frame: Frame, axisLanes: [String], prefix: String) -> [String] {
    let s = accumulatorShape(frame, axisLanes)
    return c.components.map { comp in
      let v = fresh("acc_" + pythonIdentifier(comp.name))
      line("\(v) = tl.full(\(s), \(TritonType.literal(comp.identity)), \(tupleRegister(comp)))")
      return v
    }
  }

  /// The state of the current block: each component's element on the block (masked lanes at the identity),
  /// reduced over the reduction lanes with the combine function.
  mutating func tupleContribution(
    _ c: Combiner, function: String, elements: [Expr], frame: Frame, reductionLanes: [String], axisLanes: [String]
  ) throws(DiagnosticError) -> [String] {
    for e in elements { noteRepeats(e) }
    let mask = maskText(frame, within: nil)
    let allLanes = Set(reductionLanes + axisLanes)
    let full = "(" + shape(frame, keeping: allLanes).joined(separator: ", ") + (frame.rank == 1 ? ",)" : ")")
    var names: [String] = []
    for (i, e) in elements.enumerated() where i < c.components.count {
      let comp = c.components[i]
      let x = try expr(e, frame)
      var text = x.isConstant ? "tl.full([], \(x.text), \(tupleRegister(comp)))" : "(\(x.text)).to(\(tupleRegister(comp)))"
      if let mask { text = "tl.where(\(mask), \(text), \(TritonType.literal(comp.identity)))" }
      if frame.rank > 0 { text = "tl.broadcast_to(\(text), \(full))" }
      let n = fresh("t_" + pythonIdentifier(comp.name))
      line("\(n) = \(text)")
      names.append(n)
    }
    guard !reductionLanes.isEmpty else { return names }
    if let isMax = c.argExtremeDirection {
      argExtremeBlock(c, isMax: isMax, names: names, frame: frame, reductionLanes: reductionLanes, axisLanes: axisLanes)
      return names
    }
    let tuple = names.joined(separator: ", ")
    if axisLanes.isEmpty {
      // Each dimension by name, highest first, never `axis=None`: Triton 3.6 flattens each operand of a `None`
      // reduce on its own (`reshape(..., can_reorder=True)`), so the components of one element can meet others'
      // (a 2048-wide argmax of 67c1d8a was wrong on 4028-4086 of 4096 rows on an H100, the same reduce with
      // `axis=0` right: bench/gpu/session-h100-2026-12-07/README.md).
      for d in (0..<max(1, frame.rank)).reversed() {
        line("\(tuple) = tl.reduce((\(tuple)), \(d), \(function))")
      }
    } else {
      for d in blockDimensionsDescending(frame, reductionLanes) {
        line("\(tuple) = tl.reduce((\(tuple)), \(d), \(function), keep_dims=True)")
      }
    }
    return names
  }

  /// The definition's value: the combiner's `yield` of the state.
  mutating func yieldTuple(_ c: Combiner, state: [String], frame: Frame, lanes: [Set<String>]) throws(DiagnosticError) -> Code {
    let saved = tupleLocals
    for (i, comp) in c.components.enumerated() where i < state.count && i < lanes.count {
      tupleLocals[comp.name] = Code(text: state[i], lanes: lanes[i], type: comp.dtype, isConstant: false)
    }
    defer { tupleLocals = saved }
    return try expr(c.yield, frame)
  }
}

/// A Python identifier from an IR name (letters, digits and `_`).
func pythonIdentifier(_ s: String) -> String {
  String(s.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
}
