#!/usr/bin/env bash
# Issue 20: one search benchmark spread over the GPUs of one host, in ONE call, on the GPU machine (CUDA, Triton,
# PyTorch; no Swift) from the repository root, with the static kevc of this commit (bench/gpu/build-static-kevc.sh):
#   bench/search/multigpu.sh OUT_DIR [SECONDS_PER_OP] [OPS]
# For each mode, each op gets the same budget (MULTIGPU_BUDGET evaluations, default 400, or SECONDS_PER_OP of wall
# time, default 40), from the default schedule and its sketches (no hand traces), one tuning database per mode:
#   one  CUDA_VISIBLE_DEVICES = the first GPU only, --jobs MULTIGPU_JOBS_PER_GPU (default 3);
#   all  every visible GPU (one warm-worker pool and one device lock per GPU), --jobs = GPUs x jobs per GPU;
#   ray  the same searches through `--executor ray://127.0.0.1:PORT` on a Ray head started here with every GPU
#        (skipped, and said so, when `import ray` fails on this machine).
# nvidia-smi samples each GPU's utilisation every 500 ms during each mode. Then the best candidate of each op
# (mode `all`) is timed again on each GPU alone (`kevc run --schedule`), to show that results agree across GPUs.
# bench/search/multigpu_summary.py writes OUT_DIR/multigpu.md and .json: per mode and op the evaluations, evaluations
# per minute, the scaling over `one`, mean GPU utilisation, where the workers' time went (worker_report phases),
# and the per-GPU times of the best candidate. Sized for under 9 minutes with the defaults on 3 ops.
# A dry run on the CPU: KEVC_GPU_DEVICE=cpu TRITON_INTERPRET=1 KEVC_SIMULATED_DEVICES=2 MULTIGPU_SMALL=1 (dims line
# shapes; no nvidia-smi needed).
set -uo pipefail
OUT=${1:?usage: bench/search/multigpu.sh OUT_DIR [SECONDS_PER_OP] [OPS]}
SECONDS_PER_OP=${2:-40}
OPS=${3:-"rmsnorm softmax matmul_bf16"}
BUDGET=${MULTIGPU_BUDGET:-400}
JOBS_PER_GPU=${MULTIGPU_JOBS_PER_GPU:-3}
RAY_PORT=${MULTIGPU_RAY_PORT:-10001}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
if [ -n "${MULTIGPU_SMALL:-}" ] && ! command -v nvidia-smi > /dev/null; then
  # A dry run on the CPU: a stand-in nvidia-smi names the "GPU" (as bench/kernelbench/run.py --dry-run does).
  mkdir -p "$OUT/fake-bin"
  printf '#!/bin/sh\necho "Interpreter GPU, 9.0, 0.0"\n' > "$OUT/fake-bin/nvidia-smi"
  chmod +x "$OUT/fake-bin/nvidia-smi"
  export PATH="$OUT/fake-bin:$PATH"
fi
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }
spec_of() { case "$1" in matmul_bf16) echo bench/gpu/specs/matmul_bf16.kev ;; *) echo "specs/$1.kev" ;; esac; }

# The GPUs: their count and identities, from the harness's own device listing (simulated devices on the CPU).
python3 -m kevc_gpu devices > "$OUT/devices.json" 2> "$OUT/devices.err"
GPUS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["devices"]))' "$OUT/devices.json" 2>/dev/null || echo 1)
[ "$GPUS" -ge 1 ] 2>/dev/null || GPUS=1
FIRST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["devices"][0].get("index", 0))' "$OUT/devices.json" 2>/dev/null || echo 0)
{ echo "gpus: $GPUS"; nvidia-smi --query-gpu=index,name,uuid,driver_version,memory.total --format=csv 2>&1
  "$KEVC" --version; } > "$OUT/machine.txt" 2>&1
: > "$OUT/runs.txt"

sample_utilisation() {  # mode: nvidia-smi in the background, every 500 ms, until stop_sampling
  if [ -z "${MULTIGPU_SMALL:-}" ] && command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=timestamp,index,utilization.gpu,memory.used --format=csv,noheader,nounits -lms 500 \
      > "$OUT/util-$1.csv" 2> /dev/null &
    SAMPLER=$!
  else
    SAMPLER=""
  fi
}
stop_sampling() { [ -n "$SAMPLER" ] && { kill "$SAMPLER" 2> /dev/null; wait "$SAMPLER" 2> /dev/null; }; }

