#!/usr/bin/env bash
# CPU-target evaluations per minute, before and after a change, on this machine: `kevc search --target llvm` on
# softmax and matmul for SECONDS each with each binary, the binaries alternating so that the machine's load (shared
# by other builds) hits both alike. Each binary gets one database whose target (and machine measurement, which a
# fresh database pays first: ~30 s here) is set up by an uncounted warm-up search; each measured search is a new
# workload (its shape differs by a few elements), so it starts from its default schedule like a first search.
#   [CPU_THROUGHPUT_SIZE=1024] bench/search/cpu-throughput.sh OUT_DIR BEFORE_KEVC AFTER_KEVC [SECONDS] [ROUNDS]
# Writes OUT_DIR/results.md (evaluations, wall seconds, evaluations per minute, statuses) and the logs.
set -uo pipefail
OUT=${1:?usage: bench/search/cpu-throughput.sh OUT_DIR BEFORE_KEVC AFTER_KEVC [SECONDS] [ROUNDS]}
BEFORE=${2:?before binary}
AFTER=${3:?after binary}
SECONDS_PER=${4:-60}
ROUNDS=${5:-2}
SIZE=${CPU_THROUGHPUT_SIZE:-1024}   # softmax SIZE x SIZE(+8r), matmul (SIZE/4)^3 (+8r)
cd "$(dirname "$0")/../.."
mkdir -p "$OUT"
{ lscpu | grep -E 'Model name|^CPU\(s\)' | cut -c1-120; uptime; } > "$OUT/machine.txt"
for which in before after; do
  bin=$BEFORE; [ "$which" = after ] && bin=$AFTER
  rm -f "$OUT/$which.db"*
  "$bin" search specs/softmax.kev --target llvm --shape M=64,N=64 --budget 1 --db "$OUT/$which.db" --seed 1 \
    > "$OUT/warmup-$which.log" 2>&1
done
echo "| workload | binary | evaluations | wall s | per minute | statuses |" > "$OUT/results.md"
echo "|---|---|---|---|---|---|" >> "$OUT/results.md"
for round in $(seq 1 "$ROUNDS"); do
  for w in "softmax specs/softmax.kev M=$SIZE,N=$((SIZE + 8 * round))" "matmul specs/matmul.kev M=$((SIZE / 4)),N=$((SIZE / 4 + 8 * round)),K=$((SIZE / 4))"; do
    set -- $w
    for which in before after; do
      bin=$BEFORE; [ "$which" = after ] && bin=$AFTER
      start=$(date +%s.%N)
      "$bin" search "$2" --target llvm --shape "$3" --budget 1000 --time-limit "$SECONDS_PER" --db "$OUT/$which.db" \
        --seed 1 > "$OUT/search-$1-$3-$which.log" 2>&1
      end=$(date +%s.%N)
      "$bin" db export --db "$OUT/$which.db" -o "$OUT/$which.json" > /dev/null 2>&1
      python3 - "$1" "$3" "$which" "$OUT/$which.json" "$start" "$end" >> "$OUT/results.md" <<'PY'
import collections, json, sys
name, shape, which, path, start, end = sys.argv[1:7]
d = json.load(open(path))
wid = {x["id"] for x in d.get("workloads", []) if sorted((x.get("shape") or "").split(",")) == sorted(shape.split(","))}
cids = {c["id"] for c in d.get("candidates", []) if c.get("workload_id") in wid}
evals = [e for e in d.get("evaluations", []) if e.get("candidate_id") in cids]
wall = float(end) - float(start)
st = collections.Counter(e["status"] for e in evals)
print("| %s %s | %s | %d | %.0f | %.1f | %s |" % (name, shape, which, len(evals), wall, len(evals) / wall * 60,
                                                  ", ".join("%s %d" % kv for kv in st.most_common())))
PY
    done
  done
done
uptime >> "$OUT/machine.txt"
cat "$OUT/results.md"
