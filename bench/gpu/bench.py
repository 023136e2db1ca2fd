"""The GPU benchmark, run on the GPU machine by bench/gpu/run.sh: for each operator, kevc's Triton kernel with the
default GPU schedule and with the hand-written trace (bench/gpu/<op>.trace, when present), PyTorch eager and
torch.compile (bench/gpu/baselines.py), side by side in one run, with each kevc kernel's fraction of its roofline
floor (bytes over measured bandwidth, flops over measured peak; computed by the kevc harness).

Usage: python3 bench/gpu/bench.py KEVC_BINARY OUT_DIR [--ops conv1d,softmax,...] [--jobs 4] [--before-traces DIR]
                                 [--baseline-contract highest|high|medium|pytorch]
       python3 bench/gpu/bench.py --report-partial OUT_DIR    (results.md from a run cut off at its limit)
--baseline-contract: the torch flags PyTorch eager and torch.compile run under (bench/gpu/baselines.py
CONTRACT_FLAGS; default `highest`, the contract kevc's default schedules are compiled at here). Of the 12 ops only
attention and fm_interaction have an f32 contraction (P V and X T: f32 operands from bf16 inputs; cuBLAS matmuls, in
f32 under PyTorch's defaults too); the rest are bf16 (the convolutions and matmuls: the TF32 flags govern f32 only)
or have no contraction, so the flags change nothing there. results.json records the flags each baseline read.
--before-traces DIR: also time DIR/<spec stem>.trace per op as "default before" (bench/gpu/default-before/ holds
main's default GPU schedules before issue 15's scheduler, as traces), so a change of the default schedule is measured
before/after in one run, with the new/before ratio in results.md.
"""
import glob
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# (benchmark name, spec, baseline key)
OPS = [
    ("conv1d 32x512x2048 k3 bf16", "specs/conv1d.kev", "conv1d"),
    ("depthwise conv1d 32x1024x2048 k7", "specs/depthwise_conv1d.kev", "depthwise_conv1d"),
    ("conv2d 32x64x56x56 k3", "specs/conv2d.kev", "conv2d"),
    ("rmsnorm fwd 8192x4096 bf16", "specs/rmsnorm.kev", "rmsnorm"),
    ("rmsnorm bwd 8192x4096 bf16", "specs/rmsnorm_backward.kev", "rmsnorm_backward"),
    ("softmax 8192x8192 fp32", "specs/softmax.kev", "softmax"),
    ("layernorm 8192x4096 fp32", "specs/layernorm.kev", "layernorm"),
    ("causal attention 4x32x2048x128 bf16", "specs/attention.kev", "attention"),
    ("FM X(X^T Y) 2048x128x128 k32", "specs/fm_interaction.kev", "fm_interaction"),
    ("jagged truncate last 256 of 4096 rows d64", "specs/jagged_truncate.kev", "jagged_truncate"),
    ("matmul 4096^3 bf16", "bench/gpu/specs/matmul_bf16.kev", "matmul"),
    ("matmul+bias+GELU 4096^3 bf16", "specs/matmul_bias_gelu.kev", "matmul_bias_gelu"),
]


def bench_shape(spec, statement="bench"):
    """The spec's `bench` shape (or its `dims` shape with statement="dims") as a --shape value: "N=32,C=512"."""
    text = open(os.path.join(ROOT, spec)).read()
    m = re.search(r"^\s*%s\s+(.*)$" % statement, text, re.M)
    return ",".join(p.replace(" ", "") for p in m.group(1).split("#")[0].split(",")) if m else ""


SCRATCH = os.path.join(os.environ.get("TMPDIR", "/tmp"), "kevc-bench-gpu")


def portable(text):
    """Results name files relative to the repository (specs, traces) or to the scratch folder (the generated
    modules), never by this machine's absolute paths."""
    return text.replace(ROOT + os.sep, "").replace(SCRATCH + os.sep, "")


# The harness module of each GPU target: the stage to emit and the suffix of its --dump-dir file.
TARGET_STAGES = {"triton": ("triton", ".triton.py"), "hip": ("hip-py", ".hip.py"), "cute": ("cute", ".cute.py")}


