#!/usr/bin/env bash
# The A/B of task h77 (rule V, `welford`: bench/kernelbench/passes-2026-12-07.md): each problem at its bench shape,
# main's default for an H100 (`--gpu cuda:90`) as the baseline beside:
#   instance_norm2d, group_norm, conv2d_instance_norm_divide, conv3d_group_norm_mean
#                   new-default           rule V: the variance a Welford tuple reduction streamed with the mean's
#                                         sum in one loop (rule 4b): the statistics read the input once (2 passes, was 3)
#   layernorm       welford-rows-whole    main's default with `welford(_r1)` after its inlines: rows of 4096 held
#                                         whole in a program (rule V does not apply: a probe of whether it should)
# batch_norm2d and layer_norm3d have no variant: rule 2 splits their statistics (rfactor splits no tuple reduction).
#   bench/gpu/ab-h77-prepare.sh OLD_KEVC NEW_KEVC   (here, with Swift; OLD_KEVC built from main 4e5f72c)
# writes bench/gpu/kevc-static-prep/ab-h77/ (module-ab.sh prepare's modules, compiled by NEW_KEVC from each trace)
# and bench/gpu/kevc-static-prep/ab-h77.tar.xz; then, there (one call, at most 3 minutes; carry the .tar.xz, which
# git ignores):
#   tar xJf bench/gpu/kevc-static-prep/ab-h77.tar.xz -C bench/gpu/kevc-static-prep &&
#   AB_TRIALS=1 bench/gpu/module-ab.sh run bench/gpu/kevc-static-prep/ab-h77 $OUT/ab-h77 170
set -euo pipefail
OLD=$(realpath "${1:?OLD_KEVC}"); NEW=$(realpath "${2:?NEW_KEVC}")
cd "$(dirname "$0")/../.."
ROOT=bench/gpu/kevc-static-prep
VARIANTS=$ROOT/ab-h77-variants
PREP=$ROOT/ab-h77
rm -rf "$VARIANTS" "$PREP"
AB_GPU="--gpu cuda:90" bash bench/gpu/ab-default-change.sh "$OLD" "$NEW" "$VARIANTS" "$PREP" \
  specs/kernelbench/{instance_norm2d,group_norm,conv2d_instance_norm_divide,conv3d_group_norm_mean}.kev
d=$VARIANTS/layernorm
mkdir -p "$d"; echo specs/layernorm.kev > "$d/spec"; echo M=8192,N=4096 > "$d/shape"
"$OLD" opt specs/layernorm.kev --default-schedule triton --gpu cuda:90 --shape M=8192,N=4096 --emit-trace-json -o "$d/default.json"
python3 - "$d" <<'PY'
import json, sys
d = sys.argv[1]
t = json.load(open(d + "/default.json"))
steps = t["steps"]
after = max([k + 1 for k, s in enumerate(steps) if "inline" in s] or [0])
steps.insert(after, {"welford": {"tensor": "_r1"}})
json.dump(t, open(d + "/welford-rows-whole.json", "w"), indent=2)
PY
rm -rf "$PREP"
bash bench/gpu/module-ab.sh prepare "$VARIANTS" "$PREP" "$NEW"
tar cJf "$ROOT/ab-h77.tar.xz" -C "$ROOT" ab-h77
ls -la "$ROOT/ab-h77.tar.xz"
