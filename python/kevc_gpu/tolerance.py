"""The comparison rule of kevc's correctness protocol (the same table and rule as
Sources/KevcInterpreter/Tolerance.swift): an element passes when
|actual - reference| <= atol + rtol * (|reference| + scale), scale being the rms of the reference's finite elements
(a long reduction's rounding error grows with its terms, which the rms tracks, not with a result that cancels),
NaN passes only where the reference is NaN, an infinity only where the reference is the same infinity, and
integers and bool compare exactly. A non-finite value where the reference is finite is a 'nan' failure (the worst
kind), any other mismatch is 'wrong'.

As in Swift, the tolerance is that of the precision the result was computed in (`tolerance`, the metadata's
"tolerance" entry: an f32 computation cast to an f64 result gets f32's; an f32 contraction counts the kernel's
accuracy contract, `matmul_precision`, as ComputedPrecision.swift says: f32 under `highest`, tf32's (f16's) under
`high`, bf16 under `medium`, whatever input precision the schedule gave its dot), never tighter than the result
dtype's; and
`any_value` (flat indices whose element depends on a discontinuity met within tolerance: any value but a NaN the
reference lacks passes; a list of indices or a bool tensor over the flat elements) and `alternatives` (flat index ->
equally good values, an argmax's tying indices) give the same leeway as Swift's `Leeway`. The torch reference
module computes both (`reference_with_leeway`, with the interpreter's rules: see Sources/KevcTorch/TorchPrelude.swift
and docs/reliability.md); the harness passes them here."""

TOLERANCE = {
    "f64": (1e-9, 1e-9),
    "f32": (1e-4, 2e-4),
    "f16": (1e-2, 1e-2),
    "bf16": (6e-2, 3e-2),
    "i8": (0.0, 0.0),
    "i32": (0.0, 0.0),
    "i64": (0.0, 0.0),
    "bool": (0.0, 0.0),
}

FLOAT_TYPES = ("f16", "bf16", "f32", "f64")

# From the most to the least precise (by tolerance), as ComputedPrecision.order in Swift.
_PRECISION_ORDER = ("f64", "f32", "f16", "bf16")


def coarser(a, b):
    """The less precise of two dtypes (integers count as exact), as Swift's ComputedPrecision.coarser."""
    ra = _PRECISION_ORDER.index(a) if a in _PRECISION_ORDER else -1
    rb = _PRECISION_ORDER.index(b) if b in _PRECISION_ORDER else -1
    return a if ra >= rb else b


def element_passes(a, r, atol, rtol, scale=0.0):
    """The element rule on Python floats (for tests and tiny checks)."""
    import math
    if math.isnan(a) or math.isnan(r):
        return math.isnan(a) and math.isnan(r)
    if math.isinf(a) or math.isinf(r):
        return a == r
    return abs(a - r) <= atol + rtol * (abs(r) + scale)


def _unravel(flat, shape):
    out = []
    for s in reversed(shape):
        if s == 0:
            out.append(0)
            continue
        out.append(flat % s)
        flat //= s
    return list(reversed(out))


# Elements per slice of a comparison: compare() and StreamingCompare walk a result in slices of at most this many
# elements, so the comparison's own memory is a few float64 copies of one slice (at most CHECK_COPIES: 64 MiB),
# whatever the result's size (EvaluationFootprint.swift's `checks` term: the same two constants; measured by
# tests/test_scale.py: 5.75 copies for compare(), 7.5 for StreamingCompare). On a GPU a slice costs ~0.1 ms of
# launches and synchronisations, 0.3 s for a 2G-element result.
CHUNK = 1 << 20
CHECK_COPIES = 8
# The most elements per slice of a comparison when the memory free now allows more than CHUNK
# (memory.check_elements): 1 GiB of float64 temporaries; 64 slices of 2^20 elements cost as many launches as 64
# of these (on an H100 ~5 us a launch, ~80 launches a slice: 0.6 s for a 1.6e9-element result in slices of 2^20).
CHECK_CAP = 1 << 24


