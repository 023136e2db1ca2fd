#!/usr/bin/env bash
# The CPU search benchmark on this machine: `kevc search --target llvm` on matmul, softmax and conv1d at
# CI-scale shapes and budgets, into one tuning database, then the summary (bench/search/summarize.py), the HTML
# report of each search and `kevc compile` picking the best record up.
#   bench/search/cpu.sh OUT_DIR [BUDGET] [SECONDS] [KEVC]
set -uo pipefail
OUT=${1:?usage: bench/search/cpu.sh OUT_DIR [BUDGET] [SECONDS] [KEVC]}
BUDGET=${2:-40}
SECONDS_PER_OP=${3:-150}
KEVC=${4:-.build/release/kevc}
cd "$(dirname "$0")/../.."
mkdir -p "$OUT"
DB="$OUT/search.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
{ lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | cut -c1-200; uptime; } > "$OUT/machine.txt"
run() {  # name spec shape
  local start=$(date +%s)
  "$KEVC" search "$2" --target llvm --shape "$3" --budget "$BUDGET" --time-limit "$SECONDS_PER_OP" --db "$DB" \
    --seed 1 > "$OUT/search-$1.log" 2>&1
  echo "search $1: exit $? after $(( $(date +%s) - start )) s; $(tail -1 "$OUT/search-$1.log")"
  "$KEVC" compile "$2" --shape "$3" --db "$DB" --emit scheduled -o /dev/null 2>&1 | grep "tuned schedule" \
    | sed "s/^/compile $1: /"
}
run matmul specs/matmul.kev M=256,N=256,K=256
run softmax specs/softmax.kev M=1024,N=1024
run conv1d bench/cpu/specs/conv1d_f32.kev N=2,C=64,L=1024,F=64,K=3
"$KEVC" db list --db "$DB" > "$OUT/db-list.txt" 2>&1
"$KEVC" db export --db "$DB" -o "$OUT/export.json" > /dev/null 2>&1
for i in 1 2 3; do
  name=$(sed -n "${i}p" <<< $'matmul\nsoftmax\nconv1d')
  "$KEVC" report --db "$DB" --workload "$i" --target 1 -o "$OUT/report-$name.html" > /dev/null 2>&1
done
python3 bench/search/summarize.py "$OUT" | tail -30
