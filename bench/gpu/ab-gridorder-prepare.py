"""Program order A/B: does the GPU care which program axis is grid.x? Triton launches programs with grid.x varying
fastest, and the default GPU schedule binds the outer (row) axis to grid.x and the blocks of the contiguous axis
to grid.y, so consecutive programs read addresses a whole row apart. Variant `grid-swap` exchanges the two
bindings (the contiguous axis's blocks on grid.x, rows on grid.y: consecutive programs read consecutive blocks),
nothing else changes (the same kernel body; `module-ab.sh` checks and times it beside the default, paired).

Usage (here, with Swift): python3 bench/gpu/ab-gridorder-prepare.py KEVC VARIANTS_DIR SPEC...
then bench/gpu/module-ab.sh prepare VARIANTS_DIR PREP_DIR KEVC (there: module-ab.sh run PREP_DIR OUT_DIR).
A spec whose default has no grid.y binding, or whose grid.x extent would exceed 65535 on grid.y, is skipped.
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

from bench import bench_shape  # bench/gpu/bench.py


def opt(kevc, spec, shape):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([kevc, "opt", spec, "--shape", shape, "--default-schedule", "triton", "--emit-trace-json",
                        "-o", f.name], check=True)
        return json.load(open(f.name))


def swapped(trace):
    """The trace with every grid.x binding made grid.y and every grid.y one grid.x (None if there is no pair)."""
    t = copy.deepcopy(trace)
    dims = [s["bind"]["dimension"] for s in t["steps"] if "bind" in s]
    if "grid.x" not in dims or "grid.y" not in dims:
        return None
    for s in t["steps"]:
        if "bind" in s and s["bind"]["dimension"] in ("grid.x", "grid.y"):
            s["bind"]["dimension"] = {"grid.x": "grid.y", "grid.y": "grid.x"}[s["bind"]["dimension"]]
    return t


def main():
    kevc, out, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    for spec in specs:
        name = os.path.basename(spec)[:-4]
        shape = bench_shape(spec)
        base = opt(kevc, spec, shape)
        var = swapped(base)
        if var is None:
            print("skip %s: no grid.x/grid.y pair in its default" % name)
            continue
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "spec"), "w").write(spec + "\n")
        open(os.path.join(d, "shape"), "w").write(shape + "\n")
        json.dump(base, open(os.path.join(d, "default.json"), "w"), indent=1)
        json.dump(var, open(os.path.join(d, "grid-swap.json"), "w"), indent=1)
        print("%s: %s" % (name, shape))


if __name__ == "__main__":
    main()
