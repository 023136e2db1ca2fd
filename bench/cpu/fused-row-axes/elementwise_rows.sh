#!/bin/sh
# What fusing the pure-parallel axes of an elementwise kernel could gain (not a default rule: fuse_axes fuses
# reduction axes only): gelu_rows.kev (rows of 30) against gelu_flat.kev (the same elements as rows of 420), default
# schedules, alternated, ROUNDS rounds, one thread. Usage: bench/cpu/fused-row-axes/elementwise_rows.sh KEVC [ROUNDS]
K=$1; ROUNDS=${2:-5}; D=$(dirname "$0")
export KEVC_NUM_THREADS=1
r=0
while [ $r -lt "$ROUNDS" ]; do
  for s in gelu_rows gelu_flat; do
    printf '%s %s ' "$r" "$s"
    "$K" run "$D/$s.kev" --trials 1 --iterations 50 | grep -E 'time per call|PASS|FAIL' | tr '\n' ' '
    echo
  done
  r=$((r + 1))
done
