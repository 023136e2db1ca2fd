import ArgumentParser
import Foundation
import KevcBasic
import KevcCuTe
import KevcDriver
import KevcIR
import KevcTransforms

/// The `kevc` command line: a thin layer over KevcDriver.
@main
struct Kevc: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kevc",
    abstract: "A kernel compiler: tensor-expression specs to fast, checked kernels.",
    version: KevcVersion.string,
    subcommands: [
      Compile.self, Run.self, Opt.self, Interpret.self, Search.self, Report.self, DB.self, Agent.self, KB.self, Worker.self,
      Fuzz.self, DiffTest.self, Audit.self,
    ]
  )
}

extension InputKind: ExpressibleByArgument {}
extension DiagnosticRenderer.Format: ExpressibleByArgument {}

/// Options shared by every subcommand that reads a kernel.
struct InputOptions: ParsableArguments {
  @Argument(help: "A .kev spec or .kir IR file; '-' reads standard input.")
  var input: String

  @Option(
    name: .customShort("x"),
    help: "The input's kind: spec or ir. Default: from the file extension (.kev, .kir); required for '-'.")
  var language: InputKind?

  @Option(help: "Bind dims, e.g. M=1024,N=4096. Overrides the spec's 'dims' line.")
  var shape: String?

  @Option(help: "How to print errors: text (file:line:col with the source line) or json (one object per line).")
  var diagnostics: DiagnosticRenderer.Format = .text

  @Option(
    help:
      "Target: llvm (the host CPU, through LLVM 22), triton (GPU kernels as a Triton module) hip (HIP C++ from the loop IR; CUDA through kevc_hip.h) or cute (CuTe DSL Python from the loop IR).")
  var target: String = "llvm"

  @Option(
    name: .customLong("check-aot"),
    help: ArgumentHelp(
      "With --target triton: compile the module ahead of time for these GPU targets (e.g. cuda:90,hip:gfx942) with python/kevc_gpu/aot.py; with --target hip: for these AMD targets (gfx942) with clang++-19; with --target cute: for these NVIDIA architectures (sm_90a) with cute.compile and fake tensors. Errors become diagnostics.",
      valueName: "targets"))
  var checkAOT: String?

  @Option(
    name: .customLong("gpu"),
    help: ArgumentHelp(
      "With --target triton, hip or cute: size the default schedule for this GPU (cuda:90 or sm_90: H100/H200; hip:gfx942: MI300X; a comma-separated list: what all of them allow). Default: portable, what every supported GPU allows.",
      valueName: "gpu"))
  var gpu: String?

  @Option(
    name: .customLong("cute-mma"),
    help: "With --target cute: the matrix instruction of a dot, auto (the default: wgmma for sm_90a, the architecture a module is built for unless --check-aot names others; else sm80), sm80 (warp-level mma.sync atoms) or wgmma (Hopper warpgroups, sm_90a only).")
  var cuteMMA: String = "auto"

  @Flag(help: "Print the IR after every pass to standard error, marking passes that changed nothing.")
  var printIRAfterAll = false

  @Option(
    name: .customLong("print-ir-after"),
    help: ArgumentHelp(
      "Print the IR after the named pass (repeatable): parse-spec, lower-spec, bind-shapes, a transform (tile, split, ...), lower-to-loops, emit-llvm, optimize-llvm.",
      valueName: "pass"))
  var printIRAfter: [String] = []

  @Option(
    name: .customLong("print-ir-before"),
    help: ArgumentHelp("Print the IR before the named pass (repeatable; names as for --print-ir-after).", valueName: "pass"))
  var printIRBefore: [String] = []

  @Option(help: "The CPU to compile for: an LLVM CPU name (x86-64-v3 for portable x86 builds, znver4, ...) or native (default).")
  var cpu: String?

  @Option(name: .customLong("cpu-features"), help: "LLVM target features added to the CPU's, e.g. +avx2,+fma or -avx2.")
  var cpuFeatures: String?

  @Option(name: .customLong("opt-level"), help: "LLVM optimisation level, 0 to 3.")
  var optimizationLevel: Int = 3

  @Option(
    help: ArgumentHelp(
      "A trace of schedule transforms (text, one per line, or JSON) to apply instead of the target's default schedule.",
      valueName: "trace"))
  var schedule: String?

  @OptionGroup var contract: ContractOptions

