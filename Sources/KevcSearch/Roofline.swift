/// The roofline floor of a workload and the machine numbers it is measured against.
///
/// A kernel must at least move its inputs and outputs once (bytes) and do its arithmetic (flops); on a machine with
/// bandwidth B and peak P no schedule beats max(bytes / B, flops / P). The search reports each candidate's time as a
/// fraction of that floor, and the roofline proposer reads which side of the ridge a workload is on.
/// The machine numbers are measured once per target with two kevc kernels compiled like any other: a large copy
/// (bandwidth: bytes read and written per second) and independent multiply-add chains (peak: the arithmetic
/// throughput kevc's code generation reaches, which is below a datasheet FMA peak).
import Foundation
import KevcBasic
import KevcDriver
import KevcIR

public struct WorkloadCost: Sendable, Hashable {
  /// Bytes of every input and output, each moved once.
  public var bytes: Double
  /// Arithmetic operations (adds, multiplies, divisions, max/min, transcendental calls) at the bound shape.
  public var flops: Double
  /// Points times reduction lengths, summed over definitions (how heavy the interpreter check is).
  public var work: Double

  /// Of a kernel with every dim bound.
  public init(_ k: Kernel) {
    let dims = k.dimBindings
    func count(_ shape: [SizeExpr]) -> Double {
      shape.reduce(1.0) { $0 * Double(max(0, $1.evaluate(dims) ?? 1)) }
    }
    var bytes = 0.0
    for p in k.params + k.results { bytes += count(p.shape) * Double(p.dtype.byteSize) }
    var flops = 0.0
    var work = 0.0
    for d in k.definitions {
      let points = count(d.shape)
      var length = 1.0
      var ops = Double(Self.operations(d.body))
      if let r = d.reduction {
        for a in r.axes {
          let lo = k.constantValue(a.lowerBound) ?? 0
          let hi = k.constantValue(a.upperBound) ?? (lo + 1)
          length *= Double(max(1, hi - lo))
        }
        switch r.op {
        case .sum, .prod, .max, .min: ops += 1
        case .argmax, .argmin: ops += 1
        case .tuple:
          for e in (r.combiner?.otherElements ?? []) + (r.combiner?.combine ?? []) { ops += Double(Self.operations(e)) }
        }
      }
      flops += points * length * ops
      work += points * length
    }
    self.bytes = bytes
    self.flops = flops
    self.work = work
  }

  static func operations(_ e: Expr) -> Int {
    var n = 0
    e.forEach { x in
      switch x {
      case .binary(let op, _, _):
        switch op {
        case .add, .sub, .mul, .div, .mod, .max, .min, .pow: n += 1
        case .eq, .ne, .lt, .le, .gt, .ge, .and, .or: break
        }
      case .unary(let op, _):
        switch op {
        case .neg, .not, .isnan: break
        case .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .erf, .floor, .ceil: n += 1
        }
      case .constant, .index, .dim, .scalar, .load, .select, .cast: break
      }
    }
    return n
  }

  /// The shortest time any schedule can take on the machine.
  public func floorSeconds(_ m: MachinePeaks) -> Double {
    max(bytes / max(m.bandwidth, 1), flops / max(m.peakFlops, 1))
  }

  /// Whether the memory side of the roofline dominates.
  public func isMemoryBound(_ m: MachinePeaks) -> Bool { bytes / max(m.bandwidth, 1) >= flops / max(m.peakFlops, 1) }
}

/// Bandwidth (bytes/s) and arithmetic peak (flops/s) of a target.
public struct MachinePeaks: Sendable, Hashable, Codable {
  public var bandwidth: Double
  public var peakFlops: Double
  public init(bandwidth: Double, peakFlops: Double) {
    self.bandwidth = bandwidth
    self.peakFlops = peakFlops
  }
}

public enum MachineProbe {
  /// Elements of the copy kernel (64 MiB per buffer: past the caches).
  static let copyElements = 1 << 24
  /// Elements and independent chains of the arithmetic kernel.
  static let peakElements = 1 << 18
  static let chains = 32
  static let chainLength = 4

  /// Measures the machine with two compiled kernels; takes well under a second or two.
  public static func measure() throws(DiagnosticError) -> MachinePeaks {
    let copy = """
      kernel kevc_probe_copy(x: f32[N]) -> (y: f32[N]) {
        dims N = \(copyElements)
        y[i] = x[i]
      }
      """
    let copyTime = try time(copy, elements: copyElements)
    let bandwidth = Double(copyElements) * 8 / copyTime

    // Independent chains of p(x) = ((x * a + b) * a + b) ...: 2 flops per step, no shared dependency.
    var terms: [String] = []
    for c in 0..<chains {
      var e = "(x[i] + \(c).0)"
      for s in 0..<chainLength { e = "(\(e) * 0.99\(s % 10) + 0.0\(s % 7 + 1))" }
      terms.append(e)
    }
    let peak = """
      kernel kevc_probe_peak(x: f32[N]) -> (y: f32[N]) {
        dims N = \(peakElements)
        y[i] = \(terms.joined(separator: " + "))
      }
      """
    let peakTime = try time(peak, elements: peakElements)
    let flops = Double(peakElements) * Double(chains * (chainLength * 2 + 1) + chains - 1)
    return MachinePeaks(bandwidth: bandwidth, peakFlops: flops / peakTime)
  }

  static func time(_ text: String, elements: Int) throws(DiagnosticError) -> Double {
    let request = CompileRequest(source: SourceFile(path: "<machine probe>", text: text), kind: .spec, stages: [.llvm])
    let result = try Compiler.compile(request)
    guard let module = result.module else {
      throw DiagnosticError(.error(DiagnosticID("search", "probe"), "the machine probe did not compile", at: .unknown))
    }
    let jit = try module.jit()
    var buffers = [[UInt8]](repeating: [UInt8](repeating: 0, count: elements * 4), count: 2)
    let samples = try jit.time(&buffers, iterations: 3, repeats: 5)
    return max(samples.min() ?? 1, 1e-9)
  }
}
