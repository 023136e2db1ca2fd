#!/bin/sh
# Before/after, alternated: ab.sh KEVC_BEFORE KEVC_AFTER OUTDIR ROUNDS OPS (comma-separated problems)
# Each round runs bench/kernelbench/run.py cpu (one thread, torch beside) with the before binary, then the after one;
# summarize.py OUTDIR turns the runs into a table of medians.
set -e
before=$1 after=$2 out=$3 rounds=$4 ops=$5
mkdir -p "$out"
r=1
while [ "$r" -le "$rounds" ]; do
  python3 bench/kernelbench/run.py cpu "$out/before-$r" --threads 1 --wait-idle 0 --kevc "$before" --ops "$ops"
  python3 bench/kernelbench/run.py cpu "$out/after-$r" --threads 1 --wait-idle 0 --kevc "$after" --ops "$ops"
  r=$((r + 1))
done
