import KevcBasic
import KevcIR

/// The memory one call of a lowered program may take, checked once for every loop-level target at the end of
/// `LowerToLoops`, so that a schedule past the budget is a diagnostic (and an illegal candidate to the search),
/// never a stack overflow or a petabyte allocation at run time.
///
/// - **Stack.** `local` and `shared` buffers live in the stack frame of the function that runs them (LLVM:
///   allocas in the entry block): the kernel's own body, or one thread-pool task (the outlined body of a
///   `parallel` loop). The calling thread runs the kernel's body and also takes chunks of every parallel loop, so
///   the kernel's frame plus its largest task frame must fit in `maxStackBytes` (2 MiB: a quarter of glibc's
///   default 8 MiB thread stack, which the runtime's pool threads also get). Locals used outside any `allocate`
///   (program-level `local` temporaries) count in every frame.
///   `kevc.lower.stack-too-large`.
/// - **Workspace.** The caller-provided block of `workspace` and `global` temporaries: at most
///   `maxWorkspaceBytes` (64 GiB). `kevc.lower.workspace-too-large`.
///
/// Before (a legal trace with ten 1 MiB `stage` steps in one function): ten 1 MiB allocas, a 10 MiB frame, a
/// segmentation fault in `kevc run`. After: `error: local buffers of 'f' need 10485760 bytes of stack ...
/// [kevc.lower.stack-too-large]`.
public enum ResourceBudget {
  public static let maxStackBytes = 2 << 20
  public static let maxWorkspaceBytes = 64 << 30
  public static let stackTooLarge = DiagnosticID("lower", "stack-too-large")
  public static let workspaceTooLarge = DiagnosticID("lower", "workspace-too-large")

  /// Bytes of a buffer, nil past `ShapeLimits.maxElements` elements or on overflow.
  public static func bytes(of buffer: Buffer) -> Int? {
    guard let n = ShapeLimits.product(buffer.shape) else { return nil }
    let (b, overflow) = n.multipliedReportingOverflow(by: buffer.dtype.byteSize)
    return overflow ? nil : b
  }

  /// Throws when `program` needs more stack or workspace than the budget; `location` is the kernel's.
  public static func check(_ program: LoopProgram, at location: SourceLocation) throws(DiagnosticError) {
    var diagnostics: [Diagnostic] = []
    // The stack: frames of the kernel body and of each parallel task.
    var tasks: [Int] = []
    func frame(_ statements: [Stmt]) -> Int {
      var total = 0
      for s in statements {
        switch s {
        case .loop(let l):
          switch l.kind {
          case .parallel: tasks.append(frame(l.body))
          case .serial, .vectorized, .unrolled, .gpu: total = saturatingAdd(total, frame(l.body))
          }
        case .store: break
        case .ifThen(_, let then, let otherwise):
          total = saturatingAdd(total, saturatingAdd(frame(then), frame(otherwise)))
        case .allocate(let buffer, let body):
          total = saturatingAdd(total, saturatingAdd(bytes(of: buffer) ?? Int.max, frame(body)))
        }
      }
      return total
    }
    var shared = 0
    var workspace = 0
    for t in program.temporaries {
      switch t.scope {
      case .local, .shared: shared = saturatingAdd(shared, bytes(of: t) ?? Int.max)
      case .workspace, .global:
        // 64-byte alignment of each buffer, as the emitters place them.
        workspace = saturatingAdd(workspace, saturatingAdd(bytes(of: t) ?? Int.max, 63) / 64 * 64)
      }
    }
    let kernelFrame = saturatingAdd(shared, frame(program.body))
    let taskFrame = tasks.max().map { saturatingAdd(shared, $0) } ?? 0
    let stack = saturatingAdd(kernelFrame, taskFrame)
    if stack > maxStackBytes {
      diagnostics.append(
        .error(
          stackTooLarge,
          "local buffers of '\(program.name)' need \(describe(stack)) of stack per call (the kernel's frame "
            + "\(describe(kernelFrame)), its largest parallel task \(describe(taskFrame))); the limit is "
            + "\(describe(maxStackBytes)): stage or cache smaller tiles, or keep the buffer in the workspace",
          at: location))
    }
    if workspace > maxWorkspaceBytes {
      diagnostics.append(
        .error(
          workspaceTooLarge,
          "'\(program.name)' needs \(describe(workspace)) of workspace; the limit is \(describe(maxWorkspaceBytes)): "
            + "compute intermediates at their consumers (compute_at, inline) instead of whole",
          at: location))
    }
    if !diagnostics.isEmpty { throw DiagnosticError(diagnostics) }
  }

  static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
    let (s, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : s
  }

  /// `10485760 bytes (10.0 MiB)`; `more than 2^63 bytes` when the sum saturated.
  static func describe(_ bytes: Int) -> String {
    if bytes == Int.max { return "more than 2^63 bytes" }
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
    var value = Double(bytes)
    var unit = ""
    for u in units where value >= 1024 {
      value /= 1024
      unit = u
    }
    let tenths = Int((value * 10).rounded())
    return unit.isEmpty ? "\(bytes) bytes" : "\(bytes) bytes (\(tenths / 10).\(tenths % 10) \(unit))"
  }
}
