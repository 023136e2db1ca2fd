import Foundation
import KevcIR

/// The human-readable summary `kevc run` prints.
public enum RunReportText {
  public static func render(_ report: KernelCheck.Report, kernel: Kernel) -> String {
    let shape = kernel.dims.compactMap { d in d.value.map { "\(d.name)=\($0)" } }.joined(separator: ",")
    var lines = ["kernel \(kernel.name)" + (shape.isEmpty ? "" : " [\(shape)]")]
    for (i, trial) in report.trials.enumerated() {
      let results = trial.comparisons.map { name, c in
        "\(name): max abs \(format(c.maxAbsError)) rel \(format(c.maxRelError))"
          + (c.passed
            ? (c.widening > 1 ? " (within \(format(c.widening))x the tolerance: the dtype's own error on this input)" : "")
            : " FAIL (\(c.reason))")
      }.joined(separator: "; ")
      let clobbered = trial.clobberedInputs.isEmpty ? "" : "; inputs written: \(trial.clobberedInputs.joined(separator: ", "))"
      lines.append("  trial \(i + 1) \(trial.distribution) seed \(trial.seed): \(results)\(clobbered)")
    }
    if report.trials.isEmpty {
      lines.append("correctness: not checked (--trials 0)")
    } else {
      lines.append(
        "worst error: abs \(format(report.worstAbsoluteError)) rel \(format(report.worstRelativeError))")
    }
    if let t = report.secondsPerCall { lines.append("time per call: \(formatTime(t)) (median)") }
    lines.append(report.trials.isEmpty ? "UNCHECKED" : report.passed ? "PASS" : "FAIL")
    return lines.joined(separator: "\n")
  }

  static func format(_ x: Double) -> String { String(format: "%.3g", x) }

  static func formatTime(_ seconds: Double) -> String {
    if seconds < 1e-3 { return String(format: "%.2f us", seconds * 1e6) }
    if seconds < 1 { return String(format: "%.3f ms", seconds * 1e3) }
    return String(format: "%.3f s", seconds)
  }
}
