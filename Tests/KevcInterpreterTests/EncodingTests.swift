// Element encodings: f16/bf16 rounding edge cases (ties to even, overflow, subnormals, NaN), exhaustive round
// trips, integer wrapping and saturation, bool bytes, and tensors <-> bytes.
import KevcBasic
import Testing

@testable import KevcInterpreter

@Suite struct EncodingTests {
  @Test func f16RoundingEdgeCases() {
    #expect(ElementEncoding.f16Bits(1) == 0x3C00)
    #expect(ElementEncoding.f16Bits(-2) == 0xC000)
    #expect(ElementEncoding.f16Bits(0) == 0)
    #expect(ElementEncoding.f16Bits(-0.0) == 0x8000)
    #expect(ElementEncoding.f16Bits(65504) == 0x7BFF)
    // Ties to even: 1 + 2^-11 -> 1; 1 + 3 * 2^-11 -> 1 + 2^-9.
    #expect(DType.f16.round(1 + 0x1p-11) == 1)
    #expect(DType.f16.round(1 + 3 * 0x1p-11) == 1 + 0x1p-9)
    #expect(DType.f16.round(1 + 0x1p-11 + 0x1p-40) == 1 + 0x1p-10)
    // Overflow: 65520 is the tie between 65504 and 2^16 -> inf; just below stays finite.
    #expect(DType.f16.round(65519.99) == 65504)
    #expect(DType.f16.round(65520) == .infinity)
    #expect(DType.f16.round(-1e10) == -.infinity)
    #expect(DType.f16.round(.infinity) == .infinity)
    // Subnormals: 2^-24 is the smallest; 2^-25 ties to 0; 3 * 2^-25 ties to 2 * 2^-24.
    #expect(ElementEncoding.f16Bits(0x1p-24) == 1)
    #expect(DType.f16.round(0x1p-25) == 0)
    #expect(DType.f16.round(3 * 0x1p-25) == 0x1p-23)
    #expect(DType.f16.round(0x1p-14 - 0x1p-30) == 0x1p-14)
    #expect(DType.f16.round(.nan).isNaN)
    #expect(ElementEncoding.f16Bits(.nan) & 0x7C00 == 0x7C00)
  }

  @Test func f16MatchesHardwareConversion() {
    var rng = Xoshiro256(seed: 3)
    for _ in 0..<20000 {
      let scale = Double(sign: .plus, exponent: Int(rng.integer(-30, 18)), significand: 1)
      let x = rng.uniform(-1, 1) * scale
      #expect(ElementEncoding.f16Bits(x) == Float16(x).bitPattern, "\(x)")
    }
  }

  @Test func halfRoundTripsAreExhaustive() {
    for b in 0...0xFFFF {
      let bits = UInt16(b)
      let h = ElementEncoding.double(f16Bits: bits)
      if h.isNaN {
        #expect(ElementEncoding.f16Bits(h) & 0x7C00 == 0x7C00)
      } else if ElementEncoding.f16Bits(h) != bits {
        Issue.record("f16 bits \(bits) -> \(h) -> \(ElementEncoding.f16Bits(h))")
      }
      let f = ElementEncoding.double(bf16Bits: bits)
      if f.isNaN {
        #expect(ElementEncoding.bf16Bits(f) & 0x7F80 == 0x7F80)
      } else if ElementEncoding.bf16Bits(f) != bits {
        Issue.record("bf16 bits \(bits) -> \(f) -> \(ElementEncoding.bf16Bits(f))")
      }
    }
  }

  @Test func bf16RoundingEdgeCases() {
    #expect(ElementEncoding.bf16Bits(1) == 0x3F80)
    #expect(DType.bf16.round(1 + 0x1p-8) == 1)  // tie to even
    #expect(DType.bf16.round(1 + 3 * 0x1p-8) == 1 + 0x1p-6)
    // Through f32 first: 1 + 2^-8 + 2^-30 rounds to 1 + 2^-8 in f32, which then ties to 1.
    #expect(DType.bf16.round(1 + 0x1p-8 + 0x1p-30) == 1)
    #expect(DType.bf16.round(3.4e38) == .infinity)
    #expect(DType.bf16.round(-3.4e38) == -.infinity)
    #expect(DType.bf16.round(1e39) == .infinity)
    #expect(DType.bf16.round(.nan).isNaN)
    #expect(ElementEncoding.bf16Bits(-.nan) & 0x8000 == 0x8000)
    #expect(DType.bf16.round(0x1p-133) == 0x1p-133)  // an f32 subnormal that bf16 holds
  }

