#!/usr/bin/env bash
# Evaluation throughput on one GPU (issue 17), before and after, in ONE call of under 8 minutes: run on the GPU
# machine (CUDA, Triton, PyTorch; no Swift) from the repository root, with the static kevc of this commit
# (bench/gpu/build-static-kevc.sh; $KEVC or bench/gpu/kevc-binary.sh).
#   [THROUGHPUT_BEFORE=DIR] bench/search/throughput.sh OUT_DIR
# 1. Short searches (THROUGHPUT_SECONDS each, default 30) at the bench shapes of rmsnorm, softmax, layernorm,
#    matmul (bf16), conv2d and attention. With THROUGHPUT_BEFORE=DIR (a tree of the "before" commit: DIR/kevc or
#    DIR/kevc-static.xz its static binary, DIR/python its kevc_gpu), each search runs with DIR's kevc and harness
#    first, then with this commit's, on the same machine, each with fresh references (the ceilings are measured once,
#    before both).
# 2. A sweep of the specs that need the sliced float64 reference at their bench shape (THROUGHPUT_SWEEP, default
#    avg_pool2d batch_norm2d conv1d_dilated_strided) through `kevc run --target triton --device-memory`: a
#    harness crash is what this looks for (the plan may say harness_error: the reference cannot fit, with why).
#    At most THROUGHPUT_SWEEP_SECONDS (default 45). A search or the sweep that would end past
#    THROUGHPUT_TOTAL_SECONDS (default 440) of the script's start is skipped and says so.
# THROUGHPUT_OPS: the searches' ops (default: the six above).
# THROUGHPUT_CHECK_MODES (default "race"): the checking modes each op's search runs in, on this commit's kevc: "race"
#   (the default: timed first, a candidate clearly slower than the best recorded slower_unchecked without its checks)
#   and "every" (`--check-every-candidate`: every candidate checked before it is timed; labels "every-OP"). With both,
#   the two searches of an op alternate which runs first (op by op). The issue-17 racing measurement, in one call of
#   <= 300 s (4 ops x 2 modes x 25 s, no sweep):
#   THROUGHPUT_CHECK_MODES="every race" THROUGHPUT_OPS="rmsnorm softmax layernorm matmul" THROUGHPUT_SECONDS=25 \
#     THROUGHPUT_TOTAL_SECONDS=270 THROUGHPUT_SWEEP="" bench/search/throughput.sh OUT_DIR
#   The table splits each search's evaluations per GPU-minute into fully checked ones (every status but
#   slower_unchecked) and timed-only ones (slower_unchecked: timed, not checked).
# OUT_DIR stays small (text only): throughput.md (the table), throughput.json, machine.txt, search-LABEL.log (the
# last 40 lines of each) and sweep.json. Databases, modules and the reference cache live in a temporary folder that
# is deleted; nothing of them is archived.
# THROUGHPUT_SMALL=1 uses each spec's dims line instead of its bench shape: the dry run on the CPU,
#   KEVC_GPU_DEVICE=cpu TRITON_INTERPRET=1 THROUGHPUT_SMALL=1 THROUGHPUT_SECONDS=20 bench/search/throughput.sh OUT
# (with KEVC_GPU_DEVICE=cpu a stand-in nvidia-smi names the "device", as in the Swift test of a Triton search).
set -uo pipefail
OUT=${1:?usage: [THROUGHPUT_BEFORE=DIR] bench/search/throughput.sh OUT_DIR}
SECONDS_PER_SEARCH=${THROUGHPUT_SECONDS:-30}
SWEEP_SECONDS=${THROUGHPUT_SWEEP_SECONDS:-45}
TOTAL_SECONDS=${THROUGHPUT_TOTAL_SECONDS:-440}
SWEEP_SPECS=${THROUGHPUT_SWEEP-avg_pool2d batch_norm2d conv1d_dilated_strided}   # set and empty: no sweep
BEFORE=${THROUGHPUT_BEFORE:-}
MODES=${THROUGHPUT_CHECK_MODES:-race}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
AFTER_KEVC=$KEVC
AFTER_PYTHON=$PWD/python
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kevc-throughput.XXXXXX")
BEFORE_KEVC=
if [ -n "$BEFORE" ]; then
  BEFORE=$(cd "$BEFORE" && pwd)
  BEFORE_KEVC=$BEFORE/kevc
  if [ ! -x "$BEFORE_KEVC" ] && [ -f "$BEFORE/kevc-static.xz" ]; then
    xz -dc "$BEFORE/kevc-static.xz" > "$WORK/kevc-before" && chmod +x "$WORK/kevc-before" && BEFORE_KEVC=$WORK/kevc-before
  fi
  [ -x "$BEFORE_KEVC" ] && [ -d "$BEFORE/python/kevc_gpu" ] \
    || { echo "THROUGHPUT_BEFORE=$BEFORE needs kevc (or kevc-static.xz) and python/kevc_gpu" >&2; exit 1; }
