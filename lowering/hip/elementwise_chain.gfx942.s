	.text
	.amdgcn_target "amdgcn-amd-amdhsa--gfx942"
	.amdhsa_code_object_version 5
	.protected	_Z25kevc_elementwise_chain_p0PKfS0_S0_fffPfx ; -- Begin function _Z25kevc_elementwise_chain_p0PKfS0_S0_fffPfx
	.globl	_Z25kevc_elementwise_chain_p0PKfS0_S0_fffPfx
	.p2align	8
	.type	_Z25kevc_elementwise_chain_p0PKfS0_S0_fffPfx,@function
_Z25kevc_elementwise_chain_p0PKfS0_S0_fffPfx: ; @_Z25kevc_elementwise_chain_p0PKfS0_S0_fffPfx
; %bb.0:
	s_mov_b32 s3, 0
	s_lshl_b64 s[2:3], s[2:3], 8
	v_mov_b32_e32 v1, 0
	v_lshl_add_u64 v[2:3], s[2:3], 0, v[0:1]
	s_mov_b64 s[2:3], 0x1340
	v_cmp_gt_u64_e32 vcc, s[2:3], v[2:3]
	s_and_saveexec_b64 s[2:3], vcc
	s_cbranch_execz .LBB0_76
; %bb.1:
	s_load_dwordx8 s[4:11], s[0:1], 0x18
	s_load_dwordx4 s[12:15], s[0:1], 0x0
	s_load_dwordx2 s[16:17], s[0:1], 0x10
	v_lshlrev_b64 v[4:5], 2, v[2:3]
	s_mov_b64 s[18:19], 0
	s_waitcnt lgkmcnt(0)
	s_lshl_b64 s[20:21], s[10:11], 2
	s_movk_i32 s7, 0xffb3
	s_movk_i32 s33, 0x4d
	s_movk_i32 s34, 0x4c
	s_movk_i32 s35, 0x268
	s_movk_i32 s36, 0x267
	s_movk_i32 s37, 0x134
	s_movk_i32 s38, 0xfecc
	s_mov_b32 s39, 0x39d1b717
	s_mov_b32 s40, 0x3fb8aa3b
	s_mov_b32 s41, 0xc2ce8ed0
	s_mov_b32 s42, 0x42b17218
	s_mov_b32 s43, 0x7f800000
	s_mov_b32 s44, 0xbfb8aa3b
	s_mov_b32 s45, 0xb2a5705f
	s_mov_b32 s46, 0x42ce8ed0
	s_mov_b32 s47, 0xc2b17218
	s_mov_b32 s48, 0x800000
	s_mov_b32 s49, 0x3f317217
	s_mov_b32 s50, 0xf800000
	v_mov_b32_e32 v14, 0x260
	s_mov_b64 s[22:23], 0x133f
	v_mov_b32_e32 v15, 0x81a98980
	v_mov_b32_e32 v16, 0x7f800000
	v_mov_b32_e32 v17, 0x4f800000
	v_mov_b32_e32 v18, 0x41b17218
	s_branch .LBB0_6
.LBB0_2:                                ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[0:1]
.LBB0_3:                                ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
	v_mul_f32_e32 v9, 0xbfb8aa3b, v12
	v_rndne_f32_e32 v10, v9
	v_sub_f32_e32 v11, v9, v10
	v_fma_f32 v9, v12, s44, -v9
	v_fmac_f32_e32 v9, 0xb2a5705f, v12
	v_add_f32_e32 v9, v11, v9
	v_cvt_i32_f32_e32 v10, v10
	v_exp_f32_e32 v9, v9
	v_cmp_nlt_f32_e32 vcc, s46, v12
	v_ldexp_f32 v9, v9, v10
	s_nop 0
	v_cndmask_b32_e32 v9, 0, v9, vcc
	v_cmp_ngt_f32_e32 vcc, s47, v12
	s_nop 1
	v_cndmask_b32_e32 v9, v16, v9, vcc
	v_add_f32_e32 v9, 1.0, v9
	v_div_scale_f32 v10, s[0:1], v9, v9, 1.0
	v_rcp_f32_e32 v11, v10
	s_nop 0
	v_fma_f32 v12, -v10, v11, 1.0
	v_fmac_f32_e32 v11, v12, v11
	v_div_scale_f32 v12, vcc, 1.0, v9, 1.0
	v_mul_f32_e32 v22, v12, v11
	v_fma_f32 v23, -v10, v22, v12
	v_fmac_f32_e32 v22, v23, v11
	v_fma_f32 v10, -v10, v22, v12
	v_div_fmas_f32 v10, v10, v11, v22
	v_div_fixup_f32 v9, v10, v9, 1.0
	v_mul_f32_e32 v10, v9, v13
	v_mov_b32_e32 v11, s5
	v_cmp_lt_f32_e32 vcc, s5, v10
	v_fma_f32 v9, v9, v13, s5
	s_nop 0
	v_cndmask_b32_e32 v11, v11, v10, vcc
	v_cmp_u_f32_e32 vcc, s5, v10
	s_nop 1
	v_cndmask_b32_e32 v9, v11, v9, vcc
	v_mov_b32_e32 v11, s6
	v_cmp_gt_f32_e32 vcc, s6, v9
	v_add_f32_e32 v10, s6, v9
	s_nop 0
	v_cndmask_b32_e32 v11, v11, v9, vcc
	v_cmp_u_f32_e32 vcc, s6, v9
	s_nop 1
	v_cndmask_b32_e32 v9, v11, v10, vcc
	v_mul_f32_e64 v10, |v9|, s44
	v_fma_f32 v11, |v9|, s44, -v10
	v_rndne_f32_e32 v12, v10
	v_fma_f32 v11, |v9|, s45, v11
	v_sub_f32_e32 v10, v10, v12
	v_add_f32_e32 v10, v10, v11
	v_exp_f32_e32 v10, v10
	v_cvt_i32_f32_e32 v11, v12
	v_cmp_ngt_f32_e64 vcc, |v9|, s46
	v_ldexp_f32 v10, v10, v11
	s_nop 0
	v_cndmask_b32_e32 v10, 0, v10, vcc
	v_cmp_nlt_f32_e64 vcc, |v9|, s47
	s_waitcnt vmcnt(0)
	v_fma_f32 v11, s4, v21, v0
	v_fmac_f32_e32 v0, s4, v20
	v_cndmask_b32_e32 v9, v16, v10, vcc
	v_add_f32_e32 v9, 1.0, v9
	v_cmp_gt_f32_e32 vcc, s48, v9
	v_fma_f32 v0, v11, v0, 1.0
	s_nop 0
	v_cndmask_b32_e32 v10, 1.0, v17, vcc
	v_mul_f32_e32 v9, v9, v10
	v_log_f32_e32 v9, v9
	s_nop 0
	v_mul_f32_e32 v10, 0x3f317217, v9
	v_fma_f32 v10, v9, s49, -v10
	v_fmac_f32_e32 v10, 0x3377d1cf, v9
	v_fmac_f32_e32 v10, 0x3f317217, v9
	v_cmp_lt_f32_e64 s[0:1], |v9|, s43
	s_nop 1
	v_cndmask_b32_e64 v9, v9, v10, s[0:1]
	v_cndmask_b32_e32 v10, 0, v18, vcc
	v_sub_f32_e32 v9, v9, v10
	v_mul_f32_e32 v10, 0x4f800000, v9
	v_cmp_gt_f32_e32 vcc, s50, v9
	s_nop 1
	v_cndmask_b32_e32 v9, v9, v10, vcc
	v_sqrt_f32_e32 v10, v9
	s_nop 0
	v_add_u32_e32 v12, -1, v10
	v_fma_f32 v13, -v12, v10, v9
	v_cmp_ge_f32_e64 s[0:1], 0, v13
	v_add_u32_e32 v13, 1, v10
	s_nop 0
	v_cndmask_b32_e64 v12, v10, v12, s[0:1]
	v_fma_f32 v10, -v13, v10, v9
	v_cmp_lt_f32_e64 s[0:1], 0, v10
	s_nop 1
	v_cndmask_b32_e64 v10, v12, v13, s[0:1]
	v_mul_f32_e32 v12, 0x37800000, v10
	v_cndmask_b32_e32 v10, v10, v12, vcc
	v_cmp_class_f32_e32 vcc, v9, v14
	s_nop 1
	v_cndmask_b32_e32 v9, v10, v9, vcc
	v_add_f32_e32 v9, v9, v19
	v_div_scale_f32 v10, s[0:1], v0, v0, v9
	v_rcp_f32_e32 v11, v10
	s_nop 0
	v_fma_f32 v12, -v10, v11, 1.0
	v_fmac_f32_e32 v11, v12, v11
	v_div_scale_f32 v12, vcc, v9, v0, v9
	v_mul_f32_e32 v13, v12, v11
	v_fma_f32 v19, -v10, v13, v12
	v_fmac_f32_e32 v13, v19, v11
	v_fma_f32 v10, -v10, v13, v12
	v_div_fmas_f32 v10, v10, v11, v13
	v_div_fixup_f32 v0, v10, v0, v9
