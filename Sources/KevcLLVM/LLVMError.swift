/// Turns the LLVM C API's error channels (owned C strings and `LLVMErrorRef`) into kevc diagnostics.
///
/// Every message LLVM hands over is copied into a Swift string and then freed with the matching dispose call, so no
/// caller ever touches a C string it would have to free.
import CLLVM
import Foundation
import KevcBasic
import KevcIR

/// Diagnostic identifiers of the LLVM backend (domain `llvm`).
enum LLVMDiagnostic {
  static let unsupportedLoopKind = DiagnosticID("llvm", "unsupported-loop-kind")
  static let unknownName = DiagnosticID("llvm", "unknown-name")
  static let typeMismatch = DiagnosticID("llvm", "type-mismatch")
  static let unsupportedOperation = DiagnosticID("llvm", "unsupported-operation")
  static let invalidProgram = DiagnosticID("llvm", "invalid-program")
  static let invalidOptions = DiagnosticID("llvm", "invalid-options")
  static let verifyFailed = DiagnosticID("llvm", "verify-failed")
  static let targetUnavailable = DiagnosticID("llvm", "target-unavailable")
  static let optimizationFailed = DiagnosticID("llvm", "optimization-failed")
  static let emissionFailed = DiagnosticID("llvm", "emission-failed")
  static let jitFailed = DiagnosticID("llvm", "jit-failed")
  static let badArguments = DiagnosticID("llvm", "bad-arguments")
  static let io = DiagnosticID("llvm", "io")

  /// Loop IR carries no source locations, so backend diagnostics are unlocated.
  static func error(_ id: DiagnosticID, _ message: String) -> DiagnosticError {
    DiagnosticError(.error(id, message, at: .unknown))
  }
}

/// The CPU target's refusal of a loop bound to a GPU dimension (`bind(y, n, grid.x)`), read off the schedule: the
/// same diagnostic the loop emitter raises, found before anything is lowered, so that `kevc search` refuses such a
/// candidate on the LLVM target instead of compiling it (`CompileTarget.rejection`).
public func cpuBindingRejection(_ kernel: Kernel) -> DiagnosticError? {
  for d in kernel.definitions {
    for l in d.effectiveSchedule.loops {
      switch l.kind {
      case .gpu(let dimension):
        return LLVMDiagnostic.error(
          LLVMDiagnostic.unsupportedLoopKind,
          "loop '\(l.name)' of '\(d.name)' bound to \(dimension.rawValue) cannot be lowered to the CPU target")
      case .serial, .parallel, .vectorized, .unrolled: continue
      }
    }
  }
  return nil
}

/// Copies and frees a message that LLVM allocated (`char *` to be released with `LLVMDisposeMessage`).
func takeLLVMMessage(_ message: UnsafeMutablePointer<CChar>?) -> String {
  guard let message else { return "" }
  defer { LLVMDisposeMessage(message) }
  return String(cString: message)
}

/// Throws `id` with LLVM's message when `error` is set; consumes the error either way.
func checkLLVMError(_ error: LLVMErrorRef?, _ id: DiagnosticID, _ what: String) throws(DiagnosticError) {
  guard let error else { return }
  let raw = LLVMGetErrorMessage(error)  // consumes `error`
  var text = ""
  if let raw {
    text = String(cString: raw)
    LLVMDisposeErrorMessage(raw)
  }
  throw LLVMDiagnostic.error(id, "\(what): \(cleanLLVMText(text))")
}

/// LLVM messages are multi-line and capitalised; diagnostics want one lower-case line without a trailing period.
func cleanLLVMText(_ text: String) -> String {
  var line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
    .filter { !$0.isEmpty }.joined(separator: "; ")
  while line.hasSuffix(".") { line.removeLast() }
  if let first = line.first, first.isUppercase, line.dropFirst().first?.isUppercase != true {
    line = first.lowercased() + line.dropFirst()
  }
  return line.isEmpty ? "unknown llvm error" : line
}
