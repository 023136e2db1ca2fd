// Exact expected outputs of the reference interpreter on hand-built kernels: reductions, padding, gathers, jagged
// ranges, integer semantics, casts, NaN handling, and diagnostics for bad kernels and inputs.
import Foundation
import KevcBasic
import KevcIR
import Testing

@testable import KevcInterpreter

@Suite struct InterpreterTests {
  // y[m, n] = sum(k) a[m, k] * b[k, n]
  func matmul(_ t: DType, acc: DType? = nil) -> Kernel {
    let accumulator = acc ?? t
    return kernel(
      dims: ["M": 2, "K": 3, "N": 2],
      params: [param("a", t, sz("M"), sz("K")), param("b", t, sz("K"), sz("N"))],
      definitions: [
        Definition(
          name: "y", dtype: accumulator, axes: [ax("m", sz("M")), ax("n", sz("N"))],
          reduction: Reduction(op: .sum, accumulator: accumulator, axes: [raxis("k", .dim("K"))]),
          body: ld("a", ix("m"), ix("k")) * ld("b", ix("k"), ix("n")))
      ])
  }

  @Test func matmulSmallIntegers() throws {
    let out = try Interpreter.run(
      matmul(.i32),
      inputs: [
        "a": tensor(.i32, [2, 3], [1, 2, 3, 4, 5, 6]),
        "b": tensor(.i32, [3, 2], [7, 8, 9, 10, 11, 12]),
      ])
    #expect(out["y"] == tensor(.i32, [2, 2], [58, 64, 139, 154]))
    let f = try Interpreter.run(
      matmul(.f32),
      inputs: [
        "a": tensor(.f32, [2, 3], [1, 2, 3, 4, 5, 6]),
        "b": tensor(.f32, [3, 2], [7, 8, 9, 10, -11, 12]),
      ])
    #expect(f["y"] == tensor(.f32, [2, 2], [-8, 64, 7, 154]))
  }

  @Test func softmaxRowsSumToOne() throws {
    let x = "x"
    let k = kernel(
      dims: ["M": 3, "N": 5],
      params: [param(x, .f32, sz("M"), sz("N"))],
      definitions: [
        Definition(
          name: "mx", dtype: .f32, axes: [ax("m", sz("M"))],
          reduction: Reduction(op: .max, accumulator: .f32, axes: [raxis("n", .dim("N"))]),
          body: ld(x, ix("m"), ix("n"))),
        Definition(
          name: "e", dtype: .f32, axes: [ax("m", sz("M")), ax("n", sz("N"))],
          body: un(.exp, ld(x, ix("m"), ix("n")) - ld("mx", ix("m")))),
        Definition(
          name: "s", dtype: .f32, axes: [ax("m", sz("M"))],
          reduction: Reduction(op: .sum, accumulator: .f32, axes: [raxis("n", .dim("N"))]),
          body: ld("e", ix("m"), ix("n"))),
        Definition(
          name: "y", dtype: .f32, axes: [ax("m", sz("M")), ax("n", sz("N"))],
          body: ld("e", ix("m"), ix("n")) / ld("s", ix("m"))),
      ], results: ["y"])
    let inputs = RandomInputs.generate(for: k, seed: 7, distribution: .normal)
    let out = try Interpreter.run(k, inputs: inputs)
    let y = try #require(out["y"])
    #expect(out.keys.sorted() == ["y"])
    #expect(y.shape == [3, 5])
    for m in 0..<3 {
      let row = (0..<5).map { y.values[m * 5 + $0] }
      #expect(abs(row.reduce(0, +) - 1) < 1e-6)
      // Against a direct computation.
      let xs = (0..<5).map { inputs[x]!.values[m * 5 + $0] }
      let mx = xs.max()!
      let denom = xs.map { Double(Float(exp($0 - mx))) }.reduce(0, +)
      for n in 0..<5 { #expect(abs(row[n] - Double(Float(exp(xs[n] - mx))) / denom) < 1e-6) }
    }
  }

  @Test func paddedConv1dAndMaxPoolWithPadValue() throws {
    // y[l] = sum(k < 3) x[l + k - 1] * w[k]   (zero padding)
    // p[l] = max(k < 3) x[l + k - 1] else -inf
    let shifted = ix("l") + ix("k") - i64(1)
    let k = kernel(
      dims: ["L": 4],
      params: [param("x", .f32, sz("L")), param("w", .f32, sz(3))],
      definitions: [
        Definition(
          name: "y", dtype: .f32, axes: [ax("l", sz("L"))],
          reduction: Reduction(op: .sum, accumulator: .f32, axes: [raxis("k", i64(3))]),
          body: ld("x", shifted) * ld("w", ix("k"))),
        Definition(
          name: "p", dtype: .f32, axes: [ax("l", sz("L"))],
          reduction: Reduction(op: .max, accumulator: .f32, axes: [raxis("k", i64(3))]),
          body: ld("x", shifted, pad: .float(-.infinity, .f32)) - lit(10)),
      ])
    let out = try Interpreter.run(
      k, inputs: ["x": tensor(.f32, [4], [1, 2, 3, 4]), "w": tensor(.f32, [3], [1, 10, 100])])
    // y[0] = 0*1 + 1*10 + 2*100; y[3] = 3 + 40 + 0
    #expect(out["y"] == tensor(.f32, [4], [210, 321, 432, 43]))
    #expect(out["p"] == tensor(.f32, [4], [-8, -7, -6, -6]))

    // A window entirely in the padding gives the pad (minus 10): -inf.
    let k2 = kernel(
      dims: ["L": 2], params: [param("x", .f32, sz("L"))],
      definitions: [
        Definition(
          name: "p", dtype: .f32, axes: [ax("l", sz("L"))],
          reduction: Reduction(op: .max, accumulator: .f32, axes: [raxis("k", i64(2))]),
          body: ld("x", ix("l") + ix("k") + i64(5), pad: .float(-.infinity, .f32)) - lit(10))
      ])
    #expect(
      try Interpreter.run(k2, inputs: ["x": tensor(.f32, [2], [1, 2])])["p"]?.values == [-.infinity, -.infinity])
  }

