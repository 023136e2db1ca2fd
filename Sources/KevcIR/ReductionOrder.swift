import KevcBasic

/// Order-sensitive reductions and the order their schedule visits the reduction domain in.
///
/// A select-form tuple combiner ("keep the best", SelectFormCombiner.swift; argmax/argmin, `Combiner.argExtreme`)
/// is order-sensitive: argmax returns the first index on ties, and the loop lowering folds its index tests by the
/// ascending visit order (SelectFormCombiner.ascendingIndex), keeping the first VISITED of tied values; that is the
/// first index only when the loops visit the domain in ascending order (whether a condition breaks ties by index
/// is not analysed). Such a schedule must keep each reduction axis's loops after
/// those of the axes before it, and each split's outer part outside its inner part:
///
///     idx[m] = argmax(n) x[m, n]
///     schedule split(n, n.o, n.i, 8) loops(m, n.o, n.i)    ascending: n = 0, 1, ..., 7, 8, ...
///     schedule split(n, n.o, n.i, 8) loops(m, n.i, n.o)    refused: n = 0, 8, 16, ..., 1, 9, ...
///
/// Triton's block reductions evaluate the whole combiner (argmax's breaks ties by index) and would be right in any
/// order; the rule
/// is the same for every target so that one trace means one thing.
extension Reduction {
  /// Whether the result may depend on the order the domain is visited in beyond rounding.
  public var isOrderSensitive: Bool {
    switch op {
    case .sum, .prod, .max, .min: return false
    case .tuple: return combiner.map { SelectFormCombiner.analyse($0) != nil } ?? false
    }
  }
}

extension Definition {
  /// Why `s` visits this definition's order-sensitive reduction out of ascending order (nil: it does not, or the
  /// reduction is not order-sensitive).
  public func reductionOrderProblem(_ s: Schedule) -> String? {
    guard let r = reduction, r.isOrderSensitive else { return nil }
    let position = Dictionary(s.loops.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    func leaves(_ v: String, depth: Int = 0) -> [Int] {
      guard depth <= s.splits.count, let sp = s.splits.first(where: { $0.variable == v }) else {
        return position[v].map { [$0] } ?? []
      }
      return leaves(sp.outer, depth: depth + 1) + leaves(sp.inner, depth: depth + 1)
    }
    func problem(_ outside: Int, _ inside: Int) -> String {
      "its \(r.op.rawValue) reduction must visit its domain in ascending order (ties give the first index), but "
        + "loop '\(s.loops[inside].name)' would be outside '\(s.loops[outside].name)'"
    }
    for (a, b) in zip(r.axes, r.axes.dropFirst()) {
      if let last = leaves(a.name).max(), let first = leaves(b.name).min(), last > first { return problem(last, first) }
    }
    for sp in s.splits where r.axes.contains(where: { $0.name == Kernel.rootVariable(of: sp.variable, in: s) }) {
      if let last = leaves(sp.outer).max(), let first = leaves(sp.inner).min(), last > first {
        return problem(last, first)
      }
    }
    return nil
  }
}
