	.text
	.amdgcn_target "amdgcn-amd-amdhsa--gfx942"
	.amdhsa_code_object_version 5
	.protected	_Z15kevc_rmsnorm_p0PKtS0_fPtx ; -- Begin function _Z15kevc_rmsnorm_p0PKtS0_fPtx
	.globl	_Z15kevc_rmsnorm_p0PKtS0_fPtx
	.p2align	8
	.type	_Z15kevc_rmsnorm_p0PKtS0_fPtx,@function
_Z15kevc_rmsnorm_p0PKtS0_fPtx:          ; @_Z15kevc_rmsnorm_p0PKtS0_fPtx
; %bb.0:
	s_cmp_gt_u32 s2, 60
	s_cbranch_scc1 .LBB0_13
; %bb.1:
	s_load_dwordx4 s[8:11], s[0:1], 0x18
	s_load_dwordx4 s[12:15], s[0:1], 0x0
	s_load_dword s16, s[0:1], 0x10
	v_mov_b32_e32 v1, 0
	v_mbcnt_lo_u32_b32 v2, -1, 0
	v_mbcnt_hi_u32_b32 v6, -1, v2
	v_and_b32_e32 v2, 63, v0
	v_mov_b32_e32 v3, v1
	s_movk_i32 s0, 0x60
	v_cmp_eq_u64_e64 s[4:5], 0, v[2:3]
	v_lshrrev_b32_e32 v2, 4, v0
	v_lshlrev_b32_e32 v4, 1, v0
	v_mov_b32_e32 v5, v1
	v_lshlrev_b32_e32 v6, 2, v6
	s_mov_b32 s3, 0
	v_cmp_gt_u32_e64 s[0:1], s0, v0
	v_and_b32_e32 v8, 60, v2
	s_waitcnt lgkmcnt(0)
	v_lshl_add_u64 v[2:3], s[12:13], 0, v[4:5]
	v_xor_b32_e32 v9, 0x80, v6
	v_xor_b32_e32 v10, 64, v6
	v_xor_b32_e32 v11, 32, v6
	v_xor_b32_e32 v12, 16, v6
	v_xor_b32_e32 v13, 8, v6
	v_xor_b32_e32 v14, 4, v6
	v_lshl_add_u64 v[4:5], s[14:15], 0, v[4:5]
	s_mov_b32 s17, 0x42c00000
	s_mov_b32 s18, 0xf800000
	v_mov_b32_e32 v15, 0x260
	s_mov_b32 s19, 0x7f800001
	s_movk_i32 s20, 0x7fff
	s_movk_i32 s21, 0x7f80
	v_mov_b32_e32 v16, 0xc0
	v_mov_b32_e32 v17, 64
	s_branch .LBB0_4
.LBB0_2:                                ;   in Loop: Header=BB0_4 Depth=1
	s_or_b64 exec, exec, s[6:7]
	v_and_b32_e32 v7, 0x7fff, v6
	v_lshl_add_u64 v[18:19], s[14:15], 0, v[0:1]
	v_or_b32_e32 v20, 64, v6
	v_cmp_lt_u16_e32 vcc, s21, v7
	s_nop 1
	v_cndmask_b32_e32 v20, v6, v20, vcc
	v_lshl_add_u64 v[6:7], v[18:19], 1, s[8:9]
	global_store_short v[6:7], v20, off
.LBB0_3:                                ;   in Loop: Header=BB0_4 Depth=1
	s_or_b64 exec, exec, s[12:13]
	s_add_u32 s2, s2, s10
	s_addc_u32 s3, s3, s11
	v_cmp_gt_i64_e64 s[6:7], s[2:3], 60
	s_and_b64 vcc, exec, s[6:7]
	s_barrier
	s_cbranch_vccnz .LBB0_13
