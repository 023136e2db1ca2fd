#!/usr/bin/env bash
# The GPU harness's own checking work at KernelBench's bench shapes (issue 17), old and new python/ side by side:
#
#   bench/harness/check-speed.sh prepare PREP [KEVC]      # here (kevc available): the modules, per problem
#   bench/harness/check-speed.sh run PREP PYDIR OUT [SECONDS]
#   bench/harness/check-speed.sh ab PREP_A PYDIR_A PREP_B PYDIR_B OUT [SECONDS]   # on the GPU, in one call
#
# prepare: `kevc compile SPEC --target triton --emit triton,torch-ref` of each problem below at its `bench` shape
# and at the spec's small `dims` shape (the search's two cases of one candidate), into PREP/<op>/. With
# CHECK_SPEED_SHAPES=dims the bench case is compiled at the dims shape too (a dry run on the CPU, Triton's
# interpreter: TRITON_INTERPRET=1 and KEVC_GPU_DEVICE=cpu). Use the kevc whose torch reference you measure (main's
# for the "before" modules: the reference module's prelude is part of what changed).
# run: for each problem, `python3 -m kevc_gpu run` with PYDIR's kevc_gpu and the search's options (both cases in
# one worker, 3 trials, adaptive timing of at most 2 s, no eager baseline, references reused) and a fresh
# measured-cost cache, writing OUT/<op>.json and a row of per-phase seconds to OUT/check-speed.md; problems whose
# search trials sliced their float64 reference (a shared card: bench/kernelbench/results-h100-2026-12-07-search)
# get the same plan (slices of at most 2^25 elements), the others the whole reference when it fits the memory free.
# Stops starting problems after SECONDS (default 500).
# ab: run's work for two (PREP, PYDIR) pairs alternated problem by problem (A, B, B, A, ...), one table.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OPS=${CHECK_SPEED_OPS:-"softplus hardsigmoid log_softmax instance_norm2d max_pool1d avg_pool1d conv2d_square reduce_argmax_dim1"}
SLICED=" softplus hardsigmoid log_softmax instance_norm2d leaky_relu "

shape_of() {  # shape_of SPEC STATEMENT: the spec's `bench` or `dims` line as --shape
  sed -n "s/^[[:space:]]*$2[[:space:]]\+//p" "$1" | head -1 | sed 's/#.*//; s/[[:space:]]//g'
}

prepare() {
  local prep=${1:?prepare PREP [KEVC]} kevc=${2:-$ROOT/.build/debug/kevc}
  mkdir -p "$prep"
  "$kevc" --version > "$prep/kevc-version.txt" 2>&1 || true
  for op in $OPS; do
    local spec="$ROOT/specs/kernelbench/$op.kev" d="$prep/$op"
    mkdir -p "$d"
    local big small
    big=$(shape_of "$spec" "${CHECK_SPEED_SHAPES:-bench}"); small=$(shape_of "$spec" dims)
    for c in "bench $big" "dims $small"; do
      set -- $c
      local t; t=$(mktemp -d)
      "$kevc" compile "$spec" --target triton --emit triton,torch-ref --shape "$2" --dump-dir "$t" >/dev/null
      mv "$t/$op.triton.py" "$d/$1.triton.py"; mv "$t/$op.ref.py" "$d/$1.ref.py"; rm -rf "$t"
      echo "$2" > "$d/$1.shape"
    done
    echo "prepared $op at $big" >&2
  done
}

