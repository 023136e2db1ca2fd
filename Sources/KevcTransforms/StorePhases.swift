import KevcBasic
import KevcIR

/// `store_phases(y)`: the interleaving of phases that `phase_split` leaves is realised in place. `y`'s body is a
/// tree of `select((t % s) == p, A, B)` over its axes whose leaves are the phases: a load `y.phP[.., t / s, ..]` of
/// a definition, or a constant (a phase with no live tap). Each phase definition stores its values directly in
/// `y`'s buffer, element `t0` at `s * t0 + p` per split axis (`Storage.interleave`, printed `store(workspace, into
/// %y stride [..] offset [..])`), a constant phase becoming a definition of its own; `y` then emits no loops and no
/// kernel: no intermediate tensor, no interleaving pass. An elementwise epilogue (`tanh(y + b)`) goes into the
/// phases first: `phase_split` of the epilogue's definition pushes it into each arm (`f(select(c, A, B)) =
/// select(c, f(A), f(B))`, the guards folded per phase), and `store_phases` is applied to that.
///
/// Legal when `y` is an elementwise definition whose body is such a tree (every axis of stride `s > 1` tested
/// against every residue `0 ..< s`, the strides at most 64 phases in all), each phase definition is computed at the
/// root with `y`'s element type, natural layout and no other reader, and the phases' extents are `ceil((T - p) /
/// s)` (what `phase_split` makes, a ragged last phase included); the verifier checks that the slices cover `y`
/// exactly once (Sources/KevcIR/InPlaceInterleave.swift). The interpreter ignores storage and computes `y` from
/// its body, so every target is compared against the same values.
///
/// Before (after `phase_split(_r0, [t])` and `phase_split(y, [t])` of `y = tanh(_r0[n, f, t])`):
/// ```
/// %_r0.ph0: f32[n < N, f < F, t < ((T + 1) / 2)] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (...)
/// %y.ph0: f32[n < N, f < F, t < ((T + 1) / 2)] = tanh(%_r0.ph0[n, f, t])
/// %y.ph1: f32[n < N, f < F, t < (T / 2)] = tanh(%_r0.ph1[n, f, t])
/// %y: f32[n < N, f < F, t < T] = select(((t % 2) == 0), %y.ph0[n, f, (t / 2)], %y.ph1[n, f, (t / 2)])
/// ```
/// After `store_phases(y)`:
/// ```
/// %y.ph0: ... = tanh(%_r0.ph0[n, f, t])
///   schedule loops(n, f, t) root store(workspace, into %y stride [1, 1, 2] offset [0, 0, 0])
/// %y.ph1: ... = tanh(%_r0.ph1[n, f, t])
///   schedule loops(n, f, t) root store(workspace, into %y stride [1, 1, 2] offset [0, 0, 1])
/// %y: ... (unchanged; no loops, no kernel)
/// ```
extension ScheduleEditing {
  mutating func storePhases(_ tensor: String) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let y = kernel.definitions[index]
    guard y.reduction == nil else { throw fail("'\(tensor)' is a reduction; store_phases realises an elementwise interleaving") }
    if kernel.assembledInPlace.contains(tensor) { throw fail("the phases of '\(tensor)' are already stored in place") }
    if y.effectiveSchedule.storage.interleave != nil { throw fail("'\(tensor)' is itself stored into another definition") }
    // The strides: every `(t % s) == p` test of the select tree, one s per axis.
    var stride: [String: Int] = [:]
    var problem: String?
    func walk(_ e: Expr) {
      guard problem == nil, case .select(let c, let a, let b) = e else { return }
      guard case .binary(.eq, .binary(.mod, .index(let t), let m), let p) = c, let s = IndexArithmetic.intConstant(m),
        let v = IndexArithmetic.intConstant(p), y.axes.contains(where: { $0.name == t }), s >= 2, s <= Self.maxPhases, v >= 0, v < s
      else {
        problem = "'\(tensor)' tests \(IRPrinter.print(c)), not '(t % s) == p' for an axis t and constants 0 <= p < s <= \(Self.maxPhases)"
        return
      }
      if let known = stride[t], known != s { problem = "'\(t)' is tested modulo both \(known) and \(s)"; return }
      stride[t] = s
      walk(a)
      walk(b)
    }
    walk(y.body)
    if let problem { throw fail(problem) }
    guard !stride.isEmpty else { throw fail("'\(tensor)' is not an interleaving of phases (a select on '(t % s) == p')") }
    let strides = y.axes.map { stride[$0.name] ?? 1 }
    var phases = 1
    for s in strides {
      phases *= s  // each stride is at most 64 and the product so far too
      guard phases <= Self.maxPhases else { throw fail("the phases would number more than \(Self.maxPhases)", .badParameter) }
    }

