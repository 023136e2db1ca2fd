#!/usr/bin/env bash
# The no-seeds search check on the GPU machine (CUDA, Triton; no Swift; a static kevc, bench/gpu/kevc-binary.sh):
# for each of the 12 bench/gpu ops, `kevc search --target triton` at the bench shape from the default schedule and
# its sketches only (no hand trace as a seed), at most 200 evaluations and SECONDS_PER_OP of wall time, into
# OUT/noseeds.db; then the op's hand traces (bench/gpu/<op>.trace, <op>.<variant>.trace) evaluated by the same
# harness into OUT/hand.db (a search whose budget is the default plus the traces: each trace is a seed, evaluated
# right after the default). bench/search/noseeds_check.py writes OUT/noseeds-check.json and .md: per op the default,
# the searched best, the best hand trace, searched best / hand speed (target >= 0.95), evaluations to 95% of the
# searched best, the proposer of the best. Sized to finish in under 9 minutes (defaults: 24 s of search and up
# to 16 s of hand traces per op; ops not started by DEADLINE seconds are reported as not run).
#   bench/search/noseeds-check.sh OUT [SECONDS_PER_OP] [OPS]
set -uo pipefail
OUT=${1:?usage: bench/search/noseeds-check.sh OUT [SECONDS_PER_OP] [OPS]}
SECONDS_PER_OP=${2:-24}
OPS=${3:-"matmul_bf16 matmul_bias_gelu conv1d conv2d depthwise_conv1d fm_interaction attention layernorm softmax rmsnorm rmsnorm_backward jagged_truncate"}
HAND_SECONDS=${HAND_SECONDS:-16}
DEADLINE=${DEADLINE:-470}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
START=$(date +%s)
spec_of() { case "$1" in matmul_bf16) echo bench/gpu/specs/matmul_bf16.kev ;; *) echo "specs/$1.kev" ;; esac; }
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }
python3 bench/gpu/probe.py before > "$OUT/machine.txt" 2>&1
trap 'python3 bench/gpu/probe.py after >> "$OUT/machine.txt" 2>&1' EXIT
: > "$OUT/run.log"
for op in $OPS; do
  if (( $(date +%s) - START > DEADLINE )); then echo "not run $op: past ${DEADLINE} s" | tee -a "$OUT/run.log"; continue; fi
  spec=$(spec_of "$op"); shape=$(shape_of "$spec")
  t0=$(date +%s)
  "$KEVC" search "$spec" --target triton --shape "$shape" --budget 200 --time-limit "$SECONDS_PER_OP" \
    --db "$OUT/noseeds.db" --trials 1 --case-timeout 60 --eval-timeout 120 --seed 1 \
    ${KEVC_SEARCH_JOBS:+--jobs $KEVC_SEARCH_JOBS} > "$OUT/search-$op.log" 2>&1
  echo "search $op: exit $? after $(( $(date +%s) - t0 )) s; $(tail -1 "$OUT/search-$op.log")" | tee -a "$OUT/run.log"
  seeds=()
  for trace in bench/gpu/$op.trace bench/gpu/$op.*.trace; do [ -f "$trace" ] && seeds+=(--seed-trace "$trace"); done
  t0=$(date +%s)
  "$KEVC" search "$spec" --target triton --shape "$shape" "${seeds[@]}" --budget $(( ${#seeds[@]} / 2 + 1 )) \
    --time-limit "$HAND_SECONDS" --db "$OUT/hand.db" --trials 1 --case-timeout 60 --eval-timeout 120 --seed 1 \
    ${KEVC_SEARCH_JOBS:+--jobs $KEVC_SEARCH_JOBS} > "$OUT/hand-$op.log" 2>&1
  echo "hand $op: exit $? after $(( $(date +%s) - t0 )) s; $(tail -1 "$OUT/hand-$op.log")" | tee -a "$OUT/run.log"
done
"$KEVC" db export --db "$OUT/noseeds.db" -o "$OUT/noseeds-export.json" > /dev/null 2>&1
"$KEVC" db export --db "$OUT/hand.db" -o "$OUT/hand-export.json" > /dev/null 2>&1
"$KEVC" db cost-model --db "$OUT/noseeds.db" > "$OUT/cost-model.md" 2>&1
python3 bench/search/noseeds_check.py "$OUT" 2>&1 | tail -20
echo "total $(( $(date +%s) - START )) s" | tee -a "$OUT/run.log"
