import Foundation
import KevcBasic
import KevcIR
import KevcLLVM
import KevcLowering
import KevcSpec
import KevcTorch
import KevcTransforms
import KevcTriton
import KevcHIP
import KevcCuTe

/// The compilation pipeline: spec (or IR) -> kernel IR -> bound shapes -> loop IR -> LLVM.
///
/// Stages run in order and stop after the last one requested. Every artifact is produced in memory; nothing is
/// written until the whole request has succeeded (`ArtifactWriter`), so a failing compile leaves no files behind.
public struct CompileRequest: Sendable {
  public var source: SourceFile
  public var kind: InputKind
  /// `--shape` values; they override the spec's `dims` line.
  public var shapeOverrides: [String: Int]
  public var stages: Set<Stage>
  public var optimizationLevel: Int
  /// The schedule to apply after binding shapes; nil applies the target's default schedule.
  public var schedule: Trace?
  /// What to generate code for: the default schedule and the stages after `scheduled` depend on it.
  public var target: CompileTarget = .llvm
  /// Triton only: GPU targets (`cuda:90`, `hip:gfx942`) to compile the module for ahead of time; a kernel Triton
  /// rejects is an error located in the module (`python/kevc_gpu/aot.py`).
  public var aotTargets: [String] = []
  /// The GPU a block-level target's default schedule is sized for (`kevc --gpu`): its multiprocessors, shared
  /// memory and registers. Nil: `GPUCapability.portable`, what every supported GPU allows (one module for all).
  public var gpu: GPUCapability?
  /// CuTe only: the matrix instruction of a `dot` (`--cute-mma`): SM80 `mma.sync` atoms, Hopper's `wgmma`, or
  /// `auto`: from the architecture (`CuTeMMA.resolved(archs:)` with `aotTargets`).
  public var cuteMMA: CuTeMMA = .auto
  /// `--matmul-precision`: the accuracy contract of the kernel's f32 contractions, overriding the spec's (or the
  /// IR's) `matmul_precision`; nil keeps the input's.
  public var matmulPrecision: MatmulPrecision?
  /// The C symbol of the entry point (`--name`); nil keeps the kernel's name (the JIT's lookups, the goldens).
  /// `kevc compile` passes `--name` or `Compiler.defaultSymbol`, which differs between shapes.
  public var symbol: String?
  /// With no `symbol`: export `Compiler.defaultSymbol` (the kernel's name and a hash of the shape) instead of the
  /// kernel's name.
  public var shapeSymbol = false
  /// The file stem of the outputs (`--name`, else the kernel's name), named in the header's link line.
  public var stem: String?
  /// `--cpu` / `--cpu-features`: the CPU baseline of the LLVM target (nil: the host).
  public var cpu: String?
  public var cpuFeatures: String?
  /// A C compiler and archiver for the `lib` and `runtime` stages (the runtime is C): `$CC`/`$AR`, else cc/ar.
  public var cCompiler: String = ProcessInfo.processInfo.environment["CC"].flatMap { $0.isEmpty ? nil : $0 } ?? "cc"
  public var archiver: String = ProcessInfo.processInfo.environment["AR"].flatMap { $0.isEmpty ? nil : $0 } ?? "ar"

  public init(
    source: SourceFile, kind: InputKind, shapeOverrides: [String: Int] = [:], stages: Set<Stage>,
    optimizationLevel: Int = 3, schedule: Trace? = nil, matmulPrecision: MatmulPrecision? = nil
  ) {
    self.matmulPrecision = matmulPrecision
    self.source = source
    self.kind = kind
    self.shapeOverrides = shapeOverrides
    self.stages = stages
    self.optimizationLevel = optimizationLevel
    self.schedule = schedule
  }
}

/// What a compilation produced: the kernel at every stage reached, and the requested artifacts.
public struct CompileResult {
  /// The kernel IR as written in the source (dims as declared).
  public var kernel: Kernel
  /// The kernel IR with every dim bound (what later stages compile).
  public var boundKernel: Kernel?
  public var loops: LoopProgram?
  public var module: LLVMCompiledModule?
  public var artifacts: [Stage: Data]
  /// The schedule applied (the given trace, or the target's default); nil before scheduling.
  public var trace: Trace?
  /// The C symbol of the entry point (LLVM target).
  public var symbol: String?
}

