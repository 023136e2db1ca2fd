#!/usr/bin/env python3
"""Merges the per-shard results of bench/reliability/run-sharded.sh (OUTDIR/shards/fuzz-K.json, difftest-K.json)
into OUTDIR/fuzz-results-{spec,ir,trace}.json and OUTDIR/difftest-results.json, in the format of the single-process
runs (`kevc fuzz --results`, `kevc difftest --results`), with a "shards" entry per file. Counts are summed; a
statistics' "seconds" is the longest shard's (the run's wall time; "cpuSeconds" is the sum), and executions per
second divide the sum by that. Checks that the difftest shards ran disjoint program ranges. Standard library only.
  python3 bench/reliability/merge-shards.py OUTDIR     (exit 1 when anything failed or a shard wrote nothing)"""
import glob
import json
import os
import re
import sys


def load(pattern):
    out = []
    for path in sorted(glob.glob(pattern), key=lambda p: int(re.search(r"-(\d+)\.json$", p).group(1))):
        with open(path) as f:
            out.append((path, json.load(f)))
    return out


def add_counts(into, more):
    for key, value in more.items():
        into[key] = into.get(key, 0) + value


def merge_fuzz(shards):
    """One results object per target, each holding the sum over the shards."""
    merged = {}
    for path, r in shards:
        for t in r["targets"]:
            s = t["statistics"]
            name = s["target"]
            if name not in merged:
                merged[name] = {
                    "date": r["date"], "hangSeconds": r["hangSeconds"], "label": r["label"], "machine": r["machine"],
                    "requestedExecutions": 0, "secondsLimit": r["secondsLimit"], "seed": r["seed"], "seeds": [],
                    "shards": [],
                    "targets": [{"crashFiles": [], "crashes": 0, "hangs": 0, "executionsPerSecond": 0,
                                 "statistics": {"target": name, "executions": 0, "accepted": 0, "diagnosed": 0,
                                                "skipped": {}, "diagnosticIDs": {}, "seconds": 0.0,
                                                "cpuSeconds": 0.0}}]}
            m = merged[name]
            m["date"] = max(m["date"], r["date"])
            m["requestedExecutions"] += r["requestedExecutions"]
            m["seed"] = min(m["seed"], r["seed"])
            m["seeds"].append(r["seed"])
            mt = m["targets"][0]
            ms = mt["statistics"]
            for key in ("executions", "accepted", "diagnosed"):
                ms[key] += s[key]
            add_counts(ms["skipped"], s.get("skipped", {}))
            add_counts(ms["diagnosticIDs"], s.get("diagnosticIDs", {}))
            ms["seconds"] = max(ms["seconds"], s["seconds"])
            ms["cpuSeconds"] += s["seconds"]
            mt["crashes"] += t["crashes"]
            mt["hangs"] += t["hangs"]
            mt["crashFiles"] += t["crashFiles"]
            m["shards"].append({"file": os.path.basename(path), "seed": r["seed"], "executions": s["executions"],
                                "crashes": t["crashes"], "hangs": t["hangs"], "seconds": s["seconds"]})
    for m in merged.values():
        mt = m["targets"][0]
        ms = mt["statistics"]
        ms["diagnosticIDs"] = dict(sorted(ms["diagnosticIDs"].items(), key=lambda kv: (-kv[1], kv[0]))[:40])
        mt["executionsPerSecond"] = round(ms["executions"] / ms["seconds"]) if ms["seconds"] > 0 else 0
        if len(set(m["seeds"])) != len(m["seeds"]):
            raise SystemExit("merge-shards: two fuzz shards of target %s used the same seed" % ms["target"])
    return merged


def merge_difftest(shards):
    m = None
    ranges = []
    for path, r in shards:
        if m is None:
            m = {key: r[key] for key in ("date", "label", "machine", "optimizationLevel", "trialsPerProgram",
                                         "secondsLimit", "seed", "skipList")}
            m.update({"requestedPrograms": 0, "crashes": 0, "hangs": 0, "compileTimeouts": 0, "files": [],
                      "shards": [],
                      "statistics": {"programs": 0, "passed": 0, "mismatches": 0, "invalidPrograms": 0,
                                     "rejected": {}, "skipped": {}, "modes": {}, "seconds": 0.0, "cpuSeconds": 0.0}})
        if r["seed"] != m["seed"]:
            raise SystemExit("merge-shards: difftest shards of different seeds (%d, %d)" % (m["seed"], r["seed"]))
        s = r["statistics"]
        ms = m["statistics"]
        for key in ("programs", "passed", "mismatches", "invalidPrograms"):
            ms[key] += s[key]
        for key in ("rejected", "skipped", "modes"):
            add_counts(ms[key], s.get(key, {}))
        ms["seconds"] = max(ms["seconds"], s["seconds"])
        ms["cpuSeconds"] += s["seconds"]
        m["date"] = max(m["date"], r["date"])
        m["requestedPrograms"] += r["requestedPrograms"]
        for key in ("crashes", "hangs", "compileTimeouts"):
            m[key] += r.get(key, 0)
        m["files"] = sorted(set(m["files"]) | set(r["files"]))
        first = r.get("firstProgram", 0)
        ranges.append((first, first + r["requestedPrograms"], path))
        m["shards"].append({"file": os.path.basename(path), "firstProgram": first,
                            "requestedPrograms": r["requestedPrograms"], "programs": s["programs"],
                            "mismatches": s["mismatches"], "crashes": r["crashes"], "hangs": r.get("hangs", 0),
                            "compileTimeouts": r.get("compileTimeouts", 0), "seconds": s["seconds"]})
    ranges.sort()
    for (a0, a1, pa), (b0, b1, pb) in zip(ranges, ranges[1:]):
        if b0 < a1:
            raise SystemExit("merge-shards: %s and %s ran overlapping programs (%d..<%d, %d..<%d)" % (
                pa, pb, a0, a1, b0, b1))
    return m


def write(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")


def main(argv):
    if len(argv) != 2:
        raise SystemExit(__doc__)
    out = argv[1]
    fuzz = load(os.path.join(out, "shards", "fuzz-*.json"))
    diff = load(os.path.join(out, "shards", "difftest-*.json"))
    failed = False
    logs = glob.glob(os.path.join(out, "shards", "*.log"))
    wrote = {os.path.splitext(p)[0] for p, _ in fuzz + diff}
    for log in sorted(logs):
        if os.path.splitext(log)[0] not in wrote:
            print("merge-shards: %s wrote no results (see its log)" % os.path.basename(log), file=sys.stderr)
            failed = True
    for name, m in sorted(merge_fuzz(fuzz).items()):
        write(os.path.join(out, "fuzz-results-%s.json" % name), m)
        t = m["targets"][0]
        s = t["statistics"]
        print("fuzz %s: %d executions (%d shards), %d crashes, %d hangs, %.0f s" % (
            name, s["executions"], len(m["shards"]), t["crashes"], t["hangs"], s["seconds"]))
        failed |= t["crashes"] + t["hangs"] > 0
    if diff:
        m = merge_difftest(diff)
        write(os.path.join(out, "difftest-results.json"), m)
        s = m["statistics"]
        print("difftest: %d programs (%d shards), %d passed, %d mismatches, %d crashes, %d hangs, "
              "%d compile timeouts, %d invalid, %.0f s" % (
                  s["programs"], len(m["shards"]), s["passed"], s["mismatches"], m["crashes"], m["hangs"],
                  m["compileTimeouts"], s["invalidPrograms"], s["seconds"]))
        failed |= s["mismatches"] + m["crashes"] + m["hangs"] + m["compileTimeouts"] + s["invalidPrograms"] > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
