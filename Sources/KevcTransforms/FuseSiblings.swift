import KevcBasic
import KevcIR

/// `fuse_siblings(c)`: sibling sums over the same rows become one tuple reduction. `c` reads two or more sums
/// (`dot[b]`, `pp[b]`, `tt[b]`: the same reduction domain, read at the same indices, none reading another) only
/// through one expression of them and constants (`1 - dot[b] / max(sqrt(pp[b] * tt[b]), eps)`); that expression
/// becomes the `yield` of a new tuple reduction `c.rows` whose components are the sums (each its own accumulator,
/// combined by `+`, identity 0), and `c` reads `c.rows` in its place. One loop over the row then carries every
/// accumulator: each step reads the inputs once and updates them all, where the sums as kernels of their own read
/// the row once each. The sums left unread are removed. What is computed does not change beyond the order of
/// additions: each component is the same sum of the same terms (a sum's type is its accumulator's), and the yield
/// applies the same operations to them.
///
/// Legal when `c` and the sums have no schedule yet, there are at least two such sums, each has a float
/// accumulator and is read by `c` alone (at one index tuple, the same for all, and only in `c`'s body), none is a
/// result or a scan or reads another, their reduction domains are equal up to renaming (the same number of axes,
/// equal extents and bounds), and the smallest subexpression of `c`'s body holding every read of them reads
/// nothing else but constants.
///
/// Before (specs/kernelbench/cosine_similarity_loss.kev, lowered):
/// ```
/// %dot: f32[b < B] = sum<f32> [d in 0 .. $D] (%predictions[b, d] * %targets[b, d])
/// %pp: f32[b < B] = sum<f32> [d in 0 .. $D] (%predictions[b, d] * %predictions[b, d])
/// %tt: f32[b < B] = sum<f32> [d in 0 .. $D] (%targets[b, d] * %targets[b, d])
/// %_r0: f32[] = sum<f32> [b in 0 .. $B] (1.0:f32 - (%dot[b] / max(sqrt((%pp[b] * %tt[b])), 1e-08:f32)))
/// ```
/// After `fuse_siblings(_r0)`:
/// ```
/// %_r0.rows: f32[b < B] = reduce<dot: f32 = 0.0:f32, pp: f32 = 0.0:f32, tt: f32 = 0.0:f32> [d in 0 .. $D]
///   (%predictions[b, d] * %targets[b, d], %predictions[b, d] * %predictions[b, d], %targets[b, d] * %targets[b, d])
///   combine ((%a.dot + %b.dot), (%a.pp + %b.pp), (%a.tt + %b.tt)) yield (1.0:f32 - (%dot / max(sqrt((%pp * %tt)), 1e-08:f32)))
/// %_r0: f32[] = sum<f32> [b in 0 .. $B] %_r0.rows[b]
/// ```
extension ScheduleEditing {
  mutating func fuseSiblings(_ tensor: String) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let c = kernel.definitions[index]
    guard c.schedule == nil || c.schedule == .natural(for: c) else {
      throw fail("fuse_siblings must come before the schedule transforms of '\(tensor)'")
    }
    // The sums c reads that qualify, with the indices they are read at (one tuple each).
    var siblings: [(definition: Definition, indices: [Expr])] = []
    var problems: [String] = []
    for name in Self.readTensors(c) {
      guard let d = kernel.definitions.first(where: { $0.name == name }), let r = d.reduction, r.op == .sum else {
        continue
      }
      let reads = c.body.loads.filter { $0.tensor == name }
      let everywhere = c.expressions.flatMap(\.loads).filter { $0.tensor == name }
      let why: String? =
        !r.accumulator.isFloat || r.scanAxis != nil ? "not a float sum" :
        !(d.schedule == nil || d.schedule == .natural(for: d)) ? "already scheduled" :
        isResult(name) ? "a result" :
        reads.isEmpty || reads.count != everywhere.count || !reads.allSatisfy({ $0.indices == reads[0].indices })
          ? "read at several indices or outside the body" :
        kernel.definitions.contains(where: { $0.name != c.name && $0.name != name && $0.reads(name) })
          ? "read by another definition" :
        kernel.definitions.contains(where: { x in
          if case .computeAt(let at, _) = x.effectiveSchedule.placement { return at == name }
          return false
        }) ? "has definitions computed inside it" : nil
      if let why {
        problems.append("\(name): \(why)")
        continue
      }
      guard let first = reads.first else { continue }
      siblings.append((d, first.indices))
    }
    // Those read at the first qualifying sum's indices, over its domain, reading none of the others.
    guard let lead = siblings.first, let leadReduction = lead.definition.reduction else {
      throw fail("'\(tensor)' reads no sum it alone reads, with a float accumulator and no schedule")
    }
    var group: [Definition] = []
    var substitutions: [[String: Expr]] = []
    for (d, indices) in siblings where indices == lead.indices {
      guard let r = d.reduction, r.axes.count == leadReduction.axes.count, d.axes.count == lead.definition.axes.count,
        zip(d.axes, lead.definition.axes).allSatisfy({ $0.extent == $1.extent })
      else { continue }
      var substitution: [String: Expr] = [:]
      for (a, b) in zip(d.axes, lead.definition.axes) { substitution[a.name] = .index(b.name) }
      for (a, b) in zip(r.axes, leadReduction.axes) { substitution[a.name] = .index(b.name) }
      let sameDomain = zip(r.axes, leadReduction.axes).allSatisfy { a, b in
        a.lowerBound.substituting(substitution) == b.lowerBound && a.upperBound.substituting(substitution) == b.upperBound
      }
      guard sameDomain else {
        problems.append("\(d.name): another reduction domain than \(lead.definition.name)'s")
        continue
      }
      group.append(d)
      substitutions.append(substitution)
    }
    let names = group.map(\.name)
    for d in group where names.contains(where: { $0 != d.name && d.reads($0) }) {
      throw fail("'\(d.name)' reads another of the sums '\(tensor)' reads; siblings must be independent")
    }
    guard group.count >= 2 else {
      let why = problems.isEmpty ? "" : " (\(problems.joined(separator: "; ")))"
      throw fail("'\(tensor)' reads fewer than two sums over the same rows at the same indices\(why)")
    }
    // The smallest subexpression of c's body holding every read of the group; it must read nothing else.
    func count(_ e: Expr) -> Int {
      if case .load(let l) = e, names.contains(l.tensor) { return 1 }
      return e.children.reduce(0) { $0 + count($1) }
    }
    let total = count(c.body)
    var sub = c.body
    while let next = sub.children.first(where: { count($0) == total }) { sub = next }
    func pure(_ e: Expr) -> Bool {
      switch e {
      case .load(let l): return names.contains(l.tensor)
      case .index, .dim, .scalar: return false
      case .constant: return true
      case .unary, .binary, .select, .cast: return e.children.allSatisfy(pure)
      }
    }
    guard pure(sub) else {
      throw fail("'\(tensor)' reads \(names.joined(separator: ", ")) through an expression that also reads other values; their yield may read only them and constants")
    }
    guard let valueType = kernel.type(of: sub, in: c) else {
      throw fail("the expression of \(names.joined(separator: ", ")) in '\(tensor)' does not type-check", .doesNotVerify)
    }
    // Components named after the sums where those are plain identifiers, else s0, s1, ...
    func plain(_ s: String) -> Bool {
      guard let f = s.first, f.isLetter || f == "_" else { return false }
      return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && s != "a" && s != "b"
    }
    let componentNames = Set(names).count == names.count && names.allSatisfy(plain)
      ? names : names.indices.map { "s\($0)" }
    var components: [Combiner.Component] = []
    var elements: [Expr] = []
    var combine: [Expr] = []
    for (k, d) in group.enumerated() {
      guard let r = d.reduction else { continue }
      let t = r.accumulator
      components.append(.init(name: componentNames[k], dtype: t, identity: .float(0, t)))
      var element = d.body.substituting(substitutions[k])
      if let bodyType = kernel.type(of: d.body, in: d), bodyType != t { element = .cast(t, element) }
      elements.append(element)
      combine.append(.binary(.add, .scalar(Combiner.left(componentNames[k])), .scalar(Combiner.right(componentNames[k]))))
    }
    let yield = sub.rewritten { node in
      guard case .load(let l) = node, let k = names.firstIndex(of: l.tensor) else { return nil }
      return .scalar(componentNames[k])
    }
    guard let body = elements.first else { return }
    let taken = Set(kernel.definitions.map(\.name) + kernel.params.map(\.name) + kernel.results.map(\.name))
    let rowsName = fresh(tensor + ".rows", taken: taken)
    let rows = Definition(
      name: rowsName, dtype: valueType, axes: lead.definition.axes,
      reduction: Reduction(
        op: .tuple, accumulator: leadReduction.accumulator, axes: leadReduction.axes,
        combiner: Combiner(components: components, otherElements: Array(elements.dropFirst()), combine: combine, yield: yield)),
      body: body, location: lead.definition.location)
    let bounds = c.body.loads.first { $0.tensor == lead.definition.name }?.bounds ?? .padded(nil)
    let read = Expr.load(Load(tensor: rowsName, indices: lead.indices, bounds: bounds))
    var replaced = false
    var consumer = c
    consumer.body = c.body.rewritten { node in
      guard !replaced, node == sub else { return nil }
      replaced = true
      return read
    }
    kernel.definitions[index] = consumer
    kernel.definitions.insert(rows, at: index)
    removeUnreadDefinitions()
  }
}
