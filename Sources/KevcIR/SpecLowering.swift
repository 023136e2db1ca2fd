import KevcBasic
import KevcSpec

/// Semantic analysis of a parsed spec and its translation to kernel IR (docs/spec-language.md).
///
/// - Names resolve as the language says: index variables in scope, then tensors and scalars, then dims. Every
///   name is defined before it is read, inputs are never assigned, results are defined exactly once.
/// - Ranges: result axes take the declared shape; `a < size` is explicit; other axes and range-less reduction
///   variables take the extent of the tensor dimension they index as a whole index. Uses whose extents differ
///   symbolically become `ShapeConstraint`s (checked once dims are bound); provably different ones are errors.
/// - Types: strong (tensors, scalars, casts) and weak (literals, dims, indices). Weak values adopt the strong type
///   they meet through explicit `.cast` nodes (literals fold into typed constants), so every IR binary op has
///   operands of one type, indices are i64, and comparisons give bool.
/// - A reduction nested inside an expression is hoisted into its own definition (`_r0`, `_r1`, ...) over the
///   index variables it uses, placed just before its user; identical ones are computed once.
///
/// Errors are collected per statement: a broken definition is reported and skipped, and the rest of the kernel is
/// still checked, so one run reports every independent problem.
public enum SpecLowering {
  public static func lower(_ file: SpecFile) throws(DiagnosticError) -> Kernel {
    var lowerer = SpecLowerer(file: file)
    let kernel = lowerer.run()
    if !lowerer.diagnostics.isEmpty || kernel == nil {
      throw DiagnosticError(lowerer.diagnostics)
    }
    guard let kernel else { throw DiagnosticError(lowerer.diagnostics) }
    return kernel
  }
}

/// The stable identifiers of the front end's semantic diagnostics.
public enum SpecDiagnostic {
  static func id(_ name: String) -> DiagnosticID { DiagnosticID("spec", name) }
  public static let unknownName = id("unknown-name")
  public static let unknownFunction = id("unknown-function")
  public static let unknownDimension = id("unknown-dimension")
  public static let redefinition = id("redefinition")
  public static let assignToInput = id("assign-to-input")
  public static let useBeforeDefinition = id("use-before-definition")
  public static let undefinedResult = id("undefined-result")
  public static let rankMismatch = id("rank-mismatch")
  public static let arity = id("arity")
  public static let typeMismatch = id("type-mismatch")
  public static let invalidCast = id("invalid-cast")
  public static let indexType = id("index-type")
  public static let shapeMismatch = id("shape-mismatch")
  public static let cannotInferRange = id("cannot-infer-range")
  public static let reductionAxes = id("reduction-axes")
  public static let shadowing = id("shadowing")
  public static let notATensor = id("not-a-tensor")
  public static let invalidSize = id("invalid-size")
  public static let unboundDimension = id("unbound-dimension")
  public static let invalidDomain = id("invalid-domain")
  public static let literalRange = id("literal-range")
  public static let unsupportedNesting = id("unsupported-nesting")
  public static let duplicateMatmulPrecision = id("duplicate-matmul-precision")
}

/// Thrown after a statement's diagnostic is recorded; the statement is skipped.
struct LoweringAbort: Error {}

/// What a name denotes at kernel level.
struct TensorInfo {
  enum Role { case input, result, intermediate, hoisted }
  var role: Role
  var dtype: DType
  var shape: [SizeExpr]
  var location: SourceLocation
  /// False until its definition has been lowered (inputs: always true).
  var defined: Bool
  /// Its definition failed: reads of it stop silently (the failure was reported).
  var poisoned = false
}

/// An index variable in scope: a definition axis or a reduction variable.
struct ScopeVariable {
  var name: String
  /// Nil when the range is not a size (data-dependent bounds): such a variable cannot become an axis.
  var extent: SizeExpr?
  var location: SourceLocation
}

struct SpecLowerer {
  let file: SpecFile
  var diagnostics: [Diagnostic] = []

