import KevcBasic

/// The check behind `store_phases(y)` (a storage decision): definitions `y.ph*` that store their values in `y`'s
/// buffer at a stride (`Storage.interleave`) realise `y` only where `y` is exactly their interleaving and their slices
/// cover `y` once. Then `y` emits no loops and no kernel (`Kernel.assembledInPlace`), and the interpreter, which
/// ignores storage, still computes `y` from its body: the two agree point by point.
///
/// Conditions, for the members `m` (the definitions stored into `y`): `y` is an elementwise definition after every
/// member, computed at the root in its natural layout, in no other kernel (`compute_with`) and with nothing computed
/// at its loops or with it (it has none); each member is computed at the root, has `y`'s element type and rank, one
/// stride per axis (the same strides for every member, at most 64 phases in all) and an offset `0 <= o < s` per
/// axis, no layout or padding of its own, is read by `y` only; the members' offsets are distinct and number the
/// product of the strides (every residue class once: no element written twice, none left out); a member's extent
/// along an axis of stride `s` and offset `o` is `ceil((T - o) / s)` (bound dims: evaluated; unbound: the form
/// `(T + s - 1 - o) / s` that `phase_split` writes); and `y`'s body, with each axis `t` of stride `s` in the residue
/// class `o`, folds (`(t % s) == c` to a constant, `select` to its arm) to the load `m[.., t / s, ..]` (`t` where
/// `s` is 1) of the member whose offsets are those residues.
extension Kernel {
  /// Why the definitions stored into `tensor` do not realise it, or nil when they do.
  public func inPlaceInterleaveProblem(_ tensor: String) -> String? {
    guard let yIndex = definitions.firstIndex(where: { $0.name == tensor }) else {
      return "'\(tensor)' is not a definition"
    }
    let y = definitions[yIndex]
    let members = definitions.enumerated().filter { $0.element.effectiveSchedule.storage.interleave?.tensor == tensor }
    guard let first = members.first?.element.effectiveSchedule.storage.interleave else {
      return "nothing is stored into '\(tensor)'"
    }
    if y.reduction != nil { return "'\(tensor)' is a reduction; only an elementwise interleaving is stored in place" }
    let ys = y.effectiveSchedule
    guard ys.placement == .root, ys.computeWith == nil, ys.storage.permutation == nil, ys.storage.padding == nil,
      ys.storage.interleave == nil
    else {
      return "'\(tensor)' must be computed at the root in its natural layout, in no other kernel, to be stored into"
    }
    if let d = definitions.first(where: { d in
      let s = d.effectiveSchedule
      if s.computeWith == tensor { return true }
      if case .computeAt(let c, _) = s.placement, c == tensor { return true }
      return false
    }) {
      return "'\(d.name)' is computed in '\(tensor)''s loops or kernel, which its phases stored in place leave out"
    }
    let strides = first.strides
    guard strides.count == y.axes.count, strides.allSatisfy({ $0 >= 1 && $0 <= 64 }) else {
      return "the strides \(strides) do not give one stride from 1 to 64 per axis of '\(tensor)'"
    }
    var phases = 1
    for s in strides {
      phases *= s  // each stride is at most 64 and the product so far too
      guard phases <= 64 else { return "more than 64 phases" }
    }
    var byOffsets: [[Int]: Definition] = [:]
    for (i, m) in members {
      let s = m.effectiveSchedule
      guard let slice = s.storage.interleave else { continue }
      guard i < yIndex else { return "'\(m.name)' is stored into '\(tensor)', which comes before it" }
      guard slice.strides == strides, slice.offsets.count == strides.count,
        zip(slice.offsets, strides).allSatisfy({ $0 >= 0 && $0 < $1 })
      else { return "'\(m.name)' is stored into '\(tensor)' at strides \(slice.strides) and offsets \(slice.offsets), not one residue of strides \(strides)" }
      guard m.axes.count == y.axes.count, m.dtype == y.dtype else {
        return "'\(m.name)' (\(m.dtype.rawValue), rank \(m.axes.count)) does not have the type and rank of '\(tensor)'"
      }
      guard s.placement == .root, s.storage.permutation == nil, s.storage.padding == nil, s.storage.scope == .workspace
      else { return "'\(m.name)' must be computed at the root, in its natural layout, to be stored into '\(tensor)'" }
      guard byOffsets[slice.offsets] == nil else { return "two definitions are stored at offsets \(slice.offsets) of '\(tensor)'" }
      byOffsets[slice.offsets] = m
      if let reader = definitions.first(where: { $0.name != tensor && $0.reads(m.name) }) {
        return "'\(m.name)' is read by '\(reader.name)'; a definition stored into '\(tensor)' is read by it alone"
      }
      if results.contains(where: { $0.name == m.name }) { return "'\(m.name)' is a result" }
      for ((axis, own), (st, o)) in zip(zip(y.axes, m.axes), zip(strides, slice.offsets)) {
        let padded: SizeExpr = st - 1 - o == 0 ? axis.extent : .add(axis.extent, .constant(st - 1 - o))
        let expected: SizeExpr = st == 1 ? axis.extent : .div(padded, .constant(st))
        let dims = dimBindings
        if let e = expected.evaluate(dims), let v = own.extent.evaluate(dims) {
          if e != v { return "'\(m.name)' has \(v) points along '\(own.name)' where its slice of '\(tensor)' has \(e)" }
        } else if own.extent != expected {
          return "the extent of '\(m.name)' along '\(own.name)' is not ceil((\(IRPrinter.size(axis.extent)) - \(o)) / \(st))"
        }
      }
    }
    guard byOffsets.count == phases else {
      return "the definitions stored into '\(tensor)' cover \(byOffsets.count) of its \(phases) phases"
    }
    // y's body, per residue class, is the load of the member stored there.
    func residues(_ radices: [Int]) -> [[Int]] {
      radices.reduce([[]]) { acc, r in acc.flatMap { prefix in (0..<r).map { prefix + [$0] } } }
    }
    for r in residues(strides) {
      let stride = Dictionary(uniqueKeysWithValues: zip(y.axes.map(\.name), strides))
      let residue = Dictionary(uniqueKeysWithValues: zip(y.axes.map(\.name), r))
      func decide(_ c: Expr) -> Bool? {
        guard case .binary(.eq, .binary(.mod, .index(let t), let m), let p) = c, let s = stride[t], s > 1,
          IndexArithmetic.intConstant(m) == s, let v = IndexArithmetic.intConstant(p), let o = residue[t]
        else { return nil }
        return v == o
      }
      var e = y.body
      while case .select(let c, let a, let b) = e, let v = decide(c) { e = v ? a : b }
      guard case .load(let l) = e, let m = byOffsets[r], l.tensor == m.name, l.indices.count == y.axes.count else {
        return "at the residues \(r) of its axes, '\(tensor)' is \(IRPrinter.print(e)), not a load of the definition stored there"
      }
      for (index, (axis, s)) in zip(l.indices, zip(y.axes, strides)) {
        let expected: Expr = s == 1 ? .index(axis.name) : .binary(.div, .index(axis.name), .constant(.int(Int64(s))))
        guard index == expected else {
          return "'\(tensor)' reads '\(m.name)' at \(IRPrinter.print(index)), not at \(IRPrinter.print(expected))"
        }
      }
    }
    return nil
  }
}
