	.text
	.amdgcn_target "amdgcn-amd-amdhsa--gfx942"
	.amdhsa_code_object_version 5
	.protected	_Z24kevc_matmul_bias_gelu_p0PKtS0_S0_PtPfS2_x ; -- Begin function _Z24kevc_matmul_bias_gelu_p0PKtS0_S0_PtPfS2_x
	.globl	_Z24kevc_matmul_bias_gelu_p0PKtS0_S0_PtPfS2_x
	.p2align	8
	.type	_Z24kevc_matmul_bias_gelu_p0PKtS0_S0_PtPfS2_x,@function
_Z24kevc_matmul_bias_gelu_p0PKtS0_S0_PtPfS2_x: ; @_Z24kevc_matmul_bias_gelu_p0PKtS0_S0_PtPfS2_x
; %bb.0:
	s_cmp_gt_u32 s2, 3
	s_cbranch_scc1 .LBB0_71
; %bb.1:
	s_load_dwordx4 s[4:7], s[0:1], 0x0
	s_load_dwordx2 s[16:17], s[0:1], 0x20
	s_load_dwordx2 s[18:19], s[0:1], 0x30
	v_and_b32_e32 v20, 31, v0
	v_sub_co_u32_e32 v24, vcc, 61, v20
	v_lshrrev_b32_e32 v1, 3, v0
	s_nop 0
	v_subb_co_u32_e64 v25, s[0:1], 0, 0, vcc
	v_mov_b32_e32 v2, 0
	v_lshrrev_b32_e32 v3, 5, v0
	s_movk_i32 s0, 0x1e8
	s_waitcnt lgkmcnt(0)
	v_mov_b64_e32 v[4:5], s[6:7]
	v_and_b32_e32 v22, 4, v1
	v_lshlrev_b32_e32 v0, 3, v3
	v_mov_b32_e32 v1, v2
	v_mad_u64_u32 v[4:5], s[0:1], v3, s0, v[4:5]
	v_lshl_add_u64 v[0:1], v[0:1], 0, s[4:5]
	s_mov_b64 s[0:1], 0xf4
	s_mov_b32 s3, 0
	v_mov_b32_e32 v21, v2
	v_mov_b32_e32 v23, v2
	v_or_b32_e32 v26, 1, v22
	v_mov_b32_e32 v27, v2
	v_or_b32_e32 v28, 2, v22
	v_mov_b32_e32 v29, v2
	v_or_b32_e32 v30, 3, v22
	v_mov_b32_e32 v31, v2
	v_or_b32_e32 v32, 8, v22
	v_mov_b32_e32 v33, v2
	v_or_b32_e32 v34, 9, v22
	v_mov_b32_e32 v35, v2
	v_or_b32_e32 v36, 10, v22
	v_mov_b32_e32 v37, v2
	v_or_b32_e32 v38, 11, v22
	v_mov_b32_e32 v39, v2
	v_or_b32_e32 v40, 16, v22
	v_mov_b32_e32 v41, v2
	v_or_b32_e32 v42, 17, v22
	v_mov_b32_e32 v43, v2
	v_or_b32_e32 v44, 18, v22
	v_mov_b32_e32 v45, v2
	v_or_b32_e32 v46, 19, v22
	v_mov_b32_e32 v47, v2
	v_or_b32_e32 v48, 24, v22
	v_mov_b32_e32 v49, v2
	v_or_b32_e32 v50, 25, v22
	v_mov_b32_e32 v51, v2
	v_or_b32_e32 v52, 26, v22
	v_mov_b32_e32 v53, v2
	v_or_b32_e32 v54, 27, v22
	v_mov_b32_e32 v55, v2
	v_lshl_add_u64 v[0:1], v[0:1], 0, 4
	v_lshl_add_u64 v[56:57], v[4:5], 0, s[0:1]
	s_mov_b32 s33, 0x7f800000
	s_mov_b32 s42, 0x5040100
	s_mov_b64 s[20:21], 0x3d0
	s_mov_b64 s[22:23], 0x7a0
	s_branch .LBB0_3
.LBB0_2:                                ;   in Loop: Header=BB0_3 Depth=1
	s_andn2_saveexec_b64 s[0:1], s[0:1]
	s_or_b64 exec, exec, s[0:1]
	s_add_u32 s2, s2, s18
	s_addc_u32 s3, s3, s19
	v_cmp_gt_i64_e64 s[0:1], s[2:3], 3
	s_and_b64 vcc, exec, s[0:1]
	s_cbranch_vccnz .LBB0_71
.LBB0_3:                                ; =>This Loop Header: Depth=1
                                        ;     Child Loop BB0_5 Depth 2
                                        ;       Child Loop BB0_8 Depth 3
	s_lshr_b32 s0, s3, 31
	s_add_u32 s0, s2, s0
	s_addc_u32 s1, s3, 0
	s_ashr_i64 s[8:9], s[0:1], 1
	s_and_b32 s0, s0, -2
	s_sub_u32 s10, s2, s0
	s_subb_u32 s11, s3, s1
	s_lshr_b32 s0, s1, 31
	s_add_u32 s0, s8, s0
	s_addc_u32 s1, s9, 0
	s_and_b32 s1, s1, 0x7ffffff
	s_and_b32 s0, s0, -2
	s_sub_u32 s0, s8, s0
	s_subb_u32 s1, s9, s1
	s_lshl_b64 s[24:25], s[0:1], 5
	s_sub_u32 s0, 45, s24
	s_subb_u32 s1, 0, s25
	v_cmp_lt_i64_e64 s[4:5], s[0:1], 32
	s_and_b64 s[4:5], s[4:5], exec
	s_cselect_b32 s27, s1, 0
	s_cselect_b32 s26, s0, 32
	s_lshl_b64 s[28:29], s[10:11], 5
	v_or_b32_e64 v59, s29, 0
	v_or_b32_e32 v58, s28, v20
	v_cmp_gt_i64_e64 s[10:11], s[10:11], -1
	v_cmp_gt_u64_e32 vcc, 61, v[58:59]
	s_and_b64 s[30:31], s[10:11], vcc
	s_lshl_b64 s[10:11], s[2:3], 5
	v_or_b32_e32 v60, s10, v20
	s_lshl_b64 s[8:9], s[8:9], 6
	v_or_b32_e64 v19, s25, 0
	v_or_b32_e32 v18, s24, v20
	v_or_b32_e64 v61, 0, s11
	v_mov_b32_e32 v62, s9
	v_subrev_co_u32_e32 v60, vcc, s8, v60
	v_mov_b32_e32 v3, v2
	v_mov_b32_e32 v4, v2
	v_mov_b32_e32 v5, v2
	v_mov_b32_e32 v6, v2
	v_mov_b32_e32 v7, v2
	v_mov_b32_e32 v8, v2
	v_mov_b32_e32 v9, v2
	v_mov_b32_e32 v10, v2
	v_mov_b32_e32 v11, v2
	v_mov_b32_e32 v12, v2
	v_mov_b32_e32 v13, v2
	v_mov_b32_e32 v14, v2
	v_mov_b32_e32 v15, v2
	v_mov_b32_e32 v16, v2
	v_mov_b32_e32 v17, v2
	v_cmp_gt_u64_e64 s[4:5], 45, v[18:19]
	v_mul_hi_i32_i24_e32 v19, 0x86, v18
	v_mul_i32_i24_e32 v18, 0x86, v18
	v_subb_co_u32_e32 v61, vcc, v61, v62, vcc
	v_accvgpr_write_b32 a0, v2
	v_cmp_gt_i64_e64 s[0:1], s[26:27], v[20:21]
	v_cmp_lt_i64_e64 s[6:7], s[28:29], v[24:25]
	v_lshl_add_u64 v[18:19], v[0:1], 0, v[18:19]
	v_lshl_add_u64 v[60:61], v[60:61], 1, v[56:57]
	s_mov_b64 s[34:35], 0
	v_accvgpr_write_b32 a1, v3
	v_accvgpr_write_b32 a2, v4
	v_accvgpr_write_b32 a3, v5
	v_accvgpr_write_b32 a4, v6
	v_accvgpr_write_b32 a5, v7
	v_accvgpr_write_b32 a6, v8
	v_accvgpr_write_b32 a7, v9
	v_accvgpr_write_b32 a8, v10
	v_accvgpr_write_b32 a9, v11
	v_accvgpr_write_b32 a10, v12
	v_accvgpr_write_b32 a11, v13
	v_accvgpr_write_b32 a12, v14
	v_accvgpr_write_b32 a13, v15
	v_accvgpr_write_b32 a14, v16
	v_accvgpr_write_b32 a15, v17
	s_branch .LBB0_5
.LBB0_4:                                ;   in Loop: Header=BB0_5 Depth=2
	s_add_u32 s34, s34, 1
	s_addc_u32 s35, s35, 0
	v_lshl_add_u64 v[18:19], v[18:19], 0, 32
	s_cmp_eq_u64 s[34:35], 5
	v_lshl_add_u64 v[60:61], v[60:61], 0, s[22:23]
	s_cbranch_scc1 .LBB0_39
.LBB0_5:                                ;   Parent Loop BB0_3 Depth=1
                                        ; =>  This Loop Header: Depth=2
                                        ;       Child Loop BB0_8 Depth 3
	s_lshl_b64 s[8:9], s[34:35], 4
	s_sub_u32 s8, 0x43, s8
	s_subb_u32 s9, 0, s9
	v_cmp_lt_u64_e64 s[10:11], s[8:9], 16
	s_and_b64 s[10:11], s[10:11], exec
	s_cselect_b32 s37, s9, 0
	s_cselect_b32 s36, s8, 16
	v_mov_b64_e32 v[4:5], v[60:61]
	v_mov_b64_e32 v[6:7], v[18:19]
	s_mov_b64 s[38:39], 0
	s_branch .LBB0_8