.LBB0_4:                                ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[26:27]
	v_mul_hi_i32_i24_e32 v10, 0x134, v8
	v_mul_i32_i24_e32 v11, 0x134, v8
	v_mad_u64_u32 v[8:9], s[0:1], v6, s37, 0
	v_mov_b32_e32 v6, v9
	v_mad_u64_u32 v[6:7], s[0:1], v7, s37, v[6:7]
	v_mov_b32_e32 v7, v6
	v_sub_co_u32_e32 v6, vcc, v11, v8
	v_lshl_add_u64 v[8:9], s[8:9], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v7, vcc, v10, v7, vcc
	v_lshl_add_u64 v[6:7], v[8:9], 0, v[6:7]
	global_store_dword v[6:7], v0, off
.LBB0_5:                                ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[24:25]
	s_add_u32 s8, s8, s20
	s_addc_u32 s9, s9, s21
	s_add_u32 s12, s12, s20
	s_addc_u32 s13, s13, s21
	s_add_u32 s14, s14, s20
	s_addc_u32 s15, s15, s21
	v_lshl_add_u64 v[2:3], v[2:3], 0, s[10:11]
	s_add_u32 s16, s16, s20
	s_addc_u32 s17, s17, s21
	v_cmp_lt_i64_e32 vcc, s[22:23], v[2:3]
	s_or_b64 s[18:19], vcc, s[18:19]
	s_andn2_b64 exec, exec, s[18:19]
	s_cbranch_execz .LBB0_76
.LBB0_6:                                ; =>This Inner Loop Header: Depth=1
	s_add_u32 s0, 0, 0xd4c4c00
	s_addc_u32 s1, 0, 12
	s_or_b32 s1, s1, 0x3531de0
	s_mul_hi_u32 s25, s0, 0xffffffb3
	s_mul_i32 s26, s1, 0xffffffb3
	s_add_i32 s25, s25, s26
	s_mul_i32 s2, s0, 0xffffffb3
	s_sub_i32 s25, s25, s0
	s_mul_hi_u32 s3, s1, s2
	s_mul_i32 s24, s1, s2
	s_mul_i32 s27, s0, s25
	s_mul_hi_u32 s2, s0, s2
	s_mul_hi_u32 s26, s0, s25
	s_add_u32 s2, s2, s27
	s_addc_u32 s26, 0, s26
	s_add_u32 s2, s2, s24
	s_mul_hi_u32 s27, s1, s25
	s_addc_u32 s2, s26, s3
	s_addc_u32 s3, s27, 0
	s_mul_i32 s24, s1, s25
	s_add_u32 s2, s2, s24
	v_mov_b32_e32 v0, s2
	v_ashrrev_i32_e32 v8, 31, v3
	s_addc_u32 s3, 0, s3
	v_add_co_u32_e32 v11, vcc, s0, v0
	v_mov_b32_e32 v9, v8
	s_cmp_lg_u64 vcc, 0
	v_lshl_add_u64 v[6:7], v[2:3], 0, v[8:9]
	s_addc_u32 s2, s1, s3
	v_xor_b32_e32 v10, v6, v8
	v_xor_b32_e32 v9, v7, v8
	v_mad_u64_u32 v[6:7], s[0:1], v10, s2, 0
	v_mul_hi_u32 v0, v10, v11
	v_lshl_add_u64 v[6:7], v[0:1], 0, v[6:7]
	v_mad_u64_u32 v[20:21], s[0:1], v9, v11, 0
	v_add_co_u32_e32 v0, vcc, v6, v20
	v_mad_u64_u32 v[12:13], s[0:1], v9, s2, 0
	s_nop 0
	v_addc_co_u32_e32 v0, vcc, v7, v21, vcc
	s_nop 1
	v_addc_co_u32_e32 v13, vcc, 0, v13, vcc
	v_lshl_add_u64 v[6:7], v[0:1], 0, v[12:13]
	v_mad_u64_u32 v[12:13], s[0:1], v6, s33, 0
	v_mov_b32_e32 v0, v13
	v_mad_u64_u32 v[20:21], s[0:1], v7, s33, v[0:1]
	v_sub_co_u32_e32 v0, vcc, v10, v12
	v_cmp_lt_u32_e64 s[0:1], s34, v0
	s_nop 0
	v_subb_co_u32_e32 v11, vcc, v9, v20, vcc
	v_subrev_co_u32_e32 v12, vcc, 0x4d, v0
	v_cndmask_b32_e64 v0, 0, -1, s[0:1]
	s_nop 0
	v_subbrev_co_u32_e32 v13, vcc, 0, v11, vcc
	v_cmp_lt_u32_e32 vcc, s34, v12
	v_cmp_eq_u32_e64 s[0:1], 0, v11
	v_lshl_add_u64 v[20:21], v[6:7], 0, 1
	v_cndmask_b32_e64 v12, 0, -1, vcc
	v_cmp_eq_u32_e32 vcc, 0, v13
	v_cndmask_b32_e64 v0, -1, v0, s[0:1]
	v_cmp_ne_u32_e64 s[0:1], 0, v0
	v_cndmask_b32_e32 v19, -1, v12, vcc
	v_lshl_add_u64 v[12:13], v[6:7], 0, 2
	v_cmp_ne_u32_e32 vcc, 0, v19
	s_nop 1
	v_cndmask_b32_e32 v13, v21, v13, vcc
	v_cndmask_b32_e64 v0, v7, v13, s[0:1]
	v_cndmask_b32_e32 v7, v20, v12, vcc
	v_cndmask_b32_e64 v6, v6, v7, s[0:1]
	v_xor_b32_e32 v6, v6, v8
	v_xor_b32_e32 v0, v0, v8
	v_sub_co_u32_e32 v6, vcc, v6, v8
	s_nop 1
	v_subb_co_u32_e32 v7, vcc, v0, v8, vcc
	v_ashrrev_i32_e32 v0, 31, v7
	v_lshrrev_b32_e32 v0, 29, v0
	v_lshl_add_u64 v[12:13], v[6:7], 0, v[0:1]
	v_and_b32_e32 v0, -8, v12
	v_sub_co_u32_e32 v12, vcc, v6, v0
	s_nop 1
	v_subb_co_u32_e32 v13, vcc, v7, v13, vcc
	v_cmp_lt_i64_e32 vcc, -1, v[12:13]
	s_and_saveexec_b64 s[24:25], vcc
	s_cbranch_execz .LBB0_5
