#!/usr/bin/env python3
"""summarize.py OUTDIR: the runs of ab.sh as one markdown table (kevc before/after per run, medians, torch's runs,
each median against torch's median) and one JSON file of every run (OUTDIR/summary.json)."""
import glob
import json
import os
import statistics
import sys


def main():
    out = sys.argv[1]
    runs = {"before": [], "after": []}
    for path in sorted(glob.glob(os.path.join(out, "*.json"))):
        name = os.path.basename(path)
        for which in runs:
            if name.startswith(which + "-"):
                runs[which].append(json.load(open(path)))
    machine = (runs["after"] or runs["before"])[0]["machine"]
    ops = [r["op"] for r in (runs["after"] or runs["before"])[0]["rows"]]
    print("Machine: %s (%s), %d cores; torch %s; %d rounds, before and after alternated, one thread.\n" % (
        machine["cpu_model"], machine.get("cpu_family_model", ""), machine["cores"], machine["torch"],
        len(runs["after"])))
    print("| problem | CPU shape | before kevc ms (runs) | after kevc ms (runs) | before median | after median | speedup"
          " | torch ms (all runs) | before x torch | after x torch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for op in ops:
        def rows(which):
            return [row for rep in runs[which] for row in rep["rows"] if row["op"] == op]
        b = [r["kevc_ms"] for r in rows("before") if r.get("kevc_ms")]
        a = [r["kevc_ms"] for r in rows("after") if r.get("kevc_ms")]
        t = [r["torch_ms"] for r in rows("before") + rows("after") if r.get("torch_ms")]
        if not (a and b and t):
            continue
        mb, ma, mt = statistics.median(b), statistics.median(a), statistics.median(t)
        shape = rows("after")[0]["shape"]
        f = lambda xs: " ".join("%.3g" % x for x in xs)
        print("| %s | %s | %s | %s | %.3g | %.3g | %.2fx | %s | %.2fx | %.2fx |" % (
            op, shape, f(b), f(a), mb, ma, mb / ma, f(t), mt / mb, mt / ma))
        summary[op] = {"shape": shape, "before_ms": b, "after_ms": a, "torch_ms": t}
    json.dump({"machine": machine, "rows": summary}, open(os.path.join(out, "summary.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
