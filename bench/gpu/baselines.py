"""PyTorch eager and torch.compile baselines for the GPU benchmark, at the specs' bench shapes.

Each entry is written the way a PyTorch user would write the operator (library calls where they exist), with the
same dtypes and shapes as the kevc spec it is compared with. Times are medians of CUDA-event measurements with the
L2 flushed before every call and every stream synchronised, as the kevc harness measures kernels.

Usage: python3 bench/gpu/baselines.py OUT.json [--calls 50] [--only softmax,matmul,...]
"""
import json
import math
import sys

import torch
import torch.nn.functional as F


def timed(fn, args, calls=50, warmup=5, device="cuda"):
    """Median (and min, max) in ms of `calls` calls of fn(*args) after `warmup` calls. On a GPU: CUDA events with
    the L2 flushed before each call; on the CPU (device="cpu", bench/kernelbench/run.py's CPU mode and dry run):
    the host clock, no flush."""
    if device != "cuda":
        import time
        for _ in range(warmup):
            fn(*args)
        samples = []
        for _ in range(calls):
            t0 = time.perf_counter()
            fn(*args)
            samples.append((time.perf_counter() - t0) * 1e3)
        samples.sort()
        return {"median_ms": samples[len(samples) // 2], "min_ms": samples[0], "max_ms": samples[-1]}
    flush = torch.empty(256 << 20, dtype=torch.uint8, device="cuda")
    for _ in range(warmup):
        fn(*args)
    torch.cuda.synchronize()
    samples = []
    for _ in range(calls):
        flush.zero_()
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn(*args)
        end.record()
        torch.cuda.synchronize()
        samples.append(start.elapsed_time(end))
    samples.sort()
    return {"median_ms": samples[len(samples) // 2], "min_ms": samples[0], "max_ms": samples[-1]}


def rand(*shape, dtype=torch.bfloat16):
    return torch.randn(*shape, device="cuda", dtype=torch.float32).to(dtype)


def ops():
    bf16, f32 = torch.bfloat16, torch.float32
    out = {}
    x = rand(32, 512, 2048); w = rand(512, 512, 3)
    out["conv1d"] = (lambda x, w: F.conv1d(x, w, padding=1), (x, w))
    x = rand(32, 1024, 2048); w = rand(1024, 1, 7)
    out["depthwise_conv1d"] = (lambda x, w: F.conv1d(x, w, padding=3, groups=1024), (x, w))
    x = rand(32, 64, 56, 56); w = rand(64, 64, 3, 3)
    out["conv2d"] = (lambda x, w: F.conv2d(x, w, padding=1), (x, w))
    x = rand(8192, 4096); w = rand(4096)
    def rmsnorm(x, w, eps=1e-6):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps) * w.float()).to(x.dtype)
    out["rmsnorm"] = (rmsnorm, (x, w))
    dy = rand(8192, 4096)
    def rmsnorm_backward(dy, x, w, eps=1e-6):
        xf, dyf, wf = x.float(), dy.float(), w.float()
        rstd = torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
        c = (dyf * wf * xf).mean(-1, keepdim=True)
        dx = rstd * (dyf * wf - xf * rstd * rstd * c)
        dw = (dyf * xf * rstd).sum(0)
        return dx.to(x.dtype), dw.to(w.dtype)
    out["rmsnorm_backward"] = (rmsnorm_backward, (dy, x, w))
    xs = rand(8192, 8192, dtype=f32)
    out["softmax"] = (lambda x: torch.softmax(x, -1), (xs,))
    xl = rand(8192, 4096, dtype=f32); g = rand(4096, dtype=f32); b = rand(4096, dtype=f32)
    out["layernorm"] = (lambda x, g, b: F.layer_norm(x, (4096,), g, b, 1e-5), (xl, g, b))
    q = rand(4, 32, 2048, 128); k = rand(4, 32, 2048, 128); v = rand(4, 32, 2048, 128)
    def attention(q, k, v):
        s = (q.float() @ k.float().transpose(-1, -2)) / math.sqrt(q.shape[-1])
        mask = torch.ones(s.shape[-2], s.shape[-1], device=s.device, dtype=torch.bool).tril()
        s = s.masked_fill(~mask, float("-inf"))
        return (torch.softmax(s, -1) @ v.float()).to(q.dtype)
    out["attention"] = (attention, (q, k, v))
    X = rand(2048, 128, 128); Y = rand(2048, 128, 32)
    out["fm_interaction"] = (lambda X, Y: (X.float() @ (X.float().transpose(1, 2) @ Y.float())).to(X.dtype), (X, Y))
    values = rand(1048576, 64); lengths = torch.randint(0, 512, (4096,), device="cuda")
    offsets = torch.zeros(4097, dtype=torch.int32, device="cuda"); offsets[1:] = torch.cumsum(lengths, 0)
    values = rand(int(offsets[-1].item()) + 1, 64)
    def jagged_truncate(values, offsets, T=256):
        starts, ends = offsets[:-1].long(), offsets[1:].long()
        length = torch.clamp(ends - starts, max=T)
        t = torch.arange(T, device=values.device)
        rows = (ends - length)[:, None] + t[None, :]
        valid = t[None, :] < length[:, None]
        out = values[rows.clamp(max=values.shape[0] - 1)]
        return out * valid[..., None]
    out["jagged_truncate"] = (jagged_truncate, (values, offsets))
    a = rand(4096, 4096); bm = rand(4096, 4096); bias = rand(4096)
    out["matmul"] = (lambda a, b: a @ b, (a, bm))
    out["matmul_bias_gelu"] = (lambda a, b, bias: F.gelu(a @ b + bias), (a, bm, bias))
    return out


def main():
    path = sys.argv[1]
    calls = int(sys.argv[sys.argv.index("--calls") + 1]) if "--calls" in sys.argv else 50
    results = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "ops": {}}
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
    for name, (fn, args) in ops().items():
        if only and name not in only:
            continue
        entry = {}
        try:
            entry["eager"] = timed(fn, args, calls)
        except Exception as e:  # keep going: one failing baseline must not hide the others
            entry["eager_error"] = repr(e)[:300]
        try:
            compiled = torch.compile(fn)
            entry["compile"] = timed(compiled, args, calls)
        except Exception as e:
            entry["compile_error"] = repr(e)[:300]
        results["ops"][name] = entry
        print(name, json.dumps(entry), flush=True)
    with open(path, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
