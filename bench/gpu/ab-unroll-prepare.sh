#!/usr/bin/env bash
# A probe of the default's full unrolling of short window loops (max_pool2d: a search's mutation that unrolled its
# 4-tap window loop q by 2 instead of 4 ran 1.83x faster on an H100, 2026-12-07; one data point). For every spec
# given, each `unroll` step of the default trace at its bench shape becomes two variants: factor 2 (`uF2-LOOP`)
# and no unrolling (`uF1-LOOP`: a `tl.range` loop); with two or more unroll steps also all of them at 2 and at 1
# (`all2`, `all1`). The default is the paired baseline (module-ab.sh). Generic: no spec is special-cased.
#   bench/gpu/ab-unroll-prepare.sh KEVC SPEC...   (here) writes bench/gpu/kevc-static-prep/ab-unroll/ and .tar.xz
# then, there: tar xJf bench/gpu/kevc-static-prep/ab-unroll.tar.xz -C bench/gpu/kevc-static-prep &&
#   AB_TRIALS=1 bench/gpu/module-ab.sh run bench/gpu/kevc-static-prep/ab-unroll OUT/ab-unroll 150
set -euo pipefail
KEVC=$(realpath "${1:?KEVC}")
shift
cd "$(dirname "$0")/../.."
ROOT=bench/gpu/kevc-static-prep
VARIANTS=$ROOT/ab-unroll-variants
PREP=$ROOT/ab-unroll
rm -rf "$VARIANTS" "$PREP"; mkdir -p "$VARIANTS"
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }
for spec in "$@"; do
  name=$(basename "$spec" .kev); d=$VARIANTS/$name; mkdir -p "$d"
  echo "$spec" > "$d/spec"; shape_of "$spec" > "$d/shape"
  "$KEVC" opt "$spec" --default-schedule triton --shape "$(cat "$d/shape")" --emit-trace-json -o "$d/default.json"
  python3 - "$d" <<'PY'
import json, os, sys
d = sys.argv[1]
trace = json.load(open(os.path.join(d, "default.json")))
unrolls = [i for i, s in enumerate(trace["steps"]) if "unroll" in s]
def write(label, factors):
    steps = []
    for i, s in enumerate(trace["steps"]):
        if i in factors:
            if factors[i] == 1:
                continue
            s = {"unroll": dict(s["unroll"], factor=factors[i])}
        steps.append(s)
    json.dump({"steps": steps}, open(os.path.join(d, label + ".json"), "w"))
for i in unrolls:
    u = trace["steps"][i]["unroll"]
    if u["factor"] >= 4:
        write("uF2-%s" % u["loop"], {i: 2})
    if u["factor"] >= 2:
        write("uF1-%s" % u["loop"], {i: 1})
if len(unrolls) >= 2:
    write("all2", {i: min(2, trace["steps"][i]["unroll"]["factor"]) for i in unrolls})
    write("all1", {i: 1 for i in unrolls})
PY
  ls "$d"
done
bash bench/gpu/module-ab.sh prepare "$VARIANTS" "$PREP" "$KEVC"
tar cJf "$ROOT/ab-unroll.tar.xz" -C "$ROOT" ab-unroll
ls -la "$ROOT/ab-unroll.tar.xz"
