#!/usr/bin/env bash
# The float64 torch reference's time on this machine's CPU, two kevc builds side by side (same inputs, same run):
#   bench/harness/reference-speed.sh KEVC_BEFORE KEVC_AFTER OUT.txt
# For each case, `kevc compile SPEC --emit torch-ref --shape S` from both builds, then reference() timed once each
# on the same random f32 inputs, and the largest relative difference between the two results.
set -euo pipefail
BEFORE=${1:?usage: reference-speed.sh KEVC_BEFORE KEVC_AFTER OUT}; AFTER=${2:?}; OUT=${3:?}
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
{
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, torch $(python3 -c 'import torch; print(torch.__version__)')"
  echo "# before: $("$BEFORE" --version 2>&1 | head -1) ($BEFORE); after: $("$AFTER" --version 2>&1 | head -1) ($AFTER)"
  for case in "conv_pointwise2d N=2,C=64,H=256,W=256,F=128" "conv2d_square N=2,C=16,H=256,W=256,F=64,K=3" \
              "matmul_transposed_b M=512,K=2048,N=1024"; do
    set -- $case
    "$BEFORE" compile "specs/kernelbench/$1.kev" --emit torch-ref --shape "$2" -o "$T/before.py"
    "$AFTER" compile "specs/kernelbench/$1.kev" --emit torch-ref --shape "$2" -o "$T/after.py"
    python3 - "$T/before.py" "$T/after.py" "$1 $2" <<'PY'
import importlib.util, sys, time, torch
def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path); m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m); return m
before, after = load(sys.argv[1], "before"), load(sys.argv[2], "after")
torch.manual_seed(0)
inputs = {p["name"]: torch.randn(p["shape"], dtype=torch.float32) for p in before.KEVC_REFERENCE["params"]}
times, outs = [], []
for m in (before, after):
    t = time.perf_counter(); outs.append(m.reference(inputs)); times.append(time.perf_counter() - t)
diff = max(float(((outs[1][k] - outs[0][k]).abs() / outs[0][k].abs().clamp(min=1e-6)).max()) for k in outs[0])
print("%-55s before %7.2f s  after %6.2f s  %5.1fx  max rel diff %.1e" % (sys.argv[3], times[0], times[1], times[0] / times[1], diff))
PY
  done
} | tee "$OUT"
rm -rf "$T"
