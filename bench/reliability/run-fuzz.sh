#!/usr/bin/env bash
# The long fuzzing run of docs/reliability.md: EXECUTIONS inputs per target (spec, ir, trace), each target in its
# own supervised process, with a release build of kevc. Writes fuzz-results-<target>.json here (executions,
# outcomes, crashes, hangs, time, the machine) and saves crashing inputs under fuzz-crashes/.
#   [LABEL=commit-of-KEVC] [SECONDS_LIMIT=s] bench/reliability/run-fuzz.sh [EXECUTIONS] [SEED] [KEVC]
set -euo pipefail
cd "$(dirname "$0")/../.."
executions="${1:-1050000}"
seed="${2:-1}"
kevc="${3:-.build/release/kevc}"
[ -x "$kevc" ] || swift build -c release --product kevc
label="${LABEL:-$(git rev-parse --short HEAD)}"   # LABEL: the commit KEVC was built from
for target in spec ir trace; do
  "$kevc" fuzz --target "$target" --executions "$executions" --seed "$seed" --repository . \
    --crashes bench/reliability/fuzz-crashes --label "$label" \
    --seconds "${SECONDS_LIMIT:-0}" --results "bench/reliability/fuzz-results-$target.json" &
done
wait
