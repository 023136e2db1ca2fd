"""Device ceilings for roofline floors, measured on the GPU that runs the candidates: memory bandwidth from a large
device-to-device copy of random bytes (bytes read + bytes written per second) and peak arithmetic from large torch.matmul calls
(bf16 and fp32 with TF32 allowed; the faster one is the peak, so floors are never too high). Results are cached
in a JSON file keyed by device name and torch version (KEVC_GPU_CACHE or ~/.cache/kevc_gpu/ceilings.json)."""

import json
import os

METHOD = 2  # bumped when the measurement changes, so that cached ceilings from an older method are not reused


def _cache_path(path):
    if path:
        return path
    base = os.environ.get("KEVC_GPU_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "kevc_gpu")
    return os.path.join(base, "ceilings.json")


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


def get(device, path=None):
    """The ceilings of `device`, from the cache or measured now (and cached)."""
    import torch
    path = _cache_path(path)
    key = "%s|%s|method %d" % (torch.cuda.get_device_properties(device).name, torch.__version__, METHOD)
    data = {}
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {}
    if key in data:
        return data[key]
    value = measure(device)
    data[key] = value
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".%d.tmp" % os.getpid()
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, path)
    except OSError:
        pass
    return value