fi
export KEVC_GPU_CACHE="$WORK/cache"   # ceilings, measured costs and the reference cache's disk tier: never in OUT
python3 bench/gpu/probe.py before > "$OUT/machine.txt" 2>&1
trap 'python3 bench/gpu/probe.py after >> "$OUT/machine.txt" 2>&1; rm -rf "$WORK"' EXIT
[ -z "${THROUGHPUT_SMALL:-}" ] && python3 -m kevc_gpu ceilings > /dev/null 2>&1   # once, for every search
if [ "${KEVC_GPU_DEVICE:-}" = cpu ]; then   # the dry run: a stand-in nvidia-smi, so that the search takes the CPU
  mkdir -p "$WORK/bin"; printf '#!/bin/sh\necho "Interpreter GPU, 9.0, 0.0"\n' > "$WORK/bin/nvidia-smi"
  chmod +x "$WORK/bin/nvidia-smi"; export PATH="$WORK/bin:$PATH"
fi
begin=$(date +%s)
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }
: > "$WORK/walls.txt"

search() {  # label kevc python-dir spec [extra search flags]
  local label=$1 bin=$2 py=$3 spec=$4 extra=${5:-} start shape rc
  if [ $(( $(date +%s) - begin + SECONDS_PER_SEARCH )) -gt "$TOTAL_SECONDS" ]; then   # never past the call's time
    echo "search $label: skipped (the script's $TOTAL_SECONDS s)"; return
  fi
  shape=$(shape_of "$spec"); [ -n "${THROUGHPUT_SMALL:-}" ] && shape=""
  rm -rf "$KEVC_GPU_CACHE/references"   # fresh references for every search: before and after pay alike
  start=$(date +%s.%N)
  PYTHONPATH="$py" KEVC_PYTHON_DIR="$py" timeout $((SECONDS_PER_SEARCH + 60)) "$bin" search "$spec" --target triton \
    ${shape:+--shape "$shape"} --budget 1000 --time-limit "$SECONDS_PER_SEARCH" --db "$WORK/$label.db" --trials 1 \
    --case-timeout 60 --eval-timeout 300 --seed 1 $extra > "$WORK/search-$label.log" 2>&1
  rc=$?
  echo "$label $start $(date +%s.%N) $rc" >> "$WORK/walls.txt"
  "$AFTER_KEVC" db export --db "$WORK/$label.db" -o "$WORK/$label.json" > /dev/null 2>&1
  tail -40 "$WORK/search-$label.log" > "$OUT/search-$label.log"
  echo "search $label: exit $rc; $(tail -1 "$WORK/search-$label.log")"
}

nmodes=$(echo $MODES | wc -w)
index=0
for op in ${THROUGHPUT_OPS:-rmsnorm softmax layernorm matmul conv2d attention}; do
  spec=specs/$op.kev; [ "$op" = matmul ] && spec=bench/gpu/specs/matmul_bf16.kev
  pair=$((nmodes * SECONDS_PER_SEARCH)); [ -n "$BEFORE" ] && pair=$((pair + SECONDS_PER_SEARCH))
  if [ $(( $(date +%s) - begin + pair )) -gt "$TOTAL_SECONDS" ]; then   # before and after, or neither
    echo "search $op: skipped (the script's $TOTAL_SECONDS s)"; continue
  fi
  [ -n "$BEFORE" ] && search "before-$op" "$BEFORE_KEVC" "$BEFORE/python" "$spec"
  order=$MODES; [ $((index % 2)) = 1 ] && order=$(echo $MODES | tr ' ' '\n' | tac | tr '\n' ' ')
  index=$((index + 1))
  for mode in $order; do
    case $mode in
      race) search "$op" "$AFTER_KEVC" "$AFTER_PYTHON" "$spec" ;;
      every) search "every-$op" "$AFTER_KEVC" "$AFTER_PYTHON" "$spec" --check-every-candidate ;;
      *) echo "THROUGHPUT_CHECK_MODES: unknown mode $mode" >&2 ;;
    esac
  done
