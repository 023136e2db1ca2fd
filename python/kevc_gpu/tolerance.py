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


def _rms_of_finite(torch, flat_r, device):
    """The rms of a flat reference's finite elements as a 0-d float64 tensor on `device` (0 when none is finite),
    summed slice by slice (CHUNK) without a host round trip."""
    f64 = torch.float64
    sumsq = torch.zeros((), dtype=f64, device=device)
    count = torch.zeros((), dtype=torch.int64, device=device)
    for lo in range(0, flat_r.numel(), CHUNK):
        r = flat_r[lo:lo + CHUNK].to(device=device, dtype=f64)
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


def dtype_error(evaluated, reference, dtype, tolerance=None):
    """The worst normalised error |e - r| / (atol + rtol * (|r| + scale)) of `evaluated` (the spec computed in its
    declared dtypes) against the float64 reference, over the elements where both are finite (an overflow of the
    dtype evaluation says nothing of the rounding a kernel must be allowed), in slices of CHUNK. None for integer
    and bool results, and for a shape mismatch."""
    import torch
    if dtype not in FLOAT_TYPES or list(evaluated.shape) != list(reference.shape):
        return None
    atol, rtol = TOLERANCE[coarser(tolerance, dtype) if tolerance else dtype]
    flat_e, flat_r = evaluated.reshape(-1), reference.reshape(-1)
    device = flat_e.device
    f64 = torch.float64
    n = flat_e.numel()
    scale = _rms_of_finite(torch, flat_r, device)
    worst = torch.zeros((), dtype=f64, device=device)
    for lo in range(0, n, CHUNK):
        e = flat_e[lo:lo + CHUNK].to(f64)
        r = flat_r[lo:lo + CHUNK].to(device=device, dtype=f64)
        fin = torch.isfinite(e) & torch.isfinite(r)
        err = torch.where(fin, (e - r).abs() / (atol + rtol * (r.abs() + scale)), 0.0)
        worst = torch.maximum(worst, err.max() if err.numel() else worst)
    return float(worst)