def matmul_precision_needed(trace):
    """The accuracy contract (`--matmul-precision`) a hand trace's dot precisions need: a schedule never raises the
    kernel's, so a trace with one tf32 pass (or bf16x3) is compiled under `high`, one with bf16 under `medium`, and is
    checked at that contract's tolerance (docs/reliability.md)."""
    text = open(trace).read() if trace and os.path.exists(trace) else ""
    found = set(re.findall(r"precision\(\s*[^,]+,\s*(\w+)\s*\)", text)) | set(re.findall(r'"precision"\s*:\s*"(\w+)"', text))
    if "bf16" in found:
        return "medium"
    if found & {"tf32", "bf16x3"}:
        return "high"
    return None


def run_kevc(kevc, spec, shape, trace, workdir, eager_s=None, lock=None, target="triton"):
    os.makedirs(workdir, exist_ok=True)
    stage, suffix = TARGET_STAGES[target]
    cmd = [kevc, "compile", spec, "--target", target, "--shape", shape, "--emit", stage + ",torch-ref",
           "--dump-dir", workdir]
    if trace:
        cmd += ["--schedule", os.path.relpath(trace, ROOT)]  # diagnostics name it as the repository does
        contract = matmul_precision_needed(trace)
        if contract:
            cmd += ["--matmul-precision", contract]
    c = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if c.returncode != 0:
        return {"status": "compile_error", "reason": portable((c.stderr or c.stdout)[-1500:])}
    files = os.listdir(workdir)
    kernel = next(os.path.join(workdir, f) for f in files if f.endswith(suffix))
    ref = next(os.path.join(workdir, f) for f in files if f.endswith(".ref.py"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(x for x in (os.path.join(ROOT, "python"), os.environ.get("PYTHONPATH")) if x))
    if lock:
        env["KEVC_GPU_LOCK"] = lock  # concurrent configurations: checks overlap, timings own the GPU
    h = subprocess.run([sys.executable, "-m", "kevc_gpu", "run", "--kernel", kernel, "--reference", ref,
                        "--shape-label", shape, "--trials", "1", "--timing-calls", "50", "--timeout",
                        os.environ.get("KEVC_BENCH_TIMEOUT", "400")]
                       + (["--eager-s", repr(eager_s)] if eager_s else []),
                       cwd=ROOT, capture_output=True, text=True, timeout=1800, env=env)
    try:
        return json.loads(portable(h.stdout.strip().splitlines()[-1]))
    except Exception:
        return {"status": "error", "reason": portable((h.stderr or h.stdout)[-1500:])}


def option(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main():
    kevc, out = sys.argv[1], sys.argv[2]
    only = option("--ops", None)
    before = option("--before-traces", None)
    jobs = int(option("--jobs", "4"))
    contract = option("--baseline-contract", "highest")
    # Other targets (hip, cute) add their default schedule's kernel per op: one table per target.
    targets = [t for t in option("--targets", "triton").split(",") if t]
    hand = "triton" in targets and option("--hand", "1") != "0"
    # In the order --ops names them (what matters most first, should the run be cut off at its limit).
    selected = [o for key in only.split(",") for o in OPS if o[2] == key] if only else OPS
    os.makedirs(out, exist_ok=True)
    sys.path.insert(0, HERE)
    import baselines
    import torch
    if contract not in baselines.CONTRACTS:
        sys.exit("--baseline-contract: one of %s" % ", ".join(baselines.CONTRACTS))
    base = {}
    ops = baselines.ops()
    # Baselines first, alone on the GPU.
    for _, _, key in selected:
        fn, args = ops[key]
        entry = {}
        try:
            entry["eager"] = baselines.timed(fn, args, contract=contract)
        except Exception as e:
            entry["eager_error"] = repr(e)[:300]
        try:  # compiled in timed's first warmup call, under the contract's flags
            entry["compile"] = baselines.timed(torch.compile(fn), args, contract=contract)
        except Exception as e:
            entry["compile_error"] = repr(e)[:300]
        base[key] = entry
        print("baseline", key, json.dumps(entry), flush=True)
        with open(os.path.join(out, "baselines.partial.json"), "w") as f:
            json.dump(base, f, indent=1, default=str)
    del ops
    torch.cuda.empty_cache()

    # Then every kevc configuration (default schedule, each hand-trace variant), `jobs` at a time: they compile
    # and check concurrently and are timed one at a time under the harness's device lock.
    import concurrent.futures
    import threading
    lock = os.path.join(os.environ.get("TMPDIR", "/tmp"), "kevc-bench-gpu-%d.lock" % os.getpid())
    rows, work_items = [], []
    for name, spec, key in selected:
        shape = bench_shape(spec)
        stem = os.path.splitext(os.path.basename(spec))[0]
        row = {"op": name, "spec": spec, "shape": shape, "baseline": base.get(key, {})}
        rows.append(row)
        work = os.path.join(SCRATCH, stem)
        # The harness's 10x check compares with PyTorch's best: the faster of eager and torch.compile (an eager
        # gather-and-mask jagged truncation takes 1.04 ms where torch.compile takes 0.065: 10x eager is no sign of
        # cheating there).
        times = [(row["baseline"].get(k) or {}).get("median_ms") for k in ("eager", "compile")]
        times = [t for t in times if t]
        eager_s = min(times) / 1e3 if times else None
        if "triton" in targets:
            work_items.append((row, "kevc_default", spec, shape, None, os.path.join(work, "default"), eager_s))
        for t in targets:
            if t != "triton":
                work_items.append((row, "kevc_" + t, spec, shape, None, os.path.join(work, t), eager_s))
        if before and os.path.exists(os.path.join(before, stem + ".trace")):
            work_items.append((row, "kevc_default_before", spec, shape, os.path.abspath(os.path.join(before, stem + ".trace")),
                               os.path.join(work, "default-before"), eager_s))
        # Hand traces: <stem>.trace and variants <stem>.<variant>.trace; the fastest correct one is "hand".
        variants = sorted(glob.glob(os.path.join(HERE, stem + ".trace")) + glob.glob(os.path.join(HERE, stem + ".*.trace"))) if hand else []
        for trace in variants:
            label = os.path.basename(trace)[:-len(".trace")]
            work_items.append((row, label, spec, shape, trace, os.path.join(work, "hand-" + label), eager_s))
    done = threading.Lock()

    def measure(item):
        row, label, spec, shape, trace, workdir, eager_s = item
        target = label[len("kevc_"):] if label in ("kevc_hip", "kevc_cute") else "triton"
        result = run_kevc(kevc, spec, shape, trace, workdir, eager_s, lock, target)
        with done:
            if trace is None or label == "kevc_default_before":
                row[label] = result
            else:
                result["trace"] = os.path.relpath(trace, ROOT)
                row.setdefault("hand_variants", {})[label] = result
                row["kevc_hand"] = min(row["hand_variants"].values(), key=fastest)
            with open(os.path.join(out, "results.partial.json"), "w") as f:  # survives a run cut off at its limit
                json.dump({"rows": rows, "baselines": base}, f, indent=1, default=str)
            print("kevc", row["op"], label, result.get("status"), (result.get("timing") or {}).get("median_s"),
                  flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(measure, work_items))
    results = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "baseline_contract": contract,
               "rows": rows}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)
    report(out, rows, "%s, torch %s; PyTorch baselines at contract %s" % (results["device"], results["torch"],
                                                                         contract), complete=True)


