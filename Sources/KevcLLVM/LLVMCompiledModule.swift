/// A loop program compiled to LLVM for the host CPU: its IR before and after optimisation, its assembly and object
/// code, and a JIT-compiled callable form.
import CLLVM
import Foundation
import KevcBasic
import KevcLowering

public struct LLVMCompileOptions: Sendable {
  /// 0...3, as `-O0` ... `-O3`: the `default<On>` pipeline and the code generator's level.
  public var optimizationLevel: Int
  /// Where the kernel comes from, for the diagnostic of a compile past `CompileTimeLimit`.
  public var location: SourceLocation
  /// The CPU to generate code for (`--cpu`, an LLVM CPU name such as `x86-64-v3` or `znver4`); nil: the host's.
  public var cpu: String?
  /// LLVM target features (`--cpu-features`, e.g. `+avx2,-avx512f`); nil: the host's with `--cpu` unset, else
  /// the named CPU's own.
  public var features: String?

  public init(
    optimizationLevel: Int = 3, cpu: String? = nil, features: String? = nil, location: SourceLocation = .unknown
  ) {
    self.optimizationLevel = optimizationLevel
    self.cpu = cpu
    self.features = features
    self.location = location
  }
}

/// Owns one optimised LLVM module (and its context). Not thread-safe; use one per thread.
public final class LLVMCompiledModule {
  private let program: LoopProgram
  private let machine: HostTargetMachine
  private let module: IRModule
  private let location: SourceLocation

  /// The module as emitted and verified, before any pass ran.
  public let unoptimizedIR: String
  /// Bytes of workspace the kernel needs (the last pointer of its argument array; see LoopEmitter.swift).
  public let workspaceSize: Int

  private init(program: LoopProgram, machine: HostTargetMachine, module: IRModule, unoptimizedIR: String,
    workspaceSize: Int, location: SourceLocation) {
    self.program = program
    self.location = location
    self.machine = machine
    self.module = module
    self.unoptimizedIR = unoptimizedIR
    self.workspaceSize = workspaceSize
  }

  public static func compile(
    _ program: LoopProgram, options: LLVMCompileOptions
  ) throws(DiagnosticError) -> LLVMCompiledModule {
    guard (0...3).contains(options.optimizationLevel) else {
      throw LLVMDiagnostic.error(
        LLVMDiagnostic.invalidOptions, "optimisation level \(options.optimizationLevel) is not in 0...3")
    }
    // AVX-512 only for a program whose schedule asks for 512-bit vectors (`LLVMTarget.asksForWideVectors`): with
    // it, LLVM also lowers scalar selects to mask-register moves, a longer dependence chain than AVX2's branches
    // (an argmax along a strided axis ran 2.2x slower), and other kernels lost as much (bench/kernelbench/
    // cpu-results-avx512.md).
    let features =
      LLVMTarget.asksForWideVectors(program) ? options.features : [options.features, "-avx512f"].compactMap { $0 }.joined(separator: ",")
    let machine = try HostTargetMachine(
      optimizationLevel: options.optimizationLevel, cpu: options.cpu, features: features)
    // Register tiles get a tail-free version for their full tiles (`FullTiles`): constant trip counts for LLVM. Then
    // the serial reduction loops skip the taps whose terms are zero (`TapBounds`: a convolution's padding), unless
    // `KEVC_TAP_BOUNDS=0` (the before/after switch of bench/cpu/conv-transposed/tap_ab.sh: one build for both).
    let versioned = FullTiles.version(program)
    let program =
      ProcessInfo.processInfo.environment["KEVC_TAP_BOUNDS"] == "0" ? versioned : TapBounds.apply(versioned)
    let layout = try WorkspaceLayout(program)
    let (module, unoptimized) = try CompileTimeLimit.guarding(
      "optimising at -O\(options.optimizationLevel)", kernel: program.name, at: options.location
    ) { () throws(DiagnosticError) in try build(program, machine: machine, context: IRContext()) }
    return LLVMCompiledModule(
      program: program, machine: machine, module: module, unoptimizedIR: unoptimized, workspaceSize: layout.size,
      location: options.location)
  }

  /// Emits, verifies and optimises the program in `context` for `machine`.
  private static func build(
    _ program: LoopProgram, machine: HostTargetMachine, context: IRContext
  ) throws(DiagnosticError) -> (IRModule, String) {
    let module = try LoopEmitter.emit(program, into: context)
    machine.configure(module)
    let unoptimized = module.text
    try machine.optimize(module)
    try module.verify()
    return (module, unoptimized)
  }

  /// The machine code was generated for: LLVM's triple, CPU name and feature string (recorded in `--emit meta`).
  public var targetDescription: (triple: String, cpu: String, features: String) {
    (machine.triple, machine.cpu, machine.features)
  }

  /// The module after the optimisation pipeline.
  public var llvmIR: String { module.text }

  /// Whether the kernel calls the kevc runtime's `kevc_parallel_for` (it has a parallel loop): an object file of it
  /// must then be linked with Sources/KevcRuntime/kevc_runtime.c.
  public var usesParallelRuntime: Bool { LLVMCompiledModule.hasParallelLoop(program.body) }

  private static func hasParallelLoop(_ statements: [Stmt]) -> Bool {
    statements.contains { s in
      switch s {
      case .loop(let loop):
        switch loop.kind {
        case .parallel: return true
        case .serial, .vectorized, .unrolled, .gpu: return hasParallelLoop(loop.body)
        }
      case .store: return false
      case .ifThen(_, let thenBody, let elseBody): return hasParallelLoop(thenBody) || hasParallelLoop(elseBody)
      case .allocate(_, let body): return hasParallelLoop(body)
      }
    }
  }

  private func guarding<T>(_ what: String, _ body: () throws(DiagnosticError) -> T) throws(DiagnosticError) -> T {
    try CompileTimeLimit.guarding(what, kernel: program.name, at: location, body)
  }

  /// Host assembly (AT&T syntax on x86).
  public func assembly() throws(DiagnosticError) -> String {
    let bytes = try guarding("generating assembly") { () throws(DiagnosticError) in
      try machine.emit(module, as: LLVMAssemblyFile)
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Writes a relocatable object file (ELF on Linux) that defines the kernel symbol.
  public func writeObject(to path: String) throws(DiagnosticError) {
    let bytes = try guarding("generating an object file") { () throws(DiagnosticError) in
      try machine.emit(module, as: LLVMObjectFile)
    }
    do {
      try Data(bytes).write(to: URL(fileURLWithPath: path))
    } catch {
      throw LLVMDiagnostic.error(LLVMDiagnostic.io, "cannot write '\(path)': \(error.localizedDescription)")
    }
  }

  /// Compiles the kernel into executable memory. The JIT gets its own copy of the optimised module, in a fresh
  /// context (ORC takes ownership of the context of any module it is given), copied through bitcode: it used to be
  /// emitted and optimised again, which doubled the -O3 pipeline of every search candidate's compile.
  public func jit() throws(DiagnosticError) -> JITKernel {
    let (jit, address) = try guarding("compiling for the jit") { () throws(DiagnosticError) in
      let module = try self.module.copyInNewContext()
      let jit = try OrcJIT(machine: machine)
      try jit.add(module)
      return (jit, try jit.address(of: program.name))
    }
    var sizes: [Int] = []
    for buffer in program.params + program.results { sizes.append(try WorkspaceLayout.byteSize(of: buffer)) }
    return JITKernel(jit: jit, address: address, name: program.name, argumentBytes: sizes,
      workspaceSize: workspaceSize)
  }
}
