#!/usr/bin/env bash
# A default-schedule change measured against the schedule it replaces, on the GPU machine, one run:
#   bench/gpu/ab-defaults.sh OUT_DIR BEFORE_DIR "op op ..." [SECONDS [AFTER_DIR]]
# BEFORE_DIR holds the old default's trace per op (`kevc opt SPEC --default-schedule triton --shape BENCH
# --emit-trace-json -o BEFORE_DIR/OP.json`, written by the old kevc). For each op of specs/kernelbench (or specs/),
# at its bench shape: `kevc run --target triton` (the harness's protocol: poisoned outputs, several distributions,
# float64 reference; then the timed calls) under the old trace, then under the current default, one after the
# other per op (so that drift between ops hits both alike); AB_JOBS ops at a time (default 4). Writes OUT_DIR/ab.md and OUT_DIR/ab.txt (each run's
# last lines). Stops starting ops after SECONDS (default 240). With AFTER_DIR, "after" is that folder's trace per op
# instead of the current default (e.g. a sketch's schedule, `kevc opt --sketch fused`, before making it the default).
set -uo pipefail
OUT=${1:?usage: bench/gpu/ab-defaults.sh OUT_DIR BEFORE_DIR OPS [SECONDS]}
BEFORE=${2:?BEFORE_DIR}
OPS=${3:?OPS}
LIMIT=${4:-240}
AFTER=${5:-}
mkdir -p "$OUT"
OUT=$(realpath "$OUT"); BEFORE=$(realpath "$BEFORE"); [ -n "$AFTER" ] && AFTER=$(realpath "$AFTER")
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
START=$(date +%s)
spec_of() { for d in specs/kernelbench specs bench/gpu/specs; do [ -f "$d/$1.kev" ] && { echo "$d/$1.kev"; return; }; done; echo "specs/$1.kev"; }
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }
one() {  # label spec shape [--schedule trace]
  local label=$1 spec=$2 shape=$3; shift 3
  local log
  log=$(timeout 150 "$KEVC" run "$spec" --target triton --shape "$shape" --trials 1 --repeats 3 --gpu-timeout 120 "$@" 2>&1)
  { echo "== $label $spec"; echo "$log" | tail -4; } >> "$OUT/ab.txt"
  local t
  t=$(echo "$log" | grep -oP 'time per call: \K[0-9.]+ [mu]?s' | tail -1)
  local verdict
  verdict=$(echo "$log" | tail -1)
  echo "${t:--}|${verdict:0:60}"
}
to_ms() { awk '{ v=$1; u=$2; if (u=="us") v/=1000; else if (u=="s") v*=1000; printf "%.4g", v }'; }
echo "| op | before ms | after ms | after vs before | before | after |" > "$OUT/ab.md"
echo "|---|---|---|---|---|---|" >> "$OUT/ab.md"
pair() {  # op: its row of the table
  local op=$1
  if (( $(date +%s) - START > LIMIT )); then echo "| $op | not run | | | | |"; return; fi
  local spec shape b1 a1 bt at ratio
  spec=$(spec_of "$op"); shape=$(shape_of "$spec")
  b1=$(one before "$spec" "$shape" --schedule "$BEFORE/$op.json")
  if [ -n "$AFTER" ]; then a1=$(one after "$spec" "$shape" --schedule "$AFTER/$op.json"); else a1=$(one after "$spec" "$shape"); fi
  bt=$(echo "${b1%%|*}" | to_ms); at=$(echo "${a1%%|*}" | to_ms)
  ratio=$(awk -v b="$bt" -v a="$at" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", b / a; else print "-" }')
  echo "| $op | $bt | $at | $ratio | ${b1#*|} | ${a1#*|} |"
}
export -f pair one to_ms spec_of shape_of
export KEVC OUT BEFORE AFTER START LIMIT
# AB_JOBS ops at a time: their checks overlap, their timed calls take the harness's device lock one at a time.
echo $OPS | tr ' ' '\n' | xargs -P "${AB_JOBS:-4}" -I{} bash -c 'pair {}' >> "$OUT/ab.md"
echo "total $(( $(date +%s) - START )) s" >> "$OUT/ab.md"
cat "$OUT/ab.md"
