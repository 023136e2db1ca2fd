#!/usr/bin/env bash
# The GPU search benchmark: run on the GPU machine (CUDA, Triton, PyTorch; no Swift) from the repository root.
#   bench/search/gpu.sh OUT_DIR [BUDGET] [SECONDS] [OPS]
# For each op (default: softmax rmsnorm matmul_bf16): `kevc search --target triton` at the bench shape with a budget
# of BUDGET candidates (default 16) or SECONDS of wall time (default 90), whichever comes first, into one tuning
# database, seeded with the op's hand traces (bench/gpu/<op>.trace and <op>.<variant>.trace: evaluated in the
# search, proposer seed:NAME); PyTorch eager and torch.compile (bench/gpu/baselines.py) measured first in the same
# run; `kevc db export` and `kevc report` of each search.
# KEVC_SEARCH_JOBS sets the search's --jobs (default: kevc's, half the cores, at most 8).
# KEVC_SEARCH_NO_SEEDS=1: no hand traces as seeds (the search starts from the default schedule and its sketches only).
# Writes OUT_DIR/{search.db, search-OP.log, report-OP.html, baselines.json, export.json,
# machine.txt (the GPU's state before and after, bench/gpu/probe.py)}; then
# bench/search/summarize.py OUT_DIR writes results.md from them.
set -uo pipefail
OUT=${1:?usage: bench/search/gpu.sh OUT_DIR [BUDGET] [SECONDS] [OPS]}
BUDGET=${2:-16}
SECONDS_PER_OP=${3:-90}
OPS=${4:-"softmax rmsnorm matmul_bf16"}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
DB="$OUT/search.db"

spec_of() {
  case "$1" in
    matmul_bf16) echo bench/gpu/specs/matmul_bf16.kev ;;
    *) echo "specs/$1.kev" ;;
  esac
}
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }

python3 bench/gpu/probe.py before > "$OUT/machine.txt" 2>&1
trap 'python3 bench/gpu/probe.py after >> "$OUT/machine.txt" 2>&1' EXIT
python3 bench/gpu/baselines.py "$OUT/baselines.json" --calls 50 --only "$(echo $OPS | sed 's/matmul_bf16/matmul/g; s/ /,/g')" \
  > "$OUT/baselines.log" 2>&1 &
BASE_PID=$!
wait $BASE_PID   # baselines first, alone on the GPU (their timings must not overlap the search's)

for op in $OPS; do
  spec=$(spec_of "$op"); shape=$(shape_of "$spec")
  start=$(date +%s)
  # The hand traces (bench/gpu/<op>.trace and variants <op>.<variant>.trace) are seeds of the search: evaluated
  # in it, by the same harness in the same run, right after the default schedule, and bred from.
  seeds=()
  [ -n "${KEVC_SEARCH_NO_SEEDS:-}" ] || for trace in bench/gpu/$op.trace bench/gpu/$op.*.trace; do [ -f "$trace" ] && seeds+=(--seed-trace "$trace"); done
  "$KEVC" search "$spec" --target triton "${seeds[@]}" --shape "$shape" --budget "$BUDGET" --time-limit "$SECONDS_PER_OP" \
    --db "$DB" --trials 1 --case-timeout 60 --eval-timeout 400 --seed 1 \
    ${KEVC_SEARCH_JOBS:+--jobs $KEVC_SEARCH_JOBS} > "$OUT/search-$op.log" 2>&1
  echo "search $op: exit $? after $(( $(date +%s) - start )) s; $(tail -1 "$OUT/search-$op.log")"
done
"$KEVC" db list --db "$DB" > "$OUT/db-list.txt" 2>&1
"$KEVC" db export --db "$DB" -o "$OUT/export.json" > /dev/null 2>&1
for op in $OPS; do
  # The workload's id in this database (a database reused across runs holds earlier workloads too).
  id=$(grep -oP "^workload #\K[0-9]+(?= $op \[)" "$OUT/db-list.txt" | tail -1)
  [ -n "$id" ] && "$KEVC" report --db "$DB" --workload "$id" --target 1 -o "$OUT/report-$op.html" > /dev/null 2>&1
done
python3 bench/search/summarize.py "$OUT" 2>&1 | tail -20
