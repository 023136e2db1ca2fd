#!/usr/bin/env bash
# The A/B of task h76 (bench/kernelbench/below-half-2026-12-07.md): rule P2 of the GPU default (`store_phases`,
# docs/transforms.md): the phases of a strided transposed convolution store their values in place into the output,
# the epilogue computed in each phase's programs, no interleaving kernel. Main's default (OLD_KEVC) as the baseline
# beside the new default (`new-default`), each at its bench shape for an H100 (`--gpu cuda:90`) under the corpus's
# contract for f32 convolutions (`--matmul-precision high`: cuDNN's TF32), both modules compiled by NEW_KEVC:
#   conv_transpose2d_subtract_tanh   4 phase kernels writing y at stride 2 (was: 4 phases through workspace + 1 interleave)
#   conv_transposed1d_strided        1 phase kernel + 1 constant phase writing y at stride 2 (was: + 1 interleave)
#   conv_transposed2d, conv_transposed3d   stride 1 (no phase split): the defaults are equal, so module-ab leaves them out
#   bench/gpu/ab-h76-prepare.sh OLD_KEVC NEW_KEVC   (here, with Swift; OLD_KEVC built from main 4e5f72c)
# writes bench/gpu/kevc-static-prep/ab-h76/ and bench/gpu/kevc-static-prep/ab-h76.tar.xz; then, there (one call,
# about 2-3 minutes):
#   tar xJf bench/gpu/kevc-static-prep/ab-h76.tar.xz -C bench/gpu/kevc-static-prep &&
#   AB_TRIALS=1 bench/gpu/module-ab.sh run bench/gpu/kevc-static-prep/ab-h76 $OUT/ab-h76 220
set -euo pipefail
OLD=$(realpath "${1:?OLD_KEVC}"); NEW=$(realpath "${2:?NEW_KEVC}")
cd "$(dirname "$0")/../.."
ROOT=bench/gpu/kevc-static-prep
VARIANTS=$ROOT/ab-h76-variants
PREP=$ROOT/ab-h76
rm -rf "$VARIANTS" "$PREP"; mkdir -p "$VARIANTS"
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }
variant() {  # problem name kevc
  local spec=specs/kernelbench/$1.kev d=$VARIANTS/$1
  mkdir -p "$d"; echo "$spec" > "$d/spec"; shape_of "$spec" > "$d/shape"
  "$3" opt "$spec" --default-schedule triton --gpu cuda:90 --matmul-precision high --shape "$(cat "$d/shape")" \
    --emit-trace-json -o "$d/$2.json"
  echo "--matmul-precision high" > "$d/$2.args"
}
for p in conv_transpose2d_subtract_tanh conv_transposed1d_strided conv_transposed2d conv_transposed3d; do
  variant $p default "$OLD"
  variant $p new-default "$NEW"
done
bash bench/gpu/module-ab.sh prepare "$VARIANTS" "$PREP" "$NEW"
tar cJf "$ROOT/ab-h76.tar.xz" -C "$ROOT" ab-h76
ls -la "$ROOT/ab-h76.tar.xz"
