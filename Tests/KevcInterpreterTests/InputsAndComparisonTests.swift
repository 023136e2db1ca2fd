// Random inputs (determinism, dtype rounding, value domains) and the tolerance rule of `Comparison`.
import KevcBasic
import KevcIR
import Testing

@testable import KevcInterpreter

@Suite struct RandomInputsTests {
  let k = kernel(
    dims: ["B": 5, "T": 40, "V": 7],
    params: [
      param("x", .bf16, sz("T"), sz(3)),
      param(
        "offsets", .i32, .add(sz("B"), sz(1)),
        domain: ValueDomain(lowerBound: sz(0), upperBound: .add(sz("T"), sz(1)), sorted: true)),
      param("idx", .i64, sz("T"), domain: ValueDomain(lowerBound: sz(0), upperBound: sz("V"))),
      param("plain", .i8, sz(200)),
      param("mask", .bool, sz(200)),
      param("eps", .f32),
      param("big", .f32, sz(500)),
    ],
    definitions: [Definition(name: "y", dtype: .f32, axes: [], body: lit(0))])

  @Test func deterministicFromTheSeed() {
    for d in InputDistribution.allCases {
      #expect(
        RandomInputs.generate(for: k, seed: 42, distribution: d)
          == RandomInputs.generate(for: k, seed: 42, distribution: d))
    }
    #expect(
      RandomInputs.generate(for: k, seed: 42, distribution: .normal)
        != RandomInputs.generate(for: k, seed: 43, distribution: .normal))
    // A fixed value: the generator is platform independent.
    var rng = Xoshiro256(seed: 0)
    let first = rng.next()
    var again = Xoshiro256(seed: 0)
    #expect(again.next() == first)
  }

  @Test func shapesTypesAndDomains() throws {
    for d in InputDistribution.allCases {
      let inputs = RandomInputs.generate(for: k, seed: 9, distribution: d)
      #expect(Set(inputs.keys) == ["x", "offsets", "idx", "plain", "mask", "eps", "big"])
      let x = try #require(inputs["x"])
      #expect(x.shape == [40, 3] && x.values.count == 120 && x.dtype == .bf16)
      #expect(x.values.allSatisfy { DType.bf16.round($0) == $0 })
      let offsets = try #require(inputs["offsets"]).values
      #expect(offsets.count == 6 && offsets.first == 0 && offsets.last == 40)
      #expect(zip(offsets, offsets.dropFirst()).allSatisfy { $0 <= $1 })
      #expect(try #require(inputs["idx"]).values.allSatisfy { $0 >= 0 && $0 < 7 && $0 == $0.rounded() })
      let plain = try #require(inputs["plain"]).values
      #expect(plain.allSatisfy { $0 >= -4 && $0 < 16 })
      #expect(Set(plain).count > 10)
      let mask = try #require(inputs["mask"]).values
      #expect(mask.allSatisfy { $0 == 0 || $0 == 1 } && mask.contains(0) && mask.contains(1))
      let eps = try #require(inputs["eps"])
      #expect(eps.shape == [] && eps.values.count == 1 && eps.values[0] >= 0.01 && eps.values[0] <= 1)
      let big = try #require(inputs["big"]).values
      #expect(big.allSatisfy { $0.isFinite && Float($0) == Float($0) && Double(Float($0)) == $0 })
      switch d {
      case .uniform: #expect(big.allSatisfy { abs($0) <= 1 })
      case .nearOverflow: #expect(big.allSatisfy { abs($0) <= 80 } && big.contains { abs($0) > 40 })
      case .heavyTailed: #expect(big.allSatisfy { abs($0) <= 1e4 } && big.contains { abs($0) > 5 })
      case .withZeros:
        let zeros = big.filter { $0 == 0 }.count
        #expect(zeros > 75 && zeros < 175)
      case .normal: #expect(abs(big.reduce(0, +) / 500) < 0.2)
      case .ties: #expect(Set(big) == [-3, -2, -1, 0, 1, 2, 3])
      }
    }
    // 16-bit near-overflow stays within +-10.
    #expect(
      RandomInputs.generate(for: k, seed: 1, distribution: .nearOverflow)["x"]!.values.allSatisfy { abs($0) <= 10 })
  }

  @Test func generatedInputsRunThroughTheInterpreter() throws {
    // Gather with an index in its domain never reads the padding.
    let g = kernel(
      dims: ["V": 4, "B": 50],
      params: [
        param("t", .f32, sz("V")),
        param("i", .i32, sz("B"), domain: ValueDomain(lowerBound: sz(0), upperBound: sz("V"))),
      ],
      definitions: [
        Definition(name: "y", dtype: .f32, axes: [ax("b", sz("B"))], body: ldIn("t", .cast(.i64, ld("i", ix("b")))))
      ])
    for seed: UInt64 in 0..<5 {
      _ = try Interpreter.run(g, inputs: RandomInputs.generate(for: g, seed: seed, distribution: .uniform))
    }
  }
}

@Suite struct ComparisonTests {
  func t(_ dtype: DType, _ values: [Double]) -> TensorValue {
    TensorValue(dtype: dtype, shape: [values.count], values: values)
  }