  @Test func gatherOutOfRangeReadsZero() throws {
    let k = kernel(
      dims: ["V": 3, "D": 2, "B": 4],
      params: [param("table", .f32, sz("V"), sz("D")), param("idx", .i32, sz("B"))],
      definitions: [
        Definition(
          name: "y", dtype: .f32, axes: [ax("b", sz("B")), ax("d", sz("D"))],
          body: ld("table", .cast(.i64, ld("idx", ix("b"))), ix("d")))
      ])
    let out = try Interpreter.run(
      k,
      inputs: [
        "table": tensor(.f32, [3, 2], [1, 2, 3, 4, 5, 6]),
        "idx": tensor(.i32, [4], [2, -1, 3, 0]),
      ])
    #expect(out["y"] == tensor(.f32, [4, 2], [5, 6, 0, 0, 0, 0, 1, 2]))
  }

  @Test func jaggedDataDependentSum() throws {
    // y[b] = sum(j in offsets[b] .. offsets[b + 1]) values[j]
    let k = kernel(
      dims: ["B": 3, "T": 6],
      params: [param("offsets", .i32, .add(sz("B"), sz(1))), param("values", .f32, sz("T"))],
      definitions: [
        Definition(
          name: "y", dtype: .f32, axes: [ax("b", sz("B"))],
          reduction: Reduction(
            op: .sum, accumulator: .f32,
            axes: [
              raxis(
                "j", .cast(.i64, ld("offsets", ix("b") + i64(1))), from: .cast(.i64, ld("offsets", ix("b"))))
            ]),
          body: ld("values", ix("j")))
      ])
    let out = try Interpreter.run(
      k,
      inputs: [
        "offsets": tensor(.i32, [4], [0, 2, 2, 6]),
        "values": tensor(.f32, [6], [1, 2, 4, 8, 16, 32]),
      ])
    #expect(out["y"] == tensor(.f32, [3], [3, 0, 60]))
  }

  @Test func nestedAxisDependsOnOuter() throws {
    // y = sum(i < 4, j < i + 1) 1  (a triangle: 1 + 2 + 3 + 4), and c[n] = sum(i < n, j < i) i * j (i64)
    let k = kernel(
      params: [],
      definitions: [
        Definition(
          name: "y", dtype: .i64, axes: [],
          reduction: Reduction(
            op: .sum, accumulator: .i64, axes: [raxis("i", i64(4)), raxis("j", ix("i") + i64(1))]),
          body: i64(1)),
        Definition(
          name: "c", dtype: .i64, axes: [ax("n", sz(4))],
          reduction: Reduction(op: .sum, accumulator: .i64, axes: [raxis("i", ix("n")), raxis("j", ix("i"))]),
          body: ix("i") * ix("j")),
      ])
    let out = try Interpreter.run(k, inputs: [:])
    #expect(out["y"] == tensor(.i64, [], [10]))
    // n = 3: i = 1: j = 0 -> 0; i = 2: j in 0, 1 -> 2. Total 2.
    #expect(out["c"] == tensor(.i64, [4], [0, 0, 0, 2]))
  }

