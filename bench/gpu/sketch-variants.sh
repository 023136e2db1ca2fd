#!/usr/bin/env bash
# A problem's default schedule beside its sketches (GPUSketch.all), each through the harness at the bench shape, on
# the GPU machine, one run: what a sketch would give before it becomes a default rule.
#   bench/gpu/sketch-variants.sh prepare DIR KEVC "SPEC ..." "SKETCH ..."   (here: writes DIR/<spec>/<sketch>.json,
#                                  `kevc opt SPEC --default-schedule triton --sketch S --shape BENCH --emit-trace-json`;
#                                  a sketch whose trace equals the default's is left out; with MATMUL_PRECISION=P
#                                  set, under that accuracy contract: DIR/<spec>-P/, `--matmul-precision P` given to
#                                  opt and written to each trace's <sketch>.args, which `run` here and
#                                  `bench/gpu/module-ab.sh prepare` pass on)
#   bench/gpu/sketch-variants.sh run DIR OUT_DIR [SECONDS]                 (there: `kevc run --target triton
#                                  --schedule` per trace, the harness's protocol: poisoned outputs, float64
#                                  reference, several distributions; then the timed calls; every trace twice, the
#                                  second pass in reverse order, so that drift hits all alike)
# Writes OUT_DIR/variants.md (median per pass, ratio to the default of the same pass) and OUT_DIR/variants.txt.
set -uo pipefail
MODE=${1:?usage: bench/gpu/sketch-variants.sh prepare DIR KEVC SPECS SKETCHES | run DIR OUT_DIR [SECONDS]}
DIR=${2:?DIR}
cd "$(dirname "$0")/../.."
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }
if [ "$MODE" = prepare ]; then
  KEVC=$(realpath "${3:?KEVC}")
  CONTRACT=(); SUFFIX=""
  [ -n "${MATMUL_PRECISION:-}" ] && { CONTRACT=(--matmul-precision "$MATMUL_PRECISION"); SUFFIX="-$MATMUL_PRECISION"; }
  for spec in ${4:?SPECS}; do
    name=$(basename "$spec" .kev)$SUFFIX; mkdir -p "$DIR/$name"; shape=$(shape_of "$spec")
    echo "$spec" > "$DIR/$name/spec"; echo "$shape" > "$DIR/$name/shape"
    "$KEVC" opt "$spec" --default-schedule triton --shape "$shape" "${CONTRACT[@]}" --emit-trace-json -o "$DIR/$name/default.json"
    for s in ${5:?SKETCHES}; do
      "$KEVC" opt "$spec" --default-schedule triton --sketch "$s" --shape "$shape" "${CONTRACT[@]}" --emit-trace-json \
        -o "$DIR/$name/$s.json"
      cmp -s "$DIR/$name/default.json" "$DIR/$name/$s.json" && rm "$DIR/$name/$s.json"
    done
    if [ -n "$SUFFIX" ]; then
      for t in "$DIR/$name"/*.json; do echo "${CONTRACT[*]}" > "${t%.json}.args"; done
    fi
    ls "$DIR/$name"
  done
  exit 0
fi
OUT=${3:?OUT_DIR}; LIMIT=${4:-300}
mkdir -p "$OUT"; OUT=$(realpath "$OUT"); DIR=$(realpath "$DIR")
. bench/gpu/kevc-binary.sh
START=$(date +%s)
one() {  # spec shape trace -> "ms|verdict"
  local log t args
  args=$(cat "${3%.json}.args" 2>/dev/null)
  # shellcheck disable=SC2086  # the .args file holds separate words
  log=$(timeout 170 "$KEVC" run "$1" --target triton --shape "$2" --trials 1 --repeats 3 --gpu-timeout 150 --schedule "$3" \
    $args 2>&1)
  { echo "== $3"; echo "$log" | tail -4; } >> "$OUT/variants.txt"
  t=$(echo "$log" | grep -oP 'time per call: \K[0-9.]+ [mu]?s' | tail -1 | awk '{ v=$1; if ($2=="us") v/=1000; else if ($2=="s") v*=1000; printf "%.4g", v }')
  echo "${t:--}|$(echo "$log" | tail -1 | cut -c1-60)"
}
echo "| problem | trace | pass 1 ms | pass 2 ms | vs default (pass 1, 2) | verdict |" > "$OUT/variants.md"
echo "|---|---|---|---|---|---|" >> "$OUT/variants.md"
for d in "$DIR"/*/; do
  spec=$(cat "$d/spec"); shape=$(cat "$d/shape"); name=$(basename "$d")
  traces=$(ls "$d"/*.json | xargs -n1 basename | sed 's/\.json$//' | sort | awk '$0=="default"{print; next} {a[++n]=$0} END{for(i=1;i<=n;i++) print a[i]}')
  declare -A p1=() p2=() verdict=()
  for t in $traces; do
    (( $(date +%s) - START > LIMIT )) && break
    r=$(one "$spec" "$shape" "$d/$t.json"); p1[$t]=${r%%|*}; verdict[$t]=${r#*|}
  done
  for t in $(echo "$traces" | tac); do
    (( $(date +%s) - START > LIMIT )) && break
    [ -n "${p1[$t]:-}" ] || continue
    r=$(one "$spec" "$shape" "$d/$t.json"); p2[$t]=${r%%|*}
  done
  for t in $traces; do
    ratio=$(awk -v b1="${p1[default]:-}" -v a1="${p1[$t]:-}" -v b2="${p2[default]:-}" -v a2="${p2[$t]:-}" \
      'BEGIN { r1 = (a1 > 0 && b1 > 0) ? sprintf("%.2fx", b1 / a1) : "-"; r2 = (a2 > 0 && b2 > 0) ? sprintf("%.2fx", b2 / a2) : "-"; print r1 ", " r2 }')
    echo "| $name | $t | ${p1[$t]:-not run} | ${p2[$t]:-not run} | $ratio | ${verdict[$t]:-} |" >> "$OUT/variants.md"
  done
  unset p1 p2 verdict
done
echo "total $(( $(date +%s) - START )) s" >> "$OUT/variants.md"
cat "$OUT/variants.md"
