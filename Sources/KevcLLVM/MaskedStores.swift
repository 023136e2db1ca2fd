/// A rewrite of the optimised module that keeps LLVM 22's x86 back end from miscompiling masked stores: with
/// AVX-512, a `llvm.masked.store` whose constant mask enables exactly one lane, of a truncated vector (`trunc <4 x
/// i32> to <4 x i16>`: a bf16 tail), is lowered to a scalar store of the lane before the truncation (`vmovss`, 4
/// bytes where 2 are due), writing past the end of the buffer. Every such store (truncated or not: the truncation
/// may be folded in during instruction selection) becomes an `extractelement` and a plain store of that lane, which
/// is what the mask asks for. Undefined mask lanes count as off, as the back end counts them.
/// lowering/llvm/avx512_one_lane_masked_store.ll is the reproducer (`llc-22 -mcpu=x86-64-v4`);
/// `MaskedStoreTests` checks the assembly before and after.
import CLLVM

enum MaskedStores {
  /// Rewrites every one-lane masked store of `module` in place; returns how many.
  @discardableResult
  static func scalarizeOneLane(_ module: IRModule) -> Int {
    var rewritten = 0
    var function = LLVMGetFirstFunction(module.ref)
    while let f = function {
      function = LLVMGetNextFunction(f)
      var length = 0
      guard let name = LLVMGetValueName2(f, &length), String(cString: name).hasPrefix("llvm.masked.store.") else {
        continue
      }
      var calls: [LLVMValueRef] = []
      var use = LLVMGetFirstUse(f)
      while let u = use {
        if let user = LLVMGetUser(u), LLVMIsACallInst(user) != nil, LLVMGetCalledValue(user) == f,
          LLVMGetNumArgOperands(user) == 3
        {
          calls.append(user)
        }
        use = LLVMGetNextUse(u)
      }
      for call in calls where rewrite(call) { rewritten += 1 }
    }
    return rewritten
  }

  /// The enabled lane of a constant mask that enables exactly one; nil for any other mask.
  static func oneLane(_ mask: LLVMValueRef) -> Int? {
    guard LLVMIsConstant(mask) != 0, LLVMGetTypeKind(LLVMTypeOf(mask)) == LLVMVectorTypeKind else { return nil }
    var lane: Int?
    for i in 0..<Int(LLVMGetVectorSize(LLVMTypeOf(mask))) {
      guard let e = LLVMGetAggregateElement(mask, UInt32(i)) else { return nil }
      if LLVMIsUndef(e) != 0 || LLVMIsPoison(e) != 0 { continue }
      guard LLVMIsAConstantInt(e) != nil else { return nil }
      if LLVMConstIntGetZExtValue(e) != 0 {
        if lane != nil { return nil }
        lane = i
      }
    }
    return lane
  }

  /// `llvm.masked.store(v, p, mask)` with one lane `l` enabled becomes `store (extractelement v, l), gep(p, l)`.
  private static func rewrite(_ call: LLVMValueRef) -> Bool {
    guard let value = LLVMGetOperand(call, 0), let pointer = LLVMGetOperand(call, 1), let mask = LLVMGetOperand(call, 2),
      let lane = oneLane(mask)
    else { return false }
    let context = LLVMGetTypeContext(LLVMTypeOf(value))
    let element = LLVMGetElementType(LLVMTypeOf(value))
    let builder = LLVMCreateBuilderInContext(context)
    defer { LLVMDisposeBuilder(builder) }
    LLVMPositionBuilderBefore(builder, call)
    let scalar = LLVMBuildExtractElement(builder, value, LLVMConstInt(LLVMInt64TypeInContext(context), UInt64(lane), 0), "")
    var offset: [LLVMValueRef?] = [LLVMConstInt(LLVMInt64TypeInContext(context), UInt64(lane), 0)]
    let address = LLVMBuildInBoundsGEP2(builder, element, pointer, &offset, 1, "")
    // Alignment 1: the mask's lane may sit anywhere in the vector (its offset decides what the pointer's alignment
    // guarantees); unaligned scalar stores cost nothing on x86.
    let store = LLVMBuildStore(builder, scalar, address)
    LLVMSetAlignment(store, 1)
    LLVMInstructionEraseFromParent(call)
    return true
  }
}