  /// Reads the input and builds the compile request; throws located diagnostics.
  func request(stages: Set<Stage>) throws(DiagnosticError) -> CompileRequest {
    // (A GPU target's default output, its kernel source, is chosen by the caller: `kevc compile` asks for the
    // target's own stage; an explicit `--emit obj` for a GPU target is an error.)
    let commandLine = SourceLocation(file: "kevc", line: 0, column: 0)
    guard let compileTarget = CompileTarget(rawValue: target) else {
      throw DiagnosticError(
        .error(
          DiagnosticID("driver", "unknown-target"),
          "unknown target '\(target)'; available targets: \(CompileTarget.allCases.map(\.rawValue).joined(separator: ", "))",
          at: commandLine))
    }
    let aotTargets = checkAOT.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? []
    if !aotTargets.isEmpty && compileTarget == .llvm {
      throw DiagnosticError(
        .error(DiagnosticID("driver", "bad-option"), "--check-aot needs --target triton, hip or cute", at: commandLine))
    }
    guard (0...3).contains(optimizationLevel) else {
      throw DiagnosticError(
        .error(DiagnosticID("driver", "bad-option"), "--opt-level must be 0, 1, 2 or 3", at: commandLine))
    }
    let kind: InputKind
    if let language {
      kind = language
    } else if let inferred = InputKind(path: input) {
      kind = inferred
    } else {
      throw DiagnosticError(
        .error(
          DiagnosticID("driver", "unknown-input-kind"),
          input == "-"
            ? "reading standard input needs -x spec or -x ir"
            : "cannot tell the kind of '\(input)' from its extension; use -x spec or -x ir",
          at: commandLine))
    }
    let text: String
    if input == "-" {
      let data = FileHandle.standardInput.readDataToEndOfFile()
      text = String(decoding: data, as: UTF8.self)
    } else {
      guard let data = FileManager.default.contents(atPath: input) else {
        throw DiagnosticError(
          .error(DiagnosticID("driver", "no-such-file"), "cannot read '\(input)'", at: commandLine))
      }
      text = String(decoding: data, as: UTF8.self)
    }
    let overrides = try shape.map { text throws(DiagnosticError) in try ShapeArgument.parse(text) } ?? [:]
    var trace: Trace?
    if let schedule { trace = try readTraceFile(schedule, what: "schedule", at: commandLine) }
    var request = CompileRequest(
      source: SourceFile(path: input == "-" ? "<stdin>" : input, text: text), kind: kind,
      shapeOverrides: overrides, stages: stages, optimizationLevel: optimizationLevel, schedule: trace)
    request.target = compileTarget
    request.aotTargets = aotTargets
    request.matmulPrecision = try contract.value()
    if let gpu {
      guard compileTarget != .llvm else {
        throw DiagnosticError(
          .error(DiagnosticID("driver", "bad-option"), "--gpu needs --target triton, hip or cute", at: commandLine))
      }
      request.gpu = try gpuCapability(gpu, at: commandLine)
    }
    guard let mma = CuTeMMA(rawValue: cuteMMA) else {
      throw DiagnosticError(.error(DiagnosticID("driver", "bad-option"), "--cute-mma must be auto, sm80 or wgmma", at: commandLine))
    }
    if mma != .auto && compileTarget != .cute {
      throw DiagnosticError(.error(DiagnosticID("driver", "bad-option"), "--cute-mma needs --target cute", at: commandLine))
    }
    request.cuteMMA = mma
    if cpu != nil || cpuFeatures != nil {
      guard compileTarget == .llvm else {
        throw DiagnosticError(
          .error(DiagnosticID("driver", "bad-option"), "--cpu and --cpu-features need --target llvm", at: commandLine))
      }
      request.cpu = cpu
      request.cpuFeatures = cpuFeatures
    }
    return request
  }

  /// The printer of `--print-ir-after-all`, `--print-ir-after=PASS` and `--print-ir-before=PASS`; nil when none
  /// was given.
  var passPrinter: PassPrinter? {
    guard printIRAfterAll || !printIRAfter.isEmpty || !printIRBefore.isEmpty else { return nil }
    return PassPrinter(all: printIRAfterAll, after: Set(printIRAfter), before: Set(printIRBefore))
  }

  var observer: PassObserver? { passPrinter?.observer }

