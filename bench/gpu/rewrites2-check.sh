#!/usr/bin/env bash
# Issue 16, part 2 on the GPU machine (CUDA, Triton, PyTorch; no Swift): fuse_axes on conv1d (bench shape,
# 2048x96x96x200 bf16, 64x768x768x1024 fp16) and conv2d, rmsnorm backward (dx and dw partials in one kernel by
# compute_with), matmul and matmul+bias+GELU with grouped
# and persistent programs, fp32 matmul with precision tf32 / tf32x3 / bf16; each against the current hand trace,
# kevc's default schedule and torch.compile. Run from the repository root:
#   bench/gpu/rewrites2-check.sh OUT_DIR        (about 6-8 minutes on an H100)
# kevc: the static binary bench/gpu/kevc-static.xz (bench/gpu/build-static-kevc.sh), or `kevc` on PATH.
# Writes OUT_DIR/machine.txt, OUT_DIR/rewrites2.json (and .partial.json while running) and prints a summary.
set -uo pipefail
OUT=${1:?usage: bench/gpu/rewrites2-check.sh OUT_DIR}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; python3 -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__)"; "$KEVC" --version; } > "$OUT/machine.txt" 2>&1
echo "[$(date +%T)] start"
timeout 460 python3 bench/gpu/rewrites2.py "$KEVC" "$OUT" --jobs 4 --deadline-s 400 2>&1 | tail -60
echo "[$(date +%T)] done"