.LBB0_4:                                ; =>This Inner Loop Header: Depth=1
	s_add_u32 s6, 0, 0xef363000
	s_addc_u32 s7, 0, 19
	s_or_b32 s7, s7, 0x4325c40
	s_mul_hi_u32 s15, s6, 0xffffffc3
	s_mul_i32 s22, s7, 0xffffffc3
	s_add_i32 s15, s15, s22
	s_mul_i32 s12, s6, 0xffffffc3
	s_sub_i32 s15, s15, s6
	s_mul_hi_u32 s13, s7, s12
	s_mul_i32 s14, s7, s12
	s_mul_i32 s23, s6, s15
	s_mul_hi_u32 s12, s6, s12
	s_mul_hi_u32 s22, s6, s15
	s_add_u32 s12, s12, s23
	s_addc_u32 s22, 0, s22
	s_add_u32 s12, s12, s14
	s_mul_hi_u32 s23, s7, s15
	s_addc_u32 s12, s22, s13
	s_addc_u32 s13, s23, 0
	s_mul_i32 s14, s7, s15
	s_add_u32 s12, s12, s14
	v_mov_b32_e32 v6, s12
	s_addc_u32 s13, 0, s13
	v_add_co_u32_e32 v6, vcc, s6, v6
	s_cmp_lg_u64 vcc, 0
	s_addc_u32 s14, s7, s13
	s_ashr_i32 s6, s3, 31
	s_add_u32 s12, s2, s6
	s_mov_b32 s7, s6
	s_addc_u32 s13, s3, s6
	s_xor_b64 s[12:13], s[12:13], s[6:7]
	v_readfirstlane_b32 s23, v6
	s_mul_i32 s22, s12, s14
	s_mul_hi_u32 s24, s12, s23
	s_mul_hi_u32 s15, s12, s14
	s_add_u32 s22, s24, s22
	s_addc_u32 s15, 0, s15
	s_mul_hi_u32 s25, s13, s23
	s_mul_i32 s23, s13, s23
	s_add_u32 s22, s22, s23
	s_mul_hi_u32 s24, s13, s14
	s_addc_u32 s15, s15, s25
	s_addc_u32 s22, s24, 0
	s_mul_i32 s14, s13, s14
	s_add_u32 s14, s15, s14
	s_addc_u32 s15, 0, s22
	s_mul_hi_u32 s22, s14, 61
	s_mul_i32 s14, s14, 61
	s_mul_i32 s15, s15, 61
	v_mov_b32_e32 v6, s14
	s_add_i32 s22, s22, s15
	v_sub_co_u32_e32 v6, vcc, s12, v6
	s_cmp_lg_u64 vcc, 0
	s_subb_u32 s12, s13, s22
	v_subrev_co_u32_e32 v7, vcc, 61, v6
	s_cmp_lg_u64 vcc, 0
	s_subb_u32 s13, s12, 0
	v_subrev_co_u32_e32 v18, vcc, 61, v7
	s_cmp_lg_u64 vcc, 0
	s_subb_u32 s14, s13, 0
	v_readfirstlane_b32 s15, v7
	s_cmp_gt_u32 s15, 60
	s_cselect_b32 s22, -1, 0
	s_cmp_eq_u32 s13, 0
	s_cselect_b32 s22, s22, -1
	s_cmp_lg_u32 s22, 0
	s_cselect_b32 s13, s14, s13
	v_readfirstlane_b32 s14, v18
	s_cselect_b32 s14, s14, s15
	v_readfirstlane_b32 s15, v6
	s_cmp_gt_u32 s15, 60
	s_cselect_b32 s22, -1, 0
	s_cmp_eq_u32 s12, 0
	s_cselect_b32 s22, s22, -1
	s_cmp_lg_u32 s22, 0
	s_cselect_b32 s13, s13, s12
	s_cselect_b32 s12, s14, s15
	s_xor_b64 s[12:13], s[12:13], s[6:7]
	s_sub_u32 s14, s12, s6
	s_subb_u32 s15, s13, s6
	v_mov_b32_e32 v6, 0
	s_and_saveexec_b64 s[6:7], s[0:1]
	s_cbranch_execz .LBB0_6
; %bb.5:                                ;   in Loop: Header=BB0_4 Depth=1
	v_mad_u64_u32 v[6:7], s[12:13], s14, v16, v[2:3]
	s_mul_i32 s12, s15, 0xc0
	s_nop 0
	v_add_u32_e32 v7, s12, v7
	global_load_ushort v6, v[6:7], off
	s_waitcnt vmcnt(0)
	v_lshlrev_b32_e32 v6, 16, v6
	v_mul_f32_e32 v6, v6, v6
