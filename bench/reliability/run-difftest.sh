#!/usr/bin/env bash
# The long differential-testing run of docs/reliability.md: PROGRAMS random programs with random legal schedules,
# compiled through LLVM -O3 and compared with the interpreter, with a release build of kevc. Writes
# difftest-results.json here (programs, outcomes, skip list, time, the machine) and saves mismatching or
# crashing programs under difftest-mismatches/.
#   [LABEL=commit-of-KEVC] [SECONDS_LIMIT=s] bench/reliability/run-difftest.sh [PROGRAMS] [SEED] [KEVC]
set -euo pipefail
cd "$(dirname "$0")/../.."
programs="${1:-10000}"
seed="${2:-1}"
kevc="${3:-.build/release/kevc}"
[ -x "$kevc" ] || swift build -c release --product kevc
"$kevc" difftest --programs "$programs" --seed "$seed" --label "${LABEL:-$(git rev-parse --short HEAD)}" \
  --mismatches bench/reliability/difftest-mismatches --results bench/reliability/difftest-results.json \
  --seconds "${SECONDS_LIMIT:-0}"
