/// The machine numbers of the roofline: a workload's floor (`WorkloadCost` in KevcIR's `CostAnalysis.swift`, the
/// same code the GPU harness's floor comes from) is max(bytes / B, flops / P) on a machine with bandwidth B and
/// peak P; the search reports each candidate's time as a fraction of that floor, and the roofline proposer reads
/// which side of the ridge a workload is on.
/// The machine numbers are measured once per target with two kevc kernels compiled like any other: a large copy
/// (bandwidth: bytes read and written per second) and independent multiply-add chains (peak: the arithmetic
/// throughput kevc's code generation reaches, which is below a datasheet FMA peak).
import Foundation
import KevcBasic
import KevcDriver
import KevcIR

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
