#!/usr/bin/env bash
# One GPU call that checks a session's work in under 9.5 minutes (each part capped, results written as they come):
#   bench/gpu/session-check.sh OUT_DIR
# 1. attention: the fused trace (FlashAttention-2 from the IR) vs SDPA and torch.compile (rewrites-check --attention);
# 2. the KernelBench corpus's default schedules at their bench shapes for SESSION_KB_OPS (default: all 67), with
#    eager and torch.compile beside them: SESSION_KB_MODE=defaults (the default) evaluates each default with
#    `kevc run --with-default-shape` in one shared warm-worker server (run.py gpu --defaults-only);
#    SESSION_KB_MODE=search runs short searches instead (SESSION_KB_BUDGET, SESSION_KB_SEARCH_SECONDS, the same
#    shared server; SESSION_KB_PART=i/n for a share of the corpus);
# 3. evaluation throughput (bench/search/throughput.sh) on SESSION_TP_OPS, SESSION_TP_SECONDS each, no sweep;
# 4. HIP compiled as CUDA through the harness on every spec of specs/ (kevc run --target hip);
# 5. bench/search/multigpu.sh on this host's GPUs (one GPU: the script's modes agree; Ray where installed).
# Parts not in the default set:
#   argreduce: bench/gpu/argreduce-check.sh (every arg-reduction at its bench shape, Triton) and the probe
#            bench/gpu/probes/argreduce_variants.py (one-change variants of the 67c1d8a argmax module);
#   variants: bench/gpu/sketch-variants.sh run SESSION_VARIANTS_PREP (prepared here): defaults beside sketches;
#   targets: bench/gpu/targets-check.sh with KEVC_TARGETS (default "triton hip"): every spec of specs/ (the corpus
#            included) through the harness per target, then the 12 bench/gpu ops timed per target (SESSION_TARGETS_SECONDS);
#   cute:    bench/gpu/cute-check.sh run SESSION_CUTE_PREP (prepared here with Swift; the DSL's wheels from
#            $KEVC_CUTE_PARTS), its per-module results as one .tgz;
#   mfma:    bench/gpu/mfma-check.sh (the HIP matrix-tile traces, portable path on NVIDIA);
#   noseeds: bench/search/noseeds-check.sh for SESSION_NOSEEDS_OPS, SESSION_NOSEEDS_SECONDS each;
#   tf32x3:  bench/gpu/tf32x3-check.sh run SESSION_TF32X3_PREP (prepared here: two kevcs' Triton modules of the
#            tf32x3 specs, checked side by side, all six input distributions), SESSION_TF32X3_SECONDS.
# Each part's results land in OUT_DIR/<part>.* (text, and the kernelbench logs as one .tgz; at most 8 files come
# back from a device call).
# SESSION_PARTS picks parts (default "attention kernelbench throughput hip multigpu").
set -uo pipefail
OUT=${1:?usage: bench/gpu/session-check.sh OUT_DIR}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
cd "$(dirname "$0")/../.."
. bench/gpu/kevc-binary.sh
export KEVC
T0=$(date +%s)
say() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$OUT/session.log"; }

PARTS=" ${SESSION_PARTS:-attention kernelbench throughput hip multigpu} "
want() { [[ "$PARTS" == *" $1 "* ]]; }

if want attention; then
say "attention"
timeout "${SESSION_ATT_SECONDS:-150}" bench/gpu/rewrites-check.sh /tmp/sc-att --attention > /tmp/sc-att.log 2>&1
say "attention exit $?"
cp /tmp/sc-att/rewrites.md "$OUT/attention.md" 2>/dev/null; tail -5 /tmp/sc-att.log >> "$OUT/session.log"
fi

if want argreduce; then
say "argreduce"
timeout "${SESSION_ARG_SECONDS:-150}" bench/gpu/argreduce-check.sh /tmp/sc-arg triton > /tmp/sc-arg.log 2>&1
say "argreduce exit $?"
cp /tmp/sc-arg/argreduce.txt "$OUT/argreduce.txt" 2>/dev/null
timeout "${SESSION_ARG_PROBE_SECONDS:-90}" python3 bench/gpu/probes/argreduce_variants.py \
  bench/gpu/probes/argmax-4096x32000-67c1d8a.py /tmp/sc-arg/variants.json > /tmp/sc-arg/variants.log 2>&1
