import KevcBasic
import KevcIR

/// Whether a computed tensor matches the reference (the interpreter's) within its type's tolerance.
///
/// An element passes when `|actual - reference| <= atol + rtol * (|reference| + scale)`, where `scale` is the root
/// mean square of the reference's finite elements (the tensor's typical magnitude), with per-type (atol, rtol):
/// f64 (1e-9, 1e-9); f32 (1e-4, 2e-4): the relative part is relaxed from 1e-4 so that long f32 reductions, whose
/// rounding error grows with their length, still pass against the f64 oracle; f16 (1e-2, 1e-2); bf16 (6e-2, 3e-2)
/// (8 significand bits); integers and bool exactly. NaN passes only where the reference is NaN, an infinity only
/// where the reference is the same infinity; a finite value where the reference is NaN or inf fails. Different
/// dtypes, shapes or element counts fail.
///
/// The tolerance is that of the precision the values were *computed* in (`ComputedPrecision`): an f32 computation
/// cast to an f64 result is judged with f32's tolerance, not f64's. Discontinuous results (`Leeway`, from
/// `Interpreter.runWithLeeway`): an element that depends on a floor, ceil, comparison, float mod or float-to-integer
/// conversion of a computed value within tolerance of its jump may take any value (except a NaN where the
/// reference has none); an argmax/argmin may give any index whose value ties with the extreme within tolerance but
/// differs from it (an exact tie, the same value, must give the first index).
///
/// Why the scale term: the rounding error of a long reduction grows with the magnitudes of its terms, not with its
/// result. Where large terms cancel to a small element (a matmul on near-overflow inputs: terms of 1e3 summing to
/// 0.4), `rtol * |reference|` would demand far more than f32 can give; the tensor's rms tracks the terms' size
/// (`sqrt(n) * |term|` for n random terms). A wrong element (a term missing, a wrong index, a stale value) still
/// differs by a sizeable fraction of the rms, thousands of times more than this allows.
public struct Comparison: Hashable, Sendable, CustomStringConvertible {
  /// The largest |actual - reference| over elements (inf when a non-finite value is mismatched).
  public var maxAbsError: Double
  /// The largest |actual - reference| / max(|reference|, atol) (integers: max(|reference|, 1)).
  public var maxRelError: Double
  /// Flat row-major index of the worst element (the first failing one when any fails); nil when there is none.
  public var worstIndex: Int?
  public var passed: Bool
  /// Why it failed ("" when it passed).
  public var reason: String
  /// The factor the bound was multiplied by: 1, or more where the declared types' own evaluation misses the
  /// tolerance on these inputs (`widening(dtypeError:)`).
  public var widening: Double = 1

  public init(maxAbsError: Double, maxRelError: Double, worstIndex: Int?, passed: Bool, reason: String) {
    self.maxAbsError = maxAbsError
    self.maxRelError = maxRelError
    self.worstIndex = worstIndex
    self.passed = passed
    self.reason = reason
  }

  public var description: String {
    passed
      ? "passed (max abs \(maxAbsError), max rel \(maxRelError))"
      : "failed: \(reason) (max abs \(maxAbsError), max rel \(maxRelError))"
  }

  /// The dtype's own error (docs/reliability.md, "An input the dtype cannot resolve"; the GPU harness's
  /// `tolerance.py` has the same two constants): a bound widened to `dtypeErrorFactor` times the declared types'
  /// worst normalised error, at most `dtypeErrorCap` times the tolerance.
  public static let dtypeErrorFactor = 4.0
  public static let dtypeErrorCap = 64.0

  /// 1 unless `dtypeError` (the worst normalised error of the declared types' own evaluation) exceeds
  /// 1 / `dtypeErrorFactor`; at most `dtypeErrorCap`.
  public static func widening(dtypeError: Double?) -> Double {
    guard let e = dtypeError, e.isFinite else { return 1 }
    return Swift.min(dtypeErrorCap, Swift.max(1, dtypeErrorFactor * e))
  }

