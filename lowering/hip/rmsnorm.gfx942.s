	.text
	.amdgcn_target "amdgcn-amd-amdhsa--gfx942"
	.amdhsa_code_object_version 5
	.protected	_Z15kevc_rmsnorm_p0PKtS0_fPtx ; -- Begin function _Z15kevc_rmsnorm_p0PKtS0_fPtx
	.globl	_Z15kevc_rmsnorm_p0PKtS0_fPtx
	.p2align	8
	.type	_Z15kevc_rmsnorm_p0PKtS0_fPtx,@function
_Z15kevc_rmsnorm_p0PKtS0_fPtx:          ; @_Z15kevc_rmsnorm_p0PKtS0_fPtx
; %bb.0:
	s_mov_b32 s3, 0
	s_lshl_b64 s[2:3], s[2:3], 8
	v_mov_b32_e32 v1, 0
	v_lshl_add_u64 v[2:3], s[2:3], 0, v[0:1]
	v_cmp_gt_u64_e32 vcc, 61, v[2:3]
	s_and_saveexec_b64 s[2:3], vcc
	s_cbranch_execz .LBB0_7
; %bb.1:
	s_load_dwordx4 s[16:19], s[0:1], 0x18
	s_load_dwordx4 s[20:23], s[0:1], 0x0
	s_load_dword s26, s[0:1], 0x10
	s_mov_b64 s[14:15], 0
	s_mov_b32 s27, 0x42c00000
	s_mov_b32 s28, 0xf800000
	v_mov_b32_e32 v14, 0x260
	v_mov_b32_e32 v15, 0xffff
	s_mov_b32 s29, 0x7f800001
	s_movk_i32 s30, 0x7fff
	s_mov_b32 s31, 0x5040100
	s_movk_i32 s33, 0x7f80
	v_mov_b32_e32 v16, 64
.LBB0_2:                                ; =>This Loop Header: Depth=1
                                        ;     Child Loop BB0_3 Depth 2
                                        ;     Child Loop BB0_5 Depth 2
	s_add_u32 s0, 0, 0xef363000
	s_addc_u32 s1, 0, 19
	s_or_b32 s1, s1, 0x4325c40
	s_mul_hi_u32 s5, s0, 0xffffffc3
	s_mul_i32 s6, s1, 0xffffffc3
	s_add_i32 s5, s5, s6
	s_mul_i32 s2, s0, 0xffffffc3
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
	v_ashrrev_i32_e32 v4, 31, v3
	s_addc_u32 s3, 0, s3
	v_add_co_u32_e32 v10, vcc, s0, v0
	v_mov_b32_e32 v5, v4
	s_cmp_lg_u64 vcc, 0
	v_lshl_add_u64 v[6:7], v[2:3], 0, v[4:5]
	s_addc_u32 s2, s1, s3
	v_xor_b32_e32 v12, v6, v4
	v_xor_b32_e32 v5, v7, v4
	v_mad_u64_u32 v[6:7], s[0:1], v12, s2, 0
	v_mul_hi_u32 v0, v12, v10
	v_lshl_add_u64 v[6:7], v[0:1], 0, v[6:7]
	v_mad_u64_u32 v[10:11], s[0:1], v5, v10, 0
	v_add_co_u32_e32 v0, vcc, v6, v10
	v_mad_u64_u32 v[8:9], s[0:1], v5, s2, 0
	s_nop 0
	v_addc_co_u32_e32 v0, vcc, v7, v11, vcc
	s_nop 1
	v_addc_co_u32_e32 v9, vcc, 0, v9, vcc
	v_lshl_add_u64 v[6:7], v[0:1], 0, v[8:9]
	v_mad_u64_u32 v[8:9], s[0:1], v6, 61, 0
	v_mov_b32_e32 v0, v9
	v_mad_u64_u32 v[6:7], s[0:1], v7, 61, v[0:1]
	v_sub_co_u32_e32 v0, vcc, v12, v8
	s_mov_b64 s[0:1], 0
	s_nop 0
	v_subb_co_u32_e32 v5, vcc, v5, v6, vcc
	v_subrev_co_u32_e32 v6, vcc, 61, v0
	s_nop 1
	v_subbrev_co_u32_e32 v7, vcc, 0, v5, vcc
	v_cmp_lt_u32_e32 vcc, 60, v6
	s_nop 1
	v_cndmask_b32_e64 v8, 0, -1, vcc
	v_cmp_eq_u32_e32 vcc, 0, v7
	s_nop 1
	v_cndmask_b32_e32 v7, -1, v8, vcc
	v_subrev_u32_e32 v8, 61, v6
	v_cmp_ne_u32_e32 vcc, 0, v7
	s_nop 1
	v_cndmask_b32_e32 v6, v6, v8, vcc
	v_cmp_lt_u32_e32 vcc, 60, v0
	s_nop 1
	v_cndmask_b32_e64 v7, 0, -1, vcc
	v_cmp_eq_u32_e32 vcc, 0, v5
	s_nop 1
	v_cndmask_b32_e32 v5, -1, v7, vcc
	v_cmp_ne_u32_e32 vcc, 0, v5
	s_nop 1
	v_cndmask_b32_e32 v0, v0, v6, vcc
	v_xor_b32_e32 v0, v0, v4
	v_sub_u32_e32 v0, v0, v4
	v_mul_hi_i32_i24_e32 v5, 0xc0, v0
	v_mul_i32_i24_e32 v4, 0xc0, v0
	s_waitcnt lgkmcnt(0)
	v_lshl_add_u64 v[4:5], s[20:21], 0, v[4:5]
	v_mov_b32_e32 v6, 0
