/// How one element of each `DType` is stored in memory (little endian) and what value a Double becomes when it is
/// stored as that type.
///
/// Rounding (the IR's): f32 rounds to nearest-even; f16 rounds to nearest-even directly from the f64 value, and
/// overflows to +-inf; bf16 first rounds to f32, then from the f32 bits to bf16 by nearest-even (what compiled code
/// does for `bf16(x)` with `x: f32`); NaN stays NaN. Integers: see `DType.round` (casts saturate) and
/// `ElementEncoding.storedInteger` (memory encoding wraps). Nothing here traps on NaN, inf or out-of-range values.
public enum ElementEncoding {
  // MARK: - Integers

  /// Truncates toward zero and saturates to the Int64 range; NaN gives 0 (`llvm.fptosi.sat` for i64).
  public static func saturatingInt64(_ x: Double) -> Int64 {
    if x.isNaN { return 0 }
    // 2^63 is exactly representable; every double below it converts without trapping.
    if x >= 9_223_372_036_854_775_808.0 { return Int64.max }
    if x <= -9_223_372_036_854_775_808.0 { return Int64.min }
    return Int64(x.rounded(.towardZero))
  }

  /// Wraps an integer to the width of `dtype` (two's complement); bool gives 0 or 1; float types leave it alone.
  public static func wrap(_ v: Int64, to dtype: DType) -> Int64 {
    switch dtype {
    case .i8: return Int64(Int8(truncatingIfNeeded: v))
    case .i32: return Int64(Int32(truncatingIfNeeded: v))
    case .i64: return v
    case .bool: return v != 0 ? 1 : 0
    case .f16, .bf16, .f32, .f64: return v
    }
  }

  /// The range of an integer type, as Int64 (bool: 0...1; float types: the Int64 range).
  public static func integerRange(_ dtype: DType) -> ClosedRange<Int64> {
    switch dtype {
    case .i8: return Int64(Int8.min)...Int64(Int8.max)
    case .i32: return Int64(Int32.min)...Int64(Int32.max)
    case .i64: return Int64.min...Int64.max
    case .bool: return 0...1
    case .f16, .bf16, .f32, .f64: return Int64.min...Int64.max
    }
  }

  /// The integer a Double becomes in memory: truncated toward zero and saturated to Int64 (NaN -> 0), then wrapped
  /// to the type's width; bool is `x != 0`. For in-range values this equals `DType.round`.
  public static func storedInteger(_ x: Double, _ dtype: DType) -> Int64 {
    if dtype == .bool { return x != 0 ? 1 : 0 }
    return wrap(saturatingInt64(x), to: dtype)
  }

  /// Float -> integer conversion of a cast: truncate toward zero, saturate to the type's range, NaN -> 0.
  public static func saturatingInteger(_ x: Double, _ dtype: DType) -> Int64 {
    if dtype == .bool { return x != 0 ? 1 : 0 }
    let r = integerRange(dtype)
    let v = saturatingInt64(x)
    return Swift.min(Swift.max(v, r.lowerBound), r.upperBound)
  }

  // MARK: - Half precision

  /// IEEE binary16 bits of `x`, rounded to nearest-even; overflow gives +-inf, NaN gives a quiet NaN.
  public static func f16Bits(_ x: Double) -> UInt16 {
    let sign: UInt16 = x.sign == .minus ? 0x8000 : 0
    if x.isNaN { return sign | 0x7E00 }
    let a = Swift.abs(x)
    if a.isInfinite { return sign | 0x7C00 }
    if a < 0x1p-14 {
      // Subnormal (or zero): units of 2^-24. Scaling by a power of two is exact here; m is in 0 ... 1024, and 1024
      // is exactly the bit pattern of the smallest normal.
      let m = (a * 0x1p24).rounded(.toNearestOrEven)
      return sign | UInt16(m)
    }
    var e = Int(a.exponent)
    // r in [1024, 2048]: the significand with 10 fraction bits, rounded.
    var r = (a * Double(sign: .plus, exponent: 10 - e, significand: 1)).rounded(.toNearestOrEven)
    if r >= 2048 {
      r = 1024
      e += 1
    }
    if e > 15 { return sign | 0x7C00 }
    return sign | UInt16(e + 15) << 10 | (UInt16(r) - 1024)
  }

  /// The value of IEEE binary16 bits.
  public static func double(f16Bits b: UInt16) -> Double {
    let negative = b & 0x8000 != 0
    let exponent = Int((b >> 10) & 0x1F)
    let fraction = Double(b & 0x3FF)
    let magnitude: Double
    if exponent == 0x1F {
      magnitude = fraction == 0 ? .infinity : .nan
    } else if exponent == 0 {
      magnitude = fraction * 0x1p-24
    } else {
      magnitude = (1024 + fraction) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
    }
    return negative ? -magnitude : magnitude
  }

