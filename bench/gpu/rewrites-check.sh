#!/usr/bin/env bash
# Issue 16's rewrites on the GPU machine (CUDA, Triton, PyTorch; no Swift), from the repository root:
#   bench/gpu/rewrites-check.sh OUT_DIR [--dry-run]   (--dry-run: on the CPU under Triton's interpreter, small shapes)
#   bench/gpu/rewrites-check.sh OUT_DIR --attention  (the fused attention vs SDPA and torch.compile only, a few minutes)
#   bench/gpu/rewrites-check.sh OUT_DIR --cumsum     (the prefix sum over 4096x4096 vs torch.cumsum only)
# kevc: the static binary bench/gpu/kevc-static.xz (bench/gpu/build-static-kevc.sh), or `kevc` on PATH.
# Writes OUT_DIR/rewrites.json and rewrites.md (see bench/gpu/rewrites_check.py).
set -uo pipefail
OUT=${1:?usage: bench/gpu/rewrites-check.sh OUT_DIR}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
python3 bench/gpu/rewrites_check.py "$KEVC" "$OUT" "${@:2}"