; %bb.7:                                ;   in Loop: Header=BB0_6 Depth=1
	s_add_u32 s0, 0, 0x6a7d7
	s_addc_u32 s1, 0, 0
	s_add_u32 s0, s0, 0x69f9400
	s_addc_u32 s0, s1, 0x576
	s_addc_u32 s1, 0, 0
	s_add_u32 s0, s0, 0
	s_addc_u32 s1, 0, s1
	v_add_co_u32_e32 v11, vcc, s0, v15
	s_cmp_lg_u64 vcc, 0
	s_addc_u32 s2, s1, 0x6a63bd
	v_mad_u64_u32 v[20:21], s[0:1], v10, s2, 0
	v_mul_hi_u32 v0, v10, v11
	v_lshl_add_u64 v[20:21], v[0:1], 0, v[20:21]
	v_mad_u64_u32 v[24:25], s[0:1], v9, v11, 0
	v_add_co_u32_e32 v0, vcc, v20, v24
	v_mad_u64_u32 v[22:23], s[0:1], v9, s2, 0
	s_nop 0
	v_addc_co_u32_e32 v0, vcc, v21, v25, vcc
	s_nop 1
	v_addc_co_u32_e32 v23, vcc, 0, v23, vcc
	v_lshl_add_u64 v[20:21], v[0:1], 0, v[22:23]
	v_mad_u64_u32 v[22:23], s[0:1], v20, s35, 0
	v_mov_b32_e32 v0, v23
	v_mad_u64_u32 v[24:25], s[0:1], v21, s35, v[0:1]
	v_sub_co_u32_e32 v0, vcc, v10, v22
	v_cmp_lt_u32_e64 s[0:1], s36, v0
	s_nop 0
	v_subb_co_u32_e32 v9, vcc, v9, v24, vcc
	v_subrev_co_u32_e32 v10, vcc, 0x268, v0
	v_cndmask_b32_e64 v0, 0, -1, s[0:1]
	s_nop 0
	v_subbrev_co_u32_e32 v11, vcc, 0, v9, vcc
	v_cmp_lt_u32_e32 vcc, s36, v10
	v_cmp_eq_u32_e64 s[0:1], 0, v9
	v_lshl_add_u64 v[22:23], v[20:21], 0, 1
	v_cndmask_b32_e64 v10, 0, -1, vcc
	v_cmp_eq_u32_e32 vcc, 0, v11
	v_cndmask_b32_e64 v0, -1, v0, s[0:1]
	v_cmp_ne_u32_e64 s[0:1], 0, v0
	v_cndmask_b32_e32 v19, -1, v10, vcc
	v_lshl_add_u64 v[10:11], v[20:21], 0, 2
	v_cmp_ne_u32_e32 vcc, 0, v19
	s_nop 1
	v_cndmask_b32_e32 v9, v22, v10, vcc
	v_cndmask_b32_e32 v11, v23, v11, vcc
	v_cndmask_b32_e64 v9, v20, v9, s[0:1]
	v_cndmask_b32_e64 v0, v21, v11, s[0:1]
	v_xor_b32_e32 v9, v9, v8
	v_xor_b32_e32 v0, v0, v8
	v_sub_co_u32_e32 v10, vcc, v9, v8
	s_nop 1
	v_subb_co_u32_e32 v11, vcc, v0, v8, vcc
	v_ashrrev_i32_e32 v0, 31, v11
	v_lshrrev_b32_e32 v0, 29, v0
	v_lshl_add_u64 v[8:9], v[10:11], 0, v[0:1]
	v_and_b32_e32 v8, -8, v8
	v_and_b32_e32 v0, 0x1fffffff, v9
	v_sub_co_u32_e32 v8, vcc, v10, v8
	s_nop 1
	v_subb_co_u32_e32 v9, vcc, v11, v0, vcc
	v_lshlrev_b64 v[8:9], 3, v[8:9]
	v_sub_co_u32_e32 v10, vcc, 61, v8
	s_nop 1
	v_subb_co_u32_e32 v11, vcc, 0, v9, vcc
	v_cmp_gt_i64_e32 vcc, 8, v[10:11]
	s_nop 1
	v_cndmask_b32_e32 v11, 0, v11, vcc
	v_cndmask_b32_e32 v10, 8, v10, vcc
	v_cmp_lt_u64_e32 vcc, v[12:13], v[10:11]
	s_and_b64 exec, exec, vcc
	s_cbranch_execz .LBB0_5
; %bb.8:                                ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[10:11], s[0:1], v6, s7, v[2:3]
	v_mov_b32_e32 v0, v11
	v_mad_u64_u32 v[20:21], s[0:1], v7, s7, v[0:1]
	v_lshl_add_u64 v[8:9], v[8:9], 0, v[12:13]
	v_sub_u32_e32 v11, v20, v6
	v_cmp_lt_i64_e64 s[0:1], -1, v[8:9]
	v_mov_b32_e32 v0, 0
	s_and_saveexec_b64 s[26:27], s[0:1]
	s_cbranch_execz .LBB0_12
; %bb.9:                                ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_u64_e32 vcc, 61, v[8:9]
	v_cmp_lt_i64_e64 s[2:3], -1, v[10:11]
	s_and_b64 s[28:29], s[2:3], vcc
	v_mov_b32_e32 v0, 0
	s_and_saveexec_b64 s[2:3], s[28:29]
	s_cbranch_execz .LBB0_11
; %bb.10:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[12:13], s[28:29], v6, s37, 0
	v_mov_b32_e32 v0, v13
	v_mul_i32_i24_e32 v22, 0x134, v8
	v_mad_u64_u32 v[20:21], s[28:29], v7, s37, v[0:1]
	v_mul_hi_i32_i24_e32 v19, 0x134, v8
	v_mov_b32_e32 v13, v20
	v_sub_co_u32_e32 v12, vcc, v22, v12
	v_lshl_add_u64 v[20:21], s[12:13], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v13, vcc, v19, v13, vcc
	v_lshl_add_u64 v[12:13], v[20:21], 0, v[12:13]
	global_load_dword v0, v[12:13], off
.LBB0_11:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
.LBB0_12:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[26:27]
	s_waitcnt vmcnt(0)
	v_cmp_lt_f32_e32 vcc, 0, v0
	s_mov_b64 s[2:3], -1
                                        ; implicit-def: $vgpr0
	s_and_saveexec_b64 s[26:27], vcc
	s_cbranch_execz .LBB0_44
; %bb.13:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mov_b32_e32 v0, 0
	s_and_saveexec_b64 s[28:29], s[0:1]
	s_cbranch_execz .LBB0_17
; %bb.14:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_u64_e32 vcc, 61, v[8:9]
	v_cmp_lt_i64_e64 s[2:3], -1, v[10:11]
	s_and_b64 s[30:31], s[2:3], vcc
	v_mov_b32_e32 v0, 0
	s_and_saveexec_b64 s[2:3], s[30:31]
	s_cbranch_execz .LBB0_16
; %bb.15:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[12:13], s[30:31], v6, s37, 0
	v_mov_b32_e32 v0, v13
	v_mul_i32_i24_e32 v22, 0x134, v8
	v_mad_u64_u32 v[20:21], s[30:31], v7, s37, v[0:1]
	v_mul_hi_i32_i24_e32 v19, 0x134, v8
	v_mov_b32_e32 v13, v20
	v_sub_co_u32_e32 v12, vcc, v22, v12
	v_lshl_add_u64 v[20:21], s[14:15], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v13, vcc, v19, v13, vcc
	v_lshl_add_u64 v[12:13], v[20:21], 0, v[12:13]
	global_load_dword v0, v[12:13], off
.LBB0_16:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
.LBB0_17:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[28:29]
	s_waitcnt vmcnt(0)
	v_cmp_o_f32_e32 vcc, v0, v0
	s_mov_b64 s[2:3], -1
                                        ; implicit-def: $vgpr0
	s_and_saveexec_b64 s[28:29], vcc
	s_cbranch_execz .LBB0_43
; %bb.18:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mov_b32_e32 v12, 0
	v_mov_b32_e32 v0, 0
	s_and_saveexec_b64 s[30:31], s[0:1]
	s_cbranch_execz .LBB0_22
; %bb.19:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_u64_e32 vcc, 61, v[8:9]
	v_cmp_lt_i64_e64 s[2:3], -1, v[10:11]
	s_and_b64 s[52:53], s[2:3], vcc
	v_mov_b32_e32 v0, 0
	s_and_saveexec_b64 s[2:3], s[52:53]
	s_cbranch_execz .LBB0_21
; %bb.20:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[20:21], s[52:53], v6, s37, 0
	v_mov_b32_e32 v0, v21
	v_mul_i32_i24_e32 v24, 0x134, v8
	v_mad_u64_u32 v[22:23], s[52:53], v7, s37, v[0:1]
	v_mul_hi_i32_i24_e32 v19, 0x134, v8
	v_mov_b32_e32 v13, v22
	v_sub_co_u32_e32 v20, vcc, v24, v20
	v_lshl_add_u64 v[22:23], s[14:15], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v21, vcc, v19, v13, vcc
	v_lshl_add_u64 v[20:21], v[22:23], 0, v[20:21]
	global_load_dword v0, v[20:21], off