done

# 2. The sweep: specs whose float64 reference does not fit whole at the bench shape, planned by their footprint.
BUDGET_MIB=$(python3 -m kevc_gpu devices | python3 -c 'import json,sys; d=json.load(sys.stdin)["devices"]; m=min(x["total_bytes"] for x in d); print((m - max(1<<30, m//10)) >> 20)')
echo "{" > "$WORK/sweep.json"; first=1
for name in $SWEEP_SPECS; do
  spec=specs/kernelbench/$name.kev; [ -f "$spec" ] || spec=specs/$name.kev
  left=$((TOTAL_SECONDS - ($(date +%s) - begin)))
  if [ "$left" -lt "$SWEEP_SECONDS" ]; then status="not reached"; text="the script's $TOTAL_SECONDS s ran out"; else
    shape=$(shape_of "$spec"); [ -n "${THROUGHPUT_SMALL:-}" ] && shape=""
    timeout "$SWEEP_SECONDS" "$AFTER_KEVC" run "$spec" --target triton ${shape:+--shape "$shape"} --trials 1 \
      --iterations 3 --repeats 1 --eager-calls 0 --gpu-timeout 40 --device-memory "$BUDGET_MIB" > "$WORK/$name.txt" 2>&1
    rc=$?
    status=$(grep -m1 -oE '^(PASS|FAIL: [a-z_]+|FLAGGED)' "$WORK/$name.txt" || echo "exit $rc")
    text=$(tail -c 600 "$WORK/$name.txt")
  fi
  [ $first = 1 ] || echo "," >> "$WORK/sweep.json"; first=0
  python3 -c 'import json,sys; print(json.dumps(sys.argv[1]) + ": " + json.dumps({"status": sys.argv[2], "output": sys.argv[3]}), end="")' \
    "$name" "$status" "$text" >> "$WORK/sweep.json"
done
echo "}" >> "$WORK/sweep.json"
cp "$WORK/sweep.json" "$OUT/sweep.json"

