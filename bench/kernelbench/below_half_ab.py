#!/usr/bin/env python3
"""Before/after timing of branch h63's CPU rules (issue 15: the problems below 0.5x PyTorch): one kevc binary,
alternated runs.

Each problem is timed with the default schedule (after) and with the trace the default schedule was on main 9a06972
(`below-half-before/<op>.json`, written by `kevc opt SPEC --shape S --default-schedule llvm --emit-trace-json` with
main's binary), in alternation (the order flips every round), `--rounds` times, one thread, `kevc run --trials 0`.
The binary is the same for both, so the schedule is the only difference. Writes OUT.json with every run and the
medians; bench/kernelbench/cpu-results-below-half.md quotes them.

Usage: python3 bench/kernelbench/below_half_ab.py OUT --kevc K [--rounds 7] [--iterations 50] [--ops a,b]
"""
import json
import os

from fused_rows_ab import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEFORE = os.path.join(ROOT, "bench", "kernelbench", "below-half-before")
# The KernelBench problems whose default CPU schedule branch h63 changes at the CPU bench shapes of run.py (the
# shapes of cpu-results-2026-12-07-h50.json), listed in below-half-before/.
RESULTS = os.path.join(ROOT, "bench", "kernelbench", "cpu-results-2026-12-07-h50.json")
SHAPES = {r["op"]: r["shape"] for r in json.load(open(RESULTS))["rows"]}
PROBLEMS = {
    op: (os.path.join("specs", "kernelbench", op + ".kev"), SHAPES[op])
    for op in sorted(f[:-5] for f in os.listdir(BEFORE) if f.endswith(".json"))
}


if __name__ == "__main__":
    main(PROBLEMS, BEFORE, rounds=7)
