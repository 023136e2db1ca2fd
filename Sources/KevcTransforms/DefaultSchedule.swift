import KevcBasic
import KevcIR

/// The schedule a target gets when the user gives none, derived from the IR's structure only (never from names).
public enum DefaultSchedule {
  /// CPU (LLVM): for now the natural schedule (serial loop nests in definition order).
  public static func cpu(for kernel: Kernel) -> Trace {
    Trace([])
  }
}