.LBB0_3:                                ;   Parent Loop BB0_2 Depth=1
                                        ; =>  This Inner Loop Header: Depth=2
	v_lshl_add_u64 v[12:13], v[4:5], 0, s[0:1]
	global_load_dwordx4 v[8:11], v[12:13], off
	global_load_dwordx4 v[18:21], v[12:13], off offset:16
	s_add_u32 s0, s0, 32
	s_addc_u32 s1, s1, 0
	s_cmp_eq_u64 s[0:1], 0xc0
	s_waitcnt vmcnt(1)
	v_lshlrev_b32_e32 v7, 16, v8
	v_and_b32_e32 v8, 0xffff0000, v8
	v_fmac_f32_e32 v6, v7, v7
	v_lshlrev_b32_e32 v12, 16, v9
	v_fmac_f32_e32 v6, v8, v8
	v_and_b32_e32 v9, 0xffff0000, v9
	v_fmac_f32_e32 v6, v12, v12
	v_lshlrev_b32_e32 v13, 16, v10
	v_fmac_f32_e32 v6, v9, v9
	v_and_b32_e32 v10, 0xffff0000, v10
	v_fmac_f32_e32 v6, v13, v13
	v_lshlrev_b32_e32 v17, 16, v11
	v_fmac_f32_e32 v6, v10, v10
	v_and_b32_e32 v11, 0xffff0000, v11
	v_fmac_f32_e32 v6, v17, v17
	s_waitcnt vmcnt(0)
	v_lshlrev_b32_e32 v22, 16, v18
	v_fmac_f32_e32 v6, v11, v11
	v_and_b32_e32 v18, 0xffff0000, v18
	v_fmac_f32_e32 v6, v22, v22
	v_lshlrev_b32_e32 v23, 16, v19
	v_fmac_f32_e32 v6, v18, v18
	v_and_b32_e32 v19, 0xffff0000, v19
	v_fmac_f32_e32 v6, v23, v23
	v_lshlrev_b32_e32 v24, 16, v20
	v_fmac_f32_e32 v6, v19, v19
	v_and_b32_e32 v20, 0xffff0000, v20
	v_fmac_f32_e32 v6, v24, v24
	v_lshlrev_b32_e32 v25, 16, v21
	v_fmac_f32_e32 v6, v20, v20
	v_and_b32_e32 v21, 0xffff0000, v21
	v_fmac_f32_e32 v6, v25, v25
	v_fmac_f32_e32 v6, v21, v21
	s_cbranch_scc0 .LBB0_3