/// Receives `--print-ir-after-all` output: the pass name, whether it changed the IR, and the printed IR.
public typealias PassObserver = (_ pass: String, _ changed: Bool, _ text: String) -> Void

public enum Compiler {
  public static func compile(
    _ request: CompileRequest, observer: PassObserver? = nil
  ) throws(DiagnosticError) -> CompileResult {
    let last = request.stages.max() ?? .ir
    var artifacts: [Stage: Data] = [:]
    func keep(_ stage: Stage, _ text: @autoclosure () -> String) {
      if request.stages.contains(stage) { artifacts[stage] = Data(text().utf8) }
    }

    // Front end.
    var kernel: Kernel
    switch request.kind {
    case .spec:
      let ast = try SpecParser.parse(request.source)
      if observer != nil || request.stages.contains(.ast) {
        let text = SpecASTPrinter.print(ast)
        observer?("parse-spec", true, text)
        keep(.ast, text)
      }
      kernel = try SpecLowering.lower(ast)
      observer?("lower-spec", true, IRPrinter.print(kernel))
    case .ir:
      if request.stages.contains(.ast) {
        throw DiagnosticError(
          .error(
            DiagnosticID("driver", "stage-unavailable"), "stage 'ast' is not available for an IR input",
            at: SourceLocation(file: request.source.path, line: 1, column: 1)))
      }
      kernel = try IRParser.parse(request.source)
      observer?("parse-ir", true, IRPrinter.print(kernel))
    }
    if let contract = request.matmulPrecision { kernel.matmulPrecision = contract }
    let problems = Verifier.verify(kernel) + ScheduleVerifier.verify(kernel)
    if !problems.isEmpty { throw DiagnosticError(problems) }
    keep(.ir, IRPrinter.print(kernel))
    var result = CompileResult(kernel: kernel, artifacts: artifacts)
    guard last > .ir else { return result }

    // Specialise to one shape.
    let commandLine = SourceLocation(file: "<command line>", line: 1, column: 1)
    let bound = try kernel.binding(request.shapeOverrides, location: commandLine)
    observer?("bind-shapes", bound != kernel, IRPrinter.print(bound))
    // The torch reference reads the bound, unscheduled IR only.
    if request.stages.contains(.torchRef) { artifacts[.torchRef] = Data(try TorchReferenceEmitter.emit(bound).utf8) }
    guard last > .torchRef else {
      result.boundKernel = bound
      result.artifacts = artifacts
      return result
    }

    // Schedule: the given trace, or the default one for the target, one transform at a time.
    let trace =
      request.schedule
      ?? (request.target == .llvm
        ? DefaultSchedule.cpu(for: bound, targetCPU: request.cpu, features: request.cpuFeatures)
        : DefaultSchedule.gpu(
          for: bound, capability: request.gpu ?? .portable, sketch: .defaultSketch(forTarget: request.target.rawValue)))
    let scheduled: Kernel
    do {
      scheduled = try trace.applyObserving(to: bound) { _, step, k, changed in
        observer?(TraceText.print(step), changed, IRPrinter.print(k))
      }
    } catch {
      throw DiagnosticError(error.diagnostic)
    }
    // The block-level target's index width per kernel (IndexWidth) is part of what the schedule decided.
    let widthNotes = request.target == .triton ? IndexWidth.notes(scheduled) : ""
    keep(.scheduled, IRPrinter.print(scheduled) + MaxRescaledCombiner.notes(scheduled) + WelfordCombiner.notes(scheduled) + widthNotes)
    result.trace = trace
    if request.target == .triton || request.stages.contains(where: \.isGPU) {
      result.boundKernel = scheduled
      result.artifacts = artifacts
      try emitTriton(scheduled, request, &result)
      return result
    }
    result.boundKernel = scheduled
    guard last > .scheduled else {
      result.artifacts = artifacts
      return result
    }

    // Loop IR.
    var loops = try LowerToLoops.lower(scheduled)
    if let symbol = request.symbol {
      loops.name = try checkedSymbol(symbol)
    } else if request.shapeSymbol {
      loops.name = defaultSymbol(scheduled)
    }
    result.symbol = loops.name
    let loopText = LoopPrinter.print(loops)
    observer?("lower-to-loops", true, loopText)
    keep(.lowered, loopText)
    // The placement decisions the loop lowering read (NestPlan); hip and cute add their thread plan.
    keep(.plan, LowerToLoops.plan(scheduled).text)
    result.loops = loops
    switch request.target {
    case .hip:
      result.artifacts = artifacts
      try emitHIP(loops, scheduled, request, &result)
      return result
    case .cute:
      result.artifacts = artifacts
      try emitCuTe(loops, scheduled, request, &result)
      return result
    case .llvm, .triton: break
    }
    guard last > .plan else {
      result.artifacts = artifacts
      return result
    }

    // LLVM.
    let module = try LLVMCompiledModule.compile(
      loops,
      options: LLVMCompileOptions(
        optimizationLevel: request.optimizationLevel, cpu: request.cpu, features: request.cpuFeatures,
        location: scheduled.location))
    observer?("emit-llvm", true, module.unoptimizedIR)
    observer?("optimize-llvm", module.unoptimizedIR != module.llvmIR, module.llvmIR)
    keep(.llvmUnoptimized, module.unoptimizedIR)
    keep(.llvm, module.llvmIR)
    if request.stages.contains(.asm) { artifacts[.asm] = Data(try module.assembly().utf8) }
    if request.stages.contains(.obj) { artifacts[.obj] = try objectFile(module) }
    keep(.header, CHeader.render(
        loops, dims: scheduled.dims.compactMap { d in d.value.map { (d.name, $0) } },
        workspaceSize: module.workspaceSize, sourcePath: request.source.path, stem: request.stem,
        usesParallelRuntime: module.usesParallelRuntime))
    if request.stages.contains(.shared) {
      artifacts[.shared] = try RuntimeLibrary.sharedLibrary(object: try objectFile(module), cCompiler: request.cCompiler)
    }
    keep(.swift, SwiftWrapper.render(
        loops, dims: scheduled.dims.compactMap { d in d.value.map { (d.name, $0) } },
        workspaceSize: module.workspaceSize, sourcePath: request.source.path, stem: request.stem ?? scheduled.name))
    if request.stages.contains(.runtime) || request.stages.contains(.lib) {
      let runtime = try RuntimeLibrary.objects(cCompiler: request.cCompiler)
      if request.stages.contains(.runtime) {
        artifacts[.runtime] = try RuntimeLibrary.archive(runtime, archiver: request.archiver)
      }
      if request.stages.contains(.lib) {
        let object = try objectFile(module)
        artifacts[.lib] = try RuntimeLibrary.archive(
          [("\(loops.name).o", object)] + runtime, archiver: request.archiver)
      }
    }
    result.module = module
    result.artifacts = artifacts
    return result
  }
}

