; A one-lane masked store of a truncated <4 x i32> -> <4 x i16>.
define void @store_one_lane(<4 x i32> %v, ptr %p) {
  %t = trunc <4 x i32> %v to <4 x i16>
  call void @llvm.masked.store.v4i16.p0(<4 x i16> %t, ptr align 2 %p, <4 x i1> <i1 true, i1 false, i1 false, i1 false>)
  ret void
}
define void @store_one_lane_nuw(<4 x i32> %v, ptr %p) {
  %t = trunc nuw <4 x i32> %v to <4 x i16>
  call void @llvm.masked.store.v4i16.p0(<4 x i16> %t, ptr align 2 %p, <4 x i1> <i1 true, i1 false, i1 false, i1 false>)
  ret void
}
define void @store_two_lanes(<4 x i32> %v, ptr %p) {
  %t = trunc <4 x i32> %v to <4 x i16>
  call void @llvm.masked.store.v4i16.p0(<4 x i16> %t, ptr align 2 %p, <4 x i1> <i1 true, i1 true, i1 false, i1 false>)
  ret void
}
define void @store_one_lane_v8(<8 x i32> %v, ptr %p) {
  %t = trunc <8 x i32> %v to <8 x i16>
  call void @llvm.masked.store.v8i16.p0(<8 x i16> %t, ptr align 2 %p, <8 x i1> <i1 true, i1 false, i1 false, i1 false, i1 false, i1 false, i1 false, i1 false>)
  ret void
}
define void @store_one_lane_i8(<4 x i32> %v, ptr %p) {
  %t = trunc <4 x i32> %v to <4 x i8>
  call void @llvm.masked.store.v4i8.p0(<4 x i8> %t, ptr align 1 %p, <4 x i1> <i1 true, i1 false, i1 false, i1 false>)
  ret void
}
define void @store_one_lane_plain(<4 x i16> %t, ptr %p) {
  call void @llvm.masked.store.v4i16.p0(<4 x i16> %t, ptr align 2 %p, <4 x i1> <i1 true, i1 false, i1 false, i1 false>)
  ret void
}
