#!/usr/bin/env bash
# The CPU no-seeds search check (issue 15): bench/search/noseeds-check.sh --target llvm (the bench/cpu ops and hand
# traces, the release kevc, --jobs 1; see that script for what it runs and writes).
#   bench/search/cpu-noseeds-check.sh OUT [SECONDS_PER_OP] [OPS]
exec "$(dirname "$0")/noseeds-check.sh" --target llvm "$@"