.LBB0_6:                                ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[10:11]
	v_and_b32_e32 v15, 0x7fff0000, v14
	v_lshrrev_b32_e32 v14, 16, v14
	v_or_b32_e32 v16, 64, v14
	v_cmp_lt_u32_e32 vcc, s33, v15
	s_nop 1
	v_cndmask_b32_e32 v14, v14, v16, vcc
.LBB0_7:                                ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[8:9]
	v_perm_b32 v11, v8, v11, s42
	v_perm_b32 v10, v10, v3, s42
	v_perm_b32 v13, v14, v13, s42
	v_perm_b32 v12, v12, v9, s42
	s_add_u32 s38, s38, 8
	s_addc_u32 s39, s39, 0
	v_mfma_f32_32x32x8_bf16 a[0:15], v[10:11], v[12:13], a[0:15]
	v_mov_b64_e32 v[8:9], s[36:37]
	v_cmp_ge_u64_e32 vcc, s[38:39], v[8:9]
	v_lshl_add_u64 v[6:7], v[6:7], 0, 16
	v_lshl_add_u64 v[4:5], v[4:5], 0, s[20:21]
	s_cbranch_vccnz .LBB0_4
.LBB0_8:                                ;   Parent Loop BB0_3 Depth=1
                                        ;     Parent Loop BB0_5 Depth=2
                                        ; =>    This Inner Loop Header: Depth=3
	v_lshl_add_u64 v[8:9], v[22:23], 0, s[38:39]
	v_cmp_gt_u64_e32 vcc, s[36:37], v[8:9]
	s_and_b64 s[8:9], s[0:1], vcc
	v_mov_b32_e32 v3, 0
	s_and_saveexec_b64 s[10:11], s[8:9]
	s_cbranch_execz .LBB0_12
; %bb.9:                                ;   in Loop: Header=BB0_8 Depth=3
	v_mov_b32_e32 v3, 0
	s_and_saveexec_b64 s[8:9], s[4:5]
	s_cbranch_execz .LBB0_11
; %bb.10:                               ;   in Loop: Header=BB0_8 Depth=3
	global_load_ushort v3, v[6:7], off offset:-4
	s_waitcnt vmcnt(0)
	v_lshlrev_b32_e32 v3, 16, v3
.LBB0_11:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[8:9]
	v_and_b32_e32 v10, 0x7fff0000, v3
	v_lshrrev_b32_e32 v3, 16, v3
	v_or_b32_e32 v11, 64, v3
	v_cmp_lt_u32_e64 s[8:9], s33, v10
	s_nop 1
	v_cndmask_b32_e64 v3, v3, v11, s[8:9]
.LBB0_12:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[10:11]
	v_lshl_add_u64 v[10:11], v[8:9], 0, 1
	v_cmp_gt_u64_e64 s[8:9], s[36:37], v[10:11]
	s_and_b64 s[10:11], s[0:1], s[8:9]
	v_mov_b32_e32 v10, 0
	s_and_saveexec_b64 s[12:13], s[10:11]
	s_cbranch_execz .LBB0_16
; %bb.13:                               ;   in Loop: Header=BB0_8 Depth=3
	v_mov_b32_e32 v10, 0
	s_and_saveexec_b64 s[10:11], s[4:5]
	s_cbranch_execz .LBB0_15
; %bb.14:                               ;   in Loop: Header=BB0_8 Depth=3
	global_load_ushort v10, v[6:7], off offset:-2
	s_waitcnt vmcnt(0)
	v_lshlrev_b32_e32 v10, 16, v10
.LBB0_15:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[10:11]
	v_and_b32_e32 v11, 0x7fff0000, v10
	v_lshrrev_b32_e32 v10, 16, v10
	v_or_b32_e32 v12, 64, v10
	v_cmp_lt_u32_e64 s[10:11], s33, v11
	s_nop 1
	v_cndmask_b32_e64 v10, v10, v12, s[10:11]
.LBB0_16:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[12:13]
	v_lshl_add_u64 v[12:13], v[8:9], 0, 2
	v_cmp_gt_u64_e64 s[10:11], s[36:37], v[12:13]
	s_and_b64 s[12:13], s[0:1], s[10:11]
	v_mov_b32_e32 v11, 0
	s_and_saveexec_b64 s[14:15], s[12:13]
	s_cbranch_execz .LBB0_20
; %bb.17:                               ;   in Loop: Header=BB0_8 Depth=3
	v_mov_b32_e32 v11, 0
	s_and_saveexec_b64 s[12:13], s[4:5]
	s_cbranch_execz .LBB0_19
; %bb.18:                               ;   in Loop: Header=BB0_8 Depth=3
	global_load_ushort v11, v[6:7], off
	s_waitcnt vmcnt(0)
	v_lshlrev_b32_e32 v11, 16, v11
.LBB0_19:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[12:13]
	v_and_b32_e32 v12, 0x7fff0000, v11
	v_lshrrev_b32_e32 v11, 16, v11
	v_or_b32_e32 v13, 64, v11
	v_cmp_lt_u32_e64 s[12:13], s33, v12
	s_nop 1
	v_cndmask_b32_e64 v11, v11, v13, s[12:13]
.LBB0_20:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[14:15]
	v_lshl_add_u64 v[8:9], v[8:9], 0, 3
	v_cmp_gt_u64_e64 s[12:13], s[36:37], v[8:9]
	s_and_b64 s[14:15], s[0:1], s[12:13]
	v_mov_b32_e32 v8, 0
	s_and_saveexec_b64 s[40:41], s[14:15]
	s_cbranch_execz .LBB0_24
; %bb.21:                               ;   in Loop: Header=BB0_8 Depth=3
	v_mov_b32_e32 v8, 0
	s_and_saveexec_b64 s[14:15], s[4:5]
	s_cbranch_execz .LBB0_23
; %bb.22:                               ;   in Loop: Header=BB0_8 Depth=3
	global_load_ushort v8, v[6:7], off offset:2
	s_waitcnt vmcnt(0)
	v_lshlrev_b32_e32 v8, 16, v8
.LBB0_23:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[14:15]
	v_and_b32_e32 v9, 0x7fff0000, v8
	v_lshrrev_b32_e32 v8, 16, v8
	v_or_b32_e32 v12, 64, v8
	v_cmp_lt_u32_e64 s[14:15], s33, v9
	s_nop 1
	v_cndmask_b32_e64 v8, v8, v12, s[14:15]
.LBB0_24:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[40:41]
	s_and_b64 s[40:41], s[6:7], vcc
	v_mov_b32_e32 v9, 0
	s_and_saveexec_b64 s[14:15], s[40:41]
	s_cbranch_execz .LBB0_28
; %bb.25:                               ;   in Loop: Header=BB0_8 Depth=3
	v_mov_b32_e32 v9, 0
	s_and_saveexec_b64 s[40:41], s[30:31]
	s_cbranch_execz .LBB0_27
; %bb.26:                               ;   in Loop: Header=BB0_8 Depth=3
	global_load_ushort v9, v[4:5], off offset:-244
	s_waitcnt vmcnt(0)
	v_lshlrev_b32_e32 v9, 16, v9
.LBB0_27:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[40:41]
	v_and_b32_e32 v12, 0x7fff0000, v9
	v_lshrrev_b32_e32 v9, 16, v9
	v_or_b32_e32 v13, 64, v9
	v_cmp_lt_u32_e32 vcc, s33, v12
	s_nop 1
	v_cndmask_b32_e32 v9, v9, v13, vcc
.LBB0_28:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[14:15]
	s_and_b64 s[14:15], s[6:7], s[8:9]
	v_mov_b32_e32 v12, 0
	s_and_saveexec_b64 s[8:9], s[14:15]
	s_cbranch_execz .LBB0_32
; %bb.29:                               ;   in Loop: Header=BB0_8 Depth=3
	v_mov_b32_e32 v12, 0
	s_and_saveexec_b64 s[14:15], s[30:31]
	s_cbranch_execz .LBB0_31
; %bb.30:                               ;   in Loop: Header=BB0_8 Depth=3
	global_load_ushort v12, v[4:5], off offset:-122
	s_waitcnt vmcnt(0)
	v_lshlrev_b32_e32 v12, 16, v12
.LBB0_31:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[14:15]
	v_and_b32_e32 v13, 0x7fff0000, v12
	v_lshrrev_b32_e32 v12, 16, v12
	v_or_b32_e32 v14, 64, v12
	v_cmp_lt_u32_e32 vcc, s33, v13
	s_nop 1
	v_cndmask_b32_e32 v12, v12, v14, vcc
.LBB0_32:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[8:9]
	s_and_b64 s[10:11], s[6:7], s[10:11]
	v_mov_b32_e32 v13, 0
	s_and_saveexec_b64 s[8:9], s[10:11]
	s_cbranch_execz .LBB0_36
; %bb.33:                               ;   in Loop: Header=BB0_8 Depth=3
	v_mov_b32_e32 v13, 0
	s_and_saveexec_b64 s[10:11], s[30:31]
	s_cbranch_execz .LBB0_35
; %bb.34:                               ;   in Loop: Header=BB0_8 Depth=3
	global_load_ushort v13, v[4:5], off
	s_waitcnt vmcnt(0)
	v_lshlrev_b32_e32 v13, 16, v13
