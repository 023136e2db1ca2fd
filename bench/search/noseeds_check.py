#!/usr/bin/env python3
"""Summarises bench/search/noseeds-check.sh: per op, from OUT/export.json (one database: the search from the default
and its sketches, then the hand traces as seeds evaluated by the same harness; candidates of proposer seed:NAME
are the hand traces and are left out of the search's numbers): the default schedule's time, the searched best and
its proposer (a candidate bred from a hand trace counts as the hand trace's), evaluations (ok / all), evaluations to 95% of the searched best (in the
order they finished), the best hand trace, and searched best vs hand (hand time / searched time: >= 0.95 is the
issue's target). Writes OUT/noseeds-check.json and OUT/noseeds-check.md and prints the table.

Usage: python3 bench/search/noseeds_check.py OUT
"""
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def lineage(cands, cid):
    """"seed:NAME" when the candidate is a hand trace or was bred from one (either parent), else its proposer."""
    seen, todo = set(), [cid]
    while todo:
        c = cands.get(todo.pop())
        if not c or c["id"] in seen:
            continue
        seen.add(c["id"])
        if c["proposer"].startswith("seed:"):
            return c["proposer"]
        todo += [p for p in (c.get("parent_id"), c.get("second_parent_id")) if p]
    return cands[cid]["proposer"]


def per_workload(export, keep):
    """{spec name: {"default": s, "best": s, "best_proposer": str, "ok": n, "all": n, "to95": n, "by_proposer": {}}}
    over the candidates whose proposer passes `keep`."""
    out = {}
    if not export:
        return out
    names = {w["id"]: w["spec_name"] for w in export["workloads"]}
    cands = {c["id"]: c for c in export["candidates"]}
    evals = sorted(export["evaluations"], key=lambda e: (e.get("finished_at") or 0, e["id"]))
    for wid, name in names.items():
        rows = [e for e in evals if cands.get(e["candidate_id"], {}).get("workload_id") == wid
                and keep(lineage(cands, e["candidate_id"]))]
        ok = [e for e in rows if e["status"] == "ok" and e.get("median_time")]
        if not ok:
            out[name] = {"ok": 0, "all": len(rows)}
            continue
        best = min(ok, key=lambda e: e["median_time"])
        default = [e for e in ok if cands[e["candidate_id"]]["proposer"] == "default"]
        to95 = next(i + 1 for i, e in enumerate(rows)
                    if e["status"] == "ok" and e.get("median_time") and e["median_time"] <= best["median_time"] / 0.95)
        speedups = [e["speedup"] for e in ok if e.get("speedup")]
        by = {}
        for e in ok:
            p = cands[e["candidate_id"]]["proposer"]
            by[p] = min(by.get(p, float("inf")), e["median_time"])
        out[name] = {
            "default": default[0]["median_time"] if default else None,
            "best": best["median_time"], "best_proposer": cands[best["candidate_id"]]["proposer"],
            "best_trace": cands[best["candidate_id"]]["trace"], "ok": len(ok), "all": len(rows), "to95": to95,
            "by_proposer": by, "best_speedup": max(speedups) if speedups else None,
        }
    return out


def known_duplicates(out, export, hand):
    """Adds to `hand` (per_workload's shape) the seeds that hand-OP.log reports as an IR already known."""
    import glob
    import re
    names = {w["id"]: w["spec_name"] for w in export["workloads"]}
    cands = {c["id"]: c for c in export["candidates"]}
    for log in glob.glob(os.path.join(out, "hand-*.log")):
        for line in open(log, errors="replace"):
            m = re.match(r"seed trace (\S+) gives an IR already known \(candidate #(\d+), ([^)]*)\)", line)
            if not m or int(m.group(2)) not in cands:
                continue
            cid = int(m.group(2))
            ok = [e for e in export["evaluations"] if e["candidate_id"] == cid and e["status"] == "ok" and e.get("median_time")]
            if not ok:
                continue
            name = names.get(cands[cid]["workload_id"])
            h = hand.setdefault(name, {"ok": 0, "all": 0})
            h.setdefault("by_proposer", {})["seed:%s (= #%d %s)" % (m.group(1), cid, m.group(3))] = ok[0]["median_time"]
            speedup = ok[0].get("speedup") or (1.0 if cands[cid]["proposer"] == "default" else None)
            if speedup:
                h["best_speedup"] = max(h.get("best_speedup") or 0, speedup)


