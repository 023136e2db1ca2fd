#!/usr/bin/env bash
# The one-pass A/B set of issue 16 (bench/gpu/ab-h68-variants.md): rmsnorm backward at its bench shape, main's default
# GPU schedule as baseline beside hand traces of the one-pass form: `compute_with(_r2.rf, dx, m.o)` fuses dw's
# partial sums into the loop over dx's rows (each program reads its rows of dy and x once), for P programs (P rows
# apart: the program's rows are m.i, m.i + P, ...), W warps and S stages; plus the two-loop `compute_with` of
# bench/gpu/rmsnorm_backward.with.trace for comparison.
#   bench/gpu/ab-h68-prepare.sh KEVC VARIANTS_DIR        (here, with Swift)
# then bench/gpu/module-ab.sh prepare VARIANTS_DIR PREP_DIR KEVC (there: module-ab.sh run PREP_DIR OUT_DIR).
set -euo pipefail
KEVC=$(realpath "${1:?KEVC}"); DIR=${2:?VARIANTS_DIR}
cd "$(dirname "$0")/../.."
spec=specs/rmsnorm_backward.kev; shape=M=8192,N=4096; name=rmsnorm_backward
mkdir -p "$DIR/$name"; echo "$spec" > "$DIR/$name/spec"; echo "$shape" > "$DIR/$name/shape"
"$KEVC" opt "$spec" --default-schedule triton --shape "$shape" --emit-trace-json -o "$DIR/$name/default.json"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
onepass() {  # name programs warps stages [level]
  sed -e "s/\b512\b/$2/g" -e "s/^launch(dx, 8, 2)$/launch(dx, $3, $4)/" \
    -e "s/^compute_with(_r2.rf, dx)$/compute_with(_r2.rf, dx${5-, m.o})/" \
    bench/gpu/rmsnorm_backward.with.trace | grep -v '^#' > "$tmp/$1.trace"
  "$KEVC" opt "$spec" --apply "$tmp/$1.trace" --shape "$shape" --emit-trace-json -o "$DIR/$name/$1.json"
}
onepass onepass-p512-w8-s2 512 8 2
onepass onepass-p132-w8-s2 132 8 2
onepass onepass-p264-w8-s2 264 8 2
onepass onepass-p528-w8-s2 528 8 2
onepass onepass-p1024-w8-s2 1024 8 2
onepass onepass-p264-w4-s2 264 4 2
onepass onepass-p264-w16-s2 264 16 2
onepass onepass-p512-w4-s2 512 4 2
onepass onepass-p512-w16-s2 512 16 2
onepass onepass-p264-w8-s1 264 8 1
onepass onepass-p264-w8-s3 264 8 3
onepass onepass-p528-w16-s2 528 16 2
onepass twoloops-p512-w8-s2 512 8 2 ""
ls "$DIR/$name"
