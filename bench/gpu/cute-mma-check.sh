#!/usr/bin/env bash
# The CuTe DSL's contractions on the GPU, SM80 atoms against Hopper's wgmma (issue 18), without kevc there. Two calls,
# as bench/gpu/cute-check.sh (the DSL's wheels travel in parts, bench/gpu/cute-site.sh):
#   bench/gpu/cute-mma-check.sh prepare PREP_DIR [KEVC]    (here, with Swift: kevc writes every module)
#   bench/gpu/cute-mma-check.sh run PREP_DIR OUT_DIR       (there: python/, the wheels and PREP_DIR only)
# prepare: every contraction spec (specs/ with its corpus and bench/gpu/specs: those whose CuTe plan puts a dot on
#   cute.gemm at their default or bench shape, found from `--emit plan`, no list of names) and every trace of
#   lowering/cute/traces, each at its default shape and at its bench shape (the spec's `bench` line), written as
#   PREP_DIR/CASE/{sm80,wgmma,triton}/ (kevc compile --target cute --cute-mma sm80|wgmma, and --target triton,
#   the default schedule; each with its float64 torch reference).
# run: each case's sm80 and wgmma modules through the harness (python3 -m kevc_gpu run: poisoned outputs, three
#   trials over the input distributions, float64 reference shared by both through the reference cache), each timed
#   interleaved with the Triton module of the same case (--baseline-kernel): writes OUT_DIR/{cute-mma-check.json,
#   cute-mma-check.md, machine.txt, CASE.MMA.json}: status and median ms of sm80 and wgmma, and each one's ratio to
#   the Triton default timed beside it. Default shapes first; stops starting cases after $KEVC_MMA_SECONDS (default
#   430) so that the whole run ends inside 500 s.
set -uo pipefail
MODE=${1:?usage: bench/gpu/cute-mma-check.sh prepare PREP_DIR [KEVC] | run PREP_DIR OUT_DIR}
PREP=${2:?PREP_DIR}
cd "$(dirname "$0")/../.."
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }

