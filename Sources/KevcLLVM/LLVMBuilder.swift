/// An owned LLVM instruction builder with the few instruction forms the loop emitter needs.
///
/// Values are LLVM SSA values; every helper inserts at the builder's current position. Intrinsic and library calls
/// are declared in the module on first use.
import CLLVM

final class IRBuilder {
  let ref: LLVMBuilderRef
  let module: IRModule
  var context: IRContext { module.context }

  /// `LLVMAttributeFunctionIndex` (~0): the attribute index of the function itself.
  static let functionIndex = LLVMAttributeIndex(UInt32.max)

  init(module: IRModule) {
    self.module = module
    ref = LLVMCreateBuilderInContext(module.context.ref)
  }

  deinit {
    LLVMDisposeBuilder(ref)
  }

  // MARK: Position and blocks

  var currentBlock: LLVMBasicBlockRef? { LLVMGetInsertBlock(ref) }

  func position(atEndOf block: LLVMBasicBlockRef) { LLVMPositionBuilderAtEnd(ref, block) }

  func appendBlock(_ name: String, to function: LLVMValueRef) -> LLVMBasicBlockRef {
    name.withCString { LLVMAppendBasicBlockInContext(context.ref, function, $0) }
  }

  /// Moves `block` to the end of its function and inserts there: blocks appear in the order code is emitted into
  /// them, which keeps the printed IR readable.
  func start(_ block: LLVMBasicBlockRef) {
    if let parent = LLVMGetBasicBlockParent(block), let last = LLVMGetLastBasicBlock(parent), last != block {
      LLVMMoveBasicBlockAfter(block, last)
    }
    position(atEndOf: block)
  }

  // MARK: Control flow

  @discardableResult func br(_ dest: LLVMBasicBlockRef) -> LLVMValueRef { LLVMBuildBr(ref, dest) }

  @discardableResult func condBr(_ c: LLVMValueRef, _ t: LLVMBasicBlockRef, _ f: LLVMBasicBlockRef) -> LLVMValueRef {
    LLVMBuildCondBr(ref, c, t, f)
  }

  @discardableResult func retVoid() -> LLVMValueRef { LLVMBuildRetVoid(ref) }

  func phi(_ type: LLVMTypeRef, _ name: String = "") -> LLVMValueRef { LLVMBuildPhi(ref, type, name) }

  func addIncoming(_ phi: LLVMValueRef, _ value: LLVMValueRef, _ block: LLVMBasicBlockRef) {
    var values: [LLVMValueRef?] = [value]
    var blocks: [LLVMBasicBlockRef?] = [block]
    LLVMAddIncoming(phi, &values, &blocks, 1)
  }

  // MARK: Memory

  func alloca(_ type: LLVMTypeRef, count: Int64, align: UInt32, _ name: String) -> LLVMValueRef {
    let a: LLVMValueRef = LLVMBuildArrayAlloca(ref, type, context.i64(count), name)
    LLVMSetAlignment(a, align)
    return a
  }

  func load(_ type: LLVMTypeRef, _ pointer: LLVMValueRef, _ name: String = "") -> LLVMValueRef {
    LLVMBuildLoad2(ref, type, pointer, name)
  }

  @discardableResult func store(_ value: LLVMValueRef, _ pointer: LLVMValueRef) -> LLVMValueRef {
    LLVMBuildStore(ref, value, pointer)
  }

  /// `&base[index]` for elements of `type`; `inbounds` promises the address stays inside the object.
  func gep(_ type: LLVMTypeRef, _ base: LLVMValueRef, _ index: LLVMValueRef, inbounds: Bool) -> LLVMValueRef {
    var indices: [LLVMValueRef?] = [index]
    let flags: LLVMGEPNoWrapFlags = inbounds ? LLVMGEPNoWrapFlags(LLVMGEPFlagInBounds) : 0
    return LLVMBuildGEPWithNoWrapFlags(ref, type, base, &indices, 1, "", flags)
  }

  // MARK: Arithmetic