  /// argmax (or argmin) as the tuple reduction the front end lowers it to (Reduction.argExtreme).
  func argKernel(isMax: Bool, n: Int, upper: Expr? = nil) -> Kernel {
    kernel(
      dims: ["N": n], params: [param("x", .f32, sz("N"))],
      definitions: [
        Definition(
          name: "y", dtype: .i64, axes: [],
          reduction: .argExtreme(isMax: isMax, accumulator: .f32, axis: raxis("k", upper ?? .dim("N"))),
          body: ld("x", ix("k")))
      ])
  }

  @Test func argmaxTiesNaNAndEmpty() throws {
    func run(_ isMax: Bool, _ xs: [Double], upper: Expr? = nil) throws -> Double? {
      try Interpreter.run(argKernel(isMax: isMax, n: xs.count, upper: upper), inputs: ["x": tensor(.f32, [xs.count], xs)])[
        "y"]?.values.first
    }
    #expect(try run(true, [1, 3, 3, 2]) == 1)
    #expect(try run(false, [4, 1, 3, 1]) == 1)
    #expect(try run(true, [1, .nan, 5, .nan]) == 1)
    #expect(try run(false, [1, .nan, -5, .nan]) == 1)
    #expect(try run(true, [.nan, 7]) == 0)
    #expect(try run(true, [-.infinity, -.infinity]) == 0)
    #expect(try run(true, [1, 2], upper: i64(0)) == -1)
    // Integer bodies.
    let ki = kernel(
      dims: ["N": 5], params: [param("x", .i32, sz("N"))],
      definitions: [
        Definition(
          name: "y", dtype: .i64, axes: [],
          reduction: .argExtreme(isMax: true, accumulator: .i32, axis: raxis("k", .dim("N"))),
          body: ld("x", ix("k")))
      ])
    #expect(try Interpreter.run(ki, inputs: ["x": tensor(.i32, [5], [-3, 9, 2, 9, 1])])["y"]?.values == [1])
    // A range that contains -1: the empty state is one below the range (Reduction.emptyIndex), so -1 can win.
    let negative = Reduction.argExtreme(isMax: true, accumulator: .f32, axis: raxis("k", i64(3), from: i64(-3)))
    #expect(negative.argExtremeSpelling == true)
    let kn = kernel(
      dims: [:], params: [param("x", .f32, .constant(6))],
      definitions: [
        Definition(name: "y", dtype: .i64, axes: [], reduction: negative, body: ld("x", .binary(.add, ix("k"), i64(3))))
      ])
    #expect(try Interpreter.run(kn, inputs: ["x": tensor(.f32, [6], [0, 0, 5, 0, 0, 0])])["y"]?.values == [-1])
    #expect(try Interpreter.run(kn, inputs: ["x": tensor(.f32, [6], [0, 7, 7, 0, 0, 0])])["y"]?.values == [-2])
  }

  @Test func reductionIdentitiesAndNaN() throws {
    func reduce(_ op: ReduceOp, _ t: DType, _ xs: [Double], count: Int64? = nil) throws -> Double? {
      let k = kernel(
        dims: ["N": xs.count], params: [param("x", t, sz("N"))],
        definitions: [
          Definition(
            name: "y", dtype: t, axes: [],
            reduction: Reduction(op: op, accumulator: t, axes: [raxis("k", count.map(i64) ?? .dim("N"))]),
            body: ld("x", ix("k")))
        ])
      return try Interpreter.run(k, inputs: ["x": tensor(t, [xs.count], xs)])["y"]?.values.first
    }
    #expect(try reduce(.max, .f32, [1, 2], count: 0) == -.infinity)
    #expect(try reduce(.min, .f16, [1, 2], count: 0) == .infinity)
    #expect(try reduce(.sum, .f32, [1, 2], count: 0) == 0)
    #expect(try reduce(.prod, .f32, [1, 2], count: 0) == 1)
    #expect(try reduce(.max, .i32, [1, 2], count: 0) == Double(Int32.min))
    #expect(try reduce(.min, .i8, [1, 2], count: 0) == 127)
    #expect(try reduce(.max, .f32, [1, .nan, 3])?.isNaN == true)
    #expect(try reduce(.min, .f32, [.nan, 1, 3])?.isNaN == true)
    #expect(try reduce(.max, .f32, [1, 5, 3]) == 5)
    #expect(try reduce(.prod, .f32, [2, 3, -4]) == -24)
    // The oracle accumulates in f64: 1e8 + 1 - 1e8 is 1, not the 0 of an f32 accumulator.
    #expect(try reduce(.sum, .f32, [1e8, 1, -1e8]) == 1)
    // Integer sums wrap to the accumulator's width at the end (the same as wrapping per step).
    #expect(try reduce(.sum, .i8, [100, 100, 100]) == 44)
  }

