import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Keeps the input being executed where a fatal signal handler can write it out, so a fuzzing child process that
/// traps (SIGILL/SIGTRAP from a Swift precondition, SIGSEGV from a stack overflow, SIGBUS, SIGFPE, SIGABRT) leaves
/// the input behind for its supervisor. A watchdog thread treats an input that runs longer than a limit as a hang:
/// it writes the input the same way and aborts the process.
///
/// The crash file holds, little-endian: the input's index (8 bytes), the number of inputs recorded by the process
/// (8 bytes, the crashing one included), the signal (4 bytes; 0 for a hang, -1 for a compile past
/// `CompileTimeLimit`), then the input's bytes. Recording an input is one copy into a preallocated buffer; nothing is written unless the process
/// dies. The handler runs on its own stack (sigaltstack), so a stack overflow is caught too.
public enum CrashCapture {
  // The handler reads these while the main thread may be stopped anywhere: plain memory, no Swift runtime calls.
  // Only `record` (on the executing thread) writes them; the watchdog reads `executions` racily, which can only
  // delay hang detection by one poll.
  nonisolated(unsafe) static var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
  nonisolated(unsafe) static var capacity = 1 << 16
  nonisolated(unsafe) static var count = 0
  nonisolated(unsafe) static var header = UnsafeMutablePointer<UInt8>.allocate(capacity: 20)
  nonisolated(unsafe) static var path: UnsafeMutablePointer<CChar>? = nil
  nonisolated(unsafe) static var executions = 0

  static let signals: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT]

  /// Installs the handlers and, when `hangSeconds > 0`, the watchdog. The crash file is created only on a crash.
  public static func install(crashFile: String, hangSeconds: Double) {
    path = strdup(crashFile)
    let altStackSize = 1 << 16
    var stack = stack_t()
    stack.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: altStackSize, alignment: 16)
    stack.ss_size = altStackSize
    stack.ss_flags = 0
    sigaltstack(&stack, nil)
    for sig in signals {
      var action = sigaction()
      #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = fatalSignalHandler
      #else
        action.__sigaction_u.__sa_handler = fatalSignalHandler
      #endif
      action.sa_flags = Int32(SA_ONSTACK)
      sigaction(sig, &action, nil)
    }
    if hangSeconds > 0 {
      let poll = min(1.0, hangSeconds / 4)
      Thread.detachNewThread {
        var seen = -1
        var since = Date()
        while true {
          Thread.sleep(forTimeInterval: poll)
          let now = executions
          if now != seen {
            seen = now
            since = Date()
          } else if Date().timeIntervalSince(since) > hangSeconds {
            writeCrashFile(signal: 0)
            signal(SIGABRT, SIG_DFL)
            abort()
          }
        }
      }
    }
  }

  /// The crash file's signal for an input whose LLVM compile ran past `CompileTimeLimit` (`compileTimedOut`).
  public static let compileTimeoutSignal: Int32 = -1

  /// Records the input being executed as a compile timeout and aborts (call from `CompileTimeLimit.onTimeout`).
  public static func compileTimedOut() -> Never {
    writeCrashFile(signal: compileTimeoutSignal)
    signal(SIGABRT, SIG_DFL)
    abort()
  }

  /// Makes `input` (number `index` of the run) the one a crash reports.
  public static func record(_ input: [UInt8], index: Int) {
    if input.count > capacity {
      let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: input.count)
      let old = buffer
      count = 0
      buffer = grown
      capacity = input.count
      old.deallocate()
    }
    input.withUnsafeBufferPointer { src in
      if let base = src.baseAddress { buffer.update(from: base, count: src.count) }
    }
    count = input.count
    executions &+= 1
    var i = UInt64(bitPattern: Int64(index)).littleEndian
    withUnsafeBytes(of: &i) { raw in for k in 0..<8 { header[k] = raw[k] } }
    var n = UInt64(bitPattern: Int64(executions)).littleEndian
    withUnsafeBytes(of: &n) { raw in for k in 0..<8 { header[8 + k] = raw[k] } }
  }

  static func writeCrashFile(signal: Int32) {
    guard let path else { return }
    var s = UInt32(bitPattern: signal).littleEndian
    withUnsafeBytes(of: &s) { raw in for k in 0..<4 { header[16 + k] = raw[k] } }
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { return }
    _ = write(fd, header, 20)
    _ = write(fd, buffer, count)
    close(fd)
  }

  /// Reads a crash file: the index, the inputs the process recorded, the signal (0: a hang) and the input.
  public static func read(crashFile: String) -> (index: Int, recorded: Int, signal: Int32, input: [UInt8])? {
    guard let data = FileManager.default.contents(atPath: crashFile), data.count >= 20 else { return nil }
    let bytes = Array(data)
    func word(_ at: Int, _ size: Int) -> UInt64 {
      (0..<size).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }
    return (
      Int(Int64(bitPattern: word(0, 8))), Int(Int64(bitPattern: word(8, 8))), Int32(bitPattern: UInt32(word(16, 4))),
      Array(bytes[20...])
    )
  }
}

/// Writes the recorded input, then dies of the same signal with the default action (so the exit status tells
/// the supervisor which signal it was).
private func fatalSignalHandler(_ sig: Int32) {
  CrashCapture.writeCrashFile(signal: sig)
  signal(sig, SIG_DFL)
  raise(sig)
}
