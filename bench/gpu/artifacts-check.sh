#!/usr/bin/env bash
# GPU artifacts on the H100 (no Swift needed): for each spec and shape, kevc builds the C launcher (cubins embedded,
# CUDA driver API through dlopen), its header and the torch op module; cc builds the launcher into a shared library
# and bench/gpu/artifacts_check.py runs it through ctypes on CUDA tensors, checks a wrong-shape call, compares with
# the float64 torch reference, times it, then runs the torch op eagerly and under torch.compile.
#   bench/gpu/artifacts-check.sh KEVC [OUT.json] [SPEC:SHAPE ...]
# KEVC: the kevc binary (e.g. the static one from bench/gpu/build-static-kevc.sh). Prints a JSON summary (and writes
# it to OUT.json); exit status 1 when any check failed. A dry run without a GPU (everything but the launcher, Triton
# interpreted): KEVC_CHECK_DEVICE=cpu bench/gpu/artifacts-check.sh KEVC.
set -euo pipefail
KEVC=$(realpath "${1:?usage: bench/gpu/artifacts-check.sh KEVC [OUT.json] [SPEC:SHAPE ...]}")
OUT=${2:-artifacts-check.json}
shift $(( $# < 2 ? $# : 2 ))
cd "$(dirname "$0")/../.."
export PYTHONPATH="$PWD/python" KEVC_PYTHON_DIR="$PWD/python"
CASES=("$@")
if [ ${#CASES[@]} -eq 0 ]; then
  CASES=(softmax:M=4096,N=4096 rmsnorm: matmul:M=1024,N=1024,K=1024 argmax: embedding_bag: cumsum: elementwise_chain:)
fi
WORK=$(mktemp -d /tmp/kevc-artifacts-XXXXXX)
args=()
for c in "${CASES[@]}"; do
  spec=${c%%:*}; shape=${c#*:}; name="${spec}_gpu"
  dir="$WORK/$name"
  shapeflag=(); [ -n "$shape" ] && shapeflag=(--shape "$shape")
  if "$KEVC" compile "specs/$spec.kev" --target triton "${shapeflag[@]}" --no-db --name "$name" \
      --emit launcher,header,torch,torch-ref,meta --dump-dir "$dir" 2> "$dir.kevc.txt" \
    && cc -O2 -shared -fPIC -Wall -Werror "$dir/$name.launcher.c" -ldl -o "$dir/lib$name.so" 2> "$dir.cc.txt"; then
    args+=("$dir:$name")
  else
    args+=("$dir:$name:build-failed")
    cat "$dir.kevc.txt" "$dir.cc.txt" 2>/dev/null >&2 || true
  fi
done
if [ "${KEVC_CHECK_DEVICE:-cuda}" = cpu ]; then
  TRITON_INTERPRET=1 python3 bench/gpu/artifacts_check.py --out "$OUT" --device cpu "${args[@]}"
else
  python3 bench/gpu/artifacts_check.py --out "$OUT" "${args[@]}"
fi
