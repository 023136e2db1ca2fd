import KevcBasic
import KevcIR

/// `pad_input(y, x)`: a convolution's padding made explicit. Where `y` reads `x` at indices that can fall outside
/// `x` (the zero padding of `x[n, c, i - p, j - q]`), every such vector load is masked by a test per lane, per tap.
/// The rewrite adds `x.pad`, a copy of `x` with the zero border `y`'s reads need (`x.pad[.., a, ..] =
/// x[.., a - before, ..]`, its extent `X + before + after`), and reads it at `x.pad[.., i - p + before, ..]`, in
/// bounds by construction (`inbounds`: no masks). The border is computed from the index ranges at the bound shape
/// (`IndexArithmetic`), so the trace step needs bound dims; the values are unchanged (a read outside `x` was 0 and
/// reads the border's 0).
///
/// Legal when the dims are bound, `x` is an input or a definition computed at the root, every load of `x` in `y`
/// pads with 0 and has indices whose ranges over `y`'s domain are known (axes, and reduction axes with constant
/// bounds), some read falls outside `x`, the border is at most 64 elements per side and the copy at most 2^28
/// elements, and `y` is not a tuple reduction.
///
/// Before (`H = 16`, `K = 3`):
/// ```
/// %y: f32[n < N, f < F, i < ((H + K) - 1)] = sum<f32> [c in 0 .. $C, p in 0 .. $K] (%x[n, c, (i - p)] * %w[c, f, p])
/// ```
/// After `pad_input(y, x)`:
/// ```
/// %x.pad: f32[d0 < N, d1 < C, d2 < (H + 4)] = %x[d0, d1, (d2 - 2:i64)]
/// %y: f32[n < N, f < F, i < ((H + K) - 1)] = sum<f32> [c in 0 .. $C, p in 0 .. $K] (%x.pad[n, c, ((i - p) + 2:i64)] inbounds * %w[c, f, p])
/// ```
extension ScheduleEditing {
  /// Most border elements per side, and most elements of the padded copy.
  static let maxBorder = 64
  static let maxPaddedElements = 1 << 28

  mutating func padInput(_ tensor: String, _ input: String) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    let (shape, dtype) = try copiedInput(input, readBy: d)
    var extents: [Int] = []
    for s in shape { extents.append(try value(s)) }
    // The ranges of the index variables over y's domain.
    var arithmetic = IndexArithmetic(dims: kernel.dimBindings)
    for a in d.axes { arithmetic.bound(a.name, 0...max(0, try value(a.extent) - 1)) }
    for r in d.reduction?.axes ?? [] {
      guard let lo = constantValue(r.lowerBound), let hi = constantValue(r.upperBound) else {
        throw fail("reduction axis '\(r.name)' of '\(tensor)' has bounds that are not constants")
      }
      arithmetic.bound(r.name, hi > lo ? lo...(hi - 1) : nil)
    }
    // The border each dimension needs: the reads' lowest and highest index.
    var before = Array(repeating: 0, count: extents.count)
    var after = Array(repeating: 0, count: extents.count)
    var problem: String?
    d.body.forEach { e in
      guard problem == nil, case .load(let l) = e, l.tensor == input else { return }
      if case .padded(let pad?) = l.bounds, pad != .zero(pad.dtype) {
        problem = "'\(input)' is read with the pad value \(IRPrinter.print(.constant(pad))); the border is 0"
        return
      }
      for (i, x) in l.indices.enumerated() where i < extents.count {
        guard let r = arithmetic.range(x) else {
          problem = "the range of the index \(IRPrinter.print(x)) of '\(input)' is not known"
          return
        }
        before[i] = max(before[i], -r.lowerBound)
        after[i] = max(after[i], r.upperBound - (extents[i] - 1))
      }
    }
    if let problem { throw fail(problem) }
    guard before.contains(where: { $0 > 0 }) || after.contains(where: { $0 > 0 }) else {
      throw fail("'\(tensor)' reads '\(input)' in bounds; there is no padding to make explicit")
    }
    guard (before + after).allSatisfy({ $0 <= Self.maxBorder }) else {
      throw fail("the border of '\(input)' would exceed \(Self.maxBorder) elements per side", .badParameter)
    }
    var elements = 1
    for (i, x) in extents.enumerated() {
      let (next, overflow) = elements.multipliedReportingOverflow(by: x + before[i] + after[i])
      guard !overflow, next <= Self.maxPaddedElements else {
        throw fail("the padded copy of '\(input)' would exceed \(Self.maxPaddedElements) elements", .badParameter)
      }
      elements = next
    }
    // The copy: each dimension widened by its border, read back shifted.
    let names = shape.indices.map { "d\($0)" }
    let axes = shape.enumerated().map { i, extent in
      Axis(name: names[i], extent: before[i] + after[i] == 0 ? extent : .add(extent, .constant(before[i] + after[i])))
    }
    let reads: [Expr] = names.enumerated().map { i, n in
      before[i] == 0 ? .index(n) : .binary(.sub, .index(n), .constant(.int(Int64(before[i]))))
    }
    let name = fresh("\(input).pad", taken: tensorNames)
    let copy = Definition(
      name: name, dtype: dtype, axes: axes, reduction: nil, body: .load(Load(tensor: input, indices: reads)),
      location: d.location)
    let order = d.axes.map(\.name) + (d.reduction?.axes.map(\.name) ?? [])
    let symbolic = IndexArithmetic(dims: [:])
    var y = d
    y.body = d.body.rewritten { node in
      guard case .load(var l) = node, l.tensor == input else { return nil }
      l.tensor = name
      l.indices = l.indices.enumerated().map { i, x in
        guard i < before.count, before[i] != 0 else { return x }
        if var form = symbolic.affine(x), Self.fitsFolding(form) {
          form.constant += before[i]
          return Self.affineExpr(form, order: order)
        }
        return .binary(.add, x, .constant(.int(Int64(before[i]))))
      }
      l.bounds = .inBounds
      return .load(l)
    }
    kernel.definitions[index] = y
    kernel.definitions.insert(copy, at: index)
  }
}