.LBB0_21:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
.LBB0_22:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[30:31]
	s_and_saveexec_b64 s[30:31], s[0:1]
	s_cbranch_execz .LBB0_26
; %bb.23:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_u64_e32 vcc, 61, v[8:9]
	v_cmp_lt_i64_e64 s[2:3], -1, v[10:11]
	s_and_b64 s[52:53], s[2:3], vcc
	v_mov_b32_e32 v12, 0
	s_and_saveexec_b64 s[2:3], s[52:53]
	s_cbranch_execz .LBB0_25
; %bb.24:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[12:13], s[52:53], v6, s37, 0
	v_mov_b32_e32 v20, v13
	v_mul_i32_i24_e32 v22, 0x134, v8
	v_mad_u64_u32 v[20:21], s[52:53], v7, s37, v[20:21]
	v_mul_hi_i32_i24_e32 v19, 0x134, v8
	v_mov_b32_e32 v13, v20
	v_sub_co_u32_e32 v12, vcc, v22, v12
	v_lshl_add_u64 v[20:21], s[12:13], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v13, vcc, v19, v13, vcc
	v_lshl_add_u64 v[12:13], v[20:21], 0, v[12:13]
	global_load_dword v12, v[12:13], off
.LBB0_25:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
.LBB0_26:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[30:31]
	v_lshl_add_u64 v[20:21], s[16:17], 0, v[4:5]
	v_mad_u64_u32 v[20:21], s[2:3], v6, s38, v[20:21]
	v_mov_b32_e32 v22, v21
	v_mad_u64_u32 v[22:23], s[2:3], v7, s38, v[22:23]
	v_sub_u32_e32 v21, v22, v6
	global_load_dword v13, v[20:21], off
	s_waitcnt vmcnt(0)
	v_fma_f32 v12, s4, v12, v13
	v_cmp_gt_f32_e64 s[2:3], 0, v12
	s_nop 1
	v_cndmask_b32_e64 v19, v12, -v12, s[2:3]
	v_cmp_ngt_f32_e32 vcc, s39, v19
	s_and_saveexec_b64 s[30:31], vcc
	s_cbranch_execz .LBB0_28
; %bb.27:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mul_f32_e32 v12, -2.0, v19
	v_mul_f32_e32 v19, 0x3fb8aa3b, v12
	v_fma_f32 v20, v12, s40, -v19
	v_rndne_f32_e32 v21, v19
	v_fmac_f32_e32 v20, 0x32a5705f, v12
	v_sub_f32_e32 v19, v19, v21
	v_add_f32_e32 v19, v19, v20
	v_cvt_i32_f32_e32 v20, v21
	v_exp_f32_e32 v19, v19
	v_cmp_ngt_f32_e32 vcc, s41, v12
	v_ldexp_f32 v19, v19, v20
	s_nop 0
	v_cndmask_b32_e32 v19, 0, v19, vcc
	v_cmp_nlt_f32_e32 vcc, s42, v12
	s_nop 1
	v_cndmask_b32_e32 v12, v16, v19, vcc
	v_sub_f32_e32 v19, 1.0, v12
	v_add_f32_e32 v12, 1.0, v12
	v_div_scale_f32 v20, s[52:53], v12, v12, v19
	v_rcp_f32_e32 v21, v20
	s_nop 0
	v_fma_f32 v22, -v20, v21, 1.0
	v_fmac_f32_e32 v21, v22, v21
	v_div_scale_f32 v22, vcc, v19, v12, v19
	v_mul_f32_e32 v23, v22, v21
	v_fma_f32 v24, -v20, v23, v22
	v_fmac_f32_e32 v23, v24, v21
	v_fma_f32 v20, -v20, v23, v22
	v_div_fmas_f32 v20, v20, v21, v23
	v_div_fixup_f32 v12, v20, v12, v19
	v_cndmask_b32_e64 v12, v12, -v12, s[2:3]
.LBB0_28:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[30:31]
	v_mov_b32_e32 v20, 0
	v_mov_b32_e32 v19, 0
	s_and_saveexec_b64 s[30:31], s[0:1]
	s_cbranch_execz .LBB0_32
; %bb.29:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_u64_e32 vcc, 61, v[8:9]
	v_cmp_lt_i64_e64 s[2:3], -1, v[10:11]
	s_and_b64 s[52:53], s[2:3], vcc
	v_mov_b32_e32 v19, 0
	s_and_saveexec_b64 s[2:3], s[52:53]
	s_cbranch_execz .LBB0_31
; %bb.30:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[22:23], s[52:53], v6, s37, 0
	v_mov_b32_e32 v24, v23
	v_mul_i32_i24_e32 v26, 0x134, v8
	v_mad_u64_u32 v[24:25], s[52:53], v7, s37, v[24:25]
	v_mul_hi_i32_i24_e32 v21, 0x134, v8
	v_mov_b32_e32 v19, v24
	v_sub_co_u32_e32 v22, vcc, v26, v22
	v_lshl_add_u64 v[24:25], s[14:15], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v23, vcc, v21, v19, vcc
	v_lshl_add_u64 v[22:23], v[24:25], 0, v[22:23]
	global_load_dword v19, v[22:23], off
.LBB0_31:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
.LBB0_32:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[30:31]
	s_and_saveexec_b64 s[30:31], s[0:1]
	s_cbranch_execz .LBB0_36
; %bb.33:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_u64_e32 vcc, 61, v[8:9]
	v_cmp_lt_i64_e64 s[2:3], -1, v[10:11]
	s_and_b64 s[52:53], s[2:3], vcc
	v_mov_b32_e32 v20, 0
	s_and_saveexec_b64 s[2:3], s[52:53]
	s_cbranch_execz .LBB0_35
; %bb.34:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[20:21], s[52:53], v6, s37, 0
	v_mov_b32_e32 v22, v21
	v_mul_i32_i24_e32 v25, 0x134, v8
	v_mad_u64_u32 v[22:23], s[52:53], v7, s37, v[22:23]
	v_mul_hi_i32_i24_e32 v24, 0x134, v8
	v_mov_b32_e32 v21, v22
	v_sub_co_u32_e32 v20, vcc, v25, v20
	v_lshl_add_u64 v[22:23], s[12:13], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v21, vcc, v24, v21, vcc
	v_lshl_add_u64 v[20:21], v[22:23], 0, v[20:21]
	global_load_dword v20, v[20:21], off
.LBB0_35:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
.LBB0_36:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[30:31]
	s_waitcnt vmcnt(0)
	v_fmac_f32_e32 v13, s4, v20
	v_cmp_gt_f32_e64 s[2:3], 0, v13
	s_nop 1
	v_cndmask_b32_e64 v20, v13, -v13, s[2:3]
	v_cmp_ngt_f32_e32 vcc, s39, v20
	s_and_saveexec_b64 s[30:31], vcc
	s_cbranch_execz .LBB0_38
; %bb.37:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mul_f32_e32 v13, -2.0, v20
	v_mul_f32_e32 v20, 0x3fb8aa3b, v13
	v_fma_f32 v21, v13, s40, -v20
	v_rndne_f32_e32 v22, v20
	v_fmac_f32_e32 v21, 0x32a5705f, v13
	v_sub_f32_e32 v20, v20, v22
	v_add_f32_e32 v20, v20, v21
	v_cvt_i32_f32_e32 v21, v22
	v_exp_f32_e32 v20, v20
	v_cmp_ngt_f32_e32 vcc, s41, v13
	v_ldexp_f32 v20, v20, v21
	s_nop 0
	v_cndmask_b32_e32 v20, 0, v20, vcc
	v_cmp_nlt_f32_e32 vcc, s42, v13
	s_nop 1
	v_cndmask_b32_e32 v13, v16, v20, vcc
	v_sub_f32_e32 v20, 1.0, v13
	v_add_f32_e32 v13, 1.0, v13
	v_div_scale_f32 v21, s[52:53], v13, v13, v20
	v_rcp_f32_e32 v22, v21
	s_nop 0
	v_fma_f32 v23, -v21, v22, 1.0
	v_fmac_f32_e32 v22, v23, v22
	v_div_scale_f32 v23, vcc, v20, v13, v20
	v_mul_f32_e32 v24, v23, v22
	v_fma_f32 v25, -v21, v24, v23
	v_fmac_f32_e32 v24, v25, v22
	v_fma_f32 v21, -v21, v24, v23
	v_div_fmas_f32 v21, v21, v22, v24
	v_div_fixup_f32 v13, v21, v13, v20
	v_cndmask_b32_e64 v13, v13, -v13, s[2:3]
