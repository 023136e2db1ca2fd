"""The accuracy-contract A/B set of issues 15 and 16 (bench/gpu/ab-h67-variants.md): every f32 contraction among
specs/kernelbench/*.kev (convolutions of every kind, transposed, 3-D, matmuls, gemms) at its bench shape, the
default GPU schedule under `matmul_precision highest` (rule 4's three tf32 passes, tf32x3: today's default) as
baseline beside the default under `--matmul-precision high` (rule 4's one tf32 pass), whose module and reference
carry `high`'s tolerance (tf32's, f16's: `HarnessModule.tolerance`, `ComputedPrecision`), the convention torch.compile
follows for convolutions (cuDNN's TF32, `torch.backends.cudnn.allow_tf32 = True`).

Usage (here, with Swift): python3 bench/gpu/ab-h67-prepare.py KEVC VARIANTS_DIR
then bench/gpu/module-ab.sh prepare VARIANTS_DIR PREP_DIR KEVC (there: module-ab.sh run PREP_DIR OUT_DIR).
Writes VARIANTS_DIR/<problem>/{spec, shape, default.json, high.json, high.args}; a problem whose two traces are equal
(rule 4 kept it off the tensor cores, or it has no f32 contraction) is left out. Prints the table rows of
ab-h67-variants.md.
"""
import glob
import json
import os
import subprocess
import sys

from bench import bench_shape  # bench/gpu/bench.py: the spec's `bench` line as a --shape value

PATTERNS = ("conv", "gemm", "matmul")


def opt(kevc, spec, shape, out, *extra):
    subprocess.run([kevc, "opt", spec, "--default-schedule", "triton", "--shape", shape, "--emit-trace-json", "-o", out,
                    *extra], check=True)
    return json.load(open(out))


def precisions(trace):
    return sorted({s["precision"]["precision"] for s in trace["steps"] if "precision" in s})


def main():
    kevc, variants = sys.argv[1], sys.argv[2]
    os.makedirs(variants, exist_ok=True)
    rows = []
    for spec in sorted(glob.glob("specs/kernelbench/*.kev")):
        name = os.path.basename(spec)[:-4]
        if not name.startswith(PATTERNS):
            continue
        shape = bench_shape(spec)
        d = os.path.join(variants, name)
        os.makedirs(d, exist_ok=True)
        base = opt(kevc, spec, shape, os.path.join(d, "default.json"))
        high = opt(kevc, spec, shape, os.path.join(d, "high.json"), "--matmul-precision", "high")
        if base == high:
            for f in os.listdir(d):
                os.remove(os.path.join(d, f))
            os.rmdir(d)
            rows.append("| %s | %s | %s | (same trace: left out) |" % (name, shape, ", ".join(precisions(base)) or "ieee"))
            continue
        open(os.path.join(d, "spec"), "w").write(spec + "\n")
        open(os.path.join(d, "shape"), "w").write(shape + "\n")
        open(os.path.join(d, "high.args"), "w").write("--matmul-precision high\n")
        rows.append("| %s | %s | %s | %s |" % (name, shape, ", ".join(precisions(base)) or "ieee",
                                               ", ".join(precisions(high)) or "ieee"))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
