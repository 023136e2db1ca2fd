"""compare()'s speed on a GPU, the torch path against the fused kernel (python/kevc_gpu/fused_compare.py), each
with the scale term computed in the comparison or given (the reference cache's), and that their results agree.

    PYTHONPATH=python python3 bench/harness/compare-speed.py OUT [SECONDS]

For 2^20, 2^24, 2^26 (softmax at 8192 x 8192) and 2^28 elements, f32 and bf16 candidates, the float64 reference
on the device and on the host (pinned: the reference cache's host tier): the milliseconds of one compare() call
(torch.cuda.synchronize() before, compare's own synchronisation at its end), medians of 5 after one warm-up, the
four variants alternated within each repetition; slices of memory.check_elements() elements, as the worker
passes. Every variant's result dict must equal the torch path's with the same scale (`identical`). Before the
timings, a differential check on the GPU: fused vs torch path on random cases (distributions, NaN/inf, -0.0,
subnormals, values at the bound; f32/f16/bf16/f64/int/bool candidates), mismatches counted (`gpu_differential`).
Writes OUT/compare-speed.json and OUT/compare-speed.md; stops starting sizes after SECONDS (default 40).
Needs torch and triton with a CUDA device (no kevc build). A dry run on the CPU (that the script runs, nothing
measured): COMPARE_SPEED_DRY=1 TRITON_INTERPRET=1 (2^12 and 2^16 elements, 40 differential cases)."""

import json
import math
import os
import random
import statistics
import sys
import time

import torch

from kevc_gpu import fused_compare, memory
from kevc_gpu.tolerance import TOLERANCE, compare, scale_of

DRY = os.environ.get("COMPARE_SPEED_DRY") == "1"
SIZES = [1 << 12, 1 << 16] if DRY else [1 << 20, 1 << 24, 1 << 26, 1 << 28]
REPEATS = 5
VARIANTS = [("old", False, False), ("old+scale", False, True), ("new", True, False), ("new+scale", True, True)]
NATIVE = {"f64": torch.float64, "f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16,
          "i32": torch.int32, "i64": torch.int64, "bool": torch.bool}


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def pinned(t):
    return t.pin_memory() if torch.cuda.is_available() else t


def run(fused, actual, reference, dtype, **kw):
    os.environ["KEVC_FUSED_COMPARE"] = "1" if fused else "0"
    return compare(actual, reference, dtype, **kw)