.LBB0_38:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[30:31]
	v_mul_f32_e32 v20, 0xbfb8aa3b, v19
	v_rndne_f32_e32 v21, v20
	v_sub_f32_e32 v22, v20, v21
	v_fma_f32 v20, v19, s44, -v20
	v_fmac_f32_e32 v20, 0xb2a5705f, v19
	v_add_f32_e32 v20, v22, v20
	v_cvt_i32_f32_e32 v21, v21
	v_exp_f32_e32 v20, v20
	v_cmp_nlt_f32_e32 vcc, s46, v19
	v_ldexp_f32 v20, v20, v21
	s_nop 0
	v_cndmask_b32_e32 v20, 0, v20, vcc
	v_cmp_ngt_f32_e32 vcc, s47, v19
	s_nop 1
	v_cndmask_b32_e32 v19, v16, v20, vcc
	v_add_f32_e32 v19, 1.0, v19
	v_div_scale_f32 v20, s[2:3], v19, v19, 1.0
	v_rcp_f32_e32 v21, v20
	s_nop 0
	v_fma_f32 v22, -v20, v21, 1.0
	v_fmac_f32_e32 v21, v22, v21
	v_div_scale_f32 v22, vcc, 1.0, v19, 1.0
	v_mul_f32_e32 v23, v22, v21
	v_fma_f32 v24, -v20, v23, v22
	v_fmac_f32_e32 v23, v24, v21
	v_fma_f32 v20, -v20, v23, v22
	v_div_fmas_f32 v20, v20, v21, v23
	v_div_fixup_f32 v19, v20, v19, 1.0
	v_mul_f32_e32 v20, v19, v13
	v_mov_b32_e32 v21, s5
	v_cmp_lt_f32_e32 vcc, s5, v20
	v_fma_f32 v13, v19, v13, s5
	s_nop 0
	v_cndmask_b32_e32 v19, v21, v20, vcc
	v_cmp_u_f32_e32 vcc, s5, v20
	v_mov_b32_e32 v20, s6
	s_nop 0
	v_cndmask_b32_e32 v13, v19, v13, vcc
	v_cmp_gt_f32_e32 vcc, s6, v13
	v_add_f32_e32 v19, s6, v13
	s_nop 0
	v_cndmask_b32_e32 v20, v20, v13, vcc
	v_cmp_u_f32_e32 vcc, s6, v13
	s_nop 1
	v_cndmask_b32_e32 v13, v20, v19, vcc
	v_mul_f32_e64 v19, |v13|, s44
	v_fma_f32 v20, |v13|, s44, -v19
	v_rndne_f32_e32 v21, v19
	v_fma_f32 v20, |v13|, s45, v20
	v_sub_f32_e32 v19, v19, v21
	v_add_f32_e32 v19, v19, v20
	v_exp_f32_e32 v19, v19
	v_cvt_i32_f32_e32 v20, v21
	v_cmp_ngt_f32_e64 vcc, |v13|, s46
	v_ldexp_f32 v19, v19, v20
	s_nop 0
	v_cndmask_b32_e32 v19, 0, v19, vcc
	v_cmp_nlt_f32_e64 vcc, |v13|, s47
                                        ; implicit-def: $vgpr13
	s_nop 1
	v_cndmask_b32_e32 v19, v16, v19, vcc
	v_cmp_o_f32_e32 vcc, v19, v19
	s_and_saveexec_b64 s[2:3], vcc
	s_xor_b64 s[2:3], exec, s[2:3]
	s_cbranch_execz .LBB0_40
; %bb.39:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_f32_e32 vcc, s48, v19
	s_nop 1
	v_cndmask_b32_e32 v13, 1.0, v17, vcc
	v_mul_f32_e32 v13, v19, v13
	v_log_f32_e32 v13, v13
	v_cndmask_b32_e32 v19, 0, v18, vcc
	v_mul_f32_e32 v20, 0x3f317217, v13
	v_fma_f32 v20, v13, s49, -v20
	v_fmac_f32_e32 v20, 0x3377d1cf, v13
	v_fmac_f32_e32 v20, 0x3f317217, v13
	v_cmp_lt_f32_e64 vcc, |v13|, s43
	s_nop 1
	v_cndmask_b32_e32 v13, v13, v20, vcc
	v_sub_f32_e32 v13, v13, v19
	v_mul_f32_e32 v13, 0x3fc00000, v13
	v_mul_f32_e32 v19, 0x3fb8aa3b, v13
	v_fma_f32 v20, v13, s40, -v19
	v_rndne_f32_e32 v21, v19
	v_fmac_f32_e32 v20, 0x32a5705f, v13
	v_sub_f32_e32 v19, v19, v21
	v_add_f32_e32 v19, v19, v20
	v_cvt_i32_f32_e32 v20, v21
	v_exp_f32_e32 v19, v19
	v_cmp_ngt_f32_e32 vcc, s41, v13
	v_ldexp_f32 v19, v19, v20
	s_nop 0
	v_cndmask_b32_e32 v19, 0, v19, vcc
	v_cmp_nlt_f32_e32 vcc, s42, v13
	s_nop 1
	v_cndmask_b32_e32 v13, v16, v19, vcc
                                        ; implicit-def: $vgpr19
.LBB0_40:                               ;   in Loop: Header=BB0_6 Depth=1
	s_andn2_saveexec_b64 s[2:3], s[2:3]
; %bb.41:                               ;   in Loop: Header=BB0_6 Depth=1
	v_add_f32_e32 v13, 0x3fc00000, v19
