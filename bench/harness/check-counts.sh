#!/usr/bin/env bash
# The harness's checking work on this machine's CPU, before and after, at KernelBench's problems scaled down
# (bench/harness/check_counts.py: the float64 reference whole and compared, in slices and compared, and
# measured_cost; torch operations and host round trips counted once, seconds timed REPEATS times, alternated):
#   bench/harness/check-counts.sh KEVC_BEFORE PYDIR_BEFORE KEVC_AFTER PYDIR_AFTER OUT.md [REPEATS]
# Each kevc emits its own torch reference modules (the prelude is part of what is measured). Seconds on a CPU say
# little of a GPU's (no launches, no synchronisations); the counts are what a GPU pays per launch and round trip.
set -euo pipefail
KB=${1:?usage: check-counts.sh KEVC_BEFORE PYDIR_BEFORE KEVC_AFTER PYDIR_AFTER OUT.md [REPEATS]}; PB=$(cd "${2:?}" && pwd)
KA=${3:?}; PA=$(cd "${4:?}" && pwd); OUT=${5:?}; REPEATS=${6:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SLICE=4194304
T=$(mktemp -d)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
CASES=${CHECK_COUNTS_CASES:-"softplus:B=64,D=393216 log_softmax:B=64,D=393216 instance_norm2d:N=4,C=16,H=512,W=512
max_pool1d:N=4,C=48,L=65536 avg_pool1d:N=4,C=32,L=65536 max_pool2d:N=1,C=32,H=512,W=512
conv2d_square:N=1,C=16,H=768,W=768,F=32,K=3 reduce_argmax_dim1:B=2,R=4096,D=4095"}
{
  echo "# check-counts $(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc --all) cores (shared with other helpers), torch $(python3 -c 'import torch; print(torch.__version__)'), OMP_NUM_THREADS=$OMP_NUM_THREADS"
  echo
  echo "before: ${CHECK_COUNTS_BEFORE:-$KB and $2}; after: ${CHECK_COUNTS_AFTER:-$KA and $4}."
  echo "Sliced: reference_slices in slices of $SLICE elements + StreamingCompare. ops / syncs: torch operations"
  echo "dispatched / host round trips (one counted run); seconds: median of $REPEATS timed runs (no counting), alternated."
  echo
  echo "| problem (scaled) | phase | ops before | ops after | syncs before | syncs after | s before | s after |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$OUT"
for c in $CASES; do
  op=${c%%:*}; shape=${c#*:}
  "$KB" compile "$ROOT/specs/kernelbench/$op.kev" --emit torch-ref --shape "$shape" -o "$T/$op.before.py"
  "$KA" compile "$ROOT/specs/kernelbench/$op.kev" --emit torch-ref --shape "$shape" -o "$T/$op.after.py"
  python3 "$ROOT/bench/harness/check_counts.py" "$PB" "$T/$op.before.py" $SLICE > "$T/$op.count.before"
  python3 "$ROOT/bench/harness/check_counts.py" "$PA" "$T/$op.after.py" $SLICE > "$T/$op.count.after"
  : > "$T/$op.time.before"; : > "$T/$op.time.after"
  for i in $(seq 1 "$REPEATS"); do
    for w in $([ $((i % 2)) -eq 1 ] && echo "before after" || echo "after before"); do
      if [ $w = before ]; then py=$PB; else py=$PA; fi
      python3 "$ROOT/bench/harness/check_counts.py" "$py" "$T/$op.$w.py" $SLICE --no-count >> "$T/$op.time.$w"
    done
  done
  python3 - "$T" "$op" "$shape" >> "$OUT" <<'PY'
import json, statistics, sys
t, op, shape = sys.argv[1:]
def lines(name):
    return [json.loads(l) for l in open("%s/%s.%s" % (t, op, name)) if l.startswith("{")]
cb, ca = lines("count.before"), lines("count.after")
tb, ta = lines("time.before"), lines("time.after")
for phase in ("whole", "sliced", "cost"):
    b = next(x for x in cb if x["phase"] == phase); a = next(x for x in ca if x["phase"] == phase)
    sb = statistics.median(x["seconds"] for x in tb if x["phase"] == phase)
    sa = statistics.median(x["seconds"] for x in ta if x["phase"] == phase)
    ok = "" if b["passed"] and a["passed"] else " (NOT PASSED)"
    print("| %s %s | %s%s | %d | %d | %d | %d | %.2f | %.2f |" % (op, shape, phase, ok, b["ops"], a["ops"], b["syncs"],
                                                                  a["syncs"], sb, sa))
PY
  echo "done $op" >&2
done
rm -rf "$T"
cat "$OUT"