say "argreduce probe exit $?"
tail -20 /tmp/sc-arg/variants.log >> "$OUT/session.log"
tar czf "$OUT/argreduce.tgz" -C /tmp/sc-arg . 2>/dev/null
fi

if want variants; then
say "variants"
timeout $(( ${SESSION_VARIANTS_SECONDS:-200} + 30 )) bench/gpu/sketch-variants.sh run "${SESSION_VARIANTS_PREP:?SESSION_VARIANTS_PREP}" \
  /tmp/sc-var "${SESSION_VARIANTS_SECONDS:-200}" > /tmp/sc-var.log 2>&1
say "variants exit $?"
cp /tmp/sc-var/variants.md "$OUT/variants.md" 2>/dev/null; cp /tmp/sc-var/variants.txt "$OUT/variants.txt" 2>/dev/null
fi

if want targets; then
say "targets"
KEVC_TARGETS=${KEVC_TARGETS:-"triton hip"} KEVC_CHECK_JOBS=${KEVC_CHECK_JOBS:-16} KEVC_TARGETS_SECONDS=${SESSION_TARGETS_SECONDS:-300} \
  timeout $(( ${SESSION_TARGETS_SECONDS:-300} + 30 )) bench/gpu/targets-check.sh /tmp/sc-tg > /tmp/sc-tg.log 2>&1
say "targets exit $?"
tail -12 /tmp/sc-tg.log >> "$OUT/session.log"
tar czf "$OUT/targets.tgz" -C /tmp/sc-tg . 2>/dev/null
fi

if want cute; then
say "cute"
timeout "${SESSION_CUTE_SECONDS:-300}" bench/gpu/cute-check.sh run "${SESSION_CUTE_PREP:?SESSION_CUTE_PREP}" /tmp/sc-cute > /tmp/sc-cute.log 2>&1
say "cute exit $?"
tail -4 /tmp/sc-cute.log >> "$OUT/session.log"
cp /tmp/sc-cute/cute-check.md "$OUT/cute-check.md" 2>/dev/null
tar czf "$OUT/cute.tgz" -C /tmp/sc-cute . 2>/dev/null
fi

if want tf32x3; then
say "tf32x3"
timeout $(( ${SESSION_TF32X3_SECONDS:-200} + 30 )) bench/gpu/tf32x3-check.sh run "${SESSION_TF32X3_PREP:?SESSION_TF32X3_PREP}" \
  /tmp/sc-t3 "${SESSION_TF32X3_SECONDS:-200}" > /tmp/sc-t3.log 2>&1
say "tf32x3 exit $?"
tail -12 /tmp/sc-t3.log >> "$OUT/session.log"
tar czf "$OUT/tf32x3.tgz" -C /tmp/sc-t3 . 2>/dev/null
fi

if want mfma; then
say "mfma"
timeout "${SESSION_MFMA_SECONDS:-120}" bench/gpu/mfma-check.sh /tmp/sc-mfma > /tmp/sc-mfma.log 2>&1
say "mfma exit $?"
cp /tmp/sc-mfma/mfma-check.txt "$OUT/mfma-check.txt" 2>/dev/null
fi

if want noseeds; then
say "noseeds"
DEADLINE=${SESSION_NOSEEDS_DEADLINE:-150} timeout "${SESSION_NOSEEDS_TOTAL:-240}" bench/search/noseeds-check.sh /tmp/sc-ns \
  "${SESSION_NOSEEDS_SECONDS:-60}" "${SESSION_NOSEEDS_OPS:-matmul_bf16 rmsnorm}" > /tmp/sc-ns.log 2>&1
say "noseeds exit $?"
tail -6 /tmp/sc-ns.log >> "$OUT/session.log"
tar czf "$OUT/noseeds.tgz" -C /tmp/sc-ns --exclude search.db . 2>/dev/null
fi

