#!/usr/bin/env python3
"""Before/after timing of rule 1c (an elementwise definition's short rows fused with the axis outside them) on the
CPU: one kevc binary, alternated runs.

Each problem is timed with the default schedule (after: rule 1c) and with the trace the default schedule was before
rule 1c (`fused-parallel-rows-before/<op>.json`, written by `kevc opt SPEC --shape S --default-schedule llvm
--emit-trace-json` on main bf3957c), in alternation (the order flips every round), `--rounds` times, one thread,
`kevc run --trials 0`. The binary is the same for both, so the schedule is the only difference. Writes OUT.json with
every run and the medians; bench/kernelbench/cpu-results-fused-parallel-rows.md quotes them.

Usage: python3 bench/kernelbench/fused_parallel_rows_ab.py OUT --kevc K [--rounds 7] [--iterations 50]
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEFORE = os.path.join(ROOT, "bench", "kernelbench", "fused-parallel-rows-before")
# The KernelBench problems whose default CPU schedule rule 1c changes at the CPU bench shapes of run.py (its shape
# rule; the shapes of cpu-results-2026-12-07-h50.md), the elementwise spec over short rows it was made for, and
# conv2d_relu_bias_add's epilogue alone (relu_bias_rows: cheap per element, rows of 30), and KernelBench's gelu_tanh
# at a shape of short rows (not its bench shape, whose rows are 8192 long).
PROBLEMS = {
    "conv2d_relu_bias_add": ("specs/kernelbench/conv2d_relu_bias_add.kev", "N=16,C=16,H=16,W=32,F=32,K=3"),
    "gelu_rows": ("bench/cpu/fused-row-axes/gelu_rows.kev", None),
    "relu_bias_rows": ("bench/cpu/fused-row-axes/relu_bias_rows.kev", None),
    "gelu_tanh_rows": ("specs/kernelbench/gelu_tanh.kev", "B=16384,D=30"),
}
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def run(kevc: str, op: str, trace: str | None, iterations: int) -> float | None:
    spec, shape = PROBLEMS[op]
    cmd = [kevc, "run", os.path.join(ROOT, spec), "--trials", "0", "--iterations", str(iterations), "--repeats", "5"]
    if shape:
        cmd += ["--shape", shape]
    if trace:
        cmd += ["--schedule", trace]
    env = dict(os.environ, KEVC_NUM_THREADS="1")  # kevc's pool on one thread, as run.py cpu --threads 1
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    m = re.search(r"time per call: ([0-9.]+) (us|ms|s)", p.stdout)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--kevc", required=True)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--ops", help="comma-separated subset of the problems")
    args = ap.parse_args()
    ops = args.ops.split(",") if args.ops else list(PROBLEMS)
    runs = {op: {"before": [], "after": []} for op in ops}
    start = time.time()
    load_start = os.getloadavg()
    for r in range(args.rounds):
        for op in ops:
            # Alternate which goes first, so that a load spike does not always fall on the same side.
            order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
            for side in order:
                trace = os.path.join(BEFORE, op + ".json") if side == "before" else None
                t = run(args.kevc, op, trace, args.iterations)
                runs[op][side].append(t)
                print(f"round {r} {op} {side}: {t} ms", flush=True)
    rows = []
    for op in ops:
        b = [t for t in runs[op]["before"] if t is not None]
        a = [t for t in runs[op]["after"] if t is not None]
        rows.append({"op": op, "spec": PROBLEMS[op][0], "shape": PROBLEMS[op][1] or "spec dims",
                     "before_ms": runs[op]["before"], "after_ms": runs[op]["after"],
                     "before_median_ms": statistics.median(b) if b else None,
                     "after_median_ms": statistics.median(a) if a else None})
    rep = {"machine": {"processor": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                       "node": "shared 2-core Intel Xeon VM (AVX-512), other sessions' builds and tests alongside"},
           "load_average_start": load_start, "load_average_end": os.getloadavg(), "wall_s": round(time.time() - start),
           "rounds": args.rounds, "iterations": args.iterations, "rows": rows}
    with open(args.out, "w") as fh:
        json.dump(rep, fh, indent=1)
    for row in rows:
        print(f"{row['op']:32s} before {row['before_median_ms']} ms  after {row['after_median_ms']} ms")


if __name__ == "__main__":
    main()
