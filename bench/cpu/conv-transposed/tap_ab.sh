#!/bin/sh
# tap_ab.sh KEVC ROUNDS: TapBounds off (KEVC_TAP_BOUNDS=0) and on, alternated, ROUNDS times, for each problem below
# (default schedules, `kevc run`, one thread, --trials 0, 10 calls x 7 repeats, the median); one line per round and
# problem: `PROBLEM off MS on MS`. The same release binary gives both columns.
kevc=$1 rounds=$2
export KEVC_NUM_THREADS=1
problems="
conv_transposed3d N=8,C=16,D=16,H=16,W=16,F=16,K=3
conv_transposed2d N=8,C=32,H=64,W=64,F=32,K=3
conv_transposed1d N=32,C=32,L=64,F=64,K=3
conv2d_dilated_padded N=2,C=32,H=64,W=64,F=32,KH=3,KW=4
conv2d_square N=4,C=16,H=64,W=64,F=32,K=3
conv3d_square N=8,C=16,D=20,H=20,W=20,F=16,K=3
"
time_one() {
  KEVC_TAP_BOUNDS=$1 "$kevc" run "specs/kernelbench/$2.kev" --shape "$3" --trials 0 --iterations 10 --repeats 7 2>&1 |
    awk '/time per call/ {print $4 $5}'
}
r=1
while [ "$r" -le "$rounds" ]; do
  echo "$problems" | while read -r name shape; do
    [ -n "$name" ] || continue
    echo "round $r: $name off $(time_one 0 "$name" "$shape") on $(time_one 1 "$name" "$shape")"
  done
  r=$((r + 1))
done
