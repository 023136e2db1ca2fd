// Integer semantics (wrapping, floored division without UB) and every kind of cast.
import KevcBasic
import KevcIR
import KevcLowering
import Testing

@testable import KevcLLVM

/// Python's floored division, with 0 for a zero divisor and wrapping MIN / -1.
func floorDiv<T: FixedWidthInteger & SignedInteger>(_ a: T, _ b: T) -> T {
  if b == 0 { return 0 }
  if b == -1 { return 0 &- a }
  let q = a / b
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q
}

func floorMod<T: FixedWidthInteger & SignedInteger>(_ a: T, _ b: T) -> T {
  if b == 0 || b == -1 { return 0 }
  let r = a % b
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r
}

@Suite struct IntegerAndCastTests {
  func binaryProgram(_ op: BinaryOp, _ t: DType, count: Int) -> LoopProgram {
    LoopProgram(
      name: "int_\(op.rawValue)_\(t)", dims: [:], params: [buf("a", t, [count]), buf("b", t, [count])],
      results: [buf("y", t, [count])], temporaries: [],
      body: [
        forEach("i", count, .vectorized(width: 8), [
          .store(buffer: "y", indices: [ix("i")], value: .binary(op, ld("a", ix("i")), ld("b", ix("i"))))
        ])
      ])
  }

  @Test func floorDivisionAndModuloI32() throws {
    var a: [Int32] = []
    var b: [Int32] = []
    for x: Int32 in [7, -7, 0, 6, -6, .min, .max, 1] {
      for y: Int32 in [2, -2, 0, 3, -3, 1, -1, .min] {
        a.append(x)
        b.append(y)
      }
    }
    for op in [BinaryOp.div, .mod] {
      let out = values(try execute(binaryProgram(op, .i32, count: a.count), [bytes(a), bytes(b)])[0], as: Int32.self)
      for i in a.indices {
        let expected = op == .div ? floorDiv(a[i], b[i]) : floorMod(a[i], b[i])
        #expect(out[i] == expected, "\(a[i]) \(op) \(b[i]): \(out[i]) vs \(expected)")
      }
    }
  }

  @Test func floorDivisionI64AndI8() throws {
    let a64: [Int64] = [.min, .min, -9, 9, 5, .max]
    let b64: [Int64] = [-1, 0, 4, -4, 0, -1]
    let q64 = values(try execute(binaryProgram(.div, .i64, count: 6), [bytes(a64), bytes(b64)])[0], as: Int64.self)
    #expect(q64 == zip(a64, b64).map { floorDiv($0, $1) })
    let a8: [Int8] = [-128, -128, -7, 7, 100]
    let b8: [Int8] = [-1, 3, 2, -2, 0]
    let m8 = values(try execute(binaryProgram(.mod, .i8, count: 5), [bytes(a8), bytes(b8)])[0], as: Int8.self)
    #expect(m8 == zip(a8, b8).map { floorMod($0, $1) })
  }

  @Test func wrappingArithmeticAndMinMax() throws {
    let a: [Int32] = [.max, .min, -5, 3]
    let b: [Int32] = [1, -1, 7, -9]
    let cases: [(BinaryOp, (Int32, Int32) -> Int32)] = [
      (.add, { $0 &+ $1 }), (.sub, { $0 &- $1 }), (.mul, { $0 &* $1 }), (.max, { Swift.max($0, $1) }),
      (.min, { Swift.min($0, $1) }),
    ]
    for (op, reference) in cases {
      let out = values(try execute(binaryProgram(op, .i32, count: 4), [bytes(a), bytes(b)])[0], as: Int32.self)
      #expect(out == zip(a, b).map(reference), "\(op)")
    }
    let neg = elementwise("ineg", n: 3, input: .i32, output: .i32, .unary(.abs, ld("x", ix("i"))))
    #expect(values(try execute(neg, [bytes([Int32.min, -4, 4])])[0], as: Int32.self) == [.min, 4, 4])
  }

  @Test func floatToIntSaturatesAndMapsNaNToZero() throws {
    let xs: [Float] = [.nan, .infinity, -.infinity, 3e9, -3e9, -3.7, 2.5, 127.9, 300, -0.0]
    let to32 = values(
      try execute(elementwise("f2i", n: xs.count, output: .i32, .cast(.i32, ld("x", ix("i")))), [bytes(xs)])[0],
      as: Int32.self)
    #expect(to32 == [0, .max, .min, .max, .min, -3, 2, 127, 300, 0])
    let to8 = values(
      try execute(elementwise("f2i8", n: xs.count, output: .i8, .cast(.i8, ld("x", ix("i")))), [bytes(xs)])[0],
      as: Int8.self)
    #expect(to8 == [0, 127, -128, 127, -128, -3, 2, 127, 127, 0])
    let toBool = try execute(
      elementwise("f2b", n: xs.count, output: .bool, .cast(.bool, ld("x", ix("i")))), [bytes(xs)])[0]
    #expect(toBool == [1, 1, 1, 1, 1, 1, 1, 1, 1, 0])
  }

  @Test func integerAndBoolCasts() throws {
    let xs: [Int64] = [0, 1, -1, 300, -129, 1 << 40, (1 << 24) + 1]
    let to8 = values(
      try execute(elementwise("i2i8", n: xs.count, input: .i64, output: .i8, .cast(.i8, ld("x", ix("i")))),
        [bytes(xs)])[0], as: Int8.self)
    #expect(to8 == xs.map { Int8(truncatingIfNeeded: $0) })
    let toF = values(
      try execute(elementwise("i2f", n: xs.count, input: .i64, output: .f32, .cast(.f32, ld("x", ix("i")))),
        [bytes(xs)])[0], as: Float.self)
    #expect(toF == xs.map { Float($0) })
    let toBool = try execute(
      elementwise("i2b", n: xs.count, input: .i64, output: .bool, .cast(.bool, ld("x", ix("i")))), [bytes(xs)])[0]
    #expect(toBool == [0, 1, 1, 1, 1, 1, 1])
    // bool -> i32 and bool -> f64 (bools in memory are bytes 0/1).
    let flags: [UInt8] = [0, 1, 1, 0]
    let b2i = values(
      try execute(elementwise("b2i", n: 4, input: .bool, output: .i32, .cast(.i32, ld("x", ix("i")))), [flags])[0],
      as: Int32.self)
    #expect(b2i == [0, 1, 1, 0])
    let b2f = values(
      try execute(elementwise("b2f", n: 4, input: .bool, output: .f64, .cast(.f64, ld("x", ix("i")))), [flags])[0],
      as: Double.self)
    #expect(b2f == [0, 1, 1, 0])
    let not = try execute(elementwise("not", n: 4, input: .bool, output: .bool, .unary(.not, ld("x", ix("i")))), [flags])
    #expect(not[0] == [1, 0, 0, 1])
  }
}