def _flat_values(torch, actual):
    """The candidate's values, flat (bool as its raw byte: a poisoned bool, 0x5A, never equals a valid
    one)."""
    if actual.dtype == torch.bool:
        return actual.contiguous().view(torch.uint8).reshape(-1)
    return actual.reshape(-1)


# The dtype's own error (docs/reliability.md, "An input the dtype cannot resolve"): where the straightforward
# evaluation of the spec in its declared dtypes (the reference module's eager(), TF32 off) misses the float64
# reference by more than the tolerance on these inputs, the computation is ill-conditioned there (a long
# contraction feeding exp, a sum of huge terms that cancels), and no kernel in that dtype can be held to the plain
# tolerance. The bound is then widened to DTYPE_ERROR_FACTOR times that evaluation's worst normalised error, never
# more than DTYPE_ERROR_CAP times the tolerance; below one (an evaluation within tolerance) nothing changes.
DTYPE_ERROR_FACTOR = 4.0
DTYPE_ERROR_CAP = 64.0


def scale_of(reference, device=None):
    """A reference's scale term (the rms of its finite elements) as a 0-d float64 tensor on `device` (default:
    the reference's), for compare()'s `scale`: computed once per reference by the reference cache."""
    import torch
    return _rms_of_finite(torch, reference.reshape(-1), device or reference.device)


def _scale_tensor(torch, scale, flat_r, device, chunk=None):
    """compare()'s and dtype_error()'s scale term as a 0-d float64 tensor on `device`: `scale` when known (a float
    or a 0-d tensor, scale_of()'s), else computed from the flat reference."""
    if scale is None:
        return _rms_of_finite(torch, flat_r, device, chunk)
    return torch.as_tensor(scale, dtype=torch.float64).to(device).reshape(())


def _rms_of_finite(torch, flat_r, device, chunk=None):
    """The rms of a flat reference's finite elements as a 0-d float64 tensor on `device` (0 when none is finite),
    summed slice by slice (`chunk`, default CHUNK) without a host round trip."""
    f64 = torch.float64
    chunk = chunk or CHUNK
    sumsq = torch.zeros((), dtype=f64, device=device)
    count = torch.zeros((), dtype=torch.int64, device=device)
    for lo in range(0, flat_r.numel(), chunk):
        r = flat_r[lo:lo + chunk].to(device=device, dtype=f64)
        finite = torch.isfinite(r)
        sumsq += torch.where(finite, r, 0.0).square().sum()
        count += finite.sum()
        del r, finite
    return torch.where(count > 0, torch.sqrt(sumsq / count.clamp(min=1)), torch.zeros((), dtype=f64, device=device))


def widening(dtype_error):
    """The factor the element rule's bound is multiplied by, for a result whose straightforward evaluation in its
    dtypes has the worst normalised error `dtype_error` (None: not measured): 1 unless that error exceeds
    1 / DTYPE_ERROR_FACTOR, at most DTYPE_ERROR_CAP."""
    import math
    if dtype_error is None or not math.isfinite(dtype_error):
        return 1.0
    return min(DTYPE_ERROR_CAP, max(1.0, DTYPE_ERROR_FACTOR * float(dtype_error)))


def dtype_error(evaluated, reference, dtype, tolerance=None, scale=None):
    """The worst normalised error |e - r| / (atol + rtol * (|r| + scale)) of `evaluated` (the spec computed in its
    declared dtypes) against the float64 reference, over the elements where both are finite (an overflow of the
    dtype evaluation says nothing of the rounding a kernel must be allowed), in slices of CHUNK. None for integer
    and bool results, and for a shape mismatch. `scale`: the reference's scale term when known (compare's)."""
    import torch
    if dtype not in FLOAT_TYPES or list(evaluated.shape) != list(reference.shape):
        return None
    atol, rtol = TOLERANCE[coarser(tolerance, dtype) if tolerance else dtype]
    flat_e, flat_r = evaluated.reshape(-1), reference.reshape(-1)
    device = flat_e.device
    f64 = torch.float64
    n = flat_e.numel()
    scale = _scale_tensor(torch, scale, flat_r, device)
    worst = torch.zeros((), dtype=f64, device=device)
    for lo in range(0, n, CHUNK):
        e = flat_e[lo:lo + CHUNK].to(f64)
        r = flat_r[lo:lo + CHUNK].to(device=device, dtype=f64)
        fin = torch.isfinite(e) & torch.isfinite(r)
        err = torch.where(fin, (e - r).abs() / (atol + rtol * (r.abs() + scale)), 0.0)
        worst = torch.maximum(worst, err.max() if err.numel() else worst)
    return float(worst)


