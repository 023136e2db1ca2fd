/// An owned ORC LLJIT instance for the host CPU that resolves external symbols (libm) from the running process.
import CLLVM
import KevcBasic

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
