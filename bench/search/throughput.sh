#!/usr/bin/env bash
# Evaluation throughput on one GPU (issue 17), in under 9 minutes: run on the GPU machine (CUDA, Triton, PyTorch;
# no Swift) from the repository root, with the static kevc of this commit (bench/gpu/build-static-kevc.sh).
#   bench/search/throughput.sh OUT_DIR
# 1. Short searches (THROUGHPUT_SECONDS each, default 30) at the bench shapes of rmsnorm, softmax, layernorm,
#    matmul (bf16), conv2d and attention, with the warm workers, reference reuse and memory admission ("after"),
#    and of rmsnorm and matmul with `--cold-workers --reference-epoch 0` ("before": a Python worker per candidate,
#    a float64 reference per candidate), all in one tuning database.
# 2. Every spec of specs/ and specs/kernelbench/ checked once at its bench shape (default schedule, 1 trial, 3
#    timed calls) through a warm-worker server with the device's memory budget, at most THROUGHPUT_SWEEP_SECONDS
#    (default 150): a harness crash or harness_error is what this looks for; a spec not reached in time says so.
# THROUGHPUT_SMALL=1 uses each spec's dims line instead of its bench shape (a dry run on the CPU: KEVC_GPU_DEVICE=cpu
# TRITON_INTERPRET=1). Writes OUT_DIR/{throughput.md, throughput.json, db/LABEL.{db,json}, search-*.log,
# sweep/*.json, machine.txt}.
set -uo pipefail
OUT=${1:?usage: bench/search/throughput.sh OUT_DIR}
SECONDS_PER_SEARCH=${THROUGHPUT_SECONDS:-30}
SWEEP_SECONDS=${THROUGHPUT_SWEEP_SECONDS:-150}
mkdir -p "$OUT/sweep"
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
export KEVC_GPU_CACHE="$OUT/cache"   # ceilings, measured costs and the reference cache's disk tier, fresh
python3 bench/gpu/probe.py before > "$OUT/machine.txt" 2>&1
trap 'python3 bench/gpu/probe.py after >> "$OUT/machine.txt" 2>&1' EXIT
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }

search() {  # label spec extra-flags...   (one database per search: OUT/db/LABEL.db)
  local label=$1 spec=$2; shift 2
  local start=$(date +%s.%N) shape
  shape=$(shape_of "$spec"); [ -n "${THROUGHPUT_SMALL:-}" ] && shape=""   # THROUGHPUT_SMALL: the dims line (a CPU dry run)
  timeout $((SECONDS_PER_SEARCH + 120)) "$KEVC" search "$spec" --target triton ${shape:+--shape "$shape"} \
    --budget 400 --time-limit "$SECONDS_PER_SEARCH" --db "$OUT/db/$label.db" --trials 1 --case-timeout 60 \
    --eval-timeout 300 --seed 1 "$@" > "$OUT/search-$label.log" 2>&1
  local rc=$?
  python3 -c "import sys; print(sys.argv[1], '%.1f' % (float(sys.argv[3]) - float(sys.argv[2])), sys.argv[4])" \
    "$label" "$start" "$(date +%s.%N)" "$rc" >> "$OUT/search-walls.txt"
  "$KEVC" db export --db "$OUT/db/$label.db" -o "$OUT/db/$label.json" > /dev/null 2>&1
  echo "search $label: exit $rc; $(tail -1 "$OUT/search-$label.log")"
}
mkdir -p "$OUT/db"
: > "$OUT/search-walls.txt"
search before-rmsnorm specs/rmsnorm.kev --cold-workers --reference-epoch 0
search before-matmul bench/gpu/specs/matmul_bf16.kev --cold-workers --reference-epoch 0
for op in rmsnorm softmax layernorm conv2d attention; do search "$op" "specs/$op.kev"; done
search matmul bench/gpu/specs/matmul_bf16.kev