  /// Dims in first-use order, with their bindings.
  var dimOrder: [String] = []
  var dimLocations: [String: SourceLocation] = [:]
  var dimValues: [String: Int] = [:]
  var benchValues: [String: Int] = [:]

  var tensors: [String: TensorInfo] = [:]
  /// Where each name on the left of a definition is first defined (for "used before it is defined").
  var definitionSites: [String: SourceLocation] = [:]
  var definitions: [Definition] = []
  var constraints: [ShapeConstraint] = []

  /// Index variables in scope, outermost first.
  var scope: [ScopeVariable] = []
  /// The name on the left of the definition being lowered.
  var current: String?
  /// Hoisted reductions already emitted, keyed by their definition with an empty name.
  var hoisted: [Definition: String] = [:]
  var usedNames: Set<String> = []
  var nextHoistedName = 0

  init(file: SpecFile) {
    self.file = file
  }

  // MARK: - Diagnostics

  mutating func report(
    _ id: DiagnosticID, _ message: String, at location: SourceLocation, notes: [Diagnostic.Note] = []
  ) {
    diagnostics.append(Diagnostic(.error, id, message, at: location, notes: notes))
  }

  /// Records a diagnostic and returns the error that abandons the statement.
  mutating func fail(
    _ id: DiagnosticID, _ message: String, at location: SourceLocation, notes: [Diagnostic.Note] = []
  ) -> LoweringAbort {
    report(id, message, at: location, notes: notes)
    return LoweringAbort()
  }

  // MARK: - Kernel

  mutating func run() -> Kernel? {
    let k = file.kernel
    collectNames()
    var params: [Param] = []
    var results: [Param] = []
    var declared: [String: SourceLocation] = [:]

    for (p, isResult) in k.params.map({ ($0, false) }) + k.results.map({ ($0, true) }) {
      if let previous = declared[p.name] {
        report(
          SpecDiagnostic.redefinition, "redefinition of parameter '\(p.name)'", at: p.location,
          notes: [.init("'\(p.name)' is first declared here", at: previous)])
        continue
      }
      declared[p.name] = p.location
      let shape = (p.shape ?? []).map { size($0) }
      var domain: ValueDomain? = nil
      if let d = p.domain {
        if isResult {
          report(SpecDiagnostic.invalidDomain, "a result cannot have a value range", at: d.location)
        } else if !p.dtype.isInteger {
          report(
            SpecDiagnostic.invalidDomain,
            "a value range needs an integer parameter, but '\(p.name)' has type '\(p.dtype)'", at: d.location)
        }
        domain = ValueDomain(lowerBound: size(d.lowerBound), upperBound: size(d.upperBound), sorted: d.sorted)
      }
      let param = Param(name: p.name, dtype: p.dtype, shape: shape, domain: domain, location: p.location)
      if isResult { results.append(param) } else { params.append(param) }
      tensors[p.name] = TensorInfo(
        role: isResult ? .result : .input, dtype: p.dtype, shape: shape, location: p.location, defined: !isResult)
    }

    // Dims introduced by definitions' explicit extents or by `dims` lines, in text order.
    for s in k.statements {
      switch s {
      case .dims(let bindings, _):
        for b in bindings where !dimLocations.keys.contains(b.name) && tensors[b.name] == nil {
          addDim(b.name, at: b.location)
        }
      case .bench, .matmulPrecision: break
      case .definition(let d):
        for a in d.axes { if let e = a.extent { _ = size(e) } }
        if definitionSites[d.name] == nil { definitionSites[d.name] = d.location }
      }
    }
    for name in dimOrder {
      if let t = tensors[name] {
        report(
          SpecDiagnostic.redefinition, "'\(name)' names both a dimension and a parameter",
          at: dimLocations[name] ?? t.location, notes: [.init("parameter '\(name)' is declared here", at: t.location)])
      }
    }

    var matmulPrecision: (value: MatmulPrecision, location: SourceLocation)? = nil
    for s in k.statements {
      switch s {
      case .dims(let bindings, _): bind(bindings, bench: false)
      case .bench(let bindings, _): bind(bindings, bench: true)
      case .matmulPrecision(let value, let location):
        if let previous = matmulPrecision {
          report(
            SpecDiagnostic.duplicateMatmulPrecision, "the kernel's matmul precision is set twice",
            at: location, notes: [.init("first set here", at: previous.location)])
        } else {
          matmulPrecision = (value, location)
        }
      case .definition(let d): define(d)
      }
    }

    for r in k.results where tensors[r.name]?.defined == false {
      report(SpecDiagnostic.undefinedResult, "result '\(r.name)' is never defined", at: r.location)
    }
    guard diagnostics.isEmpty else { return nil }
    let dims = dimOrder.map { Dim(name: $0, value: dimValues[$0], benchValue: benchValues[$0]) }
    return Kernel(
      name: k.name, dims: dims, params: params, results: results, definitions: definitions, location: k.location,
      constraints: constraints, matmulPrecision: matmulPrecision?.value ?? .highest)
  }

