// f16 and bf16: loads widen exactly, arithmetic runs in f32, stores and casts round to nearest-even.
import KevcBasic
import KevcIR
import KevcLowering
import Testing

@testable import KevcLLVM

@Suite struct HalfPrecisionTests {
  /// f32 values around rounding boundaries of both formats.
  let inputs: [Float] = [
    1, 1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-8 + 0x1p-20,  // bf16: tie to even (down), tie up, above tie
    1 + 0x1p-11, 1 + 3 * 0x1p-11, 1 + 0x1p-11 + 0x1p-20,  // f16: same
    65504, 65519, 65520, 3.0e38, -3.4e38, .infinity, -.infinity, .nan, -0.0, 1e-8, 6e-8, -2.5e-5,
    Float(bitPattern: 0x7F80_0001),  // signalling NaN
  ]

  @Test func storesToBF16RoundToNearestEven() throws {
    let program = elementwise("to_bf16", n: inputs.count, output: .bf16, ld("x", ix("i")))
    let out = values(try execute(program, [bytes(inputs)])[0], as: UInt16.self)
    for (i, x) in inputs.enumerated() {
      if x.isNaN {
        #expect(bf16Value(out[i]).isNaN, "NaN must stay NaN")
      } else {
        #expect(out[i] == bf16Bits(x), "bf16(\(x)): \(out[i]) vs \(bf16Bits(x))")
      }
    }
    #expect(out[1] == 0x3F80 && out[2] == 0x3F82 && out[3] == 0x3F81)
  }

  @Test func storesToF16RoundToNearestEven() throws {
    let program = elementwise("to_f16", n: inputs.count, output: .f16, ld("x", ix("i")))
    let out = values(try execute(program, [bytes(inputs)])[0], as: UInt16.self)
    for (i, x) in inputs.enumerated() {
      let expected = Float16(x)
      if x.isNaN {
        #expect(Float16(bitPattern: out[i]).isNaN)
      } else {
        #expect(out[i] == expected.bitPattern, "f16(\(x)): \(out[i]) vs \(expected.bitPattern)")
      }
    }
    #expect(Float16(bitPattern: out[9]) == .infinity)  // 65520 rounds up to inf
  }

  @Test func castsRoundInRegisters() throws {
    // y = f32(cast(bf16, x)) + f32(cast(f16, x)): each cast rounds, the sum is exact f32 arithmetic.
    let x = ld("x", ix("i"))
    let body = add(.cast(.f32, .cast(.bf16, x)), .cast(.f32, .cast(.f16, x)))
    let program = elementwise("casts", n: inputs.count, body)
    let out = values(try execute(program, [bytes(inputs)])[0], as: Float.self)
    for (i, v) in inputs.enumerated() {
      let expected = bf16Value(bf16Bits(v)) + Float(Float16(v))
      #expect(same(out[i], expected), "\(v): \(out[i]) vs \(expected)")
    }
    // f64 -> bf16 goes through f32.
    let doubles: [Double] = [1 + 0x1p-8, 1 + 0x1p-8 + 0x1p-40, -7.25]
    let viaDouble = elementwise("d2bf", n: 3, input: .f64, output: .f32, .cast(.f32, .cast(.bf16, ld("x", ix("i")))))
    let got = values(try execute(viaDouble, [bytes(doubles)])[0], as: Float.self)
    #expect(got == doubles.map { bf16Value(bf16Bits(Float($0))) })
  }

  @Test func halfArithmeticRunsInF32() throws {
    // y = a + b over f16 and bf16 buffers: widened, added in f32, rounded once at the store.
    for t in [DType.f16, .bf16] {
      let a: [Float] = [1, 2048, 0.1, -3.5, 1000]
      let b: [Float] = [0x1p-11, 1, 0.2, 1.25, 0.3]
      let encode: (Float) -> UInt16 = t == .f16 ? { Float16($0).bitPattern } : { bf16Bits($0) }
      let decode: (UInt16) -> Float = t == .f16 ? { Float(Float16(bitPattern: $0)) } : { bf16Value($0) }
      let program = LoopProgram(
        name: "half_add", dims: [:], params: [buf("a", t, [5]), buf("b", t, [5])], results: [buf("y", t, [5])],
        temporaries: [],
        body: [
          forEach("i", 5, .vectorized(width: 8), [
            .store(buffer: "y", indices: [ix("i")], value: add(ld("a", ix("i")), ld("b", ix("i"))))
          ])
        ])
      let out = values(try execute(program, [bytes(a.map(encode)), bytes(b.map(encode))])[0], as: UInt16.self)
      for i in 0..<5 {
        let sum = decode(encode(a[i])) + decode(encode(b[i]))
        #expect(out[i] == encode(sum), "\(t): \(a[i]) + \(b[i])")
      }
    }
  }

  @Test func halfConstantsAreRounded() throws {
    // 1 + 2^-11 is a tie in f16 (-> 1); 1 + 2^-9 is below half an ulp in bf16 (-> 1).
    let program = elementwise(
      "hconst", n: 1,
      .binary(.sub, .cast(.f32, .constant(.float(1 + 0x1p-11, .f16))), f32(1)))
    #expect(values(try execute(program, [bytes([Float(0)])])[0], as: Float.self) == [0])
    let exact = elementwise(
      "hconst2", n: 1, .binary(.sub, .cast(.f32, .constant(.float(1 + 0x1p-9, .bf16))), f32(1)))
    #expect(values(try execute(exact, [bytes([Float(0)])])[0], as: Float.self) == [0])
  }
}