  func elementwise(_ t: DType, _ out: DType, _ body: Expr, _ a: [Double], _ b: [Double]) throws -> [Double] {
    let k = kernel(
      dims: ["N": a.count], params: [param("a", t, sz("N")), param("b", t, sz("N"))],
      definitions: [Definition(name: "y", dtype: out, axes: [ax("i", sz("N"))], body: body)])
    return try Interpreter.run(k, inputs: ["a": tensor(t, [a.count], a), "b": tensor(t, [b.count], b)])["y"]?
      .values ?? []
  }

  @Test func integerFloorDivisionAndModulo() throws {
    let a: [Double] = [7, -7, 7, -7, 5, -5, 0, Double(Int32.min)]
    let b: [Double] = [2, 2, -2, -2, 0, 0, 3, -1]
    let q = try elementwise(.i32, .i32, bin(.div, ld("a", ix("i")), ld("b", ix("i"))), a, b)
    let r = try elementwise(.i32, .i32, bin(.mod, ld("a", ix("i")), ld("b", ix("i"))), a, b)
    // Python: 7 // 2 = 3, -7 // 2 = -4, 7 // -2 = -4, -7 // -2 = 3; % has the divisor's sign; x / 0 = x % 0 = 0.
    // i32.min / -1 is 2^31, which wraps to i32.min.
    #expect(q == [3, -4, -4, 3, 0, 0, 0, Double(Int32.min)])
    #expect(r == [1, 1, -1, -1, 0, 0, 0, 0])
    let q64 = try elementwise(.i64, .i64, bin(.div, ld("a", ix("i")), ld("b", ix("i"))), [-1, -9], [3, 4])
    #expect(q64 == [-1, -3])
  }

  @Test func floatModuloIsFloored() throws {
    let r = try elementwise(
      .f32, .f32, bin(.mod, ld("a", ix("i")), ld("b", ix("i"))), [7.5, -7.5, 7.5, 1, .infinity], [2, 2, -2, 0, 2])
    #expect(Array(r.prefix(3)) == [1.5, 0.5, -0.5])
    #expect(r[3].isNaN && r[4].isNaN)
  }

  @Test func i8Wraps() throws {
    let sum = try elementwise(.i8, .i8, ld("a", ix("i")) + ld("b", ix("i")), [100, -128, 127], [100, -1, 1])
    #expect(sum == [-56, 127, -128])
    let prod = try elementwise(.i8, .i8, ld("a", ix("i")) * ld("b", ix("i")), [16, -128], [16, -1])
    #expect(prod == [0, -128])
    let neg = try elementwise(.i8, .i8, un(.neg, ld("a", ix("i"))), [-128, 5], [0, 0])
    #expect(neg == [-128, -5])
    let abs = try elementwise(.i8, .i8, un(.abs, ld("a", ix("i"))), [-128, -5], [0, 0])
    #expect(abs == [-128, 5])
    // Inputs outside the type's range wrap like their in-memory encoding.
    let id = try elementwise(.i8, .i8, ld("a", ix("i")), [300, -129], [0, 0])
    #expect(id == [44, 127])
  }