  /// Every identifier the spec uses, so that hoisted definitions get fresh names.
  mutating func collectNames() {
    let k = file.kernel
    for p in k.params + k.results { usedNames.insert(p.name) }
    func visit(_ e: SpecExpr, _ names: inout Set<String>) {
      switch e.kind {
      case .integer, .float, .bool: break
      case .name(let n): names.insert(n)
      case .call(let n, let args):
        names.insert(n)
        for a in args { visit(a, &names) }
      case .index(let base, let indices, _):
        visit(base, &names)
        for i in indices { visit(i, &names) }
      case .unary(_, let a): visit(a, &names)
      case .binary(_, let a, let b, _):
        visit(a, &names)
        visit(b, &names)
      case .reduction(_, _, let axes, let body):
        for a in axes {
          names.insert(a.name)
          switch a.range {
          case .inferred: break
          case .below(let e): visit(e, &names)
          case .between(let lo, let hi):
            visit(lo, &names)
            visit(hi, &names)
          }
        }
        visit(body, &names)
      }
    }
    for s in k.statements {
      switch s {
      case .dims(let b, _), .bench(let b, _): for x in b { usedNames.insert(x.name) }
      case .matmulPrecision: break
      case .definition(let d):
        usedNames.insert(d.name)
        for a in d.axes { usedNames.insert(a.name) }
        visit(d.body, &usedNames)
      }
    }
  }

  mutating func freshName() -> String {
    while true {
      let name = "_r\(nextHoistedName)"
      nextHoistedName += 1
      if !usedNames.contains(name) && tensors[name] == nil {
        usedNames.insert(name)
        return name
      }
    }
  }

  // MARK: - Dims

  mutating func addDim(_ name: String, at location: SourceLocation) {
    if dimLocations[name] == nil {
      dimOrder.append(name)
      dimLocations[name] = location
    }
  }

  /// A shape size; every name in it is a dim.
  mutating func size(_ s: SpecSize) -> SizeExpr {
    switch s.kind {
    case .integer(let v): return .constant(v)
    case .name(let n):
      addDim(n, at: s.location)
      return .dim(n)
    case .binary(let op, let a, let b):
      let x = size(a)
      let y = size(b)
      switch op {
      case .add: return .add(x, y)
      case .sub: return .sub(x, y)
      case .mul: return .mul(x, y)
      case .div: return .div(x, y)
      }
    }
  }