def compare(actual, reference, dtype, tolerance=None, any_value=None, alternatives=None, dtype_error=None,
            chunk=None, scale=None):
    """Compares a candidate tensor with the float64 reference. Returns a dict: passed, kind ('ok', 'wrong' or
    'nan'), max_abs, max_rel, failures, worst_index, reason, widening. `tolerance`, `any_value` and
    `alternatives`: see the module's docstring; `dtype_error`: the worst normalised error of the spec evaluated in
    its declared dtypes on these inputs (dtype_error()), which widens the bound (widening()). `scale`: the
    reference's scale term when known already (scale_of(): the reference cache keeps it beside the reference), a
    float or 0-d tensor; else one pass over the reference computes it. The verdict's figures then come from one
    pass: the fused kernel (fused_compare.py, CUDA or Triton's interpreter, no leeway: the same figures to the last
    bit), else the torch operations below; both walk the result in slices of CHUNK elements, so that the
    comparison holds a few float64 copies of one slice, never of the whole result (six copies of a 4 GiB float64
    result ran out of memory on an 80 GB card). `chunk`: elements per slice (default CHUNK; the worker passes
    memory.check_elements(), larger where the memory free now allows)."""
    import bisect
    import torch
    atol, rtol = TOLERANCE[coarser(tolerance, dtype) if tolerance else dtype]
    wide = widening(dtype_error) if dtype in FLOAT_TYPES else 1.0
    atol, rtol = atol * wide, rtol * wide
    if list(actual.shape) != list(reference.shape):
        return {"passed": False, "kind": "wrong", "max_abs": float("inf"), "max_rel": float("inf"), "failures": -1,
                "worst_index": None,
                "reason": "shape %s differs from the reference's %s" % (list(actual.shape), list(reference.shape))}
    flat_a = _flat_values(torch, actual)
    flat_r = reference.reshape(-1)
    n = flat_a.numel()
    device = flat_a.device
    f64 = torch.float64
    # The scale term, the rms of the reference's finite elements: the cached one, else a pass summing it on the
    # device (no host round trip per slice: one synchronisation at the end of the comparison).
    chunk = chunk or CHUNK
    scale_t = _scale_tensor(torch, scale, flat_r, device, chunk)
    if torch.is_tensor(any_value):
        any_value = any_value.reshape(-1) if bool(any_value.any()) else None
    elif any_value is not None:
        any_value = sorted(int(i) for i in any_value) or None
    alternatives = {int(i): v for i, v in (alternatives or {}).items()}
    alt_keys = sorted(alternatives)
    rel_floor = atol if atol > 0 else 1.0
    max_abs_t = torch.zeros((), dtype=f64, device=device)
    max_rel_t = torch.zeros((), dtype=f64, device=device)
    failures_t = torch.zeros((), dtype=torch.int64, device=device)
    nonfinite_t = torch.zeros((), dtype=torch.int64, device=device)

    def verdict(lo, hi):
        """The rule on elements [lo, hi): (a, r, ok, non-finite where the reference is finite, diff, fin_r)."""
        a = flat_a[lo:hi].to(f64)
        r = flat_r[lo:hi].to(device=device, dtype=f64)
        nan_a, nan_r = torch.isnan(a), torch.isnan(r)
        fin_r = torch.isfinite(r)
        fin = torch.isfinite(a) & fin_r
        diff = torch.where(fin, (a - r).abs(), 0.0)
        same_special = (nan_a & nan_r) | ((a == r) & ~fin)
        ok = torch.where(fin, diff <= atol + rtol * (r.abs() + scale_t), same_special)
        keys_lo = bisect.bisect_left(alt_keys, lo)
        keys_hi = bisect.bisect_left(alt_keys, hi)
        listed = None
        if any_value is not None and not torch.is_tensor(any_value):
            listed = any_value[bisect.bisect_left(any_value, lo):bisect.bisect_left(any_value, hi)]
        if torch.is_tensor(any_value) or listed or keys_hi > keys_lo:
            if torch.is_tensor(any_value):
                accepted = any_value[lo:hi].to(device=device, dtype=torch.bool).clone()
            else:
                accepted = torch.zeros_like(ok)
                for i in listed or ():
                    accepted[i - lo] = True
            for i in alt_keys[keys_lo:keys_hi]:
                accepted[i - lo] = bool(any(float(a[i - lo]) == float(v) for v in alternatives[i]))
            # A NaN the reference lacks still fails.
            accepted &= ~nan_a | nan_r
            ok = ok | accepted
            diff = torch.where(accepted, 0.0, diff)
            del accepted
        diff = torch.where(fin | same_special, diff, float("inf"))
        bad_nonfinite = ~ok & fin_r & ~torch.isfinite(a)
        return a, r, ok, bad_nonfinite, diff, fin_r

    # The rule, slice by slice, its figures accumulated on the device: in one fused pass where the kernel takes
    # the comparison, else in torch operations (also where the kernel failed: it returns None).
    fused = None
    if any_value is None and not alt_keys and n > 0:
        from . import fused_compare
        if fused_compare.usable(torch, flat_a, flat_r):
            fused = fused_compare.figures(torch, flat_a, flat_r, atol, rtol, rel_floor, scale_t, chunk)
    if fused is not None:
        max_abs_t, max_rel_t, failures_t, nonfinite_t = fused
    for lo in range(0, n if fused is None else 0, chunk):
        hi = min(n, lo + chunk)
        a, r, ok, bad_nonfinite, diff, fin_r = verdict(lo, hi)
        max_abs_t = torch.maximum(max_abs_t, diff.max())
        rel = diff / torch.clamp(torch.where(fin_r, r.abs(), 0.0), min=rel_floor)
        max_rel_t = torch.maximum(max_rel_t, rel.max())
        failures_t += (~ok).sum()
        nonfinite_t += bad_nonfinite.sum()
        del a, r, ok, bad_nonfinite, diff, fin_r, rel
    # The one synchronisation of the comparison.
    scale, max_abs, max_rel = (float(v) for v in torch.stack([scale_t, max_abs_t, max_rel_t]).tolist())
    failures, nonfinite = (int(v) for v in torch.stack([failures_t, nonfinite_t]).tolist())
    if failures == 0:
        return {"passed": True, "kind": "ok", "max_abs": max_abs, "max_rel": max_rel, "failures": 0,
                "worst_index": None, "reason": "", "widening": wide, "dtype_error": dtype_error}
    # A failure: find the first failing element (the first non-finite one for a 'nan'), slice by slice.
    kind = "nan" if nonfinite else "wrong"
    first = None
    for lo in range(0, n, chunk):
        a, r, ok, bad_nonfinite, _, _ = verdict(lo, min(n, lo + chunk))
        bad = bad_nonfinite if kind == "nan" else ~ok
        if bool(bad.any()):
            i = int(torch.nonzero(bad)[0])
            first = (lo + i, float(a[i]), float(r[i]))
            break
        del a, r, ok, bad_nonfinite, bad  # before the next slice's: one slice's copies at a time
    first, va, vr = first
    idx = _unravel(first, list(reference.shape))
    reason = "element %s is %r, expected %r (tolerance %g + %g * (|expected| + %g)%s); %d of %d elements differ" % (
        idx, va, vr, atol, rtol, scale,
        ", widened %gx by the dtype's own error %g" % (wide, dtype_error) if wide > 1 else "", failures, n)
    return {"passed": False, "kind": kind, "max_abs": max_abs, "max_rel": max_rel, "failures": failures,
            "worst_index": idx, "reason": reason, "widening": wide, "dtype_error": dtype_error}


