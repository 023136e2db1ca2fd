#!/bin/sh
# trace_ab.sh KEVC SPEC SHAPE ROUNDS TRACE...: each trace (`kevc run --schedule`, one thread, --trials 0, 10 calls x
# 7 repeats, the median) in turn, ROUNDS times; one line per round.
kevc=$1 spec=$2 shape=$3 rounds=$4
shift 4
export KEVC_NUM_THREADS=1
r=1
while [ "$r" -le "$rounds" ]; do
  line="round $r:"
  for t in "$@"; do
    v=$("$kevc" run "$spec" --shape "$shape" --schedule "$t" --trials 0 --iterations 10 --repeats 7 2>&1 | awk '/time per call/ {print $4 $5}')
    line="$line $(basename "$t" .trace) $v"
  done
  echo "$line"
  r=$((r + 1))
done
