/// Element types of tensors and scalars, shared by the spec language and the IR.
///
/// Semantics (see docs/ir.md): arithmetic on `f16`/`bf16` values is carried out in at least `f32` precision and
/// rounded to nearest-even when a value is stored or explicitly cast; integers wrap on overflow; `bool` is 0 or 1.
public enum DType: String, Hashable, Codable, Sendable, CaseIterable, CustomStringConvertible {
  case f16, bf16, f32, f64, i8, i32, i64, bool

  public var description: String { rawValue }

  public var isFloat: Bool {
    switch self {
    case .f16, .bf16, .f32, .f64: return true
    case .i8, .i32, .i64, .bool: return false
    }
  }

  public var isInteger: Bool {
    switch self {
    case .i8, .i32, .i64: return true
    case .f16, .bf16, .f32, .f64, .bool: return false
    }
  }

  /// The type a value of this type is computed in: f16 and bf16 values are widened to f32 (and rounded back at every
  /// store and cast); every other type is its own. Each target spells its registers' types from it.
  public var computed: DType {
    switch self {
    case .f16, .bf16: return .f32
    case .f32, .f64, .i8, .i32, .i64, .bool: return self
    }
  }

  /// Bytes per element in memory.
  public var byteSize: Int {
    switch self {
    case .bool, .i8: return 1
    case .f16, .bf16: return 2
    case .f32, .i32: return 4
    case .f64, .i64: return 8
    }
  }

  /// Bits of significand precision (including the implicit bit); integers are exact.
  public var mantissaBits: Int {
    switch self {
    case .f16: return 11
    case .bf16: return 8
    case .f32: return 24
    case .f64: return 53
    case .i8, .i32, .i64, .bool: return 64
    }
  }
}
