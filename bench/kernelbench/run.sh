#!/usr/bin/env bash
# The KernelBench corpus benchmark on the GPU machine (CUDA, Triton, PyTorch; no Swift), from the repository root:
#   bench/kernelbench/run.sh OUT_DIR [run.py gpu options: --part 1/2 --ops a,b --budget 12 --search-seconds 45 ...]
# kevc is the static binary bench/gpu/kevc-static.xz (bench/gpu/build-static-kevc.sh) or `kevc` on PATH
# (bench/gpu/kevc-binary.sh). Writes OUT_DIR/{machine.txt, results.json, results.md, baselines.json, search/, refs/}:
# machine.txt holds the GPU's state before and after (bench/gpu/probe.py), as bench/gpu/run.sh does.
# OUT_DIR/run.log has the progress as it comes ("op default: ..."); results.md is rewritten after every search.
set -uo pipefail
OUT=${1:?usage: bench/kernelbench/run.sh OUT_DIR [run.py gpu options]}
shift
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; "$KEVC" --version; } > "$OUT/machine.txt" 2>&1
python3 bench/gpu/probe.py before >> "$OUT/machine.txt" 2>&1
trap 'python3 bench/gpu/probe.py after >> "$OUT/machine.txt" 2>&1' EXIT
echo "[$(date +%T)] start"
python3 bench/kernelbench/run.py gpu "$OUT" --kevc "$KEVC" "$@" 2>&1 | tee "$OUT/run.log" | tail -90
echo "[$(date +%T)] done"