  @Test func tolerancePerType() {
    #expect(Comparison.compare(t(.f32, [1.0001, 100.01]), t(.f32, [1, 100]), dtype: .f32).passed)
    #expect(!Comparison.compare(t(.f32, [1.001]), t(.f32, [1]), dtype: .f32).passed)
    #expect(Comparison.compare(t(.f16, [1.01]), t(.f16, [1]), dtype: .f16).passed)
    #expect(!Comparison.compare(t(.f16, [1.05]), t(.f16, [1]), dtype: .f16).passed)
    #expect(Comparison.compare(t(.bf16, [1.0625]), t(.bf16, [1]), dtype: .bf16).passed)
    #expect(!Comparison.compare(t(.bf16, [1.125]), t(.bf16, [1]), dtype: .bf16).passed)
    #expect(!Comparison.compare(t(.f64, [1 + 1e-8]), t(.f64, [1]), dtype: .f64).passed)
    #expect(Comparison.compare(t(.i32, [5, -3]), t(.i32, [5, -3]), dtype: .i32).passed)
    #expect(!Comparison.compare(t(.i32, [5, -2]), t(.i32, [5, -3]), dtype: .i32).passed)
    #expect(!Comparison.compare(t(.bool, [0x5A]), t(.bool, [1]), dtype: .bool).passed)
  }

  /// A long f32 reduction whose large terms cancel to a small element (a matmul on near-overflow inputs) is judged
  /// against the tensor's scale (its rms), not the small element alone; a genuinely wrong element still fails.
  @Test func toleranceScalesWithTheTensor() {
    // Typical elements ~300 (sums of large terms); one cancels to 0.43 with an absolute rounding error of 0.002.
    var reference = (0..<64).map { i in 300.0 * (i % 2 == 0 ? 1 : -1) + Double(i) }
    reference[38] = -0.42920756
    var actual = reference
    actual[38] = -0.42733660
    #expect(Comparison.compare(t(.f32, actual), t(.f32, reference), dtype: .f32).passed)
    // Missing one term of ~rms / 10: two orders of magnitude over the scaled tolerance.
    actual[38] = reference[38] + 30
    let wrong = Comparison.compare(t(.f32, actual), t(.f32, reference), dtype: .f32)
    #expect(!wrong.passed && wrong.worstIndex == 38)
    // Without the scale term the cancelled element alone would have failed: the rule is what makes it pass.
    #expect(!Comparison.elementPasses(-0.42733660, -0.42920756, 1e-4, 2e-4))
    #expect(Comparison.rootMeanSquare([3, 4, .nan, .infinity]) == (12.5).squareRoot())
  }

  @Test func nonFiniteValues() {
    #expect(
      Comparison.compare(t(.f32, [.nan, .infinity, -.infinity]), t(.f32, [.nan, .infinity, -.infinity]), dtype: .f32)
        .passed)
    #expect(!Comparison.compare(t(.f32, [.nan]), t(.f32, [1]), dtype: .f32).passed)
    #expect(!Comparison.compare(t(.f32, [1]), t(.f32, [.nan]), dtype: .f32).passed)
    #expect(!Comparison.compare(t(.f32, [.infinity]), t(.f32, [-.infinity]), dtype: .f32).passed)
    #expect(!Comparison.compare(t(.f32, [3e38]), t(.f32, [.infinity]), dtype: .f32).passed)
    let poisoned = Comparison.compare(
      TensorValue.poisoned(dtype: .f32, shape: [2]), t(.f32, [1, 2]), dtype: .f32)
    #expect(!poisoned.passed && poisoned.worstIndex == 0 && poisoned.maxAbsError == .infinity)
  }

  @Test func mismatchesAndReport() {
    let shape = Comparison.compare(
      TensorValue(dtype: .f32, shape: [2, 1], values: [1, 2]), t(.f32, [1, 2]), dtype: .f32)
    #expect(!shape.passed && shape.reason.contains("shape"))
    let dtype = Comparison.compare(t(.f16, [1]), t(.f32, [1]), dtype: .f32)
    #expect(!dtype.passed && dtype.reason.contains("dtype"))
    let count = Comparison.compare(t(.f32, [1]), TensorValue(dtype: .f32, shape: [2], values: [1]), dtype: .f32)
    #expect(!count.passed)
    let c = Comparison.compare(
      TensorValue(dtype: .f32, shape: [2, 2], values: [1, 2, 3, 4.5]),
      TensorValue(dtype: .f32, shape: [2, 2], values: [1, 2, 3, 4]), dtype: .f32)
    #expect(!c.passed && c.worstIndex == 3 && c.maxAbsError == 0.5 && c.maxRelError == 0.125)
    #expect(c.reason.contains("[1, 1]") && c.reason.contains("1 of 4"))
    let ok = Comparison.compare(t(.f32, [1, 2.0001]), t(.f32, [1, 2]), dtype: .f32)
    #expect(ok.passed && ok.reason.isEmpty && ok.worstIndex == 1)
  }
}