extension Compiler {
  /// The object file of a compiled module.
  static func objectFile(_ module: LLVMCompiledModule) throws(DiagnosticError) -> Data {
    let scratch = FileManager.default.temporaryDirectory
      .appendingPathComponent("kevc-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).o").path
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    try module.writeObject(to: scratch)
    guard let data = FileManager.default.contents(atPath: scratch) else {
      throw DiagnosticError(
        .error(
          DiagnosticID("driver", "io"), "cannot read the object file LLVM wrote",
          at: SourceLocation(file: "<command line>", line: 1, column: 1)))
    }
    return data
  }

  /// The default C symbol of a kernel bound to a shape: its name and 8 hex digits of the shape
  /// (`softmax_3f2a91c0`), so that two shapes of one spec never export the same symbol.
  public static func defaultSymbol(_ kernel: Kernel) -> String {
    let shape = kernel.dims.compactMap { d in d.value.map { "\(d.name)=\($0)" } }.joined(separator: ",")
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in shape.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    let hex = String(UInt32(truncatingIfNeeded: hash ^ (hash >> 32)), radix: 16)
    return kernel.name + "_" + String(repeating: "0", count: 8 - hex.count) + hex
  }

  /// `symbol` when it is a C identifier (the entry point and the file stem), else a diagnostic.
  public static func checkedSymbol(_ symbol: String) throws(DiagnosticError) -> String {
    let bytes = Array(symbol.utf8)
    let ok =
      !bytes.isEmpty && bytes.count <= 200
      && bytes.enumerated().allSatisfy { i, b in
        b == UInt8(ascii: "_") || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (i > 0 && b >= 48 && b <= 57)
      }
    guard ok else {
      throw DiagnosticError(
        .error(
          DiagnosticID("driver", "bad-name"),
          "--name '\(symbol)' is not a C identifier (letters, digits and '_', not starting with a digit)",
          at: SourceLocation(file: "<command line>", line: 1, column: 1)))
    }
    return symbol
  }

