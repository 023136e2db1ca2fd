; LLVM 22 x86 miscompile, pinned for kevc (not an emitter golden: Tests/KevcLLVMTests/MaskedStoreTests.swift reads it).
; A masked store whose constant mask enables one lane, of a truncated vector, is stored as the lane before the
; truncation. `llc-22 -O3 -mcpu=x86-64-v4 avx512_one_lane_masked_store.ll` (or -mcpu=emeraldrapids, this VM's CPU):
;   store_one_lane:      vmovss %xmm0, (%rdi)   4 bytes where one i16 (2 bytes) is due: past the end of the buffer
;   store_one_lane_v8:   vextractps $3, %xmm0, 6(%rdi)   4 bytes for lane 3's i16
;   store_one_lane_i8:   vmovss %xmm0, (%rdi)   4 bytes for one i8
;   store_one_lane_i64:  vmovlps %xmm0, (%rdi)  8 bytes for one i32 (AVX-512F alone is enough for this one)
;   store_two_lanes:     vpmovdw %xmm0, (%rdi) {%k1}   correct (a masked truncating store)
;   store_one_lane_plain: vpextrw $0, %xmm0, (%rdi)    correct (nothing truncated)
; With -mcpu=x86-64-v3 (AVX2) every function stores exactly its enabled lanes. kevc's bf16 stores are such truncations
; (`trunc <n x i32> to <n x i16>` of the rounded f32 bits) and O3 turns a tile's tail into these masked stores.
; kevc rewrites every one-lane masked store into a scalar store after -O3 (Sources/KevcLLVM/MaskedStores.swift).
define void @store_one_lane(<4 x i32> %v, ptr %p) {
  %t = trunc <4 x i32> %v to <4 x i16>
  call void @llvm.masked.store.v4i16.p0(<4 x i16> %t, ptr align 2 %p, <4 x i1> <i1 true, i1 false, i1 false, i1 false>)
  ret void
}
define void @store_one_lane_v8(<8 x i32> %v, ptr %p) {
  %t = trunc <8 x i32> %v to <8 x i16>
  call void @llvm.masked.store.v8i16.p0(<8 x i16> %t, ptr align 2 %p, <8 x i1> <i1 false, i1 false, i1 false, i1 true, i1 false, i1 false, i1 false, i1 false>)
  ret void
}
define void @store_one_lane_i8(<4 x i32> %v, ptr %p) {
  %t = trunc <4 x i32> %v to <4 x i8>
  call void @llvm.masked.store.v4i8.p0(<4 x i8> %t, ptr align 1 %p, <4 x i1> <i1 true, i1 false, i1 false, i1 false>)
  ret void
}
define void @store_one_lane_i64(<8 x i64> %v, ptr %p) {
  %t = trunc <8 x i64> %v to <8 x i32>
  call void @llvm.masked.store.v8i32.p0(<8 x i32> %t, ptr align 4 %p, <8 x i1> <i1 true, i1 false, i1 false, i1 false, i1 false, i1 false, i1 false, i1 false>)
  ret void
}
define void @store_two_lanes(<4 x i32> %v, ptr %p) {
  %t = trunc <4 x i32> %v to <4 x i16>
  call void @llvm.masked.store.v4i16.p0(<4 x i16> %t, ptr align 2 %p, <4 x i1> <i1 true, i1 true, i1 false, i1 false>)
  ret void
}
define void @store_one_lane_plain(<4 x i16> %t, ptr %p) {
  call void @llvm.masked.store.v4i16.p0(<4 x i16> %t, ptr align 2 %p, <4 x i1> <i1 true, i1 false, i1 false, i1 false>)
  ret void
}
