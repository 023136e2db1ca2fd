#!/usr/bin/env bash
# Every spec's default GPU schedule through the loop-level GPU targets, with no GPU:
#  - HIP: compiled for AMD gfx942 with clang++-19 (kevc compile --target hip --check-aot gfx942), and run as C++ on
#    the CPU against the float64 reference (python -m kevc_gpu.hip_host_check: each thread's code, not races; with
#    --threads on a few specs, a block's threads as std::threads, which checks how they cooperate; the MFMA traces
#    also with --mfma, the matrix-unit path with its instructions emulated);
#  - CuTe DSL: compiled for sm_90a with fake tensors (python -m kevc_gpu.cute_aot), when nvidia-cutlass-dsl is
#    installed (.ci/install installs it): every spec by default (dots on wgmma where the tile allows), with the
#    traces of lowering/cute/traces, and the dots also on the SM80 atoms (`--cute-mma sm80`) at their default and
#    bench shapes; a dot with f16/bf16 operands must be a tiled MMA (`cute.gemm`).
# Independent steps run as background jobs, at most KEVC_JOBS (default: the core count) at once; each step's output
# is printed in the script's order once all have finished, then the phases' wall times.
# Usage: .ci/targets-aot.sh [KEVC]   (default .build/debug/kevc)
set -uo pipefail
cd "$(dirname "$0")/.."
KEVC=$(realpath "${1:-.build/debug/kevc}")
export PYTHONPATH="$PWD/python" KEVC_PYTHON_DIR="$PWD/python"
specs=$(find specs -name '*.kev' | sort)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/log"
fail=0 steps=0 started=$SECONDS times=""
jobs_max=${KEVC_JOBS:-$(nproc)}
# step MESSAGE COMMAND...: COMMAND in the background; its output, and MESSAGE if it fails, go to its log.
step() {
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  local log="$work/log/$(printf %05d $steps)"
  steps=$((steps + 1))
  { "${@:2}" || { echo "$1"; : > "$log.failed"; }; } > "$log" 2>&1 &
}
# drain PHASE: waits for every step, prints their logs in order and the phase's wall time.
drain() {
  wait
  cat "$work"/log/????? 2>/dev/null
  compgen -G "$work/log/*.failed" > /dev/null && fail=1
  rm -f "$work"/log/*
  times="$times  $1: $((SECONDS - started)) s"
  started=$SECONDS
}
check() { python3 -m kevc_gpu.hip_host_check --kevc "$KEVC" "$@" | tail -1; }
bench_shape() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }
# The accuracy contract a hand trace's dot precisions need (a schedule never raises the kernel's matmul_precision):
# `--matmul-precision medium` for bf16 operands, `high` for one tf32 pass or bf16x3, nothing otherwise.
contract_of() {
  if grep -qE 'precision\([^,]+, *bf16\)' "$1"; then echo "--matmul-precision medium"
  elif grep -qE 'precision\([^,]+, *(tf32|bf16x3)\)' "$1"; then echo "--matmul-precision high"; fi
}
for s in $specs; do
  n=$(echo "${s#specs/}" | tr / . | sed 's/\.kev$//')
  step "hip gfx942: $s failed" "$KEVC" compile "$s" --target hip --check-aot gfx942 -o "$work/$n.hip"
  step "cute: $s failed" "$KEVC" compile "$s" --target cute -o "$work/$n.cute.py"
done
drain "kevc compile (hip gfx942, cute)"
echo "hip gfx942: $(ls "$work"/*.hip | wc -l) of $(echo "$specs" | wc -l) specs compiled"
# The specs' default schedules as C++ on the CPU, $jobs_max specs at once (one job of the pool, so the steps below
# start as the pool frees up).
step "hip host check failed" check $specs --trials 2 --jobs "$jobs_max"
# Block plans with a block's threads as std::threads (barriers, shuffles, shared slots), on specs that have them.
step "hip host check --threads failed" check --threads --trials 2 specs/rmsnorm.kev specs/softmax.kev \
  specs/layernorm.kev specs/masked_mean.kev specs/rmsnorm_backward.kev specs/embedding_bag.kev
step "hip host check rmsnorm.shared failed" check --threads --trials 2 specs/rmsnorm.kev \
  --schedule lowering/hip/traces/rmsnorm.shared.trace
# The staged matmul (split tails on the thread loops): a block per output element, b's tile staged in shared memory.
step "hip host check matmul.stage failed" check --threads --trials 1 --shape M=35,N=33,K=20 specs/matmul.kev \
  --schedule lowering/triton/traces/matmul.stage.trace
# dot on MFMA (lowering/hip/traces/*.mfma.trace: f32, bf16, f16 operands): compiled for gfx942 (v_mfma in the
# assembly), the portable path as std::threads and the MFMA path with the instructions emulated (--mfma).
for t in lowering/hip/traces/*.mfma.trace; do
  s="specs/$(basename "$t" .mfma.trace).kev"
  step "hip gfx942: $t failed" "$KEVC" compile "$s" --target hip --schedule "$t" --check-aot gfx942 \
    -o "$work/mfma.$(basename "$t").hip"
  for mode in "" "--mfma"; do
    step "hip host check $t $mode failed" check --threads $mode --trials 1 "$s" --schedule "$t"
  done
done
# precision(c, bf16) on 128 x 128 tiles (2 x 2 waves): the MFMA path rounds the f32 operands to bf16 (bf16
# instructions, the plan's `mfma`), the results compared at bf16's tolerance (the module's "tolerance" entry).
for mode in "" "--mfma"; do
  step "hip host check matmul.bf16_operands $mode failed" check --threads $mode --trials 1 --shape M=256,N=200,K=70 \
    specs/matmul.kev --schedule lowering/triton/traces/matmul.bf16_operands.trace --matmul-precision medium
done
# CuTe traces (lowering/cute/traces/SPEC.NAME.trace): the tf32 dot through cute.gemm, at the spec's default and
# bench shapes (at the bench shape its operands are copied by cp.async).
for t in lowering/cute/traces/*.trace; do
  n=$(basename "$t" .trace)
  s="specs/${n%%.*}.kev"
  # shellcheck disable=SC2046  # the contract's option is two words, or none
  step "cute: $t failed" "$KEVC" compile "$s" --target cute --schedule "$t" $(contract_of "$t") -o "$work/trace.$n.cute.py"
  # shellcheck disable=SC2046
  step "cute: $t at the bench shape failed" "$KEVC" compile "$s" --target cute --schedule "$t" $(contract_of "$t") \
    --shape "$(bench_shape "$s")" -o "$work/trace.$n.bench.cute.py"
done
# The dots at their default and bench shapes on both instructions: wgmma (the default for sm_90a; 1 and 2
# warpgroups, a cp.async ring at the bench shapes) and the SM80 atoms (`--cute-mma sm80`).
for s in specs/batched_matmul.kev specs/attention.kev specs/conv1d.kev bench/gpu/specs/matmul_bf16.kev; do
  n=$(basename "$s" .kev)
  for mma in wgmma sm80; do
    step "cute $mma: $s failed" "$KEVC" compile "$s" --target cute --cute-mma $mma -o "$work/$mma.$n.cute.py"
    step "cute $mma: $s at its bench shape failed" "$KEVC" compile "$s" --target cute --cute-mma $mma \
      --shape "$(bench_shape "$s")" -o "$work/$mma.$n.bench.cute.py"
  done
done
drain "hip host checks, cute traces and dots"
for n in batched_matmul attention matmul_bf16; do
  grep -q 'warpgroup.MmaF16BF16Op' "$work/wgmma.$n.bench.cute.py" || { echo "cute wgmma: $n has no wgmma"; fail=1; }
  grep -q 'cpasync.CopyG2SOp' "$work/sm80.$n.bench.cute.py" || { echo "cute sm80: $n at its bench shape has no cp.async"; fail=1; }
done
# A dot with f16/bf16 operands is a tiled MMA (cute.gemm), not scalar loops.
for n in batched_matmul trace.matmul.tf32; do
  grep -q 'cute.gemm(' "$work/$n.cute.py" || { echo "cute: $n has no cute.gemm"; fail=1; }
done
if python3 -c 'import cutlass.cute' 2>/dev/null; then
  # The modules in $jobs_max processes (every process imports the DSL once), their JSON lines gathered in order.
  modules=("$work"/*.cute.py)
  per=$(( (${#modules[@]} + jobs_max - 1) / jobs_max ))
  for ((i = 0; i < ${#modules[@]}; i += per)); do
    step "cute sm_90a: modules $i.. failed" python3 -m kevc_gpu.cute_aot "${modules[@]:i:per}"
  done
  drain "cute sm_90a (cute.compile)" > "$work/cute.jsonl"
  python3 - "$work/cute.jsonl" <<'PY'
import json, sys
rows = []
for l in open(sys.argv[1]):
    if l.startswith("{"):
        rows.append(json.loads(l))
    else:
        print(l, end="")  # a failed process's message, or what the DSL wrote to stderr
for r in rows:
    if not r["ok"]:
        print("cute sm_90a: %s:%s: %s" % (r["module"], r["line"], r["error"]))
print("cute sm_90a: %d of %d modules compiled (%.0f s)" % (sum(r["ok"] for r in rows), len(rows), sum(r["seconds"] for r in rows)))
PY
else
  echo "cute sm_90a: skipped (nvidia-cutlass-dsl is not installed)"
fi
echo "phases (wall, $jobs_max jobs):$times"
exit $fail
