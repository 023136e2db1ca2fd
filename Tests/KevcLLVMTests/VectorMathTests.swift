// The vectorizable f32 exp/log/tanh/sigmoid/erf (VectorMath.swift) against glibc over a wide range and the special
// values; loops using them vectorize; reductions in vectorized loops vectorize and stay accurate (and NaN-propagating
// for max); unrolled loops are unrolled.
import Foundation
import KevcBasic
import KevcIR
import KevcLowering
import Testing

@testable import KevcLLVM

@Suite struct VectorMathTests {
  /// Specials, a dense sweep of [-120, 120] and values spread over every binade (both signs).
  static let inputs: [Float] = {
    var xs: [Float] = [
      0, -0, .infinity, -.infinity, .nan, 1, -1, 88.72, 88.73, 89, 90, -87.3, -103.9, -104, -110, 0.625, -0.625,
      0.62499, 3.92, -3.92, 3.919, 1e-30, -1e-30, .leastNonzeroMagnitude, .leastNormalMagnitude, 1e-39,
      .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0.5, 2, 1.0000001, 0.99999994,
    ]
    for k in 0..<24_000 { xs.append(-120 + Float(k) * 0.01) }
    var bits: UInt32 = 0x0000_0001
    while bits < 0x7F80_0000 {
      xs.append(Float(bitPattern: bits))
      xs.append(-Float(bitPattern: bits))
      bits &+= 0x0003_1337
    }
    return xs
  }()