  @Test func f32AndIntegerRounding() {
    #expect(DType.f32.round(0.1) == Double(Float(0.1)))
    #expect(DType.f32.round(1e39) == .infinity)
    #expect(DType.i8.round(300.7) == 127)
    #expect(DType.i8.round(-300.7) == -128)
    #expect(DType.i32.round(-2.9) == -2)
    #expect(DType.i32.round(.nan) == 0)
    #expect(DType.i64.round(.infinity) == Double(Int64.max))
    #expect(DType.i64.round(-.infinity) == Double(Int64.min))
    #expect(DType.bool.round(-3) == 1)
    #expect(DType.bool.round(0) == 0)
    #expect(ElementEncoding.storedInteger(300, .i8) == 44)
    #expect(ElementEncoding.storedInteger(.nan, .i32) == 0)
    #expect(ElementEncoding.storedInteger(1e300, .i32) == -1)  // Int64.max wrapped to 32 bits
  }

  @Test func bytesAreLittleEndian() {
    #expect(DType.i32.encode(1) == [1, 0, 0, 0])
    #expect(DType.i32.encode(-2) == [0xFE, 0xFF, 0xFF, 0xFF])
    #expect(DType.i8.encode(-1) == [0xFF])
    #expect(DType.i64.encode(256) == [0, 1, 0, 0, 0, 0, 0, 0])
    #expect(DType.f16.encode(1) == [0x00, 0x3C])
    #expect(DType.bf16.encode(1) == [0x80, 0x3F])
    #expect(DType.f32.encode(1) == [0, 0, 0x80, 0x3F])
    #expect(DType.f64.encode(1) == [0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
    #expect(DType.bool.encode(1) == [1])
    #expect(DType.bool.encode(.nan) == [1])
    #expect(DType.i32.decode([0xFE, 0xFF, 0xFF, 0xFF]) == -2)
    #expect(DType.i8.decode([0x80]) == -128)
    #expect(DType.f16.decode([0x00, 0x3C]) == 1)
    #expect(DType.bool.decode([0x5A]) == 0x5A)  // an invalid bool stays visible
    #expect(DType.i32.decode([7]) == 7)  // missing bytes read as zero
  }

  @Test func tensorBytesRoundTrip() {
    for t in DType.allCases {
      let values: [Double] = t == .bool ? [0, 1, 1, 0] : [1, -2, 3, 0]
      let v = TensorValue(dtype: t, shape: [2, 2], values: values)
      let bytes = v.bytes()
      #expect(bytes.count == 4 * t.byteSize)
      #expect(TensorValue(dtype: t, shape: [2, 2], bytes: bytes) == v)
    }
    let scalar = TensorValue.scalar(2.5, .f32)
    #expect(TensorValue(dtype: .f32, shape: [], bytes: scalar.bytes()).values == [2.5])
  }

  @Test func poisonSurvivesARoundTrip() {
    for t in DType.allCases {
      let p = TensorValue.poisoned(dtype: t, shape: [3])
      #expect(p.values.count == 3)
      let back = TensorValue(dtype: t, shape: [3], bytes: p.bytes())
      #expect(back == p, "\(t)")
      if t.isFloat { #expect(back.values.allSatisfy { $0.isNaN }) }
    }
    #expect(TensorValue.poisoned(dtype: .i32, shape: [1]).bytes() == [0x5A, 0x5A, 0x5A, 0x5A])
    #expect(TensorValue.poisoned(dtype: .bool, shape: [1]).bytes() == [0x5A])
    #expect(TensorValue.poisoned(dtype: .i8, shape: [1]).bytes() == [0x5A])
  }
}
