/// The user's accuracy contract for f32 contractions (PyTorch's `torch.set_float32_matmul_precision`): part of the
/// kernel, set by the spec's `matmul_precision` line or `--matmul-precision`, never by a schedule. It bounds the
/// input precisions a schedule may give an f32 `dot` (`precision(y, p)` is illegal beyond it) and it, not the
/// schedule, sets the tolerance an f32 contraction's results are checked at (`ComputedPrecision`).
///
/// - `highest` (the default): f32's accuracy; a dot may read its operands in f32 or as `tf32x3` (three tf32
///   passes of split operands, about f32's accuracy).
/// - `high`: also `tf32` (one pass on operands rounded to 10 mantissa bits) and `bf16x3`; checked at tf32's
///   tolerance (f16's: the same 10 mantissa bits).
/// - `medium`: also `bf16` (operands rounded to 7 mantissa bits); checked at bf16's tolerance.
public enum MatmulPrecision: String, Hashable, Codable, Sendable, CaseIterable, CustomStringConvertible {
  case highest, high, medium

  public var description: String { rawValue }

  /// The spellings, for diagnostics and help texts: `highest, high, medium`.
  public static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }

  /// Whether this contract is at most as strict as `other`: everything `other` allows, this allows too
  /// (`medium` allows what `high` does, `high` what `highest` does).
  public func allows(_ other: MatmulPrecision) -> Bool { rank >= other.rank }

  private var rank: Int {
    switch self {
    case .highest: return 0
    case .high: return 1
    case .medium: return 2
    }
  }

  /// The tolerance an f32 contraction's results are checked at under this contract: the type whose rounding the
  /// least accurate allowed input precision matches (tf32 keeps f16's 10 mantissa bits, bf16 its own 7).
  public var contractionTolerance: DType {
    switch self {
    case .highest: return .f32
    case .high: return .f16
    case .medium: return .bf16
    }
  }
}
