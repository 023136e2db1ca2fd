#!/usr/bin/env bash
# Session 2026-12-07 (night), call A: (1) module A/B of prep14 (h68 rule 2c, sketch staged-wide on the f32 convs,
# h67 matmul_precision high) and torch.compile of rmsnorm_backward; (2) program order A/B (grid-swap) on 13
# memory-bound corpus problems, one trial each; (3) racing throughput, "every" against "race".
cd "$(dirname "$0")/../../.."
S=$(date +%s); AB=${AB_SECONDS:-170}
nvidia-smi --query-gpu=name,clocks.sm,memory.used --format=csv > $OUT/gpu.txt 2>&1
tar xJf bench/gpu/kevc-static-prep/prep14.tar.xz -C bench/gpu/kevc-static-prep/
tar xJf bench/gpu/kevc-static-prep/prep15.tar.xz -C bench/gpu/kevc-static-prep/
AB_JOBS=5 timeout $(( AB + 20 )) bash bench/gpu/module-ab.sh run bench/gpu/kevc-static-prep/ab-call4 $OUT/ab $AB > $OUT/ab.log 2>&1
cut -c1-150 $OUT/ab/module-ab.md | grep -v "^| 1-h68" | head -40; grep "^| 1-h68" $OUT/ab/module-ab.md | cut -c1-120
timeout 40 python3 bench/gpu/baselines.py $OUT/baselines.json --calls 50 --only rmsnorm_backward > $OUT/baselines.log 2>&1; tail -2 $OUT/baselines.log
(cd $OUT && tar czf ab.tgz ab ab.log baselines.json baselines.log && rm -rf ab ab.log)
echo "A/B done at $(( $(date +%s) - S )) s"
GO=${GO_SECONDS:-120}
AB_TRIALS=1 AB_JOBS=3 timeout $(( GO + 20 )) bash bench/gpu/module-ab.sh run bench/gpu/kevc-static-prep/ab-gridorder $OUT/go $GO > $OUT/go.log 2>&1
cut -c1-160 $OUT/go/module-ab.md | head -30
(cd $OUT && tar czf go.tgz go go.log && rm -rf go go.log)
echo "grid order done at $(( $(date +%s) - S )) s"
LEFT=$(( ${CALL_SECONDS:-570} - ($(date +%s) - S) - 15 ))
THROUGHPUT_CHECK_MODES="every race" THROUGHPUT_OPS="${TP_OPS:-rmsnorm softmax layernorm matmul}" THROUGHPUT_SECONDS=${TP_SECONDS:-25} THROUGHPUT_TOTAL_SECONDS=$LEFT \
  THROUGHPUT_SWEEP="" timeout $(( LEFT + 10 )) bash bench/search/throughput.sh /tmp/tp > $OUT/tp.log 2>&1
tail -15 $OUT/tp.log; cat /tmp/tp/throughput.md 2>/dev/null | cut -c1-400
cp -r /tmp/tp $OUT/tp; find $OUT/tp -name '*.db-shm' -delete
(cd $OUT && tar czf tp.tgz tp tp.log && rm -rf tp tp.log)
ls $OUT; echo "call: $(( $(date +%s) - S )) s"
