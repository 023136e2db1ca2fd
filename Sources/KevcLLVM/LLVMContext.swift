/// An owned LLVM context: the arena that holds the types, constants and modules of one compilation.
///
/// kevc never uses LLVM's global context: every compilation (and every JIT instance) gets its own, which is what
/// makes separate compilations safe to run on separate threads.
import CLLVM

final class IRContext {
  let ref: LLVMContextRef
  /// False once ownership has moved to an ORC thread-safe context.
  private var owned = true

  init() {
    ref = LLVMContextCreate()
  }

  /// Hands the context to ORC (which disposes it when the last module using it is gone). The caller must keep this
  /// object alive while it still uses `ref` and must not dispose anything else in it.
  func transferToThreadSafeContext() -> LLVMOrcThreadSafeContextRef? {
    guard owned else { return nil }
    owned = false
    return LLVMOrcCreateNewThreadSafeContextFromLLVMContext(ref)
  }

  deinit {
    if owned { LLVMContextDispose(ref) }
  }

  // MARK: Types

  var void: LLVMTypeRef { LLVMVoidTypeInContext(ref) }
  var i1: LLVMTypeRef { LLVMInt1TypeInContext(ref) }
  var i8: LLVMTypeRef { LLVMInt8TypeInContext(ref) }
  var i16: LLVMTypeRef { LLVMInt16TypeInContext(ref) }
  var i32: LLVMTypeRef { LLVMInt32TypeInContext(ref) }
  var i64: LLVMTypeRef { LLVMInt64TypeInContext(ref) }
  var half: LLVMTypeRef { LLVMHalfTypeInContext(ref) }
  var float: LLVMTypeRef { LLVMFloatTypeInContext(ref) }
  var double: LLVMTypeRef { LLVMDoubleTypeInContext(ref) }
  var ptr: LLVMTypeRef { LLVMPointerTypeInContext(ref, 0) }

  func int(_ type: LLVMTypeRef, _ value: Int64) -> LLVMValueRef {
    LLVMConstInt(type, UInt64(bitPattern: value), 1)
  }

  func i64(_ value: Int64) -> LLVMValueRef { int(i64, value) }
  func i32(_ value: Int32) -> LLVMValueRef { int(i32, Int64(value)) }
  func bool(_ value: Bool) -> LLVMValueRef { LLVMConstInt(i1, value ? 1 : 0, 0) }
  func real(_ type: LLVMTypeRef, _ value: Double) -> LLVMValueRef { LLVMConstReal(type, value) }

  // MARK: Metadata

  func mdString(_ s: String) -> LLVMMetadataRef {
    s.withCString { LLVMMDStringInContext2(ref, $0, s.utf8.count) }
  }

  func mdNode(_ operands: [LLVMMetadataRef?]) -> LLVMMetadataRef {
    var ops = operands
    return ops.withUnsafeMutableBufferPointer { LLVMMDNodeInContext2(ref, $0.baseAddress, $0.count) }
  }

  func mdConstant(_ value: LLVMValueRef) -> LLVMMetadataRef { LLVMValueAsMetadata(value) }

  func metadataKind(_ name: String) -> UInt32 {
    name.withCString { LLVMGetMDKindIDInContext(ref, $0, UInt32(name.utf8.count)) }
  }

  func enumAttribute(_ name: String, _ value: UInt64 = 0) -> LLVMAttributeRef {
    let kind = name.withCString { LLVMGetEnumAttributeKindForName($0, name.utf8.count) }
    return LLVMCreateEnumAttribute(ref, kind, value)
  }
}
