#!/usr/bin/env python3
"""Before/after timing of rule 1b (fused rows) on the CPU: one kevc binary, alternated runs.

Each problem is timed with the default schedule (after: rule 1b) and with the trace the default schedule was before
rule 1b (`fused-rows-before/<op>.json`, written by `kevc opt SPEC --shape S --default-schedule llvm
--emit-trace-json` on the commit before it), in alternation, `--rounds` times, one thread, `kevc run --trials 0`.
The binary is the same for both, so the schedule is the only difference. Writes OUT.json with every run and the
medians; bench/kernelbench/cpu-results-fused-rows.md quotes them beside PyTorch's times from `run.py cpu --ops`.

Usage: python3 bench/kernelbench/fused_rows_ab.py OUT --kevc K [--rounds 5] [--iterations 50]
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
BEFORE = os.path.join(ROOT, "bench", "kernelbench", "fused-rows-before")
# The problems whose default CPU schedule the first version of rule 1b changed at the CPU bench shapes of run.py
# (its shape rule). conv2d_instance_norm_divide's statistics are no longer fused (their block is not contiguous in
# h's local storage): its before and after are the same schedule, a control of the machine's noise.
SHAPES = {
    "conv2d_gelu_global_avg_pool": "N=16,C=8,H=16,W=32,F=32,K=3",
    "conv2d_instance_norm_divide": "N=16,C=16,H=16,W=32,F=32,K=3",
    "conv3d_group_norm_mean": "N=16,C=3,D=16,H=16,W=16,G=8,CG=3,K=3",
}
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
NODE = "shared 2-core Intel Xeon VM (AVX-512), other sessions' builds and tests alongside"


def run(kevc: str, spec: str, shape: str | None, trace: str | None, iterations: int) -> float | None:
    cmd = [kevc, "run", os.path.join(ROOT, spec), "--trials", "0", "--iterations", str(iterations), "--repeats", "5"]
    if shape:
        cmd += ["--shape", shape]
    if trace:
        cmd += ["--schedule", trace]
    env = dict(os.environ, KEVC_NUM_THREADS="1")  # kevc's pool on one thread, as run.py cpu --threads 1
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    m = re.search(r"time per call: ([0-9.]+) (us|ms|s)", p.stdout)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def main(problems: dict, before: str, rounds: int = 5) -> None:
    """problems: op -> (spec path from the repository root, shape or None for the spec's dims); before: the folder
    of `<op>.json` traces of the schedule before the rule."""
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--kevc", required=True)
    ap.add_argument("--rounds", type=int, default=rounds)
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--ops", help="comma-separated subset of the problems")
    args = ap.parse_args()
    ops = args.ops.split(",") if args.ops else list(problems)
    runs = {op: {"before": [], "after": []} for op in ops}
    start = time.time()
    load_start = os.getloadavg()
    for r in range(args.rounds):
        for op in ops:
            # Alternate which goes first, so that a load spike does not always fall on the same side.
            order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
            for side in order:
                trace = os.path.join(before, op + ".json") if side == "before" else None
                t = run(args.kevc, *problems[op], trace, args.iterations)
                runs[op][side].append(t)
                print(f"round {r} {op} {side}: {t} ms", flush=True)
    rows = []
    for op in ops:
        b = [t for t in runs[op]["before"] if t is not None]
        a = [t for t in runs[op]["after"] if t is not None]
        rows.append({"op": op, "spec": problems[op][0], "shape": problems[op][1] or "spec dims",
                     "before_ms": runs[op]["before"], "after_ms": runs[op]["after"],
                     "before_median_ms": statistics.median(b) if b else None,
                     "after_median_ms": statistics.median(a) if a else None})
    rep = {"machine": {"processor": platform.processor() or platform.machine(), "cores": os.cpu_count(), "node": NODE},
           "load_average_start": load_start, "load_average_end": os.getloadavg(), "wall_s": round(time.time() - start),
           "rounds": args.rounds, "iterations": args.iterations, "rows": rows}
    with open(args.out, "w") as fh:
        json.dump(rep, fh, indent=1)
    for row in rows:
        print(f"{row['op']:32s} before {row['before_median_ms']} ms  after {row['after_median_ms']} ms")


if __name__ == "__main__":
    main({op: (os.path.join("specs", "kernelbench", op + ".kev"), shape) for op, shape in SHAPES.items()}, BEFORE)
