import KevcBasic
import KevcIR

/// Lowers one element of a tuple reduction (TupleReduction.swift) to loop IR: one rank-0 `local` buffer per state
/// component, initialised with its identity; in the innermost reduction loop the elements are stored into
/// per-component temporaries, the combined state is computed from the old state and the elements into a second
/// set of temporaries (so every component sees the old state), and copied back; after the loops the `yield`
/// expression of the state is stored, converted to the definition's type.
///
/// Before (online log-sum-exp):
///   %lse: f32[i < M] = reduce<m: f32 = -inf:f32, s: f32 = 0.0:f32> [k in 0 .. $N] (%x[i, k], 1.0:f32)
///     combine (max(%a.m, %b.m), ...) yield (%m + log(%s))
/// After (per point i):
///   allocate lse.s.0: f32 local { allocate lse.s.1: f32 local {
///     lse.s.0[] = -inf:f32; lse.s.1[] = 0.0:f32
///     for k in 0 ..< N { lse.e.0[] = %x[i, k]; lse.e.1[] = 1.0:f32
///                        lse.n.0[] = max(lse.s.0[], lse.e.0[]); lse.n.1[] = ...
///                        lse.s.0[] = lse.n.0[]; lse.s.1[] = lse.n.1[] }
///     lse[i] = (lse.s.0[] + log(lse.s.1[])) } }
///
/// A select-form combiner (SelectFormCombiner.swift: every component `select(c, %b.x, %a.x)`, one `c`; argmax)
/// keeps or replaces the state whole, without the `n` temporaries; the `if` is a conditional recurrence, which the
/// LLVM emitter keeps from full unrolling (ConditionalRecurrences.swift). A component whose element is the
/// reduction variable (argmax's index) is visited in ascending order, so `c`'s tests of it fold
/// (SelectFormCombiner.condition(in:ascendingIndex:lower:)): argmax's test becomes the operator's.
///   for k in 0 ..< N { am.e.0[] = %x[i, k]; am.e.1[] = k
///                      if c(am.s.*[], am.e.*[]) { am.s.0[] = am.e.0[]; am.s.1[] = am.e.1[] } }
extension Lowering {
  mutating func lowerTupleReduction(
    _ def: Definition, _ c: Combiner, elements: [Expr], loops: ([Stmt]) -> [Stmt], store: (Expr) -> [Stmt]
  ) -> [Stmt]? {
    guard elements.count == c.components.count, c.combine.count == c.components.count else {
      error(
        "invalid-combiner", "tuple reduction '\(def.name)' has \(c.components.count) components but "
          + "\(elements.count) elements and \(c.combine.count) combiner expressions", at: def.location)
      return nil
    }
    func local(_ kind: String, _ i: Int) -> String { Self.tupleLocalName(def, kind, i) }
    func read(_ name: String) -> Expr { .load(Load(tensor: name, indices: [], bounds: .inBounds)) }
    let n = c.components.count
    for (i, comp) in c.components.enumerated() {
      for kind in ["s", "e", "n"] { types[local(kind, i)] = comp.dtype }
    }
    let (state, element) = ((0..<n).map { read(local("s", $0)) }, (0..<n).map { read(local("e", $0)) })
    var step: [Stmt] = []
    for (i, comp) in c.components.enumerated() {
      step.append(.store(buffer: local("e", i), indices: [], value: convert(elements[i], to: comp.dtype)))
    }
    if let form = SelectFormCombiner.analyse(c) {
      // Keep the state or take the element whole: one condition, no new-state temporaries; an index component
      // visited in ascending order folds the condition's index tests.
      var condition = form.condition(in: c, state, element)
      if let r = def.reduction, let j = SelectFormCombiner.ascendingIndex(of: c, body: def.body, in: r),
        case .constant(let lo) = r.axes[0].lowerBound, case .int(let lower) = lo.value
      {
        condition = SelectFormCombiner(condition: form.condition(in: c, ascendingIndex: j, lower: lower))
          .condition(in: c, state, element)
      }
      step.append(
        .ifThen(
          condition: condition,
          then: (0..<n).map { .store(buffer: local("s", $0), indices: [], value: element[$0]) }, else: []))
      for (i, comp) in c.components.enumerated().reversed() {
        step = [.allocate(Buffer(name: local("e", i), dtype: comp.dtype, shape: [], scope: .local), body: step)]
      }
    } else {
      let combined = c.combined(state, element)
      for i in 0..<n { step.append(.store(buffer: local("n", i), indices: [], value: combined[i])) }
      for i in 0..<n { step.append(.store(buffer: local("s", i), indices: [], value: read(local("n", i)))) }
      for (i, comp) in c.components.enumerated().reversed() {
        step = [
          .allocate(
            Buffer(name: local("e", i), dtype: comp.dtype, shape: [], scope: .local),
            body: [.allocate(Buffer(name: local("n", i), dtype: comp.dtype, shape: [], scope: .local), body: step)])
        ]
      }
    }
    var nest: [Stmt] = c.components.enumerated().map { i, comp in
      .store(buffer: local("s", i), indices: [], value: .constant(comp.identity))
    }
    nest += loops(step)
    if let r = def.reduction { nest += store(Self.reductionValue(def, r)) }
    for (i, comp) in c.components.enumerated().reversed() {
      nest = [.allocate(Buffer(name: local("s", i), dtype: comp.dtype, shape: [], scope: .local), body: nest)]
    }
    return nest
  }
}
