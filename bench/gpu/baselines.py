"""PyTorch eager and torch.compile baselines for the GPU benchmark, at the specs' bench shapes.

Each entry is written the way a PyTorch user would write the operator (library calls where they exist), with the
same dtypes and shapes as the kevc spec it is compared with. Times are medians of CUDA-event measurements with the
L2 flushed before every call and every stream synchronised, as the kevc harness measures kernels.

The accuracy contract of f32 contractions (kevc's `matmul_precision`, PyTorch's `torch.set_float32_matmul_precision`
words) is set on the PyTorch side by `set_contract` (CONTRACTS: `highest`, `high`, `medium`, or `pytorch`: the flags
as PyTorch ships them, cuDNN convolutions at TF32 and cuBLAS matmuls at full f32), so that a baseline runs at the
contract kevc ran at. `detect_contract` finds the contract PyTorch's defaults give a problem (bitwise comparison of
its outputs under the `highest` flags and under the defaults).

Usage: python3 bench/gpu/baselines.py OUT.json [--calls 50] [--only softmax,matmul,...] [--contract pytorch]
"""
import contextlib
import json
import math
import sys

import torch
import torch.nn.functional as F

# The contracts a baseline runs at: kevc's three (`kevc --matmul-precision`) and PyTorch's defaults as shipped.
CONTRACTS = ("highest", "high", "medium", "pytorch")


def flags():
    """The torch flags that decide the precision of f32 contractions, as this process has them now."""
    try:
        precision = torch.get_float32_matmul_precision()
    except RuntimeError:
        # Torch 2.9's per-backend precisions disagree (PyTorch refuses to name one): say what each backend has.
        precision = "mixed: " + ", ".join("%s %s" % (name, getattr(backend, "fp32_precision", "?")) for name, backend in (
            ("cuda.matmul", torch.backends.cuda.matmul), ("mkldnn.matmul", torch.backends.mkldnn.matmul)))
    return {"float32_matmul_precision": precision,
            "cuda.matmul.allow_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
            "cudnn.allow_tf32": bool(torch.backends.cudnn.allow_tf32)}


# PyTorch's defaults: the flags at import, before anything here sets them (float32_matmul_precision "highest",
# cuda.matmul.allow_tf32 False, cudnn.allow_tf32 True as shipped).
PYTORCH_DEFAULTS = flags()

# Each contract's flags. `highest`: every f32 contraction in full f32; `high`: cuBLAS and cuDNN at TF32; `medium`:
# precision "medium" (cuBLAS may go to bf16 where PyTorch allows it), cuDNN at TF32.
CONTRACT_FLAGS = {
    "highest": {"float32_matmul_precision": "highest", "cuda.matmul.allow_tf32": False, "cudnn.allow_tf32": False},
    "high": {"float32_matmul_precision": "high", "cuda.matmul.allow_tf32": True, "cudnn.allow_tf32": True},
    "medium": {"float32_matmul_precision": "medium", "cuda.matmul.allow_tf32": True, "cudnn.allow_tf32": True},
    "pytorch": PYTORCH_DEFAULTS,
}


def set_contract(contract):
    """Sets the torch flags of `contract` (CONTRACTS) for this process and returns them as set. Set them before
    torch.compile traces a function (and `torch._dynamo.reset()` between contracts in one process): Inductor reads
    the matmul flags when it compiles, cuBLAS and cuDNN when they run."""
    if contract not in CONTRACT_FLAGS:
        raise ValueError("unknown contract %r (known: %s)" % (contract, ", ".join(CONTRACTS)))
    _apply(CONTRACT_FLAGS[contract])
    return flags()


def _apply(want):
    # The precision first: it sets cuBLAS's TF32 flag itself (tf32 for "high" and "medium"). Setting that flag again
    # after "medium" would leave torch 2.9's per-backend precisions mixed (cuBLAS tf32, oneDNN bf16), which
    # torch.get_float32_matmul_precision refuses to read: it is set only where it differs.
    if not want["float32_matmul_precision"].startswith("mixed"):
        torch.set_float32_matmul_precision(want["float32_matmul_precision"])
    if bool(torch.backends.cuda.matmul.allow_tf32) != want["cuda.matmul.allow_tf32"]:
        torch.backends.cuda.matmul.allow_tf32 = want["cuda.matmul.allow_tf32"]
    torch.backends.cudnn.allow_tf32 = want["cudnn.allow_tf32"]


@contextlib.contextmanager
def at_contract(contract):
    """The flags of `contract` inside the block, this process's previous flags after it."""
    before = flags()
    try:
        yield set_contract(contract)
    finally:
        _apply(before)


