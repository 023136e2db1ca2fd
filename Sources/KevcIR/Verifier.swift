import KevcBasic

/// Checks that a kernel means something (docs/ir.md, "Verifier"): names are unique and resolve; every result is
/// defined exactly once with its declared type and shape; definitions read only parameters and earlier
/// definitions; every expression is well typed under `ExprTyping` with the right index variables in scope;
/// reductions are consistent with their accumulator; sizes and dims exist. Returns every problem found, each
/// located at the object it concerns and naming it; an empty list means the kernel is valid. Schedules are not
/// checked here: `ScheduleVerifier.verify` does that, separately.
public enum Verifier {
  public static func verify(_ kernel: Kernel) -> [Diagnostic] {
    var v = Run(kernel: kernel)
    v.run()
    return v.diagnostics
  }

  static func id(_ name: String) -> DiagnosticID { DiagnosticID("ir", name) }

  private struct Run {
    let kernel: Kernel
    var diagnostics: [Diagnostic] = []
    let knownDims: Set<String>

    init(kernel: Kernel) {
      self.kernel = kernel
      self.knownDims = Set(kernel.dims.map(\.name))
    }

    mutating func report(_ name: String, _ message: String, at location: SourceLocation) {
      diagnostics.append(.error(Verifier.id(name), message, at: location))
    }

    mutating func run() {
      checkDims()
      checkParams()
      checkConstraints()
      checkDefinitions()
      checkResultsDefined()
    }

    // MARK: - Dims

    mutating func checkDims() {
      var seen: Set<String> = []
      for d in kernel.dims {
        if !seen.insert(d.name).inserted {
          report("duplicate-name", "dim '\(d.name)' is declared twice", at: kernel.location)
        }
        if let v = d.value, v < 0 {
          report("invalid-dim", "dim '\(d.name)' has negative value \(v)", at: kernel.location)
        }
        if let b = d.benchValue, b < 0 {
          report("invalid-dim", "dim '\(d.name)' has negative bench value \(b)", at: kernel.location)
        }
      }
    }

    /// Reports the dims of `size` that are not declared.
    mutating func checkSize(_ size: SizeExpr, _ what: String, at location: SourceLocation) {
      for name in size.dimNames.sorted() where !knownDims.contains(name) {
        report("unknown-name", "\(what) uses unknown dim '\(name)'", at: location)
      }
    }

    // MARK: - Params and results

    mutating func checkParams() {
      var seen: Set<String> = []
      for (p, isResult) in kernel.params.map({ ($0, false) }) + kernel.results.map({ ($0, true) }) {
        let what = isResult ? "result" : "parameter"
        if !seen.insert(p.name).inserted {
          report("duplicate-name", "'%\(p.name)' is declared twice", at: p.location)
        }
        for s in p.shape { checkSize(s, "shape of \(what) '%\(p.name)'", at: p.location) }
        if let d = p.domain {
          if !p.dtype.isInteger {
            report(
              "invalid-domain", "\(what) '%\(p.name)' has a value domain but type \(p.dtype); domains need integers",
              at: p.location)
          }
          checkSize(d.lowerBound, "value domain of '%\(p.name)'", at: p.location)
          checkSize(d.upperBound, "value domain of '%\(p.name)'", at: p.location)
        }
      }
    }

    // MARK: - Constraints

    /// Each names two existing tensor dimensions, with sizes over declared dims.
    mutating func checkConstraints() {
      for c in kernel.constraints {
        for use in [c.first, c.second] {
          let location = use.location.isKnown ? use.location : kernel.location
          let what = "constraint on '\(c.variable)'"
          checkSize(use.extent, what, at: location)
          guard let t = kernel.tensorType(use.tensor), !t.shape.isEmpty else {
            report("unknown-name", "\(what) names '%\(use.tensor)', which is not a tensor of the kernel", at: location)
            continue
          }
          if use.dimension < 0 || use.dimension >= t.shape.count {
            report(
              "rank-mismatch", "\(what) names dimension \(use.dimension) of '%\(use.tensor)', which has rank \(t.shape.count)",
              at: location)
          }
        }
      }
    }

    // MARK: - Definitions

