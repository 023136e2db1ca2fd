#!/usr/bin/env bash
# Writes the torch op module for specs/softmax.kev and runs example.py with it (python3 with torch and triton).
# Usage: examples/torch-op/build.sh [KEVC]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kevc="${1:-kevc}"
out="${BUILD_DIR:-$here/build}"
"$kevc" compile "$here/../../specs/softmax.kev" --target triton --shape M=512,N=1000 --name softmax_op --no-db \
  --emit torch --dump-dir "$out"
python3 "$here/example.py" "$out"