  /// The worst normalised error |e - r| / (atol + rtol (|r| + rms)) of `evaluated` (the kernel in its declared
  /// precision, `Interpreter.runInDeclaredPrecision`) against the float64 reference, over the elements where both
  /// are finite; nil for integer and bool results and mismatched shapes.
  public static func dtypeError(_ evaluated: TensorValue, _ reference: TensorValue, dtype: DType, tolerance: DType? = nil)
    -> Double?
  {
    guard dtype.isFloat, evaluated.values.count == reference.values.count else { return nil }
    let (atol, rtol) = Self.tolerance(for: tolerance.map { ComputedPrecision.coarser($0, dtype) } ?? dtype)
    let scale = rootMeanSquare(reference.values)
    var worst = 0.0
    for (e, r) in zip(evaluated.values, reference.values) where e.isFinite && r.isFinite {
      worst = Swift.max(worst, Swift.abs(e - r) / (atol + rtol * (Swift.abs(r) + scale)))
    }
    return worst
  }

  /// The (absolute, relative) tolerance of a type.
  public static func tolerance(for dtype: DType) -> (atol: Double, rtol: Double) {
    switch dtype {
    case .f64: return (1e-9, 1e-9)
    case .f32: return (1e-4, 2e-4)
    case .f16: return (1e-2, 1e-2)
    case .bf16: return (6e-2, 3e-2)
    case .i8, .i32, .i64, .bool: return (0, 0)
    }
  }

  /// Compares within the tolerance of `tolerance` (the precision the values were computed in, see
  /// `ComputedPrecision`; `dtype` when nil, and never tighter than `dtype`'s), accepting what `leeway` allows.
  /// `dtypeError`: the worst normalised error of the kernel evaluated in its declared precision on these inputs
  /// (`dtypeError(_:_:dtype:tolerance:)`), which widens the bound (`widening(dtypeError:)`) for float results.
  public static func compare(
    _ actual: TensorValue, _ reference: TensorValue, dtype: DType, tolerance: DType? = nil, leeway: Leeway = Leeway(),
    dtypeError: Double? = nil
  ) -> Comparison {
    let factor = dtype.isFloat ? widening(dtypeError: dtypeError) : 1
    var c = compareWithin(actual, reference, dtype: dtype, tolerance: tolerance, leeway: leeway, widening: factor)
    c.widening = factor
    return c
  }