; %bb.4:                                ;   in Loop: Header=BB0_2 Depth=1
	v_div_scale_f32 v7, s[0:1], s27, s27, v6
	v_rcp_f32_e32 v8, v7
	v_div_scale_f32 v9, vcc, v6, s27, v6
	s_mov_b64 s[24:25], 8
	v_fma_f32 v10, -v7, v8, 1.0
	v_fmac_f32_e32 v8, v10, v8
	v_mul_f32_e32 v10, v9, v8
	v_fma_f32 v11, -v7, v10, v9
	v_fmac_f32_e32 v10, v11, v8
	v_fma_f32 v7, -v7, v10, v9
	v_div_fmas_f32 v7, v7, v8, v10
	v_div_fixup_f32 v6, v7, s27, v6
	v_add_f32_e32 v6, s26, v6
	v_mul_f32_e32 v7, 0x4f800000, v6
	v_cmp_gt_f32_e32 vcc, s28, v6
	v_mul_hi_i32_i24_e32 v11, 0x60, v0
	v_mul_i32_i24_e32 v10, 0x60, v0
	v_cndmask_b32_e32 v6, v6, v7, vcc
	v_sqrt_f32_e32 v7, v6
	v_lshl_add_u64 v[10:11], v[10:11], 1, s[16:17]
	v_add_u32_e32 v8, -1, v7
	v_fma_f32 v9, -v8, v7, v6
	v_cmp_ge_f32_e64 s[0:1], 0, v9
	v_add_u32_e32 v9, 1, v7
	s_nop 0
	v_cndmask_b32_e64 v8, v7, v8, s[0:1]
	v_fma_f32 v7, -v9, v7, v6
	v_cmp_lt_f32_e64 s[0:1], 0, v7
	s_nop 1
	v_cndmask_b32_e64 v7, v8, v9, s[0:1]
	v_mul_f32_e32 v8, 0x37800000, v7
	v_cndmask_b32_e32 v7, v7, v8, vcc
	v_cmp_class_f32_e32 vcc, v6, v14
	s_nop 1
	v_cndmask_b32_e32 v6, v7, v6, vcc
	v_div_scale_f32 v7, s[0:1], v6, v6, 1.0
	v_rcp_f32_e32 v8, v7
	s_nop 0
	v_fma_f32 v0, -v7, v8, 1.0
	v_fmac_f32_e32 v8, v0, v8
	v_div_scale_f32 v0, vcc, 1.0, v6, 1.0
	v_mul_f32_e32 v9, v0, v8
	v_fma_f32 v12, -v7, v9, v0
	v_fmac_f32_e32 v9, v12, v8
	v_fma_f32 v0, -v7, v9, v0
	v_div_fmas_f32 v0, v0, v8, v9
	v_div_fixup_f32 v6, v0, v6, 1.0
	v_mov_b32_e32 v7, v6
	v_mov_b32_e32 v8, v6
	v_mov_b32_e32 v9, v6
