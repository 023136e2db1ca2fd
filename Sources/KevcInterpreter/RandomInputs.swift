import Foundation
import KevcBasic
import KevcIR

/// Deterministic random test inputs for a kernel, from a seed and a distribution.
///
/// Float tensors follow the distribution (`InputDistribution`); every value is rounded to the parameter's type.
/// Float scalars (slopes, epsilons, scales) are uniform in [0.01, 1) whatever the distribution, so that they stay
/// meaningful (a negative eps under a square root would only test NaN propagation). Integer
/// parameters with a `ValueDomain` are uniform in `lowerBound ..< upperBound` (evaluated with the kernel's dims);
/// `sorted` domains give a non-decreasing sequence whose first element is the lower bound and whose last is
/// `upperBound - 1` (so CSR-style offsets `sorted in 0 .. T + 1` start at 0 and end at T). Integer parameters
/// without a domain are uniform in [-4, 16) (wrapped to the type). bool parameters are true with probability 1/2.
/// The generator is this file's own xoshiro256** seeded by SplitMix64, so results do not depend on the platform.
public enum InputDistribution: String, Hashable, Codable, Sendable, CaseIterable, CustomStringConvertible {
  /// Normal, mean 0, standard deviation 1.
  case normal
  /// Uniform in [-1, 1).
  case uniform
  /// Student-t with 2 degrees of freedom, clipped to +-1e4.
  case heavyTailed = "heavy-tailed"
  /// Uniform in [-80, 80) for f32/f64 and [-10, 10) for f16/bf16: large arguments for exp-like operations.
  case nearOverflow = "near-overflow"
  /// Normal with about 25% exact zeros.
  case withZeros = "with-zeros"
  /// Small integers -3 ... 3 (as floats): many exact ties, for argmax/argmin's first-index rule, equal maxima
  /// and comparisons.
  case ties

  public var description: String { rawValue }
}

/// A small, fast, platform-independent PRNG: xoshiro256** seeded through SplitMix64.
public struct Xoshiro256: Sendable {
  private var s: (UInt64, UInt64, UInt64, UInt64)

  public init(seed: UInt64) {
    var x = seed
    func splitMix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  public mutating func next() -> UInt64 {
    let result = rotl(s.1 &* 5, 7) &* 9
    let t = s.1 << 17
    s.2 ^= s.0
    s.3 ^= s.1
    s.1 ^= s.2
    s.0 ^= s.3
    s.2 ^= t
    s.3 = rotl(s.3, 45)
    return result
  }

  private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  /// Uniform in [0, 1), 53 random bits.
  public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

  /// Uniform in [a, b).
  public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * unit() }

  /// Uniform integer in lo ..< hi (lo when the range is empty).
  public mutating func integer(_ lo: Int64, _ hi: Int64) -> Int64 {
    guard hi > lo else { return lo }
    let span = UInt64(bitPattern: hi &- lo)
    // Multiply-shift: negligible bias for the small ranges used here.
    let r = next().multipliedFullWidth(by: span).high
    return lo &+ Int64(bitPattern: r)
  }

  /// Standard normal (Box-Muller).
  public mutating func normal() -> Double {
    let u1 = 1 - unit()  // (0, 1]
    let u2 = unit()
    return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
  }
}

public enum RandomInputs {
  /// One tensor (or rank-0 scalar) per parameter whose shape can be evaluated with the kernel's dims; a parameter
  /// with an unbound or negative shape is left out (the interpreter then reports the missing input).
  public static func generate(for kernel: Kernel, seed: UInt64, distribution: InputDistribution)
    -> [String: TensorValue]
  {
    let dims = kernel.dimBindings
    var out: [String: TensorValue] = [:]
    for (index, p) in kernel.params.enumerated() {
      var shape: [Int] = []
      var ok = true
      for s in p.shape {
        guard let v = s.evaluate(dims), v >= 0 else {
          ok = false
          break
        }
        shape.append(v)
      }
      guard ok, let count = TensorValue.elementCount(shape), count <= Interpreter.maxElements else { continue }
      // One independent stream per parameter position.
      var rng = Xoshiro256(seed: seed ^ (UInt64(index) &+ 1) &* 0xD1B5_4A32_D192_ED03)
      let values = generateValues(p, count: count, dims: dims, distribution: distribution, rng: &rng)
      out[p.name] = TensorValue(dtype: p.dtype, shape: shape, values: values)
    }
    return out
  }

  static func generateValues(
    _ p: Param, count: Int, dims: [String: Int], distribution: InputDistribution, rng: inout Xoshiro256
  ) -> [Double] {
    var values: [Double] = []
    values.reserveCapacity(count)
    switch p.dtype {
    case .bool:
      for _ in 0..<count { values.append(rng.next() >> 63 == 1 ? 1 : 0) }
    case .i8, .i32, .i64:
      var lo: Int64 = -4
      var hi: Int64 = 16
      var sorted = false
      if let domain = p.domain, let l = domain.lowerBound.evaluate(dims), let h = domain.upperBound.evaluate(dims) {
        lo = Int64(l)
        hi = Int64(h)
        sorted = domain.sorted
      }
      var ints: [Int64] = []
      ints.reserveCapacity(count)
      for _ in 0..<count { ints.append(rng.integer(lo, hi)) }
      if sorted {
        ints.sort()
        if count >= 1 { ints[0] = lo }
        if count >= 2, hi > lo { ints[count - 1] = hi &- 1 }
      }
      for v in ints { values.append(Double(ElementEncoding.wrap(v, to: p.dtype))) }
    case .f16, .bf16, .f32, .f64:
      if p.isScalar {
        values.append(p.dtype.round(rng.uniform(0.01, 1)))
        return values
      }
      let wide = p.dtype == .f32 || p.dtype == .f64
      for _ in 0..<count {
        let x: Double
        switch distribution {
        case .normal: x = rng.normal()
        case .uniform: x = rng.uniform(-1, 1)
        case .heavyTailed:
          // t(2) = Z / sqrt(V / 2) with V ~ chi-square(2) = -2 ln U.
          let z = rng.normal()
          let u = 1 - rng.unit()
          let t = z / (-Foundation.log(u)).squareRoot()
          x = t.isFinite ? Swift.min(Swift.max(t, -1e4), 1e4) : 0
        case .nearOverflow: x = wide ? rng.uniform(-80, 80) : rng.uniform(-10, 10)
        case .withZeros:
          let z = rng.normal()
          x = rng.unit() < 0.25 ? 0 : z
        case .ties: x = Double(rng.integer(-3, 4))
        }
        values.append(p.dtype.round(x))
      }
    }
    return values
  }
}