  @Test func casts() throws {
    let xs: [Double] = [.nan, 300.7, -300.7, 2.9, -2.9, .infinity, -.infinity, 0.5]
    let zeros = [Double](repeating: 0, count: xs.count)
    let toI8 = try elementwise(.f32, .i8, .cast(.i8, ld("a", ix("i"))), xs, zeros)
    #expect(toI8 == [0, 127, -128, 2, -2, 127, -128, 0])
    let toI32 = try elementwise(.f32, .i32, .cast(.i32, ld("a", ix("i"))), xs, zeros)
    #expect(toI32 == [0, 300, -300, 2, -2, Double(Int32.max), Double(Int32.min), 0])
    let toI64 = try elementwise(.f64, .i64, .cast(.i64, ld("a", ix("i"))), [.nan, 1e30, -1e30], [0, 0, 0])
    #expect(toI64 == [0, Double(Int64.max), Double(Int64.min)])
    let toBool = try elementwise(.f32, .bool, .cast(.bool, ld("a", ix("i"))), [0, -0.0, 2, .nan], [0, 0, 0, 0])
    #expect(toBool == [0, 0, 1, 1])
    // bool -> f32 and i32 -> i8 (wraps), f32 -> bf16 (rounds), f64 -> f32 (rounds).
    let b2f = try elementwise(.bool, .f32, .cast(.f32, ld("a", ix("i"))), [1, 0], [0, 0])
    #expect(b2f == [1, 0])
    let i2i = try elementwise(.i32, .i8, .cast(.i8, ld("a", ix("i"))), [300, -200, 127], [0, 0, 0])
    #expect(i2i == [44, 56, 127])
    let tobf = try elementwise(.f32, .bf16, .cast(.bf16, ld("a", ix("i"))), [1 + 1.0 / 256, 1 + 3.0 / 256], [0, 0])
    #expect(tobf == [1, 1 + 1.0 / 64])
    let tof32 = try elementwise(.f64, .f32, .cast(.f32, ld("a", ix("i"))), [0.1, 1e39], [0, 0])
    #expect(tof32 == [Double(Float(0.1)), .infinity])
  }

  @Test func storesRoundToTheDefinitionType() throws {
    // f16 arithmetic runs in f64 and rounds once at the store: 1 + 2^-11 rounds to 1 (tie to even), while
    // (1 + 2^-11) + (1 + 2^-11) = 2 + 2^-10 would round to 2 as well (tie) -- and 2048 + 1 to 2048.
    let r = try elementwise(
      .f16, .f16, ld("a", ix("i")) + ld("b", ix("i")), [1, 2048, 60000], [0.00048828125, 1, 10000])
    #expect(r == [1, 2048, .infinity])
  }

  @Test func comparisonsAndNaNPropagation() throws {
    let a: [Double] = [.nan, 1, 2]
    let b: [Double] = [.nan, .nan, 2]
    let eq = try elementwise(.f32, .bool, bin(.eq, ld("a", ix("i")), ld("b", ix("i"))), a, b)
    let ne = try elementwise(.f32, .bool, bin(.ne, ld("a", ix("i")), ld("b", ix("i"))), a, b)
    let lt = try elementwise(.f32, .bool, bin(.le, ld("a", ix("i")), ld("b", ix("i"))), a, b)
    #expect(eq == [0, 0, 1])
    #expect(ne == [1, 1, 0])
    #expect(lt == [0, 0, 1])
    let mx = try elementwise(.f32, .f32, bin(.max, ld("a", ix("i")), ld("b", ix("i"))), [1, .nan, 3], [.nan, 2, 2])
    #expect(mx[0].isNaN && mx[1].isNaN && mx[2] == 3)
    let mn = try elementwise(.f32, .f32, bin(.min, ld("a", ix("i")), ld("b", ix("i"))), [1, .nan, 3], [.nan, 2, 2])
    #expect(mn[0].isNaN && mn[1].isNaN && mn[2] == 2)
    let isnan = try elementwise(.f32, .bool, un(.isnan, ld("a", ix("i"))), a, b)
    #expect(isnan == [1, 0, 0])
    // select(a > b, a, b) with logical ops.
    let sel = try elementwise(
      .f32, .f32,
      .select(
        bin(.or, bin(.gt, ld("a", ix("i")), ld("b", ix("i"))), un(.not, bin(.lt, ld("b", ix("i")), lit(100)))),
        ld("a", ix("i")), ld("b", ix("i"))), [5, 1, 1], [3, 4, 200])
    #expect(sel == [5, 4, 1])
  }

  @Test func unaryMath() throws {
    let xs: [Double] = [0.5, -1.25]
    func f(_ op: UnaryOp) throws -> [Double] {
      try elementwise(.f64, .f64, un(op, ld("a", ix("i"))), xs, [0, 0])
    }
    #expect(try f(.sigmoid) == xs.map { 1 / (1 + exp(-$0)) })
    #expect(try f(.erf) == xs.map { erf($0) })
    #expect(try f(.floor) == [0, -2])
    #expect(try f(.ceil) == [1, -1])
    #expect(try f(.abs) == [0.5, 1.25])
    #expect(try f(.neg) == [-0.5, 1.25])
    #expect(try f(.tanh) == xs.map { tanh($0) })
    let rs = try elementwise(.f64, .f64, un(.rsqrt, ld("a", ix("i"))), [4, 0], [0, 0])
    #expect(rs == [0.5, .infinity])
    let p = try elementwise(.f64, .f64, bin(.pow, ld("a", ix("i")), ld("b", ix("i"))), [2, -8], [10, 1.0 / 3])
    #expect(p[0] == 1024 && p[1].isNaN)
  }