.LBB0_35:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[10:11]
	v_and_b32_e32 v14, 0x7fff0000, v13
	v_lshrrev_b32_e32 v13, 16, v13
	v_or_b32_e32 v15, 64, v13
	v_cmp_lt_u32_e32 vcc, s33, v14
	s_nop 1
	v_cndmask_b32_e32 v13, v13, v15, vcc
.LBB0_36:                               ;   in Loop: Header=BB0_8 Depth=3
	s_or_b64 exec, exec, s[8:9]
	s_and_b64 s[10:11], s[6:7], s[12:13]
	v_mov_b32_e32 v14, 0
	s_and_saveexec_b64 s[8:9], s[10:11]
	s_cbranch_execz .LBB0_7
; %bb.37:                               ;   in Loop: Header=BB0_8 Depth=3
	v_mov_b32_e32 v14, 0
	s_and_saveexec_b64 s[10:11], s[30:31]
	s_cbranch_execz .LBB0_6
; %bb.38:                               ;   in Loop: Header=BB0_8 Depth=3
	global_load_ushort v14, v[4:5], off offset:122
	s_waitcnt vmcnt(0)
	v_lshlrev_b32_e32 v14, 16, v14
	s_branch .LBB0_6
.LBB0_39:                               ;   in Loop: Header=BB0_3 Depth=1
	v_cmp_ge_i64_e32 vcc, s[28:29], v[24:25]
	v_accvgpr_read_b32 v19, a15
	s_xor_b64 s[0:1], vcc, -1
	v_cmp_gt_i64_e32 vcc, s[26:27], v[22:23]
	v_accvgpr_read_b32 v18, a14
	v_accvgpr_read_b32 v17, a13
	v_accvgpr_read_b32 v16, a12
	v_accvgpr_read_b32 v15, a11
	v_accvgpr_read_b32 v14, a10
	v_accvgpr_read_b32 v13, a9
	v_accvgpr_read_b32 v12, a8
	v_accvgpr_read_b32 v11, a7
	v_accvgpr_read_b32 v10, a6
	v_accvgpr_read_b32 v9, a5
	v_accvgpr_read_b32 v8, a4
	v_accvgpr_read_b32 v7, a3
	v_accvgpr_read_b32 v6, a2
	v_accvgpr_read_b32 v5, a1
	v_accvgpr_read_b32 v4, a0
	v_lshl_add_u64 v[58:59], v[58:59], 2, s[16:17]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_41
; %bb.40:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v22
	v_mul_hi_i32_i24_e32 v61, 0xf4, v3
	v_mul_i32_i24_e32 v60, 0xf4, v3
	v_lshl_add_u64 v[60:61], v[58:59], 0, v[60:61]
	global_store_dword v[60:61], v4, off
.LBB0_41:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[26:27]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_43
; %bb.42:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v26
	v_mul_hi_i32_i24_e32 v61, 0xf4, v3
	v_mul_i32_i24_e32 v60, 0xf4, v3
	v_lshl_add_u64 v[60:61], v[58:59], 0, v[60:61]
	global_store_dword v[60:61], v5, off
.LBB0_43:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[28:29]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_45
; %bb.44:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v28
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v6, off
.LBB0_45:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[30:31]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_47
; %bb.46:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v30
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v7, off
.LBB0_47:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[32:33]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_49
; %bb.48:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v32
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v8, off
.LBB0_49:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[34:35]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_51
; %bb.50:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v34
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v9, off
.LBB0_51:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[36:37]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_53
; %bb.52:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v36
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v10, off
.LBB0_53:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[38:39]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_55
; %bb.54:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v38
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v11, off
.LBB0_55:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[40:41]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_57
; %bb.56:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v40
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v12, off
.LBB0_57:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[42:43]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_59
; %bb.58:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v42
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v13, off
.LBB0_59:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[44:45]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_61
; %bb.60:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v44
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v14, off
.LBB0_61:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[46:47]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_63
; %bb.62:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v46
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v15, off
.LBB0_63:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[48:49]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_65
; %bb.64:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v48
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v16, off
.LBB0_65:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[50:51]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_67
; %bb.66:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v50
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v17, off
.LBB0_67:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[52:53]
	s_and_b64 s[6:7], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[6:7]
	s_cbranch_execz .LBB0_69
; %bb.68:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v52
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v18, off
.LBB0_69:                               ;   in Loop: Header=BB0_3 Depth=1
	s_or_b64 exec, exec, s[4:5]
	v_cmp_gt_i64_e32 vcc, s[26:27], v[54:55]
	s_and_b64 s[0:1], vcc, s[0:1]
	s_and_saveexec_b64 s[4:5], s[0:1]
	s_xor_b64 s[0:1], exec, s[4:5]
	s_cbranch_execz .LBB0_2
; %bb.70:                               ;   in Loop: Header=BB0_3 Depth=1
	v_add_u32_e32 v3, s24, v54
	v_mul_hi_i32_i24_e32 v5, 0xf4, v3
	v_mul_i32_i24_e32 v4, 0xf4, v3
	v_lshl_add_u64 v[4:5], v[58:59], 0, v[4:5]
	global_store_dword v[4:5], v19, off
	s_branch .LBB0_2
.LBB0_71:
	s_endpgm
	.section	.rodata,"a",@progbits
	.p2align	6, 0x0
	.amdhsa_kernel _Z24kevc_matmul_bias_gelu_p0PKtS0_S0_PtPfS2_x
		.amdhsa_group_segment_fixed_size 0
		.amdhsa_private_segment_fixed_size 0
		.amdhsa_kernarg_size 56
		.amdhsa_user_sgpr_count 2
		.amdhsa_user_sgpr_dispatch_ptr 0
		.amdhsa_user_sgpr_queue_ptr 0
		.amdhsa_user_sgpr_kernarg_segment_ptr 1
		.amdhsa_user_sgpr_dispatch_id 0
		.amdhsa_user_sgpr_kernarg_preload_length 0
		.amdhsa_user_sgpr_kernarg_preload_offset 0
		.amdhsa_user_sgpr_private_segment_size 0
		.amdhsa_uses_dynamic_stack 0
		.amdhsa_enable_private_segment 0
		.amdhsa_system_sgpr_workgroup_id_x 1
		.amdhsa_system_sgpr_workgroup_id_y 0
		.amdhsa_system_sgpr_workgroup_id_z 0
		.amdhsa_system_sgpr_workgroup_info 0
		.amdhsa_system_vgpr_workitem_id 0
		.amdhsa_next_free_vgpr 80
		.amdhsa_next_free_sgpr 43
		.amdhsa_accum_offset 64
		.amdhsa_reserve_vcc 1
		.amdhsa_reserve_xnack_mask 1
		.amdhsa_float_round_mode_32 0
		.amdhsa_float_round_mode_16_64 0
		.amdhsa_float_denorm_mode_32 3
		.amdhsa_float_denorm_mode_16_64 3
		.amdhsa_dx10_clamp 1
		.amdhsa_ieee_mode 1
		.amdhsa_fp16_overflow 0
		.amdhsa_tg_split 0
		.amdhsa_exception_fp_ieee_invalid_op 0
		.amdhsa_exception_fp_denorm_src 0
		.amdhsa_exception_fp_ieee_div_zero 0
		.amdhsa_exception_fp_ieee_overflow 0
		.amdhsa_exception_fp_ieee_underflow 0
		.amdhsa_exception_fp_ieee_inexact 0
		.amdhsa_exception_int_div_zero 0
	.end_amdhsa_kernel
	.text
.Lfunc_end0:
	.size	_Z24kevc_matmul_bias_gelu_p0PKtS0_S0_PtPfS2_x, .Lfunc_end0-_Z24kevc_matmul_bias_gelu_p0PKtS0_S0_PtPfS2_x
                                        ; -- End function
	.section	.AMDGPU.csdata,"",@progbits
; Kernel info:
; codeLenInByte = 2692
; NumSgprs: 49
; NumVgprs: 63
; NumAgprs: 16
; TotalNumVgprs: 80
; ScratchSize: 0
; MemoryBound: 0
; FloatMode: 240
; IeeeMode: 1
; LDSByteSize: 0 bytes/workgroup (compile time only)
; SGPRBlocks: 6
; VGPRBlocks: 9
; NumSGPRsForWavesPerEU: 49
; NumVGPRsForWavesPerEU: 80
; AccumOffset: 64
; Occupancy: 6
; WaveLimiterHint : 0
; COMPUTE_PGM_RSRC2:SCRATCH_EN: 0
; COMPUTE_PGM_RSRC2:USER_SGPR: 2
; COMPUTE_PGM_RSRC2:TRAP_HANDLER: 0
; COMPUTE_PGM_RSRC2:TGID_X_EN: 1
; COMPUTE_PGM_RSRC2:TGID_Y_EN: 0
; COMPUTE_PGM_RSRC2:TGID_Z_EN: 0
; COMPUTE_PGM_RSRC2:TIDIG_COMP_CNT: 0
; COMPUTE_PGM_RSRC3_GFX90A:ACCUM_OFFSET: 15
; COMPUTE_PGM_RSRC3_GFX90A:TG_SPLIT: 0
	.text
	.protected	_Z24kevc_matmul_bias_gelu_p1PKtS0_S0_PtPfS2_x ; -- Begin function _Z24kevc_matmul_bias_gelu_p1PKtS0_S0_PtPfS2_x
	.globl	_Z24kevc_matmul_bias_gelu_p1PKtS0_S0_PtPfS2_x
	.p2align	8
	.type	_Z24kevc_matmul_bias_gelu_p1PKtS0_S0_PtPfS2_x,@function
