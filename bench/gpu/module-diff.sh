#!/usr/bin/env bash
# Which specs' Triton modules differ between two kevc builds (no GPU): every spec under specs/, specs/kernelbench/
# and bench/gpu/specs/, default schedule, portable and `--gpu cuda:90`, at its dims and at its bench shape.
#   bench/gpu/module-diff.sh OLD_KEVC NEW_KEVC OUT_DIR     (from the repository root)
# Writes OUT_DIR/<spec>.<target>.<shape>.{old,new}.py for each module that changed and prints one line per change
# ("changed: SPEC TARGET SHAPE"), then "unchanged N, changed M, failed both K". A spec both builds refuse counts
# as failed both; one refused by only one build is printed as "refused by old/new".
set -uo pipefail
OLD=$(realpath "${1:?OLD_KEVC}"); NEW=$(realpath "${2:?NEW_KEVC}"); OUT=${3:?OUT_DIR}
mkdir -p "$OUT"
same=0; changed=0; failed=0
for s in specs/*.kev specs/kernelbench/*.kev bench/gpu/specs/*.kev; do
  shape=$(grep -m1 -oP '^\s*bench\s+\K.*' "$s" | sed 's/#.*//; s/ //g')
  for gpu in portable cuda:90; do
    gflag=(); [ "$gpu" = portable ] || gflag=(--gpu "$gpu")
    for at in dims bench; do
      sflag=(); if [ "$at" = bench ]; then [ -n "$shape" ] || continue; sflag=(--shape "$shape"); fi
      base="$OUT/$(basename "$s" .kev).${gpu/:/}.$at"
      "$OLD" compile "$s" --target triton "${gflag[@]}" "${sflag[@]}" -o "$base.old.py" >/dev/null 2>&1; a=$?
      "$NEW" compile "$s" --target triton "${gflag[@]}" "${sflag[@]}" -o "$base.new.py" >/dev/null 2>&1; b=$?
      if [ $a -ne 0 ] && [ $b -ne 0 ]; then failed=$((failed + 1)); rm -f "$base".*.py; continue; fi
      if [ $a -ne 0 ] || [ $b -ne 0 ]; then echo "refused by $([ $a -ne 0 ] && echo old || echo new): $s $gpu $at"; continue; fi
      if cmp -s "$base.old.py" "$base.new.py"; then same=$((same + 1)); rm -f "$base".*.py; continue; fi
      changed=$((changed + 1)); echo "changed: $s $gpu $at"
    done
  done
done
echo "unchanged $same, changed $changed, failed both $failed"