  private static func compareWithin(
    _ actual: TensorValue, _ reference: TensorValue, dtype: DType, tolerance: DType?, leeway: Leeway, widening: Double
  ) -> Comparison {
    func failure(_ reason: String) -> Comparison {
      Comparison(maxAbsError: .infinity, maxRelError: .infinity, worstIndex: nil, passed: false, reason: reason)
    }
    guard actual.dtype == reference.dtype else {
      return failure("dtype \(actual.dtype) differs from the reference's \(reference.dtype)")
    }
    guard actual.shape == reference.shape else {
      return failure("shape \(text(actual.shape)) differs from the reference's \(text(reference.shape))")
    }
    let expectedCount = TensorValue.elementCount(reference.shape) ?? -1
    guard actual.values.count == reference.values.count, reference.values.count == expectedCount else {
      return failure(
        "\(actual.values.count) values against the reference's \(reference.values.count) for shape "
          + text(reference.shape))
    }

    let (plainAtol, plainRtol) = Self.tolerance(for: tolerance.map { ComputedPrecision.coarser($0, dtype) } ?? dtype)
    let (atol, rtol) = (plainAtol * widening, plainRtol * widening)
    let scale = rootMeanSquare(reference.values)
    let relFloor = plainAtol > 0 ? plainAtol : 1
    var maxAbs = 0.0
    var maxRel = 0.0
    var worst: Int? = nil
    var worstExcess = -Double.infinity
    var firstFailure: (index: Int, actual: Double, reference: Double)? = nil

    for i in 0..<reference.values.count {
      let a = actual.values[i]
      let r = reference.values[i]
      let ok: Bool
      var diff = 0.0
      if !leeway.isEmpty, leeway.accepts(a, at: i), !a.isNaN || r.isNaN {
        ok = true
      } else if r.isNaN || a.isNaN {
        ok = r.isNaN && a.isNaN
        diff = ok ? 0 : .infinity
      } else if r.isInfinite || a.isInfinite {
        ok = r == a
        diff = ok ? 0 : .infinity
      } else {
        diff = Swift.abs(a - r)
        ok = diff <= atol + rtol * (Swift.abs(r) + scale)
      }
      let rel = diff / Swift.max(Swift.abs(r.isFinite ? r : 0), relFloor)
      maxAbs = Swift.max(maxAbs, diff)
      maxRel = Swift.max(maxRel, rel.isNaN ? .infinity : rel)
      if !ok, firstFailure == nil { firstFailure = (i, a, r) }
      let excess = diff.isInfinite ? .infinity : diff / (atol + rtol * (Swift.abs(r) + scale) + .leastNonzeroMagnitude)
      if firstFailure == nil, excess > worstExcess {
        worstExcess = excess
        worst = i
      }
    }
    if let f = firstFailure {
      let index = TensorValue.multiIndex(f.index, shape: reference.shape)
      let failures = (0..<reference.values.count).reduce(0) { n, i in
        let (a, r) = (actual.values[i], reference.values[i])
        let accepted = !leeway.isEmpty && leeway.accepts(a, at: i) && (!a.isNaN || r.isNaN)
        return n + (accepted || elementPasses(a, r, atol, rtol, scale: scale) ? 0 : 1)
      }
      return Comparison(
        maxAbsError: maxAbs, maxRelError: maxRel, worstIndex: f.index, passed: false,
        reason:
          "element \(text(index)) is \(f.actual), expected \(f.reference) (tolerance \(atol) + \(rtol) * (|expected| + \(scale))"
          + (widening > 1 ? ", widened \(widening)x by the dtype's own error" : "") + ");"
          + " \(failures) of \(reference.values.count) elements differ")
    }
    return Comparison(maxAbsError: maxAbs, maxRelError: maxRel, worstIndex: worst, passed: true, reason: "")
  }

  /// The element rule alone (`scale`: the reference tensor's rms, see above).
  public static func elementPasses(_ a: Double, _ r: Double, _ atol: Double, _ rtol: Double, scale: Double = 0) -> Bool {
    if r.isNaN || a.isNaN { return r.isNaN && a.isNaN }
    if r.isInfinite || a.isInfinite { return r == a }
    return Swift.abs(a - r) <= atol + rtol * (Swift.abs(r) + scale)
  }

  /// The root mean square of the finite values (0 when there are none).
  public static func rootMeanSquare(_ values: [Double]) -> Double {
    var sum = 0.0
    var count = 0
    for v in values where v.isFinite {
      sum += v * v
      count += 1
    }
    return count == 0 ? 0 : (sum / Double(count)).squareRoot()
  }

  private static func text(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}

/// What a comparison may accept besides the reference's value, per element (flat row-major index): elements that
/// depend on a discontinuity met within tolerance (`anyValue`: a floor, a comparison, a float-to-integer
/// conversion of a computed value within tolerance of its jump, and everything computed from such an element), and
/// the equally good answers of an argmax/argmin whose extreme ties within tolerance (`alternatives`). Computed by
/// `Interpreter.runWithLeeway`.
public struct Leeway: Hashable, Sendable {
  public var anyValue: Set<Int> = []
  public var alternatives: [Int: [Double]] = [:]

  public init(anyValue: Set<Int> = [], alternatives: [Int: [Double]] = [:]) {
    self.anyValue = anyValue
    self.alternatives = alternatives
  }

  public var isEmpty: Bool { anyValue.isEmpty && alternatives.isEmpty }

  /// Whether `actual` is acceptable at element `i` whatever the tolerance says.
  func accepts(_ actual: Double, at i: Int) -> Bool {
    if anyValue.contains(i) { return true }
    return alternatives[i]?.contains(actual) ?? false
  }
}
