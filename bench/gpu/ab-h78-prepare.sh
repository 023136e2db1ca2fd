#!/usr/bin/env bash
# The A/B of task h78 (bench/gpu/attention-vs-tutorial-2026-12-08.md): causal attention (specs/attention.kev) at its
# bench shape (4x32x2048x128 bf16), main's module as the baseline beside h78's (the block fold's exp2 with the scale
# folded, the guard once per row, 1-D row statistics), each with 64 or 128 query rows and 4 or 8 warps per program:
#   default        main's default trace compiled by OLD_KEVC (64 rows, 4 warps, 3 stages): the baseline
#   main-m128-w8   main's compiler, 128 rows, 8 warps (was 0.440 -> see bench/README.md "SDPA")
#   h78            h78's compiler, the default trace (64 rows, 4 warps)
#   h78-m128-w4    h78's compiler, 128 rows, 4 warps
#   h78-m128-w8    h78's compiler, 128 rows, 8 warps
# and three other specs whose default Triton module changes at the bench shape, main's module as the baseline beside
# h78's (variant `h78`, the same default trace):
#   kernelbench.log_softmax   rule 4b's online log-sum-exp: exp2 and the guard once per block (as kl_div_loss)
#   batched_matmul, conv1d    the operand loads of a producer computed in the consumer's block without the mask of a
#                             lane whose bounds are one block apart (as attention, fm_interaction, matmul_bias_gelu,
#                             depthwise_conv1d, rmsnorm_backward)
# (bench/gpu/module-diff.sh lists every changed module; bench/gpu/attention-vs-tutorial-2026-12-08.md.)
#   bench/gpu/ab-h78-prepare.sh OLD_KEVC NEW_KEVC   (here, with Swift; OLD_KEVC built from main 4e5f72c)
# writes bench/gpu/kevc-static-prep/ab-h78/ (module-ab.sh's layout: <spec>/<variant>/*.triton.py, *.ref.py,
# <spec>/baseline) and bench/gpu/kevc-static-prep/ab-h78.tar.xz; then, there (one call, about 3 minutes):
#   tar xJf bench/gpu/kevc-static-prep/ab-h78.tar.xz -C bench/gpu/kevc-static-prep &&
#   AB_TRIALS=1 AB_JOBS=1 bench/gpu/module-ab.sh run bench/gpu/kevc-static-prep/ab-h78 $OUT/ab-h78 150 &&
#   PYTHONPATH=python python3 bench/gpu/ab-h78-sdpa.py bench/gpu/kevc-static-prep/ab-h78/attention $OUT/ab-h78 3
# (module-ab: each variant through the harness's protocol and timed paired with the baseline; ab-h78-sdpa.py: every
# module and PyTorch SDPA (is_causal) on one timer, bench/gpu/baselines.py's `timed`, rounds interleaved).
set -euo pipefail
OLD=$(realpath "${1:?OLD_KEVC}"); NEW=$(realpath "${2:?NEW_KEVC}")
cd "$(dirname "$0")/../.."
ROOT=bench/gpu/kevc-static-prep
PREP=$ROOT/ab-h78
TRACES=$ROOT/ab-h78-traces
rm -rf "$PREP" "$TRACES"
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }
# The default trace of a spec at its bench shape (the same from both builds).
default_trace() {  # spec name
  mkdir -p "$TRACES/$2" "$PREP/$2"
  "$NEW" opt "$1" --default-schedule triton --shape "$(shape_of "$1")" --emit-trace-json -o "$TRACES/$2/default.json"
  cmp -s <("$OLD" opt "$1" --default-schedule triton --shape "$(shape_of "$1")" --emit-trace-json -o -) "$TRACES/$2/default.json" ||
    { echo "$1: the default traces differ between the builds"; exit 1; }
  echo default > "$PREP/$2/baseline"
}
compile() {  # kevc spec name trace variant
  local out="$PREP/$3/$5"; mkdir -p "$out"
  "$1" compile "$2" --target triton --shape "$(shape_of "$2")" --schedule "$TRACES/$3/$4.json" --emit triton,torch-ref \
    --dump-dir "$out" > "$out.log" 2>&1 || { echo "prepare: $3/$5 failed (see $out.log)"; exit 1; }
  rm -f "$out.log"
}
SPEC=specs/attention.kev
default_trace "$SPEC" attention
# A variant of the default trace: the query rows per program (the split of i) and the warps of its launch.
variant() {  # name rows warps
  python3 - "$TRACES/attention/default.json" "$TRACES/attention/$1.json" "$2" "$3" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
for s in t["steps"]:
    if "split" in s and s["split"]["loop"] == "i":
        s["split"]["factor"] = int(sys.argv[3])
    if "launch" in s:
        s["launch"]["warps"] = int(sys.argv[4])
json.dump(t, open(sys.argv[2], "w"), indent=2)
PY
}
variant m128-w4 128 4; variant m128-w8 128 8
compile "$OLD" "$SPEC" attention default default
compile "$OLD" "$SPEC" attention m128-w8 main-m128-w8
compile "$NEW" "$SPEC" attention default h78
compile "$NEW" "$SPEC" attention m128-w4 h78-m128-w4
compile "$NEW" "$SPEC" attention m128-w8 h78-m128-w8
for spec in specs/kernelbench/log_softmax.kev specs/batched_matmul.kev specs/conv1d.kev; do
  name=$(echo "${spec#specs/}" | tr / . | sed 's/\.kev$//')
  default_trace "$spec" "$name"
  compile "$OLD" "$spec" "$name" default default
  compile "$NEW" "$spec" "$name" default h78
  cmp -s <(sed 1,2d "$PREP/$name"/default/*.triton.py) <(sed 1,2d "$PREP/$name"/h78/*.triton.py) &&
    { echo "$name: h78's module is main's"; exit 1; }
done
tar cJf "$ROOT/ab-h78.tar.xz" -C "$ROOT" ab-h78
ls -la "$ROOT/ab-h78.tar.xz"; ls "$PREP"/*