def fastest(v):
    t = (v.get("timing") or {}).get("median_s")
    return t if v.get("status") in ("ok", "flagged") and isinstance(t, (int, float)) else float("inf")


def report(out, rows, machine, complete):
    """Writes OUT/results.md: per op the baselines, kevc default and the best hand trace (every variant listed)."""
    def ms(x):
        return "%.3f" % (x * 1e3) if isinstance(x, (int, float)) else "-"

    lines = ["# GPU benchmark (%s)" % machine, "",
             "Medians of 50 calls, L2 flushed before each. kevc: Triton kernels from the default GPU schedule and "
             "from the hand traces (the fastest correct variant); floor = max(bytes / measured bandwidth, flops / "
             "measured peak).", ""]
    if not complete:
        lines += ["**Partial run**: the run was cut off at its time limit after the ops below; the others were not "
                  "measured in it.", ""]
    lines += ["| op | eager ms | torch.compile ms | kevc default ms (status) | kevc hand ms (status, trace) | floor ms | "
              "default % of floor | hand % of floor | best kevc vs compile |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        b = r["baseline"]
        e = (b.get("eager") or {}).get("median_ms")
        c = (b.get("compile") or {}).get("median_ms")
        cells = []
        fl = None
        best = None
        fractions = []
        for k in ("kevc_default", "kevc_hand"):
            v = r.get(k)
            if not v:
                cells.append("-")
                fractions.append("-")
                continue
            t = (v.get("timing") or {}).get("median_s")
            roof = v.get("roofline") or {}
            fl = roof.get("floor_s", fl)
            label = v.get("status")
            if k == "kevc_hand" and v.get("trace"):
                label += ", " + os.path.basename(v["trace"])
            cells.append("%s (%s)" % (ms(t), label))
            f = roof.get("fraction_of_floor")
            fractions.append("%.0f%%" % (100 * f) if isinstance(f, (int, float)) else "-")
            if v.get("status") in ("ok", "flagged") and isinstance(t, (int, float)):
                best = t if best is None else min(best, t)
        ratio = "%.2fx" % (c / 1e3 / best) if (c and best) else "-"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["op"], "%.3f" % e if e else "-", "%.3f" % c if c else "-", cells[0], cells[1], ms(fl),
            fractions[0], fractions[1], ratio))
    if any(r.get("kevc_default_before") for r in rows):
        lines += ["", "The default schedule before (bench/gpu/default-before/, main's default as traces) and now:", "",
                  "| op | default before ms (status) | default now ms (status) | now / before speedup |", "|---|---|---|---|"]
        for r in rows:
            b, n = r.get("kevc_default_before") or {}, r.get("kevc_default") or {}
            tb, tn = (b.get("timing") or {}).get("median_s"), (n.get("timing") or {}).get("median_s")
            ok = b.get("status") in ("ok", "flagged") and n.get("status") in ("ok", "flagged") and tb and tn
            lines.append("| %s | %s (%s) | %s (%s) | %s |" % (r["op"], ms(tb), b.get("status", "-"), ms(tn), n.get("status", "-"),
                                                          "%.2fx" % (tb / tn) if ok else "-"))
    others = [t for t in ("hip", "cute") if any(r.get("kevc_" + t) for r in rows)]
    if others:
        lines += ["", "Per target, the default GPU schedule (HIP compiled as CUDA through kevc_hip.h; CuTe DSL):", "",
                  "| op | eager ms | torch.compile ms | triton ms (status) | " + " | ".join("%s ms (status)" % t for t in others) + " |",
                  "|---|---|---|---|" + "---|" * len(others)]
        for r in rows:
            b = r["baseline"]
            e, c = (b.get("eager") or {}).get("median_ms"), (b.get("compile") or {}).get("median_ms")
            cells = []
            for k in ["kevc_default"] + ["kevc_" + t for t in others]:
                v = r.get(k) or {}
                cells.append("%s (%s)" % (ms((v.get("timing") or {}).get("median_s")), v.get("status", "-")))
            lines.append("| %s | %s | %s | %s |" % (r["op"], "%.3f" % e if e else "-", "%.3f" % c if c else "-",
                                                   " | ".join(cells)))
    variants = [(r["op"], k, v) for r in rows for k, v in sorted(r.get("hand_variants", {}).items())]
    if variants:
        lines += ["", "Every hand-trace variant:", "", "| op | trace | status | ms | % of floor |", "|---|---|---|---|---|"]
        for op, k, v in variants:
            f = (v.get("roofline") or {}).get("fraction_of_floor")
            lines.append("| %s | %s | %s | %s | %s |" % (op, k, v.get("status"), ms((v.get("timing") or {}).get("median_s")),
                                                         "%.0f%%" % (100 * f) if isinstance(f, (int, float)) else "-"))
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def report_partial(folder):
    """The table of a run cut off at its limit, from OUT/results.partial.json and OUT/machine.txt."""
    d = json.load(open(os.path.join(folder, "results.partial.json")))
    machine = " ".join(open(os.path.join(folder, "machine.txt")).read().split("\n")[1:3]) \
        if os.path.exists(os.path.join(folder, "machine.txt")) else "unknown GPU"
    report(folder, d["rows"], machine, complete=False)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--report-partial":
        report_partial(sys.argv[2])
    else:
        main()
