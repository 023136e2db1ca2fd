// LLVM 22's one-lane masked store miscompile with AVX-512 (lowering/llvm/avx512_one_lane_masked_store.ll) and
// kevc's rewrite of such stores into scalar stores (`MaskedStores.scalarizeOneLane`).
import CLLVM
import Foundation
import KevcBasic
@testable import KevcLLVM
import Testing

@Suite struct MaskedStoreTests {
  static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../lowering/llvm/avx512_one_lane_masked_store.ll").standardized

  /// The reproducer's assembly for x86-64-v4 (AVX-512F, BW, VL, DQ), with or without kevc's rewrite.
  static func assembly(rewritten: Bool) throws -> String {
    let machine = try HostTargetMachine(
      optimizationLevel: 3, cpu: "x86-64-v4", features: "+avx512f,+avx512bw,+avx512vl,+avx512dq")
    let module = try IRModule.parse(try String(contentsOf: source, encoding: .utf8), context: IRContext())
    machine.configure(module)
    if rewritten { #expect(MaskedStores.scalarizeOneLane(module) == 5) }
    try module.verify()
    return String(decoding: try machine.emit(module, as: LLVMAssemblyFile), as: UTF8.self)
  }

  /// The stores LLVM 22 gets wrong: the lane before the truncation, wider than the element.
  static let wideStores = ["vmovss\t%xmm0, (%rdi)", "vextractps\t$3, %xmm0, 6(%rdi)", "vmovlps\t%xmm0, (%rdi)"]

  /// Without the rewrite the one-lane stores are too wide (if this fails after an LLVM upgrade, the bug may be fixed
  /// and the rewrite can go); with it, each stores exactly its lane, and the two-lane store stays a masked one.
  @Test func oneLaneMaskedStoresAreScalarized() throws {
    guard LLVMTarget.triple.hasPrefix("x86_64") else { return }
    let before = try Self.assembly(rewritten: false)
    for store in Self.wideStores { #expect(before.contains(store), "\(store)") }
    let after = try Self.assembly(rewritten: true)
    for store in Self.wideStores { #expect(!after.contains(store), "\(store)") }
    #expect(after.contains("vpmovdw\t%xmm0, (%rdi) {%k1}"))
  }

  /// Which masks count as one lane: undefined lanes are off; a second enabled lane or a mask that is not constant is
  /// left alone.
  @Test func oneLaneMasks() throws {
    let context = IRContext()
    let i1 = LLVMInt1TypeInContext(context.ref)
    func mask(_ lanes: [Int?]) -> LLVMValueRef {
      var elements: [LLVMValueRef?] = lanes.map { $0.map { LLVMConstInt(i1, UInt64($0), 0) } ?? LLVMGetUndef(i1) }
      return LLVMConstVector(&elements, UInt32(elements.count))
    }
    #expect(MaskedStores.oneLane(mask([0, 0, 1, 0])) == 2)
    #expect(MaskedStores.oneLane(mask([nil, 1, nil, 0])) == 1)
    #expect(MaskedStores.oneLane(mask([1, 1, 0, 0])) == nil)
    #expect(MaskedStores.oneLane(mask([0, 0, 0, 0])) == nil)
  }
}