if [ "$MODE" = prepare ]; then
  KEVC=$(realpath "${3:-.build/debug/kevc}")
  mkdir -p "$PREP"
  PREP=$(realpath "$PREP")
  # One case: name, spec, shape label, shape ('' for the default), extra kevc options (a schedule).
  write() {
    local name=$1 spec=$2 label=$3 shape=$4; shift 4
    local dir="$PREP/$name.$label" opts=()
    [ -n "$shape" ] && opts=(--shape "$shape")
    # Only where a dot goes through cute.gemm at this shape.
    "$KEVC" compile "$spec" --target cute --cute-mma sm80 "${opts[@]}" "$@" --emit plan -o - 2>/dev/null \
      | grep -q 'as cute.gemm instead' || return 0
    for mma in sm80 wgmma; do
      "$KEVC" compile "$spec" --target cute --cute-mma "$mma" "${opts[@]}" "$@" --emit cute,torch-ref --dump-dir "$dir/$mma" \
        > "$dir.$mma.log" 2>&1 || echo "prepare: $name $label $mma failed (see $dir.$mma.log)"
    done
    "$KEVC" compile "$spec" --target triton "${opts[@]}" --emit triton,torch-ref --dump-dir "$dir/triton" \
      > "$dir.triton.log" 2>&1 || echo "prepare: $name $label triton failed (see $dir.triton.log)"
  }
  for spec in $(find specs bench/gpu/specs -name '*.kev' | sort); do
    name=$(echo "$spec" | sed 's#^specs/##; s#^bench/gpu/specs/##; s#\.kev$##' | tr / .)
    write "$name" "$spec" default ""
    shape=$(shape_of "$spec")
    [ -n "$shape" ] && write "$name" "$spec" bench "$shape"
  done
  for t in lowering/cute/traces/*.trace; do  # SPEC.NAME.trace: the spec under that schedule
    name=$(basename "$t" .trace)
    spec="specs/${name%%.*}.kev"
    # The traces' tf32 dot needs the accuracy contract `high` (a schedule never raises matmul_precision).
    write "$name" "$spec" default "" --schedule "$t" --matmul-precision high
    shape=$(shape_of "$spec")
    [ -n "$shape" ] && write "$name" "$spec" bench "$shape" --schedule "$t" --matmul-precision high
  done
  ls "$PREP" | grep -v '\.log$'
  du -sh "$PREP"
  exit 0
fi

OUT=${3:?usage: bench/gpu/cute-mma-check.sh run PREP_DIR OUT_DIR}
START=$(date +%s)
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
PREP=$(realpath "$PREP")
export PYTHONPATH="$PWD/python"
. bench/gpu/cute-site.sh
kevc_cute_machine > "$OUT/machine.txt" 2>&1
DEADLINE=$(( START + ${KEVC_MMA_SECONDS:-430} ))
check() {  # case mma
  local case=$1 mma=$2 dir="$PREP/$1" left=$(( DEADLINE - $(date +%s) ))
  if [ "$left" -lt 20 ]; then echo '{"status": "not run", "reason": "out of time"}' > "$OUT/$case.$mma.json"; return; fi
  [ "$left" -gt 200 ] && left=200
  timeout "$left" python3 -m kevc_gpu run --kernel "$dir/$mma"/*.cute.py --reference "$dir/$mma"/*.ref.py \
    --baseline-kernel "$(ls "$dir"/triton/*.triton.py)" --shape-label "$case" --trials 3 --timing-calls 50 \
    --timing-seconds 5 --eager-calls 0 --cost-limit-s 0 --seed 7 --reuse-references --reference-cache /tmp/kevc-mma-references \
    --timeout $(( left - 10 )) > "$OUT/$case.$mma.json" 2> "$OUT/$case.$mma.err"
  echo "$case $mma exit $? ($(( $(date +%s) - START )) s)"
}
export -f check
export OUT PREP START DEADLINE
# Default shapes first (small), then the bench shapes; the harness's device lock keeps the timed calls exclusive.
{ ls "$PREP" | grep -v '\.log$' | grep '\.default$'; ls "$PREP" | grep -v '\.log$' | grep '\.bench$'; } \
  | while read -r c; do echo "$c sm80"; echo "$c wgmma"; done \
  | xargs -P "${KEVC_CHECK_JOBS:-3}" -L 1 bash -c 'check "$0" "$1"'
python3 - "$OUT" "$PREP" <<'PY'
import json, os, sys
out, prep = sys.argv[1], sys.argv[2]
cases = sorted(c for c in os.listdir(prep) if not c.endswith(".log"))
cases = [c for c in cases if c.endswith(".default")] + [c for c in cases if c.endswith(".bench")]
rows = []
def one(case, mma):
    path = os.path.join(out, "%s.%s.json" % (case, mma))
    try:
        r = json.load(open(path))
    except (OSError, ValueError):
        err = path[:-5] + ".err"
        return {"status": "no result", "ms": None, "triton_ms": None, "ratio": None,
                "reason": open(err).read()[-300:] if os.path.exists(err) else ""}
    t = ((r.get("cases") or [{}])[0] or {}).get("timing") or r.get("timing") or {}
    b = r.get("baseline_timing") or ((r.get("cases") or [{}])[0] or {}).get("baseline_timing") or {}
    ms = (t.get("median_s") or 0) * 1e3 or None
    tri = (b.get("median_s") or 0) * 1e3 or None
    return {"status": r.get("status"), "ms": ms, "triton_ms": tri, "ratio": ms / tri if ms and tri else None,
            "reason": (r.get("reason") or r.get("error") or b.get("error") or "")[:200]}
for c in cases:
    rows.append({"case": c, "sm80": one(c, "sm80"), "wgmma": one(c, "wgmma")})
json.dump(rows, open(os.path.join(out, "cute-mma-check.json"), "w"), indent=1)
f = lambda v, p="%.4g": p % v if v else "-"
lines = ["| case | sm80 | sm80 ms | sm80 / triton | wgmma | wgmma ms | wgmma / triton | triton ms | reason |",
         "|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    s, w = r["sm80"], r["wgmma"]
    why = "; ".join(x for x in (s["reason"], w["reason"]) if x).replace("|", "/").replace("\n", " ")
    lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        r["case"], s["status"], f(s["ms"]), f(s["ratio"], "%.2fx"), w["status"], f(w["ms"]), f(w["ratio"], "%.2fx"),
        f(w["triton_ms"] or s["triton_ms"]), why[:200]))
ok = lambda k: sum(r[k]["status"] == "ok" for r in rows)
lines += ["", "ok: sm80 %d of %d, wgmma %d of %d" % (ok("sm80"), len(rows), ok("wgmma"), len(rows))]
open(os.path.join(out, "cute-mma-check.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
rm -rf /tmp/kevc-mma-references
echo "done in $(( $(date +%s) - START )) s"
