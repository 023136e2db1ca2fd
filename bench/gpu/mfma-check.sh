#!/usr/bin/env bash
# The HIP target's `dot` traces on the GPU machine (issue 18, HIP): each trace whose contraction becomes a matrix
# tile (lowering/hip/traces/*.mfma.trace, and the Triton trace matmul.bf16_operands.trace whose 128 x 128 tile takes
# 4 waves) runs through the harness (kevc run --target hip: the HIP source compiled as CUDA with nvcc through
# python/kevc_gpu/kevc_hip.h, poisoned outputs, several distributions, float64 reference) at the spec's shape and at
# odd ones. On NVIDIA the matrix tile takes its portable path (`#else` of `#if defined(KEVC_MFMA)`: the tile's
# elements strided over the block's threads); the MFMA path needs an AMD gfx9 GPU (none here). Then one timing per trace at a
# larger shape beside the default GPU schedule's.
#   bench/gpu/mfma-check.sh OUT_DIR          (kevc: as bench/gpu/kevc-binary.sh finds it)
# Writes OUT_DIR/mfma-check.txt.
set -uo pipefail
OUT=${1:?usage: bench/gpu/mfma-check.sh OUT_DIR}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
log="$OUT/mfma-check.txt"
: > "$log"
fail=0
run() {  # spec trace shape [extra args]
  local spec=$1 trace=$2 shape=$3
  shift 3
  local args=(run "$spec" --target hip --gpu-timeout 90)
  [ -n "$trace" ] && args+=(--schedule "$trace")
  [ -n "$shape" ] && args+=(--shape "$shape")
  out=$(timeout 300 "$KEVC" "${args[@]}" "$@" 2>&1); rc=$?
  { echo "== $spec ${trace:-default schedule} ${shape:-default shape} $*: rc $rc"; echo "$out" | tail -6; } | tee -a "$log"
  [ $rc -eq 0 ] || fail=1
}
for t in lowering/hip/traces/matmul.mfma.trace lowering/hip/traces/matmul_bias_gelu.mfma.trace \
  lowering/hip/traces/batched_matmul.mfma.trace; do
  spec="specs/$(basename "$t" .mfma.trace).kev"
  run "$spec" "$t" "" --trials 3 --iterations 0
done
run specs/matmul.kev lowering/hip/traces/matmul.mfma.trace M=130,N=33,K=7 --trials 3 --iterations 0
run specs/matmul_bias_gelu.kev lowering/hip/traces/matmul_bias_gelu.mfma.trace M=64,N=32,K=129 --trials 3 --iterations 0
run specs/batched_matmul.kev lowering/hip/traces/batched_matmul.mfma.trace B=2,M=17,N=31,K=5 --trials 3 --iterations 0
run specs/matmul.kev lowering/triton/traces/matmul.bf16_operands.trace M=256,N=200,K=70 --trials 3 --iterations 0 \
  --matmul-precision medium  # bf16 operands need the contract `medium`
# Timing (the portable path on NVIDIA) beside the default GPU schedule, at 1024^3 (f32) and 512^3 x 8 (f16).
run specs/matmul.kev lowering/hip/traces/matmul.mfma.trace M=1024,N=1024,K=1024 --trials 1
run specs/matmul.kev "" M=1024,N=1024,K=1024 --trials 1
run specs/batched_matmul.kev lowering/hip/traces/batched_matmul.mfma.trace B=8,M=512,N=512,K=512 --trials 1
run specs/batched_matmul.kev "" B=8,M=512,N=512,K=512 --trials 1
echo "mfma-check: $([ $fail -eq 0 ] && echo all passed || echo FAILURES)" | tee -a "$log"
exit $fail