; %bb.42:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
	v_mul_f32_e32 v19, 0xbfb8aa3b, v0
	v_rndne_f32_e32 v20, v19
	v_sub_f32_e32 v21, v19, v20
	v_fma_f32 v19, v0, s44, -v19
	v_fmac_f32_e32 v19, 0xb2a5705f, v0
	v_add_f32_e32 v19, v21, v19
	v_cvt_i32_f32_e32 v20, v20
	v_exp_f32_e32 v19, v19
	v_cmp_nlt_f32_e32 vcc, s46, v0
	v_ldexp_f32 v19, v19, v20
	s_nop 0
	v_cndmask_b32_e32 v19, 0, v19, vcc
	v_cmp_ngt_f32_e32 vcc, s47, v0
	s_nop 1
	v_cndmask_b32_e32 v0, v16, v19, vcc
	v_add_f32_e32 v0, 1.0, v0
	v_div_scale_f32 v19, s[2:3], v0, v0, 1.0
	v_rcp_f32_e32 v20, v19
	s_nop 0
	v_fma_f32 v21, -v19, v20, 1.0
	v_fmac_f32_e32 v20, v21, v20
	v_div_scale_f32 v21, vcc, 1.0, v0, 1.0
	v_mul_f32_e32 v22, v21, v20
	v_fma_f32 v23, -v19, v22, v21
	v_fmac_f32_e32 v22, v23, v20
	v_fma_f32 v19, -v19, v22, v21
	v_div_fmas_f32 v19, v19, v20, v22
	v_div_fixup_f32 v0, v19, v0, 1.0
	v_mul_f32_e32 v19, v0, v12
	v_mov_b32_e32 v20, s5
	v_cmp_lt_f32_e32 vcc, s5, v19
	v_fma_f32 v0, v0, v12, s5
	s_nop 0
	v_cndmask_b32_e32 v12, v20, v19, vcc
	v_cmp_u_f32_e32 vcc, s5, v19
	v_mov_b32_e32 v19, s6
	s_nop 0
	v_cndmask_b32_e32 v0, v12, v0, vcc
	v_cmp_gt_f32_e32 vcc, s6, v0
	v_add_f32_e32 v12, s6, v0
	s_nop 0
	v_cndmask_b32_e32 v19, v19, v0, vcc
	v_cmp_u_f32_e32 vcc, s6, v0
	s_nop 1
	v_cndmask_b32_e32 v0, v19, v12, vcc
	v_mul_f32_e64 v12, |v0|, s44
	v_fma_f32 v19, |v0|, s44, -v12
	v_rndne_f32_e32 v20, v12
	v_fma_f32 v19, |v0|, s45, v19
	v_sub_f32_e32 v12, v12, v20
	v_add_f32_e32 v12, v12, v19
	v_exp_f32_e32 v12, v12
	v_cvt_i32_f32_e32 v19, v20
	v_cmp_ngt_f32_e64 vcc, |v0|, s46
	v_ldexp_f32 v12, v12, v19
	s_nop 0
	v_cndmask_b32_e32 v12, 0, v12, vcc
	v_cmp_nlt_f32_e64 vcc, |v0|, s47
	s_nop 1
	v_cndmask_b32_e32 v0, v16, v12, vcc
	v_add_f32_e32 v0, 1.0, v0
	v_cmp_gt_f32_e32 vcc, s48, v0
	s_nop 1
	v_cndmask_b32_e32 v12, 1.0, v17, vcc
	v_mul_f32_e32 v0, v0, v12
	v_log_f32_e32 v0, v0
	s_nop 0
	v_mul_f32_e32 v12, 0x3f317217, v0
	v_fma_f32 v12, v0, s49, -v12
	v_fmac_f32_e32 v12, 0x3377d1cf, v0
	v_fmac_f32_e32 v12, 0x3f317217, v0
	v_cmp_lt_f32_e64 s[2:3], |v0|, s43
	s_nop 1
	v_cndmask_b32_e64 v0, v0, v12, s[2:3]
	v_cndmask_b32_e32 v12, 0, v18, vcc
	v_sub_f32_e32 v0, v0, v12
	v_mul_f32_e32 v12, 0x4f800000, v0
	v_cmp_gt_f32_e32 vcc, s50, v0
	s_nop 1
	v_cndmask_b32_e32 v0, v0, v12, vcc
	v_sqrt_f32_e32 v12, v0
	s_nop 0
	v_add_u32_e32 v19, -1, v12
	v_fma_f32 v20, -v19, v12, v0
	v_cmp_ge_f32_e64 s[2:3], 0, v20
	v_add_u32_e32 v20, 1, v12
	s_nop 0
	v_cndmask_b32_e64 v19, v12, v19, s[2:3]
	v_fma_f32 v12, -v20, v12, v0
	v_cmp_lt_f32_e64 s[2:3], 0, v12
	s_nop 1
	v_cndmask_b32_e64 v12, v19, v20, s[2:3]
	v_mul_f32_e32 v19, 0x37800000, v12
	v_cndmask_b32_e32 v12, v12, v19, vcc
	v_cmp_class_f32_e32 vcc, v0, v14
	s_xor_b64 s[2:3], exec, -1
	s_nop 0
	v_cndmask_b32_e32 v0, v12, v0, vcc
	v_add_f32_e32 v0, v0, v13
.LBB0_43:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[28:29]
	s_orn2_b64 s[2:3], s[2:3], exec
.LBB0_44:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[26:27]
	s_and_saveexec_b64 s[26:27], s[2:3]
	s_cbranch_execz .LBB0_4
; %bb.45:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mov_b32_e32 v13, 0
	v_mov_b32_e32 v12, 0
	s_and_saveexec_b64 s[28:29], s[0:1]
	s_cbranch_execz .LBB0_49
; %bb.46:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_u64_e32 vcc, 61, v[8:9]
	v_cmp_lt_i64_e64 s[2:3], -1, v[10:11]
	s_and_b64 s[30:31], s[2:3], vcc
	v_mov_b32_e32 v12, 0
	s_and_saveexec_b64 s[2:3], s[30:31]
	s_cbranch_execz .LBB0_48
; %bb.47:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[20:21], s[30:31], v6, s37, 0
	v_mov_b32_e32 v0, v21
	v_mul_i32_i24_e32 v24, 0x134, v8
	v_mad_u64_u32 v[22:23], s[30:31], v7, s37, v[0:1]
	v_mul_hi_i32_i24_e32 v12, 0x134, v8
	v_mov_b32_e32 v19, v22
	v_sub_co_u32_e32 v20, vcc, v24, v20
	v_lshl_add_u64 v[22:23], s[14:15], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v21, vcc, v12, v19, vcc
	v_lshl_add_u64 v[20:21], v[22:23], 0, v[20:21]
	global_load_dword v12, v[20:21], off
.LBB0_48:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
.LBB0_49:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[28:29]
	s_and_saveexec_b64 s[28:29], s[0:1]
	s_cbranch_execz .LBB0_53
; %bb.50:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_u64_e32 vcc, 61, v[8:9]
	v_cmp_lt_i64_e64 s[2:3], -1, v[10:11]
	s_and_b64 s[30:31], s[2:3], vcc
	v_mov_b32_e32 v13, 0
	s_and_saveexec_b64 s[2:3], s[30:31]
	s_cbranch_execz .LBB0_52
; %bb.51:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[20:21], s[30:31], v6, s37, 0
	v_mov_b32_e32 v0, v21
	v_mul_i32_i24_e32 v24, 0x134, v8
	v_mad_u64_u32 v[22:23], s[30:31], v7, s37, v[0:1]
	v_mul_hi_i32_i24_e32 v19, 0x134, v8
	v_mov_b32_e32 v13, v22
	v_sub_co_u32_e32 v20, vcc, v24, v20
	v_lshl_add_u64 v[22:23], s[12:13], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v21, vcc, v19, v13, vcc
	v_lshl_add_u64 v[20:21], v[22:23], 0, v[20:21]
	global_load_dword v13, v[20:21], off
.LBB0_52:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
.LBB0_53:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[28:29]
	v_lshl_add_u64 v[20:21], s[16:17], 0, v[4:5]
	v_mad_u64_u32 v[20:21], s[2:3], v6, s38, v[20:21]
	v_mov_b32_e32 v0, v21
	v_mad_u64_u32 v[22:23], s[2:3], v7, s38, v[0:1]
	v_sub_u32_e32 v21, v22, v6
	global_load_dword v0, v[20:21], off
	s_waitcnt vmcnt(0)
	v_fma_f32 v13, s4, v13, v0
	v_cmp_gt_f32_e64 s[2:3], 0, v13
	s_nop 1
	v_cndmask_b32_e64 v19, v13, -v13, s[2:3]
	v_cmp_ngt_f32_e32 vcc, s39, v19
	s_and_saveexec_b64 s[28:29], vcc
	s_cbranch_execz .LBB0_55
; %bb.54:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mul_f32_e32 v13, -2.0, v19
	v_mul_f32_e32 v19, 0x3fb8aa3b, v13
	v_fma_f32 v20, v13, s40, -v19
	v_rndne_f32_e32 v21, v19
	v_fmac_f32_e32 v20, 0x32a5705f, v13
	v_sub_f32_e32 v19, v19, v21
	v_add_f32_e32 v19, v19, v20
	v_cvt_i32_f32_e32 v20, v21
	v_exp_f32_e32 v19, v19
	v_cmp_ngt_f32_e32 vcc, s41, v13
	v_ldexp_f32 v19, v19, v20
	s_nop 0
	v_cndmask_b32_e32 v19, 0, v19, vcc
	v_cmp_nlt_f32_e32 vcc, s42, v13
	s_nop 1
	v_cndmask_b32_e32 v13, v16, v19, vcc
	v_sub_f32_e32 v19, 1.0, v13
	v_add_f32_e32 v13, 1.0, v13
	v_div_scale_f32 v20, s[30:31], v13, v13, v19
	v_rcp_f32_e32 v21, v20
	s_nop 0
	v_fma_f32 v22, -v20, v21, 1.0
	v_fmac_f32_e32 v21, v22, v21
	v_div_scale_f32 v22, vcc, v19, v13, v19
	v_mul_f32_e32 v23, v22, v21
	v_fma_f32 v24, -v20, v23, v22
	v_fmac_f32_e32 v23, v24, v21
	v_fma_f32 v20, -v20, v23, v22
	v_div_fmas_f32 v20, v20, v21, v23
	v_div_fixup_f32 v13, v20, v13, v19
	v_cndmask_b32_e64 v13, v13, -v13, s[2:3]
