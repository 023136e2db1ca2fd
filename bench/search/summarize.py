#!/usr/bin/env python3
"""Summarises search runs from a tuning-database export: per workload and target, the default schedule's time,
the best time found, the speedup, the fraction of the roofline floor, how many evaluations it took to reach 95%
of the final best (in the order they finished), evaluations per minute of search wall time and per minute of
device time (the GPU phases of each worker's report, or the worker's time on the CPU), statuses; plus the
hand trace and the PyTorch baselines when the run recorded them (bench/search/gpu.sh).

Usage: python3 bench/search/summarize.py DIR      (reads DIR/export.json [, baselines.json])
Writes DIR/results.md and prints it.
"""
import collections
import json
import os
import sys


def ms(x):
    return "%.4f" % (x * 1e3) if isinstance(x, (int, float)) else "-"


PHASE_GROUPS = ["start", "load", "trials", "waiting for the device", "timing", "revalidation", "roofline", "other"]


def phase_group(name):
    if name.startswith("trial "):
        return "trials"
    if name.startswith("load-"):
        return "load"
    return name if name in PHASE_GROUPS else "other"


OFF_DEVICE = {"start", "load-reference", "load-kernel", "waiting for the device", "done"}


def device_seconds(e):
    """EvaluationRecord.deviceSeconds: a GPU worker's phases on the device, else the worker's whole time."""
    phases = json.loads(e.get("worker_report") or "{}").get("phase_seconds")
    if phases:
        return sum(s for p, s in phases.items() if p not in OFF_DEVICE)
    return e.get("worker_seconds") or 0


