#!/usr/bin/env bash
# A default-schedule change measured paired, without carrying kevc to the GPU machine: every spec whose default
# Triton schedule at its bench shape differs between two kevc builds gets the old default as the baseline and the
# new one as variant `new-default`, prepared as `module-ab.sh` modules (both compiled by NEW_KEVC from their traces,
# so only the schedule differs).
#   bench/gpu/ab-default-change.sh OLD_KEVC NEW_KEVC VARIANTS_DIR PREP_DIR [SPEC...]   (here, with Swift)
#       SPEC... defaults to every spec under specs/ and bench/gpu/specs/; `--gpu cuda:90` in $AB_GPU compares the
#       defaults for that capability instead of the portable ones.
#   then, there: AB_TRIALS=1 bench/gpu/module-ab.sh run PREP_DIR OUT_DIR [SECONDS]
# Prints the specs that changed; a spec whose two defaults are equal is left out.
set -uo pipefail
OLD=$(realpath "${1:?OLD_KEVC}"); NEW=$(realpath "${2:?NEW_KEVC}"); VARIANTS=${3:?VARIANTS_DIR}; PREP=${4:?PREP_DIR}
shift 4
cd "$(dirname "$0")/../.."
SPECS=("$@")
[ ${#SPECS[@]} -eq 0 ] && mapfile -t SPECS < <(find specs bench/gpu/specs -name '*.kev' | sort)
mkdir -p "$VARIANTS"
for s in "${SPECS[@]}"; do
  shape=$(grep -m1 -oP '^\s*bench\s+\K.*' "$s" | sed 's/#.*//; s/ //g')
  [ -n "$shape" ] || continue
  d="$VARIANTS/$(basename "$s" .kev)"
  mkdir -p "$d"
  "$OLD" opt "$s" --default-schedule triton ${AB_GPU:-} --shape "$shape" --emit-trace-json -o "$d/default.json" 2>/dev/null &&
    "$NEW" opt "$s" --default-schedule triton ${AB_GPU:-} --shape "$shape" --emit-trace-json -o "$d/new-default.json" 2>/dev/null
  if [ $? -ne 0 ] || cmp -s "$d/default.json" "$d/new-default.json"; then rm -rf "$d"; continue; fi
  echo "$s" > "$d/spec"; echo "$shape" > "$d/shape"
  echo "changed: $s ($shape)"
done
bash bench/gpu/module-ab.sh prepare "$VARIANTS" "$PREP" "$NEW"
