/// An owned LLVM module: verification, textual IR, cloning, and the hand-over of a module to ORC.
import CLLVM
import Foundation
import KevcBasic

final class IRModule {
  let ref: LLVMModuleRef
  /// Keeps the context alive for as long as the module exists (a module is disposed before its context).
  let context: IRContext
  private var owned = true

  init(name: String, context: IRContext) {
    self.context = context
    ref = name.withCString { LLVMModuleCreateWithNameInContext($0, context.ref) }
  }

  private init(adopting ref: LLVMModuleRef, context: IRContext) {
    self.ref = ref
    self.context = context
  }

  deinit {
    if owned { LLVMDisposeModule(ref) }
  }

  /// A deep copy in the same context (codegen mutates the module it emits, so emission works on a clone).
  func clone() -> IRModule {
    IRModule(adopting: LLVMCloneModule(ref), context: context)
  }

  /// A deep copy in a fresh context, through in-memory bitcode (lossless): what the JIT takes ownership of (ORC
  /// owns the context of any module it is given), without emitting and optimising the program a second time.
  func copyInNewContext() throws(DiagnosticError) -> IRModule {
    guard let buffer = LLVMWriteBitcodeToMemoryBuffer(ref) else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.jitFailed, "cannot write the module as bitcode")
    }
    defer { LLVMDisposeMemoryBuffer(buffer) }
    let context = IRContext()
    var copy: LLVMModuleRef?
    guard LLVMParseBitcodeInContext2(context.ref, buffer, &copy) == 0, let copy else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.jitFailed, "cannot read the module's bitcode back")
    }
    return IRModule(adopting: copy, context: context)
  }

  /// A module read from textual LLVM IR (a hand-written probe kernel; kevc's own kernels are built with the IR
  /// builder). A parse error is a kevc bug in that text.
  static func parse(_ text: String, context: IRContext) throws(DiagnosticError) -> IRModule {
    // The parser takes ownership of the buffer, also on failure.
    let buffer = text.withCString { LLVMCreateMemoryBufferWithMemoryRangeCopy($0, strlen($0), "probe") }
    var module: LLVMModuleRef?
    var message: UnsafeMutablePointer<CChar>?
    let failed = LLVMParseIRInContext(context.ref, buffer, &module, &message)
    let error = takeLLVMMessage(message)
    guard failed == 0, let module else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.invalidProgram, "cannot read llvm ir: \(cleanLLVMText(error))")
    }
    return IRModule(adopting: module, context: context)
  }

  /// The module as textual LLVM IR.
  var text: String { takeLLVMMessage(LLVMPrintModuleToString(ref)) }

  /// Checks the module's well-formedness; a failure means the emitter produced invalid IR (a kevc bug).
  func verify() throws(DiagnosticError) {
    var message: UnsafeMutablePointer<CChar>?
    let failed = LLVMVerifyModule(ref, LLVMReturnStatusAction, &message)
    let text = takeLLVMMessage(message)
    if failed != 0 {
      throw LLVMDiagnostic.error(LLVMDiagnostic.verifyFailed, "emitted llvm ir is invalid: \(cleanLLVMText(text))")
    }
  }

  /// Gives the module to ORC, together with its context. The module must not be used afterwards.
  func transferToThreadSafeModule() -> LLVMOrcThreadSafeModuleRef? {
    guard owned, let tsc = context.transferToThreadSafeContext() else { return nil }
    owned = false
    let tsm = LLVMOrcCreateNewThreadSafeModule(ref, tsc)
    // The module keeps the thread-safe context alive; our reference is no longer needed.
    LLVMOrcDisposeThreadSafeContext(tsc)
    return tsm
  }
}