run_mode() {  # mode jobs extra-flags...
  local mode=$1 jobs=$2; shift 2
  sample_utilisation "$mode"
  for op in $OPS; do
    local spec shape t0 t1 rc
    spec=$(spec_of "$op"); shape=$(shape_of "$spec"); [ -n "${MULTIGPU_SMALL:-}" ] && shape=""
    t0=$(date +%s.%N)
    timeout $((SECONDS_PER_OP + 240)) "$KEVC" search "$spec" --target triton ${shape:+--shape "$shape"} \
      --budget "$BUDGET" --time-limit "$SECONDS_PER_OP" --db "$OUT/$mode.db" --trials 1 --case-timeout 60 \
      --eval-timeout 200 --seed 1 --jobs "$jobs" "$@" > "$OUT/search-$mode-$op.log" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    echo "$mode $op $t0 $t1 $rc $jobs" >> "$OUT/runs.txt"
    echo "[$(date +%T)] $mode $op: exit $rc; $(tail -1 "$OUT/search-$mode-$op.log")"
  done
  stop_sampling
  "$KEVC" db export --db "$OUT/$mode.db" -o "$OUT/$mode.json" > /dev/null 2>&1
}

CUDA_VISIBLE_DEVICES=$FIRST KEVC_SIMULATED_DEVICES=${KEVC_SIMULATED_DEVICES:+1} run_mode one "$JOBS_PER_GPU"
run_mode all $((GPUS * JOBS_PER_GPU))

if python3 -c 'import ray' > /dev/null 2>&1; then
  # A local Ray head with every GPU of this host (CPU resources for a dry run); the search and its database stay here.
  if [ -n "${MULTIGPU_SMALL:-}" ]; then resources="--num-cpus=$GPUS --num-gpus=0"; query="?gpus=0&cpus=1"
  else resources="--num-gpus=$GPUS"; query=""; fi
  RAY_TEMP=$(mktemp -d /tmp/kr.XXXX)   # Ray's socket paths must stay short
  ray start --head --node-ip-address=127.0.0.1 --port=6390 --ray-client-server-port="$RAY_PORT" $resources \
    --include-dashboard=false --disable-usage-stats --temp-dir="$RAY_TEMP" > "$OUT/ray-start.log" 2>&1
  # The client server comes up after `ray start` returns: wait until a client connects (at most 90 s).
  for _ in $(seq 45); do
    python3 -c "import ray, sys; ray.init(sys.argv[1]); ray.shutdown()" "ray://127.0.0.1:$RAY_PORT" > /dev/null 2>&1 && break
    sleep 2
  done
  run_mode ray "$((GPUS * JOBS_PER_GPU))" --executor "ray://127.0.0.1:$RAY_PORT$query"
  ray stop --force > /dev/null 2>&1
else
  echo "ray: not importable on this machine (python3 -c 'import ray' failed): mode ray not run" | tee "$OUT/ray-start.log"
fi

# The best candidate of each op (mode all) timed on each GPU alone: results must agree across GPUs.
: > "$OUT/per-gpu.txt"
ITERATIONS=50; [ -n "${MULTIGPU_SMALL:-}" ] && ITERATIONS=3   # Triton's interpreter: a few calls
for op in $OPS; do
  spec=$(spec_of "$op"); shape=$(shape_of "$spec"); [ -n "${MULTIGPU_SMALL:-}" ] && shape=""
  trace="$OUT/best-$op.trace"
  python3 bench/search/multigpu_summary.py best-trace "$OUT/all.json" "$op" > "$trace" 2>> "$OUT/per-gpu.txt" || continue
  for ((g = 0; g < GPUS; g++)); do
    line=$(CUDA_VISIBLE_DEVICES=$g KEVC_SIMULATED_DEVICES=${KEVC_SIMULATED_DEVICES:+1} timeout 200 "$KEVC" run "$spec" \
      --target triton ${shape:+--shape "$shape"} --schedule "$trace" --trials 1 --iterations "$ITERATIONS" 2>&1 | grep -m1 'time per call')
    echo "$op gpu$g $line" >> "$OUT/per-gpu.txt"
  done
done
python3 bench/search/multigpu_summary.py summary "$OUT"
