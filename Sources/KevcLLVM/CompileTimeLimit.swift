/// A bound on the time LLVM may spend optimising and generating code for one kernel: defence in depth against
/// compiles that never end (LLVM 22's loop vectorizer once went exponential on an unrolled argmax; see
/// ConditionalRecurrences.swift for the fix of that pattern).
///
/// LLVM cannot be interrupted in the middle of a pass, so a compile past the limit ends the process: a watchdog thread
/// prints a located diagnostic and exits with status 1,
///
///     specs/x.kev:1:1: error: llvm did not finish compiling kernel 'x' within 300 s (optimising at -O3); no code
///     was produced [kevc.llvm.compile-timeout]
///
/// or, where a process runs its own handler (`onTimeout`: a difftest child records the program as a compile timeout,
/// a search worker writes a `timeout` result whose error starts with `compile_timeout:`), calls that instead. The
/// limit is `KEVC_COMPILE_TIMEOUT` seconds (default 600; 0: no limit) unless a process sets `seconds`.
import Foundation
import KevcBasic

public enum CompileTimeLimit {
  public static let diagnosticID = DiagnosticID("llvm", "compile-timeout")

  /// Seconds one guarded step may take; 0 or less: no limit.
  nonisolated(unsafe) public static var seconds: Double = {
    if let text = ProcessInfo.processInfo.environment["KEVC_COMPILE_TIMEOUT"], let v = Double(text), v.isFinite {
      return v
    }
    return 600
  }()

  /// Called on the watchdog thread with the diagnostic when a step runs past the limit; it must end the process
  /// (the compile it interrupts never returns). nil: print the diagnostic to standard error and exit with status 1.
  nonisolated(unsafe) public static var onTimeout: (@Sendable (Diagnostic) -> Void)? = nil

  /// Runs `body` (one LLVM step: `what` of kernel `kernel`) under the limit.
  static func guarding<T>(
    _ what: String, kernel: String, at location: SourceLocation, _ body: () throws(DiagnosticError) -> T
  ) throws(DiagnosticError) -> T {
    let limit = seconds
    guard limit > 0, limit.isFinite else { return try body() }
    let done = DispatchSemaphore(value: 0)
    let seconds = limit >= 1 ? String(Int(limit.rounded(.up))) : String(format: "%g", limit)
    let diagnostic = Diagnostic.error(
      diagnosticID,
      "llvm did not finish compiling kernel '\(kernel)' within \(seconds) s (\(what)); no code was produced",
      at: location)
    let handler = onTimeout
    Thread.detachNewThread {
      guard done.wait(timeout: .now() + limit) == .timedOut else { return }
      if let handler { handler(diagnostic) }
      FileHandle.standardError.write(Data("\(diagnostic)\n".utf8))
      _exit(1)
    }
    defer { done.signal() }
    return try body()
  }
}
