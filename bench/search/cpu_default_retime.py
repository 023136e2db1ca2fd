#!/usr/bin/env python3
"""Re-times CPU schedules of one kernel side by side: each entry `kevc run --trials 0` (compile, then time at the
shape) in ROUNDS rounds whose order rotates, so that load from other processes falls on all of them alike. Used to
compare a changed default schedule with the one before it (its trace saved to a file) and with the hand trace.

  python3 bench/search/cpu_default_retime.py OUT ROUNDS SPEC SHAPE NAME=TRACE [NAME=TRACE ...]

TRACE `-` is the default schedule of the kevc run (`kevc run` without --schedule). Appends one JSON line per kernel
to OUT/retime.jsonl and a table row to OUT/retime.md (medians; `x NAME` columns: that entry's median / this one's,
> 1: this one is faster). KEVC: the kevc binary (.build/release/kevc).
"""
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu_noseeds_confirm import run as run_trace  # noqa: E402  (one `kevc run --trials 0`, its time per call)


def run(kevc, spec, shape, trace):
    """`trace` "-" is the default schedule."""
    return run_trace(kevc, spec, shape, None if trace == "-" else trace)


def main():
    out, rounds, spec, shape = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    entries = [a.split("=", 1) for a in sys.argv[5:]]
    kevc = os.environ.get("KEVC", os.path.join(ROOT, ".build/release/kevc"))
    os.makedirs(out, exist_ok=True)
    times = {name: [] for name, _ in entries}
    load = [os.getloadavg()[0]]
    start = time.strftime("%H:%M:%S", time.gmtime())
    for r in range(rounds):
        k = r % len(entries)
        for name, trace in entries[k:] + entries[:k]:
            t = run(kevc, spec, shape, trace)
            if t is not None:
                times[name].append(t)
        load.append(os.getloadavg()[0])
    med = {k: statistics.median(v) if v else None for k, v in times.items()}
    row = {"spec": spec, "shape": shape, "rounds": rounds, "entries": dict(entries), "times_s": times,
           "median_s": med, "utc": [start, time.strftime("%H:%M:%S", time.gmtime())],
           "load_1min": [round(x, 2) for x in load]}
    with open(os.path.join(out, "retime.jsonl"), "a") as f:
        f.write(json.dumps(row) + "\n")
    names = [n for n, _ in entries]
    cells = ["%.3f" % (med[n] * 1e3) if med[n] else "-" for n in names]
    first = med[names[0]]
    ratios = ["%.2fx" % (first / med[n]) if first and med[n] else "-" for n in names[1:]]
    line = "| %s | %s | %s | %s | %s-%s | %.1f-%.1f |" % (
        spec, shape, " | ".join("%s %s" % (n, c) for n, c in zip(names, cells)), " ".join(ratios), start,
        row["utc"][1], min(load), max(load))
    with open(os.path.join(out, "retime.md"), "a") as f:
        f.write(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
