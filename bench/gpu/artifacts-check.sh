#!/usr/bin/env bash
# GPU artifacts on the H100 (no Swift needed): for each spec and shape, kevc builds the C launcher (cubins embedded,
# CUDA driver API through dlopen), its header and the torch op module; cc builds the launcher into a shared library
# and bench/gpu/artifacts_check.py runs it through ctypes on CUDA tensors, checks a wrong-shape call, compares with
# the float64 torch reference, times it, then runs the torch op eagerly and under torch.compile. Last, a C program
# with no Python (bench/gpu/launcher_main.c) launches softmax at 4096 x 4096 through the launcher and checks it.
#   bench/gpu/artifacts-check.sh KEVC [OUT.json] [SPEC:SHAPE ...]
# KEVC: the kevc binary (e.g. the static one from bench/gpu/build-static-kevc.sh). Prints a JSON summary and writes
# it to OUT.json (the C program's line to OUT-c.json); exit status 1 when any check failed. A dry run without a GPU
# (everything but the launchers, Triton interpreted): KEVC_CHECK_DEVICE=cpu bench/gpu/artifacts-check.sh KEVC.
set -euo pipefail
KEVC=$(realpath "${1:?usage: bench/gpu/artifacts-check.sh KEVC [OUT.json] [SPEC:SHAPE ...]}")
OUT=$(realpath -m "${2:-artifacts-check.json}")
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
status=0
if [ "${KEVC_CHECK_DEVICE:-cuda}" = cpu ]; then
  TRITON_INTERPRET=1 python3 bench/gpu/artifacts_check.py --out "$OUT" --device cpu "${args[@]}" || status=1
else
  python3 bench/gpu/artifacts_check.py --out "$OUT" "${args[@]}" || status=1
  # A C program with no Python at all: the toolkit's cuda.h and libcuda for its own allocations and copies.
  dir="$WORK/softmax_c"
  cuda_home=${CUDA_HOME:-/usr/local/cuda}
  if "$KEVC" compile specs/softmax.kev --target triton --shape M=4096,N=4096 --no-db --name softmax_c \
      --emit launcher,header --dump-dir "$dir" \
    && cc -O2 -Wall -I"$dir" -I"$cuda_home/include" bench/gpu/launcher_main.c "$dir/softmax_c.launcher.c" \
      -L"$cuda_home/lib64/stubs" -lcuda -ldl -lm -o "$dir/main"; then
    "$dir/main" | tee "${OUT%.json}-c.json" || status=1
  else
    echo '{"c_program": false, "error": "build failed"}' | tee "${OUT%.json}-c.json"; status=1
  fi
fi
exit $status
