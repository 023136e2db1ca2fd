"""How much memory the harness's own work may still take, measured when it is about to take it, not declared.

The search admits an evaluation by its declared footprint (EvaluationFootprint.swift), but other processes share the
card (other searches, the PyTorch baselines of a benchmark, workers waiting for their timing turn with their buffers
held): on an H100 the float64 reference was sliced to fit the declared budget and its 4.36 GiB slice still ran out
of memory. So the worker asks, before each float64 reference, what is free now:

- `free_bytes(torch, device)`: on a GPU, the driver's free memory plus what PyTorch's allocator holds unused in this
  process; on the CPU, the room left under this process's data-size limit (`cap_cpu_memory`, the tests' memory cap)
  or, without one, the host's available memory.
- `whole_reference_fits(...)`: whether the float64 reference in one piece (every definition, the
  comparison's slices) fits in that with a margin; else the worker computes it in slices,
- `slice_elements(...)`: sized from what is free after the whole-held parts (the definitions other definitions
  read; float64 input copies only for a module emitted before the reference read its inputs in place), at most SLICE_CAP elements.

For example, with A(B=4096, D=393216) f32 (6 GiB), softplus's reference reads A in place (it converts to float64 only
the elements it gathers), and each slice of its result costs two float64 copies of itself; with 20 GiB free the
slices are SLICE_CAP elements (256 MiB).
"""

# The most elements of one slice of the float64 reference: larger slices buy nothing on a GPU (each is still
# hundreds of MiB of work) and leave less room to whoever shares the card.
SLICE_CAP = 1 << 25
# What is kept free beside the harness's estimate: allocator rounding, Triton's and cuBLAS's workspaces (on a GPU);
# allocator rounding and the thread pool's stacks (on the CPU).
MARGIN = {"cuda": 512 << 20, "cpu": 64 << 20}
_SIZE = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "i8": 1, "i32": 4, "i64": 8, "bool": 1}


def _margin(device):
    return MARGIN.get(device.type, MARGIN["cuda"])


def _count(shape):
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _proc_status(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def cap_cpu_memory(cap_bytes):
    """Limits this process's data (RLIMIT_DATA: heap and private mappings, where torch's CPU tensors live) to what it
    uses now plus cap_bytes: the CPU tests' stand-in for a card with cap_bytes free."""
    import ctypes
    import resource
    try:
        # A fixed mmap threshold: freed tensors go back to the system at once (glibc's dynamic threshold keeps freed
        # blocks of up to 32 MiB in the heap), so that the data size measures what is held.
        ctypes.CDLL(None).mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass
    used = _proc_status("VmData") or 0
    limit = used + int(cap_bytes)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, resource.getrlimit(resource.RLIMIT_DATA)[1]))
    return limit


def free_bytes(torch, device):
    """Bytes this process can still allocate on `device` now (None when unknown)."""
    if device.type == "cuda":
        try:
            free, _ = torch.cuda.mem_get_info(device)
            return int(free) + int(torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device))
        except Exception:  # noqa: BLE001 - no information is not an error
            return None
    import resource
    soft, _ = resource.getrlimit(resource.RLIMIT_DATA)
    if soft != resource.RLIM_INFINITY:
        used = _proc_status("VmData")
        return None if used is None else max(0, soft - used)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def reference_parts(ref):
    """(input copies, definitions by name) in bytes of the float64 reference module `ref`. The reference reads the
    inputs where they are and converts to float64 only what a load gathers (a reduction chunk at a time), so it
    holds no copy of them (0; a module emitted before that, without `_Ctx.convert`, holds a clone and a float64
    copy of each input), and stores every definition in float64."""
    params = ref.KEVC_REFERENCE["params"]
    copies = 0
    if not hasattr(getattr(ref, "_Ctx", None), "convert"):
        inputs = sum(_count(p["shape"]) * _SIZE[p["dtype"]] for p in params)
        copies = inputs + sum(_count(p["shape"]) * 8 for p in params)
    defs = {d[0]: _count(d[2]) * 8 for d in ref._DEFINITIONS}
    return copies, defs


def checks_bytes(ref):
    """The comparison's own memory (tolerance.compare, StreamingCompare): CHECK_COPIES float64 copies of one slice of
    at most CHUNK elements of the largest result."""
    from .tolerance import CHUNK, CHECK_COPIES
    largest = max([_count(r["shape"]) for r in ref.KEVC_REFERENCE["results"]] or [0])
    return min(largest, CHUNK) * 8 * CHECK_COPIES


def check_elements(torch, device, reserved=0):
    """Elements per slice of the comparison (tolerance.compare, StreamingCompare) from the memory free now, less
    `reserved` bytes still to be allocated beside it: CHECK_COPIES float64 copies of a slice in at most a quarter of
    what is left (the card is shared), a power of two between CHUNK (what the footprint declares, `checks`) and
    CHECK_CAP. Fewer, larger slices: the same rule, fewer launches. On the CPU (the tests, Triton's interpreter)
    always CHUNK: without a caching allocator every large temporary is a fresh mapping, and slices of 2^24 compared
    a 50M-element result 3x slower than slices of 2^20 (bench/harness/README.md)."""
    from .tolerance import CHUNK, CHECK_CAP, CHECK_COPIES
    free = free_bytes(torch, device) if device.type != "cpu" else None
    if free is None:
        return CHUNK
    room = (free - int(reserved) - _margin(device)) // (4 * CHECK_COPIES * 8)
    n = CHUNK
    while n * 2 <= min(room, CHECK_CAP):
        n *= 2
    return n


def whole_reference_fits(torch, device, ref, held_later=0):
    """Whether the float64 reference in one piece fits in the memory free now, with `held_later` bytes more to be
    allocated while it is held (the trial's snapshot and poisoned outputs), the comparison and a margin."""
    free = free_bytes(torch, device)
    if free is None:
        return True
    copies, defs = reference_parts(ref)
    results = sum(defs.get(r["name"], 0) for r in ref.KEVC_REFERENCE["results"])
    leeway = sum(_count(r["shape"]) for r in ref.KEVC_REFERENCE["results"])  # any_value: a bool per element
    need = max(copies + sum(defs.values()), results + leeway + held_later + checks_bytes(ref)) + _margin(device)
    return need <= free


def slice_elements(torch, device, ref, limit=None):
    """Elements per slice of the chunked reference, from the memory free now: what is left after the parts held
    whole (input copies, definitions not streamed) and the comparison, over two float64 copies per element (the
    slice and its rows' evaluation), at most SLICE_CAP (and `limit`, the budget's figure, when given)."""
    copies, defs = reference_parts(ref)
    streamed = set(getattr(ref, "_STREAMABLE", ()))
    fixed = copies + sum(v for k, v in defs.items() if k not in streamed) + checks_bytes(ref) + _margin(device)
    free = free_bytes(torch, device)
    n = SLICE_CAP if free is None else max(1 << 12, (free - fixed) // 16)
    if limit is not None:
        n = min(n, int(limit))
    return int(max(1, min(n, SLICE_CAP)))
