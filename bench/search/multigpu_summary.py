"""Summary of bench/search/multigpu.sh (issue 20): one GPU vs every GPU vs Ray, same ops and budgets.

    python3 bench/search/multigpu_summary.py summary OUT_DIR      -> OUT_DIR/multigpu.md, OUT_DIR/multigpu.json
    python3 bench/search/multigpu_summary.py best-trace EXPORT.json OP   -> the best correct candidate's trace (JSON)

Per mode (one, all, ray) and op: evaluations recorded in the search's wall time, evaluations per minute, the scaling
over mode `one`, the statuses, the mean utilisation of each GPU while the mode ran (nvidia-smi samples), where the
workers' time went (the share of each worker_report phase in all worker seconds), the device each evaluation ran
on when the worker reports it (worker_report's `device`: by its UUID, else its index); then the best candidate of each op timed on each GPU alone (per-gpu.txt).
"""

import collections
import json
import os
import sys


def load(path):
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def workload_of(export, op):
    """The workload id of op (its spec name) in a `kevc db export`."""
    for w in export.get("workloads", []):
        if w.get("spec_name") == op or os.path.basename(w.get("spec_path", "")).split(".")[0] == op:
            return w["id"]
    return None


def evaluations_of(export, op):
    wid = workload_of(export, op)
    if wid is None:
        return []
    cands = {c["id"]: c for c in export.get("candidates", []) if c.get("workload_id") == wid}
    return [(e, cands[e["candidate_id"]]) for e in export.get("evaluations", []) if e.get("candidate_id") in cands]


def best_trace(export_path, op):
    export = load(export_path)
    if not export:
        sys.exit("no export %s" % export_path)
    ok = [(e["median_time"], c) for e, c in evaluations_of(export, op) if e.get("status") == "ok" and e.get("median_time")]
    if not ok:
        sys.exit("%s: no correct candidate in %s" % (op, export_path))
    _, cand = min(ok, key=lambda p: p[0])
    trace = cand.get("trace")
    print(trace if isinstance(trace, str) else json.dumps(trace))


def utilisation(path):
    """{gpu index: mean utilisation %} from nvidia-smi's csv samples (timestamp, index, util, memory)."""
    per = collections.defaultdict(list)
    try:
        for line in open(path):
            parts = [p.strip() for p in line.split(",")]
            if len(parts) >= 3 and parts[1].isdigit():
                try:
                    per[int(parts[1])].append(float(parts[2]))
                except ValueError:
                    pass
    except OSError:
        return {}
    return {g: round(sum(v) / len(v), 1) for g, v in sorted(per.items()) if v}


def summary(out):
    runs = []
    for line in open(os.path.join(out, "runs.txt")):
        p = line.split()
        if len(p) >= 6:
            runs.append({"mode": p[0], "op": p[1], "wall_s": float(p[3]) - float(p[2]), "exit": p[4], "jobs": int(p[5])})
    exports = {m: load(os.path.join(out, m + ".json")) for m in sorted({r["mode"] for r in runs})}
    rows = []
    for r in runs:
        export = exports.get(r["mode"]) or {}
        evals = evaluations_of(export, r["op"])
        statuses = collections.Counter(e.get("status") for e, _ in evals)
        phases = collections.Counter()
        worker_seconds = 0.0
        devices = collections.Counter()
        for e, _ in evals:
            worker_seconds += e.get("worker_seconds") or 0
            try:
                rep = json.loads(e.get("worker_report") or "{}")
            except ValueError:
                rep = {}
            for k, v in (rep.get("phase_seconds") or {}).items():
                phases[k] += v
            dev = rep.get("device")
            if dev is not None:
                devices[str(dev.get("uuid") or dev.get("index")) if isinstance(dev, dict) else str(dev)] += 1
        r.update(evaluations=len(evals), per_minute=round(60 * len(evals) / r["wall_s"], 1) if r["wall_s"] > 0 else None,
                 statuses=dict(statuses), devices=dict(devices),
                 phases={k: round(v / worker_seconds, 3) for k, v in phases.most_common(8)} if worker_seconds else {})
        rows.append(r)
    one = {r["op"]: r for r in rows if r["mode"] == "one"}
    for r in rows:
        base = one.get(r["op"])
        r["scaling"] = round(r["per_minute"] / base["per_minute"], 2) if base and base.get("per_minute") and r.get("per_minute") else None
    util = {m: utilisation(os.path.join(out, "util-%s.csv" % m)) for m in exports}
    per_gpu = [l.rstrip() for l in open(os.path.join(out, "per-gpu.txt"))] if os.path.exists(os.path.join(out, "per-gpu.txt")) else []
    machine = open(os.path.join(out, "machine.txt")).read() if os.path.exists(os.path.join(out, "machine.txt")) else ""
    ray_note = open(os.path.join(out, "ray-start.log")).read().strip()[-300:] if os.path.exists(os.path.join(out, "ray-start.log")) else ""
    with open(os.path.join(out, "multigpu.json"), "w") as fh:
        json.dump({"rows": rows, "utilisation": util, "per_gpu": per_gpu, "machine": machine, "ray": ray_note}, fh, indent=1)
    lines = ["# Search over the GPUs of one host: one GPU vs all vs Ray", "", "```", machine.strip(), "```", "",
             "| mode | op | jobs | wall s | evaluations | per minute | scaling vs one | statuses | devices used | top worker phases |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %s | %s | %d | %.0f | %d | %s | %s | %s | %s | %s |" % (
            r["mode"], r["op"], r["jobs"], r["wall_s"], r["evaluations"], r["per_minute"],
            "%.2fx" % r["scaling"] if r["scaling"] else "-",
            ", ".join("%s %d" % kv for kv in sorted(r["statuses"].items(), key=lambda kv: str(kv[0]))) or "-",
            ", ".join("%s: %d" % kv for kv in r["devices"].items()) or "-",
            ", ".join("%s %.0f%%" % (k, 100 * v) for k, v in list(r["phases"].items())[:4]) or "-"))
    lines += ["", "Mean GPU utilisation while each mode ran (nvidia-smi, 500 ms samples): " +
              ("; ".join("%s: %s" % (m, ", ".join("gpu%d %.0f%%" % kv for kv in u.items()) or "no samples") for m, u in util.items())),
              "", "Ray: " + (ray_note or "-"), "", "The best candidate of each op (mode all) timed on each GPU alone:", ""]
    lines += ["    " + l for l in per_gpu] or ["    (none)"]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "multigpu.md"), "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "summary":
        summary(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "best-trace":
        best_trace(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