    // Each residue class: the leaf the tree selects there.
    var created: [Definition] = []
    var members: [(name: String, offsets: [Int])] = []
    var leaves: [[Int]: Expr] = [:]
    let taken = tensorNames
    for r in Self.mixedRadix(strides) {
      let residue = Dictionary(uniqueKeysWithValues: zip(y.axes.map(\.name), r))
      var e = y.body
      while case .select(.binary(.eq, .binary(.mod, .index(let t), _), let p), let a, let b) = e {
        e = IndexArithmetic.intConstant(p) == residue[t] ? a : b
      }
      let extents = zip(y.axes, zip(strides, r)).map { axis, sp -> SizeExpr in
        let (s, p) = sp
        guard s > 1 else { return axis.extent }
        return .div(s - 1 - p == 0 ? axis.extent : .add(axis.extent, .constant(s - 1 - p)), .constant(s))
      }
      let name: String
      switch e {
      case .load(let l):
        guard let m = kernel.definitions.first(where: { $0.name == l.tensor }) else {
          throw fail("at the residues \(r), '\(tensor)' reads '\(l.tensor)', which is not a definition")
        }
        guard !members.contains(where: { $0.name == m.name }) else {
          throw fail("'\(m.name)' is read at two residue classes of '\(tensor)'")
        }
        name = m.name
      case .constant:
        var axes = y.axes
        for i in axes.indices { axes[i].extent = extents[i] }
        let digits = y.axes.indices.filter { strides[$0] > 1 }.map { String(r[$0]) }
        name = fresh("\(tensor).ph" + digits.joined(separator: "_"), taken: taken.union(created.map(\.name)))
        created.append(Definition(name: name, dtype: y.dtype, axes: axes, reduction: nil, body: e, location: y.location))
      case .index, .dim, .scalar, .unary, .binary, .select, .cast:
        throw fail("at the residues \(r), '\(tensor)' is \(IRPrinter.print(e)), not a phase (a load or a constant)")
      }
      members.append((name, r))
      leaves[r] = .load(
        Load(
          tensor: name,
          indices: zip(y.axes, strides).map { a, s in
            s == 1 ? .index(a.name) : .binary(.div, .index(a.name), .constant(.int(Int64(s))))
          }))
    }
    // y reads every phase as a load (the constant phases too), in the tree phase_split writes.
    let names = y.axes.map(\.name).filter { stride[$0] != nil }
    let split = y.axes.indices.filter { strides[$0] > 1 }
    func interleave(_ level: Int, _ prefix: [Int]) -> Expr {
      guard level < split.count else {
        var r = [Int](repeating: 0, count: y.axes.count)
        for (i, p) in zip(split, prefix) { r[i] = p }
        return leaves[r] ?? .constant(.zero(y.dtype))
      }
      let s = strides[split[level]]
      var e = interleave(level + 1, prefix + [s - 1])
      for p in (0..<(s - 1)).reversed() {
        let test: Expr = .binary(.eq, .binary(.mod, .index(names[level]), .constant(.int(Int64(s)))), .constant(.int(Int64(p))))
        e = .select(test, interleave(level + 1, prefix + [p]), e)
      }
      return e
    }
    kernel.definitions[index].body = interleave(0, [])
    kernel.definitions.insert(contentsOf: created, at: index)
    for (name, offsets) in members {
      guard let i = kernel.definitions.firstIndex(where: { $0.name == name }) else { continue }
      var s = kernel.definitions[i].effectiveSchedule
      s.storage.interleave = StridedSlice(tensor: tensor, strides: strides, offsets: offsets)
      kernel.definitions[i].schedule = s
    }
    if let problem = kernel.inPlaceInterleaveProblem(tensor) { throw fail(problem) }
  }
}

extension DefaultSchedule {
  /// Rule P2 of the GPU default (and the difftest's phase programs): every elementwise definition reading one of
  /// `phases` (definitions a `phase_split` made) stores them in place (`store_phases`), split by phase itself first
  /// where it is an epilogue of the interleaving rather than the interleaving (`phase_split` pushes the epilogue
  /// into each arm and folds the guards). Both steps or neither.
  public static func storePhasesInPlace(_ phases: Set<String>, _ k: inout Kernel, _ steps: inout [Transform]) {
    for d in k.definitions where d.reduction == nil && !phases.isDisjoint(with: d.body.loads.map(\.tensor)) {
      var trial = k
      var local: [Transform] = []
      if attempt(.storePhases(tensor: d.name), &trial, &local) {
        (k, steps) = (trial, steps + local)
        continue
      }
      guard !d.phaseGuardedAxes.isEmpty, attempt(.phaseSplit(tensor: d.name, axes: d.phaseGuardedAxes), &trial, &local),
        attempt(.storePhases(tensor: d.name), &trial, &local)
      else { continue }
      (k, steps) = (trial, steps + local)
    }
  }

  /// The steps that split a kernel's strided transposed convolutions by phase and store the phases in place, on an
  /// unscheduled kernel: rule P (`phase_split` of every sum it applies to), the interleavings that are intermediates
  /// read only by elementwise definitions inlined into them (rule 1's effect here), then rule P2.
  public static func phasesInPlace(_ kernel: Kernel) -> [Transform] {
    var k = kernel
    var steps: [Transform] = []
    for d in kernel.definitions where d.reduction != nil && !d.phaseGuardedAxes.isEmpty {
      _ = attempt(.phaseSplit(tensor: d.name, axes: d.phaseGuardedAxes), &k, &steps)
    }
    let phases = Set(k.definitions.map(\.name)).subtracting(kernel.definitions.map(\.name))
    for d in k.definitions where d.reduction == nil && !phases.isDisjoint(with: d.body.loads.map(\.tensor))
      && !k.results.contains(where: { $0.name == d.name })
    {
      let readers = k.definitions.filter { $0.name != d.name && $0.reads(d.name) }
      guard !readers.isEmpty, readers.allSatisfy({ $0.reduction == nil }) else { continue }
      _ = attempt(.inline(tensor: d.name), &k, &steps)
    }
    storePhasesInPlace(phases, &k, &steps)
    return steps
  }
}
