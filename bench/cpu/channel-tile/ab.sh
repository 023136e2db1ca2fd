#!/bin/sh
# ab.sh KEVC ROUNDS: the six KernelBench problems whose default CPU schedule the channel tile (rule 3a,
# `DefaultSchedule.channelTile`) changes, each at its CPU shape (bench/kernelbench/run.py cpu), timed with the
# default's trace before (traces/OP.before.trace, the tile along the contiguous output axis) and after
# (traces/OP.after.trace, the tile across it), alternated within a round (the order swapped every round), ROUNDS
# rounds. One thread, `kevc run --trials 0`, 10 calls x 7 repeats, the median; one line per problem and round.
# The traces are what `kevc compile ... --emit meta` printed as the default before and after the change.
kevc=$1 rounds=$2
here=$(dirname "$0")
root=$here/../../..
export KEVC_NUM_THREADS=1
time_of() {
  "$kevc" run "$root/specs/kernelbench/$1.kev" --shape "$2" --schedule "$here/traces/$1.$3.trace" --trials 0 \
    --iterations 10 --repeats 7 2>&1 | awk '/time per call/ {print $4 $5}'
}
r=1
while [ "$r" -le "$rounds" ]; do
  for case in conv_transposed3d:N=8,C=16,D=16,H=16,W=16,F=16,K=3 conv3d_square:N=16,C=3,D=16,H=16,W=16,F=16,K=3 \
      conv_transposed2d:N=8,C=16,H=16,W=32,F=32,K=3 conv_transposed1d:N=32,C=32,L=64,F=64,K=3 \
      conv1d_dilated_strided:N=32,C=32,L=63,F=64,K=3 conv_transpose2d_subtract_tanh:N=16,C=16,H=16,W=16,F=16,K=4; do
    op=${case%%:*} shape=${case#*:}
    if [ $((r % 2)) -eq 1 ]; then
      b=$(time_of "$op" "$shape" before); a=$(time_of "$op" "$shape" after)
    else
      a=$(time_of "$op" "$shape" after); b=$(time_of "$op" "$shape" before)
    fi
    echo "round $r: $op before $b after $a"
  done
  r=$((r + 1))
done