  @Test func scalarsDimsAndRankZero() throws {
    // y[n] = x[n] * alpha + N;  t = sum(n) y[n]  (rank 0)
    let k = kernel(
      dims: ["N": 3],
      params: [param("x", .f32, sz("N")), param("alpha", .f32)],
      definitions: [
        Definition(
          name: "y", dtype: .f32, axes: [ax("n", sz("N"))],
          body: ld("x", ix("n")) * .scalar("alpha") + .cast(.f32, .dim("N"))),
        Definition(
          name: "t", dtype: .f32, axes: [],
          reduction: Reduction(op: .sum, accumulator: .f32, axes: [raxis("n", .dim("N"))]),
          body: ld("y", ix("n"))),
      ])
    let out = try Interpreter.run(
      k, inputs: ["x": tensor(.f32, [3], [1, 2, 3]), "alpha": .scalar(0.5, .f32)])
    #expect(out["y"] == tensor(.f32, [3], [3.5, 4, 4.5]))
    #expect(out["t"] == tensor(.f32, [], [12]))
    let all = try Interpreter.runAllDefinitions(
      k, inputs: ["x": tensor(.f32, [3], [1, 2, 3]), "alpha": .scalar(0.5, .f32)])
    #expect(all.keys.sorted() == ["t", "y"])
  }

  @Test func bf16ReductionWithF32Accumulator() throws {
    // s = sum<f32>(k) f32(x[k]) over bf16 inputs, then a bf16 result: values are rounded to bf16 once.
    let k = kernel(
      dims: ["N": 3], params: [param("x", .bf16, sz("N"))],
      definitions: [
        Definition(
          name: "s", dtype: .f32, axes: [],
          reduction: Reduction(op: .sum, accumulator: .f32, axes: [raxis("k", .dim("N"))]),
          body: .cast(.f32, ld("x", ix("k")))),
        Definition(name: "y", dtype: .bf16, axes: [], body: .cast(.bf16, ld("s"))),
      ])
    // Inputs are rounded to bf16 on the way in: 1.001 -> 1.
    let out = try Interpreter.run(k, inputs: ["x": tensor(.bf16, [3], [256, 1.001, 1])])
    #expect(out["s"]?.values == [258])
    #expect(out["y"]?.values == [258])
    // Body converted to the accumulator when the types differ: a bf16 accumulator of f32 values rounds each term.
    let k2 = kernel(
      dims: ["N": 2], params: [param("x", .f32, sz("N"))],
      definitions: [
        Definition(
          name: "s", dtype: .bf16, axes: [],
          reduction: Reduction(op: .sum, accumulator: .bf16, axes: [raxis("k", .dim("N"))]),
          body: ld("x", ix("k")))
      ])
    #expect(try Interpreter.run(k2, inputs: ["x": tensor(.f32, [2], [1.00390625, 1.00390625])])["s"]?.values == [2])
  }

  @Test func conv2dWithPaddingUsesRank4Loads() throws {
    // y[n, f, i, j] = sum(c, p, q) x[n, c, i + p - 1, j + q - 1] * w[f, c, p, q] + bias[f]   (zero padding 1)
    let (N, C, H, W, F) = (2, 3, 5, 4, 2)
    let k = kernel(
      dims: ["N": N, "C": C, "H": H, "W": W, "F": F],
      params: [
        param("x", .f32, sz("N"), sz("C"), sz("H"), sz("W")), param("w", .f32, sz("F"), sz("C"), sz(3), sz(3)),
        param("bias", .f32, sz("F")),
      ],
      definitions: [
        Definition(
          name: "acc", dtype: .f32, axes: [ax("n", sz("N")), ax("f", sz("F")), ax("i", sz("H")), ax("j", sz("W"))],
          reduction: Reduction(
            op: .sum, accumulator: .f32, axes: [raxis("c", .dim("C")), raxis("p", i64(3)), raxis("q", i64(3))]),
          body: ld("x", ix("n"), ix("c"), ix("i") + ix("p") - i64(1), ix("j") + ix("q") - i64(1))
            * ld("w", ix("f"), ix("c"), ix("p"), ix("q"))),
        Definition(
          name: "y", dtype: .f32, axes: [ax("n", sz("N")), ax("f", sz("F")), ax("i", sz("H")), ax("j", sz("W"))],
          body: ld("acc", ix("n"), ix("f"), ix("i"), ix("j")) + ld("bias", ix("f"))),
      ], results: ["y"])
    let inputs = RandomInputs.generate(for: k, seed: 5, distribution: .ties)
    let x = inputs["x"]!
    let w = inputs["w"]!
    let bias = inputs["bias"]!.values
    let y = try #require(try Interpreter.run(k, inputs: inputs)["y"])
    #expect(y.shape == [N, F, H, W])
    for n in 0..<N {
      for f in 0..<F {
        for i in 0..<H {
          for j in 0..<W {
            var s = 0.0
            for c in 0..<C {
              for p in 0..<3 {
                for q in 0..<3 {
                  s += (x[[n, c, i + p - 1, j + q - 1]] ?? 0) * w[[f, c, p, q]]!
                }
              }
            }
            #expect(y[[n, f, i, j]] == s + bias[f])
          }
        }
      }
    }
  }