  /// The Triton target: the module for the scheduled kernel (stage `triton`), checked ahead of time for the
  /// requested GPU targets. Loop-level stages do not exist for this target.
  static func emitTriton(_ scheduled: Kernel, _ request: CompileRequest, _ result: inout CompileResult) throws(DiagnosticError) {
    let commandLine = SourceLocation(file: "<command line>", line: 1, column: 1)
    guard request.target == .triton else {
      let names = request.stages.filter(\.isGPU).sorted().map(\.rawValue).joined(separator: ", ")
      throw DiagnosticError(
        .error(DiagnosticID("driver", "stage-unavailable"), "stage '\(names)' needs --target triton", at: commandLine))
    }
    let loopStages = request.stages.filter(\.isLoopLevel)
    if !loopStages.isEmpty {
      let names = loopStages.sorted().map(\.rawValue).joined(separator: ", ")
      throw DiagnosticError(
        .error(
          DiagnosticID("driver", "stage-unavailable"),
          "stage '\(names)' is not available for target triton (it emits 'triton', the Python module)",
          at: commandLine))
    }
    let deployable: [Stage] = [.cubin, .hsaco, .launcher, .torch, .header]
    guard
      request.stages.contains(.triton) || request.stages.contains(.plan) || !request.aotTargets.isEmpty
        || deployable.contains(where: request.stages.contains)
    else { return }
    let scheduleName = request.schedule.map { t in t.locations.first.map { "schedule \($0.file)" } ?? "a given schedule" } ?? "the default GPU schedule"
    let origin = "\(request.source.path), \(scheduleName)"
    let module = try TritonEmitter.emit(scheduled, origin: origin)
    result.artifacts[.triton] = Data(module.source.utf8)
    if request.stages.contains(.plan) { result.artifacts[.plan] = Data(module.plan.utf8) }
    let symbol = try request.symbol.map { s throws(DiagnosticError) in try checkedSymbol(s) }
      ?? (request.shapeSymbol ? defaultSymbol(scheduled) : scheduled.name)
    result.symbol = symbol
    if deployable.contains(where: request.stages.contains) {
      let cuda = request.aotTargets.first { $0.hasPrefix("cuda:") } ?? "cuda:90"
      let hip = request.aotTargets.first { $0.hasPrefix("hip:") } ?? "hip:gfx942"
      let wantsLauncher = request.stages.contains(.launcher) || request.stages.contains(.header)
      var wanted = TritonArtifacts.Request(
        cubin: request.stages.contains(.cubin) ? cuda : nil, hsaco: request.stages.contains(.hsaco) ? hip : nil,
        launcher: wantsLauncher ? cuda : nil, torch: request.stages.contains(.torch))
      wanted.include = Stage.header.fileName(stem: request.stem ?? scheduled.name)
      let built = try TritonArtifacts.build(module: module.source, name: symbol, wanted)
      for stage in deployable where request.stages.contains(stage) {
        result.artifacts[stage] = built[stage.rawValue]
      }
    }
    guard !request.aotTargets.isEmpty else { return }
    // The same text as the 'triton' artifact, so lines match a module written with -o.
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("kevc-\(ProcessInfo.processInfo.processIdentifier)-\(scheduled.name).triton.py").path
    guard FileManager.default.createFile(atPath: path, contents: Data(module.source.utf8)) else {
      throw DiagnosticError(.error(DiagnosticID("driver", "io"), "cannot write '\(path)'", at: commandLine))
    }
    let outcomes = try TritonAOT.compile(modules: [path], targets: request.aotTargets)
    let problems = TritonAOT.diagnostics(outcomes, origin: "generated from \(origin)")
    if !problems.isEmpty { throw DiagnosticError(problems) }
    try? FileManager.default.removeItem(atPath: path)
  }
}

