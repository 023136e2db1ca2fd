#!/usr/bin/env bash
# One GPU call of 2026-12-08 (no kevc there: every module prepared here by `prepare OLD_KEVC KEVC`). Carry
# bench/gpu/kevc-static-prep/sel.tar.xz
# (the A/B folders of ab-k-major.sh (convolutions only), ab-h74-prepare.sh (layer_norm3d, log_softmax),
# ab-unroll-prepare.sh (the pools), ab-h76/h77/h78-prepare.sh).
#   [S1..S6=SECONDS] bench/gpu/session-2026-12-08.sh OUT   (S1..S6: the six A/B stages' start deadlines)
# 1. the harness's comparison, old and fused (bench/harness/compare-speed.py), alone on the GPU;
# 2. causal attention's modules beside PyTorch SDPA on one timer (bench/gpu/ab-h78-sdpa.py), alone;
# 3. the paired A/Bs (module-ab.sh run) in two streams sharing module-ab's device lock (timings never overlap).
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = prepare ]; then  # bench/gpu/session-2026-12-08.sh prepare OLD_KEVC KEVC   (here, with Swift)
  OLD=$(realpath "${2:?OLD_KEVC: a build of main 4e5f72c}"); NEW=$(realpath "${3:?KEVC}")
  R=bench/gpu/kevc-static-prep
  bash bench/gpu/ab-k-major.sh prepare "$NEW" > /dev/null
  bash bench/gpu/ab-h74-prepare.sh "$NEW" "$NEW" > /dev/null
  bash bench/gpu/ab-unroll-prepare.sh "$NEW" specs/kernelbench/max_pool2d.kev specs/kernelbench/max_pool1d.kev \
    specs/kernelbench/avg_pool1d.kev > /dev/null
  for h in h76 h77 h78; do bash bench/gpu/ab-$h-prepare.sh "$OLD" "$NEW" > /dev/null; done
  rm -rf "$R/sel"; mkdir -p "$R/sel"
  for t in k-major ab-h74 ab-unroll ab-h76 ab-h77 ab-h78; do cp -r "$R/$t" "$R/sel/"; done
  # the matmuls of k-major (rule 4d decided them) and the probes of h74 that are not this call's questions stay out
  rm -rf "$R"/sel/k-major/*matmul* "$R"/sel/ab-h74/{avg_pool1d,batch_norm2d,group_norm,instance_norm2d,max_pool1d}
  tar cJf "$R/sel.tar.xz" -C "$R/sel" . && ls -la "$R/sel.tar.xz"
  exit 0
fi
OUT=${1:?OUT}
P=bench/gpu/kevc-static-prep/sel
mkdir -p "$P" "$OUT"
tar xJf bench/gpu/kevc-static-prep/sel.tar.xz -C "$P"
nvidia-smi --query-gpu=name,clocks.max.sm,memory.total --format=csv > "$OUT/gpu.txt"
start=$(date +%s)
PYTHONPATH=python timeout 60 python3 bench/harness/compare-speed.py "$OUT/compare-speed" 40 > "$OUT/compare-speed.log" 2>&1
PYTHONPATH=python timeout 70 python3 bench/gpu/ab-h78-sdpa.py "$P/ab-h78/attention" "$OUT/sdpa" 3 > "$OUT/sdpa.log" 2>&1
ab() { AB_TRIALS=1 AB_JOBS=2 timeout $(( $3 + 60 )) bash bench/gpu/module-ab.sh run "$P/$1" "$OUT/$2" "$3" > "$OUT/$2.log" 2>&1; }
( ab ab-h76 ab-h76 ${S1:-80}; ab ab-h77 ab-h77 ${S2:-90} ) &
( ab ab-h78 ab-h78 ${S3:-60}; ab k-major k-major ${S4:-90}; ab ab-h74 ab-h74 ${S5:-30}; ab ab-unroll ab-unroll ${S6:-20} ) &
wait
echo "elapsed $(( $(date +%s) - start )) s" > "$OUT/elapsed.txt"