.LBB0_6:                                ;   in Loop: Header=BB0_4 Depth=1
	s_or_b64 exec, exec, s[6:7]
	ds_bpermute_b32 v7, v9, v6
	s_waitcnt lgkmcnt(0)
	v_add_f32_e32 v6, v6, v7
	ds_bpermute_b32 v7, v10, v6
	s_waitcnt lgkmcnt(0)
	v_add_f32_e32 v6, v6, v7
	ds_bpermute_b32 v7, v11, v6
	s_waitcnt lgkmcnt(0)
	v_add_f32_e32 v6, v6, v7
	ds_bpermute_b32 v7, v12, v6
	s_waitcnt lgkmcnt(0)
	v_add_f32_e32 v6, v6, v7
	ds_bpermute_b32 v7, v13, v6
	s_waitcnt lgkmcnt(0)
	v_add_f32_e32 v6, v6, v7
	ds_bpermute_b32 v7, v14, v6
	s_and_saveexec_b64 s[6:7], s[4:5]
	s_cbranch_execz .LBB0_8
; %bb.7:                                ;   in Loop: Header=BB0_4 Depth=1
	s_waitcnt lgkmcnt(0)
	v_add_f32_e32 v6, v6, v7
	ds_write_b32 v8, v6
.LBB0_8:                                ;   in Loop: Header=BB0_4 Depth=1
	s_or_b64 exec, exec, s[6:7]
	s_waitcnt lgkmcnt(0)
	s_barrier
	ds_read_b64 v[6:7], v1
	s_waitcnt lgkmcnt(0)
	s_barrier
	s_barrier
	s_and_saveexec_b64 s[12:13], s[0:1]
	s_cbranch_execz .LBB0_3
; %bb.9:                                ;   in Loop: Header=BB0_4 Depth=1
	s_mulk_i32 s15, 0x60
	s_mul_hi_u32 s6, s14, 0x60
	s_add_i32 s15, s6, s15
	s_mulk_i32 s14, 0x60
	v_lshl_add_u64 v[18:19], s[14:15], 1, v[2:3]
	global_load_ushort v20, v[18:19], off
	global_load_ushort v21, v[4:5], off
	v_add_f32_e32 v6, v6, v7
	v_add_f32_e32 v6, 0, v6
	v_div_scale_f32 v7, s[6:7], s17, s17, v6
	v_rcp_f32_e32 v18, v7
	v_div_scale_f32 v19, vcc, v6, s17, v6
	v_fma_f32 v22, -v7, v18, 1.0
	v_fmac_f32_e32 v18, v22, v18
	v_mul_f32_e32 v22, v19, v18
	v_fma_f32 v23, -v7, v22, v19
	v_fmac_f32_e32 v22, v23, v18
	v_fma_f32 v7, -v7, v22, v19
	v_div_fmas_f32 v7, v7, v18, v22
	v_div_fixup_f32 v6, v7, s17, v6
	v_add_f32_e32 v6, s16, v6
	v_mul_f32_e32 v7, 0x4f800000, v6
	v_cmp_gt_f32_e32 vcc, s18, v6
	s_nop 1
	v_cndmask_b32_e32 v6, v6, v7, vcc
	v_sqrt_f32_e32 v7, v6
	s_nop 0
	v_add_u32_e32 v18, -1, v7
	v_add_u32_e32 v19, 1, v7
	v_fma_f32 v22, -v18, v7, v6
	v_fma_f32 v23, -v19, v7, v6
	v_cmp_ge_f32_e64 s[6:7], 0, v22
	s_nop 1
	v_cndmask_b32_e64 v7, v7, v18, s[6:7]
	v_cmp_lt_f32_e64 s[6:7], 0, v23
	s_nop 1
	v_cndmask_b32_e64 v7, v7, v19, s[6:7]
	v_mul_f32_e32 v18, 0x37800000, v7
	v_cndmask_b32_e32 v7, v7, v18, vcc
	v_cmp_class_f32_e32 vcc, v6, v15
	s_nop 1
	v_cndmask_b32_e32 v6, v7, v6, vcc
	v_div_scale_f32 v7, s[6:7], v6, v6, 1.0
	v_rcp_f32_e32 v18, v7
	v_div_scale_f32 v19, vcc, 1.0, v6, 1.0
	v_fma_f32 v22, -v7, v18, 1.0
	v_fmac_f32_e32 v18, v22, v18
	v_mul_f32_e32 v22, v19, v18
	v_fma_f32 v23, -v7, v22, v19
	v_fmac_f32_e32 v22, v23, v18
	v_fma_f32 v7, -v7, v22, v19
	v_div_fmas_f32 v7, v7, v18, v22
	v_div_fixup_f32 v6, v7, v6, 1.0
	s_waitcnt vmcnt(1)
	v_lshlrev_b32_e32 v7, 16, v20
	v_mul_f32_e32 v6, v6, v7
	s_waitcnt vmcnt(0)
	v_lshlrev_b32_e32 v7, 16, v21
	v_mul_f32_e32 v7, v6, v7
	v_and_b32_e32 v6, 0x7fffffff, v7
	v_cmp_gt_u32_e32 vcc, s19, v6
                                        ; implicit-def: $vgpr6
	s_and_saveexec_b64 s[6:7], vcc
	s_xor_b64 s[6:7], exec, s[6:7]
