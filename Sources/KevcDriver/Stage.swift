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
  /// The Triton kernel compiled for an NVIDIA GPU (`cuda:90`, or the first cuda target of `--check-aot`), no GPU
  /// needed; a module of one kernel (target triton).
  case cubin
  /// The same for an AMD GPU (`hip:gfx942`, or the first hip target of `--check-aot`).
  case hsaco
  /// A C launcher over the CUDA driver API with every kernel's cubin embedded (`NAME.launcher.c`; its declarations
  /// are the `header` stage of target triton).
  case launcher
  /// A Python module registering the kernel as the PyTorch custom op `kevc::NAME`, with shape checks and a fake
  /// implementation for torch.compile (`NAME_torch.py`).
  case torch
  /// Loop IR: the target-neutral loop nests after lowering (naive schedule), loads proven in bounds marked.
  case lowered
  /// The placement decisions of every target (`NestPlan`: where producers are opened and live, local or in-place
  /// accumulation; on Triton its kernels' decisions, `tl.dot` included), and for hip and cute the thread plan of the
  /// loop IR: phases, loops mapped to threads with their spans and guards, workspace, and what each thread runs
  /// (`ThreadPlan`); the emitters only print them.
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
  /// A C header declaring the entry point, the shape as macros, a checked entry point taking the sizes, and the
  /// one line that links it (docs/build.md).
  case header
  /// A static library (`lib<name>.a`): the object file plus the kevc runtime, so that it links on its own.
  case lib
  /// The kevc runtime alone as a static library (`libkevc_runtime.a`), for programs that link object files.
  case runtime
  /// A shared library (`lib<name>.so`): the object plus the runtime, for loading at run time (the SwiftPM plugin).
  case shared
  /// A Swift wrapper (`<name>.swift`) that loads `lib<name>.so` from its module's resources and calls the kernel
  /// with typed pointers and checked sizes (written by the SwiftPM plugin, Plugins/KevcPlugin).
  case swift
  /// JSON describing the build: kevc's version, the spec and IR hashes, the target (CPU or GPU), the shape, the
  /// schedule's trace and the tuning record it came from (`BuildMetadata`).
  case meta

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
    case .cubin: return "cubin"
    case .hsaco: return "hsaco"
    case .launcher: return "launcher.c"
    case .torch: return "torch.py"
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
    case .lib: return "a"
    case .runtime: return "a"
    case .meta: return "meta.json"
    case .shared: return "so"
    case .swift: return "swift"
    }
  }

  /// The file a stage is written to for the output stem `stem` (`--name`, else the kernel's name): `stem.ext`,
  /// except the libraries: `libstem.a`, and the runtime's fixed `libkevc_runtime.a`.
  public func fileName(stem: String) -> String {
    switch self {
    case .lib: return "lib\(stem).a"
    case .shared: return "lib\(stem).so"
    case .runtime: return "libkevc_runtime.a"
    // An importable module name: no dot in the stem.
    case .torch: return "\(stem)_torch.py"
    case .ast, .ir, .torchRef, .scheduled, .triton, .cubin, .hsaco, .launcher, .lowered, .plan, .hip, .hipModule, .cute,
      .llvmUnoptimized, .llvm, .asm,
      .obj, .header, .meta, .swift:
      return "\(stem).\(fileExtension)"
    }
  }

  public var isBinary: Bool {
    switch self {
    case .obj, .lib, .runtime, .shared, .cubin, .hsaco: return true
    case .ast, .ir, .torchRef, .scheduled, .triton, .launcher, .torch, .lowered, .plan, .hip, .hipModule, .cute,
      .llvmUnoptimized, .llvm, .asm, .header,
      .meta, .swift:
      return false
    }
  }

  /// Whether the stage exists only for the loop-level targets (LLVM, HIP, CuTe), not for Triton: the loop IR and
  /// everything after it (`header` exists for LLVM and Triton: the object's declaration, or the GPU launcher's;
  /// `plan` for every target: the placement decisions, with the thread plan or the Triton kernels' decisions).
  public var isLoopLevel: Bool {
    switch self {
    case .lowered, .hip, .hipModule, .cute, .llvmUnoptimized, .llvm, .asm, .obj, .lib, .runtime, .shared, .swift:
      return true
    case .ast, .ir, .torchRef, .scheduled, .triton, .cubin, .hsaco, .launcher, .torch, .header, .meta, .plan: return false
    }
  }

  /// Whether the stage exists only for target triton (the module and what is built from it).
  public var isGPU: Bool {
    switch self {
    case .triton, .cubin, .hsaco, .launcher, .torch: return true
    case .ast, .ir, .torchRef, .scheduled, .lowered, .plan, .hip, .hipModule, .cute, .llvmUnoptimized, .llvm, .asm, .obj,
      .header, .lib, .runtime,
      .shared, .swift, .meta:
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
  /// The module the GPU harness imports for this target (`kevc run`, `kevc search`): `triton`, `hip-py` or `cute`;
  /// nil for the host CPU, whose candidates are JIT-compiled and checked against the interpreter.
  public var harnessStage: Stage? {
    switch self {
    case .llvm: return nil
    case .triton: return .triton
    case .hip: return .hipModule
    case .cute: return .cute
    }
  }

  /// The stages this target produces, in pipeline order (what `--dump-dir` writes when no `--emit` is given).
  public var stages: [Stage] {
    Stage.allCases.filter { stage in
      switch stage {
      case .ast, .ir, .torchRef, .scheduled, .meta: return true
      case .triton: return self == .triton
      // Compiled by Triton (a second or so each): written only when asked for.
      case .cubin, .hsaco, .launcher, .torch: return false
      case .lowered: return self != .triton
      case .plan: return true
      case .hip, .hipModule: return self == .hip
      case .cute: return self == .cute
      case .llvmUnoptimized, .llvm, .asm, .obj, .header: return self == .llvm
      // The libraries need a C compiler for the runtime: written only when asked for.
      case .lib, .runtime, .shared, .swift: return false
      }
    }
  }
}
