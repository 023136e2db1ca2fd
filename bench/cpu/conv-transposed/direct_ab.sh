#!/bin/sh
# direct_ab.sh KEVC_BEFORE KEVC_AFTER ROUNDS "op shape" ...: kevc's default alone (`kevc run --trials 0`, one
# thread, 50 calls x 9 repeats, the median), before and after alternated per round; prints one line per round.
# Fewer things between the two timings than run.py cpu (no torch, no machine measurements).
before=$1 after=$2 rounds=$3
shift 3
export KEVC_NUM_THREADS=1
for spec in "$@"; do
  set -- $spec
  r=1
  while [ "$r" -le "$rounds" ]; do
    line="$1 round $r:"
    for b in "$before" "$after"; do
      t=$("$b" run "specs/kernelbench/$1.kev" --shape "$2" --trials 0 --iterations 50 --repeats 9 2>&1 | awk '/time per call/ {print $4 $5}')
      line="$line $t"
    done
    echo "$line"
    r=$((r + 1))
  done
done