if want kernelbench; then
KB_OPS=${SESSION_KB_OPS:-}
KB_DEADLINE=${SESSION_KB_DEADLINE:-200}
KB_MODE=${SESSION_KB_MODE:-defaults}
rm -rf /tmp/sc-kb
say "kernelbench $KB_MODE"
if [ "$KB_MODE" = defaults ]; then
  KB_ARGS=(--defaults-only --parallel "${SESSION_KB_PARALLEL:-4}" --compile-ahead "${SESSION_KB_COMPILE_AHEAD:-3}"
           --case-timeout "${SESSION_KB_CASE_TIMEOUT:-60}")
else
  KB_ARGS=(--budget "${SESSION_KB_BUDGET:-1}" --search-seconds "${SESSION_KB_SEARCH_SECONDS:-10}"
           --parallel "${SESSION_KB_PARALLEL:-3}" --jobs "${SESSION_KB_JOBS:-1}" --case-timeout 45
           ${SESSION_KB_PART:+--part "$SESSION_KB_PART"})
fi
timeout "${SESSION_KB_SECONDS:-270}" bench/kernelbench/run.sh /tmp/sc-kb ${KB_OPS:+--ops "$KB_OPS"} "${KB_ARGS[@]}" \
  --deadline "$KB_DEADLINE" --hard-stop "${SESSION_KB_HARD_STOP:-$(( KB_DEADLINE + 40 ))}" --calls 20 \
  --baseline-procs "${SESSION_KB_BASELINE_PROCS:-3}" > /tmp/sc-kb.log 2>&1
say "kernelbench exit $?"
cp /tmp/sc-kb/results.md "$OUT/kernelbench.md" 2>/dev/null; cp /tmp/sc-kb/results.json "$OUT/kernelbench.json" 2>/dev/null
grep ' default: ' /tmp/sc-kb/run.log | tail -70 >> "$OUT/session.log"
# Where each default's time went (the harness's summaries: phases per case; the searches' logs and exports:
# phase_seconds per evaluation), the server's and baselines' logs, in one archive: they stay on the device otherwise.
(cd /tmp/sc-kb && tar czf "$OUT/kernelbench-logs.tgz" run.log machine.txt server.log baselines-*.log baselines.json \
  $(ls defaults/*.json search/*.log search/*.json 2>/dev/null))
fi

if want throughput; then
say "throughput"
THROUGHPUT_OPS=${SESSION_TP_OPS:-"rmsnorm softmax matmul attention"} THROUGHPUT_SECONDS=${SESSION_TP_SECONDS:-25} \
  THROUGHPUT_SWEEP_SECONDS=0 THROUGHPUT_TOTAL_SECONDS=${SESSION_TP_TOTAL:-150} \
  timeout $(( ${SESSION_TP_TOTAL:-150} + 60 )) bench/search/throughput.sh /tmp/sc-tp > /tmp/sc-tp.log 2>&1
say "throughput exit $?"
cp /tmp/sc-tp/throughput.md "$OUT/throughput.md" 2>/dev/null
fi

if want hip; then
say "hip as cuda"
mkdir -p /tmp/sc-hip
ls specs/*.kev | timeout "${SESSION_HIP_SECONDS:-60}" xargs -P 8 -I{} bash -c \
  'n=$(basename {} .kev); timeout 50 "$KEVC" run {} --target hip --trials 2 --iterations 0 --gpu-timeout 45 > /tmp/sc-hip/$n.txt 2>&1; echo "$n rc=$? $(grep -m1 -o "on [a-z]*" /tmp/sc-hip/$n.txt) $(tail -1 /tmp/sc-hip/$n.txt)"' \
  | sort > "$OUT/hip.txt"
say "hip: $(grep -c 'rc=0' "$OUT/hip.txt") of $(ls specs/*.kev | wc -l) exit 0"
fi

left=$(( ${SESSION_TOTAL:-540} - ($(date +%s) - T0) ))
if ! want multigpu; then
  :
elif [ "$left" -gt 90 ]; then
  say "multigpu ($left s left)"
  MULTIGPU_JOBS_PER_GPU=2 timeout $(( left - 10 )) bench/search/multigpu.sh /tmp/sc-mg 20 "rmsnorm" > /tmp/sc-mg.log 2>&1
  say "multigpu exit $?"
  cp /tmp/sc-mg/multigpu.md "$OUT/multigpu.md" 2>/dev/null
else
  say "multigpu: not run ($left s left)"
fi
say "done"
