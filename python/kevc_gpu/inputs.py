"""Test inputs and poisoned result buffers for the GPU harness, with the distributions of
Sources/KevcInterpreter/RandomInputs.swift (same distributions and domain rules; torch's generator, so not the
same values): float tensors normal, uniform [-1, 1), heavy-tailed (Student-t(2) clipped to +-1e4), near-overflow
(uniform [-80, 80) for f32/f64, [-10, 10) for f16/bf16), with-zeros (normal with ~25% exact zeros) or ties
(integers -3 ... 3); float scalars uniform in [0.01, 1); integers with a value domain uniform in [lo, hi) (sorted
domains: non-decreasing, first lo, last hi - 1), without one uniform in [-4, 16); bool fair coins. Values are
drawn on the CPU from a seeded torch.Generator, rounded to the parameter's dtype and moved to the device."""

import torch

DISTRIBUTIONS = ["normal", "uniform", "heavy-tailed", "near-overflow", "with-zeros", "ties"]

NATIVE = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32, "f64": torch.float64,
          "i8": torch.int8, "i32": torch.int32, "i64": torch.int64, "bool": torch.bool}

MASK64 = (1 << 64) - 1


def trial_seed(base, t):
    return (base + t * 0x9E3779B97F4A7C15) & MASK64


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _values(p, g, distribution, dev):
    t, shape = p["dtype"], p["shape"]
    n = _numel(shape)
    if t == "bool":
        return torch.randint(0, 2, (n,), generator=g, device=dev).to(torch.bool)
    if t in ("i8", "i32", "i64"):
        d = p.get("domain")
        lo, hi, srt = (-4, 16, False) if d is None else (d["lo"], d["hi"], d["sorted"])
        if hi <= lo:
            v = torch.full((n,), lo, dtype=torch.int64, device=dev)
        else:
            v = torch.randint(lo, hi, (n,), generator=g, dtype=torch.int64, device=dev)
        if srt:
            v, _ = torch.sort(v)
            if n >= 1:
                v[0] = lo
            if n >= 2 and hi > lo:
                v[-1] = hi - 1
        return v.to(NATIVE[t]) if t != "i64" else v
    if len(shape) == 0:
        return (0.01 + 0.99 * torch.rand((1,), generator=g, dtype=torch.float64, device=dev)).to(NATIVE[t])
    wide = t in ("f32", "f64")
    if distribution == "normal":
        x = torch.randn((n,), generator=g, dtype=torch.float64, device=dev)
    elif distribution == "uniform":
        x = torch.rand((n,), generator=g, dtype=torch.float64, device=dev) * 2 - 1
    elif distribution == "heavy-tailed":
        z = torch.randn((n,), generator=g, dtype=torch.float64, device=dev)
        u = 1 - torch.rand((n,), generator=g, dtype=torch.float64, device=dev)
        x = z / torch.sqrt(-torch.log(u))
        x = torch.where(torch.isfinite(x), x.clamp(-1e4, 1e4), torch.zeros_like(x))
    elif distribution == "near-overflow":
        w = 80.0 if wide else 10.0
        x = (torch.rand((n,), generator=g, dtype=torch.float64, device=dev) * 2 - 1) * w
    elif distribution == "with-zeros":
        z = torch.randn((n,), generator=g, dtype=torch.float64, device=dev)
        keep = torch.rand((n,), generator=g, dtype=torch.float64, device=dev) >= 0.25
        x = torch.where(keep, z, torch.zeros_like(z))
    elif distribution == "ties":
        x = torch.randint(-3, 4, (n,), generator=g, device=dev).to(torch.float64)
    else:
        raise ValueError("unknown distribution '%s'" % distribution)
    return x.to(NATIVE[t])


def generate(params, seed, distribution, device):
    """One tensor per parameter (0-d for scalars), on `device`, in the parameter's dtype. Drawn on that device
    with its own generator (on a GPU, drawing 67M float64 values on the host and copying them took seconds per
    trial at the benchmark shapes): a seed replays the same values on the same kind of device."""
    out = {}
    dev = torch.device(device)
    for i, p in enumerate(params):
        g = torch.Generator(device=dev)
        g.manual_seed((seed ^ ((i + 1) * 0xD1B54A32D192ED03)) & ((1 << 63) - 1))
        out[p["name"]] = _values(p, g, distribution, dev).reshape(p["shape"])
    return out


POISON = {"i8": 0x5A, "i32": 0x5A5A5A5A, "i64": 0x5A5A5A5A5A5A5A5A}


def poison_(t):
    """Fills a result buffer with poison: NaN for floats, the byte 0x5A repeated for integers and bool (a bool
    byte no valid value has)."""
    if t.dtype.is_floating_point:
        t.fill_(float("nan"))
    elif t.dtype == torch.bool:
        t.view(torch.uint8).fill_(0x5A)
    else:
        t.fill_({torch.int8: POISON["i8"], torch.int32: POISON["i32"], torch.int64: POISON["i64"]}[t.dtype])
    return t


def poisoned(results, device):
    return {r["name"]: poison_(torch.empty(r["shape"], dtype=NATIVE[r["dtype"]], device=device)) for r in results}


def kernel_arguments(params, inputs):
    """Arguments for launch(): tensors as they are, scalars as Python numbers."""
    out = {}
    for p in params:
        v = inputs[p["name"]]
        out[p["name"]] = v.item() if len(p["shape"]) == 0 else v
    return out
