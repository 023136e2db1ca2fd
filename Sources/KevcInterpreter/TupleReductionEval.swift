import KevcBasic
import KevcIR

/// The interpreter's semantics of a tuple reduction (TupleReduction.swift): at each point the state starts at the
/// components' identities; at every point of the reduction domain, in order, the elements are evaluated, the
/// combiner is applied to (state, elements) with every component reading the old state, and the state replaced;
/// the value is `yield` of the final state. Floats combine in f64 and integers in wrapping Int64 without rounding
/// per step, as every reduction of the interpreter; the caller rounds the value to the definition's type. The
/// combiner is compiled without doubt tracking: its comparisons (a running maximum equal to itself) are exact
/// choices between equivalent rescalings, not discontinuities of the result. A select-form combiner
/// (SelectFormCombiner.swift: argmax) evaluates its one condition per element and, when it holds, takes the elements
/// as the state (the same values as its selects); the domain is visited in ascending order, so the condition's tests
/// of an ascending index fold as in the loop lowering (SelectFormCombiner.ascendingIndex). With leeway tracked
/// (`Interpreter.runWithLeeway`), a select-form combiner with an order key (`SelectFormCombiner.orderKey`: argmax's
/// value) over a non-empty domain whose final key is finite records as alternatives its own yield and the yield of
/// every element whose key is within the key type's tolerance of the final one but not equal to it: argmax's "any
/// index of a near tie, the first of an exact tie".
final class TupleState {
  var left: [Double]
  var leftInts: [Int64]
  var right: [Double]
  var rightInts: [Int64]
  var next: [Double]
  var nextInts: [Int64]

  init(count: Int) {
    left = Array(repeating: 0, count: count)
    leftInts = Array(repeating: 0, count: count)
    right = left
    rightInts = leftInts
    next = left
    nextInts = leftInts
  }
}

