#!/bin/bash
# Replays every committed GPU search database through the cost models (`kevc db cost-model`), each from a copy
# (opening a database leaves -wal/-shm files beside it). Usage, from the repository root:
#   bench/search/cost-model-dot-2026-12-07/replay.sh [KEVC] > OUT.txt
# KEVC defaults to .build/debug/kevc. Deterministic: no device, no timing (the measured times are the databases').
set -euo pipefail
kevc=${1:-.build/debug/kevc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in bench/search/gpu-h200/run-a/search.db bench/search/gpu-h200/run-b/search.db \
  bench/search/gpu-h100-noseeds/search.db bench/search/noseeds-h100-2026-12-07/search.db \
  bench/kernelbench/results-h100-2026-12-07b-search/search/*.db; do
  rm -f "$tmp"/x.db*
  cp "$f" "$tmp/x.db"
  echo "## $f"
  "$kevc" db cost-model --db "$tmp/x.db"
done
