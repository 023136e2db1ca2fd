#!/usr/bin/env bash
# The A/B of task h74 (bench/kernelbench/passes-2026-12-07.md): the memory-bound norms, pools and losses that ran at
# about half their floor on an H100, each at its bench shape, main's default as the baseline beside:
#   log_softmax     new-default           rule 4b: the maximum and the online log-sum-exp in one loop (2 passes, was 3)
#   layer_norm3d    broadcast-innermost   sketch: batch axis on grid.x, weight and bias tiles shared by side-by-side programs
#   avg_pool1d, max_pool1d, batch_norm2d, group_norm, instance_norm2d   wide-blocks (existing sketch: 4096 elements a
#                   program instead of 1024; a probe of whether the elementwise/stencil pass is short of bytes in flight)
# kl_div_loss has no variant (its default does not change; see the analysis).
#   bench/gpu/ab-h74-prepare.sh OLD_KEVC NEW_KEVC   (here, with Swift; OLD_KEVC built from main 60f2115)
# writes bench/gpu/kevc-static-prep/ab-h74/ (module-ab.sh prepare's modules, compiled by NEW_KEVC from each trace)
# and bench/gpu/kevc-static-prep/ab-h74.tar.xz; then, there (one call, about 2-3 minutes):
#   tar xJf bench/gpu/kevc-static-prep/ab-h74.tar.xz -C bench/gpu/kevc-static-prep &&
#   AB_TRIALS=1 bench/gpu/module-ab.sh run bench/gpu/kevc-static-prep/ab-h74 $OUT/ab-h74 220
set -euo pipefail
OLD=$(realpath "${1:?OLD_KEVC}"); NEW=$(realpath "${2:?NEW_KEVC}")
cd "$(dirname "$0")/../.."
ROOT=bench/gpu/kevc-static-prep
VARIANTS=$ROOT/ab-h74-variants
PREP=$ROOT/ab-h74
rm -rf "$VARIANTS" "$PREP"; mkdir -p "$VARIANTS"
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }
variant() {  # problem name kevc [sketch]
  local spec=specs/kernelbench/$1.kev d=$VARIANTS/$1
  mkdir -p "$d"; echo "$spec" > "$d/spec"; shape_of "$spec" > "$d/shape"
  "$3" opt "$spec" --default-schedule triton --shape "$(cat "$d/shape")" ${4:+--sketch $4} --emit-trace-json -o "$d/$2.json"
}
for p in log_softmax layer_norm3d avg_pool1d max_pool1d batch_norm2d group_norm instance_norm2d; do
  variant $p default "$OLD"
done
variant log_softmax new-default "$NEW"
# With OLD = NEW (a build with rule 4b in), the old default is sketch separate-row-passes (rule 4b off).
variant log_softmax separate-row-passes "$NEW" separate-row-passes
variant layer_norm3d broadcast-innermost "$NEW" broadcast-innermost
for p in avg_pool1d max_pool1d batch_norm2d group_norm instance_norm2d; do variant $p wide-blocks "$NEW" wide-blocks; done
bash bench/gpu/module-ab.sh prepare "$VARIANTS" "$PREP" "$NEW"
tar cJf "$ROOT/ab-h74.tar.xz" -C "$ROOT" ab-h74
ls -la "$ROOT/ab-h74.tar.xz"
