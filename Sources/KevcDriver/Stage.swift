/// The stages of a compilation, in pipeline order. Each stage has one textual (or binary) artifact that
/// `kevc compile --emit` writes; `--dump-dir` writes one file per stage.
public enum Stage: String, CaseIterable, Comparable, Sendable {
  /// The parsed spec (an indented dump of the syntax tree).
  case ast
  /// Kernel IR as produced from the spec, verified; re-parses with `-x ir`.
  case ir
  /// A PyTorch module computing every result in float64 from the unscheduled IR with every dim bound (the oracle
  /// of the GPU harness; `TorchReferenceEmitter`).
  case torchRef = "torch-ref"
  /// Kernel IR with every dim bound and the schedule (`--schedule` trace, or the target's default) applied.
  case scheduled
  /// A Python module of Triton kernels for the scheduled IR, with its `KEVC` metadata and `launch` (target triton).
  case triton
  /// Loop IR: the target-neutral loop nests after lowering (naive schedule), loads proven in bounds marked.
  case lowered
  /// The thread plan of the loop IR (target hip): phases, loops mapped to threads with their spans and guards,
  /// workspace, and what each thread runs (`ThreadPlan`); the HIP emitter only prints it.
  case plan
  /// C++ HIP source printed from the thread plan (target hip); it includes python/kevc_gpu/kevc_hip.h.
  case hip
  /// The harness module of target hip: the HIP source compiled as CUDA with nvcc when imported, `KEVC`, `launch`.
  case hipModule = "hip-py"
  /// A CuTe DSL Python module printed from the thread plan (target cute), with `KEVC`, `launch` and `compile_aot`.
  case cute
  /// LLVM IR before optimisation.
  case llvmUnoptimized = "llvm-unopt"
  /// LLVM IR after the O3 pipeline for the host CPU.
  case llvm
  /// Host assembly.
  case asm
  /// A relocatable object file for the host, with the kernel's C ABI entry point.
  case obj
  /// A C header declaring the entry point and documenting the argument array.
  case header

  public static func < (a: Stage, b: Stage) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }

  /// File extension used by `--dump-dir` and default output names.
  public var fileExtension: String {
    switch self {
    case .ast: return "ast.txt"
    case .ir: return "kir"
    case .torchRef: return "ref.py"
    case .scheduled: return "scheduled.kir"
    case .triton: return "triton.py"
    case .lowered: return "loops"
    case .plan: return "plan.txt"
    case .hip: return "hip"
    case .hipModule: return "hip.py"
    case .cute: return "cute.py"
    case .llvmUnoptimized: return "unopt.ll"
    case .llvm: return "ll"
    case .asm: return "s"
    case .obj: return "o"
    case .header: return "h"
    }
  }

  public var isBinary: Bool {
    switch self {
    case .obj: return true
    case .ast, .ir, .torchRef, .scheduled, .triton, .lowered, .plan, .hip, .hipModule, .cute, .llvmUnoptimized, .llvm, .asm, .header:
      return false
    }
  }
}

/// What a compilation starts from.
public enum InputKind: String, CaseIterable, Sendable {
  /// A `.kev` kernel specification.
  case spec
  /// A `.kir` kernel IR file (any stage's `--emit ir` output).
  case ir

  /// The kind implied by a file name, or nil when the extension is unknown.
  public init?(path: String) {
    if path.hasSuffix(".kev") {
      self = .spec
    } else if path.hasSuffix(".kir") {
      self = .ir
    } else {
      return nil
    }
  }
}

/// What a compilation produces code for.
public enum CompileTarget: String, CaseIterable, Sendable {
  /// The host CPU through LLVM (loop IR, JIT, object files).
  case llvm
  /// Triton kernels (block-level GPU code, Python source), compiled ahead of time by `python/kevc_gpu/aot.py`.
  case triton
  /// HIP C++ from the loop IR (AMD gfx942 through clang; CUDA through kevc_hip.h and nvcc on the harness).
  case hip
  /// CuTe DSL Python from the loop IR (nvidia-cutlass-dsl; sm_90a ahead of time with fake tensors).
  case cute
}

extension CompileTarget {
  /// The stages this target produces, in pipeline order (what `--dump-dir` writes when no `--emit` is given).
  public var stages: [Stage] {
    Stage.allCases.filter { stage in
      switch stage {
      case .ast, .ir, .torchRef, .scheduled: return true
      case .triton: return self == .triton
      case .lowered: return self != .triton
      case .plan: return self == .hip || self == .cute
      case .hip, .hipModule: return self == .hip
      case .cute: return self == .cute
      case .llvmUnoptimized, .llvm, .asm, .obj, .header: return self == .llvm
      }
    }
  }
}
