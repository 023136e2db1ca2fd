#!/usr/bin/env bash
# Schedules side by side on the GPU without carrying kevc there: each variant's Triton module is checked through the
# harness's protocol and timed interleaved with its baseline's module (paired calls, `--baseline-kernel`), so that
# one run gives a ratio per variant that drift cannot bias.
#   bench/gpu/module-ab.sh prepare VARIANTS_DIR PREP_DIR [KEVC]   (here, with Swift)
#       VARIANTS_DIR is what `bench/gpu/sketch-variants.sh prepare` writes: VARIANTS_DIR/<spec>/{spec, shape,
#       <variant>.json ...}. The baseline is `default.json`, or the variant named in VARIANTS_DIR/<spec>/baseline.
#       Writes PREP_DIR/<spec>/<variant>/ (`kevc compile SPEC --target triton --shape SHAPE --schedule TRACE
#       --emit triton,torch-ref`, plus the words of <variant>.args when there is one, e.g. `--matmul-precision
#       high`: the variant's module and reference then carry that contract's tolerance); a variant whose module
#       equals the baseline's is left out.
#   bench/gpu/module-ab.sh run PREP_DIR OUT_DIR [SECONDS]         (there: python/ and the modules, no kevc)
#       every variant: `python3 -m kevc_gpu run` with $AB_TRIALS trials (default 6: each of the harness's input
#       distributions once; poisoned outputs, float64 reference) and 50 timed calls beside the baseline's.
#       Writes OUT_DIR/{module-ab.md, module-ab.json, machine.txt}; a case not started by SECONDS (default 420) is
#       reported as not run.
#   bench/gpu/module-ab.sh prepare-check PREP_DIR [KEVC]           (here) every spec under specs/ at its default dims,
#       the default GPU schedule: PREP_DIR/<name>/ (`--emit triton,torch-ref`; specs/kernelbench/X is kernelbench.X)
#   bench/gpu/module-ab.sh check PREP_DIR OUT_DIR                  (there) each through the harness's protocol, $AB_TRIALS
#       trials (default 3), no timing, $AB_JOBS at a time (default 8): OUT_DIR/check.md, check.json
set -uo pipefail
MODE=${1:?usage: bench/gpu/module-ab.sh prepare VARIANTS_DIR PREP_DIR [KEVC] | run PREP_DIR OUT_DIR [SECONDS] | prepare-check PREP_DIR [KEVC] | check PREP_DIR OUT_DIR}
cd "$(dirname "$0")/../.."
if [ "$MODE" = prepare-check ]; then
  PREP=${2:?PREP_DIR}; KEVC=$(realpath "${3:-.build/debug/kevc}")
  mkdir -p "$PREP"
  for spec in $(find specs -name '*.kev' | sort); do
    name=$(echo "${spec#specs/}" | tr / . | sed 's/\.kev$//')
    "$KEVC" compile "$spec" --target triton --emit triton,torch-ref --dump-dir "$PREP/$name" > "$PREP/$name.log" 2>&1 \
      || echo "prepare-check: $spec failed (see $PREP/$name.log)"
  done
  du -sh "$PREP"
  exit 0