  mutating func bind(_ bindings: [SpecBinding], bench: Bool) {
    let keyword = bench ? "bench" : "dims"
    var seen: [String: SourceLocation] = [:]
    for b in bindings {
      if let t = tensors[b.name] {
        report(
          SpecDiagnostic.unknownDimension, "'\(b.name)' is a parameter, not a dimension", at: b.location,
          notes: [.init("'\(b.name)' is declared here", at: t.location)])
        continue
      }
      guard dimLocations[b.name] != nil else {
        // Only reachable for `bench` (a `dims` line introduces its names).
        report(
          SpecDiagnostic.unknownDimension,
          "'\(b.name)' is not a dimension of kernel '\(file.kernel.name)'\(dimList())", at: b.location)
        continue
      }
      if let previous = seen[b.name] {
        report(
          SpecDiagnostic.redefinition, "dimension '\(b.name)' is given twice in '\(keyword)'", at: b.location,
          notes: [.init("first given here", at: previous)])
        continue
      }
      seen[b.name] = b.location
      guard b.value >= 1 else {
        report(
          SpecDiagnostic.invalidSize, "dimension '\(b.name)' must be at least 1, got \(b.value)", at: b.valueLocation)
        continue
      }
      if bench { benchValues[b.name] = b.value } else { dimValues[b.name] = b.value }
    }
  }

  func dimList() -> String {
    dimOrder.isEmpty ? " (it has none)" : " (its dimensions are \(dimOrder.joined(separator: ", ")))"
  }

  // MARK: - Definitions

  mutating func define(_ d: SpecDefinition) {
    let firstDefinitionCount = definitions.count
    do throws(LoweringAbort) {
      try defineThrowing(d)
    } catch {
      // Drop hoisted definitions of the failed statement; keep the name so later reads stay quiet.
      definitions.removeSubrange(firstDefinitionCount...)
      let kept = Set(definitions.map(\.name))
      hoisted = hoisted.filter { kept.contains($0.value) }
      if var t = tensors[d.name] {
        if t.role == .intermediate && !t.defined { t.poisoned = true }
        if t.role == .result { t.defined = true }
        tensors[d.name] = t
      }
    }
    scope = []
  }

