#!/usr/bin/env bash
# The long fuzzing and differential-testing runs of docs/reliability.md, sharded over every core of one machine
# (the 16-core GPU host: a static kevc binary, python3, no Swift). Run from the repository root or any copy of the
# repository (no .build needed: the binary is passed in; the fuzzers' seeds come from this copy's specs/, ir/ and
# traces).
#   [SHARDS=n] [LABEL=commit] [FUZZ_EXECUTIONS=1100000] [DIFFTEST_PROGRAMS=12000] [SEED=1] [HANG_SECONDS=120] \
#     [COMPILE_SECONDS=60] bench/reliability/run-sharded.sh KEVC OUTDIR [SECONDS]
# Two phases, each on SHARDS (default: nproc) processes at once:
#   1. fuzz: shard k runs `kevc fuzz --target all` (spec, ir, trace in turn) with seed SEED*1000+k (disjoint
#      mutation streams), FUZZ_EXECUTIONS/SHARDS inputs per target, at most 55% of SECONDS split over the 3 targets;
#   2. difftest: shard k runs programs [k*P, (k+1)*P) of seed SEED (P = DIFFTEST_PROGRAMS/SHARDS, so every program
#      is distinct and reproducible as `kevc difftest --seed SEED --first i --programs 1`), for the rest of SECONDS.
# Hangs (past --hang-seconds) and LLVM compiles past --compile-seconds are recorded per shard and count as
# failures, like crashes and mismatches. Per-shard results go to OUTDIR/shards/; merge-shards.py then writes
# OUTDIR/fuzz-results-{spec,ir,trace}.json and OUTDIR/difftest-results.json in the format of the single-process
# runs, plus the shards. Failing inputs: OUTDIR/fuzz-crashes/, OUTDIR/difftest-mismatches/.
# SECONDS (default 540) bounds the whole run; exit status 1 when anything failed.
set -uo pipefail
usage="usage: bench/reliability/run-sharded.sh KEVC OUTDIR [SECONDS]"
kevc=${1:?$usage}
out=${2:?$usage}
total_seconds=${3:-540}
[ -x "$kevc" ] || { echo "run-sharded.sh: '$kevc' is not an executable" >&2; exit 2; }
kevc=$(cd "$(dirname "$kevc")" && pwd)/$(basename "$kevc")
mkdir -p "$out/shards" && out=$(cd "$out" && pwd)
cd "$(dirname "$0")/../.."
shards=${SHARDS:-$(nproc)}
seed=${SEED:-1}
fuzz_total=${FUZZ_EXECUTIONS:-1100000}
programs_total=${DIFFTEST_PROGRAMS:-12000}
label=${LABEL:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
fuzz_per_shard=$(( (fuzz_total + shards - 1) / shards ))
programs_per_shard=$(( (programs_total + shards - 1) / shards ))
fuzz_seconds=$(( total_seconds * 55 / 100 / 3 ))    # per target; the three run in turn
[ "$fuzz_seconds" -ge 1 ] || fuzz_seconds=1
start=$(date +%s)
echo "run-sharded: $shards shards, $fuzz_per_shard inputs per target and shard (<= $fuzz_seconds s each)," \
  "$programs_per_shard programs per shard, $total_seconds s in all, kevc $label" >&2

pids=()
for k in $(seq 0 $((shards - 1))); do
  "$kevc" fuzz --target all --executions "$fuzz_per_shard" --seed $((seed * 1000 + k)) --repository . \
    --crashes "$out/fuzz-crashes" --label "$label" --seconds "$fuzz_seconds" \
    --results "$out/shards/fuzz-$k.json" > "$out/shards/fuzz-$k.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

left=$(( total_seconds - ($(date +%s) - start) ))
[ "$left" -ge 10 ] || left=10
pids=()
for k in $(seq 0 $((shards - 1))); do
  "$kevc" difftest --programs "$programs_per_shard" --seed "$seed" --first $((k * programs_per_shard)) \
    --mismatches "$out/difftest-mismatches" --label "$label" --seconds "$left" \
    --hang-seconds "${HANG_SECONDS:-120}" --compile-seconds "${COMPILE_SECONDS:-60}" \
    --results "$out/shards/difftest-$k.json" > "$out/shards/difftest-$k.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

python3 bench/reliability/merge-shards.py "$out"
