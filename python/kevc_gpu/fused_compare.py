"""compare()'s verdict in one pass over the result (tolerance.py): a Triton kernel that reads each element of the
candidate and of the float64 reference once and writes, per block of elements, the four figures of the rule (the
largest shown difference, the largest relative difference, the failures, the non-finite values where the reference
is finite); the blocks' partials are reduced after (a max and a sum: exact whatever their order). The rule is
compare()'s `verdict` operation for operation in float64, without contraction (`enable_fp_fusion=False`: no
multiply-add where the torch path rounds the product), so its figures equal the torch path's to the last bit and
its failures are the same count:

    fin  = isfinite(a) & isfinite(r);   diff = fin ? |a - r| : 0
    same = (isnan(a) & isnan(r)) | (a == r & !fin)
    ok   = fin ? diff <= atol + rtol * (|r| + scale) : same          (a NaN never passes where r is not NaN)
    shown = (fin | same) ? diff : inf;  rel = shown / max(isfinite(r) ? |r| : 0, rel_floor)

What it does not cover stays with the torch path (tolerance.compare decides): leeway (`any_value`,
`alternatives`), a device that is not CUDA unless Triton's interpreter is on, dtypes it does not take, and the
search for the first failing element after a failed verdict. The scale term is an input (a 0-d float64 tensor:
the reference cache's, or tolerance._rms_of_finite's). A failure of the kernel itself (a compile error) is the
harness's: logged once on stderr, and every comparison of the process takes the torch path. On a GPU the worker
compiles it before the device lock (compile_ahead, for its results' dtypes), so no compile holds the device.
`KEVC_FUSED_COMPARE=0` turns it off (the benchmark's old path, bench/harness/compare-speed.py)."""

import os
import sys

try:
    import triton.language as tl
except ImportError:  # no Triton: usable() says no
    tl = None

# Elements per program: on a GPU 2048 (8 warps, 8 elements a thread); under the interpreter, where a program is a
# few dozen numpy operations over the block, 2^16 (the figures do not depend on the blocking).
BLOCK = 2048
INTERPRETER_BLOCK = 1 << 16
# The most elements per launch (32-bit offsets within a launch; a longer device reference is several launches).
SPAN = 1 << 30

_kernels = {}  # interpreter on -> the jitted kernel
_broken = []  # the first failure of the kernel (then never used again in this process)

# The candidate's dtypes the kernel loads (bool arrives as its raw byte, uint8: tolerance._flat_values).
_DTYPES = ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8")


def _interpreting():
    return os.environ.get("TRITON_INTERPRET") == "1"


if tl is not None:
    def _figures(a_ptr, r_ptr, p_ptr, f_ptr, i_ptr, n, blocks, BLOCK: tl.constexpr):
        """Per program, the figures of elements [pid * BLOCK, (pid + 1) * BLOCK) of n: f[pid] the largest shown
        difference, f[blocks + pid] the largest relative one, i[pid] the failures, i[blocks + pid] the non-finite
        values where the reference is finite. p holds atol, rtol, rel_floor, scale (float64)."""
        pid = tl.program_id(0)
        offs = pid * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        a = tl.load(a_ptr + offs, mask=mask, other=0).to(tl.float64)
        r = tl.load(r_ptr + offs, mask=mask, other=0).to(tl.float64)
        atol = tl.load(p_ptr)
        rtol = tl.load(p_ptr + 1)
        rel_floor = tl.load(p_ptr + 2)
        scale = tl.load(p_ptr + 3)
        inf = float("inf")
        nan_a = a != a
        nan_r = r != r
        fin_a = tl.abs(a) < inf
        fin_r = tl.abs(r) < inf
        fin = fin_a & fin_r
        diff = tl.where(fin, tl.abs(a - r), 0.0)
        same_special = (nan_a & nan_r) | ((a == r) & (fin == 0))
        ok = tl.where(fin, diff <= atol + rtol * (tl.abs(r) + scale), same_special)
        shown = tl.where(fin | same_special, diff, inf)
        rel = shown / tl.maximum(tl.where(fin_r, tl.abs(r), 0.0), rel_floor)
        bad = (ok == 0) & mask
        nonfinite = bad & fin_r & (fin_a == 0)
        tl.store(f_ptr + pid, tl.max(tl.where(mask, shown, 0.0), 0))
        tl.store(f_ptr + blocks + pid, tl.max(tl.where(mask, rel, 0.0), 0))
        tl.store(i_ptr + pid, tl.sum(bad.to(tl.int32), 0).to(tl.int64))
        tl.store(i_ptr + blocks + pid, tl.sum(nonfinite.to(tl.int32), 0).to(tl.int64))


