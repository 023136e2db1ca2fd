#!/usr/bin/env bash
# f32 contractions run as three passes of split operands on the tensor cores (`precision(bf16x3)`, the GPU default
# for compute-bound f32 dots since 2026-12-07, or `precision(tf32x3)`, the default before) on the GPU: the
# module of one kevc (BEFORE) beside that of another (AFTER), both checked by the harness's protocol (poisoned
# outputs, all six input distributions, float64 reference shared through the reference cache) and timed.
#   bench/gpu/tf32x3-check.sh prepare PREP_DIR BEFORE_KEVC AFTER_KEVC [SPEC ...]  (here, with Swift: writes the
#        Triton modules at each spec's bench shape; without SPECs, every spec of specs/ and bench/gpu/specs whose
#        default Triton schedule at its bench shape has a tf32x3 or bf16x3 dot)
#        bf16x3 against tf32x3: BEFORE a kevc whose default is tf32x3 (main before 2026-12-07's bf16x3), AFTER this
#        one; or BEFORE_SKETCH=tf32x3 with the same kevc twice (BEFORE's modules then come from `--sketch tf32x3`).
#   bench/gpu/tf32x3-check.sh run PREP_DIR OUT_DIR [SECONDS]   (there: python/ and PREP_DIR only)
# Writes OUT_DIR/tf32x3-check.md (per case and module: verdict, largest error of each distribution, median ms) and
# the harness's JSON per case and module.
set -uo pipefail
MODE=${1:?usage: bench/gpu/tf32x3-check.sh prepare PREP_DIR BEFORE AFTER [SPEC ...] | run PREP_DIR OUT_DIR [SECONDS]}
PREP=${2:?PREP_DIR}
cd "$(dirname "$0")/../.."
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }
if [ "$MODE" = prepare ]; then
  BEFORE=$(realpath "${3:?BEFORE}"); AFTER=$(realpath "${4:?AFTER}"); shift 4
  specs=("$@")
  if [ ${#specs[@]} -eq 0 ]; then
    for s in $(find specs bench/gpu/specs -name '*.kev' | sort); do
      shape=$(shape_of "$s"); [ -n "$shape" ] || continue
      "$AFTER" opt "$s" --default-schedule triton --shape "$shape" 2>/dev/null | grep -qE 'precision\((tf32x3|bf16x3)\)' && specs+=("$s")
    done
  fi
  mkdir -p "$PREP"; : > "$PREP/order"
  for s in "${specs[@]}"; do
    name=$(basename "$s" .kev); shape=$(shape_of "$s")
    for v in before after; do
      k=$BEFORE; [ $v = after ] && k=$AFTER
      schedule=()
      if [ $v = before ] && [ -n "${BEFORE_SKETCH:-}" ]; then
        mkdir -p "$PREP/$name"
        "$k" opt "$s" --default-schedule triton --sketch "$BEFORE_SKETCH" --shape "$shape" --emit-trace-json \
          -o "$PREP/$name/before.json" && schedule=(--schedule "$PREP/$name/before.json")
      fi
      "$k" compile "$s" --target triton --shape "$shape" "${schedule[@]}" --emit triton,torch-ref --dump-dir "$PREP/$name/$v" > /dev/null \
        || echo "prepare: $name $v failed"
    done
    echo "$name" >> "$PREP/order"
  done
  cat "$PREP/order"; du -sh "$PREP"
  exit 0
fi
OUT=${3:?OUT_DIR}; SECONDS_MAX=${4:-300}
START=$(date +%s); mkdir -p "$OUT"; OUT=$(realpath "$OUT"); PREP=$(realpath "$PREP")
export PYTHONPATH="$PWD/python"
nvidia-smi --query-gpu=name,driver_version --format=csv > "$OUT/machine.txt" 2>&1
for name in $(cat "$PREP/order"); do
  for v in before after; do
    left=$(( START + SECONDS_MAX - $(date +%s) ))
    [ "$left" -lt 25 ] && { echo '{"status": "not run", "reason": "out of time"}' > "$OUT/$name.$v.json"; continue; }
    timeout "$left" python3 -m kevc_gpu run --kernel "$PREP/$name/$v"/*.triton.py --reference "$PREP/$name/$v"/*.ref.py \
      --shape-label bench --trials 6 --timing-calls 20 --timing-seconds 3 --eager-calls 0 --cost-limit-s 0 --seed 11 \
      --reuse-references --reference-cache /tmp/kevc-tf32x3-references --timeout $(( left - 5 )) \
      > "$OUT/$name.$v.json" 2> "$OUT/$name.$v.err"
    echo "$name $v exit $? ($(( $(date +%s) - START )) s)"
  done
done
python3 - "$OUT" "$PREP" <<'PY'
import json, os, sys
out, prep = sys.argv[1], sys.argv[2]
lines = ["| case | module | verdict | largest error per distribution (failures) | median ms |", "|---|---|---|---|---|"]
for name in open(os.path.join(prep, "order")).read().split():
    for v in ("before", "after"):
        try:
            r = json.load(open(os.path.join(out, "%s.%s.json" % (name, v))))
        except (OSError, ValueError):
            lines.append("| %s | %s | no result | | |" % (name, v)); continue
        c = (r.get("cases") or [{}])[0] or {}
        errs = []
        for t in c.get("trials", []):
            for res in t.get("results", {}).values():
                errs.append("%s %.3g (%d)" % (t["distribution"], res.get("max_abs") or 0, res.get("failures") or 0))
        ms = ((c.get("timing") or {}).get("median_s") or 0) * 1e3
        lines.append("| %s | %s | %s | %s | %s |" % (name, v, r.get("status"), ", ".join(errs), "%.4g" % ms if ms else "-"))
open(os.path.join(out, "tf32x3-check.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
