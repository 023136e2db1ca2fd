#!/usr/bin/env python3
"""Before/after timing of a lowering change on the CPU: two kevc binaries, alternated runs, every corpus problem.

Each problem of the KernelBench corpus is timed at its CPU shape (those of cpu-results-2026-12-07-h50.json) with
its default schedule by binary A (before) and binary B (after), in alternation (the order flips every round),
`--rounds` times, one thread, `kevc run --trials 0`. The schedule is the same (the change is in the lowering), so
the binary is the only difference. Writes OUT.json with every run and the medians.

Usage: python3 bench/kernelbench/binary_ab.py OUT --before A --after B [--rounds 3] [--iterations 10] [--ops a,b]
"""
import argparse
import json
import os
import platform
import statistics
import time

from fused_rows_ab import NODE, ROOT, run

RESULTS = os.path.join(ROOT, "bench", "kernelbench", "cpu-results-2026-12-07-h50.json")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--ops", help="comma-separated subset of the problems")
    args = ap.parse_args()
    shapes = {r["op"]: r["shape"] for r in json.load(open(RESULTS))["rows"]}
    ops = args.ops.split(",") if args.ops else list(shapes)
    binary = {"before": args.before, "after": args.after}
    runs = {op: {"before": [], "after": []} for op in ops}
    start, load_start = time.time(), os.getloadavg()
    for r in range(args.rounds):
        for op in ops:
            for side in (["before", "after"] if r % 2 == 0 else ["after", "before"]):
                spec = os.path.join("specs", "kernelbench", op + ".kev")
                t = run(binary[side], spec, shapes[op], None, args.iterations)
                runs[op][side].append(t)
                print(f"round {r} {op} {side}: {t} ms", flush=True)
    rows = []
    for op in ops:
        b = [t for t in runs[op]["before"] if t is not None]
        a = [t for t in runs[op]["after"] if t is not None]
        rows.append({"op": op, "shape": shapes[op], "before_ms": runs[op]["before"], "after_ms": runs[op]["after"],
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
    main()
