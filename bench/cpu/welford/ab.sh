#!/usr/bin/env bash
# Rule V on the CPU (task h77): the CPU default schedule of a norm as written (two passes for the statistics) against
# the CPU default of the same kernel after `welford` (the variance a Welford tuple reduction), alternated.
#   bench/cpu/welford/ab.sh [KEVC] [ROUNDS]   -> prints one line per run; the medians at the end
# The rewritten kernel is written out as .kir (`kevc opt --apply`) and run with `kevc run` (its own default CPU
# schedule; `--trials 0`: timing only, the numerics are checked by the tests; `--iterations 20`, 3 repeats).
set -euo pipefail
cd "$(dirname "$0")/../../.."
KEVC=$(realpath "${1:-.build/debug/kevc}"); ROUNDS=${2:-5}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cases=("specs/kernelbench/instance_norm2d.kev N=8,C=16,H=256,W=256 _r1" "specs/layernorm.kev M=2048,N=4096 _r1")
for c in "${cases[@]}"; do
  set -- $c
  name=$(basename "$1" .kev)
  echo "welford($3)" > "$TMP/w.trace"
  "$KEVC" opt "$1" --shape "$2" --apply "$TMP/w.trace" -o "$TMP/$name.welford.kir"
done
for r in $(seq "$ROUNDS"); do
  for c in "${cases[@]}"; do
    set -- $c
    name=$(basename "$1" .kev)
    for form in two-pass welford; do
      input=$1; [ $form = welford ] && input=$TMP/$name.welford.kir
      t=$("$KEVC" run "$input" --shape "$2" --trials 0 --iterations 20 --repeats 3 | grep -oP 'time per call: \K[0-9.]+ \w+')
      echo "round $r $name $form $t"
    done
  done
done | tee "$TMP/runs.txt"
echo "medians:"
python3 - "$TMP/runs.txt" <<'PY'
import sys, statistics, collections
scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    _, _, name, form, value, unit = line.split()
    runs[(name, form)].append(float(value) * scale[unit])
for (name, form), ts in sorted(runs.items()):
    print(f"  {name} {form}: median {statistics.median(ts):.3f} ms over {len(ts)} runs ({min(ts):.3f}-{max(ts):.3f})")
PY
