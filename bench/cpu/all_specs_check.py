#!/usr/bin/env python3
"""Every spec of specs/ and specs/kernelbench/, compiled for this machine's CPU with its default schedule and checked
against the float64 interpreter (`kevc run --trials T`) at its default dims and at odd shapes: each dim d > 1 made
odd above it (d + 1 or d + 2: odd1), about one and a half times it (odd2) and three times it (odd3: rows long
enough for AVX-512's 16-lane register tiles), made odd (dims of 1 are kept). A shape the
spec rejects (its dims must relate: a convolution's window, a group count) is reported as rejected, not as a failure.
A wrong result (FAIL) or a crash (a signal, a Swift runtime error) is a defect.

Usage: python3 bench/cpu/all_specs_check.py OUT.json --kevc K [--trials 2] [--jobs 1] [--only a,b]
                                            [--cases default,odd1,odd2,odd3]
"""
import argparse
import concurrent.futures
import glob
import json
import os
import platform
import re
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def dims_of(path):
    text = open(path).read()
    m = re.search(r"^\s*dims\s+(.*)$", text, re.M)
    if not m:
        return {}
    return {k: int(v) for k, v in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\d+)", m.group(1))}


def shapes(dims):
    odd1 = {k: (v + 1 if v % 2 == 0 else v + 2) if v > 1 else v for k, v in dims.items()}
    odd2 = {k: ((v * 3) // 2) | 1 if v > 1 else v for k, v in dims.items()}
    odd3 = {k: (v * 3) | 1 if v > 1 else v for k, v in dims.items()}
    return [("default", None), ("odd1", odd1), ("odd2", odd2), ("odd3", odd3)]


def run(kevc, spec, name, shape, trials):
    cmd = [kevc, "run", spec, "--trials", str(trials), "--iterations", "1", "--repeats", "1"]
    if shape:
        cmd += ["--shape", ",".join(f"{k}={v}" for k, v in shape.items())]
    t = time.time()
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        out = p.stdout + p.stderr
        if p.returncode < 0 or p.returncode >= 128 or "Fatal error" in out or "Program crashed" in out:
            status = "crash"
        elif p.returncode == 0 and p.stdout.rstrip().endswith("PASS"):
            status = "pass"
        elif "FAIL" in out:
            status = "fail"
        else:
            status = "rejected"
    except subprocess.TimeoutExpired:
        status, out = "timeout", ""
    tail = "\n".join(out.strip().splitlines()[-3:])
    return {"spec": os.path.relpath(spec, ROOT), "case": name, "shape": shape, "status": status,
            "seconds": round(time.time() - t, 1), "tail": tail if status != "pass" else ""}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--kevc", required=True)
    ap.add_argument("--trials", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--only", help="comma-separated spec names")
    ap.add_argument("--cases", default="default,odd1,odd2", help="comma-separated shapes: default, odd1, odd2, odd3")
    args = ap.parse_args()
    specs = sorted(glob.glob(os.path.join(ROOT, "specs", "*.kev"))) + sorted(
        glob.glob(os.path.join(ROOT, "specs", "kernelbench", "*.kev")))
    if args.only:
        keep = set(args.only.split(","))
        specs = [s for s in specs if os.path.basename(s)[:-4] in keep]
    cases = set(args.cases.split(","))
    jobs = [(s, n, sh) for s in specs for n, sh in shapes(dims_of(s)) if n in cases]
    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda j: run(os.path.abspath(args.kevc), j[0], j[1], j[2], args.trials), jobs))
    counts = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
        if r["status"] != "pass":
            print(f"{r['status']:8s} {r['spec']} {r['case']} {r['shape']}: {r['tail']}", flush=True)
    rep = {"machine": {"processor": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                       "node": platform.node()},
           "kevc": os.path.relpath(os.path.abspath(args.kevc), ROOT) if os.path.abspath(args.kevc).startswith(ROOT) else os.path.basename(args.kevc),
           "trials": args.trials, "cases": sorted(cases), "wall_s": round(time.time() - start), "counts": counts, "rows": rows}
    with open(args.out, "w") as fh:
        json.dump(rep, fh, indent=1)
    print(counts)


if __name__ == "__main__":
    main()
