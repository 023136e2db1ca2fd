#!/bin/sh
# How deep a fused block may be: block_sum3.kev (rows of 14) under four traces, alternated, ROUNDS rounds, one thread.
# rows: the short rows vectorized (the default before rule 1b); fused2: (i, j) fused (rule 1b); fused3: (d, i, j)
# fused in one step; fused2x2: (i, j) then (d, i.j). Usage: bench/cpu/fused-row-axes/fused_depth.sh KEVC [ROUNDS]
K=$1; ROUNDS=${2:-5}; D=$(dirname "$0")
export KEVC_NUM_THREADS=1
r=0
while [ $r -lt "$ROUNDS" ]; do
  for t in rows fused2 fused3 fused2x2; do
    printf '%s %s ' "$r" "$t"
    "$K" run "$D/block_sum3.kev" --schedule "$D/block_sum3.$t.trace" --trials 1 --iterations 200 | grep -E 'time per call|PASS|FAIL' | tr '\n' ' '
    echo
  done
  r=$((r + 1))
done