  @Test func rank3LoadAndZeroSizedTensors() throws {
    // t[a, b, c] = a * 100 + b * 10 + c; y[a, b] = t[a, b, 2 - b] else -1; z[q < 0] = 1
    let k = kernel(
      params: [],
      definitions: [
        Definition(
          name: "t", dtype: .i64, axes: [ax("a", sz(2)), ax("b", sz(3)), ax("c", sz(2))],
          body: ix("a") * i64(100) + ix("b") * i64(10) + ix("c")),
        Definition(
          name: "y", dtype: .i64, axes: [ax("a", sz(2)), ax("b", sz(3))],
          body: ld("t", ix("a"), ix("b"), i64(2) - ix("b"), pad: .int(-1))),
        Definition(name: "z", dtype: .f32, axes: [ax("q", sz(0))], body: lit(1)),
      ])
    let out = try Interpreter.run(k, inputs: [:])
    #expect(out["y"]?.values == [-1, 11, 20, -1, 111, 120])
    #expect(out["z"] == tensor(.f32, [0], []))
  }

  // MARK: - Diagnostics

  @Test func inboundsViolationIsADiagnostic() {
    let k = kernel(
      dims: ["N": 3], params: [param("x", .f32, sz("N"))],
      definitions: [
        Definition(name: "y", dtype: .f32, axes: [ax("n", sz("N"))], body: ldIn("x", ix("n") + i64(1)))
      ])
    do {
      _ = try Interpreter.run(k, inputs: ["x": tensor(.f32, [3], [1, 2, 3])])
      Issue.record("expected a diagnostic")
    } catch {
      #expect(error.diagnostics.first?.id == DiagnosticID("run", "out-of-bounds"))
      #expect(error.description.contains("[3]"))
      #expect(error.description.hasPrefix("test.kev:1:1: error: "))
    }
    // Inside the shape it is an ordinary load.
    let ok = kernel(
      dims: ["N": 3], params: [param("x", .f32, sz("N"))],
      definitions: [Definition(name: "y", dtype: .f32, axes: [ax("n", sz("N"))], body: ldIn("x", ix("n")))])
    #expect(diagnosticID { _ = try Interpreter.run(ok, inputs: ["x": tensor(.f32, [3], [1, 2, 3])]) } == nil)
  }