  /// Prints diagnostics to standard error and exits with status 1.
  func fail(_ error: DiagnosticError, source: SourceFile?) -> ExitCode {
    let renderer = DiagnosticRenderer(format: diagnostics, sources: source.map { [$0] } ?? [])
    FileHandle.standardError.write(Data(renderer.render(error.diagnostics).utf8))
    return ExitCode(1)
  }
}

/// `--matmul-precision`: the accuracy contract of the kernel's f32 contractions (docs/reliability.md), shared by
/// every command that reads a spec and schedules or checks it; it overrides the spec's `matmul_precision` line.
struct ContractOptions: ParsableArguments {
  @Option(
    name: .customLong("matmul-precision"),
    help: ArgumentHelp(
      "The accuracy of f32 contractions (as torch.set_float32_matmul_precision): highest (f32's; a dot may use tf32x3), high (also tf32 and bf16x3, checked at tf32's tolerance) or medium (also bf16, checked at bf16's). Overrides the spec's 'matmul_precision' line; default: the spec's, else highest.",
      valueName: "precision"))
  var matmulPrecision: String?

  /// The contract asked for; nil keeps the input's. An unknown value is a `kevc.driver.unknown-matmul-precision`.
  func value() throws(DiagnosticError) -> MatmulPrecision? {
    guard let matmulPrecision else { return nil }
    guard let value = MatmulPrecision(rawValue: matmulPrecision) else {
      throw DiagnosticError(
        .error(
          DiagnosticID("driver", "unknown-matmul-precision"),
          "unknown matmul precision '\(matmulPrecision)'; available: \(MatmulPrecision.spellings)",
          at: SourceLocation(file: "--matmul-precision", line: 1, column: 1)))
    }
    return value
  }

  /// A compile request for `source` with the contract applied.
  func request(_ source: SourceFile, kind: InputKind, stages: Set<Stage>) throws(DiagnosticError) -> CompileRequest {
    var r = CompileRequest(source: source, kind: kind, stages: stages)
    r.matmulPrecision = try value()
    return r
  }
}

/// A sketch the kernel's accuracy contract does not allow (`split-bf16x3` under `highest`) is an error, not a
/// schedule that silently drops its precision: `kevc.driver.sketch-beyond-matmul-precision`.
func checkSketch(_ sketch: GPUSketch, allowedFor kernel: Kernel, at location: SourceLocation) throws(DiagnosticError) {
  guard !sketch.isAllowed(under: kernel.matmulPrecision) else { return }
  throw DiagnosticError(
    .error(
      DiagnosticID("driver", "sketch-beyond-matmul-precision"),
      "sketch '\(sketch.name)' needs matmul_precision high or medium; the kernel asks for \(kernel.matmulPrecision) "
        + "(the spec's `matmul_precision` line or --matmul-precision)", at: location))
}

struct StageList: ExpressibleByArgument {
  var stages: [Stage]
  init?(argument: String) {
    var out: [Stage] = []
    for part in argument.split(separator: ",") {
      guard let s = Stage(rawValue: part.trimmingCharacters(in: .whitespaces)) else { return nil }
      out.append(s)
    }
    guard !out.isEmpty else { return nil }
    stages = out
  }
  static var allValueStrings: [String] { Stage.allCases.map(\.rawValue) }
}

/// The trace in a file (text or JSON, `Trace.parse`, diagnostics located in the file); a clear error when the
/// file cannot be read. `what` names it in that error (schedule, seed trace).
func readTraceFile(_ path: String, what: String, at location: SourceLocation) throws(DiagnosticError) -> Trace {
  guard let data = FileManager.default.contents(atPath: path) else {
    throw DiagnosticError(.error(DiagnosticID("driver", "no-such-file"), "cannot read \(what) '\(path)'", at: location))
  }
  return try Trace.parse(SourceFile(path: path, text: String(decoding: data, as: UTF8.self)))
}

/// The GPU `--gpu NAME` names (`GPUCapability.named`), or a located `kevc.driver.unknown-gpu` error.
func gpuCapability(_ name: String, at location: SourceLocation) throws(DiagnosticError) -> GPUCapability {
  guard let capability = GPUCapability.named(name) else {
    throw DiagnosticError(
      .error(
        DiagnosticID("driver", "unknown-gpu"),
        "unknown GPU '\(name)'; available: \(GPUCapability.known.map(\.name).joined(separator: ", ")) (or sm_90, gfx942)",
        at: location))
  }
  return capability
}