def phase_shares(name, evals):
    totals = collections.Counter()
    seconds = []
    for e in evals:
        report = json.loads(e.get("worker_report") or "{}")
        for phase, s in (report.get("phase_seconds") or {}).items():
            totals[phase_group(phase)] += s
        if report.get("phase_seconds"):
            seconds.append(e.get("worker_seconds") or 0)
    whole = sum(totals.values())
    if not whole:
        return None
    seconds.sort()
    median = seconds[len(seconds) // 2]
    return "| %s | %.1f | %s |" % (name, median, " | ".join("%.0f%%" % (100 * totals[g] / whole) for g in PHASE_GROUPS))


def progress(evals, cands):
    """A workload's evaluations in the order they finished -> (status counts, the default schedule's evaluation,
    the best correct one, how many evaluations it took to come within 95% of that best; None where absent)."""
    counts = collections.Counter(e["status"] for e in evals)
    default = next((e for e in evals if cands[e["candidate_id"]]["proposer"] == "default"), None)
    ok = [e for e in evals if e["status"] == "ok" and e["median_time"]]
    best = min(ok, key=lambda e: e["median_time"]) if ok else None
    to95 = None
    if best:
        run_best = float("inf")
        for i, e in enumerate(evals, 1):
            if e["status"] == "ok" and e["median_time"]:
                run_best = min(run_best, e["median_time"])
            if run_best <= best["median_time"] / 0.95:
                to95 = i
                break
    return counts, default, best, to95


def main():
    d = sys.argv[1]
    ex = json.load(open(os.path.join(d, "export.json")))
    base = {}
    if os.path.exists(os.path.join(d, "baselines.json")):
        base = json.load(open(os.path.join(d, "baselines.json"))).get("ops", {})
    cands = {c["id"]: c for c in ex["candidates"]}
    targets = {t["id"]: t for t in ex["targets"]}
    by_wt = collections.defaultdict(list)
    for e in ex["evaluations"]:
        c = cands.get(e["candidate_id"])
        if c:
            by_wt[(c["workload_id"], c["target_id"])].append(e)
    lines = ["# Search results", ""]
    for t in targets.values():
        lines.append("Target #%d: %s %s (%s); %s" % (t["id"], t["kind"], t["device"], t["arch"], t["toolchain"]))
    lines += ["", "| workload | shape | evaluations (ok / illegal / compile_error / wrong / nan / timeout / crash) | "
              "default ms | best ms | speedup | best % of floor | evals to 95% of best | evals per minute (ran on the device) | "
              "evals per device-minute (device time) | hand ms | eager ms | torch.compile ms | best vs compile |",
              "|" + "---|" * 14]
    traces = []
    phases_table = []  # where the workers' time went, per workload (GPU workers report their phases)
    # Every workload searched, also one whose search ended before any evaluation finished.
    for w in ex["workloads"]:
        for t in targets.values():
            if any(c["workload_id"] == w["id"] and c["target_id"] == t["id"] for c in cands.values()):
                by_wt.setdefault((w["id"], t["id"]), [])
    for (w_id, t_id), evals in sorted(by_wt.items()):
        w = next(w for w in ex["workloads"] if w["id"] == w_id)
        evals.sort(key=lambda e: e["finished_at"])
        counts, default, best, n95 = progress(evals, cands)
        to95 = str(n95) if n95 else "-"
        span = (evals[-1]["finished_at"] - evals[0]["started_at"]) / 60 if evals else 0
        # Candidates the GPU ran (kevc-side rejections of a schedule cost no worker time and are not counted).
        ran = [e for e in evals if (e.get("worker_seconds") or 0) > 0.5]
        rate = "%.1f (%.1f ran)" % (len(evals) / span, len(ran) / span) if span > 0 else "-"
        device = sum(device_seconds(e) for e in evals) / 60
        per_device = "%.1f (%.1f min)" % (len(ran) / device, device) if device > 0 else "-"
        name = os.path.splitext(os.path.basename(w["spec_path"]))[0]
        # The fastest hand trace: the search's seeds (proposer seed:NAME), evaluated in the same run.
        seeds = [e for e in evals if cands[e["candidate_id"]]["proposer"].startswith("seed:")]
        seeded = [e["median_time"] for e in seeds if e["status"] == "ok" and e["median_time"]]
        if seeded:
            hand = ms(min(seeded))
        elif seeds:
            hand = "FAIL"
        elif any(c["proposer"].startswith("seed:") and c["workload_id"] == w_id for c in cands.values()):
            hand = "not reached"
        else:
            hand = "-"
        key = "matmul" if name == "matmul_bf16" else name
        b = base.get(key, {})
        eager = (b.get("eager") or {}).get("median_ms")
        comp = (b.get("compile") or {}).get("median_ms")
        vs = "%.2fx" % (comp / (best["median_time"] * 1e3)) if (comp and best) else "-"
        lines.append("| %s | %s | %d (%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            w["spec_name"], w["shape"], len(evals),
            " / ".join(str(counts.get(s, 0)) for s in ("ok", "illegal", "compile_error", "wrong", "nan", "timeout",
                                                        "crash")),
            ms(default["median_time"]) if default and default["median_time"] else "-",
            ms(best["median_time"]) if best else "-",
            "%.2fx" % (default["median_time"] / best["median_time"]) if (default and default["median_time"] and best) else "-",
            "%.0f%%" % (100 * best["roofline_fraction"]) if best and best["roofline_fraction"] else "-",
            to95, rate, per_device, hand, "%.4f" % eager if eager else "-", "%.4f" % comp if comp else "-", vs))
        phase_row = phase_shares(w["spec_name"], evals)
        if phase_row:
            phases_table.append(phase_row)
        if best:
            steps = json.loads(cands[best["candidate_id"]]["trace"]).get("steps", [])
            traces += ["", "Best trace for %s (candidate #%d, proposer %s):" % (
                w["spec_name"], best["candidate_id"], cands[best["candidate_id"]]["proposer"]), "```",
                json.dumps(steps), "```"]
    if phases_table:
        lines += ["", "Where the workers' time went (share of all worker seconds, from each evaluation's worker_report; "
                  "trials and revalidation include the float64 reference; roofline includes the measured cost):", "",
                  "| workload | median worker s | " + " | ".join(PHASE_GROUPS) + " |",
                  "|" + "---|" * (2 + len(PHASE_GROUPS))] + phases_table
    text = "\n".join(lines + traces) + "\n"
    open(os.path.join(d, "results.md"), "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