class StreamingCompare:
    """compare() over a reference that arrives in slices (the chunked float64 reference of a result too large to
    hold whole): the same rule, decided exactly. The scale term s (rms of the reference's finite elements) is known
    only at the end, so each piece (at most CHUNK elements) keeps, per element, the smallest scale it would need to
    pass ((|a - r| - atol - rtol |r|) / rtol; +inf for a NaN or infinity mismatch), of which only the piece's largest
    `keep` values and their indices are retained: the verdict (the largest need against s) is exact, and so is the
    failure count unless a piece had more than `keep` failures (then it is a lower bound, said as '>= N').
    Everything a piece contributes stays on the device (0-d tensors and the kept needs): no host round trip per
    piece, one synchronisation in result(). It held 5 + 2 x keep per piece (a float() of each kept value), 25 000
    for a 50M-element result, 800 000 at KernelBench's 1.6e9-element elementwise problems (15-30 s of an H100).
    Memory: a few float64 copies of one piece, and 32 bytes per kept need (12 MiB for 1.6e9 elements)."""

    def __init__(self, dtype, shape, tolerance=None, keep=256, chunk=None):
        self.atol, self.rtol = TOLERANCE[coarser(tolerance, dtype) if tolerance else dtype]
        self.chunk = chunk  # elements per piece (None: CHUNK; see compare's `chunk`)
        self.dtype = dtype
        self.shape = list(shape)
        self.keep = keep
        self.device = None
        self.elements = 0
        # Per piece, on the device: the kept needs with their flat indices, actual and expected values, and the
        # smallest kept need of a piece whose needs were not all kept (+inf otherwise: never a lower bound).
        self.needs, self.indices, self.actuals, self.expecteds, self.floors = [], [], [], [], []

    def _start(self, device):
        import torch
        f64 = torch.float64
        self.device = device
        self.sumsq = torch.zeros((), dtype=f64, device=device)
        self.count = torch.zeros((), dtype=torch.int64, device=device)
        self.max_abs = torch.zeros((), dtype=f64, device=device)
        self.max_rel = torch.zeros((), dtype=f64, device=device)
        # The first non-finite value where the reference is finite: its flat index (NO_INDEX: none), actual, expected.
        self.nonfinite_index = torch.full((), _NO_INDEX, dtype=torch.int64, device=device)
        self.nonfinite_a = torch.zeros((), dtype=f64, device=device)
        self.nonfinite_r = torch.zeros((), dtype=f64, device=device)

    def add(self, actual, reference, offset):
        """One slice: `actual` and `reference` hold the same elements, the first at flat index `offset`. Taken in
        pieces of at most CHUNK elements, so that the temporaries stay a few float64 copies of one piece."""
        import torch
        flat_a = _flat_values(torch, actual)
        flat_r = reference.reshape(-1)
        if flat_a.numel() == 0:
            return
        if self.device is None:
            self._start(flat_a.device)
        chunk = self.chunk or CHUNK
        for lo in range(0, flat_a.numel(), chunk):
            self._add(flat_a[lo:lo + chunk], flat_r[lo:lo + chunk], offset + lo)

    def _add(self, actual, reference, offset):
        import torch
        f64 = torch.float64
        a = actual.to(f64)
        r = reference.to(device=a.device, dtype=f64)
        n = a.numel()
        self.elements += n
        if n == 0:
            return
        fr = torch.isfinite(r)
        self.sumsq += torch.where(fr, r, 0.0).square().sum()
        self.count += fr.sum()
        fa = torch.isfinite(a)
        fin = fa & fr
        same_special = (torch.isnan(a) & torch.isnan(r)) | ((a == r) & ~fin)
        diff = torch.where(fin, (a - r).abs(), 0.0)
        inf = float("inf")
        if self.rtol > 0:
            need = (diff - self.atol - self.rtol * r.abs()) / self.rtol
        else:
            need = torch.where(diff <= self.atol, -inf, inf)
        need = torch.where(fin, need, torch.where(same_special, -inf, inf))
        shown = torch.where(fin | same_special, diff, inf)
        self.max_abs = torch.maximum(self.max_abs, shown.max())
        rel_floor = self.atol if self.atol > 0 else 1.0
        self.max_rel = torch.maximum(self.max_rel, (shown / torch.clamp(torch.where(fr, r.abs(), 0.0),
                                                                         min=rel_floor)).max())
        # The first non-finite value where the reference is finite (argmax: the first True), without a round trip.
        bad = fr & ~fa
        # (A 0-d index tensor would be read back to the host: a one-element index_select is not.)
        i = torch.argmax(bad.view(torch.uint8)).reshape(1)
        here = torch.where(bad.index_select(0, i), i + offset, _NO_INDEX).reshape(())
        first = here < self.nonfinite_index
        self.nonfinite_a = torch.where(first, a.index_select(0, i).reshape(()), self.nonfinite_a)
        self.nonfinite_r = torch.where(first, r.index_select(0, i).reshape(()), self.nonfinite_r)
        self.nonfinite_index = torch.minimum(self.nonfinite_index, here)
        k = min(self.keep, n)
        values, index = torch.topk(need, k)
        self.needs.append(values)
        self.indices.append(index + offset)
        self.actuals.append(a[index])
        self.expecteds.append(r[index])
        if k < n:  # if even the smallest kept need fails, the piece may hold more failures
            self.floors.append(values[-1:])

    def result(self):
        import torch
        if self.device is None:
            return {"passed": True, "kind": "ok", "max_abs": 0.0, "max_rel": 0.0, "failures": 0,
                    "worst_index": None, "reason": "", "chunked": True}
        count = self.count.clamp(min=1).to(torch.float64)
        scale_t = torch.where(self.count > 0, torch.sqrt(self.sumsq / count), torch.zeros_like(self.sumsq))
        needs = torch.cat(self.needs)
        failing = needs > scale_t
        floors = torch.cat(self.floors) if self.floors else needs[:0]
        # The one synchronisation of the comparison: the figures, then the failing elements (few, or none).
        scale, max_abs, max_rel, nonfinite_a, nonfinite_r = torch.stack(
            [scale_t, self.max_abs, self.max_rel, self.nonfinite_a, self.nonfinite_r]).tolist()
        nonfinite_index, n_failing, lower_bound = torch.stack(
            [self.nonfinite_index, failing.sum(), (floors > scale_t).any().to(torch.int64)]).tolist()
        if nonfinite_index == _NO_INDEX and n_failing == 0:
            return {"passed": True, "kind": "ok", "max_abs": max_abs, "max_rel": max_rel, "failures": 0,
                    "worst_index": None, "reason": "", "chunked": True}
        kind = "nan" if nonfinite_index != _NO_INDEX else "wrong"
        if kind == "nan":
            first, a, r = nonfinite_index, nonfinite_a, nonfinite_r
        else:
            index = torch.cat(self.indices)[failing]
            j = int(torch.argmin(index))
            first = int(index[j])
            a = float(torch.cat(self.actuals)[failing][j])
            r = float(torch.cat(self.expecteds)[failing][j])
        n = max(int(n_failing), 1)
        idx = _unravel(first, self.shape)
        reason = "element %s is %r, expected %r (tolerance %g + %g * (|expected| + %g)); %s%d of %d elements differ " \
                 "(compared in slices)" % (idx, a, r, self.atol, self.rtol, scale, ">= " if lower_bound else "", n,
                                           self.elements)
        return {"passed": False, "kind": kind, "max_abs": max_abs, "max_rel": max_rel, "failures": n,
                "worst_index": idx, "reason": reason, "chunked": True}


# No index (StreamingCompare's first non-finite value before one is found): above every flat index.
_NO_INDEX = (1 << 62)