_Z24kevc_matmul_bias_gelu_p1PKtS0_S0_PtPfS2_x: ; @_Z24kevc_matmul_bias_gelu_p1PKtS0_S0_PtPfS2_x
; %bb.0:
	s_mov_b32 s3, 0
	s_lshl_b64 s[2:3], s[2:3], 8
	v_mov_b32_e32 v1, 0
	v_lshl_add_u64 v[26:27], s[2:3], 0, v[0:1]
	v_cmp_gt_u64_e32 vcc, 45, v[26:27]
	s_and_saveexec_b64 s[2:3], vcc
	s_cbranch_execz .LBB1_3
; %bb.1:
	s_load_dwordx2 s[2:3], s[0:1], 0x10
	s_load_dwordx4 s[4:7], s[0:1], 0x20
	v_mov_b32_e32 v62, 0xffff
	s_mov_b64 s[8:9], 0
	s_waitcnt lgkmcnt(0)
	global_load_dwordx4 v[2:5], v1, s[2:3]
	global_load_dwordx4 v[6:9], v1, s[2:3] offset:16
	global_load_dwordx4 v[10:13], v1, s[2:3] offset:32
	global_load_dwordx4 v[14:17], v1, s[2:3] offset:48
	global_load_dwordx4 v[18:21], v1, s[2:3] offset:64
	global_load_dwordx4 v[22:25], v1, s[2:3] offset:80
	global_load_dwordx4 v[58:61], v1, s[2:3] offset:96
	global_load_dwordx2 v[64:65], v1, s[2:3] offset:112
	global_load_ushort v0, v1, s[2:3] offset:120
	s_load_dwordx2 s[2:3], s[0:1], 0x30
	s_waitcnt vmcnt(8)
	v_bfi_b32 v29, v62, 0, v2
	v_lshlrev_b32_e32 v28, 16, v2
	v_bfi_b32 v31, v62, 0, v3
	v_lshlrev_b32_e32 v30, 16, v3
	v_bfi_b32 v3, v62, 0, v4
	v_lshlrev_b32_e32 v2, 16, v4
	v_bfi_b32 v33, v62, 0, v5
	v_lshlrev_b32_e32 v32, 16, v5
	s_waitcnt vmcnt(7)
	v_bfi_b32 v5, v62, 0, v6
	v_lshlrev_b32_e32 v4, 16, v6
	v_bfi_b32 v35, v62, 0, v7
	v_lshlrev_b32_e32 v34, 16, v7
	v_bfi_b32 v7, v62, 0, v8
	v_lshlrev_b32_e32 v6, 16, v8
	v_bfi_b32 v37, v62, 0, v9
	v_lshlrev_b32_e32 v36, 16, v9
	s_waitcnt vmcnt(6)
	v_bfi_b32 v9, v62, 0, v10
	v_lshlrev_b32_e32 v8, 16, v10
	v_bfi_b32 v39, v62, 0, v11
	v_lshlrev_b32_e32 v38, 16, v11
	v_bfi_b32 v11, v62, 0, v12
	v_lshlrev_b32_e32 v10, 16, v12
	v_bfi_b32 v41, v62, 0, v13
	v_lshlrev_b32_e32 v40, 16, v13
	s_waitcnt vmcnt(5)
	v_bfi_b32 v13, v62, 0, v14
	v_lshlrev_b32_e32 v12, 16, v14
	v_bfi_b32 v43, v62, 0, v15
	v_lshlrev_b32_e32 v42, 16, v15
	v_bfi_b32 v15, v62, 0, v16
	v_lshlrev_b32_e32 v14, 16, v16
	v_bfi_b32 v45, v62, 0, v17
	v_lshlrev_b32_e32 v44, 16, v17
	s_waitcnt vmcnt(4)
	v_bfi_b32 v17, v62, 0, v18
	v_lshlrev_b32_e32 v16, 16, v18
	v_bfi_b32 v47, v62, 0, v19
	v_lshlrev_b32_e32 v46, 16, v19
	v_bfi_b32 v19, v62, 0, v20
	v_lshlrev_b32_e32 v18, 16, v20
	v_bfi_b32 v49, v62, 0, v21
	v_lshlrev_b32_e32 v48, 16, v21
	s_waitcnt vmcnt(3)
	v_bfi_b32 v21, v62, 0, v22
	v_lshlrev_b32_e32 v20, 16, v22
	v_bfi_b32 v51, v62, 0, v23
	v_lshlrev_b32_e32 v50, 16, v23
	v_bfi_b32 v23, v62, 0, v24
	v_lshlrev_b32_e32 v22, 16, v24
	v_bfi_b32 v53, v62, 0, v25
	v_lshlrev_b32_e32 v52, 16, v25
	s_waitcnt vmcnt(2)
	v_bfi_b32 v25, v62, 0, v58
	v_lshlrev_b32_e32 v24, 16, v58
	v_bfi_b32 v55, v62, 0, v59
	v_lshlrev_b32_e32 v54, 16, v59
	v_bfi_b32 v57, v62, 0, v60
	v_lshlrev_b32_e32 v56, 16, v60
	v_bfi_b32 v59, v62, 0, v61
	v_lshlrev_b32_e32 v58, 16, v61
	s_waitcnt vmcnt(1)
	v_bfi_b32 v61, v62, 0, v64
	v_lshlrev_b32_e32 v60, 16, v64
	v_bfi_b32 v63, v62, 0, v65
	v_lshlrev_b32_e32 v62, 16, v65
	s_waitcnt vmcnt(0)
	v_lshlrev_b32_e32 v68, 16, v0