.LBB0_5:                                ;   Parent Loop BB0_2 Depth=1
                                        ; =>  This Inner Loop Header: Depth=2
	s_nop 0
	v_lshl_add_u64 v[18:19], v[4:5], 0, s[24:25]
	s_add_u32 s0, s22, s24
	global_load_dwordx4 v[18:21], v[18:19], off offset:-8
	s_addc_u32 s1, s23, s25
	global_load_dwordx4 v[22:25], v1, s[0:1] offset:-8
	v_lshl_add_u64 v[12:13], v[10:11], 0, s[24:25]
	s_add_u32 s24, s24, 16
	s_addc_u32 s25, s25, 0
	s_cmp_eq_u64 s[24:25], 0xc8
	s_waitcnt vmcnt(1)
	v_and_b32_e32 v27, 0xffff0000, v19
	v_lshlrev_b32_e32 v26, 16, v19
	v_and_b32_e32 v19, 0xffff0000, v18
	v_lshlrev_b32_e32 v18, 16, v18
	v_and_b32_e32 v29, 0xffff0000, v21
	v_lshlrev_b32_e32 v28, 16, v21
	v_and_b32_e32 v21, 0xffff0000, v20
	v_lshlrev_b32_e32 v20, 16, v20
	v_pk_mul_f32 v[18:19], v[6:7], v[18:19]
	s_waitcnt vmcnt(0)
	v_bfi_b32 v31, v15, 0, v22
	v_lshlrev_b32_e32 v30, 16, v22
	v_bfi_b32 v33, v15, 0, v23
	v_lshlrev_b32_e32 v32, 16, v23
	v_pk_mul_f32 v[20:21], v[6:7], v[20:21]
	v_pk_mul_f32 v[22:23], v[8:9], v[28:29]
	v_bfi_b32 v29, v15, 0, v24
	v_lshlrev_b32_e32 v28, 16, v24
	v_pk_mul_f32 v[26:27], v[8:9], v[26:27]
	v_bfi_b32 v35, v15, 0, v25
	v_lshlrev_b32_e32 v34, 16, v25
	v_pk_mul_f32 v[18:19], v[18:19], v[30:31]
	v_pk_mul_f32 v[20:21], v[20:21], v[28:29]
	v_pk_mul_f32 v[24:25], v[26:27], v[32:33]
	v_pk_mul_f32 v[22:23], v[22:23], v[34:35]
	v_bfe_u32 v28, v18, 16, 1
	v_bfe_u32 v29, v19, 16, 1
	v_bfe_u32 v40, v20, 16, 1
	v_bfe_u32 v41, v21, 16, 1
	v_and_b32_e32 v0, 0x7fffffff, v18
	v_and_b32_e32 v17, 0x7fffffff, v19
	v_bfe_u32 v30, v24, 16, 1
	v_bfe_u32 v31, v25, 16, 1
	v_or_b32_sdwa v34, v19, v16 dst_sel:DWORD dst_unused:UNUSED_PAD src0_sel:WORD_1 src1_sel:DWORD
	v_or_b32_sdwa v35, v18, v16 dst_sel:DWORD dst_unused:UNUSED_PAD src0_sel:WORD_1 src1_sel:DWORD
	v_and_b32_e32 v36, 0x7fffffff, v20
	v_and_b32_e32 v37, 0x7fffffff, v21
	v_bfe_u32 v42, v22, 16, 1
	v_bfe_u32 v43, v23, 16, 1
	v_or_b32_sdwa v46, v21, v16 dst_sel:DWORD dst_unused:UNUSED_PAD src0_sel:WORD_1 src1_sel:DWORD
	v_or_b32_sdwa v47, v20, v16 dst_sel:DWORD dst_unused:UNUSED_PAD src0_sel:WORD_1 src1_sel:DWORD
	v_add3_u32 v19, v19, v29, s30
	v_add3_u32 v18, v18, v28, s30
	v_add3_u32 v21, v21, v41, s30
	v_add3_u32 v20, v20, v40, s30
	v_and_b32_e32 v26, 0x7fffffff, v24
	v_and_b32_e32 v27, 0x7fffffff, v25
	v_or_b32_sdwa v32, v25, v16 dst_sel:DWORD dst_unused:UNUSED_PAD src0_sel:WORD_1 src1_sel:DWORD
	v_or_b32_sdwa v33, v24, v16 dst_sel:DWORD dst_unused:UNUSED_PAD src0_sel:WORD_1 src1_sel:DWORD
	v_and_b32_e32 v38, 0x7fffffff, v22
	v_and_b32_e32 v39, 0x7fffffff, v23
	v_or_b32_sdwa v44, v23, v16 dst_sel:DWORD dst_unused:UNUSED_PAD src0_sel:WORD_1 src1_sel:DWORD
	v_or_b32_sdwa v45, v22, v16 dst_sel:DWORD dst_unused:UNUSED_PAD src0_sel:WORD_1 src1_sel:DWORD
	v_add3_u32 v25, v25, v31, s30
	v_add3_u32 v24, v24, v30, s30
	v_add3_u32 v23, v23, v43, s30
	v_add3_u32 v22, v22, v42, s30
	v_lshrrev_b32_e32 v19, 16, v19
	v_cmp_gt_u32_e64 s[2:3], s29, v17
	v_lshrrev_b32_e32 v17, 16, v18
	v_lshrrev_b32_e32 v21, 16, v21
	v_cmp_gt_u32_e64 s[8:9], s29, v37
	v_lshrrev_b32_e32 v20, 16, v20
	v_cmp_gt_u32_e64 s[10:11], s29, v36
	v_cmp_gt_u32_e64 s[12:13], s29, v0
	v_lshrrev_b32_e32 v25, 16, v25
	v_cmp_gt_u32_e32 vcc, s29, v27
	v_lshrrev_b32_e32 v24, 16, v24
	v_cmp_gt_u32_e64 s[0:1], s29, v26
	v_lshrrev_b32_e32 v18, 16, v23
	v_cmp_gt_u32_e64 s[4:5], s29, v39
	v_lshrrev_b32_e32 v22, 16, v22
	v_cmp_gt_u32_e64 s[6:7], s29, v38
	v_cndmask_b32_e64 v0, v35, v17, s[12:13]
	v_cndmask_b32_e64 v17, v34, v19, s[2:3]
	v_cndmask_b32_e64 v20, v47, v20, s[10:11]
	v_cndmask_b32_e64 v21, v46, v21, s[8:9]
	v_cndmask_b32_e64 v19, v33, v24, s[0:1]
	v_cndmask_b32_e32 v23, v32, v25, vcc
	v_cndmask_b32_e64 v22, v45, v22, s[6:7]
	v_cndmask_b32_e64 v18, v44, v18, s[4:5]
	v_perm_b32 v24, v17, v0, s31
	v_perm_b32 v26, v21, v20, s31
	v_perm_b32 v25, v23, v19, s31
	v_perm_b32 v27, v18, v22, s31
	v_and_b32_e32 v29, 0x7fff7fff, v24
	v_and_b32_e32 v31, 0x7fff7fff, v26
	v_and_b32_e32 v28, 0x7fff7fff, v25
	v_or_b32_e32 v24, 0x400040, v24
	v_and_b32_e32 v30, 0x7fff7fff, v27
	v_or_b32_e32 v26, 0x400040, v26
	v_cmp_lt_u16_e64 s[0:1], s33, v29
	v_cmp_lt_u16_e64 s[4:5], s33, v31
	v_or_b32_e32 v25, 0x400040, v25
	v_or_b32_e32 v27, 0x400040, v27
	v_cndmask_b32_e64 v0, v0, v24, s[0:1]
	v_cmp_lt_u16_e64 s[0:1], s33, v28
	v_cndmask_b32_e64 v20, v20, v26, s[4:5]
	v_cmp_lt_u16_e64 s[4:5], s33, v30
	v_lshrrev_b32_e32 v32, 16, v25
	v_cmp_gt_u16_sdwa vcc, v28, s33 src0_sel:WORD_1 src1_sel:DWORD
	v_lshrrev_b32_e32 v24, 16, v24
	v_cndmask_b32_e64 v19, v19, v25, s[0:1]
	v_lshrrev_b32_e32 v25, 16, v27
	v_cmp_gt_u16_sdwa s[0:1], v30, s33 src0_sel:WORD_1 src1_sel:DWORD
	v_lshrrev_b32_e32 v28, 16, v26
	v_cmp_gt_u16_sdwa s[2:3], v31, s33 src0_sel:WORD_1 src1_sel:DWORD
	v_cndmask_b32_e64 v22, v22, v27, s[4:5]
	v_cmp_gt_u16_sdwa s[4:5], v29, s33 src0_sel:WORD_1 src1_sel:DWORD
	v_cndmask_b32_e32 v23, v23, v32, vcc
	v_cndmask_b32_e64 v18, v18, v25, s[0:1]
	v_cndmask_b32_e64 v17, v17, v24, s[4:5]
	v_cndmask_b32_e64 v24, v21, v28, s[2:3]
	v_perm_b32 v21, v18, v22, s31
	v_perm_b32 v20, v24, v20, s31
	v_perm_b32 v19, v23, v19, s31
	v_perm_b32 v18, v17, v0, s31
	global_store_dwordx4 v[12:13], v[18:21], off offset:-8
	s_cbranch_scc0 .LBB0_5