def _kernel():
    """The jitted kernel for the interpreter's setting now (Triton decides at decoration time)."""
    interpreting = _interpreting()
    k = _kernels.get(interpreting)
    if k is None:
        import triton
        k = _kernels[interpreting] = triton.jit(_figures, do_not_specialize=["n", "blocks"])
    return k


def compile_ahead(torch, dtypes):
    """Triton's compile of the kernel for candidates of these torch dtypes against a float64 reference, with no
    GPU work (JITFunction.warmup), before any lock (worker.compile_ahead): the comparisons under the lock then find
    it compiled. Off CUDA, turned off or failed before: nothing. A failure here is left to the first comparison
    (which falls back to the torch path, logged once)."""
    if _broken or os.environ.get("KEVC_FUSED_COMPARE") == "0" or _interpreting() or tl is None:
        return
    try:
        kernel = _kernel()
        for dt in dict.fromkeys(torch.uint8 if dt == torch.bool else dt for dt in dtypes):
            if str(dt).replace("torch.", "") in _DTYPES:
                kernel.warmup(dt, torch.float64, torch.float64, torch.float64, torch.int64, BLOCK * 2, 2,
                              BLOCK=BLOCK, num_warps=8, enable_fp_fusion=False, grid=(2,))
    except Exception:  # noqa: BLE001 - compiled (or failing, logged) at the first comparison instead
        return


def usable(torch, flat_a, flat_r):
    """Whether the kernel takes this comparison: CUDA tensors (or any, under the interpreter), dtypes it loads,
    Triton importable, not turned off, not failed before in this process."""
    if _broken or os.environ.get("KEVC_FUSED_COMPARE") == "0":
        return False
    if flat_a.device.type != "cuda" and not _interpreting():
        return False
    if flat_r.device.type not in ("cpu", flat_a.device.type):
        return False
    if str(flat_a.dtype).replace("torch.", "") not in _DTYPES or str(flat_r.dtype).replace("torch.", "") \
            not in _DTYPES:
        return False
    return tl is not None


def _in_place(flat_a, flat_r):
    """Whether the kernel reads the reference where it lies (on the candidate's device), else slice by slice."""
    return flat_r.device == flat_a.device


def figures(torch, flat_a, flat_r, atol, rtol, rel_floor, scale_t, chunk):
    """(max_abs, max_rel, failures, nonfinite) as 0-d tensors on flat_a's device (no host round trip), or None when
    the kernel failed (logged once; the caller takes the torch path). A reference on the device is read where it
    lies (launches of at most SPAN elements); one on the host (the reference cache's host tier, pinned) is copied
    `chunk` elements at a time, so the comparison's own memory stays one slice."""
    device = flat_a.device
    f64 = torch.float64
    n = flat_a.numel()
    block = INTERPRETER_BLOCK if _interpreting() else BLOCK
    params = torch.cat([torch.tensor([atol, rtol, rel_floor], dtype=f64).to(device),
                        scale_t.reshape(1).to(device=device, dtype=f64)])
    max_abs = torch.zeros((), dtype=f64, device=device)
    max_rel = torch.zeros((), dtype=f64, device=device)
    failures = torch.zeros((), dtype=torch.int64, device=device)
    nonfinite = torch.zeros((), dtype=torch.int64, device=device)
    here = _in_place(flat_a, flat_r)
    step = SPAN if here else max(1, min(SPAN, chunk))
    try:
        kernel = _kernel()
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            a = flat_a[lo:hi].contiguous()
            r = flat_r[lo:hi]
            r = r.contiguous() if here else r.to(device, non_blocking=r.is_pinned())
            blocks = (hi - lo + block - 1) // block
            f = torch.empty(2 * blocks, dtype=f64, device=device)
            i = torch.empty(2 * blocks, dtype=torch.int64, device=device)
            launch = {} if _interpreting() else {"num_warps": 8, "enable_fp_fusion": False}
            kernel[(blocks,)](a, r, params, f, i, hi - lo, blocks, BLOCK=block, **launch)
            max_abs = torch.maximum(max_abs, f[:blocks].max())
            max_rel = torch.maximum(max_rel, f[blocks:].max())
            failures += i[:blocks].sum()
            nonfinite += i[blocks:].sum()
            del a, r, f, i
    except Exception as e:  # noqa: BLE001 - the harness's own failure: never the candidate's
        _broken.append(e)
        print("kevc_gpu: the fused comparison kernel failed (%s: %s); comparisons take the torch path"
              % (type(e).__name__, str(e)[:300]), file=sys.stderr)
        return None
    return max_abs, max_rel, failures, nonfinite
