import KevcBasic

/// Specialises a kernel to one shape: applies `--shape` overrides on top of the spec's `dims` values, then checks
/// that every dim is bound, every size is at least 1 and at most `ShapeLimits.maxExtent`, every tensor has at most
/// `ShapeLimits.maxElements` elements, value ranges are not empty, and the sizes that range inference found must
/// agree (`ShapeConstraint`) do agree. Sizes stay symbolic; only `Dim.value`s change.

/// Two tensor dimensions indexed by the same variable as a whole index, whose sizes must therefore be equal
/// (`k` in `x[m, k]` with `x: [M, K]` and in `w[k, n]` with `w: [J, N]` requires `K == J`).
public struct ShapeConstraint: Hashable, Codable, Sendable {
  public struct Use: Hashable, Codable, Sendable {
    public var tensor: String
    public var dimension: Int
    public var extent: SizeExpr
    public var location: SourceLocation

    public init(tensor: String, dimension: Int, extent: SizeExpr, location: SourceLocation) {
      self.tensor = tensor
      self.dimension = dimension
      self.extent = extent
      self.location = location
    }
  }

  /// The index variable whose uses must agree.
  public var variable: String
  /// The use that gave the variable its range.
  public var first: Use
  public var second: Use

  public init(variable: String, first: Use, second: Use) {
    self.variable = variable
    self.first = first
    self.second = second
  }

  /// `shape mismatch: 'k' indexes dimension 1 of 'x' (K = 5) and dimension 0 of 'w' (J = 6)`.
  public func mismatchMessage(firstValue: Int, secondValue: Int) -> String {
    func describe(_ u: Use, _ v: Int) -> String {
      let size = render(u.extent)
      let value = size == String(v) ? size : "\(size) = \(v)"
      return "dimension \(u.dimension) of '\(u.tensor)' (\(value))"
    }
    return "shape mismatch: '\(variable)' indexes \(describe(first, firstValue)) and \(describe(second, secondValue))"
  }

  public var firstUseNote: Diagnostic.Note {
    Diagnostic.Note("'\(variable)' takes its range from '\(first.tensor)' here", at: first.location)
  }
}