def main():
    out = sys.argv[1]
    export = load(os.path.join(out, "export.json"))
    if export is not None:
        search = per_workload(export, lambda p: not p.startswith("seed:"))
        hand = per_workload(export, lambda p: p.startswith("seed:"))
    else:  # two databases (bench/search/cpu-noseeds): the search's and the hand traces'
        search = per_workload(load(os.path.join(out, "noseeds-export.json")), lambda p: True)
        hand = per_workload(load(os.path.join(out, "hand-export.json")), lambda p: p.startswith("seed:"))
    # A hand trace whose IR a candidate of the search already has (the CPU default schedule is softmax's hand
    # trace) is not evaluated again; its hand-OP.log names that candidate, whose measurement is then the hand's.
    if export is not None:
        known_duplicates(out, export, hand)
    rows = []
    for name in sorted(set(search) | set(hand)):
        s, h = search.get(name, {}), hand.get(name, {})
        seeds = {p: t for p, t in h.get("by_proposer", {}).items() if p.startswith("seed:")}
        best_hand = min(seeds.items(), key=lambda kv: kv[1]) if seeds else None
        ratio = best_hand[1] / s["best"] if best_hand and s.get("best") else None
        # The same comparison through the speedups over the default schedule, each timed beside the default in the
        # same worker (the CPU's paired baseline): robust to load that changes between the two measurements.
        paired = s["best_speedup"] / h["best_speedup"] if s.get("best_speedup") and h.get("best_speedup") else None
        rows.append({
            "op": name, "default_ms": s.get("default") and s["default"] * 1e3, "searched_ms": s.get("best") and s["best"] * 1e3,
            "searched_proposer": s.get("best_proposer"), "evaluations_ok": s.get("ok", 0), "evaluations": s.get("all", 0),
            "evaluations_to_95": s.get("to95"), "hand_ms": best_hand and best_hand[1] * 1e3,
            "hand_trace": best_hand and best_hand[0], "searched_vs_hand": ratio,
            "meets_0_95": ratio is not None and ratio >= 0.95, "searched_vs_hand_paired": paired, "searched_trace": s.get("best_trace"),
            "sketches_ms": {p: t * 1e3 for p, t in s.get("by_proposer", {}).items() if p.startswith("sketch:")},
        })
    machine = open(os.path.join(out, "machine.txt")).read().splitlines()[:1] if os.path.exists(os.path.join(out, "machine.txt")) else []
    with open(os.path.join(out, "noseeds-check.json"), "w") as f:
        json.dump({"machine": machine, "ops": rows}, f, indent=1)
    f3 = lambda x: "%.4f" % x if isinstance(x, float) else "-"
    lines = ["| op | default ms | searched ms (proposer) | evals ok/all | evals to 95% | hand ms (trace) | searched vs hand | paired |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %s | %s | %s (%s) | %d/%d | %s | %s (%s) | %s | %s |" % (
            r["op"], f3(r["default_ms"]), f3(r["searched_ms"]), r["searched_proposer"] or "-", r["evaluations_ok"],
            r["evaluations"], r["evaluations_to_95"] or "-", f3(r["hand_ms"]), r["hand_trace"] or "-",
            "%.2fx" % r["searched_vs_hand"] if r["searched_vs_hand"] else "-",
            "%.2fx" % r["searched_vs_hand_paired"] if r["searched_vs_hand_paired"] else "-"))
    met = sum(r["meets_0_95"] for r in rows)
    lines.append("")
    lines.append("%d of %d ops at >= 0.95x of the best hand trace." % (met, len(rows)))
    lines.append("(paired: the searched best's speedup over the default divided by the hand trace's, each timed beside "
                 "the default schedule in its own evaluation; on the GPU the harness's paired baseline, on the CPU the "
                 "worker's.)")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "noseeds-check.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