def _outputs(result):
    return result if isinstance(result, (tuple, list)) else (result,)


def _bits(t):
    """A tensor's bytes as a flat uint8 tensor (NaNs compare by their bits, -0.0 differs from 0.0)."""
    t = t.detach().contiguous().reshape(-1)
    return t.view(torch.uint8) if t.dtype != torch.bool else t.to(torch.uint8)


def same_bits(a, b):
    """Whether two results (a tensor or a tuple of tensors) are bitwise equal."""
    a, b = _outputs(a), _outputs(b)
    return len(a) == len(b) and all(
        x.shape == y.shape and x.dtype == y.dtype and torch.equal(_bits(x), _bits(y)) for x, y in zip(a, b))


def detect_contract(fn, kwargs):
    """(contract, why): the accuracy contract PyTorch's defaults give the problem `fn(**kwargs)`. Runs it under the
    `highest` flags twice and under PyTorch's defaults once, on the same inputs: if the defaults' outputs differ
    bitwise from the `highest` ones, some f32 contraction ran at TF32 (cuDNN's default) and the contract is `high`,
    else `highest`. If the two `highest` runs differ (a nondeterministic kernel), the three runs are repeated with
    PyTorch's deterministic algorithms (and cuDNN's); if they still differ the comparison cannot tell, and the
    contract is `highest` (the stricter one) with that said in `why`. The flags are this process's again after."""
    def run(contract):
        with at_contract(contract), torch.no_grad():
            out = tuple(t.clone() for t in _outputs(fn(**kwargs)))
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return out

    def compare():
        first = run("highest")
        if not same_bits(first, run("highest")):
            return None
        return not same_bits(first, run("pytorch"))

    differs = compare()
    note = ""
    if differs is None:
        before = (torch.are_deterministic_algorithms_enabled(),
                  torch.is_deterministic_algorithms_warn_only_enabled(), torch.backends.cudnn.deterministic)
        try:
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.deterministic = True
            differs = compare()
        finally:
            torch.use_deterministic_algorithms(before[0], warn_only=before[1])
            torch.backends.cudnn.deterministic = before[2]
        note = " (compared with deterministic algorithms: two runs under the same flags differed without them)"
    if differs is None:
        return "highest", ("undetermined: two runs under the `highest` flags differ even with deterministic "
                           "algorithms; the stricter contract kept")
    if differs:
        return "high", ("PyTorch's defaults (%s) change its outputs against the `highest` flags: an f32 contraction "
                        "runs at TF32%s" % (_describe(PYTORCH_DEFAULTS), note))
    return "highest", ("its outputs under PyTorch's defaults (%s) equal the `highest` flags' bit for bit%s"
                       % (_describe(PYTORCH_DEFAULTS), note))


def _describe(f):
    return ", ".join("%s=%s" % kv for kv in f.items())


def timed(fn, args, calls=50, warmup=5, device="cuda", contract=None):
    """Median (and min, max) in ms of `calls` calls of fn(*args) after `warmup` calls. On a GPU: CUDA events with
    the L2 flushed before each call; on the CPU (device="cpu", bench/kernelbench/run.py's CPU mode and dry run):
    the host clock, no flush. With `contract` (CONTRACTS) the calls run under its flags (set_contract; a
    torch.compile'd fn must have been compiled under them already, or compile in the warmup); the result names the
    contract and the flags read during the calls ("contract", "flags"). Without, the flags as they are, recorded."""
    with (at_contract(contract) if contract else contextlib.nullcontext()):
        result = _timed(fn, args, calls, warmup, device)
        result["flags"] = flags()
    if contract:
        result["contract"] = contract
    return result


def _timed(fn, args, calls, warmup, device):
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
    contract = sys.argv[sys.argv.index("--contract") + 1] if "--contract" in sys.argv else "pytorch"
    results = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "contract": contract, "ops": {}}
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
    for name, (fn, args) in ops().items():
        if only and name not in only:
            continue
        entry = {}
        try:
            entry["eager"] = timed(fn, args, calls, contract=contract)
        except Exception as e:  # keep going: one failing baseline must not hide the others
            entry["eager_error"] = repr(e)[:300]
        try:
            compiled = torch.compile(fn)  # traced in timed's first warmup call, under the contract's flags
            entry["compile"] = timed(compiled, args, calls, contract=contract)
        except Exception as e:
            entry["compile_error"] = repr(e)[:300]
        results["ops"][name] = entry
        print(name, json.dumps(entry), flush=True)
    with open(path, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
