#!/usr/bin/env python3
"""AddressSanitizer sweep of difftest programs: out-of-bounds accesses in kevc's unoptimised LLVM IR.

A kernel that writes past a local buffer can pass the difftest (the write lands in an alloca's padding at -O0 to
-O2) and still be undefined behaviour that -O3 exploits (difftest s2026-p106: an O3-only segfault). This builds each
program's `--emit llvm-unopt` at O0 with AddressSanitizer (opt-22 -passes=asan on functions marked sanitize_address,
llc-22 -O0, clang-19 -fsanitize=address, the kevc runtime for parallel loops), runs it once on heap buffers sized
from the kernel's C header (float inputs 0.25 .. 1, integer inputs 0: inside every value domain) and reports every
AddressSanitizer error. The programs are `kevc difftest --verbose`'s (the same seeds and indices as the difftest).

  bench/reliability/asan-sweep.py KEVC SEED FIRST COUNT OUTDIR
Writes OUTDIR/summary.json and, per failing program, OUTDIR/s<SEED>-p<i>.{kev,trace,asan.txt}. Exit status 1 when
any program fails.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

CTYPES = {"float": 4, "double": 8, "uint16_t": 2, "int8_t": 1, "uint8_t": 1, "int32_t": 4, "int64_t": 8}


def bundles(kevc, seed, first, count, work):
    out = subprocess.run([kevc, "difftest", "--programs", str(count), "--seed", str(seed), "--first", str(first),
                          "--verbose", "--mismatches", os.path.join(work, "mismatches")],
                         capture_output=True, text=True).stdout
    parts = re.split(r"^--- program (\d+) \(([^)]*)\): (.*)\n", out, flags=re.M)
    for k in range(1, len(parts) - 3, 4):
        index, mode, outcome, body = int(parts[k]), parts[k + 1], parts[k + 2], parts[k + 3]
        if "#---trace" not in body:
            continue
        spec, trace = body.split("#---trace", 1)
        trace_lines = [l for l in trace.split("\n")[1:] if l.strip() and not l.startswith(("{", "#"))]
        yield index, mode, outcome, spec, "\n".join(trace_lines) + ("\n" if trace_lines else "")


def driver(header):
    """A C driver for the kernel the header declares: heap buffers, deterministic inputs."""
    name = re.search(r"^void (\w+)\(void \*const \*args\);", header, re.M).group(1)
    args = []
    for m in re.finditer(r"^//\s+\[(\d+)\] (input|result) (\S+): (\w+)(?: \((\w+)\))? ?(.*)$", header, re.M):
        dims = [int(d) for d in re.findall(r"\d+", m.group(6))]
        n = 1
        for d in dims:
            n *= d
        args.append((m.group(2), m.group(4), m.group(5) or m.group(4), n))
    ws = re.search(r"\[(\d+)\] workspace: (\w+) bytes", header)
    lines = ["#include <stdint.h>", "#include <stdlib.h>", "#include <string.h>", '#include "p.h"',
             "static float f(long i) { return 0.25f + 0.75f * (float)((i * 7919) % 1000) / 1000.0f; }",
             "int main(void) {", f"  void *args[{len(args) + 1}];"]
    for k, (role, ctype, kind, n) in enumerate(args):
        size = CTYPES[ctype] * max(n, 1)
        lines.append(f"  args[{k}] = malloc({size}); memset(args[{k}], 0, {size});")
        if role == "input" and kind in ("float", "double", "f16", "bf16"):
            lines.append(f"  for (long i = 0; i < {n}; i++) {{ float v = f(i);")
            if kind == "float":
                lines.append(f"    ((float *)args[{k}])[i] = v; }}")
            elif kind == "double":
                lines.append(f"    ((double *)args[{k}])[i] = v; }}")
            elif kind == "f16":
                lines.append(f"    _Float16 h = (_Float16)v; memcpy((uint16_t *)args[{k}] + i, &h, 2); }}")
            else:
                lines.append(f"    uint32_t u; memcpy(&u, &v, 4); ((uint16_t *)args[{k}])[i] = u >> 16; }}")
    wsbytes = ws.group(2) if ws else "0"
    lines.append(f"  args[{len(args)}] = {wsbytes} ? aligned_alloc(64, ({wsbytes} + 63) / 64 * 64) : 0;")
    lines += [f"  {name}(args);", "  return 0;", "}"]
    return "\n".join(lines) + "\n"


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


def check(kevc, runtime, work, spec, trace):
    kev = os.path.join(work, "p.kev")
    open(kev, "w").write(spec)
    sched = []
    if trace:
        open(os.path.join(work, "p.trace"), "w").write(trace)
        sched = ["--schedule", os.path.join(work, "p.trace")]
    ll, h = os.path.join(work, "p.ll"), os.path.join(work, "p.h")
    for stage, path in (("llvm-unopt", ll), ("header", h)):
        r = run([kevc, "compile", kev, "--no-db", "--emit", stage, "-o", path] + sched)
        if r.returncode != 0:
            return "rejected", r.stderr[-400:]
    text = open(ll).read()
    text = re.sub(r"^(attributes #\d+ = \{)", r"\1 sanitize_address", text, flags=re.M)
    open(ll, "w").write(text)
    open(os.path.join(work, "main.c"), "w").write(driver(open(h).read()))
    steps = [["opt-22", "-passes=asan", ll, "-o", f"{work}/p.bc"],
             ["llc-22", "-O0", "-filetype=obj", "--relocation-model=pic", f"{work}/p.bc", "-o", f"{work}/p.o"],
             ["clang-19", "-fsanitize=address", f"{work}/main.c", f"{work}/p.o", runtime, "-pthread", "-lm",
              "-o", f"{work}/p"]]
    for cmd in steps:
        r = run(cmd)
        if r.returncode != 0:
            return "build-failed", r.stderr[-400:]
    r = run([f"{work}/p"], env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    if "AddressSanitizer" in r.stderr:
        return "asan", r.stderr
    if r.returncode != 0:
        return "crash", r.stderr[-400:]
    return "clean", ""


def main():
    kevc, seed, first, count, outdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    os.makedirs(outdir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="asan-sweep-")
    runtime = os.path.join(work, "libkevc_runtime.a")
    spec = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../specs/softmax.kev")
    subprocess.run([kevc, "compile", spec, "--emit", "runtime", "-o", runtime], capture_output=True)
    if not os.path.exists(runtime):
        sys.exit("asan-sweep: kevc --emit runtime wrote nothing")
    counts, failures = {}, []
    for index, mode, outcome, spec, trace in bundles(kevc, seed, first, count, work):
        verdict, detail = check(kevc, runtime, work, spec, trace)
        counts[verdict] = counts.get(verdict, 0) + 1
        if verdict in ("asan", "crash", "build-failed"):
            name = f"s{seed}-p{index}"
            open(os.path.join(outdir, name + ".kev"), "w").write(spec)
            if trace:
                open(os.path.join(outdir, name + ".trace"), "w").write(trace)
            open(os.path.join(outdir, name + ".asan.txt"), "w").write(f"mode {mode}, difftest {outcome[:200]}\n{detail}")
            first_line = next((l for l in detail.split("\n") if "ERROR" in l or "error" in l), detail[:200])
            failures.append({"program": name, "mode": mode, "difftest": outcome[:200], "verdict": verdict,
                             "first": first_line.strip()})
            print(f"{name} ({mode}): {verdict}: {first_line.strip()}", flush=True)
    summary = {"seed": seed, "first": first, "programs": count, "outcomes": counts, "failures": failures}
    json.dump(summary, open(os.path.join(outdir, "summary.json"), "w"), indent=1)
    print(json.dumps({"seed": seed, "first": first, "programs": count, "outcomes": counts}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
