; ModuleID = 'rowsum_div'
source_filename = "rowsum_div"

; Function Attrs: alwaysinline nounwind
define internal void @rowsum_div.body(ptr noalias %a, ptr noalias %d, ptr noalias %q, ptr noalias %workspace) #0 {
entry:
  %s = getelementptr inbounds i8, ptr %workspace, i64 0
  %acc = alloca i32, i64 1, align 64
  br label %body

body:                                             ; preds = %entry
  br label %i.header

i.header:                                         ; preds = %i.latch, %body
  %i = phi i64 [ 0, %body ], [ %35, %i.latch ]
  %0 = icmp slt i64 %i, 2
  br i1 %0, label %i.body, label %i.exit

i.body:                                           ; preds = %i.header
  %1 = getelementptr inbounds i32, ptr %acc, i64 0
  store i32 0, ptr %1, align 4
  br label %j.header

j.header:                                         ; preds = %j.latch, %i.body
  %j = phi i64 [ 0, %i.body ], [ %11, %j.latch ]
  %2 = icmp slt i64 %j, 3
  br i1 %2, label %j.body, label %j.exit

j.body:                                           ; preds = %j.header
  %3 = getelementptr inbounds i32, ptr %acc, i64 0
  %4 = load i32, ptr %3, align 4
  %5 = mul nsw i64 %i, 3
  %6 = add nsw i64 %5, %j
  %7 = getelementptr inbounds i32, ptr %a, i64 %6
  %8 = load i32, ptr %7, align 4
  %9 = add i32 %4, %8
  %10 = getelementptr inbounds i32, ptr %acc, i64 0
  store i32 %9, ptr %10, align 4
  br label %j.latch

j.latch:                                          ; preds = %j.body
  %11 = add nsw i64 %j, 1
  br label %j.header, !llvm.loop !0

j.exit:                                           ; preds = %j.header
  %12 = getelementptr inbounds i32, ptr %acc, i64 0
  %13 = load i32, ptr %12, align 4
  %14 = getelementptr inbounds i32, ptr %s, i64 %i
  store i32 %13, ptr %14, align 4
  %15 = getelementptr inbounds i32, ptr %s, i64 %i
  %16 = load i32, ptr %15, align 4
  %17 = getelementptr inbounds i32, ptr %d, i64 0
  %18 = load i32, ptr %17, align 4
  %19 = icmp eq i32 %18, 0
  %20 = icmp eq i32 %18, -1
  %21 = or i1 %19, %20
  %22 = select i1 %21, i32 1, i32 %18
  %23 = sdiv i32 %16, %22
  %24 = srem i32 %16, %22
  %25 = icmp ne i32 %24, 0
  %26 = xor i32 %24, %22
  %27 = icmp slt i32 %26, 0
  %28 = and i1 %25, %27
  %29 = sub i32 %23, 1
  %30 = select i1 %28, i32 %29, i32 %23
  %31 = sub i32 0, %16
  %32 = select i1 %20, i32 %31, i32 %30
  %33 = select i1 %19, i32 0, i32 %32
  %34 = getelementptr inbounds i32, ptr %q, i64 %i
  store i32 %33, ptr %34, align 4
  br label %i.latch

i.latch:                                          ; preds = %j.exit
  %35 = add nsw i64 %i, 1
  br label %i.header, !llvm.loop !2

i.exit:                                           ; preds = %i.header
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

attributes #0 = { alwaysinline nounwind }
attributes #1 = { nounwind }

!0 = distinct !{!0, !1}
!1 = !{!"llvm.loop.unroll.full"}
!2 = distinct !{!2, !3}
!3 = !{!"kevc.loop.parallel"}
