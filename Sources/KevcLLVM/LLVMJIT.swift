/// An owned ORC LLJIT instance for the host CPU that resolves external symbols (libm) from the running process,
/// and the kevc runtime (`kevc_parallel_for`, the thread pool of parallel loops) from KevcRuntime.
import CLLVM
import KevcBasic
import KevcRuntime

/// The address of the runtime's `kevc_parallel_for`, linked into this process through the KevcRuntime target.
/// It is defined in every JITDylib explicitly: an executable's symbols are only visible to the process symbol
/// generator when they are in its dynamic symbol table, which SwiftPM does not promise.
private let parallelForAddress: UInt64 = {
  let function: @convention(c) (Int64, kevc_parallel_body?, UnsafeMutableRawPointer?) -> Void = kevc_parallel_for
  return UInt64(UInt(bitPattern: unsafeBitCast(function, to: UnsafeRawPointer.self)))
}()

final class OrcJIT {
  private let ref: LLVMOrcLLJITRef

  /// Builds a JIT whose code generator is `machine`'s description (same triple, CPU, features, opt level).
  init(machine: HostTargetMachine) throws(DiagnosticError) {
    let builder = LLVMOrcCreateLLJITBuilder()
    // Ownership: the JIT target machine builder takes the target machine, the LLJIT builder takes the JTMB, and
    // LLVMOrcCreateLLJIT takes the builder (also when it fails).
    let jtmb = LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(try machine.makeTargetMachineForJIT())
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb)
    var jit: LLVMOrcLLJITRef?
    try checkLLVMError(LLVMOrcCreateLLJIT(&jit, builder), LLVMDiagnostic.jitFailed, "cannot create the llvm jit")
    guard let jit else { throw LLVMDiagnostic.error(LLVMDiagnostic.jitFailed, "cannot create the llvm jit") }
    ref = jit

    var generator: LLVMOrcDefinitionGeneratorRef?
    try checkLLVMError(
      LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&generator, LLVMOrcLLJITGetGlobalPrefix(jit), nil, nil),
      LLVMDiagnostic.jitFailed, "cannot make the process's symbols visible to the jit")
    if let generator {
      // The JITDylib takes ownership of the generator.
      LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(jit), generator)
    }

    // The runtime's entry points, as absolute symbols.
    var runtime = [
      LLVMOrcCSymbolMapPair(
        Name: LLVMOrcLLJITMangleAndIntern(jit, LoopEmitter.parallelForName),
        Sym: LLVMJITEvaluatedSymbol(
          Address: parallelForAddress,
          Flags: LLVMJITSymbolFlags(
            GenericFlags: UInt8(LLVMJITSymbolGenericFlagsExported.rawValue | LLVMJITSymbolGenericFlagsCallable.rawValue),
            TargetFlags: 0)))
    ]
    // The materialization unit takes the names; the JITDylib takes the unit (also on failure).
    let unit = runtime.withUnsafeMutableBufferPointer { LLVMOrcAbsoluteSymbols($0.baseAddress, $0.count) }
    try checkLLVMError(
      LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(jit), unit), LLVMDiagnostic.jitFailed,
      "cannot define the kevc runtime's symbols in the jit")
  }

  deinit {
    if let error = LLVMOrcDisposeLLJIT(ref) { LLVMConsumeError(error) }
  }

  /// Adds a module (and its context) to the JIT; the module object must not be used afterwards.
  func add(_ module: IRModule) throws(DiagnosticError) {
    guard let tsm = module.transferToThreadSafeModule() else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.jitFailed, "the module was already given to a jit")
    }
    // Ownership of the thread-safe module passes to the JIT, also on failure.
    try checkLLVMError(
      LLVMOrcLLJITAddLLVMIRModule(ref, LLVMOrcLLJITGetMainJITDylib(ref), tsm),
      LLVMDiagnostic.jitFailed, "the jit rejected the module")
  }

  /// Compiles (on first lookup) and returns the address of the function `name`.
  func address(of name: String) throws(DiagnosticError) -> UInt64 {
    var address: LLVMOrcExecutorAddress = 0
    // LLJIT's lookup takes the IR-level name and applies the platform's mangling itself.
    try checkLLVMError(
      name.withCString { LLVMOrcLLJITLookup(ref, &address, $0) }, LLVMDiagnostic.jitFailed,
      "cannot compile '\(name)' in the jit")
    guard address != 0 else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.jitFailed, "the jit returned no address for '\(name)'")
    }
    return address
  }
}