.LBB1_2:                                ; =>This Inner Loop Header: Depth=1
	s_add_u32 s0, 0, 0xb05ab300
	s_addc_u32 s1, 0, 21
	s_add_i32 s1, s1, 0x5b05af0
	s_mul_hi_u32 s13, s0, 0xffffffd3
	s_mul_i32 s14, s1, 0xffffffd3
	s_add_i32 s13, s13, s14
	s_mul_i32 s10, s0, 0xffffffd3
	s_sub_i32 s13, s13, s0
	s_mul_hi_u32 s11, s1, s10
	s_mul_i32 s12, s1, s10
	s_mul_i32 s15, s0, s13
	s_mul_hi_u32 s10, s0, s10
	s_mul_hi_u32 s14, s0, s13
	s_add_u32 s10, s10, s15
	s_addc_u32 s14, 0, s14
	s_add_u32 s10, s10, s12
	s_mul_hi_u32 s15, s1, s13
	s_addc_u32 s10, s14, s11
	s_addc_u32 s11, s15, 0
	s_mul_i32 s12, s1, s13
	s_add_u32 s10, s10, s12
	v_mov_b32_e32 v0, s10
	v_ashrrev_i32_e32 v64, 31, v27
	s_addc_u32 s11, 0, s11
	v_add_co_u32_e32 v69, vcc, s0, v0
	v_mov_b32_e32 v65, v64
	s_cmp_lg_u64 vcc, 0
	v_lshl_add_u64 v[66:67], v[26:27], 0, v[64:65]
	s_addc_u32 s10, s1, s11
	v_xor_b32_e32 v74, v66, v64
	v_xor_b32_e32 v65, v67, v64
	v_mad_u64_u32 v[66:67], s[0:1], v74, s10, 0
	v_mul_hi_u32 v0, v74, v69
	v_lshl_add_u64 v[66:67], v[0:1], 0, v[66:67]
	v_mad_u64_u32 v[72:73], s[0:1], v65, v69, 0
	v_add_co_u32_e32 v0, vcc, v66, v72
	v_mad_u64_u32 v[70:71], s[0:1], v65, s10, 0
	s_nop 0
	v_addc_co_u32_e32 v0, vcc, v67, v73, vcc
	s_waitcnt lgkmcnt(0)
	v_lshl_add_u64 v[26:27], v[26:27], 0, s[2:3]
	v_addc_co_u32_e32 v71, vcc, 0, v71, vcc
	v_lshl_add_u64 v[66:67], v[0:1], 0, v[70:71]
	v_mad_u64_u32 v[70:71], s[0:1], v66, 45, 0
	v_mov_b32_e32 v0, v71
	v_mad_u64_u32 v[66:67], s[0:1], v67, 45, v[0:1]
	v_sub_co_u32_e32 v0, vcc, v74, v70
	s_nop 1
	v_subb_co_u32_e32 v65, vcc, v65, v66, vcc
	v_subrev_co_u32_e32 v66, vcc, 45, v0
	v_cmp_lt_u32_e64 s[0:1], 44, v66
	s_nop 0
	v_subbrev_co_u32_e32 v67, vcc, 0, v65, vcc
	v_cmp_eq_u32_e32 vcc, 0, v67
	v_cndmask_b32_e64 v67, 0, -1, s[0:1]
	v_cmp_lt_u32_e64 s[0:1], 44, v0
	v_cndmask_b32_e32 v67, -1, v67, vcc
	v_cmp_ne_u32_e32 vcc, 0, v67
	v_subrev_u32_e32 v67, 45, v66
	s_nop 0
	v_cndmask_b32_e32 v66, v66, v67, vcc
	v_cmp_eq_u32_e32 vcc, 0, v65
	v_cndmask_b32_e64 v65, 0, -1, s[0:1]
	s_nop 0
	v_cndmask_b32_e32 v65, -1, v65, vcc
	v_cmp_ne_u32_e32 vcc, 0, v65
	s_nop 1
	v_cndmask_b32_e32 v0, v0, v66, vcc
	v_xor_b32_e32 v0, v0, v64
	v_sub_u32_e32 v0, v0, v64
	v_mul_hi_i32_i24_e32 v65, 61, v0
	v_mul_i32_i24_e32 v64, 61, v0
	v_lshlrev_b64 v[64:65], 2, v[64:65]
	v_lshl_add_u64 v[66:67], s[4:5], 0, v[64:65]
	global_load_dwordx4 v[70:73], v[66:67], off offset:48
	global_load_dwordx4 v[74:77], v[66:67], off offset:32
	global_load_dwordx4 v[78:81], v[66:67], off offset:16
	global_load_dwordx4 v[82:85], v[66:67], off
	v_lshl_add_u64 v[64:65], s[6:7], 0, v[64:65]
	v_cmp_lt_i64_e32 vcc, 44, v[26:27]
	s_or_b64 s[8:9], vcc, s[8:9]
	s_waitcnt vmcnt(3)
	v_pk_add_f32 v[70:71], v[70:71], v[6:7]
	s_waitcnt vmcnt(2)
	v_pk_add_f32 v[74:75], v[74:75], v[4:5]
	s_waitcnt vmcnt(1)
	v_pk_add_f32 v[78:79], v[78:79], v[2:3]
	s_waitcnt vmcnt(0)
	v_pk_add_f32 v[82:83], v[82:83], v[28:29]
	v_pk_add_f32 v[84:85], v[84:85], v[30:31]
	v_pk_add_f32 v[80:81], v[80:81], v[32:33]
	v_pk_add_f32 v[76:77], v[76:77], v[34:35]
	v_pk_add_f32 v[72:73], v[72:73], v[36:37]
	global_store_dwordx4 v[64:65], v[82:85], off
	global_store_dwordx4 v[64:65], v[78:81], off offset:16
	global_store_dwordx4 v[64:65], v[74:77], off offset:32
	global_store_dwordx4 v[64:65], v[70:73], off offset:48
	global_load_dwordx4 v[70:73], v[66:67], off offset:112
	s_nop 0
	global_load_dwordx4 v[74:77], v[66:67], off offset:96
	global_load_dwordx4 v[78:81], v[66:67], off offset:80
	global_load_dwordx4 v[82:85], v[66:67], off offset:64
	s_waitcnt vmcnt(3)
	v_pk_add_f32 v[70:71], v[70:71], v[14:15]
	s_waitcnt vmcnt(2)
	v_pk_add_f32 v[74:75], v[74:75], v[12:13]
	s_waitcnt vmcnt(1)
	v_pk_add_f32 v[78:79], v[78:79], v[10:11]
	s_waitcnt vmcnt(0)
	v_pk_add_f32 v[82:83], v[82:83], v[8:9]
	v_pk_add_f32 v[84:85], v[84:85], v[38:39]
	v_pk_add_f32 v[80:81], v[80:81], v[40:41]
	v_pk_add_f32 v[76:77], v[76:77], v[42:43]
	v_pk_add_f32 v[72:73], v[72:73], v[44:45]
	global_store_dwordx4 v[64:65], v[82:85], off offset:64
	global_store_dwordx4 v[64:65], v[78:81], off offset:80
	global_store_dwordx4 v[64:65], v[74:77], off offset:96
	global_store_dwordx4 v[64:65], v[70:73], off offset:112
	global_load_dwordx4 v[70:73], v[66:67], off offset:176
	s_nop 0
	global_load_dwordx4 v[74:77], v[66:67], off offset:160
	global_load_dwordx4 v[78:81], v[66:67], off offset:144
	global_load_dwordx4 v[82:85], v[66:67], off offset:128
	s_waitcnt vmcnt(3)
	v_pk_add_f32 v[70:71], v[70:71], v[22:23]
	s_waitcnt vmcnt(2)
	v_pk_add_f32 v[74:75], v[74:75], v[20:21]
	s_waitcnt vmcnt(1)
	v_pk_add_f32 v[78:79], v[78:79], v[18:19]
	s_waitcnt vmcnt(0)
	v_pk_add_f32 v[82:83], v[82:83], v[16:17]
	v_pk_add_f32 v[84:85], v[84:85], v[46:47]
	v_pk_add_f32 v[80:81], v[80:81], v[48:49]
	v_pk_add_f32 v[76:77], v[76:77], v[50:51]
	v_pk_add_f32 v[72:73], v[72:73], v[52:53]
	global_store_dwordx4 v[64:65], v[82:85], off offset:128
	global_store_dwordx4 v[64:65], v[78:81], off offset:144
	global_store_dwordx4 v[64:65], v[74:77], off offset:160
	global_store_dwordx4 v[64:65], v[70:73], off offset:176
	global_load_dword v0, v[66:67], off offset:240
	s_nop 0
	global_load_dwordx4 v[70:73], v[66:67], off offset:224
	global_load_dwordx4 v[74:77], v[66:67], off offset:208
	global_load_dwordx4 v[78:81], v[66:67], off offset:192
	s_waitcnt vmcnt(3)
	v_add_f32_e32 v0, v0, v68
	s_waitcnt vmcnt(2)
	v_pk_add_f32 v[70:71], v[70:71], v[60:61]
	s_waitcnt vmcnt(1)
	v_pk_add_f32 v[74:75], v[74:75], v[56:57]
	s_waitcnt vmcnt(0)
	v_pk_add_f32 v[78:79], v[78:79], v[24:25]
	v_pk_add_f32 v[80:81], v[80:81], v[54:55]
	v_pk_add_f32 v[76:77], v[76:77], v[58:59]
	v_pk_add_f32 v[72:73], v[72:73], v[62:63]
	global_store_dwordx4 v[64:65], v[78:81], off offset:192
	global_store_dwordx4 v[64:65], v[74:77], off offset:208
	global_store_dwordx4 v[64:65], v[70:73], off offset:224
	global_store_dword v[64:65], v0, off offset:240
	s_andn2_b64 exec, exec, s[8:9]
	s_cbranch_execnz .LBB1_2
.LBB1_3:
	s_endpgm
	.section	.rodata,"a",@progbits
	.p2align	6, 0x0
	.amdhsa_kernel _Z24kevc_matmul_bias_gelu_p1PKtS0_S0_PtPfS2_x
		.amdhsa_group_segment_fixed_size 0
		.amdhsa_private_segment_fixed_size 0
		.amdhsa_kernarg_size 56
		.amdhsa_user_sgpr_count 2
		.amdhsa_user_sgpr_dispatch_ptr 0
		.amdhsa_user_sgpr_queue_ptr 0
		.amdhsa_user_sgpr_kernarg_segment_ptr 1
		.amdhsa_user_sgpr_dispatch_id 0
		.amdhsa_user_sgpr_kernarg_preload_length 0
		.amdhsa_user_sgpr_kernarg_preload_offset 0
		.amdhsa_user_sgpr_private_segment_size 0
		.amdhsa_uses_dynamic_stack 0
		.amdhsa_enable_private_segment 0
		.amdhsa_system_sgpr_workgroup_id_x 1
		.amdhsa_system_sgpr_workgroup_id_y 0
		.amdhsa_system_sgpr_workgroup_id_z 0
		.amdhsa_system_sgpr_workgroup_info 0
		.amdhsa_system_vgpr_workitem_id 0
		.amdhsa_next_free_vgpr 86
		.amdhsa_next_free_sgpr 16
		.amdhsa_accum_offset 88
		.amdhsa_reserve_vcc 1
		.amdhsa_reserve_xnack_mask 1
		.amdhsa_float_round_mode_32 0
		.amdhsa_float_round_mode_16_64 0
		.amdhsa_float_denorm_mode_32 3
		.amdhsa_float_denorm_mode_16_64 3
		.amdhsa_dx10_clamp 1
		.amdhsa_ieee_mode 1
		.amdhsa_fp16_overflow 0
		.amdhsa_tg_split 0
		.amdhsa_exception_fp_ieee_invalid_op 0
		.amdhsa_exception_fp_denorm_src 0
		.amdhsa_exception_fp_ieee_div_zero 0
		.amdhsa_exception_fp_ieee_overflow 0
		.amdhsa_exception_fp_ieee_underflow 0
		.amdhsa_exception_fp_ieee_inexact 0
		.amdhsa_exception_int_div_zero 0
	.end_amdhsa_kernel
	.text
.Lfunc_end1:
	.size	_Z24kevc_matmul_bias_gelu_p1PKtS0_S0_PtPfS2_x, .Lfunc_end1-_Z24kevc_matmul_bias_gelu_p1PKtS0_S0_PtPfS2_x
                                        ; -- End function
	.section	.AMDGPU.csdata,"",@progbits
; Kernel info:
; codeLenInByte = 1528
; NumSgprs: 22
; NumVgprs: 86
; NumAgprs: 0
; TotalNumVgprs: 86
; ScratchSize: 0
; MemoryBound: 0
; FloatMode: 240
; IeeeMode: 1
; LDSByteSize: 0 bytes/workgroup (compile time only)
; SGPRBlocks: 2
; VGPRBlocks: 10
; NumSGPRsForWavesPerEU: 22
; NumVGPRsForWavesPerEU: 86
; AccumOffset: 88
; Occupancy: 5
; WaveLimiterHint : 0
; COMPUTE_PGM_RSRC2:SCRATCH_EN: 0
; COMPUTE_PGM_RSRC2:USER_SGPR: 2
; COMPUTE_PGM_RSRC2:TRAP_HANDLER: 0
; COMPUTE_PGM_RSRC2:TGID_X_EN: 1
; COMPUTE_PGM_RSRC2:TGID_Y_EN: 0
; COMPUTE_PGM_RSRC2:TGID_Z_EN: 0
; COMPUTE_PGM_RSRC2:TIDIG_COMP_CNT: 0
; COMPUTE_PGM_RSRC3_GFX90A:ACCUM_OFFSET: 21
; COMPUTE_PGM_RSRC3_GFX90A:TG_SPLIT: 0
	.text
	.protected	_Z24kevc_matmul_bias_gelu_p2PKtS0_S0_PtPfS2_x ; -- Begin function _Z24kevc_matmul_bias_gelu_p2PKtS0_S0_PtPfS2_x
	.globl	_Z24kevc_matmul_bias_gelu_p2PKtS0_S0_PtPfS2_x
	.p2align	8
	.type	_Z24kevc_matmul_bias_gelu_p2PKtS0_S0_PtPfS2_x,@function
