#!/usr/bin/env python3
"""Re-times what bench/search/cpu-noseeds-check.sh found, side by side: per op, the default schedule, the search's
best (the candidate with the highest speedup over the default, the search's own fitness; hand traces and what was
bred from them excluded), the search's confirmed best when it confirmed one (the winner of its `confirmations` row,
kevc search --confirm; shown as its own column when it differs from the fitness best) and the hand trace
(bench/cpu/<op>.trace), each `kevc run --trials 0` (compile, then time at the workload shape) in ROUNDS rounds whose
order rotates, so that load from other processes falls on all of them alike. A search's best is the fastest of many noisy measurements and the hand trace's one measurement is not, so the
search's own numbers favour the search under load; these medians do not. Writes OUT/confirm.json and OUT/confirm.md.

Usage: python3 bench/search/cpu_noseeds_confirm.py OUT [ROUNDS]     (KEVC: the kevc binary, .build/release/kevc)
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from noseeds_check import lineage  # noqa: E402  (the walk up a candidate's parents to a hand trace)


def lineage_is_seed(cands, cid):
    return cid in cands and lineage(cands, cid).startswith("seed:")


def run(kevc, spec, shape, trace_path):
    cmd = [kevc, "run", spec, "--shape", shape, "--trials", "0"] + (["--schedule", trace_path] if trace_path else [])
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None
    m = re.search(r"time per call: ([0-9.]+) (us|ms|s)", p.stdout)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def main():
    out = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    kevc = os.environ.get("KEVC", os.path.join(ROOT, ".build/release/kevc"))
    export = json.load(open(os.path.join(out, "export.json")))
    cands = {c["id"]: c for c in export["candidates"]}
    rows = []
    tmp = tempfile.mkdtemp(prefix="kevc-confirm-")
    for w in export["workloads"]:
        op = re.sub(r"_f32$", "", w["spec_name"])
        hand = os.path.join(ROOT, "bench/cpu", op + ".trace")
        ok = [e for e in export["evaluations"] if cands.get(e["candidate_id"], {}).get("workload_id") == w["id"]
              and e["status"] == "ok" and e.get("speedup") and not lineage_is_seed(cands, e["candidate_id"])]
        if not ok or not os.path.exists(hand):
            continue
        best = max(ok, key=lambda e: e["speedup"])
        c = cands[best["candidate_id"]]
        searched = os.path.join(tmp, op + ".json")
        with open(searched, "w") as f:
            f.write(c["trace"])
        configs = [("default", None), ("searched", searched), ("hand", hand)]
        # The search's confirmation (its latest whose winner is not bred from a hand trace).
        confirmed = None
        for k in export.get("confirmations", []):
            if k["workload_id"] == w["id"] and k.get("winner_id") and not lineage_is_seed(cands, k["winner_id"]):
                confirmed = k
        if confirmed and confirmed["winner_id"] != c["id"]:
            path = os.path.join(tmp, op + ".confirmed.json")
            with open(path, "w") as f:
                f.write(cands[confirmed["winner_id"]]["trace"])
            configs.insert(2, ("confirmed", path))
        times = {name: [] for name, _ in configs}
        n = len(configs)
        for r in range(rounds):
            for name, path in configs[r % n:] + configs[:r % n]:
                t = run(kevc, w["spec_path"], w["shape"], path)
                if t is not None:
                    times[name].append(t)
        med = {k: statistics.median(v) if v else None for k, v in times.items()}
        if "confirmed" not in med:
            med["confirmed"] = med["searched"] if confirmed else None
        winner = confirmed["winner_id"] if confirmed else None
        rows.append({"op": w["spec_name"], "shape": w["shape"], "searched_candidate": c["id"],
                     "searched_proposer": c["proposer"], "searched_speedup_in_search": best["speedup"],
                     "times_s": times, "median_s": med,
                     "searched_vs_hand": med["hand"] / med["searched"] if med["hand"] and med["searched"] else None,
                     "confirmed_candidate": winner,
                     "confirmed_proposer": cands[winner]["proposer"] if winner else None,
                     "confirmation": confirmed,
                     "confirmed_vs_hand": med["hand"] / med["confirmed"] if med["hand"] and med["confirmed"] else None})
        print(op, {k: v and round(v * 1e3, 3) for k, v in med.items()}, flush=True)
    with open(os.path.join(out, "confirm.json"), "w") as f:
        json.dump({"rounds": rounds, "ops": rows}, f, indent=1)
    ms = lambda x: "%.3f" % (x * 1e3) if x else "-"
    x = lambda v: "%.2fx" % v if v else "-"
    lines = ["| op | shape | default ms | searched ms (candidate, proposer) | confirmed ms (candidate, proposer) | hand ms "
             "| searched vs hand | confirmed vs hand |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        m = r["median_s"]
        conf = "%s (#%d, %s)" % (ms(m["confirmed"]), r["confirmed_candidate"], r["confirmed_proposer"]) \
            if r["confirmed_candidate"] else "-"
        lines.append("| %s | %s | %s | %s (#%d, %s) | %s | %s | %s | %s |" % (
            r["op"], r["shape"], ms(m["default"]), ms(m["searched"]), r["searched_candidate"], r["searched_proposer"],
            conf, ms(m["hand"]), x(r["searched_vs_hand"]), x(r["confirmed_vs_hand"])))
    lines.append("")
    lines.append("Medians of %d rounds of `kevc run --trials 0` each, in rotating order; searched = the search's "
                 "fitness best, confirmed = the winner of its confirmation (the same program when they agree); "
                 "X vs hand = hand median / X median (>= 0.95 meets issue 15's target)." % rounds)
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "confirm.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