  /// Distance in ulp between two floats (0 for equal values and for two NaNs; huge for NaN vs number).
  static func ulpDistance(_ a: Float, _ b: Float) -> Int64 {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : .max }
    if a == b { return 0 }
    func ordered(_ x: Float) -> Int64 {
      let bits = Int64(x.bitPattern & 0x7FFF_FFFF)
      return x.sign == .minus ? -bits : bits
    }
    return abs(ordered(a) - ordered(b))
  }

  static func check(_ op: UnaryOp, maxUlp: Int64, _ reference: (Float) -> Float) throws -> (Int64, Float) {
    let n = inputs.count
    let program = elementwise("m", n: n, kind: .vectorized(width: 8), .unary(op, ld("x", ix("i"))))
    let out = values(try execute(program, [bytes(inputs)])[0], as: Float.self)
    var worst: Int64 = 0
    var worstInput: Float = 0
    for (k, x) in inputs.enumerated() {
      let expected = reference(x)
      var distance = ulpDistance(out[k], expected)
      // Subnormal results: an absolute error of a few of the smallest subnormals is fine.
      if abs(expected) < Float.leastNormalMagnitude, abs(out[k] - expected) <= 4 * .leastNonzeroMagnitude {
        distance = 0
      }
      if distance > worst {
        worst = distance
        worstInput = x
      }
    }
    return (worst, worstInput)
  }

  @Test func exp() throws {
    let (worst, at) = try Self.check(.exp, maxUlp: 4) { Foundation.exp($0) }
    #expect(worst <= 2, "exp: \(worst) ulp at \(at)")
  }

  @Test func log() throws {
    let (worst, at) = try Self.check(.log, maxUlp: 4) { Foundation.log($0) }
    #expect(worst <= 2, "log: \(worst) ulp at \(at)")
  }

  @Test func tanh() throws {
    let (worst, at) = try Self.check(.tanh, maxUlp: 4) { Foundation.tanh($0) }
    #expect(worst <= 4, "tanh: \(worst) ulp at \(at)")
  }

  @Test func erf() throws {
    let (worst, at) = try Self.check(.erf, maxUlp: 4) { Foundation.erf($0) }
    #expect(worst <= 4, "erf: \(worst) ulp at \(at)")
  }

  @Test func sigmoid() throws {
    // The IR's formula in f32 (1 + exp(-x) overflows below x = -88.7, giving 0 where the exact value is subnormal).
    let (worst, at) = try Self.check(.sigmoid, maxUlp: 4) { x in 1 / (1 + Foundation.exp(-x)) }
    #expect(worst <= 4, "sigmoid: \(worst) ulp at \(at)")
  }

  /// pow(x, y) over every pair of special values and a spread of bases and exponents, against glibc's powf: the
  /// same class (NaN, the same infinity, zero of the same sign) everywhere, and a relative error that stays small
  /// for finite results (it grows with |y log x|, see VectorMath.swift); the loop vectorizes (no call to powf).
  @Test func pow() throws {
    let specials: [Float] = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, 1.5, -1.5, .infinity, -.infinity, .nan, 1e-30, 1e30]
    var xs: [Float] = []
    var ys: [Float] = []
    for x in specials { for y in specials { xs.append(x); ys.append(y) } }
    for k in 0..<4000 {
      let x = Float(bitPattern: 0x0080_0000 &+ UInt32(k) &* 0x0001_F3A1)  // positive normals, every binade
      xs.append(k % 3 == 0 ? -x.rounded() : x)
      ys.append(k % 3 == 0 ? Float(k % 7) - 3 : Float(k % 41) / 8 - 2.5)  // integers for negative bases
    }
    let n = xs.count
    let program = LoopProgram(
      name: "p", dims: ["N": n], params: [buf("x", .f32, [n]), buf("e", .f32, [n])], results: [buf("y", .f32, [n])],
      temporaries: [],
      body: [
        forEach("i", n, .vectorized(width: 8),
          [.store(buffer: "y", indices: [ix("i")], value: .binary(.pow, ld("x", ix("i")), ld("e", ix("i"))))])
      ])
    let out = values(try execute(program, [bytes(xs), bytes(ys)])[0], as: Float.self)
    var worst: Float = 0
    for k in 0..<n {
      let expected = Foundation.pow(xs[k], ys[k])
      let got = out[k]
      let what = "pow(\(xs[k]), \(ys[k])) = \(got), expected \(expected)"
      if expected.isNaN || expected.isInfinite || expected == 0 {
        #expect(got.isNaN == expected.isNaN, "\(what)")
        if !expected.isNaN { #expect(got == expected && got.sign == expected.sign, "\(what)") }
        continue
      }
      if abs(expected) < Float.leastNormalMagnitude {
        // Subnormal results keep fewer bits: the same relative bound, measured against the smallest normal.
        #expect(abs(got - expected) <= 2e-5 * Float.leastNormalMagnitude, "\(what)")
        continue
      }
      let relative = abs(got - expected) / abs(expected)
      worst = max(worst, relative)
      #expect(relative <= 2e-5, "\(what)")
    }
    #expect(worst < 2e-5)
    let module = try LLVMCompiledModule.compile(program, options: LLVMCompileOptions(optimizationLevel: 3))
    #expect(module.llvmIR.contains(/<(8|16) x float>/) && !module.llvmIR.contains("@powf"))
  }

  @Test func f64KeepsLibm() throws {
    let xs: [Double] = [-3, -0.5, 0, 0.7, 2.5, 40]
    let program = LoopProgram(
      name: "d", dims: [:], params: [buf("x", .f64, [6])], results: [buf("y", .f64, [6])], temporaries: [],
      body: [
        forEach("i", 6, .serial,
          [.store(buffer: "y", indices: [ix("i")], value: .unary(.erf, .unary(.tanh, ld("x", ix("i")))))])
      ])
    let y = values(try execute(program, [bytes(xs)])[0], as: Double.self)
    #expect(y == xs.map { Foundation.erf(Foundation.tanh($0)) })
  }

  @Test func loopsCallingMathVectorize() throws {
    for op in [UnaryOp.exp, .log, .tanh, .erf, .sigmoid] {
      let program = elementwise("v", n: 1024, kind: .vectorized(width: 8), .unary(op, ld("x", ix("i"))))
      let module = try LLVMCompiledModule.compile(program, options: LLVMCompileOptions(optimizationLevel: 3))
      #expect(module.llvmIR.contains(/<(8|16) x float>/), "\(op) did not vectorize")
      #expect(!module.llvmIR.contains("@expf") && !module.llvmIR.contains("@erff"))
    }
  }

  // MARK: Reductions

  /// acc = init; for j in 0..<n vectorized(8) { acc = acc <op> x[j] }; y[] = acc.
  static func reduction(_ op: BinaryOp, n: Int, initial: Double) -> LoopProgram {
    LoopProgram(
      name: "r", dims: ["N": n], params: [buf("x", .f32, [n])], results: [buf("y", .f32, [])], temporaries: [],
      body: [
        .allocate(
          buf("acc", .f32, [], .local),
          body: [
            .store(buffer: "acc", indices: [], value: f32(initial)),
            forEach(
              "j", n, .vectorized(width: 8),
              [.store(buffer: "acc", indices: [], value: .binary(op, ld("acc"), ld("x", ix("j"))))]),
            .store(buffer: "y", indices: [], value: ld("acc")),
          ])
      ])
  }

  @Test func sumReductionVectorizes() throws {
    let n = 4099
    let module = try LLVMCompiledModule.compile(Self.reduction(.add, n: n, initial: 0), options: LLVMCompileOptions())
    #expect(module.unoptimizedIR.contains("fadd reassoc contract float"))
    #expect(module.llvmIR.contains(/fadd reassoc contract <(8|16) x float>/))
    let x = (0..<n).map { Float(sin(Double($0))) }
    let y = values(try execute(Self.reduction(.add, n: n, initial: 0), [bytes(x)])[0], as: Float.self)[0]
    let exact = x.reduce(0.0) { $0 + Double($1) }
    #expect(abs(Double(y) - exact) <= 1e-4 + 2e-4 * abs(exact))
  }

  @Test func maxReductionVectorizesAndKeepsNaN() throws {
    let n = 1000
    let program = Self.reduction(.max, n: n, initial: -.infinity)
    let module = try LLVMCompiledModule.compile(program, options: LLVMCompileOptions())
    #expect(module.llvmIR.contains(/<(8|16) x float>/))
    var x = (0..<n).map { Float(($0 * 37) % 1001) }
    #expect(values(try execute(program, [bytes(x)])[0], as: Float.self)[0] == 1000)
    x[517] = .nan
    #expect(values(try execute(program, [bytes(x)])[0], as: Float.self)[0].isNaN)
  }

  // MARK: Unrolling

  @Test func unrolledLoopWithAMinBoundIsUnrolled() throws {
    // for o in 0..<3 { for i in 0..<min(4, 10 - 4 o) unrolled { y[4 o + i] = x[4 o + i] * 3 } }
    let index = add(mul(ix("o"), int(4)), ix("i"))
    let program = LoopProgram(
      name: "u", dims: [:], params: [buf("x", .f32, [10])], results: [buf("y", .f32, [10])], temporaries: [],
      body: [
        forEach("o", 3, .serial,
          [
            .loop(
              Loop(
                variable: "i", lowerBound: int(0),
                upperBound: .binary(.min, int(4), .binary(.sub, int(10), mul(ix("o"), int(4)))), kind: .unrolled,
                body: [.store(buffer: "y", indices: [index], value: mul(ld("x", index), f32(3)))]))
          ])
      ])
    let module = try LLVMCompiledModule.compile(program, options: LLVMCompileOptions())
    #expect(!module.llvmIR.contains("i.header"))
    let x = (0..<10).map(Float.init)
    #expect(values(try execute(program, [bytes(x)])[0], as: Float.self) == x.map { $0 * 3 })
  }
}