_Z24kevc_matmul_bias_gelu_p2PKtS0_S0_PtPfS2_x: ; @_Z24kevc_matmul_bias_gelu_p2PKtS0_S0_PtPfS2_x
; %bb.0:
	s_mov_b32 s3, 0
	s_lshl_b64 s[2:3], s[2:3], 8
	v_mov_b32_e32 v1, 0
	v_lshl_add_u64 v[2:3], s[2:3], 0, v[0:1]
	v_cmp_gt_u64_e32 vcc, 45, v[2:3]
	s_and_saveexec_b64 s[2:3], vcc
	s_cbranch_execz .LBB2_9
; %bb.1:
	s_load_dwordx4 s[12:15], s[0:1], 0x28
	s_load_dwordx2 s[10:11], s[0:1], 0x18
	s_mov_b64 s[16:17], 0
	s_mov_b32 s19, 0x3fb504f3
	s_mov_b32 s18, 0x3ea7ba05
	s_waitcnt lgkmcnt(0)
	s_add_u32 s20, s12, 0xf0
	s_addc_u32 s21, s13, 0
	s_add_u32 s22, s10, 0x78
	s_addc_u32 s23, s11, 0
	s_mov_b32 s24, 0x3f87dc22
	v_mov_b32_e32 v4, 0xbfba00e3
	s_mov_b32 s26, 0x3fb5f0e3
	s_mov_b32 s28, 0xbe91a98e
	s_mov_b32 s30, 0x3e827906
	s_mov_b32 s25, 0x3fb8aa3b
	s_mov_b32 s27, 0xc2ce8ed0
	s_mov_b32 s29, 0x42b17218
	v_mov_b32_e32 v5, 0x7f800000
	s_mov_b32 s31, 0x7f800001
	s_movk_i32 s33, 0x7fff
	s_mov_b32 s36, 0x7060302
	s_mov_b32 s37, 0x5040100
	s_movk_i32 s38, 0x7f80
	v_mov_b32_e32 v14, 64
                                        ; implicit-def: $vgpr0
                                        ; implicit-def: $vgpr0
                                        ; implicit-def: $vgpr0
	s_branch .LBB2_3
.LBB2_2:                                ;   in Loop: Header=BB2_3 Depth=1
	s_or_b64 exec, exec, s[0:1]
	v_and_b32_e32 v8, 0x7fff, v0
	v_or_b32_e32 v9, 64, v0
	v_cmp_lt_u16_e32 vcc, s38, v8
	v_lshl_add_u64 v[2:3], v[2:3], 0, s[14:15]
	v_lshl_add_u64 v[6:7], v[6:7], 1, s[22:23]
	v_cndmask_b32_e32 v0, v0, v9, vcc
	v_cmp_lt_i64_e32 vcc, 44, v[2:3]
	s_or_b64 s[16:17], vcc, s[16:17]
	global_store_short v[6:7], v0, off
	s_andn2_b64 exec, exec, s[16:17]
	s_cbranch_execz .LBB2_9
.LBB2_3:                                ; =>This Loop Header: Depth=1
                                        ;     Child Loop BB2_4 Depth 2
	s_add_u32 s0, 0, 0xb05ab300
	s_addc_u32 s1, 0, 21
	s_add_i32 s1, s1, 0x5b05af0
	s_mul_hi_u32 s5, s0, 0xffffffd3
	s_mul_i32 s6, s1, 0xffffffd3
	s_add_i32 s5, s5, s6
	s_mul_i32 s2, s0, 0xffffffd3
	s_sub_i32 s5, s5, s0
	s_mul_hi_u32 s3, s1, s2
	s_mul_i32 s4, s1, s2
	s_mul_i32 s7, s0, s5
	s_mul_hi_u32 s2, s0, s2
	s_mul_hi_u32 s6, s0, s5
	s_add_u32 s2, s2, s7
	s_addc_u32 s6, 0, s6
	s_add_u32 s2, s2, s4
	s_mul_hi_u32 s7, s1, s5
	s_addc_u32 s2, s6, s3
	s_addc_u32 s3, s7, 0
	s_mul_i32 s4, s1, s5
	s_add_u32 s2, s2, s4
	v_mov_b32_e32 v0, s2
	v_ashrrev_i32_e32 v6, 31, v3
	s_addc_u32 s3, 0, s3
	v_add_co_u32_e32 v12, vcc, s0, v0
	v_mov_b32_e32 v7, v6
	s_cmp_lg_u64 vcc, 0
	v_lshl_add_u64 v[8:9], v[2:3], 0, v[6:7]
	s_addc_u32 s2, s1, s3
	v_xor_b32_e32 v15, v8, v6
	v_xor_b32_e32 v7, v9, v6
	v_mad_u64_u32 v[8:9], s[0:1], v15, s2, 0
	v_mul_hi_u32 v0, v15, v12
	v_lshl_add_u64 v[8:9], v[0:1], 0, v[8:9]
	v_mad_u64_u32 v[12:13], s[0:1], v7, v12, 0
	v_add_co_u32_e32 v0, vcc, v8, v12
	v_mad_u64_u32 v[10:11], s[0:1], v7, s2, 0
	s_nop 0
	v_addc_co_u32_e32 v0, vcc, v9, v13, vcc
	s_mov_b64 s[34:35], 0
	s_nop 0
	v_addc_co_u32_e32 v11, vcc, 0, v11, vcc
	v_lshl_add_u64 v[8:9], v[0:1], 0, v[10:11]
	v_mad_u64_u32 v[10:11], s[0:1], v8, 45, 0
	v_mov_b32_e32 v0, v11
	v_mad_u64_u32 v[8:9], s[0:1], v9, 45, v[0:1]
	v_sub_co_u32_e32 v0, vcc, v15, v10
	s_nop 1
	v_subb_co_u32_e32 v7, vcc, v7, v8, vcc
	v_subrev_co_u32_e32 v8, vcc, 45, v0
	s_nop 1
	v_subbrev_co_u32_e32 v9, vcc, 0, v7, vcc
	v_cmp_lt_u32_e32 vcc, 44, v8
	s_nop 1
	v_cndmask_b32_e64 v10, 0, -1, vcc
	v_cmp_eq_u32_e32 vcc, 0, v9
	s_nop 1
	v_cndmask_b32_e32 v9, -1, v10, vcc
	v_subrev_u32_e32 v10, 45, v8
	v_cmp_ne_u32_e32 vcc, 0, v9
	s_nop 1
	v_cndmask_b32_e32 v8, v8, v10, vcc
	v_cmp_lt_u32_e32 vcc, 44, v0
	s_nop 1
	v_cndmask_b32_e64 v9, 0, -1, vcc
	v_cmp_eq_u32_e32 vcc, 0, v7
	s_nop 1
	v_cndmask_b32_e32 v7, -1, v9, vcc
	v_cmp_ne_u32_e32 vcc, 0, v7
	s_nop 1
	v_cndmask_b32_e32 v0, v0, v8, vcc
	v_xor_b32_e32 v0, v0, v6
	v_sub_u32_e32 v0, v0, v6
	v_mul_hi_i32_i24_e32 v7, 61, v0
	v_mul_i32_i24_e32 v6, 61, v0
	v_lshl_add_u64 v[8:9], v[6:7], 1, s[10:11]
	v_lshl_add_u64 v[10:11], v[6:7], 2, s[12:13]
