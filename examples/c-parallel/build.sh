#!/usr/bin/env bash
# Builds and runs the C example: kevc compiles the spec into a self-contained static library and its header,
# cc links the program. Usage: examples/c-parallel/build.sh [KEVC] (default: kevc on the PATH).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kevc="${1:-kevc}"
out="${BUILD_DIR:-$here/build}"
mkdir -p "$out"
"$kevc" compile "$here/../../specs/softmax.kev" --shape M=2048,N=4096 --name softmax_big --no-db \
  --emit lib,header --dump-dir "$out"
grep -q kevc_parallel_for "$out/softmax_big.h" || { echo "error: expected a parallel kernel" >&2; exit 1; }
"${CC:-cc}" -O2 "$here/main.c" -I"$out" "$out/libsoftmax_big.a" -pthread -lm -o "$out/main"
"$out/main"
