#!/usr/bin/env bash
# The GPU check of the loop-level targets (issue 18), on the GPU machine (CUDA, nvcc, PyTorch, Triton; no Swift),
# from the repository root, in under 8 minutes:
#   bench/gpu/targets-check.sh OUT_DIR
# 1. kevc: the static binary bench/gpu/kevc-static.xz (bench/gpu/build-static-kevc.sh, built from this branch), or
#    `kevc` on PATH.
# 2. Correctness through the harness's protocol (kevc run: poisoned outputs, several distributions, float64
#    reference): every spec in specs/ with the default GPU schedule for --target hip (HIP compiled as CUDA with nvcc
#    through python/kevc_gpu/kevc_hip.h) and --target cute (CuTe DSL; needs nvidia-cutlass-dsl: either importable,
#    or its wheels unpacked into the folder $KEVC_CUTE_SITE, or their parts in $KEVC_CUTE_PARTS: bench/gpu/cute-site.sh).
# 3. Timing: the 12 bench/gpu ops, default schedule, for triton, hip and cute, beside PyTorch eager and
#    torch.compile (bench/gpu/bench.py --targets; each kevc kernel gets $KEVC_BENCH_TIMEOUT s, default 60).
# Writes OUT_DIR/{machine.txt, correctness-hip.txt, correctness-cute.txt, correctness.json, bench/results.{json,md}}.
set -uo pipefail
OUT=${1:?usage: bench/gpu/targets-check.sh OUT_DIR}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
START=$(date +%s)
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; nvcc --version | tail -2
  python3 -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__)"; "$KEVC" --version; } > "$OUT/machine.txt" 2>&1
# KEVC_TARGETS picks the targets checked (e.g. "triton hip"; default hip, and cute where the DSL imports);
# KEVC_TARGETS_SECONDS bounds the whole script (default 450: the timing gets what the checks left).
TARGETS=${KEVC_TARGETS:-hip}
. bench/gpu/cute-site.sh
if [ -z "${KEVC_TARGETS:-}" ]; then
  if python3 -c 'import cutlass.cute' >> "$OUT/machine.txt" 2>&1; then TARGETS="hip cute"; else echo "cute: nvidia-cutlass-dsl not importable, skipped" | tee -a "$OUT/machine.txt"; fi
fi
export KEVC OUT
JOBS=${KEVC_CHECK_JOBS:-8}
for T in $TARGETS; do
  mkdir -p "$OUT/check-$T"
  export T
  find specs -name '*.kev' | sort | xargs -P "$JOBS" -I{} bash -c '
    spec={}; name=$(echo "${spec#specs/}" | tr / . | sed "s/\.kev$//")
    log=$(timeout 120 "$KEVC" run "$spec" --target "$T" --trials 3 --iterations 0 --gpu-timeout 90 2>&1); rc=$?
    status=$([ $rc -eq 0 ] && echo PASS || ([ $rc -eq 3 ] && echo FLAGGED || echo FAIL))
    { echo "== $spec: $status"; echo "$log" | tail -8; } > "$OUT/check-$T/$name.txt"'
  cat "$OUT"/check-$T/*.txt > "$OUT/correctness-$T.txt"
  pass=$(grep -c '^== .*: PASS$' "$OUT/correctness-$T.txt"); total=$(find specs -name '*.kev' | wc -l)
  echo "correctness $T: $pass of $total passed ($(( $(date +%s) - START )) s)" | tee -a "$OUT/correctness-$T.txt"
  grep '^== ' "$OUT/correctness-$T.txt" | grep -v ': PASS$' | head -30
  rm -rf "$OUT/check-$T"
done
python3 - "$OUT" $TARGETS <<'PY'
import json, os, sys
out, targets = sys.argv[1], sys.argv[2:]
res = {}
for t in targets:
    rows = {}
    for block in open(os.path.join(out, "correctness-%s.txt" % t)).read().split("== ")[1:]:
        head = block.split("\n", 1)[0]
        if ": " in head:
            spec, status = head.rsplit(": ", 1)
            rows[spec] = status
    res[t] = {"passed": sum(v == "PASS" for v in rows.values()), "total": len(rows), "specs": rows}
json.dump(res, open(os.path.join(out, "correctness.json"), "w"), indent=1)
PY
# Timing: what is left of 8 minutes, the bench cut off (its partial table kept) if it runs over.
LEFT=$(( ${KEVC_TARGETS_SECONDS:-450} - ($(date +%s) - START) ))
if [ $LEFT -gt 60 ]; then
  export KEVC_BENCH_TIMEOUT=${KEVC_BENCH_TIMEOUT:-60}
  timeout $LEFT python3 bench/gpu/bench.py "$KEVC" "$OUT/bench" --targets "$(echo triton $TARGETS | tr ' ' '\n' | awk '!seen[$0]++' | paste -sd,)" --hand 0 --jobs 4 2>&1 | tail -30
  [ -f "$OUT/bench/results.json" ] || python3 bench/gpu/bench.py --report-partial "$OUT/bench" | tail -20
else
  echo "no time left for the timing ($LEFT s)"
fi
echo "done in $(( $(date +%s) - START )) s"