; %bb.6:                                ;   in Loop: Header=BB0_2 Depth=1
	v_lshl_add_u64 v[2:3], v[2:3], 0, s[18:19]
	v_cmp_lt_i64_e32 vcc, 60, v[2:3]
	s_or_b64 s[14:15], vcc, s[14:15]
	s_andn2_b64 exec, exec, s[14:15]
	s_cbranch_execnz .LBB0_2
.LBB0_7:
	s_endpgm
	.section	.rodata,"a",@progbits
	.p2align	6, 0x0
	.amdhsa_kernel _Z15kevc_rmsnorm_p0PKtS0_fPtx
		.amdhsa_group_segment_fixed_size 0
		.amdhsa_private_segment_fixed_size 0
		.amdhsa_kernarg_size 40
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
		.amdhsa_next_free_vgpr 48
		.amdhsa_next_free_sgpr 34
		.amdhsa_accum_offset 48
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
	.size	_Z15kevc_rmsnorm_p0PKtS0_fPtx, .Lfunc_end0-_Z15kevc_rmsnorm_p0PKtS0_fPtx
                                        ; -- End function
	.section	.AMDGPU.csdata,"",@progbits
; Kernel info:
; codeLenInByte = 1964
; NumSgprs: 40
; NumVgprs: 48
; NumAgprs: 0
; TotalNumVgprs: 48
; ScratchSize: 0
; MemoryBound: 0
; FloatMode: 240
; IeeeMode: 1
; LDSByteSize: 0 bytes/workgroup (compile time only)
; SGPRBlocks: 4
; VGPRBlocks: 5
; NumSGPRsForWavesPerEU: 40
; NumVGPRsForWavesPerEU: 48
; AccumOffset: 48
; Occupancy: 8
; WaveLimiterHint : 0
; COMPUTE_PGM_RSRC2:SCRATCH_EN: 0
; COMPUTE_PGM_RSRC2:USER_SGPR: 2
; COMPUTE_PGM_RSRC2:TRAP_HANDLER: 0
; COMPUTE_PGM_RSRC2:TGID_X_EN: 1
; COMPUTE_PGM_RSRC2:TGID_Y_EN: 0
; COMPUTE_PGM_RSRC2:TGID_Z_EN: 0
; COMPUTE_PGM_RSRC2:TIDIG_COMP_CNT: 0
; COMPUTE_PGM_RSRC3_GFX90A:ACCUM_OFFSET: 11
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
      - .offset:         16
        .size:           4
        .value_kind:     by_value
      - .actual_access:  write_only
        .address_space:  global
        .offset:         24
        .size:           8
        .value_kind:     global_buffer
      - .offset:         32
        .size:           8
        .value_kind:     by_value
    .group_segment_fixed_size: 0
    .kernarg_segment_align: 8
    .kernarg_segment_size: 40
    .max_flat_workgroup_size: 1024
    .name:           _Z15kevc_rmsnorm_p0PKtS0_fPtx
    .private_segment_fixed_size: 0
    .sgpr_count:     40
    .sgpr_spill_count: 0
    .symbol:         _Z15kevc_rmsnorm_p0PKtS0_fPtx.kd
    .uniform_work_group_size: 1
    .uses_dynamic_stack: false
    .vgpr_count:     48
    .vgpr_spill_count: 0
    .wavefront_size: 64
amdhsa.target:   amdgcn-amd-amdhsa--gfx942
amdhsa.version:
  - 1
  - 2
...

	.end_amdgpu_metadata
