"""The one-pass A/B set of issue 16 (bench/gpu/ab-h68-variants.md): rmsnorm_backward and layernorm_backward at their
bench shapes, main's default as baseline (`--sketch separate-column-partials`, the default without rule 2c: the same
trace as main 89be325's default) beside rule 2c's default and its neighbours.

Usage (here, with Swift): python3 bench/gpu/ab-h68-prepare.py KEVC VARIANTS_DIR
then bench/gpu/module-ab.sh prepare VARIANTS_DIR PREP_DIR KEVC (there: module-ab.sh run PREP_DIR OUT_DIR).
Writes VARIANTS_DIR/<problem>/{spec, shape, default.json, <variant>.json ...}; a variant whose trace equals the
baseline's or an earlier variant's is left out.

Variants: `rule2c` (the default, `GPUCapability.portable`: 608 programs, two per gfx942 CU), `rule2c-cuda90`
(`--gpu cuda:90`: 264), and edits of `rule2c`'s trace: `pN` N programs (the rows' split and every partial's
rfactor), `wN` the row kernel's warps, `sN` its stages. For rmsnorm_backward also the hand traces:
`hand-onepass-p512-w8-s2` (bench/gpu/rmsnorm_backward.with.trace with `compute_with(_r2.rf, dx, m.o)`: partials
stored [n, m.i], combined in dw's programs one column each) and `hand-twoloops-p512-w8-s2` (that trace as measured
in session-h100-2026-12-07e, the partials in a second loop over the program's rows).
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

from bench import bench_shape  # bench/gpu/bench.py: the spec's `bench` line as a --shape value

SPECS = ["specs/rmsnorm_backward.kev", "specs/layernorm_backward.kev"]


def opt(kevc, spec, shape, *extra):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([kevc, "opt", spec, "--shape", shape, "--emit-trace-json", "-o", f.name, *extra], check=True)
        return json.load(open(f.name))


def edit(trace, programs=None, warps=None, stages=None):
    t = copy.deepcopy(trace)
    steps = t["steps"]
    fused = [s["computeWith"] for s in steps if "computeWith" in s]
    if not fused:
        raise SystemExit("no compute_with in the trace")
    leader = fused[0]["sibling"]
    old = None
    for s in steps:
        if "rfactor" in s:
            old = old or s["rfactor"]["factor"]
            if programs:
                s["rfactor"]["factor"] = programs
    for s in steps:
        if "split" in s and s["split"]["factor"] == old and programs:
            s["split"]["factor"] = programs
        if "launch" in s and s["launch"]["tensor"] == leader:
            if warps:
                s["launch"]["warps"] = warps
            if stages:
                s["launch"]["stages"] = stages
    return t


def main():
    kevc, out = sys.argv[1], sys.argv[2]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    os.chdir(root)
    for spec in SPECS:
        name = os.path.basename(spec)[:-4]
        shape = bench_shape(spec)
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "spec"), "w").write(spec + "\n")
        open(os.path.join(d, "shape"), "w").write(shape + "\n")
        base = opt(kevc, spec, shape, "--default-schedule", "triton", "--sketch", "separate-column-partials")
        rule = opt(kevc, spec, shape, "--default-schedule", "triton")
        variants = {
            "rule2c": rule,
            "rule2c-cuda90": opt(kevc, spec, shape, "--default-schedule", "triton", "--gpu", "cuda:90"),
            "rule2c-p132": edit(rule, programs=132),
            "rule2c-p264-w8": edit(rule, programs=264, warps=8),
            "rule2c-p1024": edit(rule, programs=1024),
            "rule2c-w8": edit(rule, warps=8),
            "rule2c-w4": edit(rule, warps=4),
            "rule2c-s1": edit(rule, stages=1),
            "rule2c-s3": edit(rule, stages=3),
            "rule2c-p264-w8-s3": edit(rule, programs=264, warps=8, stages=3),
        }
        if name == "rmsnorm_backward":
            with open("bench/gpu/rmsnorm_backward.with.trace") as f:
                text = f.read()
            for v, loop in (("hand-onepass-p512-w8-s2", ", m.o"), ("hand-twoloops-p512-w8-s2", "")):
                with tempfile.NamedTemporaryFile("w", suffix=".trace") as t:
                    t.write(text.replace("compute_with(_r2.rf, dx)", "compute_with(_r2.rf, dx%s)" % loop))
                    t.flush()
                    variants[v] = opt(kevc, spec, shape, "--apply", t.name)
        json.dump(base, open(os.path.join(d, "default.json"), "w"), indent=1)
        seen = [base]
        for v, t in variants.items():
            if t in seen:
                print("%s/%s equals an earlier trace; left out" % (name, v))
                continue
            seen.append(t)
            json.dump(t, open(os.path.join(d, v + ".json"), "w"), indent=1)
        print(name, shape, sorted(os.listdir(d)))


main()
