import KevcBasic
import KevcIR

/// Facts of a bound kernel's compulsory cost that the GPU harness needs beside the floor itself (the floor is
/// `WorkloadCost` of KevcIR's `CostAnalysis.swift`, the same code as the CPU search's roofline).
public enum KernelCost {}

extension KernelCost {
  /// Whether the compulsory cost (`measured_cost`) can differ between inputs of the same shape: a load whose
  /// index, a select whose condition, or a reduction range whose bounds read data (a loaded value or a scalar
  /// parameter) decides which elements are read and which points are evaluated (gathers, jagged ranges,
  /// data-dependent branches). When false, the GPU harness measures the cost once per reference module.
  public static func dependsOnInputs(_ kernel: Kernel) -> Bool {
    func readsData(_ e: Expr) -> Bool {
      var found = false
      e.forEach { node in
        switch node {
        case .load, .scalar: found = true
        case .constant, .index, .dim, .unary, .binary, .select, .cast: break
        }
      }
      return found
    }
    func decidesByData(_ e: Expr) -> Bool {
      var found = false
      e.forEach { node in
        switch node {
        case .load(let l): if l.indices.contains(where: readsData) { found = true }
        case .select(let c, _, _): if readsData(c) { found = true }
        case .constant, .index, .dim, .scalar, .unary, .binary, .cast: break
        }
      }
      return found
    }
    return kernel.definitions.contains { d in
      decidesByData(d.body) || (d.reduction?.axes ?? []).contains { readsData($0.lowerBound) || readsData($0.upperBound) }
    }
  }
}