.LBB0_55:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[28:29]
	v_mov_b32_e32 v20, 0
	v_mov_b32_e32 v19, 0
	s_and_saveexec_b64 s[28:29], s[0:1]
	s_cbranch_execz .LBB0_59
; %bb.56:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_u64_e32 vcc, 61, v[8:9]
	v_cmp_lt_i64_e64 s[2:3], -1, v[10:11]
	s_and_b64 s[30:31], s[2:3], vcc
	v_mov_b32_e32 v19, 0
	s_and_saveexec_b64 s[2:3], s[30:31]
	s_cbranch_execz .LBB0_58
; %bb.57:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[22:23], s[30:31], v6, s37, 0
	v_mov_b32_e32 v24, v23
	v_mul_i32_i24_e32 v26, 0x134, v8
	v_mad_u64_u32 v[24:25], s[30:31], v7, s37, v[24:25]
	v_mul_hi_i32_i24_e32 v21, 0x134, v8
	v_mov_b32_e32 v19, v24
	v_sub_co_u32_e32 v22, vcc, v26, v22
	v_lshl_add_u64 v[24:25], s[14:15], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v23, vcc, v21, v19, vcc
	v_lshl_add_u64 v[22:23], v[24:25], 0, v[22:23]
	global_load_dword v19, v[22:23], off
.LBB0_58:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
.LBB0_59:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[28:29]
	s_and_saveexec_b64 s[28:29], s[0:1]
	s_cbranch_execz .LBB0_63
; %bb.60:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_u64_e32 vcc, 61, v[8:9]
	v_cmp_lt_i64_e64 s[2:3], -1, v[10:11]
	s_and_b64 s[30:31], s[2:3], vcc
	v_mov_b32_e32 v20, 0
	s_and_saveexec_b64 s[2:3], s[30:31]
	s_cbranch_execz .LBB0_62
; %bb.61:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[20:21], s[30:31], v6, s37, 0
	v_mov_b32_e32 v22, v21
	v_mul_i32_i24_e32 v25, 0x134, v8
	v_mad_u64_u32 v[22:23], s[30:31], v7, s37, v[22:23]
	v_mul_hi_i32_i24_e32 v24, 0x134, v8
	v_mov_b32_e32 v21, v22
	v_sub_co_u32_e32 v20, vcc, v25, v20
	v_lshl_add_u64 v[22:23], s[12:13], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v21, vcc, v24, v21, vcc
	v_lshl_add_u64 v[20:21], v[22:23], 0, v[20:21]
	global_load_dword v20, v[20:21], off
.LBB0_62:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
.LBB0_63:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[28:29]
	s_waitcnt vmcnt(0)
	v_fma_f32 v20, s4, v20, v0
	v_cmp_gt_f32_e64 s[2:3], 0, v20
	s_nop 1
	v_cndmask_b32_e64 v21, v20, -v20, s[2:3]
	v_cmp_ngt_f32_e32 vcc, s39, v21
	s_and_saveexec_b64 s[28:29], vcc
	s_cbranch_execz .LBB0_65
; %bb.64:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mul_f32_e32 v20, -2.0, v21
	v_mul_f32_e32 v21, 0x3fb8aa3b, v20
	v_fma_f32 v22, v20, s40, -v21
	v_rndne_f32_e32 v23, v21
	v_fmac_f32_e32 v22, 0x32a5705f, v20
	v_sub_f32_e32 v21, v21, v23
	v_add_f32_e32 v21, v21, v22
	v_cvt_i32_f32_e32 v22, v23
	v_exp_f32_e32 v21, v21
	v_cmp_ngt_f32_e32 vcc, s41, v20
	v_ldexp_f32 v21, v21, v22
	s_nop 0
	v_cndmask_b32_e32 v21, 0, v21, vcc
	v_cmp_nlt_f32_e32 vcc, s42, v20
	s_nop 1
	v_cndmask_b32_e32 v20, v16, v21, vcc
	v_sub_f32_e32 v21, 1.0, v20
	v_add_f32_e32 v20, 1.0, v20
	v_div_scale_f32 v22, s[30:31], v20, v20, v21
	v_rcp_f32_e32 v23, v22
	s_nop 0
	v_fma_f32 v24, -v22, v23, 1.0
	v_fmac_f32_e32 v23, v24, v23
	v_div_scale_f32 v24, vcc, v21, v20, v21
	v_mul_f32_e32 v25, v24, v23
	v_fma_f32 v26, -v22, v25, v24
	v_fmac_f32_e32 v25, v26, v23
	v_fma_f32 v22, -v22, v25, v24
	v_div_fmas_f32 v22, v22, v23, v25
	v_div_fixup_f32 v20, v22, v20, v21
	v_cndmask_b32_e64 v20, v20, -v20, s[2:3]
.LBB0_65:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[28:29]
	v_mul_f32_e32 v21, 0xbfb8aa3b, v19
	v_rndne_f32_e32 v22, v21
	v_sub_f32_e32 v23, v21, v22
	v_fma_f32 v21, v19, s44, -v21
	v_fmac_f32_e32 v21, 0xb2a5705f, v19
	v_add_f32_e32 v21, v23, v21
	v_cvt_i32_f32_e32 v22, v22
	v_exp_f32_e32 v21, v21
	v_cmp_nlt_f32_e32 vcc, s46, v19
	v_ldexp_f32 v21, v21, v22
	s_nop 0
	v_cndmask_b32_e32 v21, 0, v21, vcc
	v_cmp_ngt_f32_e32 vcc, s47, v19
	s_nop 1
	v_cndmask_b32_e32 v19, v16, v21, vcc
	v_add_f32_e32 v19, 1.0, v19
	v_div_scale_f32 v21, s[2:3], v19, v19, 1.0
	v_rcp_f32_e32 v22, v21
	s_nop 0
	v_fma_f32 v23, -v21, v22, 1.0
	v_fmac_f32_e32 v22, v23, v22
	v_div_scale_f32 v23, vcc, 1.0, v19, 1.0
	v_mul_f32_e32 v24, v23, v22
	v_fma_f32 v25, -v21, v24, v23
	v_fmac_f32_e32 v24, v25, v22
	v_fma_f32 v21, -v21, v24, v23
	v_div_fmas_f32 v21, v21, v22, v24
	v_div_fixup_f32 v19, v21, v19, 1.0
	v_mul_f32_e32 v21, v19, v20
	v_mov_b32_e32 v22, s5
	v_cmp_lt_f32_e32 vcc, s5, v21
	v_fma_f32 v19, v19, v20, s5
	s_nop 0
	v_cndmask_b32_e32 v20, v22, v21, vcc
	v_cmp_u_f32_e32 vcc, s5, v21
	v_mov_b32_e32 v21, s6
	s_nop 0
	v_cndmask_b32_e32 v19, v20, v19, vcc
	v_cmp_gt_f32_e32 vcc, s6, v19
	v_add_f32_e32 v20, s6, v19
	s_nop 0
	v_cndmask_b32_e32 v21, v21, v19, vcc
	v_cmp_u_f32_e32 vcc, s6, v19
	s_nop 1
	v_cndmask_b32_e32 v19, v21, v20, vcc
	v_mul_f32_e64 v20, |v19|, s44
	v_fma_f32 v21, |v19|, s44, -v20
	v_rndne_f32_e32 v22, v20
	v_fma_f32 v21, |v19|, s45, v21
	v_sub_f32_e32 v20, v20, v22
	v_add_f32_e32 v20, v20, v21
	v_exp_f32_e32 v20, v20
	v_cvt_i32_f32_e32 v21, v22
	v_cmp_ngt_f32_e64 vcc, |v19|, s46
	v_ldexp_f32 v20, v20, v21
	s_nop 0
	v_cndmask_b32_e32 v20, 0, v20, vcc
	v_cmp_nlt_f32_e64 vcc, |v19|, s47
                                        ; implicit-def: $vgpr19
	s_nop 1
	v_cndmask_b32_e32 v20, v16, v20, vcc
	v_cmp_o_f32_e32 vcc, v20, v20
	s_and_saveexec_b64 s[2:3], vcc
	s_xor_b64 s[2:3], exec, s[2:3]
	s_cbranch_execz .LBB0_67