.LBB2_4:                                ;   Parent Loop BB2_3 Depth=1
                                        ; =>  This Inner Loop Header: Depth=2
	global_load_dwordx2 v[12:13], v[10:11], off
	v_lshl_add_u64 v[16:17], v[8:9], 0, s[34:35]
	s_add_u32 s34, s34, 4
	s_addc_u32 s35, s35, 0
	v_lshl_add_u64 v[10:11], v[10:11], 0, 8
	s_cmp_lg_u64 s[34:35], 0x78
	s_waitcnt vmcnt(0)
	v_div_scale_f32 v0, s[0:1], s19, s19, v13
	v_div_scale_f32 v20, s[0:1], s19, s19, v12
	v_rcp_f32_e32 v22, v0
	v_rcp_f32_e32 v23, v20
	v_div_scale_f32 v15, vcc, v13, s19, v13
	v_fma_f32 v24, -v0, v22, 1.0
	v_fma_f32 v25, -v20, v23, 1.0
	v_fmac_f32_e32 v22, v24, v22
	v_div_scale_f32 v21, s[0:1], v12, s19, v12
	v_fmac_f32_e32 v23, v25, v23
	v_mul_f32_e32 v24, v15, v22
	v_mul_f32_e32 v25, v21, v23
	v_fma_f32 v26, -v0, v24, v15
	v_fma_f32 v27, -v20, v25, v21
	v_fmac_f32_e32 v24, v26, v22
	v_fmac_f32_e32 v25, v27, v23
	v_fma_f32 v0, -v0, v24, v15
	v_fma_f32 v15, -v20, v25, v21
	v_div_fmas_f32 v0, v0, v22, v24
	s_mov_b64 vcc, s[0:1]
	v_pk_mul_f32 v[18:19], v[12:13], 0.5 op_sel_hi:[1,0]
	v_div_fixup_f32 v0, v0, s19, v13
	v_div_fmas_f32 v13, v15, v23, v25
	v_div_fixup_f32 v12, v13, s19, v12
	v_cmp_gt_f32_e64 s[0:1], 0, v0
	v_cmp_gt_f32_e64 s[2:3], 0, v12
	s_nop 0
	v_cndmask_b32_e64 v13, v0, -v0, s[0:1]
	v_cndmask_b32_e64 v12, v12, -v12, s[2:3]
	v_pk_fma_f32 v[20:21], v[12:13], s[18:19], 1.0 op_sel_hi:[1,0,0]
	v_pk_mul_f32 v[12:13], v[12:13], v[12:13] neg_lo:[0,1] neg_hi:[0,1]
	v_div_scale_f32 v0, s[4:5], v21, v21, 1.0
	v_div_scale_f32 v22, s[4:5], v20, v20, 1.0
	v_rcp_f32_e32 v26, v0
	v_mul_f32_e32 v24, 0x3fb8aa3b, v13
	v_rcp_f32_e32 v27, v22
	v_mul_f32_e32 v25, 0x3fb8aa3b, v12
	v_fma_f32 v28, v13, s25, -v24
	v_rndne_f32_e32 v29, v24
	v_fma_f32 v30, v12, s25, -v25
	v_rndne_f32_e32 v31, v25
	v_fmac_f32_e32 v28, 0x32a5705f, v13
	v_sub_f32_e32 v24, v24, v29
	v_fmac_f32_e32 v30, 0x32a5705f, v12
	v_sub_f32_e32 v25, v25, v31
	v_add_f32_e32 v24, v24, v28
	v_fma_f32 v28, -v0, v26, 1.0
	v_div_scale_f32 v15, vcc, 1.0, v21, 1.0
	v_add_f32_e32 v25, v25, v30
	v_fma_f32 v30, -v22, v27, 1.0
	v_fmac_f32_e32 v26, v28, v26
	v_div_scale_f32 v23, s[4:5], 1.0, v20, 1.0
	v_fmac_f32_e32 v27, v30, v27
	v_mul_f32_e32 v28, v15, v26
	v_mul_f32_e32 v30, v23, v27
	v_fma_f32 v32, -v0, v28, v15
	v_fma_f32 v33, -v22, v30, v23
	v_fmac_f32_e32 v28, v32, v26
	v_fmac_f32_e32 v30, v33, v27
	v_fma_f32 v0, -v0, v28, v15
	v_fma_f32 v15, -v22, v30, v23
	v_div_fmas_f32 v0, v0, v26, v28
	s_mov_b64 vcc, s[4:5]
	v_cvt_i32_f32_e32 v29, v29
	v_cvt_i32_f32_e32 v31, v31
	v_exp_f32_e32 v24, v24
	v_exp_f32_e32 v25, v25
	v_div_fixup_f32 v21, v0, v21, 1.0
	v_div_fmas_f32 v0, v15, v27, v30
	v_div_fixup_f32 v20, v0, v20, 1.0
	v_pk_fma_f32 v[22:23], v[20:21], s[24:25], v[4:5] op_sel_hi:[1,0,0]
	v_ldexp_f32 v24, v24, v29
	v_pk_fma_f32 v[22:23], v[20:21], v[22:23], s[26:27] op_sel_hi:[1,1,0]
	v_ldexp_f32 v25, v25, v31
	v_cmp_ngt_f32_e64 s[6:7], s27, v12
	v_cmp_ngt_f32_e64 s[8:9], s27, v13
	v_pk_fma_f32 v[22:23], v[20:21], v[22:23], s[28:29] op_sel_hi:[1,1,0]
	v_cndmask_b32_e64 v25, 0, v25, s[6:7]
	v_cndmask_b32_e64 v24, 0, v24, s[8:9]
	v_cmp_nlt_f32_e64 s[6:7], s29, v12
	v_cmp_nlt_f32_e64 s[8:9], s29, v13
	v_pk_fma_f32 v[22:23], v[20:21], v[22:23], s[30:31] op_sel_hi:[1,1,0]
	v_cndmask_b32_e64 v12, v5, v25, s[6:7]
	v_cndmask_b32_e64 v13, v5, v24, s[8:9]
	v_pk_mul_f32 v[20:21], v[20:21], v[22:23]
	s_nop 0
	v_pk_fma_f32 v[12:13], v[12:13], v[20:21], 1.0 op_sel_hi:[1,1,0] neg_lo:[1,0,0] neg_hi:[1,0,0]
	s_nop 0
	v_cndmask_b32_e64 v13, v13, -v13, s[0:1]
	v_cndmask_b32_e64 v12, v12, -v12, s[2:3]
	v_pk_add_f32 v[12:13], v[12:13], 1.0 op_sel_hi:[1,0]
	s_nop 0
	v_pk_mul_f32 v[12:13], v[18:19], v[12:13]
	s_nop 0
	v_bfe_u32 v18, v12, 16, 1
	v_bfe_u32 v19, v13, 16, 1
	v_perm_b32 v20, v13, v12, s36
	v_and_b32_e32 v0, 0x7fffffff, v12
	v_and_b32_e32 v15, 0x7fffffff, v13
	v_add3_u32 v13, v13, v19, s33
	v_add3_u32 v12, v12, v18, s33
	v_or_b32_e32 v18, 0x400040, v20
	v_lshrrev_b32_e32 v13, 16, v13
	v_lshrrev_b32_e32 v19, 16, v18
	v_cmp_gt_u32_e32 vcc, s31, v15
	v_lshrrev_b32_e32 v12, 16, v12
	v_cmp_gt_u32_e64 s[0:1], s31, v0
	s_nop 1
	v_cndmask_b32_e64 v0, v18, v12, s[0:1]
	v_cndmask_b32_e32 v12, v19, v13, vcc
	v_perm_b32 v13, v12, v0, s37
	v_and_b32_e32 v15, 0x7fff7fff, v13
	v_or_b32_e32 v13, 0x400040, v13
	v_cmp_lt_u16_e32 vcc, s38, v15
	s_nop 1
	v_cndmask_b32_e32 v0, v0, v13, vcc
	v_lshrrev_b32_e32 v13, 16, v13
	v_cmp_gt_u16_sdwa vcc, v15, s38 src0_sel:WORD_1 src1_sel:DWORD
	s_nop 1
	v_cndmask_b32_e32 v12, v12, v13, vcc
	v_perm_b32 v0, v12, v0, s37
	global_store_dword v[16:17], v0, off
	s_cbranch_scc1 .LBB2_4
; %bb.5:                                ;   in Loop: Header=BB2_3 Depth=1
	v_lshl_add_u64 v[8:9], v[6:7], 2, s[20:21]
	global_load_dword v0, v[8:9], off
	s_waitcnt vmcnt(0)
	v_div_scale_f32 v8, s[0:1], s19, s19, v0
	v_rcp_f32_e32 v9, v8
	v_div_scale_f32 v11, vcc, v0, s19, v0
	v_mul_f32_e32 v10, 0.5, v0
	v_fma_f32 v12, -v8, v9, 1.0
	v_fmac_f32_e32 v9, v12, v9
	v_mul_f32_e32 v12, v11, v9
	v_fma_f32 v13, -v8, v12, v11
	v_fmac_f32_e32 v12, v13, v9
	v_fma_f32 v8, -v8, v12, v11
	v_div_fmas_f32 v8, v8, v9, v12
	v_div_fixup_f32 v0, v8, s19, v0
	v_cmp_gt_f32_e64 s[0:1], 0, v0
	s_nop 1
	v_cndmask_b32_e64 v0, v0, -v0, s[0:1]
	v_fma_f32 v8, v0, s18, 1.0
	v_div_scale_f32 v9, s[2:3], v8, v8, 1.0
	v_mul_f32_e64 v0, v0, -v0
	v_rcp_f32_e32 v13, v9
	v_mul_f32_e32 v12, 0x3fb8aa3b, v0
	v_fma_f32 v15, v0, s25, -v12
	v_rndne_f32_e32 v16, v12
	v_fmac_f32_e32 v15, 0x32a5705f, v0
	v_sub_f32_e32 v12, v12, v16
	v_add_f32_e32 v12, v12, v15
	v_fma_f32 v15, -v9, v13, 1.0
	v_div_scale_f32 v11, vcc, 1.0, v8, 1.0
	v_fmac_f32_e32 v13, v15, v13
	v_mul_f32_e32 v15, v11, v13
	v_fma_f32 v17, -v9, v15, v11
	v_fmac_f32_e32 v15, v17, v13
	v_fma_f32 v9, -v9, v15, v11
	v_cvt_i32_f32_e32 v16, v16
	v_exp_f32_e32 v12, v12
	v_div_fmas_f32 v9, v9, v13, v15
	v_div_fixup_f32 v8, v9, v8, 1.0
	v_fmamk_f32 v9, v8, 0x3f87dc22, v4
	v_fmaak_f32 v9, v8, v9, 0x3fb5f0e3
	v_ldexp_f32 v12, v12, v16
	v_cmp_ngt_f32_e64 s[2:3], s27, v0
	v_fmaak_f32 v9, v8, v9, 0xbe91a98e
	v_fmaak_f32 v9, v8, v9, 0x3e827906
	v_cndmask_b32_e64 v12, 0, v12, s[2:3]
	v_cmp_nlt_f32_e32 vcc, s29, v0
	v_mul_f32_e32 v8, v8, v9
	s_nop 0
	v_cndmask_b32_e32 v0, v5, v12, vcc
	v_fma_f32 v0, -v0, v8, 1.0
	v_cndmask_b32_e64 v0, v0, -v0, s[0:1]
	v_add_f32_e32 v0, 1.0, v0
	v_mul_f32_e32 v8, v10, v0
	v_and_b32_e32 v0, 0x7fffffff, v8
	v_cmp_gt_u32_e32 vcc, s31, v0
                                        ; implicit-def: $vgpr0
	s_and_saveexec_b64 s[0:1], vcc
	s_xor_b64 s[0:1], exec, s[0:1]
