"""Test inputs and poisoned result buffers for the GPU harness, with the distributions of
Sources/KevcInterpreter/RandomInputs.swift (same distributions and domain rules; torch's generator, so not the
same values): float tensors normal, uniform [-1, 1), heavy-tailed (Student-t(2) clipped to +-1e4), near-overflow
(uniform [-80, 80) for f32/f64, [-10, 10) for f16/bf16), with-zeros (normal with ~25% exact zeros) or ties
(integers -3 ... 3); float scalars uniform in [0.01, 1); integers with a value domain uniform in [lo, hi) (sorted
domains: non-decreasing, first lo, last hi - 1), without one uniform in [-4, 16); bool fair coins. Values are
drawn on the device from a seeded torch.Generator, in pieces of GENERATION_CHUNK elements written straight into the
tensor (rounded to the parameter's dtype), so drawing never holds a float64 copy of a whole input."""

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


# Elements drawn at once: a tensor larger than this is drawn in pieces written straight into its buffer, so drawing
# holds a few float64 copies of one piece, never of the whole tensor (drawing a 2.1G-element f32 input at once made
# 16 GiB of float64 temporaries and ran out of memory beside the 8 GiB tensor).
GENERATION_CHUNK = 1 << 20


def _floats(t, n, g, distribution, dev):
    """n float64 values of one distribution, to be rounded to dtype t."""
    wide = t in ("f32", "f64")
    if distribution == "normal":
        return torch.randn((n,), generator=g, dtype=torch.float64, device=dev)
    if distribution == "uniform":
        return torch.rand((n,), generator=g, dtype=torch.float64, device=dev) * 2 - 1
    if distribution == "heavy-tailed":
        z = torch.randn((n,), generator=g, dtype=torch.float64, device=dev)
        u = 1 - torch.rand((n,), generator=g, dtype=torch.float64, device=dev)
        x = z / torch.sqrt(-torch.log(u))
        return torch.where(torch.isfinite(x), x.clamp(-1e4, 1e4), torch.zeros_like(x))
    if distribution == "near-overflow":
        w = 80.0 if wide else 10.0
        return (torch.rand((n,), generator=g, dtype=torch.float64, device=dev) * 2 - 1) * w
    if distribution == "with-zeros":
        z = torch.randn((n,), generator=g, dtype=torch.float64, device=dev)
        keep = torch.rand((n,), generator=g, dtype=torch.float64, device=dev) >= 0.25
        return torch.where(keep, z, torch.zeros_like(z))
    if distribution == "ties":
        return torch.randint(-3, 4, (n,), generator=g, device=dev).to(torch.float64)
    raise ValueError("unknown distribution '%s'" % distribution)


def _piece(p, g, distribution, dev, n):
    """n values of parameter p (flat, in its dtype); sorted integer domains are the caller's."""
    t = p["dtype"]
    if t == "bool":
        return torch.randint(0, 2, (n,), generator=g, device=dev).to(torch.bool)
    if t in ("i8", "i32", "i64"):
        d = p.get("domain")
        lo, hi = (-4, 16) if d is None else (d["lo"], d["hi"])
        if hi <= lo:
            v = torch.full((n,), lo, dtype=torch.int64, device=dev)
        else:
            v = torch.randint(lo, hi, (n,), generator=g, dtype=torch.int64, device=dev)
        return v.to(NATIVE[t]) if t != "i64" else v
    if len(p["shape"]) == 0:
        return (0.01 + 0.99 * torch.rand((1,), generator=g, dtype=torch.float64, device=dev)).to(NATIVE[t])
    return _floats(t, n, g, distribution, dev).to(NATIVE[t])


def _sorted(p):
    d = p.get("domain")
    return p["dtype"] in ("i8", "i32", "i64") and d is not None and d["sorted"]


def _fill(p, g, distribution, dev, out):
    """Draws parameter p's values into `out` (a flat tensor of its dtype), GENERATION_CHUNK elements at a time
    (one draw when it is no larger: the values of a small tensor are those of a single draw)."""
    n = out.numel()
    if _sorted(p):
        d = p["domain"]
        lo, hi = d["lo"], d["hi"]
        v = torch.full((n,), lo, dtype=torch.int64, device=dev) if hi <= lo else torch.randint(
            lo, hi, (n,), generator=g, dtype=torch.int64, device=dev)
        v, _ = torch.sort(v)  # sorted domains (offsets) are small: drawn whole
        if n >= 1:
            v[0] = lo
        if n >= 2 and hi > lo:
            v[-1] = hi - 1
        out.copy_(v)
        return out
    for start in range(0, n, GENERATION_CHUNK):
        out[start:start + GENERATION_CHUNK].copy_(_piece(p, g, distribution, dev, min(GENERATION_CHUNK, n - start)))
    return out


def _generator(seed, i, dev):
    g = torch.Generator(device=dev)
    g.manual_seed((seed ^ ((i + 1) * 0xD1B54A32D192ED03)) & ((1 << 63) - 1))
    return g


def generate(params, seed, distribution, device, into=None):
    """One tensor per parameter (0-d for scalars), on `device`, in the parameter's dtype. Drawn on that device
    with its own generator (on a GPU, drawing 67M float64 values on the host and copying them took seconds per
    trial at the benchmark shapes): a seed replays the same values on the same kind of device. With `into` (a dict
    of tensors of the same parameters: the buffers a kernel already has), the new values are written into those
    buffers in place and the dict is returned (scalars are replaced): no second copy of the inputs."""
    out = {} if into is None else into
    dev = torch.device(device)
    for i, p in enumerate(params):
        g = _generator(seed, i, dev)
        if len(p["shape"]) == 0:
            out[p["name"]] = _piece(p, g, distribution, dev, 1).reshape([])
            continue
        target = out.get(p["name"]) if into is not None else None
        if target is None:
            target = torch.empty(p["shape"], dtype=NATIVE[p["dtype"]], device=dev)
        _fill(p, g, distribution, dev, target.view(-1))
        out[p["name"]] = target
    return out


def matches(params, seed, distribution, device, values):
    """Whether `values` still hold exactly what `generate` draws from (seed, distribution): the bitwise input check
    without a snapshot (the values are drawn again piece by piece and compared, GENERATION_CHUNK elements at a
    time). Returns the names of the parameters that differ."""
    dev = torch.device(device)
    differ = []
    for i, p in enumerate(params):
        if len(p["shape"]) == 0:
            continue
        g = _generator(seed, i, dev)
        flat = values[p["name"]].reshape(-1)
        n = flat.numel()
        if _sorted(p):
            fresh = _fill(p, g, distribution, dev, torch.empty_like(flat))
            pieces = [(0, fresh)]
        else:
            pieces = ((s, _piece(p, g, distribution, dev, min(GENERATION_CHUNK, n - s)))
                      for s in range(0, n, GENERATION_CHUNK))
        for start, piece in pieces:
            a, b = flat[start:start + piece.numel()], piece
            if a.dtype == torch.bool:
                a, b = a.view(torch.uint8), b.view(torch.uint8)
            elif a.dtype.is_floating_point:
                view = {2: torch.int16, 4: torch.int32, 8: torch.int64}[a.element_size()]
                a, b = a.view(view), b.view(view)
            if not torch.equal(a, b):
                differ.append(p["name"])
                break
    return differ


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
