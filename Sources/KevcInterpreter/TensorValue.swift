import KevcBasic

/// A concrete tensor: element type, shape and row-major values as doubles (the interpreter's representation; rank 0
/// holds one element). Integer and bool values are exact integers in the double; `bytes()` and
/// `init(dtype:shape:bytes:)` convert to and from the in-memory layout of compiled kernels.
///
/// Equality is element-wise on the value's identity: NaN equals NaN (as for `Constant`), so that tensors can be
/// compared in tests and hashed consistently.
public struct TensorValue: Hashable, Sendable, CustomStringConvertible {
  public var dtype: DType
  public var shape: [Int]
  public var values: [Double]

  public init(dtype: DType, shape: [Int], values: [Double]) {
    self.dtype = dtype
    self.shape = shape
    self.values = values
  }

  /// A rank-0 tensor (a scalar argument).
  public static func scalar(_ value: Double, _ dtype: DType) -> TensorValue {
    TensorValue(dtype: dtype, shape: [], values: [value])
  }

  /// Decodes little-endian bytes (`ElementEncoding`); missing bytes read as zero, extra bytes are ignored.
  public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
    self.dtype = dtype
    self.shape = shape
    self.values = ElementEncoding.decode(bytes, count: TensorValue.elementCount(shape) ?? 0, as: dtype)
  }

  /// The in-memory form: `values.count * dtype.byteSize` little-endian bytes.
  public func bytes() -> [UInt8] { ElementEncoding.encode(values, as: dtype) }

  /// Product of the shape (1 for rank 0); nil for a negative extent or an overflowing product.
  public static func elementCount(_ shape: [Int]) -> Int? {
    var n = 1
    for s in shape {
      guard s >= 0 else { return nil }
      let (p, overflow) = n.multipliedReportingOverflow(by: s)
      if overflow { return nil }
      n = p
    }
    return n
  }

  /// Row-major strides of a shape.
  public static func strides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[d] = s
      s = s &* shape[d]
    }
    return strides
  }

  /// The multi-index of a flat row-major position.
  public static func multiIndex(_ flat: Int, shape: [Int]) -> [Int] {
    var out = [Int](repeating: 0, count: shape.count)
    var rest = flat
    for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] > 0 {
      out[d] = rest % shape[d]
      rest /= shape[d]
    }
    return out
  }

  /// The element at a multi-index; nil outside the shape.
  public subscript(index: [Int]) -> Double? {
    guard index.count == shape.count else { return nil }
    var flat = 0
    for (d, i) in index.enumerated() {
      guard i >= 0, i < shape[d] else { return nil }
      flat = flat &* shape[d] &+ i
    }
    return flat < values.count ? values[flat] : nil
  }

  /// A result buffer before a kernel writes it: NaN for floats; for integers the byte pattern 0x5A repeated
  /// (i8 90, i32 0x5A5A5A5A; i64 the nearest double to 0x5A5A5A5A5A5A5A5A); for bool the byte 0x5A (90, which no
  /// valid bool decodes to).
  public static func poisoned(dtype: DType, shape: [Int]) -> TensorValue {
    TensorValue(
      dtype: dtype, shape: shape,
      values: [Double](repeating: poisonValue(dtype), count: elementCount(shape) ?? 0))
  }

  /// The poison element of a type (see `poisoned`).
  public static func poisonValue(_ dtype: DType) -> Double {
    switch dtype {
    case .f16, .bf16, .f32, .f64: return .nan
    case .i8, .bool: return 0x5A
    case .i32: return Double(0x5A5A_5A5A as Int32)
    case .i64: return Double(0x5A5A_5A5A_5A5A_5A5A as Int64)
    }
  }

  public static func == (a: TensorValue, b: TensorValue) -> Bool {
    guard a.dtype == b.dtype, a.shape == b.shape, a.values.count == b.values.count else { return false }
    for (x, y) in zip(a.values, b.values) where !(x == y || (x.isNaN && y.isNaN)) { return false }
    return true
  }

  public func hash(into h: inout Hasher) {
    h.combine(dtype)
    h.combine(shape)
    for x in values { h.combine(x.isNaN ? Double.nan.bitPattern : (x == 0 ? 0 : x.bitPattern)) }
  }

  public var description: String {
    let shown = values.prefix(16).map { dtype.isFloat ? "\($0)" : "\(Int64(exactly: $0).map(String.init) ?? "\($0)")" }
    let more = values.count > 16 ? ", ..." : ""
    return "\(dtype)\(shape) [\(shown.joined(separator: ", "))\(more)]"
  }
}
