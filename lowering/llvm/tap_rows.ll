; ModuleID = 'tap_rows'
source_filename = "tap_rows"

; Function Attrs: alwaysinline nounwind
define internal void @tap_rows.body(ptr noalias %x, ptr noalias %w, ptr noalias %y, ptr noalias %workspace) #0 {
entry:
  %acc = alloca float, i64 1, align 64
  %acc1 = alloca float, i64 1, align 64
  br label %body

body:                                             ; preds = %entry
  br label %i.header

i.header:                                         ; preds = %i.latch, %body
  %i = phi i64 [ 0, %body ], [ %46, %i.latch ]
  %0 = icmp slt i64 %i, 6
  br i1 %0, label %i.body, label %i.exit

i.body:                                           ; preds = %i.header
  %1 = icmp sge i64 %i, 2
  %2 = icmp sle i64 %i, 3
  %3 = and i1 %1, %2
  br i1 %3, label %if.then, label %if.else

if.then:                                          ; preds = %i.body
  %4 = getelementptr inbounds float, ptr %acc, i64 0
  store float 0.000000e+00, ptr %4, align 4
  br label %p.header

p.header:                                         ; preds = %p.latch, %if.then
  %p = phi i64 [ 0, %if.then ], [ %16, %p.latch ]
  %5 = icmp slt i64 %p, 3
  br i1 %5, label %p.body, label %p.exit

p.body:                                           ; preds = %p.header
  %6 = getelementptr inbounds float, ptr %acc, i64 0
  %7 = load float, ptr %6, align 4
  %8 = sub nsw i64 %i, %p
  %9 = getelementptr inbounds float, ptr %x, i64 %8
  %10 = load float, ptr %9, align 4
  %11 = getelementptr inbounds float, ptr %w, i64 %p
  %12 = load float, ptr %11, align 4
  %13 = fmul float %10, %12
  %14 = fadd float %7, %13
  %15 = getelementptr inbounds float, ptr %acc, i64 0
  store float %14, ptr %15, align 4
  br label %p.latch

p.latch:                                          ; preds = %p.body
  %16 = add nsw i64 %p, 1
  br label %p.header

p.exit:                                           ; preds = %p.header
  %17 = getelementptr inbounds float, ptr %acc, i64 0
  %18 = load float, ptr %17, align 4
  %19 = getelementptr inbounds float, ptr %y, i64 %i
  store float %18, ptr %19, align 4
  br label %if.end

if.else:                                          ; preds = %i.body
  %20 = getelementptr inbounds float, ptr %acc1, i64 0
  store float 0.000000e+00, ptr %20, align 4
  %21 = sub nsw i64 %i, 0
  %22 = sub nsw i64 %21, 4
  %23 = add nsw i64 %22, 1
  %24 = call i64 @llvm.smax.i64(i64 0, i64 %23)
  %25 = sub nsw i64 %i, 0
  %26 = sub nsw i64 %25, 0
  %27 = add nsw i64 %26, 1
  %28 = call i64 @llvm.smin.i64(i64 3, i64 %27)
  br label %p.header2

p.header2:                                        ; preds = %p.latch4, %if.else
  %p6 = phi i64 [ %24, %if.else ], [ %42, %p.latch4 ]
  %29 = icmp slt i64 %p6, %28
  br i1 %29, label %p.body3, label %p.exit5

p.body3:                                          ; preds = %p.header2
  %30 = getelementptr inbounds float, ptr %acc1, i64 0
  %31 = load float, ptr %30, align 4
  %32 = sub nsw i64 %i, %p6
  %33 = icmp ult i64 %32, 4
  br i1 %33, label %pad.load, label %pad.end

pad.load:                                         ; preds = %p.body3
  %34 = getelementptr inbounds float, ptr %x, i64 %32
  %35 = load float, ptr %34, align 4
  br label %pad.end

pad.end:                                          ; preds = %pad.load, %p.body3
  %36 = phi float [ %35, %pad.load ], [ 0.000000e+00, %p.body3 ]
  %37 = getelementptr inbounds float, ptr %w, i64 %p6
  %38 = load float, ptr %37, align 4
  %39 = fmul float %36, %38
  %40 = fadd float %31, %39
  %41 = getelementptr inbounds float, ptr %acc1, i64 0
  store float %40, ptr %41, align 4
  br label %p.latch4

p.latch4:                                         ; preds = %pad.end
  %42 = add nsw i64 %p6, 1
  br label %p.header2

p.exit5:                                          ; preds = %p.header2
  %43 = getelementptr inbounds float, ptr %acc1, i64 0
  %44 = load float, ptr %43, align 4
  %45 = getelementptr inbounds float, ptr %y, i64 %i
  store float %44, ptr %45, align 4
  br label %if.end

if.end:                                           ; preds = %p.exit5, %p.exit
  br label %i.latch

i.latch:                                          ; preds = %if.end
  %46 = add nsw i64 %i, 1
  br label %i.header

i.exit:                                           ; preds = %i.header
  ret void
}

; Function Attrs: nounwind
define void @tap_rows(ptr %args) #1 {
entry:
  %0 = getelementptr inbounds ptr, ptr %args, i64 0
  %1 = load ptr, ptr %0, align 8
  %2 = getelementptr inbounds ptr, ptr %args, i64 1
  %3 = load ptr, ptr %2, align 8
  %4 = getelementptr inbounds ptr, ptr %args, i64 2
  %5 = load ptr, ptr %4, align 8
  %6 = getelementptr inbounds ptr, ptr %args, i64 3
  %7 = load ptr, ptr %6, align 8
  call void @tap_rows.body(ptr %1, ptr %3, ptr %5, ptr %7)
  ret void
}

; Function Attrs: nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare i64 @llvm.smax.i64(i64, i64) #2

; Function Attrs: nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare i64 @llvm.smin.i64(i64, i64) #2

attributes #0 = { alwaysinline nounwind }
attributes #1 = { nounwind }
attributes #2 = { nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none) }