run_one() {  # run_one PREP PYDIR OUT LABEL OP
  local prep=$1 py=$2 out=$3 label=$4 op=$5 d="$1/$5"
  local cache; cache=$(mktemp -d)
  [ -f "$out/ceilings.json" ] && cp "$out/ceilings.json" "$cache/ceilings.json"  # bandwidth and peak: measured once
  local plan=()
  case "$SLICED" in *" $op "*) plan=(--footprint '{"reference": "slices", "slice_elements": 33554432}' --footprint '{"reference": "whole"}');; esac
  local t0=$SECONDS
  PYTHONPATH="$py" KEVC_GPU_CACHE="$cache" timeout 600 python3 -m kevc_gpu run \
    --kernel "$d/bench.triton.py" --reference "$d/bench.ref.py" --shape-label bench \
    --kernel "$d/dims.triton.py" --reference "$d/dims.ref.py" --shape-label default "${plan[@]}" \
    --one-worker --trials 3 --timing-calls 10 --timing-seconds 2 --timing-ci 0.02 --eager-calls 0 \
    --timeout 300 --seed 17 --reuse-references --reference-cache "$cache/references" --ceilings-cache "$cache/ceilings.json" \
    > "$out/$label-$op.json" 2> "$out/$label-$op.stderr" || true
  [ -f "$cache/ceilings.json" ] && cp "$cache/ceilings.json" "$out/ceilings.json"
  rm -rf "$cache"
  python3 - "$out/$label-$op.json" "$label" "$op" "$(cat "$d/bench.shape")" "$((SECONDS - t0))" >> "$out/check-speed.md" <<'PY'
import json, sys
path, label, op, shape, wall = sys.argv[1:]
try:
    r = json.load(open(path))
except Exception as e:  # noqa: BLE001
    print("| %s | %s | %s | no JSON (%s) | | | | | | | %s |" % (op, label, shape, type(e).__name__, wall)); sys.exit()
case = (r.get("cases") or [r])[0]
phases = case.get("phase_seconds") or (case.get("worker") or {}).get("phase_seconds") or {}
held = case.get("lock_held") or (case.get("worker") or {}).get("lock_held") or {}
def sec(d, *keys):
    return "%.2f" % sum(v for k, v in d.items() if any(k.startswith(x) for x in keys))
mode = (case.get("reference_mode") or {}).get("mode", "whole")
print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
    op, label, shape, r.get("status"), mode, sec(phases, "trial"), sec(phases, "revalidation"),
    sec(phases, "roofline"), sec(held, "shared: compare"), sec(held, "shared: reference"), wall))
PY
}

header() {
  local out=$1; mkdir -p "$out"
  {
    echo "# check-speed $(date -u '+%Y-%m-%d %H:%M UTC'), $(python3 -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu", "torch", torch.__version__)' 2>/dev/null)"
    echo
    echo "Seconds per phase of the bench-shape case (trials, revalidation, roofline) and the shared lock's compare and reference"
    echo "parts; wall: the whole \`kevc_gpu run\` (both cases, timing included)."
    echo
    echo "| op | version | shape | status | reference | trials s | revalidation s | roofline s | compare s | reference s | wall s |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
  } > "$out/check-speed.md"
}

cmd=${1:?usage: check-speed.sh prepare|run|ab ...}; shift
case "$cmd" in
  prepare) prepare "$@" ;;
  run)
    prep=${1:?run PREP PYDIR OUT [SECONDS]}; py=$(cd "${2:?}" && pwd); out=${3:?}; limit=${4:-500}
    header "$out"; start=$SECONDS
    for op in $OPS; do
      [ $((SECONDS - start)) -lt "$limit" ] || { echo "deadline: $op not run" >> "$out/check-speed.md"; continue; }
      run_one "$prep" "$py" "$out" run "$op"
    done
    cat "$out/check-speed.md" ;;
  ab)
    pa=${1:?ab PREP_A PYDIR_A PREP_B PYDIR_B OUT [SECONDS]}; ya=$(cd "${2:?}" && pwd); pb=${3:?}; yb=$(cd "${4:?}" && pwd)
    out=${5:?}; limit=${6:-500}
    header "$out"; start=$SECONDS; i=0
    for op in $OPS; do
      for which in $([ $((i % 2)) -eq 0 ] && echo "A B" || echo "B A"); do
        [ $((SECONDS - start)) -lt "$limit" ] || { echo "deadline: $op $which not run" >> "$out/check-speed.md"; continue; }
        if [ "$which" = A ]; then run_one "$pa" "$ya" "$out" A "$op"; else run_one "$pb" "$yb" "$out" B "$op"; fi
      done
      i=$((i + 1))
    done
    cat "$out/check-speed.md" ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
