; ModuleID = 'rowsum_div'
source_filename = "rowsum_div"

; Function Attrs: alwaysinline nounwind
define internal void @rowsum_div.body(ptr noalias %a, ptr noalias %d, ptr noalias %q, ptr noalias %workspace) #0 {
entry:
  %s = getelementptr inbounds i8, ptr %workspace, i64 0
  %i.ctx = alloca i64, i64 5, align 8
  br label %body

body:                                             ; preds = %entry
  %0 = getelementptr inbounds i64, ptr %i.ctx, i64 0
  store ptr %a, ptr %0, align 8
  %1 = getelementptr inbounds i64, ptr %i.ctx, i64 1
  store ptr %d, ptr %1, align 8
  %2 = getelementptr inbounds i64, ptr %i.ctx, i64 2
  store ptr %q, ptr %2, align 8
  %3 = getelementptr inbounds i64, ptr %i.ctx, i64 3
  store ptr %s, ptr %3, align 8
  %4 = getelementptr inbounds i64, ptr %i.ctx, i64 4
  store i64 0, ptr %4, align 4
  call void @kevc_parallel_for(i64 2, ptr @rowsum_div.par1, ptr %i.ctx)
  ret void
}

; Function Attrs: nounwind
define void @rowsum_div(ptr %args) #1 {
entry:
  %0 = getelementptr inbounds ptr, ptr %args, i64 0
  %1 = load ptr, ptr %0, align 8
  %2 = getelementptr inbounds ptr, ptr %args, i64 1
  %3 = load ptr, ptr %2, align 8
  %4 = getelementptr inbounds ptr, ptr %args, i64 2
  %5 = load ptr, ptr %4, align 8
  %6 = getelementptr inbounds ptr, ptr %args, i64 3
  %7 = load ptr, ptr %6, align 8
  call void @rowsum_div.body(ptr %1, ptr %3, ptr %5, ptr %7)
  ret void
}

; Function Attrs: nounwind
define internal void @rowsum_div.par1(ptr %ctx, i64 %begin, i64 %end) #1 {
entry:
  %0 = getelementptr inbounds i64, ptr %ctx, i64 0
  %1 = load ptr, ptr %0, align 8
  %2 = getelementptr inbounds i64, ptr %ctx, i64 1
  %3 = load ptr, ptr %2, align 8
  %4 = getelementptr inbounds i64, ptr %ctx, i64 2
  %5 = load ptr, ptr %4, align 8
  %6 = getelementptr inbounds i64, ptr %ctx, i64 3
  %7 = load ptr, ptr %6, align 8
  %8 = getelementptr inbounds i64, ptr %ctx, i64 4
  %9 = load i64, ptr %8, align 4
  call void @rowsum_div.par1.body(ptr %1, ptr %3, ptr %5, ptr %7, i64 %9, i64 %begin, i64 %end)
  ret void
}

; Function Attrs: alwaysinline nounwind
define internal void @rowsum_div.par1.body(ptr noalias %a, ptr noalias %d, ptr noalias %q, ptr noalias %s, i64 %i.lower, i64 %begin, i64 %end) #0 {
entry:
  %acc = alloca i32, i64 1, align 64
  br label %body

body:                                             ; preds = %entry
  %0 = add nsw i64 %i.lower, %begin
  %1 = add nsw i64 %i.lower, %end
  br label %i.header

i.header:                                         ; preds = %i.latch, %body
  %i = phi i64 [ %0, %body ], [ %37, %i.latch ]
  %2 = icmp slt i64 %i, %1
  br i1 %2, label %i.body, label %i.exit

i.body:                                           ; preds = %i.header
  %3 = getelementptr inbounds i32, ptr %acc, i64 0
  store i32 0, ptr %3, align 4
  br label %j.header

j.header:                                         ; preds = %j.latch, %i.body
  %j = phi i64 [ 0, %i.body ], [ %13, %j.latch ]
  %4 = icmp slt i64 %j, 3
  br i1 %4, label %j.body, label %j.exit

j.body:                                           ; preds = %j.header
  %5 = getelementptr inbounds i32, ptr %acc, i64 0
  %6 = load i32, ptr %5, align 4
  %7 = mul nsw i64 %i, 3
  %8 = add nsw i64 %7, %j
  %9 = getelementptr inbounds i32, ptr %a, i64 %8
  %10 = load i32, ptr %9, align 4
  %11 = add i32 %6, %10
  %12 = getelementptr inbounds i32, ptr %acc, i64 0
  store i32 %11, ptr %12, align 4
  br label %j.latch

j.latch:                                          ; preds = %j.body
  %13 = add nsw i64 %j, 1
  br label %j.header, !llvm.loop !0

j.exit:                                           ; preds = %j.header
  %14 = getelementptr inbounds i32, ptr %acc, i64 0
  %15 = load i32, ptr %14, align 4
  %16 = getelementptr inbounds i32, ptr %s, i64 %i
  store i32 %15, ptr %16, align 4
  %17 = getelementptr inbounds i32, ptr %s, i64 %i
  %18 = load i32, ptr %17, align 4
  %19 = getelementptr inbounds i32, ptr %d, i64 0
  %20 = load i32, ptr %19, align 4
  %21 = icmp eq i32 %20, 0
  %22 = icmp eq i32 %20, -1
  %23 = or i1 %21, %22
  %24 = select i1 %23, i32 1, i32 %20
  %25 = sdiv i32 %18, %24
  %26 = srem i32 %18, %24
  %27 = icmp ne i32 %26, 0
  %28 = xor i32 %26, %24
  %29 = icmp slt i32 %28, 0
  %30 = and i1 %27, %29
  %31 = sub i32 %25, 1
  %32 = select i1 %30, i32 %31, i32 %25
  %33 = sub i32 0, %18
  %34 = select i1 %22, i32 %33, i32 %32
  %35 = select i1 %21, i32 0, i32 %34
  %36 = getelementptr inbounds i32, ptr %q, i64 %i
  store i32 %35, ptr %36, align 4
  br label %i.latch

i.latch:                                          ; preds = %j.exit
  %37 = add nsw i64 %i, 1
  br label %i.header, !llvm.loop !2

i.exit:                                           ; preds = %i.header
  ret void
}

; Function Attrs: nounwind
declare void @kevc_parallel_for(i64, ptr, ptr) #1

attributes #0 = { alwaysinline nounwind }
attributes #1 = { nounwind }

!0 = distinct !{!0, !1}
!1 = !{!"llvm.loop.unroll.full"}
!2 = distinct !{!2, !3}
!3 = !{!"kevc.loop.parallel"}