; %bb.10:                               ;   in Loop: Header=BB0_4 Depth=1
	v_bfe_u32 v6, v7, 16, 1
	v_add3_u32 v6, v7, v6, s20
	v_lshrrev_b32_e32 v6, 16, v6
                                        ; implicit-def: $vgpr7
; %bb.11:                               ;   in Loop: Header=BB0_4 Depth=1
	s_andn2_saveexec_b64 s[6:7], s[6:7]
	s_cbranch_execz .LBB0_2
; %bb.12:                               ;   in Loop: Header=BB0_4 Depth=1
	v_or_b32_sdwa v6, v7, v17 dst_sel:DWORD dst_unused:UNUSED_PAD src0_sel:WORD_1 src1_sel:DWORD
	s_branch .LBB0_2
.LBB0_13:
	s_endpgm
	.section	.rodata,"a",@progbits
	.p2align	6, 0x0
	.amdhsa_kernel _Z15kevc_rmsnorm_p0PKtS0_fPtx
		.amdhsa_group_segment_fixed_size 16
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
		.amdhsa_next_free_vgpr 24
		.amdhsa_next_free_sgpr 26
		.amdhsa_accum_offset 24
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
; codeLenInByte = 1248
; NumSgprs: 32
; NumVgprs: 24
; NumAgprs: 0
; TotalNumVgprs: 24
; ScratchSize: 0
; MemoryBound: 0
; FloatMode: 240
; IeeeMode: 1
; LDSByteSize: 16 bytes/workgroup (compile time only)
; SGPRBlocks: 3
; VGPRBlocks: 2
; NumSGPRsForWavesPerEU: 32
; NumVGPRsForWavesPerEU: 24
; AccumOffset: 24
; Occupancy: 8
; WaveLimiterHint : 0
; COMPUTE_PGM_RSRC2:SCRATCH_EN: 0
; COMPUTE_PGM_RSRC2:USER_SGPR: 2
; COMPUTE_PGM_RSRC2:TRAP_HANDLER: 0
; COMPUTE_PGM_RSRC2:TGID_X_EN: 1
; COMPUTE_PGM_RSRC2:TGID_Y_EN: 0
; COMPUTE_PGM_RSRC2:TGID_Z_EN: 0
; COMPUTE_PGM_RSRC2:TIDIG_COMP_CNT: 0
; COMPUTE_PGM_RSRC3_GFX90A:ACCUM_OFFSET: 5
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
    .group_segment_fixed_size: 16
    .kernarg_segment_align: 8
    .kernarg_segment_size: 40
    .max_flat_workgroup_size: 1024
    .name:           _Z15kevc_rmsnorm_p0PKtS0_fPtx
    .private_segment_fixed_size: 0
    .sgpr_count:     32
    .sgpr_spill_count: 0
    .symbol:         _Z15kevc_rmsnorm_p0PKtS0_fPtx.kd
    .uniform_work_group_size: 1
    .uses_dynamic_stack: false
    .vgpr_count:     24
    .vgpr_spill_count: 0
    .wavefront_size: 64
amdhsa.target:   amdgcn-amd-amdhsa--gfx942
amdhsa.version:
  - 1
  - 2
...

	.end_amdgpu_metadata
