"""Float64 references computed once per (workload, input seed) and reused by every candidate.

A search checks hundreds of candidates of one workload against the same reference module; with the same trial
seeds their inputs are the same, and so are the float64 reference outputs, which at bench shapes cost more than the
candidate (attention: seconds per trial). `ReferenceCache.get(module, seed, distribution, compute)` returns the
outputs for the inputs drawn from `seed`, computing them at most once per process (a warm worker keeps them across
candidates) and once per machine for those small enough for the disk tier (other workers and later searches read
the file). Where a copy lives depends on its size:

| tier | what | limit |
|---|---|---|
| device | tensors left on the GPU, ready to compare | 512 MiB in all per worker |
| host | CPU memory (pinned when a GPU is used), copied to the device per use | 4 GiB in all per worker |
| disk | `--reference-cache DIR`, else `$KEVC_GPU_CACHE/references/<key>.pt` (else under `~/.cache/kevc_gpu`), written atomically | 2 GiB per reference |

The key is the SHA-256 of the reference module's text (kernel, shapes, semantics), the seed, the distribution, the
device type, the torch version (input generation is torch's generator: another version may draw other inputs) and
the harness's input-generation version (`GENERATION`).
A reference too large for its memory budget is computed in slices instead and never cached.

Nothing of the disk tier runs under the device lock: `prefetch` reads a candidate's files into host memory before
the worker takes the lock (get() then only copies them to the device), and a computed reference is copied to the
host under the lock but written to disk by `flush_pending`, after the worker lets the lock go (reading and writing
a 256 MiB file held the device for a few tenths of a second, every other worker's timing waiting behind it).

Which seeds are reused is the caller's choice (the search: `--reuse-references`; docs/search.md): the trial seeds of
a workload epoch are shared by K candidates, then a fresh base seed is drawn, so no kernel can fit fixed inputs; a
candidate about to become the best is checked once more on a fresh seed whose reference is never cached. The
correctness protocol is unchanged: poisoned outputs, every distribution, NaN never passes.
"""

import hashlib
import os

DEVICE_LIMIT = 512 << 20
HOST_LIMIT = 4 << 30
DISK_LIMIT = 2 << 30

_memory = {}  # key -> (tier, {name: tensor}, bytes)
_prefetched = {}  # key -> {name: host tensor}, read from disk before the lock (prefetch)
_pending = []  # (path, {name: host tensor}): computed references to write to disk after the lock (flush_pending)
_used = {"device": 0, "host": 0}
_stats = {"hits": 0, "disk_hits": 0, "computed": 0}


# The reserved name (NUL-prefixed: no result has it) of a result's scale term in the cached outputs: SCALE + name,
# a 0-d float64 tensor (tolerance.scale_of).
SCALE = "\0scale:"