; %bb.6:                                ;   in Loop: Header=BB2_3 Depth=1
	v_bfe_u32 v0, v8, 16, 1
	v_add3_u32 v0, v8, v0, s33
	v_lshrrev_b32_e32 v0, 16, v0
                                        ; implicit-def: $vgpr8
; %bb.7:                                ;   in Loop: Header=BB2_3 Depth=1
	s_andn2_saveexec_b64 s[0:1], s[0:1]
	s_cbranch_execz .LBB2_2
; %bb.8:                                ;   in Loop: Header=BB2_3 Depth=1
	v_or_b32_sdwa v0, v8, v14 dst_sel:DWORD dst_unused:UNUSED_PAD src0_sel:WORD_1 src1_sel:DWORD
	s_branch .LBB2_2
.LBB2_9:
	s_endpgm
	.section	.rodata,"a",@progbits
	.p2align	6, 0x0
	.amdhsa_kernel _Z24kevc_matmul_bias_gelu_p2PKtS0_S0_PtPfS2_x
		.amdhsa_group_segment_fixed_size 0
		.amdhsa_private_segment_fixed_size 0
		.amdhsa_kernarg_size 56
		.amdhsa_user_sgpr_count 2
		.amdhsa_user_sgpr_dispatch_ptr 0
		.amdhsa_user_sgpr_queue_ptr 0
		.amdhsa_user_sgpr_kernarg_segment_ptr 1
		.amdhsa_user_sgpr_dispatch_id 0
		.amdhsa_user_sgpr_kernarg_preload_length 0
		.amdhsa_user_sgpr_kernarg_preload_offset 0
		.amdhsa_user_sgpr_private_segment_size 0
		.amdhsa_uses_dynamic_stack 0
		.amdhsa_enable_private_segment 0
		.amdhsa_system_sgpr_workgroup_id_x 1
		.amdhsa_system_sgpr_workgroup_id_y 0
		.amdhsa_system_sgpr_workgroup_id_z 0
		.amdhsa_system_sgpr_workgroup_info 0
		.amdhsa_system_vgpr_workitem_id 0
		.amdhsa_next_free_vgpr 34
		.amdhsa_next_free_sgpr 39
		.amdhsa_accum_offset 36
		.amdhsa_reserve_vcc 1
		.amdhsa_reserve_xnack_mask 1
		.amdhsa_float_round_mode_32 0
		.amdhsa_float_round_mode_16_64 0
		.amdhsa_float_denorm_mode_32 3
		.amdhsa_float_denorm_mode_16_64 3
		.amdhsa_dx10_clamp 1
		.amdhsa_ieee_mode 1
		.amdhsa_fp16_overflow 0
		.amdhsa_tg_split 0
		.amdhsa_exception_fp_ieee_invalid_op 0
		.amdhsa_exception_fp_denorm_src 0
		.amdhsa_exception_fp_ieee_div_zero 0
		.amdhsa_exception_fp_ieee_overflow 0
		.amdhsa_exception_fp_ieee_underflow 0
		.amdhsa_exception_fp_ieee_inexact 0
		.amdhsa_exception_int_div_zero 0
	.end_amdhsa_kernel
	.text
.Lfunc_end2:
	.size	_Z24kevc_matmul_bias_gelu_p2PKtS0_S0_PtPfS2_x, .Lfunc_end2-_Z24kevc_matmul_bias_gelu_p2PKtS0_S0_PtPfS2_x
                                        ; -- End function
	.section	.AMDGPU.csdata,"",@progbits
; Kernel info:
; codeLenInByte = 1904
; NumSgprs: 45
; NumVgprs: 34
; NumAgprs: 0
; TotalNumVgprs: 34
; ScratchSize: 0
; MemoryBound: 0
; FloatMode: 240
; IeeeMode: 1
; LDSByteSize: 0 bytes/workgroup (compile time only)
; SGPRBlocks: 5
; VGPRBlocks: 4
; NumSGPRsForWavesPerEU: 45
; NumVGPRsForWavesPerEU: 34
; AccumOffset: 36
; Occupancy: 8
; WaveLimiterHint : 0
; COMPUTE_PGM_RSRC2:SCRATCH_EN: 0
; COMPUTE_PGM_RSRC2:USER_SGPR: 2
; COMPUTE_PGM_RSRC2:TRAP_HANDLER: 0
; COMPUTE_PGM_RSRC2:TGID_X_EN: 1
; COMPUTE_PGM_RSRC2:TGID_Y_EN: 0
; COMPUTE_PGM_RSRC2:TGID_Z_EN: 0
; COMPUTE_PGM_RSRC2:TIDIG_COMP_CNT: 0
; COMPUTE_PGM_RSRC3_GFX90A:ACCUM_OFFSET: 8
; COMPUTE_PGM_RSRC3_GFX90A:TG_SPLIT: 0
	.text
	.p2alignl 6, 3212836864
	.fill 256, 4, 3212836864
	.type	__hip_cuid_3e44d761716f5372,@object ; @__hip_cuid_3e44d761716f5372
	.section	.bss,"aw",@nobits
	.globl	__hip_cuid_3e44d761716f5372
__hip_cuid_3e44d761716f5372:
	.byte	0                               ; 0x0
	.size	__hip_cuid_3e44d761716f5372, 1

	.section	".note.GNU-stack","",@progbits
	.addrsig
	.addrsig_sym __hip_cuid_3e44d761716f5372
	.amdgpu_metadata
---
amdhsa.kernels:
  - .agpr_count:     16
    .args:
      - .actual_access:  read_only
        .address_space:  global
        .offset:         0
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  read_only
        .address_space:  global
        .offset:         8
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  read_only
        .address_space:  global
        .offset:         16
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  read_only
        .address_space:  global
        .offset:         24
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  write_only
        .address_space:  global
        .offset:         32
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  read_only
        .address_space:  global
        .offset:         40
        .size:           8
        .value_kind:     global_buffer
      - .offset:         48
        .size:           8
        .value_kind:     by_value
    .group_segment_fixed_size: 0
    .kernarg_segment_align: 8
    .kernarg_segment_size: 56
    .max_flat_workgroup_size: 64
    .name:           _Z24kevc_matmul_bias_gelu_p0PKtS0_S0_PtPfS2_x
    .private_segment_fixed_size: 0
    .sgpr_count:     49
    .sgpr_spill_count: 0
    .symbol:         _Z24kevc_matmul_bias_gelu_p0PKtS0_S0_PtPfS2_x.kd
    .uniform_work_group_size: 1
    .uses_dynamic_stack: false
    .vgpr_count:     80
    .vgpr_spill_count: 0
    .wavefront_size: 64
  - .agpr_count:     0
    .args:
      - .actual_access:  read_only
        .address_space:  global
        .offset:         0
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  read_only
        .address_space:  global
        .offset:         8
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  read_only
        .address_space:  global
        .offset:         16
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  read_only
        .address_space:  global
        .offset:         24
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  read_only
        .address_space:  global
        .offset:         32
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  write_only
        .address_space:  global
        .offset:         40
        .size:           8
        .value_kind:     global_buffer
      - .offset:         48
        .size:           8
        .value_kind:     by_value
    .group_segment_fixed_size: 0
    .kernarg_segment_align: 8
    .kernarg_segment_size: 56
    .max_flat_workgroup_size: 1024
    .name:           _Z24kevc_matmul_bias_gelu_p1PKtS0_S0_PtPfS2_x
    .private_segment_fixed_size: 0
    .sgpr_count:     22
    .sgpr_spill_count: 0
    .symbol:         _Z24kevc_matmul_bias_gelu_p1PKtS0_S0_PtPfS2_x.kd
    .uniform_work_group_size: 1
    .uses_dynamic_stack: false
    .vgpr_count:     86
    .vgpr_spill_count: 0
    .wavefront_size: 64
  - .agpr_count:     0
    .args:
      - .actual_access:  read_only
        .address_space:  global
        .offset:         0
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  read_only
        .address_space:  global
        .offset:         8
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  read_only
        .address_space:  global
        .offset:         16
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  write_only
        .address_space:  global
        .offset:         24
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  read_only
        .address_space:  global
        .offset:         32
        .size:           8
        .value_kind:     global_buffer
      - .actual_access:  read_only
        .address_space:  global
        .offset:         40
        .size:           8
        .value_kind:     global_buffer
      - .offset:         48
        .size:           8
        .value_kind:     by_value
    .group_segment_fixed_size: 0
    .kernarg_segment_align: 8
    .kernarg_segment_size: 56
    .max_flat_workgroup_size: 1024
    .name:           _Z24kevc_matmul_bias_gelu_p2PKtS0_S0_PtPfS2_x
    .private_segment_fixed_size: 0
    .sgpr_count:     45
    .sgpr_spill_count: 0
    .symbol:         _Z24kevc_matmul_bias_gelu_p2PKtS0_S0_PtPfS2_x.kd
    .uniform_work_group_size: 1
    .uses_dynamic_stack: false
    .vgpr_count:     34
    .vgpr_spill_count: 0
    .wavefront_size: 64
amdhsa.target:   amdgcn-amd-amdhsa--gfx942
amdhsa.version:
  - 1
  - 2
...

	.end_amdgpu_metadata
