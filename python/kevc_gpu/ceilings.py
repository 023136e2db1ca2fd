"""Device ceilings for roofline floors, measured on the GPU that runs the candidates: memory bandwidth from a large
device-to-device copy of random bytes (bytes read + bytes written per second) and peak arithmetic from large torch.matmul calls
(bf16 and fp32 with TF32 allowed; the faster one is the peak, so floors are never too high). Results are cached
in a JSON file keyed by device name and torch version (KEVC_GPU_CACHE or ~/.cache/kevc_gpu/ceilings.json)."""

import json
import os

METHOD = 2  # bumped when the measurement changes, so that cached ceilings from an older method are not reused


def _cache_path(path, name="ceilings.json"):
    if path:
        return path if name == "ceilings.json" else os.path.join(os.path.dirname(path) or ".", name)
    base = os.environ.get("KEVC_GPU_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "kevc_gpu")
    return os.path.join(base, name)


def _read(path):
    try:
        with open(path) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _store(path, key, value, keep=None):
    """Adds key -> value to the JSON object in `path` (atomically replaced; concurrent writers may lose an entry,
    which is then measured again). With `keep`, only the newest `keep` entries stay."""
    data = _read(path)
    data.pop(key, None)
    data[key] = value
    if keep is not None and len(data) > keep:
        data = dict(list(data.items())[-keep:])
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".%d.tmp" % os.getpid()
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, path)
    except OSError:
        pass


def _module_key(reference_path):
    import hashlib
    with open(reference_path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def cached_measured_cost(reference_path, cache=None):
    """The measured cost of a reference module when already cached (measured_cost), else None: nothing measured."""
    cached = _read(_cache_path(cache, "measured-costs.json")).get(_module_key(reference_path))
    return dict(cached, source="measured (cached)") if isinstance(cached, dict) and "bytes" in cached else None


def measured_cost(reference_path, measure, cache=None):
    """measure() (the reference module's measured_cost for some inputs), once per reference module: cached by the
    module's SHA-256 next to the ceilings (measured-costs.json). Only for modules whose cost does not depend on
    the inputs (COST_DEPENDS_ON_INPUTS = False): every candidate of a search shares its workload's reference, and
    measuring it took up to 20 s of the GPU per candidate (attention at B=4, H=32, S=2048)."""
    cached = cached_measured_cost(reference_path, cache)
    if cached is not None:
        return cached
    cost = measure()
    _store(_cache_path(cache, "measured-costs.json"), _module_key(reference_path),
           {k: cost[k] for k in ("bytes", "bytes_read", "bytes_written", "flops") if k in cost}, keep=4096)
    return dict(cost, source="measured")


def _median_time(fn, calls=10, warmup=3):
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(calls):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e) / 1e3)
    times.sort()
    return times[len(times) // 2]


def measure(device):
    import torch
    props = torch.cuda.get_device_properties(device)
    n = 1 << 30  # 1 GiB, far beyond L2
    # Random bytes: a constant buffer may be stored compressed, and then copies faster than memory can move data.
    src = torch.randint(0, 256, (n,), dtype=torch.uint8, device=device)
    dst = torch.empty_like(src)
    t = _median_time(lambda: dst.copy_(src), calls=20)
    bandwidth = 2 * n / t
    del src, dst
    peaks = {}
    for name, dtype, size in (("bf16", torch.bfloat16, 8192), ("fp32", torch.float32, 4096)):
        a = torch.randn(size, size, device=device).to(dtype)
        b = torch.randn(size, size, device=device).to(dtype)
        old = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = True
        try:
            t = _median_time(lambda: torch.matmul(a, b), calls=5)
        finally:
            torch.backends.cuda.matmul.allow_tf32 = old
        peaks[name] = 2 * size ** 3 / t
        del a, b
    torch.cuda.empty_cache()
    return {"device": props.name, "torch": torch.__version__, "bandwidth_bytes_per_s": bandwidth,
            "peak_flops_per_s": max(peaks.values()), "matmul_flops_per_s": peaks,
            "l2_bytes": int(getattr(props, "L2_cache_size", 0) or 0)}


_known = {}  # (cache path, key) -> ceilings: a warm worker reads the file once


def _key(device):
    import torch
    return "%s|%s|method %d" % (torch.cuda.get_device_properties(device).name, torch.__version__, METHOD)


def cached(device, path=None):
    """The ceilings of `device` when already measured (this process or the cache file), else None: no device work,
    so a worker needs the GPU to itself only when they must be measured."""
    path = _cache_path(path)
    key = _key(device)
    if (path, key) not in _known:
        data = _read(path)
        if key not in data:
            return None
        _known[(path, key)] = data[key]
    return _known[(path, key)]


def get(device, path=None):
    """The ceilings of `device`, from the cache or measured now (and cached)."""
    hit = cached(device, path)
    if hit is not None:
        return hit
    path = _cache_path(path)
    key = _key(device)
    value = measure(device)
    _store(path, key, value)
    _known[(path, key)] = value
    return value