extension Kernel {
  /// The kernel with every dim bound: `overrides` (from `--shape`, reported at `location`) replace `dims` values.
  public func binding(_ overrides: [String: Int], location: SourceLocation) throws(DiagnosticError) -> Kernel {
    var diagnostics: [Diagnostic] = []
    func report(_ id: DiagnosticID, _ message: String, at l: SourceLocation, notes: [Diagnostic.Note] = []) {
      diagnostics.append(Diagnostic(.error, id, message, at: l, notes: notes))
    }
    var bound = self
    for (name, value) in overrides.sorted(by: { $0.key < $1.key }) {
      guard let i = bound.dims.firstIndex(where: { $0.name == name }) else {
        let known =
          dims.isEmpty
          ? "kernel '\(self.name)' has no dimensions"
          : "the dimensions of '\(self.name)' are \(dims.map(\.name).joined(separator: ", "))"
        report(SpecDiagnostic.unknownDimension, "unknown dimension '\(name)' in --shape; \(known)", at: location)
        continue
      }
      guard value >= 1 else {
        report(SpecDiagnostic.invalidSize, "dimension '\(name)' must be at least 1, got \(value)", at: location)
        continue
      }
      guard value <= ShapeLimits.maxExtent else {
        report(
          ShapeLimits.tooLarge, "dimension '\(name)' = \(value) is larger than the limit of \(ShapeLimits.maxExtent)",
          at: location)
        continue
      }
      bound.dims[i].value = value
    }
    for d in bound.dims {
      guard let v = d.value else {
        report(
          SpecDiagnostic.unboundDimension,
          "dimension '\(d.name)' is not bound; give it with --shape \(d.name)=<n> or a 'dims' line",
          at: firstUse(of: d.name))
        continue
      }
      if v < 1, overrides[d.name] == nil {
        report(
          SpecDiagnostic.invalidSize, "dimension '\(d.name)' must be at least 1, got \(v)", at: firstUse(of: d.name))
      }
      if v > ShapeLimits.maxExtent, overrides[d.name] == nil {
        report(
          ShapeLimits.tooLarge, "dimension '\(d.name)' = \(v) is larger than the limit of \(ShapeLimits.maxExtent)",
          at: firstUse(of: d.name))
      }
    }
    if !diagnostics.isEmpty { throw DiagnosticError(diagnostics) }

    let env = bound.dimBindings
    func checkSizes(_ sizes: [SizeExpr], of what: String, at l: SourceLocation) {
      var values: [Int] = []
      for (i, s) in sizes.enumerated() {
        guard let v = s.evaluate(env) else {
          report(
            SpecDiagnostic.invalidSize,
            "dimension \(i) of \(what) has size \(render(s)), which divides by zero or overflows 64 bits", at: l)
          return
        }
        if v < 1 {
          report(
            SpecDiagnostic.invalidSize,
            "dimension \(i) of \(what) has size \(render(s)) = \(v) under this binding; sizes must be at least 1",
            at: l)
          return
        }
        if v > ShapeLimits.maxExtent {
          report(
            ShapeLimits.tooLarge,
            "dimension \(i) of \(what) has size \(render(s)) = \(v), larger than the limit of \(ShapeLimits.maxExtent)",
            at: l)
          return
        }
        values.append(v)
      }
      if ShapeLimits.product(values) == nil {
        report(
          ShapeLimits.tooLarge,
          "\(what) has more than \(ShapeLimits.maxElements) elements (shape \(values.map(String.init).joined(separator: " x ")))",
          at: l)
      }
    }
    for p in params { checkSizes(p.shape, of: "'\(p.name)'", at: p.location) }
    for r in results { checkSizes(r.shape, of: "'\(r.name)'", at: r.location) }
    for d in definitions where !results.contains(where: { $0.name == d.name }) {
      checkSizes(d.shape, of: "'\(d.name)'", at: d.location)
    }
    // Reduction ranges with constant bounds (`sum(k in 0 .. 1 << 62)`): the same limit as any extent.
    for d in definitions {
      for r in d.reduction?.axes ?? [] {
        guard let lo = bound.constantValue(r.lowerBound), let hi = bound.constantValue(r.upperBound) else { continue }
        if (ShapeLimits.span(lo, hi) ?? Int.max) > ShapeLimits.maxExtent {
          report(
            ShapeLimits.tooLarge,
            "reduction range '\(r.name)' of '\(d.name)' (\(lo) ..< \(hi)) is larger than the limit of \(ShapeLimits.maxExtent)",
            at: d.location)
        }
      }
    }
    for p in params {
      guard let domain = p.domain, let lo = domain.lowerBound.evaluate(env), let hi = domain.upperBound.evaluate(env)
      else { continue }
      if hi <= lo {
        report(
          SpecDiagnostic.invalidDomain,
          "value range of '\(p.name)' is empty under this binding (\(render(domain.lowerBound)) = \(lo) .. \(render(domain.upperBound)) = \(hi))",
          at: p.location)
      }
    }
    for c in constraints {
      guard let a = c.first.extent.evaluate(env), let b = c.second.extent.evaluate(env), a != b else { continue }
      report(
        SpecDiagnostic.shapeMismatch, c.mismatchMessage(firstValue: a, secondValue: b), at: c.second.location,
        notes: [c.firstUseNote])
    }
    if !diagnostics.isEmpty { throw DiagnosticError(diagnostics) }
    return bound
  }

  /// Where a dim first appears: the first parameter or result whose shape or value range names it.
  private func firstUse(of dim: String) -> SourceLocation {
    for p in params + results {
      var names: Set<String> = []
      for s in p.shape { names.formUnion(s.dimNames) }
      if let d = p.domain { names.formUnion(d.lowerBound.dimNames.union(d.upperBound.dimNames)) }
      if names.contains(dim) { return p.location }
    }
    for d in definitions where d.shape.contains(where: { $0.dimNames.contains(dim) }) { return d.location }
    return location
  }
}