  mutating func defineThrowing(_ d: SpecDefinition) throws(LoweringAbort) {
    current = d.name
    defer { current = nil }
    // The name.
    if let t = tensors[d.name] {
      switch t.role {
      case .input:
        throw fail(
          SpecDiagnostic.assignToInput, "cannot assign to input '\(d.name)'", at: d.location,
          notes: [.init("'\(d.name)' is declared as an input here", at: t.location)])
      case .result, .intermediate, .hoisted:
        if t.defined || t.poisoned {
          let previous = definitionSites[d.name] ?? t.location
          throw fail(
            SpecDiagnostic.redefinition, "redefinition of '\(d.name)'", at: d.location,
            notes: [.init("'\(d.name)' is first defined here", at: previous)])
        }
      }
    } else if dimLocations[d.name] != nil {
      throw fail(SpecDiagnostic.redefinition, "'\(d.name)' is a dimension and cannot be defined", at: d.location)
    }
    let declared = tensors[d.name]
    let isResult = declared?.role == .result
    if !isResult {
      // Registered now so that a read of the tensor inside its own definition says "before it is defined".
      tensors[d.name] = TensorInfo(role: .intermediate, dtype: .f32, shape: [], location: d.location, defined: false)
    }

    // The axes.
    if let declared, isResult, declared.shape.count != d.axes.count {
      throw fail(
        SpecDiagnostic.rankMismatch,
        "result '\(d.name)' has rank \(declared.shape.count) but its definition has \(plural(d.axes.count, "axis", "axes"))",
        at: d.location, notes: [.init("'\(d.name)' is declared here", at: declared.location)])
    }
    var seen: [String: SourceLocation] = [:]
    for a in d.axes {
      if let previous = seen[a.name] {
        throw fail(
          SpecDiagnostic.redefinition, "axis '\(a.name)' appears twice on the left of '\(d.name)'", at: a.location,
          notes: [.init("first appears here", at: previous)])
      }
      seen[a.name] = a.location
      if dimLocations[a.name] != nil {
        throw fail(
          SpecDiagnostic.shadowing, "axis '\(a.name)' has the name of a dimension; rename the axis", at: a.location)
      }
    }
    var axes: [Axis] = []
    for (i, a) in d.axes.enumerated() {
      let extent: SizeExpr
      if let declared, isResult {
        extent = declared.shape[i]
        if let e = a.extent {
          let given = size(e)
          if given != extent {
            throw fail(
              SpecDiagnostic.shapeMismatch,
              "axis '\(a.name)' of result '\(d.name)' is given extent \(render(given)) but the result's dimension \(i) is \(render(extent))",
              at: e.location, notes: [.init("'\(d.name)' is declared here", at: declared.location)])
          }
        }
      } else if let e = a.extent {
        extent = size(e)
      } else {
        extent = try inferExtent(
          a.name, at: a.location, uses: wholeIndexUses(of: a.name, in: [d.body]), anyUse: mentions(a.name, in: [d.body]),
          hint: "write '\(a.name) < EXTENT' on the left")
      }
      axes.append(Axis(name: a.name, extent: extent))
    }
    scope = axes.map { ScopeVariable(name: $0.name, extent: $0.extent, location: d.location) }

    // The body.
    let dtype: DType
    let definition: Definition
    if case .reduction(let op, let accumulator, let raxes, let body) = d.body.kind {
      let r = try lowerReduction(
        op, accumulator: accumulator, axes: raxes, body: body, at: d.body.location,
        preferred: isResult ? declared?.dtype : nil)
      dtype = r.type
      definition = Definition(
        name: d.name, dtype: dtype, axes: axes, reduction: r.reduction, body: r.body, location: d.location)
      if let declared, isResult, declared.dtype != dtype {
        throw fail(
          SpecDiagnostic.typeMismatch,
          "result '\(d.name)' is declared '\(declared.dtype)' but its definition has type '\(dtype)'; \(castHint(declared.dtype))",
          at: d.body.location, notes: [.init("'\(d.name)' is declared here", at: declared.location)])
      }
    } else {
      let v = try lowerExpr(d.body)
      let body: Expr
      if let declared, isResult {
        dtype = declared.dtype
        switch v.type {
        case .strong(let t):
          guard t == dtype else {
            throw fail(
              SpecDiagnostic.typeMismatch,
              "result '\(d.name)' is declared '\(dtype)' but its definition has type '\(t)'; \(castHint(dtype))",
              at: d.body.location, notes: [.init("'\(d.name)' is declared here", at: declared.location)])
          }
          body = v.expr
        case .weakInt, .weakFloat:
          body = try materialize(v, to: dtype, context: "as the value of result '\(d.name)'")
        }
      } else {
        dtype = v.defaultType
        body = materializeDefault(v)
      }
      definition = Definition(name: d.name, dtype: dtype, axes: axes, body: body, location: d.location)
    }
    definitions.append(definition)
    tensors[d.name] = TensorInfo(
      role: isResult ? .result : .intermediate, dtype: dtype, shape: axes.map(\.extent),
      location: declared?.location ?? d.location, defined: true)
  }

  func castHint(_ t: DType) -> String { "convert it with '\(t)(...)'" }
}

func plural(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }

/// A size as the spec writes it: `M`, `B + 1`, `(L - 1) // 2 + 1`.
func render(_ s: SizeExpr) -> String {
  func operand(_ s: SizeExpr, _ parentPrecedence: Int, rightSide: Bool) -> String {
    let p = precedence(s)
    let text = render(s)
    if p < parentPrecedence || (rightSide && p == parentPrecedence && p > 0) { return "(\(text))" }
    return text
  }
  func precedence(_ s: SizeExpr) -> Int {
    switch s {
    case .constant, .dim: return 3
    case .add, .sub: return 1
    case .mul, .div: return 2
    }
  }
  switch s {
  case .constant(let c): return String(c)
  case .dim(let d): return d
  case .add(let a, let b): return "\(operand(a, 1, rightSide: false)) + \(operand(b, 1, rightSide: true))"
  case .sub(let a, let b): return "\(operand(a, 1, rightSide: false)) - \(operand(b, 1, rightSide: true))"
  case .mul(let a, let b): return "\(operand(a, 2, rightSide: false)) * \(operand(b, 2, rightSide: true))"
  case .div(let a, let b): return "\(operand(a, 2, rightSide: false)) // \(operand(b, 2, rightSide: true))"
  }
}
