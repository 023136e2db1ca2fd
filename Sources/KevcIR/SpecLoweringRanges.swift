import KevcBasic
import KevcSpec

/// Range inference for index variables written without a range: a variable takes the extent of the tensor
/// dimension it indexes as a whole index (`k` in `x[m, k]` ranges over dimension 1 of `x`). Later whole-index uses
/// must agree: provably different extents are an error now; symbolically different ones (`K` and `J`) become a
/// `ShapeConstraint` that `Kernel.binding` checks once the dims have values.
extension SpecLowerer {
  /// A whole-index use: `tensor[..., name, ...]` at position `dimension`.
  struct IndexUse {
    var tensor: String
    var dimension: Int
    var location: SourceLocation
  }

  /// Every whole-index use of `name` in `exprs` (in source order), not counting scopes that rebind it.
  func wholeIndexUses(of name: String, in exprs: [SpecExpr]) -> [IndexUse] {
    var out: [IndexUse] = []
    func visit(_ e: SpecExpr) {
      switch e.kind {
      case .integer, .float, .bool, .name: break
      case .call(_, let args): args.forEach(visit)
      case .index(let base, let indices, _):
        if case .name(let t) = base.kind {
          for (i, index) in indices.enumerated() {
            if case .name(let n) = index.kind, n == name {
              out.append(IndexUse(tensor: t, dimension: i, location: index.location))
            }
          }
        }
        indices.forEach(visit)
      case .unary(_, let a): visit(a)
      case .binary(_, let a, let b, _):
        visit(a)
        visit(b)
      case .reduction(_, _, let axes, let body):
        for a in axes {
          switch a.range {
          case .inferred: break
          case .below(let x): visit(x)
          case .between(let lo, let hi):
            visit(lo)
            visit(hi)
          }
          if a.name == name { return }
        }
        visit(body)
      }
    }
    exprs.forEach(visit)
    return out
  }

  /// Whether `name` occurs as a value anywhere in `exprs` (not as the tensor of an index expression).
  func mentions(_ name: String, in exprs: [SpecExpr]) -> Bool {
    func visit(_ e: SpecExpr) -> Bool {
      switch e.kind {
      case .integer, .float, .bool: return false
      case .name(let n): return n == name
      case .call(_, let args): return args.contains(where: visit)
      case .index(_, let indices, _): return indices.contains(where: visit)
      case .unary(_, let a): return visit(a)
      case .binary(_, let a, let b, _): return visit(a) || visit(b)
      case .reduction(_, _, let axes, let body):
        for a in axes {
          switch a.range {
          case .inferred: break
          case .below(let x): if visit(x) { return true }
          case .between(let lo, let hi): if visit(lo) || visit(hi) { return true }
          }
          if a.name == name { return false }
        }
        return visit(body)
      }
    }
    return exprs.contains(where: visit)
  }

  /// The extent of `name` from its whole-index uses, recording constraints between uses that differ.
  mutating func inferExtent(
    _ name: String, at location: SourceLocation, uses: [IndexUse], anyUse: Bool, hint: String
  ) throws(LoweringAbort) -> SizeExpr {
    var first: (use: IndexUse, extent: SizeExpr)? = nil
    var unusable = false
    for use in uses {
      guard let t = tensors[use.tensor], t.defined, !t.poisoned, use.dimension < t.shape.count else {
        // Reported when the body is lowered (unknown tensor, read before definition, wrong rank).
        unusable = true
        continue
      }
      let extent = t.shape[use.dimension]
      guard let f = first else {
        first = (use, extent)
        continue
      }
      guard extent != f.extent else { continue }
      let a = f.extent.evaluate([:])
      let b = extent.evaluate([:])
      let pair = ShapeConstraint(
        variable: name,
        first: .init(tensor: f.use.tensor, dimension: f.use.dimension, extent: f.extent, location: f.use.location),
        second: .init(tensor: use.tensor, dimension: use.dimension, extent: extent, location: use.location))
      if let a, let b, extent.dimNames.isEmpty, f.extent.dimNames.isEmpty, a != b {
        throw fail(
          SpecDiagnostic.shapeMismatch, pair.mismatchMessage(firstValue: a, secondValue: b), at: use.location,
          notes: [pair.firstUseNote])
      }
      let same = constraints.contains {
        ($0.first.extent == f.extent && $0.second.extent == extent)
          || ($0.first.extent == extent && $0.second.extent == f.extent)
      }
      if !same { constraints.append(pair) }
    }
    if let first { return first.extent }
    if unusable {
      // Stand-in extent: lowering the body reports why the use cannot be read, and the statement is dropped.
      return .constant(1)
    }
    let why = anyUse ? "it is only used inside index expressions" : "it is not used as an index"
    throw fail(SpecDiagnostic.cannotInferRange, "cannot infer the range of '\(name)': \(why); \(hint)", at: location)
  }

  /// A spec expression as a size (dims, integers, `+ - * /`), or nil when it is anything else.
  func sizeOf(_ e: SpecExpr) -> SizeExpr? {
    switch e.kind {
    case .integer(let v): return .constant(Int(v))
    case .name(let n):
      if scope.contains(where: { $0.name == n }) || tensors[n] != nil || dimLocations[n] == nil { return nil }
      return .dim(n)
    case .binary(let op, let a, let b, _):
      guard let x = sizeOf(a), let y = sizeOf(b) else { return nil }
      switch op {
      case .add: return .add(x, y)
      case .sub: return .sub(x, y)
      case .mul: return .mul(x, y)
      case .div: return .div(x, y)
      case .mod, .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .and, .or: return nil
      }
    case .float, .bool, .call, .index, .unary, .reduction: return nil
    }
  }
}