  /// bfloat16 bits of `x`: rounded to f32 first, then to bf16 by nearest-even on the f32 bits; NaN stays NaN
  /// (quiet, sign kept); overflow gives +-inf.
  public static func bf16Bits(_ x: Double) -> UInt16 {
    let bits = Float(x).bitPattern
    if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x7FC0 }
    let lsb = (bits >> 16) & 1
    return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ lsb) >> 16)
  }

  /// The value of bfloat16 bits.
  public static func double(bf16Bits b: UInt16) -> Double {
    Double(Float(bitPattern: UInt32(b) << 16))
  }

  // MARK: - Bytes

  /// Appends the little-endian encoding of one element.
  ///
  /// Integers: `storedInteger` (saturate to Int64, wrap to the width). bool: 0 for 0, the value itself for an
  /// integral value in 1 ... 255 (so that a poison byte survives a round trip), 1 otherwise (NaN included).
  public static func append(_ x: Double, as dtype: DType, to out: inout [UInt8]) {
    switch dtype {
    case .f64: appendLE(x.bitPattern, to: &out)
    case .f32: appendLE(Float(x).bitPattern, to: &out)
    case .f16: appendLE(f16Bits(x), to: &out)
    case .bf16: appendLE(bf16Bits(x), to: &out)
    case .i8: out.append(UInt8(truncatingIfNeeded: storedInteger(x, .i8)))
    case .i32: appendLE(UInt32(truncatingIfNeeded: storedInteger(x, .i32)), to: &out)
    case .i64: appendLE(UInt64(bitPattern: storedInteger(x, .i64)), to: &out)
    case .bool:
      if x == 0 {
        out.append(0)
      } else if x >= 1, x <= 255, x == x.rounded() {
        out.append(UInt8(x))
      } else {
        out.append(1)
      }
    }
  }

  /// The element at `offset` (in bytes) of `bytes`; reads past the end count as zero bytes.
  ///
  /// bool: the byte's value (0 and 1 are false and true; any other byte is kept as is, so that an invalid bool,
  /// e.g. a poison byte a kernel never overwrote, does not compare equal to a valid one).
  public static func decode(_ bytes: [UInt8], at offset: Int, as dtype: DType) -> Double {
    switch dtype {
    case .f64: return Double(bitPattern: readLE(bytes, offset, UInt64.self))
    case .f32: return Double(Float(bitPattern: readLE(bytes, offset, UInt32.self)))
    case .f16: return double(f16Bits: readLE(bytes, offset, UInt16.self))
    case .bf16: return double(bf16Bits: readLE(bytes, offset, UInt16.self))
    case .i8: return Double(Int8(bitPattern: readLE(bytes, offset, UInt8.self)))
    case .i32: return Double(Int32(bitPattern: readLE(bytes, offset, UInt32.self)))
    case .i64: return Double(Int64(bitPattern: readLE(bytes, offset, UInt64.self)))
    case .bool: return Double(readLE(bytes, offset, UInt8.self))
    }
  }

  /// Encodes values row-major, `dtype.byteSize` bytes each.
  public static func encode(_ values: [Double], as dtype: DType) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(values.count * dtype.byteSize)
    for v in values { append(v, as: dtype, to: &out) }
    return out
  }

  /// Decodes `count` elements (missing bytes read as zero).
  public static func decode(_ bytes: [UInt8], count: Int, as dtype: DType) -> [Double] {
    let size = dtype.byteSize
    var out: [Double] = []
    out.reserveCapacity(Swift.max(0, count))
    var i = 0
    while i < count {
      out.append(decode(bytes, at: i &* size, as: dtype))
      i += 1
    }
    return out
  }

  private static func appendLE<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
    var x = v.littleEndian
    withUnsafeBytes(of: &x) { out.append(contentsOf: $0) }
  }

  private static func readLE<T: FixedWidthInteger & UnsignedInteger>(_ bytes: [UInt8], _ offset: Int, _: T.Type) -> T {
    var v: T = 0
    let n = MemoryLayout<T>.size
    var k = 0
    while k < n {
      let i = offset &+ k
      if i >= 0, i < bytes.count { v |= T(bytes[i]) << (8 * k) }
      k += 1
    }
    return v
  }
}

extension DType {
  /// The value `x` has after it is stored as (or cast to) this type: floats round to nearest-even (f16 overflows
  /// to inf; bf16 goes through f32); integers truncate toward zero and saturate to the type's range with NaN -> 0
  /// (`llvm.fptosi.sat`); bool is `x != 0` (NaN -> true).
  public func round(_ x: Double) -> Double {
    switch self {
    case .f64: return x
    case .f32: return Double(Float(x))
    case .f16: return ElementEncoding.double(f16Bits: ElementEncoding.f16Bits(x))
    case .bf16: return ElementEncoding.double(bf16Bits: ElementEncoding.bf16Bits(x))
    case .i8, .i32, .i64: return Double(ElementEncoding.saturatingInteger(x, self))
    case .bool: return x != 0 ? 1 : 0
    }
  }

  /// Little-endian bytes of one element (see `ElementEncoding.append`).
  public func encode(_ x: Double) -> [UInt8] {
    var out: [UInt8] = []
    ElementEncoding.append(x, as: self, to: &out)
    return out
  }

  /// The value of one element's bytes (little endian; missing bytes read as zero).
  public func decode(_ bytes: [UInt8]) -> Double {
    ElementEncoding.decode(bytes, at: 0, as: self)
  }
}