def differential(device, cases=400):
    """Fused vs torch path on random small cases on the GPU: the number of cases whose result dicts differ."""
    mismatches, examples = 0, []
    specials = [float("nan"), float("inf"), -float("inf"), -0.0, 0.0, 1e-310, -1e-310, 1e-45, 3e38, -65504.0]
    for seed in range(cases):
        rnd = random.Random(seed)
        g = torch.Generator(device="cpu").manual_seed(seed)
        dtype = rnd.choice(["f32", "f32", "f16", "bf16", "f64", "i32", "i64", "bool"])
        n = rnd.choice([1, 7, 1000, 4097, 70001, 1 << 20])
        dist = rnd.choice(["normal", "uniform", "heavy", "big", "zeros", "ties", "subnormal"])
        r = torch.randn(n, generator=g, dtype=torch.float64)
        if dist == "uniform":
            r = torch.rand(n, generator=g, dtype=torch.float64) * 2 - 1
        elif dist == "heavy":
            r = torch.tan(math.pi * (torch.rand(n, generator=g, dtype=torch.float64) - 0.5))
        elif dist == "big":
            r = r * 3e4
        elif dist == "zeros":
            r = torch.where(torch.rand(n, generator=g) < 0.5, torch.zeros_like(r), r)
        elif dist == "ties":
            r = torch.randint(-3, 4, (n,), generator=g).to(torch.float64)
        elif dist == "subnormal":
            r = r * 1e-41
        if dtype in ("i32", "i64", "bool"):
            r = torch.randint(0, 2 if dtype == "bool" else 100, (n,), generator=g).to(torch.float64)
            a = r.clone()
            if rnd.random() < 0.5:
                i = torch.randint(0, n, (max(1, n // 50),), generator=g)
                a[i] = 1 - a[i] if dtype == "bool" else a[i] + 1
            a = a.to(NATIVE[dtype])
        else:
            atol, rtol = TOLERANCE[dtype]
            noise = rnd.choice([0.0, 0.5, 1.0, 2.0, 10.0])
            a = (r + noise * (atol + rtol * r.abs()) * torch.randn(n, generator=g, dtype=torch.float64))
            a = a.to(NATIVE[dtype])
            for t in (a, r):
                if rnd.random() < 0.5:
                    for _ in range(rnd.randint(1, 6)):
                        t[rnd.randrange(n)] = rnd.choice(specials)
        kw = {}
        if rnd.random() < 0.5:
            kw["scale"] = scale_of(r)
        if rnd.random() < 0.3:
            kw["chunk"] = rnd.choice([1000, 65536])
        a, r = a.to(device), r.to(device)
        if rnd.random() < 0.2:
            r = pinned(r.cpu())  # a host-tier reference
        slow, fast = run(False, a, r, dtype, **kw), run(True, a, r, dtype, **kw)
        if slow != fast:
            mismatches += 1
            if len(examples) < 5:
                examples.append({"seed": seed, "dtype": dtype, "n": n, "torch": slow, "fused": fast})
    return {"cases": cases, "mismatches": mismatches, "examples": examples,
            "kernel_failed": [repr(e) for e in fused_compare._broken]}


def main():
    out = sys.argv[1]
    budget = float(sys.argv[2]) if len(sys.argv) > 2 else 40.0
    os.makedirs(out, exist_ok=True)
    start = time.time()
    device = torch.device("cpu" if DRY else "cuda")
    report = {"device": "CPU dry run" if DRY else torch.cuda.get_device_name(0), "torch": torch.__version__,
              "triton": __import__("triton").__version__, "repeats": REPEATS, "rows": []}
    # The worker compiles the kernel ahead (fused_compare.compile_ahead, before the lock): the first comparison
    # after it should take milliseconds, not a compile's second.
    t0 = time.perf_counter()
    fused_compare.compile_ahead(torch, [torch.float32, torch.bfloat16])
    report["compile_ahead_s"] = time.perf_counter() - t0
    probe = torch.randn(1 << 20, dtype=torch.float64, device=device)
    sync()
    t0 = time.perf_counter()
    run(True, probe.float(), probe, "f32", scale=scale_of(probe))
    report["first_fused_call_ms"] = (time.perf_counter() - t0) * 1e3
    del probe
    report["gpu_differential"] = differential(device, 40 if DRY else 300)
    rows = report["rows"]
    for n in SIZES:
        if time.time() - start > budget:
            rows.append({"elements": n, "skipped": "time budget"})
            continue
        ref = torch.randn(n, dtype=torch.float64, device=device)
        noise = torch.randn(n, dtype=torch.float64, device=device).mul_(1e-5).add_(ref)
        actuals = {"f32": noise.float(), "bf16": noise.bfloat16()}
        del noise
        host = pinned(ref.cpu())
        for where, r in (("device", ref), ("host", host)):
            for dtype, a in actuals.items():
                chunk = memory.check_elements(torch, device)
                scale = scale_of(ref)
                times = {name: [] for name, _, _ in VARIANTS}
                results = {}
                for rep in range(REPEATS + 1):
                    for name, fused, cached in VARIANTS:
                        kw = {"chunk": chunk, "scale": scale} if cached else {"chunk": chunk}
                        sync()
                        t0 = time.perf_counter()
                        got = run(fused, a, r, dtype, **kw)
                        t1 = time.perf_counter()
                        if rep:
                            times[name].append((t1 - t0) * 1e3)
                        results[name] = got
                row = {"elements": n, "actual": dtype, "reference": where, "chunk": chunk}
                row.update({name + "_ms": statistics.median(v) for name, v in times.items()})
                row["identical"] = results["old"] == results["new"] and results["old+scale"] == results["new+scale"]
                row["passed"] = results["new+scale"]["passed"]
                row["speedup"] = row["old_ms"] / row["new+scale_ms"]
                rows.append(row)
                print(json.dumps(row), flush=True)
        del ref, host, actuals
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    report["seconds"] = time.time() - start
    report["kernel_failed"] = [repr(e) for e in fused_compare._broken]
    with open(os.path.join(out, "compare-speed.json"), "w") as f:
        json.dump(report, f, indent=1)
    lines = ["# compare() speed: torch path (old) vs fused kernel (new), scale computed or given (+scale)", "",
             "Device: %s; torch %s, triton %s; medians of %d, ms per compare() call." % (
                 report["device"], report["torch"], report["triton"], REPEATS),
             "Compile ahead %.2f s, then the first fused call %.1f ms." % (report["compile_ahead_s"],
                                                                           report["first_fused_call_ms"]),
             "GPU differential check: %d cases, %d mismatches%s." % (
                 report["gpu_differential"]["cases"], report["gpu_differential"]["mismatches"],
                 "; kernel failed: %s" % report["kernel_failed"] if report["kernel_failed"] else ""), "",
             "| elements | actual | reference | chunk | old | old+scale | new | new+scale | old / new+scale | identical |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        if "skipped" in row:
            lines.append("| %d | skipped (%s) | | | | | | | | |" % (row["elements"], row["skipped"]))
            continue
        lines.append("| %d | %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %.1fx | %s |" % (
            row["elements"], row["actual"], row["reference"], row["chunk"], row["old_ms"], row["old+scale_ms"],
            row["new_ms"], row["new+scale_ms"], row["speedup"], row["identical"]))
    with open(os.path.join(out, "compare-speed.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
