#!/usr/bin/env bash
# The CuTe DSL target on the GPU without carrying kevc there (issue 18). The DSL's wheels are about 66 MB as xz,
# too much to travel beside the static kevc in one transfer, so the work is split in two:
#   bench/gpu/cute-check.sh prepare PREP_DIR [KEVC]      (here, with Swift: kevc writes every module)
#   bench/gpu/cute-check.sh run PREP_DIR OUT_DIR         (there: no kevc needed, only python/ and the wheels)
# prepare: for every spec under specs/ (the KernelBench corpus included) at its default dims and every trace of lowering/cute/traces (correctness) and for the 12 bench/gpu ops at their bench
#   shapes (timing), `kevc compile --target cute --emit cute,torch-ref` into PREP_DIR/{check,bench}/NAME/.
# run: the DSL from $KEVC_CUTE_SITE (a folder of the unpacked wheels; or the parts of cute-site.tar.xz in
#   $KEVC_CUTE_PARTS, joined and unpacked to /tmp/kevc-cute-site), then the harness's protocol on each prepared pair
#   (python3 -m kevc_gpu run: poisoned outputs, several distributions, float64 reference; the bench shapes timed):
#   writes OUT_DIR/{cute-check.json, cute-check.md, machine.txt}.
# The wheels: nvidia-cutlass-dsl, -libs-base, -libs-core, -libs-cu13 4.8.1 (cp312, manylinux_2_28), unzipped into one
# folder, `tar cf - -C folder . | xz -9 > cute-site.tar.xz`, `split -b 33100000` (docs/targets.md).
set -uo pipefail
MODE=${1:?usage: bench/gpu/cute-check.sh prepare PREP_DIR [KEVC] | run PREP_DIR OUT_DIR}
PREP=${2:?PREP_DIR}
cd "$(dirname "$0")/../.."
OPS="matmul_bf16 matmul_bias_gelu conv1d conv2d depthwise_conv1d fm_interaction attention layernorm softmax rmsnorm rmsnorm_backward jagged_truncate"
spec_of() { case "$1" in matmul_bf16) echo bench/gpu/specs/matmul_bf16.kev ;; *) echo "specs/$1.kev" ;; esac; }
shape_of() { grep -m1 -oP '^\s*bench\s+\K.*' "$1" | sed 's/#.*//; s/ //g'; }

if [ "$MODE" = prepare ]; then
  KEVC=${3:-.build/debug/kevc}
  # KEVC_CUTE_MMA=sm80 prepares every dot on the SM80 atoms instead of the default (kevc --cute-mma auto: wgmma
  # for sm_90a where the tile allows).
  kevc() { "$KEVC" "$1" --cute-mma "${KEVC_CUTE_MMA:-auto}" "${@:2}"; }
  # KEVC_CUTE_ONLY=REGEX prepares only the specs, traces and ops whose name matches (e.g. the dots:
  # 'matmul|conv1d|attention|fm_interaction|conv2d').
  only() { echo "$1" | grep -qE "${KEVC_CUTE_ONLY:-.}"; }
  mkdir -p "$PREP/check" "$PREP/bench"
  for spec in $(find specs -name '*.kev' | sort); do  # specs/ and its corpus (specs/kernelbench/NAME: kernelbench.NAME)
    name=$(echo "${spec#specs/}" | tr / . | sed 's/\.kev$//')
    only "$name" || continue
    kevc compile "$spec" --target cute --emit cute,torch-ref --dump-dir "$PREP/check/$name" > "$PREP/check/$name.log" 2>&1 \
      || echo "prepare: $spec failed (see $PREP/check/$name.log)"
  done
  for t in lowering/cute/traces/*.trace; do  # SPEC.NAME.trace: the spec under that schedule (the tf32 cute.gemm)
    name=$(basename "$t" .trace)
    only "$name" || continue
    # The traces' tf32 dot needs the accuracy contract `high` (a schedule never raises matmul_precision).
    kevc compile "specs/${name%%.*}.kev" --target cute --schedule "$t" --matmul-precision high --emit cute,torch-ref --dump-dir "$PREP/check/$name" \
      > "$PREP/check/$name.log" 2>&1 || echo "prepare: $t failed (see $PREP/check/$name.log)"
  done
  for op in $OPS; do
    only "$op" || continue
    spec=$(spec_of "$op")
    kevc compile "$spec" --target cute --shape "$(shape_of "$spec")" --emit cute,torch-ref --dump-dir "$PREP/bench/$op" \
      > "$PREP/bench/$op.log" 2>&1 || echo "prepare: $op at its bench shape failed (see $PREP/bench/$op.log)"
  done
  du -sh "$PREP"
  exit 0
fi

OUT=${3:?usage: bench/gpu/cute-check.sh run PREP_DIR OUT_DIR}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
PREP=$(realpath "$PREP")
export PYTHONPATH="$PWD/python"
. bench/gpu/cute-site.sh
kevc_cute_machine > "$OUT/machine.txt" 2>&1
check() {  # kind name dir extra...
  local kind=$1 name=$2 dir=$3; shift 3
  timeout 240 python3 -m kevc_gpu run --kernel "$dir"/*.cute.py --reference "$dir"/*.ref.py --shape-label "$kind" \
    --timeout 200 "$@" > "$OUT/$kind-$name.json" 2> "$OUT/$kind-$name.err"
  echo "$kind $name exit $?"
}
export -f check
export OUT
ls "$PREP/check" | grep -v '\.log$' | xargs -P "${KEVC_CHECK_JOBS:-6}" -I{} bash -c 'check check {} "'"$PREP"'/check/{}" --trials 3 --timing-calls 0 --eager-calls 0'
for op in $(ls "$PREP/bench" | grep -v '\.log$'); do
  check bench "$op" "$PREP/bench/$op" --trials 1 --timing-calls 50 --timing-seconds 10
done
python3 - "$OUT" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
rows = []
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    if path.endswith("cute-check.json"):
        continue
    kind, name = os.path.basename(path)[:-5].split("-", 1)
    try:
        r = json.load(open(path))
    except ValueError:
        err = open(path[:-5] + ".err").read()[-300:] if os.path.exists(path[:-5] + ".err") else ""
        r = {"status": "no result", "reason": err}
    timing = ((r.get("cases") or [{}])[0] or {}).get("timing") or {}
    rows.append({"kind": kind, "name": name, "status": r.get("status"), "median_ms": (timing.get("median_s") or 0) * 1e3 or None,
                 "reason": (r.get("reason") or r.get("error") or "")[:200]})
json.dump(rows, open(os.path.join(out, "cute-check.json"), "w"), indent=1)
lines = ["| kind | spec | status | median ms | reason |", "|---|---|---|---|---|"]
lines += ["| %s | %s | %s | %s | %s |" % (r["kind"], r["name"], r["status"], "%.4g" % r["median_ms"] if r["median_ms"] else "-",
                                          r["reason"].replace("|", "/").replace("\n", " ")) for r in rows]
ok = sum(r["status"] == "ok" for r in rows if r["kind"] == "check")
lines += ["", "check: %d of %d specs ok" % (ok, sum(r["kind"] == "check" for r in rows))]
open(os.path.join(out, "cute-check.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
