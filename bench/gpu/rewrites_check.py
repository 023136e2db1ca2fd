"""Issue 16's rewrites on the GPU machine: causal attention (specs/attention.kev at its bench shape) with the
hand trace, the fused trace (fuse_reductions), PyTorch SDPA (is_causal) and torch.compile of the plain attention;
the prefix sum over 4096x4096 (specs/cumsum.kev) with kevc's default (triangular) schedule, the scan trace
(to_scan), torch.cumsum and torch.compile of it. Each kevc run goes through `kevc run --target triton` (the
harness's checks, then the timing); a run kevc refuses is recorded with its diagnostic, not timed. Also records
that `kevc opt --apply attention.fused.trace` prints one fused tuple reduction.

Usage: python3 bench/gpu/rewrites_check.py KEVC OUT_DIR [--dry-run] [--attention]
(writes OUT_DIR/rewrites.json and rewrites.md)
--cumsum: the prefix sum only (kevc's default, which is now a scan, the to_scan trace, torch.cumsum, torch.compile).
--attention: the fused attention only (bench/gpu/attention.fused.trace and the same trace with 64-row programs and
4 warps) against SDPA and torch.compile; no hand trace, no prefix sum (a few minutes on an H100).
--dry-run: the same flow on this machine's CPU (small shapes, Triton's interpreter, a stand-in nvidia-smi, torch on
the CPU, no torch.compile): checks the commands and the script, times nothing meaningful. Two gaps of the
interpreter (bf16 tl.dot, loop bounds derived from a program id) are patched by python/kevc_gpu/interpreter_fixes.py.
"""
import json
import math
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)


DRY = "--dry-run" in sys.argv
ATTENTION_ONLY = "--attention" in sys.argv
CUMSUM_ONLY = "--cumsum" in sys.argv
ENV = dict(os.environ)


def kevc_run(kevc, spec, shape, trace=None, timeout=None):
    timeout = timeout or (300 if DRY else 1800)
    cmd = [kevc, "run", spec, "--target", "triton", "--shape", shape, "--trials", "2", "--iterations",
           "1" if DRY else "20", "--repeats", "1" if DRY else "5"]
    if trace:
        cmd += ["--schedule", trace]
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=ENV)
    except subprocess.TimeoutExpired:
        return {"command": " ".join(cmd), "rc": None, "status": "TIMEOUT", "median_ms": None, "tail": ""}
    text = p.stdout + p.stderr
    m = re.search(r"time per call: ([0-9.]+) (us|ms|s)", text)
    ms = None
    if m:
        ms = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
    status = "PASS" if "PASS" in text and p.returncode == 0 else ("REFUSED" if "error:" in text else "FAIL")
    return {"command": " ".join(cmd), "rc": p.returncode, "status": status, "median_ms": ms,
            "tail": "\n".join(text.strip().splitlines()[-6:])}


def main():
    kevc, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    dev = "cpu" if DRY else "cuda"
    if DRY:
        import tempfile
        fake = tempfile.mkdtemp()
        with open(os.path.join(fake, "nvidia-smi"), "w") as f:
            f.write("#!/bin/sh\necho 'Interpreter GPU, 9.0, 0.0'\n")
        os.chmod(os.path.join(fake, "nvidia-smi"), 0o755)
        ENV.update(KEVC_GPU_DEVICE="cpu", TRITON_INTERPRET="1", KEVC_PYTHON_DIR=os.path.join(ROOT, "python"),
                   PATH=fake + ":" + ENV.get("PATH", ""))
    import torch
    import torch.nn.functional as F
    from baselines import timed

    results = {"machine": torch.cuda.get_device_name(0) if torch.cuda.is_available() and not DRY else "cpu (dry run)"}
    # The fused IR: one tuple reduction.
    p = subprocess.run([kevc, "opt", "specs/attention.kev", "--apply", "bench/gpu/attention.fused.trace"],
                       cwd=ROOT, capture_output=True, text=True)
    results["attention_fused_ir"] = p.stdout
    results["attention_fused_ir_definitions"] = len(re.findall(r"^\s+%\S+: \S+\[", p.stdout, re.M))

    if CUMSUM_ONLY:
        results["attention 4x32x2048x128 bf16"] = {}
        return prefix_sum(kevc, results, out, dev, timed)
    shape = "B=1,H=1,S=13,D=8" if DRY else "B=4,H=32,S=2048,D=128"
    B, H, S, D = (1, 1, 13, 8) if DRY else (4, 32, 2048, 128)
    att = {}
    if not ATTENTION_ONLY:
        att["kevc hand trace"] = kevc_run(kevc, "specs/attention.kev", shape, "bench/gpu/attention.trace")
    att["kevc fused trace"] = kevc_run(kevc, "specs/attention.kev", shape, "bench/gpu/attention.fused.trace")
    if ATTENTION_ONLY:
        # The same trace with 128 query rows per program and 8 warps (0.440 ms on an H100 against 0.383 ms).
        with open(os.path.join(HERE, "attention.fused.trace")) as f:
            text = f.read().replace("split(o, i, 64)", "split(o, i, 128)").replace("launch(o, 4, 3)", "launch(o, 8, 3)")
        variant = os.path.join(out, "attention.fused.m128.trace")
        with open(variant, "w") as f:
            f.write(text)
        att["kevc fused trace, 128 rows, 8 warps"] = kevc_run(kevc, "specs/attention.kev", shape, variant)
    q, k, v = (torch.randn(B, H, S, D, device=dev, dtype=torch.bfloat16) for _ in range(3))

    def plain(q, k, v):
        s = (q.float() @ k.float().transpose(-1, -2)) / math.sqrt(q.shape[-1])
        mask = torch.ones(s.shape[-2], s.shape[-1], device=s.device, dtype=torch.bool).tril()
        return (torch.softmax(s.masked_fill(~mask, float("-inf")), -1) @ v.float()).to(q.dtype)

    att["torch sdpa (causal)"] = timed(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                                       (q, k, v), device=dev)
    if not DRY:
        att["torch.compile"] = timed(torch.compile(plain), (q, k, v))
    results["attention 4x32x2048x128 bf16"] = att

    if ATTENTION_ONLY:
        results["prefix sum 4096x4096 f32"] = {}
        return report(results, out)
    prefix_sum(kevc, results, out, dev, timed)


def prefix_sum(kevc, results, out, dev, timed):
    import torch
    cshape = "M=4,N=64" if DRY else "M=4096,N=4096"
    x = torch.randn(*((4, 64) if DRY else (4096, 4096)), device=dev, dtype=torch.float32)
    cum = {
        "kevc default": kevc_run(kevc, "specs/cumsum.kev", cshape),
        "kevc to_scan": kevc_run(kevc, "specs/cumsum.kev", cshape, "bench/gpu/cumsum.scan.trace"),
        "torch.cumsum": timed(lambda x: torch.cumsum(x, -1), (x,), device=dev),
    }
    if not DRY:
        cum["torch.compile"] = timed(torch.compile(lambda x: torch.cumsum(x, -1)), (x,))
    results["prefix sum 4096x4096 f32"] = cum
    report(results, out)


def report(results, out):
    with open(os.path.join(out, "rewrites.json"), "w") as f:
        json.dump(results, f, indent=1)
    lines = ["| case | variant | status | median ms |", "|---|---|---|---|"]
    for case in ("attention 4x32x2048x128 bf16", "prefix sum 4096x4096 f32"):
        for name, r in results[case].items():
            lines.append(f"| {case} | {name} | {r.get('status', 'torch')} | {r.get('median_ms')} |")
    with open(os.path.join(out, "rewrites.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