; %bb.66:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_f32_e32 vcc, s48, v20
	s_nop 1
	v_cndmask_b32_e32 v19, 1.0, v17, vcc
	v_mul_f32_e32 v19, v20, v19
	v_log_f32_e32 v19, v19
	v_cndmask_b32_e32 v20, 0, v18, vcc
	v_mul_f32_e32 v21, 0x3f317217, v19
	v_fma_f32 v21, v19, s49, -v21
	v_fmac_f32_e32 v21, 0x3377d1cf, v19
	v_fmac_f32_e32 v21, 0x3f317217, v19
	v_cmp_lt_f32_e64 vcc, |v19|, s43
	s_nop 1
	v_cndmask_b32_e32 v19, v19, v21, vcc
	v_sub_f32_e32 v19, v19, v20
	v_mul_f32_e32 v19, 0x3fc00000, v19
	v_mul_f32_e32 v20, 0x3fb8aa3b, v19
	v_fma_f32 v21, v19, s40, -v20
	v_rndne_f32_e32 v22, v20
	v_fmac_f32_e32 v21, 0x32a5705f, v19
	v_sub_f32_e32 v20, v20, v22
	v_add_f32_e32 v20, v20, v21
	v_cvt_i32_f32_e32 v21, v22
	v_exp_f32_e32 v20, v20
	v_cmp_ngt_f32_e32 vcc, s41, v19
	v_ldexp_f32 v20, v20, v21
	s_nop 0
	v_cndmask_b32_e32 v20, 0, v20, vcc
	v_cmp_nlt_f32_e32 vcc, s42, v19
	s_nop 1
	v_cndmask_b32_e32 v19, v16, v20, vcc
                                        ; implicit-def: $vgpr20
.LBB0_67:                               ;   in Loop: Header=BB0_6 Depth=1
	s_andn2_saveexec_b64 s[2:3], s[2:3]
; %bb.68:                               ;   in Loop: Header=BB0_6 Depth=1
	v_add_f32_e32 v19, 0x3fc00000, v20
; %bb.69:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
	v_mov_b32_e32 v20, 0
	v_mov_b32_e32 v21, 0
	s_and_saveexec_b64 s[28:29], s[0:1]
	s_cbranch_execz .LBB0_73
; %bb.70:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_u64_e32 vcc, 61, v[8:9]
	v_cmp_lt_i64_e64 s[2:3], -1, v[10:11]
	s_and_b64 s[30:31], s[2:3], vcc
	v_mov_b32_e32 v21, 0
	s_and_saveexec_b64 s[2:3], s[30:31]
	s_cbranch_execz .LBB0_72
; %bb.71:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[22:23], s[30:31], v6, s37, 0
	v_mov_b32_e32 v24, v23
	v_mul_i32_i24_e32 v27, 0x134, v8
	v_mad_u64_u32 v[24:25], s[30:31], v7, s37, v[24:25]
	v_mul_hi_i32_i24_e32 v26, 0x134, v8
	v_mov_b32_e32 v21, v24
	v_sub_co_u32_e32 v22, vcc, v27, v22
	v_lshl_add_u64 v[24:25], s[12:13], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v23, vcc, v26, v21, vcc
	v_lshl_add_u64 v[22:23], v[24:25], 0, v[22:23]
	global_load_dword v21, v[22:23], off
.LBB0_72:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[2:3]
.LBB0_73:                               ;   in Loop: Header=BB0_6 Depth=1
	s_or_b64 exec, exec, s[28:29]
	s_and_saveexec_b64 s[2:3], s[0:1]
	s_cbranch_execz .LBB0_3
; %bb.74:                               ;   in Loop: Header=BB0_6 Depth=1
	v_cmp_gt_u64_e32 vcc, 61, v[8:9]
	v_cmp_lt_i64_e64 s[0:1], -1, v[10:11]
	s_and_b64 s[28:29], s[0:1], vcc
	v_mov_b32_e32 v20, 0
	s_and_saveexec_b64 s[0:1], s[28:29]
	s_cbranch_execz .LBB0_2
; %bb.75:                               ;   in Loop: Header=BB0_6 Depth=1
	v_mad_u64_u32 v[10:11], s[28:29], v6, s37, 0
	v_mov_b32_e32 v20, v11
	v_mul_i32_i24_e32 v25, 0x134, v8
	s_waitcnt vmcnt(0)
	v_mad_u64_u32 v[22:23], s[28:29], v7, s37, v[20:21]
	v_mul_hi_i32_i24_e32 v24, 0x134, v8
	v_mov_b32_e32 v9, v22
	v_sub_co_u32_e32 v10, vcc, v25, v10
	v_lshl_add_u64 v[22:23], s[12:13], 0, v[4:5]
	s_nop 0
	v_subb_co_u32_e32 v11, vcc, v24, v9, vcc
	v_lshl_add_u64 v[10:11], v[22:23], 0, v[10:11]
	global_load_dword v20, v[10:11], off
	s_branch .LBB0_2
.LBB0_76:
	s_endpgm
	.section	.rodata,"a",@progbits
	.p2align	6, 0x0
	.amdhsa_kernel _Z25kevc_elementwise_chain_p0PKfS0_S0_fffPfx
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
		.amdhsa_next_free_vgpr 28
		.amdhsa_next_free_sgpr 54
		.amdhsa_accum_offset 28
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
	.size	_Z25kevc_elementwise_chain_p0PKfS0_S0_fffPfx, .Lfunc_end0-_Z25kevc_elementwise_chain_p0PKfS0_S0_fffPfx
                                        ; -- End function
	.section	.AMDGPU.csdata,"",@progbits
; Kernel info:
; codeLenInByte = 5928
; NumSgprs: 60
; NumVgprs: 28
; NumAgprs: 0
; TotalNumVgprs: 28
; ScratchSize: 0
; MemoryBound: 0
; FloatMode: 240
; IeeeMode: 1
; LDSByteSize: 0 bytes/workgroup (compile time only)
; SGPRBlocks: 7
; VGPRBlocks: 3
; NumSGPRsForWavesPerEU: 60
; NumVGPRsForWavesPerEU: 28
; AccumOffset: 28
; Occupancy: 8
; WaveLimiterHint : 0
; COMPUTE_PGM_RSRC2:SCRATCH_EN: 0
; COMPUTE_PGM_RSRC2:USER_SGPR: 2
; COMPUTE_PGM_RSRC2:TRAP_HANDLER: 0
; COMPUTE_PGM_RSRC2:TGID_X_EN: 1
; COMPUTE_PGM_RSRC2:TGID_Y_EN: 0
; COMPUTE_PGM_RSRC2:TGID_Z_EN: 0
; COMPUTE_PGM_RSRC2:TIDIG_COMP_CNT: 0
; COMPUTE_PGM_RSRC3_GFX90A:ACCUM_OFFSET: 6
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
      - .actual_access:  read_only
        .address_space:  global
        .offset:         16
        .size:           8
        .value_kind:     global_buffer
      - .offset:         24
        .size:           4
        .value_kind:     by_value
      - .offset:         28
        .size:           4
        .value_kind:     by_value
      - .offset:         32
        .size:           4
        .value_kind:     by_value
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
    .name:           _Z25kevc_elementwise_chain_p0PKfS0_S0_fffPfx
    .private_segment_fixed_size: 0
    .sgpr_count:     60
    .sgpr_spill_count: 0
    .symbol:         _Z25kevc_elementwise_chain_p0PKfS0_S0_fffPfx.kd
    .uniform_work_group_size: 1
    .uses_dynamic_stack: false
    .vgpr_count:     28
    .vgpr_spill_count: 0
    .wavefront_size: 64
amdhsa.target:   amdgcn-amd-amdhsa--gfx942
amdhsa.version:
  - 1
  - 2
...

	.end_amdgpu_metadata