def compare(actual, reference, dtype, tolerance=None, any_value=None, alternatives=None, dtype_error=None):
    """Compares a candidate tensor with the float64 reference. Returns a dict: passed, kind ('ok', 'wrong' or
    'nan'), max_abs, max_rel, failures, worst_index, reason, widening. `tolerance`, `any_value` and
    `alternatives`: see the module's docstring; `dtype_error`: the worst normalised error of the spec evaluated in
    its declared dtypes on these inputs (dtype_error()), which widens the bound (widening()). Streams: one pass over the reference for the scale term, then one pass comparing, both in
    slices of CHUNK elements, so that the comparison holds a few float64 copies of one slice, never of the whole
    result (six copies of a 4 GiB float64 result ran out of memory on an 80 GB card)."""
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
    # Pass 1: the scale term, the rms of the reference's finite elements, summed on the device (no host round trip
    # per slice: one synchronisation at the end of the comparison, where a slice used to cost five).
    scale_t = _rms_of_finite(torch, flat_r, device)
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

    # Pass 2: the rule, slice by slice, its figures accumulated on the device.
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
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
    for lo in range(0, n, CHUNK):
        a, r, ok, bad_nonfinite, _, _ = verdict(lo, min(n, lo + CHUNK))
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
    only at the end, so each slice keeps, per element, the smallest scale it would need to pass
    ((|a - r| - atol - rtol |r|) / rtol; +inf for a NaN or infinity mismatch), of which only the slice's largest
    `keep` values and their indices are retained: the verdict (the largest need against s) is exact, and so is the
    failure count unless a slice had more than `keep` failures (then it is a lower bound, said as '>= N').
    Memory: a few float64 copies of one slice."""

    def __init__(self, dtype, shape, tolerance=None, keep=256):
        self.atol, self.rtol = TOLERANCE[coarser(tolerance, dtype) if tolerance else dtype]
        self.dtype = dtype
        self.shape = list(shape)
        self.keep = keep
        self.sumsq = 0.0
        self.count = 0
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.needs = []  # (need, flat index, actual, expected)
        self.floors = []  # per slice whose needs were not all kept: the smallest kept one
        self.nonfinite = None  # (flat index, actual, expected): a non-finite value where the reference is finite
        self.elements = 0

    def add(self, actual, reference, offset):
        """One slice: `actual` and `reference` hold the same elements, the first at flat index `offset`. Taken in
        pieces of at most CHUNK elements, so that the temporaries stay a few float64 copies of one piece."""
        import torch
        flat_a = _flat_values(torch, actual)
        flat_r = reference.reshape(-1)
        if flat_a.numel() == 0:
            return
        for lo in range(0, flat_a.numel(), CHUNK):
            self._add(flat_a[lo:lo + CHUNK], flat_r[lo:lo + CHUNK], offset + lo)

    def _add(self, actual, reference, offset):
        import torch
        a = actual.to(torch.float64)
        r = reference.to(device=a.device, dtype=torch.float64)
        self.elements += a.numel()
        if a.numel() == 0:
            return
        fr = torch.isfinite(r)
        finite_r = r[fr]
        self.sumsq += float(finite_r.square().sum())
        self.count += int(finite_r.numel())
        del finite_r
        fin = torch.isfinite(a) & fr
        same_special = (torch.isnan(a) & torch.isnan(r)) | ((a == r) & ~fin)
        diff = torch.where(fin, (a - r).abs(), torch.zeros_like(a))
        if self.rtol > 0:
            need = (diff - self.atol - self.rtol * r.abs()) / self.rtol
        else:
            need = torch.where(diff <= self.atol, torch.full_like(diff, -float("inf")), torch.full_like(diff, float("inf")))
        need = torch.where(fin, need, torch.where(same_special, torch.full_like(need, -float("inf")),
                                                  torch.full_like(need, float("inf"))))
        shown = torch.where(fin | same_special, diff, torch.full_like(diff, float("inf")))
        self.max_abs = max(self.max_abs, float(shown.max()))
        rel_floor = self.atol if self.atol > 0 else 1.0
        rel = shown / torch.clamp(torch.where(fr, r.abs(), torch.zeros_like(r)), min=rel_floor)
        self.max_rel = max(self.max_rel, float(rel.max()))
        bad = fr & ~torch.isfinite(a)
        if self.nonfinite is None and bool(bad.any()):
            i = int(torch.nonzero(bad)[0])
            self.nonfinite = (offset + i, float(a[i]), float(r[i]))
        k = min(self.keep, need.numel())
        values, index = torch.topk(need, k)
        if k < need.numel():
            self.floors.append(float(values[-1]))  # if even this one fails, the slice may hold more failures
        for v, i in zip(values.tolist(), index.tolist()):
            if v > -float("inf"):
                self.needs.append((v, offset + i, float(a[i]), float(r[i])))

    def result(self):
        scale = (self.sumsq / self.count) ** 0.5 if self.count else 0.0
        failing = sorted((i, a, r) for need, i, a, r in self.needs if need > scale)
        # Only a lower bound when every kept value of some slice failed.
        lower_bound = any(f > scale for f in self.floors)
        if self.nonfinite is None and not failing:
            return {"passed": True, "kind": "ok", "max_abs": self.max_abs, "max_rel": self.max_rel, "failures": 0,
                    "worst_index": None, "reason": "", "chunked": True}
        kind = "nan" if self.nonfinite is not None else "wrong"
        first, a, r = self.nonfinite if kind == "nan" else failing[0]
        n = max(len(failing), 1)
        idx = _unravel(first, self.shape)
        reason = "element %s is %r, expected %r (tolerance %g + %g * (|expected| + %g)); %s%d of %d elements differ " \
                 "(compared in slices)" % (idx, a, r, self.atol, self.rtol, scale, ">= " if lower_bound else "", n,
                                           self.elements)
        return {"passed": False, "kind": kind, "max_abs": self.max_abs, "max_rel": self.max_rel, "failures": n,
                "worst_index": idx, "reason": reason, "chunked": True}
