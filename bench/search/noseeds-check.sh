#!/usr/bin/env bash
# The no-seeds search check on the GPU machine (CUDA, Triton; no Swift; a static kevc, bench/gpu/kevc-binary.sh):
# for each of the 12 bench/gpu ops, `kevc search --target triton` at the bench shape from the default schedule and
# its sketches only (no hand trace as a seed), at most 200 evaluations and SECONDS_PER_OP of wall time, into
# OUT/search.db; then the same search resumed with the op's hand traces (bench/gpu/<op>.trace,
# <op>.<variant>.trace) as seeds and a budget of just those traces, so that they are evaluated by the same harness
# in the same database without re-running the default (proposer seed:NAME; nothing is bred from them).
# bench/search/noseeds_check.py writes OUT/noseeds-check.json and .md: per op the default, the searched best (seeds
# excluded), the best hand trace, searched vs hand (hand time / searched time, target >= 0.95), evaluations to 95%
# of the searched best, the best's proposer. Sized for under 9 minutes (defaults: 28 s of search per op plus the
# hand traces; an op not started by DEADLINE seconds is reported as not run).
#   bench/search/noseeds-check.sh OUT [SECONDS_PER_OP] [OPS]      (OUT: a fresh folder; an old search.db resumes)
# The CPU version (`--target llvm` first; bench/search/cpu-noseeds-check.sh calls it so): the six bench/cpu ops
# (hand traces bench/cpu/<op>.trace) at shapes where one run takes about 1-20 ms on the 2-core development machine,
# `--jobs 1`, the release kevc (KEVC=.build/release/kevc unless set), 180 s of search per op, a 1500 s deadline.
#   bench/search/noseeds-check.sh --target llvm OUT [SECONDS_PER_OP] [OPS]
# The search confirms its best side by side at its end (kevc search --confirm, default 4; CONFIRM=N sets it, 0: off);
# the hand traces' resumed search confirms nothing (--confirm 0), so the searched best is the first search's.
set -uo pipefail
TARGET=triton
if [ "${1:-}" = "--target" ]; then TARGET=${2:?--target triton|llvm}; shift 2; fi
OUT=${1:?usage: bench/search/noseeds-check.sh OUT [SECONDS_PER_OP] [OPS]}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
START=$(date +%s)
if [ "$TARGET" = llvm ]; then
  SECONDS_PER_OP=${2:-180}
  OPS=${3:-"matmul softmax rmsnorm layernorm conv1d elementwise_chain"}
  HAND_SECONDS=${HAND_SECONDS:-60}
  DEADLINE=${DEADLINE:-1500}
  KEVC=${KEVC:-.build/release/kevc}
  KEVC_SEARCH_JOBS=${KEVC_SEARCH_JOBS:-1}
  HAND_DIR=bench/cpu
  # The bench/cpu specs, at shapes where the default takes about 1-20 ms here (bench/cpu/run.py's shapes, smaller
  # where its run takes longer: matmul 1024^3 40 ms, conv1d N=8 80 ms, elementwise_chain 4096^2 90 ms).
  spec_of() { case "$1" in rmsnorm|conv1d) echo "bench/cpu/specs/${1}_f32.kev" ;; *) echo "specs/$1.kev" ;; esac; }
  shape_of() { case "$1" in
    *matmul*) echo M=512,N=512,K=512 ;; *conv1d*) echo N=2,C=128,L=2048,F=128,K=3 ;;
    *softmax*) echo M=2048,N=4096 ;; *elementwise_chain*) echo M=1024,N=4096 ;; *) echo M=4096,N=4096 ;; esac; }
  { lscpu | grep -E 'Model name|^CPU\(s\)'; echo "vector flags: $(grep -m1 -oE 'avx[0-9a-z_]*|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')"
    echo "kevc $(git rev-parse --short HEAD)"; echo "before: $(uptime)"; } \
    > "$OUT/machine.txt" 2>&1
  trap 'echo "after: $(uptime)" >> "$OUT/machine.txt"' EXIT
else
  SECONDS_PER_OP=${2:-28}
  OPS=${3:-"matmul_bf16 matmul_bias_gelu conv1d conv2d depthwise_conv1d fm_interaction attention layernorm softmax rmsnorm rmsnorm_backward jagged_truncate"}
  HAND_SECONDS=${HAND_SECONDS:-20}
  DEADLINE=${DEADLINE:-470}
  HAND_DIR=bench/gpu
  . bench/gpu/kevc-binary.sh
  spec_of() { case "$1" in matmul_bf16) echo bench/gpu/specs/matmul_bf16.kev ;; *) echo "specs/$1.kev" ;; esac; }
  shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }
  python3 bench/gpu/probe.py before > "$OUT/machine.txt" 2>&1
  trap 'python3 bench/gpu/probe.py after >> "$OUT/machine.txt" 2>&1' EXIT
fi
: > "$OUT/run.log"
for op in $OPS; do
  if (( $(date +%s) - START > DEADLINE )); then echo "not run $op: past ${DEADLINE} s" | tee -a "$OUT/run.log"; continue; fi
  spec=$(spec_of "$op"); shape=$(shape_of "$spec")
  t0=$(date +%s)
  "$KEVC" search "$spec" --target "$TARGET" --shape "$shape" --budget 200 --time-limit "$SECONDS_PER_OP" \
    --db "$OUT/search.db" --trials 1 --case-timeout 60 --eval-timeout 120 --seed 1 ${CONFIRM:+--confirm $CONFIRM} \
    ${KEVC_SEARCH_JOBS:+--jobs $KEVC_SEARCH_JOBS} > "$OUT/search-$op.log" 2>&1
  echo "search $op: exit $? after $(( $(date +%s) - t0 )) s; $(tail -1 "$OUT/search-$op.log")" | tee -a "$OUT/run.log"
  seeds=()
  for trace in $HAND_DIR/$op.trace $HAND_DIR/$op.*.trace; do [ -f "$trace" ] && seeds+=(--seed-trace "$trace"); done
  # Evaluations recorded so far for this workload (the op's line of `kevc db list`), plus one per hand trace (and
  # one to spare: a proposal left pending by the search may be evaluated first).
  done_so_far=$("$KEVC" db list --db "$OUT/search.db" 2>/dev/null | grep -A1 " $(grep -m1 -oP '^kernel\s+\K\w+' "$spec") \[" | grep -oP '\d+(?= evaluated)' | tail -1)
  t0=$(date +%s)
  "$KEVC" search "$spec" --target "$TARGET" --shape "$shape" "${seeds[@]}" --budget $(( ${done_so_far:-0} + ${#seeds[@]} / 2 + 1 )) \
    --time-limit "$HAND_SECONDS" --db "$OUT/search.db" --trials 1 --case-timeout 60 --eval-timeout 120 --seed 1 --confirm 0 \
    ${KEVC_SEARCH_JOBS:+--jobs $KEVC_SEARCH_JOBS} > "$OUT/hand-$op.log" 2>&1
  echo "hand $op: exit $? after $(( $(date +%s) - t0 )) s; $(tail -1 "$OUT/hand-$op.log")" | tee -a "$OUT/run.log"
done
"$KEVC" db list --db "$OUT/search.db" > "$OUT/db-list.txt" 2>&1
"$KEVC" db export --db "$OUT/search.db" -o "$OUT/export.json" > /dev/null 2>&1
"$KEVC" db cost-model --db "$OUT/search.db" > "$OUT/cost-model.md" 2>&1
python3 bench/search/noseeds_check.py "$OUT" 2>&1 | tail -20
echo "total $(( $(date +%s) - START )) s" | tee -a "$OUT/run.log"
