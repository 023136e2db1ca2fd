#!/usr/bin/env bash
# The arg-reductions at their bench shapes on the GPU, through the harness's protocol (poisoned outputs, several
# distributions, float64 reference): the check for the 2026-12-06 H100 finding (argmax at 4096 x 32000 returned
# another lane's index from a (f32, i64) tl.reduce) and its fix (the index travels in int32).
#   bench/gpu/argreduce-check.sh OUT_DIR [TARGETS]     (TARGETS default: triton)
# Every file with an arg-reduction (the operator or the tuple form) under specs/ and ir/roundtrip/, at its `bench`
# dims, 3 trials; one line per (file, target) in OUT_DIR/argreduce.txt, the full outputs beside it.
set -uo pipefail
OUT=${1:?usage: bench/gpu/argreduce-check.sh OUT_DIR [TARGETS]}
TARGETS=${2:-triton}
mkdir -p "$OUT"; OUT=$(realpath "$OUT")
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
# The bench dims of a spec (`bench N = 16, C = 32`) or of an IR file (`dims M = 61 bench 4096, ...`) as --shape.
bench_shape() {
  case "$1" in
    *.kev) grep -m1 -E '^\s*bench ' "$1" | sed -E 's/^\s*bench //; s/ //g' ;;
    *.kir) grep -m1 -E '^\s*dims ' "$1" | sed -E 's/^\s*dims //' | tr ',' '\n' \
             | sed -nE 's/^ *([A-Za-z_][A-Za-z0-9_]*) *= *[0-9]+ *bench *([0-9]+).*/\1=\2/p' | paste -sd, ;;
  esac
}
files=$(grep -lE 'argmax|argmin|argExtreme|%b\.i < %a\.i' specs/*.kev specs/kernelbench/*.kev ir/roundtrip/*.kir 2>/dev/null)
: > "$OUT/argreduce.txt"
for f in $files; do
  shape=$(bench_shape "$f")
  for t in $TARGETS; do
    name=$(basename "$f" | tr . _)-$t
    timeout 300 "$KEVC" run "$f" --target "$t" ${shape:+--shape "$shape"} --trials 3 --gpu-timeout 240 \
      > "$OUT/$name.txt" 2>&1
    echo "$f $t shape=$shape rc=$? $(grep -m1 -E 'FAIL|PASS|ok|mismatch' "$OUT/$name.txt" | cut -c1-160)" | tee -a "$OUT/argreduce.txt"
  done
done