fi
if [ "$MODE" = check ]; then
  PREP=$(realpath "${2:?PREP_DIR}"); OUT=${3:?OUT_DIR}
  mkdir -p "$OUT"; OUT=$(realpath "$OUT")
  export PYTHONPATH="$PWD/python" OUT PREP
  ls "$PREP" | grep -v '\.log$' | xargs -P "${AB_JOBS:-8}" -I{} bash -c 'timeout 200 python3 -m kevc_gpu run \
    --kernel "$PREP/{}"/*.triton.py --reference "$PREP/{}"/*.ref.py --trials '"${AB_TRIALS:-3}"' --timing-calls 0 \
    --eager-calls 0 --cost-limit-s 0 --timeout 180 > "$OUT/{}.json" 2> "$OUT/{}.err"'
  # Results name files relative to the repository, never by this machine's paths.
  sed -i "s#$PREP/#PREP/#g; s#$PWD/##g" "$OUT"/*.json "$OUT"/*.err 2>/dev/null
  python3 - "$OUT" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
rows = []
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    if os.path.basename(path) == "check.json":
        continue
    try:
        r = json.load(open(path))
    except ValueError:
        r = {"status": "no result"}
    rows.append({"spec": os.path.basename(path)[:-5], "status": r.get("status"), "reason": (r.get("reason") or "")[:200]})
json.dump(rows, open(os.path.join(out, "check.json"), "w"), indent=1)
ok = sum(r["status"] == "ok" for r in rows)
lines = ["| spec | status | reason |", "|---|---|---|"] + ["| %s | %s | %s |" % (r["spec"], r["status"], r["reason"].replace("|", "/").replace("\n", " ")) for r in rows if r["status"] != "ok"]
lines += ["", "%d of %d ok" % (ok, len(rows))]
open(os.path.join(out, "check.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
  exit 0
fi
if [ "$MODE" = prepare ]; then
  VARIANTS=$(realpath "${2:?VARIANTS_DIR}"); PREP=${3:?PREP_DIR}; KEVC=$(realpath "${4:-.build/debug/kevc}")
  mkdir -p "$PREP"
  for dir in "$VARIANTS"/*/; do
    name=$(basename "$dir"); spec=$(cat "$dir/spec"); shape=$(cat "$dir/shape")
    base=$(cat "$dir/baseline" 2>/dev/null || echo default)
    [ -f "$dir/$base.json" ] || { echo "prepare: $name has no $base.json"; continue; }
    for trace in "$dir"/*.json; do
      v=$(basename "$trace" .json); out="$PREP/$name/$v"; mkdir -p "$out"
      args=$(cat "$dir/$v.args" 2>/dev/null)
      # shellcheck disable=SC2086  # the .args file holds separate words
      "$KEVC" compile "$spec" --target triton --shape "$shape" --schedule "$trace" --emit triton,torch-ref $args \
        --dump-dir "$out" > "$out.log" 2>&1 || { echo "prepare: $name/$v failed (see $out.log)"; rm -rf "$out"; }
    done
    echo "$base" > "$PREP/$name/baseline"
    for v in $(ls "$PREP/$name" | grep -v -e '\.log$' -e '^baseline$'); do
      [ "$v" = "$base" ] && continue
      if cmp -s <(sed 1,2d "$PREP/$name/$v"/*.triton.py) <(sed 1,2d "$PREP/$name/$base"/*.triton.py); then
        echo "prepare: $name/$v is the baseline's module; left out"; rm -rf "$PREP/$name/$v"
      fi
    done
    echo "$name: $(ls "$PREP/$name" | grep -v -e '\.log$' -e '^baseline$' | tr '\n' ' ')(baseline $base)"
  done
  du -sh "$PREP"
  exit 0
fi

PREP=$(realpath "${2:?PREP_DIR}"); OUT=${3:?OUT_DIR}; LIMIT=${4:-420}
mkdir -p "$OUT"; OUT=$(realpath "$OUT")
export PYTHONPATH="$PWD/python" KEVC_GPU_LOCK=/tmp/kevc-module-ab.lock
START=$(date +%s)
python3 bench/gpu/probe.py before > "$OUT/machine.txt" 2>&1
one() {  # spec variant
  local dir="$PREP/$1" left=$(( START + LIMIT - $(date +%s) )) base
  base=$(cat "$dir/baseline")
  if [ "$left" -lt 25 ]; then echo '{"status": "not run", "reason": "out of time"}' > "$OUT/$1.$2.json"; return; fi
  [ "$left" -gt 240 ] && left=240
  timeout "$left" python3 -m kevc_gpu run --kernel "$dir/$2"/*.triton.py --reference "$dir/$2"/*.ref.py \
    --baseline-kernel "$(ls "$dir/$base"/*.triton.py)" --shape-label bench --trials "${AB_TRIALS:-6}" \
    --timing-calls 50 --timing-seconds 8 --eager-calls 0 --cost-limit-s 0 --timeout $(( left - 10 )) \
    > "$OUT/$1.$2.json" 2> "$OUT/$1.$2.err"
  echo "$1 $2 exit $? ($(( $(date +%s) - START )) s)"
}
export -f one
export OUT PREP START LIMIT
for dir in "$PREP"/*/; do
  name=$(basename "$dir"); base=$(cat "$dir/baseline")
  for v in $(ls "$dir" | grep -v -e '\.log$' -e '^baseline$'); do [ "$v" != "$base" ] && echo "$name $v"; done
done | xargs -P "${AB_JOBS:-3}" -L 1 bash -c 'one "$0" "$1"'
sed -i "s#$PREP/#PREP/#g; s#$PWD/##g" "$OUT"/*.json "$OUT"/*.err 2>/dev/null  # paths relative to the repository or PREP_DIR
python3 - "$OUT" "$PREP" <<'PY'
import json, os, sys
out, prep = sys.argv[1], sys.argv[2]
rows = []
for name in sorted(os.listdir(prep)):
    d = os.path.join(prep, name)
    if not os.path.isdir(d):
        continue
    base = open(os.path.join(d, "baseline")).read().strip()
    for v in sorted(os.listdir(d)):
        if v.endswith(".log") or v in ("baseline", base):
            continue
        path = os.path.join(out, "%s.%s.json" % (name, v))
        try:
            r = json.load(open(path))
        except (OSError, ValueError):
            err = path[:-5] + ".err"
            r = {"status": "no result", "reason": open(err).read()[-300:] if os.path.exists(err) else ""}
        case = (r.get("cases") or [{}])[0] or {}
        t = case.get("timing") or r.get("timing") or {}
        b = r.get("baseline_timing") or case.get("baseline_timing") or {}
        ms, bms = (t.get("median_s") or 0) * 1e3 or None, (b.get("median_s") or 0) * 1e3 or None
        rows.append({"spec": name, "variant": v, "baseline": base, "status": r.get("status"), "ms": ms,
                     "baseline_ms": bms, "speedup": bms / ms if ms and bms else None,
                     "widening": case.get("widening") or r.get("widening"),
                     "reason": (r.get("reason") or r.get("error") or b.get("error") or "")[:200]})
json.dump(rows, open(os.path.join(out, "module-ab.json"), "w"), indent=1)
f = lambda v, p="%.4g": p % v if v else "-"
lines = ["| spec | variant | status | variant ms | baseline | baseline ms | speed-up | reason |",
         "|---|---|---|---|---|---|---|---|"]
lines += ["| %s | %s | %s | %s | %s | %s | %s | %s |" % (r["spec"], r["variant"], r["status"], f(r["ms"]), r["baseline"],
          f(r["baseline_ms"]), f(r["speedup"], "%.2fx"), r["reason"].replace("|", "/").replace("\n", " ")) for r in rows]
lines += ["", "speed-up = baseline median / variant median, timed interleaved in the same worker"]
open(os.path.join(out, "module-ab.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
python3 bench/gpu/probe.py after >> "$OUT/machine.txt" 2>&1
echo "done in $(( $(date +%s) - START )) s"