    mutating func checkDefinitions() {
      let params = Dictionary(kernel.params.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
      let results = Dictionary(kernel.results.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
      var readable: [String: TensorType] = [:]
      for p in kernel.params where !p.isScalar { readable[p.name] = TensorType(dtype: p.dtype, rank: p.shape.count) }
      let scalars = kernel.scalarTypes
      var defined: Set<String> = []

      for (position, d) in kernel.definitions.enumerated() {
        let name = "'%\(d.name)'"
        if params[d.name] != nil {
          report("duplicate-name", "definition \(name) redefines parameter \(name)", at: d.location)
        } else if !defined.insert(d.name).inserted {
          report("duplicate-name", "\(name) is defined twice", at: d.location)
        }

        // Axes: unique names, known dims.
        var axisNames: Set<String> = []
        for a in d.axes {
          if !axisNames.insert(a.name).inserted {
            report("duplicate-name", "axis '\(a.name)' of \(name) is declared twice", at: d.location)
          }
          checkSize(a.extent, "extent of axis '\(a.name)' of \(name)", at: d.location)
        }
        for r in d.reduction?.axes ?? [] where !axisNames.insert(r.name).inserted {
          report("duplicate-name", "axis '\(r.name)' of \(name) is declared twice", at: d.location)
        }

        // What this definition may read.
        var unreadable: [String: ExprTypeError] = [:]
        for later in kernel.definitions[position...] where readable[later.name] == nil {
          unreadable[later.name] = ExprTypeError(
            later.name == d.name
              ? "definition \(name) reads itself" : "definition \(name) reads '%\(later.name)' before it is defined",
            id: "read-before-definition")
        }
        for r in kernel.results where readable[r.name] == nil && unreadable[r.name] == nil {
          unreadable[r.name] = ExprTypeError(
            "definition \(name) reads '%\(r.name)' before it is defined", id: "read-before-definition")
        }
        var env = TypeEnvironment(
          tensors: readable, scalars: scalars, dims: knownDims, indices: Set(d.axes.map(\.name)),
          unreadable: unreadable)

        // Reduction bounds: outer axes and earlier reduction axes only; i64.
        if let reduction = d.reduction {
          for r in reduction.axes {
            for (which, bound) in [("lower", r.lowerBound), ("upper", r.upperBound)] {
              let context = "\(which) bound of reduction axis '\(r.name)' of \(name)"
              if let t = typeOf(bound, env, context, at: d.location), t != .i64 {
                report("type-mismatch", "\(context) has type \(t); bounds must be i64", at: d.location)
              }
            }
            env.indices?.insert(r.name)
          }
        }

        // Body.
        if let t = typeOf(d.body, env, "body of \(name)", at: d.location) {
          if let reduction = d.reduction {
            checkReduction(d, reduction, bodyType: t)
            if let combiner = reduction.combiner { checkCombiner(d, combiner, env: env) }
            if let axis = reduction.scanAxis, let problem = d.scanProblem(along: axis) {
              report("invalid-scan", "scan(\(axis)) of \(name): \(problem)", at: d.location)
            }
          } else if t != d.dtype {
            report("type-mismatch", "body of \(name) has type \(t) but \(name) is declared \(d.dtype)", at: d.location)
          }
        }

        // A result's definition matches its declaration.
        if let r = results[d.name] {
          if r.dtype != d.dtype {
            report(
              "result-mismatch", "definition \(name) has type \(d.dtype) but result \(name) is declared \(r.dtype)",
              at: d.location)
          }
          if r.shape != d.shape {
            report(
              "result-mismatch",
              "definition \(name) has shape \(shapeText(d.shape)) but result \(name) is declared \(shapeText(r.shape))",
              at: d.location)
          }
        }
        if params[d.name] == nil { readable[d.name] = TensorType(dtype: d.dtype, rank: d.axes.count) }
      }
    }

    /// The type of `expr`, reporting why it has none.
    mutating func typeOf(_ expr: Expr, _ env: TypeEnvironment, _ context: String, at location: SourceLocation)
      -> DType?
    {
      do throws(ExprTypeError) {
        return try ExprTyping.check(expr, in: env)
      } catch {
        // Read-order messages already name the definition.
        let message = error.id == "read-before-definition" ? error.message : "\(context): \(error.message)"
        report(error.id, message, at: location)
        return nil
      }
    }

    mutating func checkReduction(_ d: Definition, _ r: Reduction, bodyType: DType) {
      let name = "'%\(d.name)'"
      if r.accumulator == .bool {
        report("invalid-reduction", "reduction of \(name) accumulates in bool; accumulators are numbers", at: d.location)
        return
      }
      if r.op != .tuple, r.combiner != nil {
        report("invalid-combiner", "\(r.op.rawValue) \(name) has a combiner; only 'reduce' takes one", at: d.location)
      }
      if bodyType != r.accumulator {
        report(
          "type-mismatch", "body of \(name) has type \(bodyType) but its reduction accumulates in \(r.accumulator)",
          at: d.location)
      }
      switch r.op {
      case .sum, .prod, .max, .min:
        if d.dtype != r.accumulator {
          report(
            "type-mismatch", "\(name) is declared \(d.dtype) but its reduction accumulates in \(r.accumulator)",
            at: d.location)
        }
      case .tuple:
        if r.combiner == nil {
          report("invalid-combiner", "tuple reduction \(name) has no combiner", at: d.location)
        }
      }
    }

    /// A tuple reduction's combiner (TupleReduction.swift): one element of each component's type, a combiner
    /// expression of each component's type reading only `%a.NAME` / `%b.NAME` and constants, a `yield` of the
    /// definition's type reading only the state, and an associative combiner with the identities as identity.
    mutating func checkCombiner(_ d: Definition, _ c: Combiner, env: TypeEnvironment) {
      let name = "'%\(d.name)'"
      guard let first = c.components.first, first.dtype == d.reduction?.accumulator else {
        report("invalid-combiner", "the state of \(name) must start with a component of its accumulator type", at: d.location)
        return
      }
      var seen: Set<String> = []
      var operands: [String: DType] = [:]
      var state: [String: DType] = [:]
      var wellFormed = true
      for comp in c.components {
        if !seen.insert(comp.name).inserted {
          report("invalid-combiner", "state component '\(comp.name)' of \(name) is declared twice", at: d.location)
          wellFormed = false
        }
        if comp.identity.dtype != comp.dtype {
          report(
            "invalid-combiner",
            "identity of state component '\(comp.name)' of \(name) has type \(comp.identity.dtype), not \(comp.dtype)",
            at: d.location)
          wellFormed = false
        }
        operands[Combiner.left(comp.name)] = comp.dtype
        operands[Combiner.right(comp.name)] = comp.dtype
        state[comp.name] = comp.dtype
      }
      if c.otherElements.count != c.components.count - 1 || c.combine.count != c.components.count {
        report(
          "invalid-combiner",
          "\(name) has \(c.components.count) state components but \(c.otherElements.count + 1) elements and "
            + "\(c.combine.count) combiner expressions", at: d.location)
        return
      }
      for (i, e) in c.otherElements.enumerated() {
        let comp = c.components[i + 1]
        if let t = typeOf(e, env, "element '\(comp.name)' of \(name)", at: d.location), t != comp.dtype {
          report(
            "type-mismatch", "element '\(comp.name)' of \(name) has type \(t) but the component is \(comp.dtype)",
            at: d.location)
          wellFormed = false
        }
      }
      let operandEnv = TypeEnvironment(tensors: [:], scalars: operands, dims: [], indices: [])
      for (i, e) in c.combine.enumerated() {
        let comp = c.components[i]
        do throws(ExprTypeError) {
          let t = try ExprTyping.check(e, in: operandEnv)
          if t != comp.dtype {
            report(
              "invalid-combiner", "combiner of '\(comp.name)' in \(name) has type \(t), not \(comp.dtype)",
              at: d.location)
            wellFormed = false
          }
        } catch {
          report(
            "invalid-combiner",
            "combiner of '\(comp.name)' in \(name) may read only '%a.NAME', '%b.NAME' and constants: \(error.message)",
            at: d.location)
          wellFormed = false
        }
      }
      do throws(ExprTypeError) {
        let t = try ExprTyping.check(c.yield, in: TypeEnvironment(tensors: [:], scalars: state, dims: [], indices: []))
        if t != d.dtype {
          report("type-mismatch", "yield of \(name) has type \(t) but \(name) is declared \(d.dtype)", at: d.location)
        }
      } catch {
        report(
          "invalid-combiner", "yield of \(name) may read only the state components and constants: \(error.message)",
          at: d.location)
      }
      if wellFormed, let form = WelfordCombiner.analyse(c), let problem = form.elementProblem(d) {
        report("invalid-combiner", "combiner of \(name): \(problem)", at: d.location)
      }
      if wellFormed, let problem = c.associativityProblem() {
        report("non-associative-combiner", "combiner of \(name): \(problem)", at: d.location)
      }
    }

    mutating func checkResultsDefined() {
      let definedNames = Set(kernel.definitions.map(\.name))
      for r in kernel.results where !definedNames.contains(r.name) {
        report("undefined-result", "result '%\(r.name)' is never defined", at: r.location)
      }
    }

    func shapeText(_ shape: [SizeExpr]) -> String {
      "[" + shape.map { IRPrinter.print(size: $0) }.joined(separator: ", ") + "]"
    }
  }
}
