#!/usr/bin/env bash
# Sketch `k-major` (rule 0c: matrix-unit f32 contractions read MN-major operands from K-major copies; convolutions
# rule 0b's channels-last copies, as `staged-wide`) and `k-major-every` (no cost check) against the default, under
# the `highest` and `high` accuracy contracts, on the f32 matmuls split by operand layout and four f32 convolutions
# (docs/transforms.md, rule 0c). matmul_transposed_b (K-major operands) is the control: nothing staged, so its
# sketches equal the default and are left out.
#   bench/gpu/ab-k-major.sh prepare [KEVC]   (here) writes bench/gpu/kevc-static-prep/k-major.tar.xz
#                                            (`sketch-variants.sh prepare` twice, then `module-ab.sh prepare`)
#   bench/gpu/ab-k-major.sh run OUT [SECONDS] (there, one call, no kevc: the modules and their references) unpacks
#                                            it and runs `module-ab.sh run` (AB_TRIALS, default 2 distributions per
#                                            check; AB_JOBS, default 4) into OUT/ab; SECONDS (default 200) bounds it
set -uo pipefail
MODE=${1:?usage: bench/gpu/ab-k-major.sh prepare [KEVC] | run OUT [SECONDS]}
cd "$(dirname "$0")/../.."
PREP=bench/gpu/kevc-static-prep
SPECS="matmul_transposed_a matmul_batched matmul_3d_tensor_matrix matmul_upper_triangular matmul_transposed_b
  conv2d_dilated_padded conv_transposed1d conv_transposed2d conv2d_relu_bias_add"
if [ "$MODE" = prepare ]; then
  KEVC=$(realpath "${2:-.build/debug/kevc}")
  rm -rf "$PREP/k-major-variants" "$PREP/k-major"; mkdir -p "$PREP"
  paths=$(for s in $SPECS; do echo specs/kernelbench/$s.kev; done)
  for contract in highest high; do
    MATMUL_PRECISION=$contract bash bench/gpu/sketch-variants.sh prepare "$PREP/k-major-variants" "$KEVC" "$paths" \
      "k-major k-major-every" > /dev/null
  done
  # k-major-every where it equals k-major (nothing left out by the cost check) is left out; the cases run in name
  # order, so the matmuls come first (1-, 2-: highest, high), then the convolutions (3-, 4-).
  for d in "$PREP/k-major-variants"/*/; do
    cmp -s "$d/k-major.json" "$d/k-major-every.json" && rm "$d/k-major-every.json" "$d/k-major-every.args"
    n=$(basename "$d"); group=$(case "$n" in matmul*-highest) echo 1;; matmul*) echo 2;; *-highest) echo 3;; *) echo 4;; esac)
    mv "$d" "$PREP/k-major-variants/$group-$n"
  done
  bash bench/gpu/module-ab.sh prepare "$PREP/k-major-variants" "$PREP/k-major" "$KEVC"
  tar cJf "$PREP/k-major.tar.xz" -C "$PREP" k-major
  ls -la "$PREP/k-major.tar.xz"
  exit 0
fi
OUT=${2:?OUT}; SECONDS_LIMIT=${3:-200}
tar xJf "$PREP/k-major.tar.xz" -C "$PREP"
AB_TRIALS=${AB_TRIALS:-2} AB_JOBS=${AB_JOBS:-4} timeout $(( SECONDS_LIMIT + 30 )) \
  bash bench/gpu/module-ab.sh run "$PREP/k-major" "$OUT/ab" "$SECONDS_LIMIT" > "$OUT/ab.log" 2>&1
cut -c1-200 "$OUT/ab/module-ab.md"
