#!/usr/bin/env python3
"""Which corpus problems' default CPU code two kevc binaries compile differently.

  asm_diff.py KEVC_BEFORE KEVC_AFTER [RESULTS_MD]

For every row of RESULTS_MD (default: bench/kernelbench/cpu-results-2026-12-07-h50.md; its "CPU shape" column),
compiles specs/kernelbench/<problem>.kev at that shape with each binary (`kevc compile --emit asm`, the default
schedule) and prints the problems whose assembly differs, with the count of vector spill/reload instructions
(`vmov.. ..(%rsp)`) before and after. Problems with the same assembly cannot have changed speed.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def asm(kevc, spec, shape):
    r = subprocess.run([kevc, "compile", spec, "--shape", shape, "--emit", "asm", "-o", "-"],
                       capture_output=True, text=True, cwd=ROOT)
    return r.stdout if r.returncode == 0 else "ERROR " + r.stderr


def spills(text):
    return len(re.findall(r"vmov\w+\s+[^\n]*\(%rsp\)", text))


def main():
    before, after = sys.argv[1], sys.argv[2]
    md = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, "bench/kernelbench/cpu-results-2026-12-07-h50.md")
    rows = []
    for line in open(md):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 2 and "=" in cells[1] and os.path.exists(os.path.join(ROOT, "specs/kernelbench", cells[0] + ".kev")):
            rows.append((cells[0], cells[1]))
    changed = 0
    for name, shape in rows:
        spec = os.path.join("specs/kernelbench", name + ".kev")
        a, b = asm(before, spec, shape), asm(after, spec, shape)
        if a != b:
            changed += 1
            print(f"{name} [{shape}]: changed; vector stack moves {spills(a)} -> {spills(b)}")
    print(f"{changed} of {len(rows)} problems compile differently")


if __name__ == "__main__":
    main()
