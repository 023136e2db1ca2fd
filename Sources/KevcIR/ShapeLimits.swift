import KevcBasic

/// The largest sizes kevc accepts, checked where sizes enter the compiler (binding dims and `--shape`, schedule
/// factors), so that every later product of extents, factors and strides fits in 64 bits and no stage can trap on
/// overflow. A size past a limit is a located `kevc.shape.too-large` error.
///
/// - `maxExtent` (2^40): any one size: a dim, a tensor dimension, a reduction range, a split, tile or rfactor factor.
/// - `maxElements` (2^48): the elements of one tensor (an f64 tensor of 2^48 elements is 2 PiB, far past any
///   machine; the memory budget of a run refuses much less).
public enum ShapeLimits {
  public static let maxExtent = 1 << 40
  public static let maxElements = 1 << 48
  public static let tooLarge = DiagnosticID("shape", "too-large")

  /// The product of `extents`, or nil when it overflows or passes `limit`.
  public static func product(_ extents: [Int], limit: Int = maxElements) -> Int? {
    var n = 1
    for e in extents {
      let (p, overflow) = n.multipliedReportingOverflow(by: e)
      guard !overflow, p <= limit else { return nil }
      n = p
    }
    return n
  }

  /// `hi - lo` when both are known and the difference fits; nil otherwise.
  public static func span(_ lo: Int, _ hi: Int) -> Int? {
    let (d, overflow) = hi.subtractingReportingOverflow(lo)
    return overflow ? nil : d
  }
}