def _digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _cache_dir(given=None):
    if given:
        return given
    base = os.environ.get("KEVC_GPU_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "kevc_gpu")
    return os.path.join(base, "references")


def _nbytes(outputs):
    return sum(t.numel() * t.element_size() for t in outputs.values())


# The input generation's version (inputs.py): large tensors are drawn in pieces since version 2, so the same seed
# draws other values than before; references computed by an older harness are never reused.
GENERATION = 2


def key(module_path, seed, distribution, device):
    import torch
    return "%s-%016x-%s-%s-%s-g%d" % (_digest(module_path)[:32], seed & ((1 << 64) - 1), distribution,
                                      torch.device(device).type, torch.__version__.replace("+", "_"), GENERATION)


def stats():
    return dict(_stats)


def get(module_path, seed, distribution, device, compute, cache_dir=None):
    """The reference outputs for (module, seed, distribution) on `device`: from this process's memory, the disk, or
    compute() (then kept by size), with each result's scale term under SCALE + name. Returns (outputs, source)
    with source 'memory', 'disk' or 'computed'. The tensors returned must not be written (compare() only reads)."""
    import torch
    k = key(module_path, seed, distribution, device)
    hit = _memory.get(k)
    if hit is not None:
        _stats["hits"] += 1
        tier, outputs, _ = hit
        if tier == "device":
            return outputs, "memory"
        return {n: t.to(device, non_blocking=True) for n, t in outputs.items()}, "memory"
    path = os.path.join(_cache_dir(cache_dir), k + ".pt")
    outputs, source = None, "computed"
    # A host copy of the outputs where one exists already (the prefetched file, pinned for a GPU; the file read
    # here; the copy a computed reference makes for the disk tier): the host tier keeps it instead of copying the
    # device's outputs back and pinning them again, two copies of a reference that is often hundreds of MiB (softmax
    # at 8192 x 8192: 1.4 s of "reference fetch" per evaluation under the device lock on an H100,
    # bench/search/throughput-h100-2026-12-07-racing).
    host = None
    early = _prefetched.pop(k, None)
    if early is not None:
        host = early
        outputs = {n: t.to(device, non_blocking=True) for n, t in early.items()}
        source = "disk"
        _stats["disk_hits"] += 1
    elif os.path.exists(path):
        try:
            host = torch.load(path, map_location="cpu")
            outputs = {n: t.to(device, non_blocking=True) for n, t in host.items()}
            source = "disk"
            _stats["disk_hits"] += 1
        except Exception:  # noqa: BLE001 - a damaged or partial file is recomputed
            outputs = host = None
    if outputs is None:
        outputs = compute()
        _stats["computed"] += 1
    # The scale term of each result (the rms of its finite elements), once per reference: kept beside it in every
    # tier, so that a candidate's comparison reads the reference once (tolerance.compare's `scale`). A file
    # written before the scale was kept gets it here.
    missing = [n for n in outputs if not n.startswith("\0") and SCALE + n not in outputs]
    if missing:
        from .tolerance import scale_of
        outputs = dict(outputs)
        for n in missing:
            outputs[SCALE + n] = scale_of(outputs[n])
        if host is not None:
            host = dict(host)
            for n in missing:
                host[SCALE + n] = outputs[SCALE + n].cpu()
    size = _nbytes(outputs)
    dev = torch.device(device)
    to_device_tier = dev.type != "cpu" and _used["device"] + size <= DEVICE_LIMIT
    to_host_tier = not to_device_tier and _used["host"] + size <= HOST_LIMIT
    if source == "computed" and (size <= DISK_LIMIT or to_host_tier):
        host = {n: t.detach().cpu() for n, t in outputs.items()}
        if size <= DISK_LIMIT:
            _pending.append((path, host))  # written by flush_pending (read only: the host tier may share it)
    if to_device_tier:
        _memory[k] = ("device", outputs, size)
        _used["device"] += size
    elif to_host_tier:
        if dev.type == "cpu":
            host = outputs  # the outputs are on the host already
        elif dev.type == "cuda":
            host = {n: t if t.is_pinned() else t.pin_memory() for n, t in host.items()}
        _memory[k] = ("host", host, size)
        _used["host"] += size
    return outputs, source


def prefetch(module_path, seed, distribution, device, cache_dir=None):
    """Reads the disk tier's file for (module, seed, distribution) into host memory (pinned for a GPU), when this
    process does not hold it already: before the device lock, so that get() under it only copies to the device.
    Returns whether a file was read."""
    import torch
    k = key(module_path, seed, distribution, device)
    if k in _memory or k in _prefetched:
        return False
    path = os.path.join(_cache_dir(cache_dir), k + ".pt")
    if not os.path.exists(path):
        return False
    try:
        host = torch.load(path, map_location="cpu")
        if torch.device(device).type == "cuda":
            host = {n: t.pin_memory() for n, t in host.items()}
    except Exception:  # noqa: BLE001 - a damaged or partial file: get() reads (or recomputes) it
        return False
    _prefetched[k] = host
    return True


def forget_prefetched():
    """Drops what an earlier job prefetched and never used (a candidate that failed before its revalidation; a
    warm worker takes candidates of later epochs, whose seeds differ): host memory, not a cache."""
    _prefetched.clear()


def flush_pending():
    """Writes the references computed since the last call to the disk tier (atomically), after the lock."""
    import torch
    while _pending:
        path, host = _pending.pop(0)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = "%s.%d.tmp" % (path, os.getpid())
            torch.save(host, tmp)
            os.replace(tmp, path)
        except OSError:
            pass


def clear():
    """Forgets what this process holds (tests; a worker that ran out of memory)."""
    _memory.clear()
    _prefetched.clear()
    _used["device"] = _used["host"] = 0