python3 - "$OUT" "$WORK" <<'PY'
import collections, json, os, sys
out, work = sys.argv[1], sys.argv[2]
rows, report = [], {"searches": {}, "sweep": json.load(open(os.path.join(work, "sweep.json")))}
for line in open(os.path.join(work, "walls.txt")):
    label, start, end, rc = line.split()
    wall = float(end) - float(start)
    try:
        export = json.load(open(os.path.join(work, label + ".json")))
    except (OSError, ValueError):
        export = {}
    evals = export.get("evaluations", [])
    phases, stopped, calls = collections.Counter(), collections.Counter(), []
    held, compiles = collections.Counter(), collections.Counter()
    retried = 0
    for e in evals:
        try:
            rep = json.loads(e.get("worker_report") or "{}")
        except ValueError:
            rep = {}
        for p, s in (rep.get("phase_seconds") or {}).items():
            p = "trials" if p.startswith("trial ") else ("load" if p.startswith("load-") else p)
            phases[p.replace("waiting for the device", "wait")] += s
        retried += "retried_alone" in rep
        for k, s in (rep.get("lock_held") or {}).items():
            held[k] += s
        for k, n in (rep.get("compiles") or {}).items():
            compiles[k] += n
        if rep.get("timing_calls"):
            calls.append(rep["timing_calls"])
            stopped[rep.get("timing_stopped") or "count"] += 1
    statuses = collections.Counter(e.get("status") for e in evals)
    per_min = len(evals) / (wall / 60) if wall > 0 else 0.0
    # Racing (docs/search.md): timed-only evaluations (slower_unchecked) apart from fully checked ones.
    unchecked = statuses.get("slower_unchecked", 0)
    checked_per_min = (len(evals) - unchecked) / (wall / 60) if wall > 0 else 0.0
    unchecked_per_min = unchecked / (wall / 60) if wall > 0 else 0.0
    modes_run = dict(collections.Counter(e.get("checks") or "-" for e in evals))
    finished = sorted(e["finished_at"] for e in evals if e.get("finished_at"))
    # Steady state: evaluations after the first (the default schedule, alone) over the time they took.
    steady = (len(finished) - 1) / ((finished[-1] - finished[0]) / 60) if len(finished) > 2 and finished[-1] > finished[0] else None
    first = finished[0] - float(start) if finished else None
    total = sum(phases.values()) or 1.0
    n = max(1, len(evals))
    modes = {m: held.get(m, 0.0) / n for m in ("shared", "exclusive")}
    # What the locks were held for, per evaluation: the parts of both modes (held.py), largest first.
    parts = collections.Counter()
    for k, s in held.items():
        if ": " in k:
            parts[k] += s / n
    report["searches"][label] = {
        "exit": int(rc), "evaluations": len(evals), "wall_s": wall, "evaluations_per_gpu_minute": per_min,
        "checked_per_gpu_minute": checked_per_min, "timed_only_per_gpu_minute": unchecked_per_min,
        "check_modes": modes_run,
        "steady_per_minute": steady, "first_result_s": first, "statuses": dict(statuses),
        "harness_errors": statuses.get("harness_error", 0), "retried_alone": retried,
        "timing_calls_mean": sum(calls) / len(calls) if calls else None, "timing_stopped": dict(stopped),
        "phase_share": {k: v / total for k, v in phases.most_common()},
        "lock_held_per_evaluation_s": modes, "lock_held_parts_per_evaluation_s": dict(parts.most_common()),
        "compiles": dict(compiles)}
    held_text = ("%.2f / %.2f" % (modes["shared"], modes["exclusive"])) if held else "-"
    parts_text = ", ".join("%s %.0f ms" % (k, 1000 * v) for k, v in parts.most_common(8) if v >= 0.0005) or "-"
    compile_text = ", ".join("%s %d" % kv for kv in sorted(compiles.items())) or "-"
    rows.append("| %s | %d | %.0f | **%.1f** | %.1f / %.1f | %s | %s | %s | %d / %d | %s | %s | %s | %s | %s |" % (
        label, len(evals), wall, per_min, checked_per_min, unchecked_per_min, "%.1f" % steady if steady else "-",
        "%.1f" % first if first else "-",
        ", ".join("%s %d" % kv for kv in statuses.most_common()), statuses.get("harness_error", 0), retried,
        ("%.0f calls; " % (sum(calls) / len(calls)) + ", ".join("%s %d" % kv for kv in stopped.most_common())) if calls else "-",
        ", ".join("%s %.0f%%" % (k, 100 * v / total) for k, v in phases.most_common(7)), held_text, parts_text,
        compile_text))
json.dump(report, open(os.path.join(out, "throughput.json"), "w"), indent=1)
md = ["# Evaluation throughput (bench/search/throughput.sh)", "",
      "per GPU-minute: evaluations / search wall time (the warm workers' start included), split into fully checked / "
      "timed only (slower_unchecked: racing skipped the checks of a candidate clearly slower than the best; "
      "`every-` searches ran with --check-every-candidate); steady: evaluations after "
      "the first over the time between the first and the last result; wait: shared = checks queueing, exclusive = "
      "timings queueing. Lock held: seconds per evaluation the device lock was held shared / exclusive (every "
      "other worker's timing waits for the first, everything waits for the second); held on: what ran under it, per "
      "evaluation (python/kevc_gpu/held.py; other = Python between the parts); compiles: Triton JIT compiles by the "
      "lock they ran under (none = compiled ahead, before any lock).", "",
      "| search | evaluations | wall s | per GPU-minute | checked / timed only per GPU-minute | steady / min | first result s | statuses | harness_error / retried alone | timed calls (mean; stop) | where worker time went | lock held s (shared / exclusive) | held on (per evaluation) | compiles |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"] + rows + ["", "Sweep (sliced float64 reference, `kevc run --device-memory`):"]
md += ["- %s: %s" % (k, v["status"]) + ("" if v["status"] == "PASS" else ": " + v["output"].strip().splitlines()[-1][:300] if v["output"].strip() else "")
       for k, v in report["sweep"].items()]
for name in ("throughput.md", "results.md"):  # results.md: the name the GPU session's README asks for
    open(os.path.join(out, name), "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