  func add(_ a: LLVMValueRef, _ b: LLVMValueRef, nsw: Bool = false) -> LLVMValueRef {
    nsw ? LLVMBuildNSWAdd(ref, a, b, "") : LLVMBuildAdd(ref, a, b, "")
  }
  func sub(_ a: LLVMValueRef, _ b: LLVMValueRef, nsw: Bool = false) -> LLVMValueRef {
    nsw ? LLVMBuildNSWSub(ref, a, b, "") : LLVMBuildSub(ref, a, b, "")
  }
  func mul(_ a: LLVMValueRef, _ b: LLVMValueRef, nsw: Bool = false) -> LLVMValueRef {
    nsw ? LLVMBuildNSWMul(ref, a, b, "") : LLVMBuildMul(ref, a, b, "")
  }
  func sdiv(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildSDiv(ref, a, b, "") }
  func srem(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildSRem(ref, a, b, "") }
  func and(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildAnd(ref, a, b, "") }
  func or(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildOr(ref, a, b, "") }
  func xor(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildXor(ref, a, b, "") }
  func shl(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildShl(ref, a, b, "") }
  func lshr(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildLShr(ref, a, b, "") }
  func ashr(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildAShr(ref, a, b, "") }
  func fadd(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFAdd(ref, a, b, "") }
  func fsub(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFSub(ref, a, b, "") }
  func fmul(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFMul(ref, a, b, "") }
  func fdiv(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFDiv(ref, a, b, "") }
  func fneg(_ a: LLVMValueRef) -> LLVMValueRef { LLVMBuildFNeg(ref, a, "") }

  func icmp(_ p: LLVMIntPredicate, _ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
    LLVMBuildICmp(ref, p, a, b, "")
  }
  func fcmp(_ p: LLVMRealPredicate, _ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
    LLVMBuildFCmp(ref, p, a, b, "")
  }
  func select(_ c: LLVMValueRef, _ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
    LLVMBuildSelect(ref, c, a, b, "")
  }

  // MARK: Conversions

  func cast(_ op: LLVMOpcode, _ v: LLVMValueRef, _ type: LLVMTypeRef) -> LLVMValueRef {
    LLVMBuildCast(ref, op, v, type, "")
  }

  // MARK: Calls

  /// Calls the overloaded intrinsic `name` specialised to `overloads` (e.g. `llvm.exp` on `float`).
  func callIntrinsic(_ name: String, overloads: [LLVMTypeRef], _ args: [LLVMValueRef]) -> LLVMValueRef {
    let id = name.withCString { LLVMLookupIntrinsicID($0, name.utf8.count) }
    var types: [LLVMTypeRef?] = overloads
    let fn = types.withUnsafeMutableBufferPointer {
      LLVMGetIntrinsicDeclaration(module.ref, id, $0.baseAddress, $0.count)
    }
    let fnType = types.withUnsafeMutableBufferPointer {
      LLVMIntrinsicGetType(context.ref, id, $0.baseAddress, $0.count)
    }
    return call(fnType, fn, args)
  }

  /// Calls the external C function `name(type) -> type` (a libm function resolved by the linker or the JIT).
  func callLibrary(_ name: String, _ type: LLVMTypeRef, _ args: [LLVMValueRef]) -> LLVMValueRef {
    var params: [LLVMTypeRef?] = args.map { _ in type }
    let fnType = params.withUnsafeMutableBufferPointer { LLVMFunctionType(type, $0.baseAddress, UInt32($0.count), 0) }
    var fn = name.withCString { LLVMGetNamedFunction(module.ref, $0) }
    if fn == nil {
      let declared = name.withCString { LLVMAddFunction(module.ref, $0, fnType) }
      LLVMAddAttributeAtIndex(declared, IRBuilder.functionIndex,
        context.enumAttribute("nounwind"))
      LLVMAddAttributeAtIndex(declared, IRBuilder.functionIndex,
        context.enumAttribute("willreturn"))
      fn = declared
    }
    return call(fnType, fn, args)
  }

  private func call(_ fnType: LLVMTypeRef?, _ fn: LLVMValueRef?, _ args: [LLVMValueRef]) -> LLVMValueRef {
    var argv: [LLVMValueRef?] = args
    return argv.withUnsafeMutableBufferPointer {
      LLVMBuildCall2(ref, fnType, fn, $0.baseAddress, UInt32($0.count), "")
    }
  }
}
