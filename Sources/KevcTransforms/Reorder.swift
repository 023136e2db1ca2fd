import KevcBasic
import KevcIR

/// `reorder(y, [k, n])`: the named loops take the positions those loops occupy, in the order given; other loops
/// stay where they are.
///
/// Legal unless a reduction axis with data-dependent bounds would leave the loops its bounds depend on, or an
/// argmax/argmin reduction loop would move outside a loop of the definition's own axes (its running index cannot
/// be kept per output in place), or an order-sensitive reduction (argmax/argmin, a select-form tuple combiner:
/// ReductionOrder.swift) would visit its reduction domain out of ascending order: a split's inner part outside
/// its outer part, or its reduction axes against their order (`kevc.transform.reduction-order`). Moving a sum/max/min/prod reduction loop outside an axis loop makes the lowering
/// accumulate in the definition's own storage (initialised first).
///
/// Before:
/// ```
///   schedule loops(m, n, k)
/// ```
/// After `reorder(y, [k, n])`:
/// ```
///   schedule loops(m, k, n)
/// ```
extension ScheduleEditing {
  mutating func reorder(_ tensor: String, _ order: [String]) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    var s = d.effectiveSchedule
    guard Set(order).count == order.count else { throw fail("reorder names a loop twice") }
    var positions: [Int] = []
    for loop in order { positions.append(try loopIndex(loop, in: d)) }
    let byName = Dictionary(uniqueKeysWithValues: s.loops.map { ($0.name, $0) })
    for (position, loop) in zip(positions.sorted(), order) {
      guard let l = byName[loop] else { continue }
      s.loops[position] = l
    }
    try checkNesting(s, of: d)
    setSchedule(s, of: index)
  }

  /// The ordering rules every schedule must keep (also checked after splits of nested loops).
  func checkNesting(_ s: Schedule, of d: Definition) throws(TransformError) {
    let position = Dictionary(uniqueKeysWithValues: s.loops.enumerated().map { ($1.name, $0) })
    func loops(ofRoot root: String) -> [Int] {
      s.loops.enumerated().filter { Self.root(of: $1.name, in: s) == root }.map(\.offset)
    }
    for r in d.reduction?.axes ?? [] {
      let dependsOn = r.lowerBound.indexNames.union(r.upperBound.indexNames)
      for outer in dependsOn {
        guard let inner = position[r.name] else { continue }
        for p in loops(ofRoot: outer) where p > inner {
          throw fail(
            "the bounds of reduction axis '\(r.name)' of '\(d.name)' depend on '\(outer)', so '\(r.name)' must stay inside loop '\(s.loops[p].name)'")
        }
      }
    }
    if let r = d.reduction, r.op.carriesState {
      let firstReduction = s.loops.firstIndex { Self.isReductionLoop($0.name, of: d) } ?? s.loops.count
      if let axisLoop = s.loops[firstReduction...].first(where: { !Self.isReductionLoop($0.name, of: d) }) {
        throw fail(
          "\(r.kindName) reduction loops of '\(d.name)' must stay inside its axis loops, but '\(axisLoop.name)' would be inside one")
      }
    }
    if let problem = d.reductionOrderProblem(s) { throw fail("'\(d.name)': " + problem, .reductionOrder) }
    // A split's outer part may sit inside its inner part (the lowering then guards the point), nothing else,
    // unless the reduction is order-sensitive (ReductionOrder.swift).
  }
}
