#!/usr/bin/env bash
# The one GPU script: run on the GPU machine (CUDA, Triton, PyTorch; no Swift) from the repository root.
#   bench/gpu/run.sh OUT_DIR [all|check|bench] [bench.py options: --ops a,b --jobs N --before-traces DIR
#                                               --baseline-contract highest|high|medium|pytorch]
#   (default all; check = steps 2-3, bench = step 4)
# 1. kevc: the static binary bench/gpu/kevc-static.xz (built here by bench/gpu/build-static-kevc.sh), or `kevc` on PATH.
# 2. Correctness: every spec in specs/ with the default GPU schedule through `kevc run --target triton`
#    (the harness's full protocol: 5 trials, several distributions, poisoned outputs, input-write checks).
# 3. The harness's own tests: deliberately broken kernels must each be caught and classified.
# 4. The benchmark (bench/gpu/bench.py): kevc default and hand traces, PyTorch eager, torch.compile, roofline;
#    the PyTorch baselines under the torch flags of --baseline-contract (default highest, kevc's default contract).
# Writes OUT_DIR/{machine.txt, correctness.txt, broken-kernels.txt, results.json, results.md}.
set -uo pipefail
OUT=${1:?usage: bench/gpu/run.sh OUT_DIR [all|check|bench]}
PHASE=${2:-all}
shift $(( $# < 2 ? $# : 2 ))
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; python3 -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__)"; "$KEVC" --version; } > "$OUT/machine.txt" 2>&1
# The GPU's state before and after (utilisation, clocks, other processes, a copy and a matmul timed): a GPU shared
# with someone else, or throttled, shows here rather than as a mystery in the results.
python3 bench/gpu/probe.py before >> "$OUT/machine.txt" 2>&1
trap 'python3 bench/gpu/probe.py after >> "$OUT/machine.txt" 2>&1' EXIT

echo "[$(date +%T)] start"
if [ "$PHASE" != bench ]; then
# The harness's own tests (broken kernels must be caught) run beside the spec checks: neither is a timing.
python3 -m pytest -q -rs python/tests/test_broken_kernels.py > "$OUT/broken-kernels.txt" 2>&1 &
BROKEN_PID=$!
# Specs are checked concurrently (JOBS at a time; the check is not a timing), each log kept apart, then summed up.
JOBS=${KEVC_CHECK_JOBS:-12}
mkdir -p "$OUT/check"
export KEVC OUT
ls specs/*.kev | xargs -P "$JOBS" -I{} bash -c '
  spec={}; name=$(basename "$spec" .kev)
  log=$("$KEVC" run "$spec" --target triton --trials 5 --iterations 10 --repeats 1 2>&1); rc=$?
  status=$([ $rc -eq 0 ] && echo PASS || ([ $rc -eq 3 ] && echo FLAGGED || echo FAIL))
  { echo "== $spec: $status"; echo "$log" | tail -12; } > "$OUT/check/$name.txt"'
cat "$OUT"/check/*.txt > "$OUT/correctness.txt"
pass=$(grep -c '^== .*: PASS$' "$OUT/correctness.txt"); total=$(ls specs/*.kev | wc -l)
echo "correctness: $pass of $total passed" | tee -a "$OUT/correctness.txt"
grep '^== ' "$OUT/correctness.txt" | grep -v ': PASS$'
rm -rf "$OUT/check"

wait $BROKEN_PID
tail -3 "$OUT/broken-kernels.txt"
echo "[$(date +%T)] checks done"
fi
[ "$PHASE" = check ] && exit 0

python3 bench/gpu/bench.py "$KEVC" "$OUT" "$@" 2>&1 | tail -40
echo "[$(date +%T)] bench done"
