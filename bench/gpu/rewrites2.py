"""Issue 16, part 2 on the GPU: the rewrites fuse_axes, precision, group_programs, persistent and compute_with against the current
hand traces, kevc's default schedule and torch.compile, at the shapes the issue names. Run by
bench/gpu/rewrites2-check.sh (static kevc, no Swift on the GPU machine).

Usage: python3 bench/gpu/rewrites2.py KEVC OUT_DIR [--jobs 4] [--deadline-s 420]
Writes OUT_DIR/rewrites2.json (and rewrites2.partial.json as it goes): per configuration the harness's result (status,
median time, fraction of the roofline), and per problem the PyTorch eager and torch.compile medians.
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (run_kevc: compile, check against the reference, time)

CONV1D_TRACES = [("hand conv1d.fused", "bench/gpu/conv1d.fused.trace"),
                 ("fuse_axes conv1d.fused_axes", "bench/gpu/conv1d.fused_axes.trace")]
SKETCHES_CONV = [("sketch per-tap (the default before rule 0)", "per-tap"), ("sketch fused-taps", "fused-taps")]

# (problem, spec, shape, baseline key, [(label, trace path)], [(label, sketch)])
PROBLEMS = [
    ("conv1d 32x512x2048 k3 bf16", "specs/conv1d.kev", "N=32,C=512,L=2048,F=512,K=3", ("conv1d", 32, 512, 512, 2048, "bf16"),
     CONV1D_TRACES, SKETCHES_CONV),
    ("conv1d 2048x96x96x200 k3 bf16", "specs/conv1d.kev", "N=2048,C=96,L=200,F=96,K=3", ("conv1d", 2048, 96, 96, 200, "bf16"),
     CONV1D_TRACES, SKETCHES_CONV),
    ("conv1d 64x768x768x1024 k3 fp16", "bench/gpu/specs/conv1d_f16.kev", "N=64,C=768,L=1024,F=768,K=3",
     ("conv1d", 64, 768, 768, 1024, "f16"), CONV1D_TRACES, SKETCHES_CONV),
    ("conv2d 32x64x56x56 k3 bf16", "specs/conv2d.kev", "N=32,C=64,H=56,W=56,F=64,KH=3,KW=3", ("conv2d",),
     [("hand conv2d.fused", "bench/gpu/conv2d.fused.trace"), ("fuse_axes conv2d.fused_axes", "bench/gpu/conv2d.fused_axes.trace")],
     SKETCHES_CONV),
    ("rmsnorm bwd 8192x4096 bf16", "specs/rmsnorm_backward.kev", "M=8192,N=4096", ("rmsnorm_backward",),
     [("hand rmsnorm_backward", "bench/gpu/rmsnorm_backward.trace"),
      ("compute_with rmsnorm_backward.with", "bench/gpu/rmsnorm_backward.with.trace")], []),
    ("matmul 4096^3 bf16", "bench/gpu/specs/matmul_bf16.kev", "M=4096,N=4096,K=4096", ("matmul",),
     [("hand matmul_bf16", "bench/gpu/matmul_bf16.trace"), ("group_programs 8", "bench/gpu/matmul_bf16.grouped.trace"),
      ("group_programs 8 + persistent 132", "bench/gpu/matmul_bf16.persistent.trace")], [("sketch grouped", "grouped")]),
    ("matmul+bias+GELU 4096^3 bf16", "specs/matmul_bias_gelu.kev", "M=4096,N=4096,K=4096", ("matmul_bias_gelu",),
     [("hand matmul_bias_gelu.fused", "bench/gpu/matmul_bias_gelu.fused.trace"),
      ("group_programs 8", "bench/gpu/matmul_bias_gelu.grouped.trace")], [("sketch grouped", "grouped")]),
    ("matmul 4096^3 fp32", "specs/matmul.kev", "M=4096,N=4096,K=4096", ("matmul_f32",),
     [("ieee (today)", "bench/gpu/rewrites2/matmul.ieee.trace"), ("precision tf32", "bench/gpu/rewrites2/matmul.tf32.trace"),
      ("precision tf32x3", "bench/gpu/rewrites2/matmul.tf32x3.trace"), ("precision bf16", "bench/gpu/rewrites2/matmul.bf16.trace")],
     []),
]


def baseline(key):
    """(fn, args) for a problem, written as a PyTorch user would."""
    import torch
    import torch.nn.functional as F
    import baselines
    if key[0] == "conv1d":
        _, n, c, f, l, dt = key
        dtype = torch.bfloat16 if dt == "bf16" else torch.float16
        x = baselines.rand(n, c, l, dtype=dtype)
        w = baselines.rand(f, c, 3, dtype=dtype)
        return (lambda x, w: F.conv1d(x, w, padding=1)), (x, w)
    if key[0] == "matmul_f32":
        a = baselines.rand(4096, 4096, dtype=torch.float32)
        b = baselines.rand(4096, 4096, dtype=torch.float32)
        return (lambda a, b: a @ b), (a, b)
    global _OPS
    if _OPS is None:
        _OPS = baselines.ops()
    return _OPS[key[0]]


_OPS = None


def main():
    kevc, out = sys.argv[1], sys.argv[2]
    jobs = int(bench.option("--jobs", "4"))
    deadline = time.time() + float(bench.option("--deadline-s", "420"))
    os.makedirs(out, exist_ok=True)
    import torch
    import baselines
    rows = []
    partial = os.path.join(out, "rewrites2.partial.json")
    lock = threading.Lock()

    def save():
        with open(partial, "w") as f:
            json.dump({"rows": rows}, f, indent=1, default=str)

    # Baselines first, alone on the GPU (fp32 matmul both as PyTorch's default, ieee, and with tf32 allowed).
    for name, spec, shape, key, _, _ in PROBLEMS:
        row = {"problem": name, "spec": spec, "shape": shape, "baseline": {}, "kevc": {}}
        rows.append(row)
        if time.time() > deadline:
            row["baseline"]["skipped"] = "deadline"
            continue
        try:
            fn, args = baseline(key)
            row["baseline"]["eager"] = baselines.timed(fn, args)
            row["baseline"]["compile"] = baselines.timed(torch.compile(fn), args)
            if key[0] == "matmul_f32":
                torch.backends.cuda.matmul.allow_tf32 = True
                row["baseline"]["eager_tf32"] = baselines.timed(fn, args)
                torch.backends.cuda.matmul.allow_tf32 = False
            del fn, args
        except Exception as e:  # one failing baseline must not hide the rest
            row["baseline"]["error"] = repr(e)[:300]
        torch.cuda.empty_cache()
        print("baseline", name, json.dumps(row["baseline"]), flush=True)
        save()

    global _OPS
    _OPS = None
    torch.cuda.empty_cache()

    # Then every kevc configuration: compiled and checked concurrently, timed one at a time (the harness's lock).
    items = []
    scratch = os.path.join(os.environ.get("TMPDIR", "/tmp"), "kevc-rewrites2")
    for row, (name, spec, shape, key, traces, sketches) in zip(rows, PROBLEMS):
        stem = os.path.splitext(os.path.basename(spec))[0] + "-" + shape.replace("=", "").replace(",", "_")
        items.append((row, "default", spec, shape, None, os.path.join(scratch, stem, "default")))
        for label, sketch in sketches:
            path = os.path.join(scratch, stem, "sketch-%s.json" % sketch)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            c = subprocess.run([kevc, "opt", spec, "--default-schedule", "triton", "--sketch", sketch, "--shape", shape,
                                "--emit-trace-json", "-o", path], cwd=ROOT, capture_output=True, text=True)
            if c.returncode != 0:
                row["kevc"][label] = {"status": "trace_error", "reason": c.stderr[-500:]}
                continue
            items.append((row, label, spec, shape, path, os.path.join(scratch, stem, "sketch-" + sketch)))
        for label, trace in traces:
            items.append((row, label, spec, shape, os.path.join(ROOT, trace),
                          os.path.join(scratch, stem, os.path.basename(trace)[:-len(".trace")])))
    eager = {}
    for row in rows:
        times = [(row["baseline"].get(k) or {}).get("median_ms") for k in ("eager", "compile")]
        times = [t for t in times if t]
        eager[row["problem"]] = min(times) / 1e3 if times else None
    device_lock = os.path.join(os.environ.get("TMPDIR", "/tmp"), "kevc-rewrites2-%d.lock" % os.getpid())

    def measure(item):
        row, label, spec, shape, trace, workdir = item
        if time.time() > deadline:
            result = {"status": "skipped", "reason": "deadline"}
        else:
            try:
                result = bench.run_kevc(kevc, spec, shape, trace, workdir, eager[row["problem"]], device_lock)
            except Exception as e:
                result = {"status": "error", "reason": repr(e)[:500]}
        if trace:
            result["trace"] = os.path.relpath(trace, ROOT) if trace.startswith(ROOT) else os.path.basename(trace)
        with lock:
            row["kevc"][label] = result
            save()
        print("kevc", row["problem"], label, result.get("status"), (result.get("timing") or {}).get("median_s"), flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(measure, items))

    # Summary: each configuration's median and its speed relative to torch.compile.
    for row in rows:
        compiled = (row["baseline"].get("compile") or {}).get("median_ms")
        for label, r in row["kevc"].items():
            t = (r.get("timing") or {}).get("median_s")
            if isinstance(t, (int, float)) and r.get("status") in ("ok", "flagged"):
                r["median_ms"] = t * 1e3
                if compiled:
                    r["vs_torch_compile"] = compiled / (t * 1e3)
    result = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": rows}
    with open(os.path.join(out, "rewrites2.json"), "w") as f:
        json.dump(result, f, indent=1, default=str)
    for row in rows:
        compiled = (row["baseline"].get("compile") or {}).get("median_ms")
        print("%-34s torch.compile %s ms" % (row["problem"], "%.4f" % compiled if compiled else "-"))
        for label, r in row["kevc"].items():
            print("    %-44s %-10s %s" % (label, r.get("status"), "%.4f ms (%.2fx)" % (r["median_ms"], r.get("vs_torch_compile", 0))
                                           if "median_ms" in r else (r.get("reason") or "")[:120].replace("\n", " ")))


if __name__ == "__main__":
    main()
