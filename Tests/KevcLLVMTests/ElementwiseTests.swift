// Numerical checks of f32/f64 elementwise math through the JIT, against the C library.
import Foundation
import KevcBasic
import KevcIR
import KevcLowering
import Testing

@testable import KevcLLVM

@Suite struct ElementwiseTests {
  let inputs: [Float] = (0..<37).map { Float($0) * 0.173 - 3.1 }

  @Test(arguments: [0, 3])
  func expErfTanh(optimizationLevel: Int) throws {
    // y = exp(x) + erf(x) * tanh(x)
    let x = ld("x", ix("i"))
    let program = elementwise(
      "ew", n: inputs.count, add(.unary(.exp, x), mul(.unary(.erf, x), .unary(.tanh, x))))
    let out = values(try execute(program, [bytes(inputs)], optimizationLevel: optimizationLevel)[0], as: Float.self)
    for (i, v) in inputs.enumerated() {
      let expected = Foundation.exp(v) + Foundation.erf(v) * Foundation.tanh(v)
      #expect(close(out[i], expected), "x=\(v): \(out[i]) vs \(expected)")
    }
  }

  @Test func otherUnaryOps() throws {
    let x = ld("x", ix("i"))
    let cases: [(UnaryOp, (Float) -> Float)] = [
      (.neg, { -$0 }), (.abs, { Swift.abs($0) }), (.sqrt, { $0.squareRoot() }), (.rsqrt, { 1 / $0.squareRoot() }),
      (.log, { Foundation.log($0) }), (.floor, { $0.rounded(.down) }), (.ceil, { $0.rounded(.up) }),
      (.sigmoid, { 1 / (1 + Foundation.exp(-$0)) }),
    ]
    for (op, reference) in cases {
      let program = elementwise("u_\(op.rawValue)", n: inputs.count, .unary(op, x))
      let out = values(try execute(program, [bytes(inputs)])[0], as: Float.self)
      for (i, v) in inputs.enumerated() {
        #expect(close(out[i], reference(v)), "\(op)(\(v)): \(out[i]) vs \(reference(v))")
      }
    }
  }

  @Test func binaryFloatOps() throws {
    let x = ld("x", ix("i"))
    let c = f32(1.25)
    let cases: [(BinaryOp, (Float, Float) -> Float)] = [
      (.sub, { $0 - $1 }), (.div, { $0 / $1 }), (.pow, { Foundation.pow($0, $1) }),
      (.mod, { $0 - $1 * ($0 / $1).rounded(.down) }), (.max, { Swift.max($0, $1) }), (.min, { Swift.min($0, $1) }),
    ]
    for (op, reference) in cases {
      let program = elementwise("b_\(op.rawValue)", n: inputs.count, .binary(op, x, c))
      let out = values(try execute(program, [bytes(inputs)])[0], as: Float.self)
      for (i, v) in inputs.enumerated() {
        #expect(close(out[i], reference(v, 1.25)), "\(op)(\(v)): \(out[i]) vs \(reference(v, 1.25))")
      }
    }
  }

  @Test func comparisonsFollowIEEE() throws {
    let special: [Float] = [.nan, 1, -1, 0, .infinity]
    let x = ld("x", ix("i"))
    for (op, reference) in [
      (BinaryOp.eq, { (a: Float, b: Float) in a == b }), (.ne, { $0 != $1 }), (.lt, { $0 < $1 }),
      (.ge, { $0 >= $1 }),
    ] {
      let program = elementwise("c_\(op.rawValue)", n: special.count, output: .bool, .binary(op, x, x))
      let out = try execute(program, [bytes(special)])[0]
      for (i, v) in special.enumerated() { #expect(out[i] == (reference(v, v) ? 1 : 0), "\(op) on \(v)") }
    }
    let isnan = elementwise("isnan", n: special.count, output: .bool, .unary(.isnan, x))
    #expect(try execute(isnan, [bytes(special)])[0] == [1, 0, 0, 0, 0])
  }

  @Test func maxAndMinPropagateNaN() throws {
    let pairs: [(Float, Float)] = [(.nan, 1), (1, .nan), (.nan, .nan), (2, 1), (-0.0, 3)]
    for op in [BinaryOp.max, .min] {
      let program = LoopProgram(
        name: "nan_\(op.rawValue)", dims: [:], params: [buf("a", .f32, [5]), buf("b", .f32, [5])],
        results: [buf("y", .f32, [5])], temporaries: [],
        body: [
          forEach("i", 5, .vectorized(width: 4), [
            .store(buffer: "y", indices: [ix("i")], value: .binary(op, ld("a", ix("i")), ld("b", ix("i"))))
          ])
        ])
      let out = values(try execute(program, [bytes(pairs.map(\.0)), bytes(pairs.map(\.1))])[0], as: Float.self)
      #expect(out[0].isNaN && out[1].isNaN && out[2].isNaN)
      #expect(out[3] == (op == .max ? 2 : 1))
      #expect(out[4] == (op == .max ? 3 : -0.0))
    }
  }

  @Test func scalarParametersAndDoubles() throws {
    // y[i] = x[i] * s + t, in f64, with s: f64 and t: i64 scalars.
    let xs: [Double] = [1, 2.5, -4]
    let program = LoopProgram(
      name: "scale", dims: [:], params: [buf("x", .f64, [3]), buf("s", .f64, []), buf("t", .i64, [])],
      results: [buf("y", .f64, [3])], temporaries: [],
      body: [
        forEach("i", 3, .serial, [
          .store(
            buffer: "y", indices: [ix("i")],
            value: add(mul(ld("x", ix("i")), .scalar("s")), .cast(.f64, .scalar("t"))))
        ])
      ])
    let out = values(try execute(program, [bytes(xs), bytes([0.5]), bytes([Int64(-3)])])[0], as: Double.self)
    #expect(out == [-2.5, -1.75, -5])
  }

  @Test func selectAndIfThen() throws {
    // y[i] = x[i] > 0 ? x[i] : -2 x[i] via ifThen; z[i] = select(x[i] < 1, 1, x[i]).
    let x = ld("x", ix("i"))
    let program = LoopProgram(
      name: "branches", dims: [:], params: [buf("x", .f32, [inputs.count])],
      results: [buf("y", .f32, [inputs.count]), buf("z", .f32, [inputs.count])], temporaries: [],
      body: [
        forEach("i", inputs.count, .serial, [
          .ifThen(
            condition: .binary(.gt, x, f32(0)),
            then: [.store(buffer: "y", indices: [ix("i")], value: x)],
            else: [.store(buffer: "y", indices: [ix("i")], value: mul(f32(-2), x))]),
          .store(buffer: "z", indices: [ix("i")], value: .select(.binary(.lt, x, f32(1)), f32(1), x)),
        ])
      ])
    let out = try execute(program, [bytes(inputs)])
    let y = values(out[0], as: Float.self)
    let z = values(out[1], as: Float.self)
    for (i, v) in inputs.enumerated() {
      #expect(y[i] == (v > 0 ? v : -2 * v))
      #expect(z[i] == (v < 1 ? 1 : v))
    }
  }
}
