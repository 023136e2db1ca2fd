; ModuleID = 'shift_f16'
source_filename = "shift_f16"

; Function Attrs: alwaysinline nounwind
define internal void @shift_f16.body(ptr noalias %x, ptr noalias %y, ptr noalias %workspace) #0 {
entry:
  br label %body

body:                                             ; preds = %entry
  br label %i.header

i.header:                                         ; preds = %i.latch, %body
  %i = phi i64 [ 0, %body ], [ %9, %i.latch ]
  %0 = icmp slt i64 %i, 8
  br i1 %0, label %i.body, label %i.exit

i.body:                                           ; preds = %i.header
  %1 = sub nsw i64 %i, 1
  %2 = icmp ult i64 %1, 8
  br i1 %2, label %pad.load, label %pad.end

pad.load:                                         ; preds = %i.body
  %3 = getelementptr inbounds float, ptr %x, i64 %1
  %4 = load float, ptr %3, align 4
  br label %pad.end

pad.end:                                          ; preds = %pad.load, %i.body
  %5 = phi float [ %4, %pad.load ], [ 0.000000e+00, %i.body ]
  %6 = fmul float %5, 5.000000e-01
  %7 = getelementptr inbounds half, ptr %y, i64 %i
  %8 = fptrunc float %6 to half
  store half %8, ptr %7, align 2
  br label %i.latch

i.latch:                                          ; preds = %pad.end
  %9 = add nsw i64 %i, 1
  br label %i.header, !llvm.loop !0

i.exit:                                           ; preds = %i.header
  ret void
}

; Function Attrs: nounwind
define void @shift_f16(ptr %args) #1 {
entry:
  %0 = getelementptr inbounds ptr, ptr %args, i64 0
  %1 = load ptr, ptr %0, align 8
  %2 = getelementptr inbounds ptr, ptr %args, i64 1
  %3 = load ptr, ptr %2, align 8
  %4 = getelementptr inbounds ptr, ptr %args, i64 2
  %5 = load ptr, ptr %4, align 8
  call void @shift_f16.body(ptr %1, ptr %3, ptr %5)
  ret void
}

attributes #0 = { alwaysinline nounwind }
attributes #1 = { nounwind }

!0 = distinct !{!0, !1, !2, !3}
!1 = !{!"llvm.loop.vectorize.enable", i1 true}
!2 = !{!"llvm.loop.vectorize.width", i32 8}
!3 = !{!"llvm.loop.unroll.disable"}