  @Test func badInputsAreDiagnostics() {
    let k = matmul(.f32)
    let a = tensor(.f32, [2, 3], [1, 2, 3, 4, 5, 6])
    let b = tensor(.f32, [3, 2], [1, 2, 3, 4, 5, 6])
    #expect(diagnosticID { _ = try Interpreter.run(k, inputs: ["a": a]) } == "kevc.run.missing-input")
    #expect(
      diagnosticID { _ = try Interpreter.run(k, inputs: ["a": a, "b": tensor(.f32, [2, 3], b.values)]) }
        == "kevc.run.input-shape")
    #expect(
      diagnosticID { _ = try Interpreter.run(k, inputs: ["a": a, "b": tensor(.f16, [3, 2], b.values)]) }
        == "kevc.run.input-dtype")
    #expect(
      diagnosticID { _ = try Interpreter.run(k, inputs: ["a": a, "b": tensor(.f32, [3, 2], [1])]) }
        == "kevc.run.input-size")
    var unbound = k
    unbound.dims[0].value = nil
    #expect(diagnosticID { _ = try Interpreter.run(unbound, inputs: ["a": a, "b": b]) } == "kevc.run.unbound-dim")
    #expect(diagnosticID { _ = try Interpreter.run(k, inputs: ["a": a, "b": b]) } == nil)
  }

  @Test func illFormedKernelsAreDiagnostics() {
    func id(_ body: Expr, _ t: DType = .f32) -> String? {
      let k = kernel(
        dims: ["N": 2], params: [param("x", .f32, sz("N")), param("i", .i32, sz("N"))],
        definitions: [Definition(name: "y", dtype: t, axes: [ax("n", sz("N"))], body: body)])
      return diagnosticID {
        _ = try Interpreter.run(k, inputs: ["x": tensor(.f32, [2], [1, 2]), "i": tensor(.i32, [2], [1, 2])])
      }
    }
    #expect(id(ld("x", ix("n"))) == nil)
    #expect(id(ld("z", ix("n"))) == "kevc.run.unknown-name")
    #expect(id(ld("y", ix("n"))) == "kevc.run.unknown-name")  // reads itself
    #expect(id(ld("x", ix("q"))) == "kevc.run.unknown-name")
    #expect(id(ld("x", ix("n"), ix("n"))) == "kevc.run.rank-mismatch")
    #expect(id(ld("x", ix("n")) + ld("i", ix("n"))) == "kevc.run.ill-typed")
    #expect(id(ld("x", ld("x", ix("n")))) == "kevc.run.ill-typed")
    #expect(id(un(.exp, ld("i", ix("n"))), .i32) == "kevc.run.ill-typed")
    #expect(id(.dim("Q") + ix("n"), .i64) == "kevc.run.unbound-dim")
    #expect(id(.scalar("x")) == "kevc.run.unknown-name")
    #expect(id(.select(ld("x", ix("n")), lit(1), lit(2))) == "kevc.run.ill-typed")
    let twice = kernel(
      params: [param("x", .f32)],
      definitions: [
        Definition(name: "y", dtype: .f32, axes: [], body: lit(1)),
        Definition(name: "y", dtype: .f32, axes: [], body: lit(2)),
      ], results: ["y"])
    #expect(
      diagnosticID { _ = try Interpreter.run(twice, inputs: ["x": .scalar(1, .f32)]) } == "kevc.run.duplicate-name")
    var wrongType = twice
    wrongType.definitions.removeLast()
    wrongType.results[0].dtype = .f16
    #expect(
      diagnosticID { _ = try Interpreter.run(wrongType, inputs: ["x": .scalar(1, .f32)]) } == "kevc.run.result-type")
    var wrongShape = twice
    wrongShape.definitions.removeLast()
    wrongShape.results[0].shape = [sz(2)]
    #expect(
      diagnosticID { _ = try Interpreter.run(wrongShape, inputs: ["x": .scalar(1, .f32)]) } == "kevc.run.result-shape")
    var noDefinition = twice
    noDefinition.definitions = []
    #expect(
      diagnosticID { _ = try Interpreter.run(noDefinition, inputs: ["x": .scalar(1, .f32)]) }
        == "kevc.run.undefined-result")
  }

  @Test func runawayReductionRangeIsADiagnostic() {
    let k = kernel(
      params: [param("n", .i64)],
      definitions: [
        Definition(
          name: "y", dtype: .f32, axes: [],
          reduction: Reduction(op: .sum, accumulator: .f32, axes: [raxis("k", .scalar("n"))]), body: lit(1))
      ])
    #expect(
      diagnosticID { _ = try Interpreter.run(k, inputs: ["n": .scalar(Double(Int64.max), .i64)]) }
        == "kevc.run.reduction-range")
    #expect(diagnosticID { _ = try Interpreter.run(k, inputs: ["n": .scalar(-5, .i64)]) } == nil)
  }

  // MARK: - Speed

  @Test func matmul64IsFast() throws {
    let n = 64
    let k = kernel(
      dims: ["M": n, "K": n, "N": n],
      params: [param("a", .f32, sz("M"), sz("K")), param("b", .f32, sz("K"), sz("N"))],
      definitions: matmul(.f32).definitions)
    let inputs = RandomInputs.generate(for: k, seed: 1, distribution: .normal)
    let start = Date()
    let out = try Interpreter.run(k, inputs: inputs)
    let seconds = Date().timeIntervalSince(start)
    let a = inputs["a"]!.values
    let b = inputs["b"]!.values
    let y = try #require(out["y"])
    for (i, j) in [(0, 0), (5, 63), (63, 17)] {
      var s = 0.0
      for q in 0..<n { s += a[i * n + q] * b[q * n + j] }
      #expect(y.values[i * n + j] == Double(Float(s)))
    }
    // 262144 points of 3 nodes each; generous bound for debug builds on a loaded machine.
    #expect(seconds < 5)
  }
}