extension ExprCompiler {
  /// The compiled value of a tuple reduction whose body (component 0's element) and other elements are compiled
  /// by `self` (reduction variables in scope), iterated by `domain` (in ascending order) for `reduction`.
  func tupleReduction(_ c: Combiner, body: Expr, domain: ReductionDomain, reduction r: Reduction)
    throws(DiagnosticError) -> Node
  {
    let n = c.components.count
    let elementExprs = [body] + c.otherElements
    guard elementExprs.count == n, c.combine.count == n else {
      throw error("ill-typed", "tuple reduction '\(definition)' has \(n) components but \(elementExprs.count) elements")
    }
    let state = TupleState(count: n)
    var operands: [String: Node] = [:]
    var final: [String: Node] = [:]
    for (i, comp) in c.components.enumerated() {
      if comp.dtype.isFloat {
        operands[Combiner.left(comp.name)] = Node(dtype: comp.dtype, code: .float { state.left[i] })
        operands[Combiner.right(comp.name)] = Node(dtype: comp.dtype, code: .float { state.right[i] })
        final[comp.name] = Node(dtype: comp.dtype, code: .float { state.left[i] })
      } else {
        operands[Combiner.left(comp.name)] = Node(dtype: comp.dtype, code: .int { state.leftInts[i] })
        operands[Combiner.right(comp.name)] = Node(dtype: comp.dtype, code: .int { state.rightInts[i] })
        final[comp.name] = Node(dtype: comp.dtype, code: .int { state.leftInts[i] })
      }
    }
    var plain = self
    plain.doubt = nil
    plain.mayDoubt = []
    var combiner = plain
    combiner.scalars = operands
    var yielder = plain
    yielder.scalars = final

    var loadElements: [() -> Void] = []
    var computeNext: [() -> Void] = []
    var commit: [() -> Void] = []
    var reset: [() -> Void] = []
    var takeRight: [() -> Void] = []
    for (i, comp) in c.components.enumerated() {
      let element = ExprCompiler.convert(try compile(elementExprs[i]), to: comp.dtype)
      let combined = try combiner.compile(c.combine[i])
      switch (element.code, combined.code) {
      case (.float(let e), .float(let f)):
        loadElements.append { state.right[i] = e() }
        computeNext.append { state.next[i] = f() }
        commit.append { state.left[i] = state.next[i] }
        takeRight.append { state.left[i] = state.right[i] }
        let identity = comp.identity.doubleValue
        reset.append { state.left[i] = identity }
      case (.int(let e), .int(let f)):
        loadElements.append { state.rightInts[i] = e() }
        computeNext.append { state.nextInts[i] = f() }
        commit.append { state.leftInts[i] = state.nextInts[i] }
        takeRight.append { state.leftInts[i] = state.rightInts[i] }
        let identity = ElementEncoding.storedInteger(comp.identity.doubleValue, comp.dtype)
        reset.append { state.leftInts[i] = identity }
      case (.float, .int), (.int, .float):
        throw error("ill-typed", "combiner of '\(comp.name)' in '\(definition)' does not have the component's type")
      }
    }
    let yield = try yielder.compile(c.yield)
    // A select-form combiner keeps the state or takes the element whole: its one condition, evaluated once.
    var take: (() -> Int64)?
    var key: Int?
    if let form = SelectFormCombiner.analyse(c) {
      // The domain is visited in ascending order: the condition's tests of an ascending index fold, as in the loop
      // lowering (argmax's becomes "empty, or strictly better, or the first NaN").
      var condition = form.condition
      if let j = SelectFormCombiner.ascendingIndex(of: c, body: body, in: r),
        case .constant(let lo) = r.axes[0].lowerBound, case .int(let lower) = lo.value
      {
        condition = form.condition(in: c, ascendingIndex: j, lower: lower)
      }
      if case .int(let t) = try combiner.compile(condition).code {
        take = t
        key = form.orderKey(in: c)
      }
    }
    let yieldValue: () -> Double
    switch yield.code {
    case .float(let y): yieldValue = y
    case .int(let y): yieldValue = { Double(y()) }
    }
    let doubt = self.doubt
    let keyType = key.map { c.components[$0].dtype } ?? .f64
    let run = {
      for r in reset { r() }
      if let take {
        var nonEmpty = false
        domain.forEach {
          nonEmpty = true
          for l in loadElements { l() }
          if take() != 0 { for t in takeRight { t() } }
        }
        if let doubt, let key, nonEmpty, state.left[key].isFinite {
          doubt.alternatives = TupleState.nearTies(
            state, key: key, type: keyType, domain: domain, load: loadElements, yield: yieldValue)
        }
        return
      }
      domain.forEach {
        for l in loadElements { l() }
        for f in computeNext { f() }
        for m in commit { m() }
      }
    }
    switch yield.code {
    case .float(let y):
      return Node(dtype: yield.dtype, code: .float {
        run()
        return y()
      })
    case .int(let y):
      return Node(dtype: yield.dtype, code: .int {
        run()
        return y()
      })
    }
  }
}

extension TupleState {
  /// The alternatives of a select-form reduction whose final state (in `left`) has the finite order key `key`: the
  /// yield of that state and of every element whose key is within tolerance of it but not equal to it, ascending
  /// and without repeats; nil when there is only the one answer. A second pass over the domain; the final state
  /// is restored.
  static func nearTies(
    _ state: TupleState, key: Int, type: DType, domain: ReductionDomain, load: [() -> Void],
    yield: () -> Double
  ) -> [Double]? {
    let (savedLeft, savedInts) = (state.left, state.leftInts)
    let best = state.left[key]
    var answers: Set<Double> = [yield()]
    domain.forEach {
      for l in load { l() }
      let v = state.right[key]
      guard v != best, withinTolerance(v, best, type) else { return }
      (state.left, state.leftInts) = (state.right, state.rightInts)
      answers.insert(yield())
    }
    (state.left, state.leftInts) = (savedLeft, savedInts)
    return answers.count > 1 ? answers.sorted() : nil
  }
}