# 2. The spec sweep through one warm-worker server (two warm workers share the GPU; memory budget from the device).
SOCK="$OUT/warm.sock"
python3 -m kevc_gpu serve --socket "$SOCK" --workers 2 > "$OUT/sweep/server.log" 2>&1 &
SERVER=$!
BUDGET=$(python3 -m kevc_gpu devices | python3 -c 'import json,sys; d=json.load(sys.stdin)["devices"]; m=min(x["total_bytes"] for x in d); print(m - max(1<<30, m//10))')
sweep_start=$(date +%s)
for spec in specs/*.kev specs/kernelbench/*.kev; do
  name=$(basename "$spec" .kev); dir="$OUT/sweep/$name"
  if [ $(( $(date +%s) - sweep_start )) -ge "$SWEEP_SECONDS" ]; then
    echo '{"status": "not reached", "reason": "the sweep ran out of time"}' > "$OUT/sweep/$name.json"; continue
  fi
  shape=$(shape_of "$spec"); [ -n "${THROUGHPUT_SMALL:-}" ] && shape=""
  if ! "$KEVC" compile "$spec" --target triton ${shape:+--shape "$shape"} --emit torch-ref,triton --dump-dir "$dir" \
      > "$dir.compile.txt" 2>&1; then
    python3 -c 'import json,sys; print(json.dumps({"status": "kevc_compile_error", "reason": open(sys.argv[1]).read()[-400:]}))' \
      "$dir.compile.txt" > "$OUT/sweep/$name.json"; continue
  fi
  timeout 90 python3 -m kevc_gpu run --kernel "$dir"/*.triton.py --reference "$dir"/*.ref.py --shape-label "$shape" \
    --trials 1 --timing-calls 3 --eager-calls 0 --timing-seconds 2 --timeout 45 --memory-budget "$BUDGET" \
    --server "$SOCK" > "$OUT/sweep/$name.json" 2> "$OUT/sweep/$name.err"
  rm -rf "$dir"
done &
SWEEP=$!
wait $SWEEP
kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null

python3 - "$OUT" <<'PY'
import collections, glob, json, os, sys
out = sys.argv[1]
walls = [l.split() for l in open(os.path.join(out, "search-walls.txt")) if l.strip()]
rows, report = [], {"searches": {}, "sweep": {}}
for label, wall, rc in walls:
    wall = float(wall)
    try:
        export = json.load(open(os.path.join(out, "db", label + ".json")))
    except (OSError, ValueError):
        export = {}
    evals = export.get("evaluations", [])
    phases = collections.Counter()
    retried = 0
    for e in evals:
        try:
            rep = json.loads(e.get("worker_report") or "{}")
        except ValueError:
            rep = {}
        for p, s in (rep.get("phase_seconds") or {}).items():
            phases["trials" if p.startswith("trial ") else ("load" if p.startswith("load-") else p)] += s
        retried += "retried_alone" in rep
    statuses = collections.Counter(e.get("status") for e in evals)
    per_min = len(evals) / (wall / 60) if wall > 0 else 0.0
    total = sum(phases.values()) or 1.0
    report["searches"][label] = {"exit": int(rc), "evaluations": len(evals), "wall_s": wall,
                                 "evaluations_per_gpu_minute": per_min, "statuses": dict(statuses),
                                 "harness_errors": statuses.get("harness_error", 0), "retried_alone": retried,
                                 "phase_share": {k: v / total for k, v in phases.most_common()}}
    rows.append("| %s | %d | %.0f | **%.1f** | %s | %d / %d | %s |" % (
        label, len(evals), wall, per_min, ", ".join("%s %d" % kv for kv in statuses.most_common()),
        statuses.get("harness_error", 0), retried,
        ", ".join("%s %.0f%%" % (k, 100 * v / total) for k, v in phases.most_common(6))))
sweep = {}
for path in sorted(glob.glob(os.path.join(out, "sweep", "*.json"))):
    try:
        o = json.load(open(path))
    except ValueError:
        err = path[:-5] + ".err"
        o = {"status": "no result", "reason": open(err).read()[-300:] if os.path.exists(err) else ""}
    sweep[os.path.basename(path)[:-5]] = {
        "status": o.get("status"), "reason": (o.get("reason") or "")[:300],
        "reference_mode": next((c.get("reference_mode") for c in o.get("cases", []) if c.get("reference_mode")), None)}
report["sweep"] = sweep
sc = collections.Counter(v["status"] for v in sweep.values())
bad = {k: v for k, v in sweep.items() if v["status"] in ("harness_error", "error", "no result")
       or (v["status"] == "crash" and ("harness" in v["reason"] or "out of memory" in v["reason"]))}
json.dump(report, open(os.path.join(out, "throughput.json"), "w"), indent=1)
md = ["# Evaluation throughput (bench/search/throughput.sh)", "",
      "| search | evaluations | wall s | per GPU-minute | statuses | harness_error / retried alone | where worker time went |",
      "|---|---|---|---|---|---|---|"] + rows + ["",
      "Spec sweep (bench shape, default schedule, 1 trial): " + ", ".join("%s %d" % kv for kv in sc.most_common()), "",
      "Harness failures (harness_error, error, no result, a crash naming the harness or memory): %d" % len(bad)]
md += ["- %s: %s: %s" % (k, v["status"], v["reason"]) for k, v in sorted(bad.items())]
sliced = [k for k, v in sweep.items() if v["reference_mode"]]
md += ["", "Checked with the float64 reference in slices: %s" % (", ".join(sliced) or "none")]
open(os.path.join(out, "throughput.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