extension Compiler {
  /// The HIP target: C++ source from the loop IR (stage `hip`) and its harness module (`hip-py`); with
  /// `aotTargets` (`gfx942`), the source is compiled with clang for each AMD target and errors are diagnostics.
  static func emitHIP(_ loops: LoopProgram, _ scheduled: Kernel, _ request: CompileRequest, _ result: inout CompileResult)
    throws(DiagnosticError)
  {
    let commandLine = SourceLocation(file: "<command line>", line: 1, column: 1)
    // The stages this target produces (CompileTarget.stages) are the only ones it can write.
    let llvmStages = request.stages.filter { !CompileTarget.hip.stages.contains($0) }
    if !llvmStages.isEmpty {
      let names = llvmStages.sorted().map(\.rawValue).joined(separator: ",")
      throw DiagnosticError(
        .error(
          DiagnosticID("driver", "stage-unavailable"), "stage '\(names)' is not available for target hip (use --emit hip)",
          at: commandLine))
    }
    let origin = request.source.path + (request.schedule == nil ? ", the default GPU schedule" : ", the given schedule")
    if request.stages.contains(.plan) {
      let contractions = LowerToLoops.contractions(scheduled)
      result.artifacts[.plan] = Data((ThreadPlan(loops, contractions: contractions).text(loops) + LowerToLoops.plan(scheduled).text).utf8)
    }
    let output = try HIPEmitter.emit(loops, kernel: scheduled, origin: origin)
    result.artifacts[.hip] = Data(output.source.utf8)
    if request.stages.contains(.hipModule) {
      result.artifacts[.hipModule] = Data(
        HIPModule.render(output, kernel: scheduled, program: loops, origin: origin).utf8)
    }
    for arch in request.aotTargets {
      let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("kevc-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)-\(scheduled.name).hip").path
      defer { try? FileManager.default.removeItem(atPath: path) }
      _ = try HIPAOT.compile(source: output.source, path: path, arch: arch.hasPrefix("hip:") ? String(arch.dropFirst(4)) : arch)
    }
  }
}

extension Compiler {
  /// The CuTe DSL target: the module printed from the loop IR's thread plan (stage `cute`); with `aotTargets`
  /// (`sm_90a`), compiled with fake tensors by python/kevc_gpu/cute_aot.py and errors located in the module.
  static func emitCuTe(_ loops: LoopProgram, _ scheduled: Kernel, _ request: CompileRequest, _ result: inout CompileResult)
    throws(DiagnosticError)
  {
    let commandLine = SourceLocation(file: "<command line>", line: 1, column: 1)
    let unavailable = request.stages.filter { !CompileTarget.cute.stages.contains($0) }
    if !unavailable.isEmpty {
      let names = unavailable.sorted().map(\.rawValue).joined(separator: ",")
      throw DiagnosticError(
        .error(
          DiagnosticID("driver", "stage-unavailable"), "stage '\(names)' is not available for target cute (use --emit cute)",
          at: commandLine))
    }
    let origin = request.source.path + (request.schedule == nil ? ", the default GPU schedule" : ", the given schedule")
    let mma = request.cuteMMA.resolved(archs: request.aotTargets)
    if request.stages.contains(.plan) {
      result.artifacts[.plan] = Data(
        (CuTeEmitter.planText(loops, kernel: scheduled, mma: mma) + LowerToLoops.plan(scheduled).text).utf8)
    }
    let module = try CuTeEmitter.emit(loops, kernel: scheduled, origin: origin, mma: mma)
    result.artifacts[.cute] = Data(module.utf8)
    guard !request.aotTargets.isEmpty else { return }
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("kevc-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)-\(scheduled.name).cute.py").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try CuTeAOT.compile(module: module, path: path, archs: request.aotTargets, origin: origin)
  }
}

extension DefaultSchedule {
  /// The default CPU schedule for the LLVM target that compiles the kernel: `cpu` and `features` as `--cpu` and
  /// `--cpu-features` give them (nil: this machine), whose vector registers size rule 3a's register tile.
  public static func cpu(for kernel: Kernel, targetCPU cpu: String?, features: String?) -> Trace {
    self.cpu(for: kernel, machine: cpuMachine(llvmFeatures: LLVMTarget.features(cpu: cpu, features: features)))
  }
}
