/// Whether a scheduled kernel can be lowered for a target: the one check `kevc search` applies to every candidate
/// on every target (a trace found on one target is checked the same way for the others).
import KevcBasic
import KevcCuTe
import KevcHIP
import KevcIR
import KevcLLVM
import KevcLowering
import KevcTriton

extension CompileTarget {
  /// Why `scheduled` (a kernel with its schedule applied) cannot be lowered for this target, as the diagnostics of
  /// the step that refuses it, or nil: one check for every target, shared by `kevc search` and the compile driver.
  /// The CPU and the loop-level GPU targets lower to loops (`ResourceBudget`, unsupported loop kinds) and print
  /// them (per-thread buffer limits); the CPU refuses a loop bound to a GPU dimension first (`cpuBindingRejection`,
  /// what its emitter would say after compiling); Triton builds its block-level program.
  public func rejection(of scheduled: Kernel) -> DiagnosticError? {
    do throws(DiagnosticError) {
      switch self {
      case .triton: _ = try TritonEmitter.emit(scheduled)
      case .llvm:
        if let bound = cpuBindingRejection(scheduled) { throw bound }
        _ = try LowerToLoops.lower(scheduled)
      case .hip: _ = try HIPEmitter.emit(try LowerToLoops.lower(scheduled), kernel: scheduled)
      case .cute: _ = try CuTeEmitter.emit(try LowerToLoops.lower(scheduled), kernel: scheduled)
      }
      return nil
    } catch {
      return error
    }
  }
}
