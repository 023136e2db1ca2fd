import KevcBasic
import KevcIR

/// `deinterleave(y, x, l)`: the input side of a strided convolution. Where `y` reads `x` at an index `s * l + e` (an
/// output axis `l` with a constant stride `s >= 2`, `e` affine in the other index variables), consecutive `l` read
/// `x` `s` elements apart, so a vector of them is loaded lane by lane. The rewrite adds `x.ph`, the de-interleaved
/// copy `x.ph[.., r, m, ..] = x[.., s * m + r, ..]` (`r < s`, `m < ceil(X / s)`), and reads it at
/// `x.ph[.., e % s, l + e / s, ..]` (floor semantics: `s * l + e = s * (l + e / s) + e % s`), where consecutive `l`
/// are adjacent. Exact: every position of `x`, in range or not, is the same element (or the same padding 0) of the
/// copy, since `m` out of `0 ..< ceil(X / s)` means `s * m + r` out of `0 ..< X`.
///
/// Legal when `y` reads `x` (an input, or a definition computed at the root), every load of `x` in `y` whose index
/// reads `l` with a coefficient other than 1 reads it in one dimension with one constant coefficient `s` from 2 to
/// 64, that dimension's index is affine in index variables and constants, the loads pad with 0 (or are in bounds),
/// and `y` is not a tuple reduction. Loads of `x` that do not stride along `l` keep reading `x`.
///
/// Before:
/// ```
/// %y: f32[n < N, f < F, l < Lo] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (%x[n, c, ((3:i64 * l) + (4:i64 * k))] * %w[f, c, k])
/// ```
/// After `deinterleave(y, x, l)`:
/// ```
/// %x.ph: f32[d0 < N, d1 < C, d2.r < 3, d2.m < ((L + 2) / 3)] = %x[d0, d1, ((3:i64 * d2.m) + d2.r)]
/// %y: f32[n < N, f < F, l < Lo] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (%x.ph[n, c, ((4:i64 * k) % 3:i64), (l + ((4:i64 * k) / 3:i64))] * %w[f, c, k])
/// ```
extension ScheduleEditing {
  mutating func deinterleave(_ tensor: String, _ input: String, _ axis: String) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    guard d.axes.contains(where: { $0.name == axis }) else {
      throw fail("'\(tensor)' has no output axis '\(axis)'; its axes are \(d.axes.map(\.name).joined(separator: ", "))", .unknownLoop)
    }
    let (shape, dtype) = try copiedInput(input, readBy: d)
    let arithmetic = IndexArithmetic(dims: [:])
    // The strided loads: their dimension and stride (one of each).
    var dimension: Int?
    var stride: Int?
    var problem: String?
    d.body.forEach { e in
      guard problem == nil, case .load(let l) = e, l.tensor == input else { return }
      for (i, x) in l.indices.enumerated() where x.indexNames.contains(axis) {
        guard let form = arithmetic.affine(x), Self.fitsFolding(form), let c = form.terms[axis] else {
          problem = "the index \(IRPrinter.print(x)) of '\(input)' is not affine in the index variables and constants"
          return
        }
        if c == 1 { continue }
        guard c >= 2, c <= Self.maxPhases else {
          problem = "'\(axis)' walks '\(input)' with stride \(c), not from 2 to \(Self.maxPhases)"
          return
        }
        if let s = stride, s != c || dimension != i {
          problem = "'\(input)' is read with two strides along '\(axis)'"
          return
        }
        if case .padded(let pad?) = l.bounds, pad != .zero(pad.dtype) {
          problem = "'\(input)' is read with the pad value \(IRPrinter.print(.constant(pad))); the copy pads with 0"
          return
        }
        (stride, dimension) = (c, i)
      }
    }
    if let problem { throw fail(problem) }
    guard let s = stride, let dim = dimension, dim < shape.count else {
      throw fail("'\(tensor)' reads '\(input)' with no stride along '\(axis)'")
    }
    // The copy: the strided dimension becomes (r < s, m < ceil(X / s)).
    let names = shape.indices.map { "d\($0)" }
    var axes: [Axis] = []
    var indices: [Expr] = []
    for (i, extent) in shape.enumerated() {
      if i == dim {
        axes.append(Axis(name: names[i] + ".r", extent: .constant(s)))
        axes.append(Axis(name: names[i] + ".m", extent: .div(.add(extent, .constant(s - 1)), .constant(s))))
        indices.append(
          .binary(.add, .binary(.mul, .constant(.int(Int64(s))), .index(names[i] + ".m")), .index(names[i] + ".r")))
      } else {
        axes.append(Axis(name: names[i], extent: extent))
        indices.append(.index(names[i]))
      }
    }
    let name = fresh("\(input).ph", taken: tensorNames)
    let copy = Definition(
      name: name, dtype: dtype, axes: axes, reduction: nil, body: .load(Load(tensor: input, indices: indices)),
      location: d.location)
    // The reads: x[.., s * l + e, ..] -> x.ph[.., e % s, l + e / s, ..].
    let order = d.axes.map(\.name) + (d.reduction?.axes.map(\.name) ?? [])
    var y = d
    y.body = d.body.rewritten { node in
      guard case .load(var l) = node, l.tensor == input, dim < l.indices.count,
        let form = arithmetic.affine(l.indices[dim]), form.terms[axis] == s
      else { return nil }
      var rest = form
      rest.terms[axis] = nil
      let e = Self.affineExpr(rest, order: order)
      let residue: Expr
      let quotient: Expr
      if rest.terms.isEmpty {
        residue = .constant(.int(Int64(rest.constant - IndexArithmetic.floorDiv(rest.constant, s) * s)))
        let q = IndexArithmetic.floorDiv(rest.constant, s)
        quotient = q == 0 ? .index(axis) : .binary(q < 0 ? .sub : .add, .index(axis), .constant(.int(Int64(abs(q)))))
      } else {
        residue = .binary(.mod, e, .constant(.int(Int64(s))))
        quotient = .binary(.add, .index(axis), .binary(.div, e, .constant(.int(Int64(s)))))
      }
      l.tensor = name
      l.indices.replaceSubrange(dim...dim, with: [residue, quotient])
      return .load(l)
    }
    kernel.definitions[index] = y
    kernel.definitions.insert(copy, at: index)
  }
}

extension Definition {
  /// The tensors and strides its body reads along `axis` with a constant stride of at least 2 (a strided
  /// convolution's input along the output position): what `deinterleave` makes unit-stride.
  public func stridedInputs(along axis: String) -> [String] {
    let arithmetic = IndexArithmetic(dims: [:])
    var out: [String] = []
    body.forEach { e in
      guard case .load(let l) = e, !out.contains(l.tensor) else { return }
      if l.indices.contains(where: { x in (arithmetic.affine(x)?.terms[axis] ?? 1) >= 2 }) { out.append(l.tensor) }
    }
    return out
  }
}
