// The fixed Python runtime that every torch reference module carries: IR semantics as vectorised PyTorch ops
// (rounding to a dtype, saturating and wrapping conversions, floor division, bounds-checked loads with pads,
// chunked masked reductions, tuple reductions folded by their combiner) and the entry points `reference`, `reference_with_leeway`,
// `eager` and `measured_cost`. The emitter appends one function per definition and the `_DEFINITIONS` table.
//
// `reference_with_leeway` also returns, per result, the checker's leeway (the rules of `Interpreter.runWithLeeway`,
// docs/reliability.md): the elements that depend on a floor, ceil, comparison, float mod or float-to-integer
// conversion of a computed value within tolerance of its jump (noted by the emitted `C.near*` statements, and
// through loads of such elements: "any_value"), and the yields of the near ties of a select-form tuple reduction
// with a float order key (an argmax/argmin's tying indices: "alternatives").
// Only definitions in `_MAY_DOUBT` are tracked; the others compute exactly as in `reference`.

enum TorchPrelude {
  static let text = #"""
import itertools

import torch

_FLOAT = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32, "f64": torch.float64}
_NATIVE = dict(_FLOAT, i8=torch.int8, i32=torch.int32, i64=torch.int64, bool=torch.bool)
_IRANGE = {"i8": (-(2**7), 2**7 - 1), "i32": (-(2**31), 2**31 - 1), "i64": (-(2**63), 2**63 - 1), "bool": (0, 1)}
_SIZE = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "i8": 1, "i32": 4, "i64": 8, "bool": 1}
# Elements per intermediate tensor of a reduction chunk, and per output box of a definition.
_BUDGET = 1 << 22
_BOX_REDUCTION = 1 << 16
_BOX_ELEMENTWISE = 1 << 22
# Points per output box of a contraction (C.contract): one einsum each, its factors split further when too large.
# At 2^16 points a box (the general reduction's), a float64 reference of a convolution at KernelBench's sizes was
# ~30 000 small einsums, 30-50 s of the GPU per check (bench/kernelbench/results-h200-2026-12-06-defaults).
_BOX_CONTRACTION = 1 << 22
# Elements of one factor of a contraction evaluated whole (C.contract); larger ones take the chunked path.
_CONTRACT_FACTOR = 1 << 25
# The checker's (atol, rtol) per type (Sources/KevcInterpreter/Tolerance.swift, python/kevc_gpu/tolerance.py).
_TOL = {"f64": (1e-9, 1e-9), "f32": (1e-4, 2e-4), "f16": (1e-2, 1e-2), "bf16": (6e-2, 3e-2)}


def _within(a, b, t):
    """Whether two values of type t are within that type's tolerance of each other (the interpreter's
    withinTolerance: NaN never is)."""
    atol, rtol = _TOL[t]
    return (a - b).abs() <= atol + rtol * torch.maximum(a.abs(), b.abs())


class KevcReferenceError(Exception):
    """An input the kernel's semantics reject (an inbounds load outside its tensor, a wrong input shape)."""


class _Ctx:
    """One evaluation: mode 'reference' (float64, IR rounding) or 'eager' (the spec's own dtypes)."""

    def __init__(self, mode, device, track, leeway=False):
        self.ref = mode == "reference"
        self.dev = device
        self.track = track
        # Leeway: tracked in reference_with_leeway (leeway), for the definition being computed (lw); D holds the
        # discontinuities met so far by the element(s) being computed, DT the doubtful elements of each definition,
        # ALT the argmax (select-form tuple) alternatives, _ties those of the reduction just computed.
        self.leeway = leeway
        self.lw = False
        self.D = None
        self.DT = {}
        self.ALT = {}
        self._ties = None
        self.T = {}
        self.S = {}
        self.touched = {}
        self.lazy = {}
        self.points = {}
        self.oob = {}
        self._consts = {}

    # -- representation ------------------------------------------------------------------------------------
    def rep(self, t):
        if t in _FLOAT:
            return torch.float64 if self.ref else _FLOAT[t]
        if t == "bool":
            return torch.bool
        return torch.int64

    def cf(self, v, t):
        key = ("f", repr(v), t)
        c = self._consts.get(key)
        if c is None:
            c = self.rnd(torch.tensor(v, dtype=torch.float64, device=self.dev), t)
            self._consts[key] = c
        return c

    def ci(self, v, t):
        key = ("i", v, t)
        c = self._consts.get(key)
        if c is None:
            c = self.wrap(torch.tensor(v, dtype=torch.int64, device=self.dev), t)
            self._consts[key] = c
        return c

    def cb(self, v):
        return torch.tensor(bool(v), dtype=torch.bool, device=self.dev)

    # -- conversions ---------------------------------------------------------------------------------------
    def rnd(self, x, t):
        """A float value stored as type t (round to nearest even; f16/f32 overflow to inf; bf16 via f32)."""
        if not self.ref:
            return x.to(_FLOAT[t])
        x = x.to(torch.float64)
        if t == "f64":
            return x
        if t == "f32":
            return x.to(torch.float32).to(torch.float64)
        if t == "bf16":
            return x.to(torch.float32).to(torch.bfloat16).to(torch.float64)
        return _round_f16(x)

    def wrap(self, x, t):
        if t == "i8":
            return ((x & 0xFF) ^ 0x80) - 0x80
        if t == "i32":
            return ((x & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000
        if t == "bool":
            return x != 0
        return x

    def f2i(self, x, t):
        """Float to integer: truncate toward zero, saturate to the type's range, NaN -> 0."""
        x = torch.trunc(x.to(torch.float64))
        nan = torch.isnan(x)
        if t == "i64":
            big = x >= 9223372036854775808.0
            small = x <= -9223372036854775808.0
            r = torch.where(big | small | nan, torch.zeros_like(x), x).to(torch.int64)
            r = torch.where(big, torch.full_like(r, 2**63 - 1), r)
            return torch.where(small, torch.full_like(r, -(2**63)), r)
        lo, hi = _IRANGE[t]
        return torch.where(nan, torch.zeros_like(x), x.clamp(lo, hi)).to(torch.int64)

    def cast(self, x, s, d):
        if s in _FLOAT:
            if d in _FLOAT:
                return self.rnd(x, d)
            if d == "bool":
                return x != 0
            return self.f2i(x, d)
        if d in _FLOAT:
            return self.rnd(x.to(torch.float64), d) if self.ref else x.to(_FLOAT[d])
        if d == "bool":
            return x != 0
        if s == "bool":
            return x.to(torch.int64)
        return self.wrap(x, d)

    # -- operators -----------------------------------------------------------------------------------------
    def idiv(self, a, b, t):
        """Floor division; 0 for a zero divisor; wraps."""
        zero = b == 0
        neg1 = b == -1
        safe = torch.where(zero | neg1, torch.ones_like(b), b)
        q = torch.div(a, safe, rounding_mode="floor")
        q = torch.where(neg1, torch.neg(a), q)
        q = torch.where(zero, torch.zeros_like(q), q)
        return self.wrap(q, t)

    def imod(self, a, b, t):
        """Floor modulo (the divisor's sign); 0 for a zero divisor."""
        zero = b == 0
        safe = torch.where(zero | (b == -1), torch.ones_like(b), b)
        r = torch.remainder(a, safe)
        r = torch.where(zero | (b == -1), torch.zeros_like(r), r)
        return self.wrap(r, t)

    def fmodf(self, a, b):
        return a - b * torch.floor(a / b)

    def rsqrt(self, x):
        return 1.0 / torch.sqrt(x) if self.ref else torch.rsqrt(x)

    def sigmoid(self, x):
        return 1.0 / (1.0 + torch.exp(-x)) if self.ref else torch.sigmoid(x)

    # -- leeway --------------------------------------------------------------------------------------------
    def note(self, m):
        """Marks the points of m (broadcast over the element being computed) as depending on a discontinuity."""
        if not torch.is_tensor(m):
            m = torch.tensor(bool(m), device=self.dev)
        self.D = m if self.D is None else (self.D | m)

    def near_int(self, x, t):
        """floor, ceil or a conversion to an integer of a computed x: a jump where x is near an integer."""
        if self.lw:
            self.note(torch.isfinite(x) & _within(x, torch.round(x), t))

    def near(self, a, b, t):
        """A comparison of computed floats: a jump where they are within tolerance of each other."""
        if self.lw:
            self.note(_within(a, b, t))

    def near_mod(self, a, b, t):
        """A float mod of computed values: a jump where a / b is near an integer."""
        if self.lw:
            q = a / torch.where(b == 0, torch.ones_like(b), b)
            self.note((b != 0) & torch.isfinite(q) & _within(q, torch.round(q), t))

    def _fold(self, M, r, R):
        """The discontinuities noted at the points of a reduction chunk (restricted to M), folded over its
        reduction dims: per output point of the box (r dims)."""
        d, self.D = self.D, None
        if d is None:
            return None
        if M is not None:
            d = d & M
        if d.dim() < R:
            d = d.reshape([1] * (R - d.dim()) + list(d.shape))
        for k in reversed(range(r, R)):
            d = d.any(dim=k)
        return d

    def sel(self, c, fa, fb, M):
        """select(c, a, b): both branches are evaluated, each under the mask of the points that keep it."""
        nc = torch.logical_not(c)
        a = fa(c if M is None else (M & c))
        b = fb(nc if M is None else (M & nc))
        return torch.where(c, a, b)

    # -- loads ---------------------------------------------------------------------------------------------
    def load(self, name, idx, pad, inbounds, M):
        X = self.T[name]
        doubt = self.DT.get(name) if self.lw else None
        if len(idx) == 0:
            if doubt is not None:
                self.note(doubt)
            return self.convert(X, self.lazy[name]) if name in self.lazy else X
        ok = None
        clamped = []
        for i, n in zip(idx, X.shape):
            c = (i >= 0) & (i < n)
            ok = c if ok is None else (ok & c)
            clamped.append(i.clamp(0, max(n - 1, 0)))
        if X.numel() == 0:
            val = torch.zeros((), dtype=X.dtype, device=self.dev)
        else:
            val = X[tuple(clamped)]
        if name in self.lazy:
            val = self.convert(val, self.lazy[name])
        if doubt is not None and X.numel() > 0:
            # Reading a doubtful element (inside the tensor) makes the element being computed doubtful.
            self.note(doubt[tuple(clamped)] & ok)
        live = ok if M is None else (ok & M)
        if inbounds and self.ref:
            # Checked at the end of the definition (check_inbounds): no host round trip per load.
            bad = (torch.logical_not(ok) if M is None else (torch.logical_not(ok) & M)).any()
            self.oob[name] = (bad | self.oob[name][0] if name in self.oob else bad, list(X.shape))
        if self.track and name in self.touched and X.numel() > 0:
            lin = torch.zeros((), dtype=torch.int64, device=self.dev)
            for c, n in zip(clamped, X.shape):
                lin = lin * n + c
            lin, live_b = torch.broadcast_tensors(lin, live)
            # Points not live write the spare last element (touched holds numel + 1): no mask, no round trip.
            self.touched[name][torch.where(live_b, lin, X.numel()).reshape(-1)] = True
        if inbounds:
            return val
        return torch.where(ok, val, pad)

    # -- definitions ---------------------------------------------------------------------------------------
    def axis(self, V, name, box, pos, rank):
        lo, hi = box[pos]
        shape = [1] * rank
        shape[pos] = hi - lo
        V[name] = torch.arange(lo, hi, dtype=torch.int64, device=self.dev).view(shape)

    def boxes(self, shape, budget, whole=None, first=()):
        """Boxes of about `budget` points tiling `shape`; axis `whole` (a prefix sum's) is never cut; the axes
        `first` (a contraction's that its larger factor does not use, _CONTRACTIONS) are tiled before the others
        (then from the last axis), so that factor is evaluated once per tile of its own axes."""
        tiles = [0] * len(shape)
        rest = 1
        if whole is not None:
            tiles[whole] = max(1, shape[whole])
            rest = tiles[whole]
        order = [d for d in first if d != whole and d < len(shape)]
        order += [d for d in reversed(range(len(shape))) if d != whole and d not in order]
        for d in order:
            tiles[d] = max(1, min(shape[d], budget // max(1, rest)))
            rest *= tiles[d]
        ranges = [range(0, shape[d], tiles[d]) for d in range(len(shape))]
        for starts in itertools.product(*ranges):
            yield [(s, min(s + tiles[d], shape[d])) for d, s in enumerate(starts)]

    def box_budget(self, name, reduction):
        """Points per box: a running sum (prefix()) costs O(1) per point, as an elementwise definition does; another
        reduction, or a running sum whose leeway is tracked (reduce()), costs its range per point: `reduction` (the
        _DEFINITIONS entry's points per output element, 0 for none) sizes its boxes to about _BUDGET points of
        work, between _BOX_REDUCTION and _BOX_ELEMENTWISE (a chunk never holds more than _BUDGET points however
        large the box: _level)."""
        if not reduction or (name in _PREFIX_AXIS and not self.lw):
            return _BOX_ELEMENTWISE
        if name in _CONTRACTIONS and not self.lw:
            return _BOX_CONTRACTION
        if name in _PREFIX_AXIS:
            return _BOX_REDUCTION
        return max(_BOX_REDUCTION, min(_BOX_ELEMENTWISE, _BUDGET // max(1, int(reduction))))

    def box_first(self, name):
        """The axes a definition's boxes tile first: a contraction's (einsum path, leeway not tracked), else none."""
        return _CONTRACTIONS.get(name, ()) if not self.lw else ()

    def rows(self, name, fn, shape, dtype, src, reduction, lo, hi):
        """Rows lo..hi (the first axis) of a definition, as define() computes them, without the rest."""
        sub = [hi - lo] + list(shape[1:])
        out = torch.empty(sub, dtype=self.rep(dtype), device=self.dev)
        if out.numel() > 0:
            for box in self.boxes(sub, self.box_budget(name, reduction), _PREFIX_AXIS.get(name), self.box_first(name)):
                shifted = [(box[0][0] + lo, box[0][1] + lo)] + list(box[1:])
                val = self.cast(fn(self, {}, shifted), src, dtype)
                out[tuple(slice(a, b) for a, b in box)] = val.expand([b - a for a, b in box])
        self.check_inbounds()
        return out

    def check_inbounds(self):
        """Raises for an inbounds load that read outside its tensor since the last check: one host round trip per
        definition (or slice of rows), not per load."""
        oob, self.oob = self.oob, {}
        if oob and bool(torch.stack([bad for bad, _ in oob.values()]).any()):
            name = next(n for n, (bad, _) in oob.items() if bool(bad))
            raise KevcReferenceError("inbounds load of '%s' outside its shape %s" % (name, oob[name][1]))

    def define(self, name, fn, shape, dtype, src, reduction, ops):
        out = torch.empty(shape, dtype=self.rep(dtype), device=self.dev)
        self.points[name] = (0, ops)
        self.lw = self.leeway and name in _MAY_DOUBT
        doubt = torch.zeros(shape, dtype=torch.bool, device=self.dev) if self.lw else None
        alternatives = {}
        if out.numel() > 0:
            for box in self.boxes(shape, self.box_budget(name, reduction), _PREFIX_AXIS.get(name), self.box_first(name)):
                self.D, self._ties = None, None
                val = self.cast(fn(self, {}, box), src, dtype)
                bshape = [hi - lo for lo, hi in box]
                if self.lw:
                    region = tuple(slice(lo, hi) for lo, hi in box)
                    if self.D is not None:
                        d = self.D.reshape([1] * (len(bshape) - self.D.dim()) + list(self.D.shape))
                        doubt[region] = doubt[region] | d.expand(bshape)
                    for coords, values in (self._ties or {}).items():
                        # coords: per axis of the box, the position, or None where the ties hold along the axis.
                        axes = [range(lo, hi) if c is None else [lo + c] for c, (lo, hi) in zip(coords, box)]
                        for point in itertools.product(*axes):
                            flat = 0
                            for c, size in zip(point, shape):
                                flat = flat * size + c
                            alternatives[flat] = values
                out[tuple(slice(lo, hi) for lo, hi in box)] = val.expand(bshape)
        self.check_inbounds()
        self.T[name] = out
        if self.lw:
            flat_doubt = doubt.view(-1)
            # An element with alternatives that met no discontinuity keeps them; one that did takes any value.
            self.ALT[name] = {i: v for i, v in alternatives.items() if not bool(flat_doubt[i])}
            for i in alternatives:
                flat_doubt[i] = True
            if bool(doubt.any()):
                self.DT[name] = doubt
        self.lw = False
        self.D = None

    def _level(self, V, levels, k, M, n, r, R, rec, inner_only=False):
        """Walks reduction level k (var, lo_fn, hi_fn) of points whose mask is M (n points so far) in chunks of at
        most _BUDGET // n indices (inner_only: only the last level; the others one index at a time, so that the
        chunks follow the domain's order), binding V[var] and calling rec(k + 1, mask, points) per chunk; points
        past each range's end are masked."""
        var, flo, fhi = levels[k]
        lo = flo(V, M)
        hi = fhi(V, M)
        length = torch.clamp(hi - lo, min=0)
        if M is not None:
            length = torch.where(M, length, torch.zeros_like(length))
        maxlen = int(length.max()) if length.numel() > 0 else 0
        if maxlen <= 0:
            return
        chunk = max(1, _BUDGET // max(1, n)) if not inner_only or k == len(levels) - 1 else 1
        shape = [1] * R
        for t0 in range(0, maxlen, chunk):
            t1 = min(maxlen, t0 + chunk)
            shape[r + k] = t1 - t0
            t = torch.arange(t0, t1, dtype=torch.int64, device=self.dev).view(shape)
            V[var] = lo + t
            m = t < length
            rec(k + 1, m if M is None else (M & m), n * (t1 - t0))
        del V[var]

    def reduce(self, name, V, box, levels, body, op, acc):
        """Combines body over the nested reduction levels [(var, lo_fn, hi_fn)] at every point of box."""
        r = len(box)
        R = r + len(levels)
        rdims = tuple(range(r, R))
        numel = 1
        for lo, hi in box:
            numel *= hi - lo
        state = {}
        outer, self.D = self.D, None
        folded = [None]

        def rec(k, M, n):
            if k == len(levels):
                val = body(V, M)
                if self.lw:
                    d = self._fold(M, r, R)
                    if d is not None:
                        folded[0] = d if folded[0] is None else (folded[0] | d)
                if self.track:
                    cnt = numel if M is None else M.expand(torch.broadcast_shapes(M.shape, tuple(
                        [hi - lo for lo, hi in box] + [1] * len(levels)))).sum()
                    p, ops = self.points[name]
                    self.points[name] = (p + cnt, ops)
                self._combine(state, val, M, r, rdims, op, acc)
                return
            self._level(V, levels, k, M, n, r, R, rec)

        rec(0, None, numel)
        self._end_reduction(folded, outer, r, R)
        return self._finish(state, op, acc)

    def reduce_tuple(self, name, V, box, levels, elems, comps, combine, yld, key):
        """A tuple reduction: the elements elems[i](V, M) of each chunk, masked points replaced by the identities
        comps[i] = (name, type, identity), folded pairwise along the chunk's points in domain order (a tree of
        combine steps: the combiner is associative) and onto the running state chunk by chunk; the value is
        yld of the final state. The combiner reads the operands as C.S["a.NAME"] and C.S["b.NAME"], the yield the
        state as C.S["y.NAME"]. Only the last reduction level is chunked wide (the others one index at a time),
        so the chunks follow the domain's order. key: the order key of a select-form combiner (argmax's value) or
        None; with leeway tracked, the yield of every element whose key is within tolerance of the final key but
        not equal to it is an alternative answer (Interpreter: TupleState.nearTies)."""
        r = len(box)
        R = r + len(levels)
        numel = 1
        for lo, hi in box:
            numel *= hi - lo
        ident = [c[2] for c in comps]
        state = [None]
        nonempty = [None]
        outer, self.D = self.D, None
        folded = [None]
        tie_pass = [None]

        def set_operands(prefix, values):
            for (cname, _, _), v in zip(comps, values):
                self.S[prefix + cname] = v

        def combine2(A, B):
            saved = self.lw
            self.lw = False
            try:
                set_operands("a.", A)
                set_operands("b.", B)
                return [f(V, None) for f in combine]
            finally:
                self.lw = saved

        def final(values):
            saved = self.lw
            self.lw = False
            try:
                set_operands("y.", values)
                return yld(V, None)
            finally:
                self.lw = saved

        def rec(k, M, n):
            if k == len(levels):
                vals = [e(V, M) for e in elems]
                vals = [v if torch.is_tensor(v) else torch.tensor(v, device=self.dev) for v in vals]
                if self.lw:
                    d = self._fold(M, r, R)
                    if d is not None:
                        folded[0] = d if folded[0] is None else (folded[0] | d)
                if tie_pass[0] is not None:
                    tie_pass[0](vals, M)
                    return
                shape = torch.broadcast_shapes(*[v.shape for v in vals], *(() if M is None else (M.shape,)))
                shape = [1] * (R - len(shape)) + list(shape)
                if M is not None:
                    vals = [torch.where(M, v, i) for v, i in zip(vals, ident)]
                    some = M.expand(shape).flatten(r).any(dim=r)
                    nonempty[0] = some if nonempty[0] is None else (nonempty[0] | some)
                else:
                    nonempty[0] = torch.ones(shape[:r], dtype=torch.bool, device=self.dev)
                if self.track:
                    cnt = numel if M is None else M.expand(torch.broadcast_shapes(M.shape, tuple(
                        [hi - lo for lo, hi in box] + [1] * len(levels)))).sum()
                    p, ops = self.points[name]
                    self.points[name] = (p + cnt, ops)
                if R == r:
                    # No reduction variable: the body once, combined with the identities.
                    part = combine2(ident, vals)
                    part = [p if torch.is_tensor(p) else torch.tensor(p, device=self.dev) for p in part]
                    state[0] = part if state[0] is None else combine2(state[0], part)
                    return
                # The chunk's points in domain order along one dim, combined pairwise until one is left.
                parts = [v.reshape([1] * (R - v.dim()) + list(v.shape)).expand(shape).flatten(r) for v in vals]
                while parts[0].shape[r] > 1:
                    if parts[0].shape[r] % 2 == 1:
                        parts = [torch.cat([p, i.to(p.dtype).expand(list(p.shape[:r]) + [1])], dim=r)
                                 for p, i in zip(parts, ident)]
                    target = list(parts[0].shape[:r]) + [parts[0].shape[r] // 2]
                    out = combine2([p[..., 0::2] for p in parts], [p[..., 1::2] for p in parts])
                    out = [o if torch.is_tensor(o) else torch.tensor(o, device=self.dev) for o in out]
                    parts = [o.reshape([1] * (r + 1 - o.dim()) + list(o.shape)).expand(target) for o in out]
                part = [p[..., 0] for p in parts]
                state[0] = part if state[0] is None else combine2(state[0], part)
                return
            self._level(V, levels, k, M, n, r, R, rec, inner_only=True)

        rec(0, None, numel)
        result = state[0] if state[0] is not None else ident
        if self.lw and key is not None and state[0] is not None:
            self._ties = self._tuple_ties(result, nonempty[0], key, comps, final, rec, tie_pass, numel, r,
                                          [hi - lo for lo, hi in box])
        self._end_reduction(folded, outer, r, R)
        return final(result)

    def _tuple_ties(self, st, nonempty, key, comps, final, rec, tie_pass, numel, r, extents):
        """The alternatives of a select-form tuple reduction (reduce_tuple) at each point whose domain is not empty
        and whose final order key is finite: the final yield and the yield of every element whose key is within the
        key type's tolerance of it but not equal to it, where there are several: {coordinates in the box (None
        along an axis the reduction does not depend on): [values]}."""
        t = comps[key][1]
        best = st[key]
        usable = torch.isfinite(best) & nonempty
        answer = final(st)
        found = []

        def collect(vals, M):
            kv = vals[key]
            shape = torch.broadcast_shapes(*[v.shape for v in vals], *(() if M is None else (M.shape,)))
            b = best.reshape(list(best.shape) + [1] * (len(shape) - best.dim()))
            u = usable.reshape(list(usable.shape) + [1] * (len(shape) - usable.dim()))
            near = u & _within(kv, b, t) & (kv != b)
            if M is not None:
                near = near & M
            near = near.expand(shape)
            if bool(near.any()):
                y = final([v.expand(shape) for v in vals])
                y = y if torch.is_tensor(y) else torch.tensor(y, device=self.dev)
                found.append((torch.nonzero(near), y.expand(shape)[near], shape))

        self._tie_pass(rec, tie_pass, collect, numel)
        ties = {}
        answer = answer if torch.is_tensor(answer) else torch.tensor(answer, device=self.dev)
        answer = answer.reshape([1] * (r - answer.dim()) + list(answer.shape))
        for coords, values, shape in found:
            for c, v in zip(coords.tolist(), values.tolist()):
                key_ = tuple(None if shape[axis] == 1 and extents[axis] > 1 else c[axis] for axis in range(r))
                if key_ not in ties:
                    at = tuple(0 if answer.shape[axis] == 1 else (c[axis] if key_[axis] is not None else 0)
                               for axis in range(r))
                    ties[key_] = {float(answer[at])}
                ties[key_].add(float(v))
        return {k: sorted(v) for k, v in ties.items() if len(v) > 1}

    def prefix(self, name, V, box, levels, body, op, acc, pos, suffix=False):
        """A triangular sum (or product: `op`) along axis `pos` of the box, `sum [j in lo .. hi(i)] f(j)` with lo and f independent of
        i, or with `suffix` `sum [j in lo(i) .. hi] f(j)` with hi and f independent of i
        (TorchReferenceEmitter.prefixAxis): the masked terms f(j) in chunks of the j axis, summed cumulatively
        (from the end for a suffix; a running carry across chunks), and at each point the running sum at its
        range's last (a suffix: first) term, 0 for an empty range: O(N) terms per row instead of reduce()'s
        O(N^2). In the reference the running sum is float64, as reduce()'s accumulator is; only the order of the
        additions differs. Leeway (discontinuities in the terms) is tracked by reduce()."""
        if self.lw:
            return self.reduce(name, V, box, levels, body, op, acc)
        (var, flo, fhi), = levels
        r = len(box)
        lo, hi = flo(V, None), fhi(V, None)
        lo = lo if torch.is_tensor(lo) else torch.tensor(lo, dtype=torch.int64, device=self.dev)
        hi = hi if torch.is_tensor(hi) else torch.tensor(hi, dtype=torch.int64, device=self.dev)
        extents = [b - a for a, b in box]
        ident = self._identity(op, acc)
        scan = torch.cumprod if op == "prod" else torch.cumsum
        join = (lambda a, b: a * b) if op == "prod" else (lambda a, b: a + b)
        # The term each point's value ends at (its running sum's position), with the box's axes, then 1 for j.
        end = lo if suffix else hi - 1
        end = end.reshape([1] * (r + 1 - end.dim()) + list(end.shape))
        out = ident
        start = int(lo.min()) if lo.numel() > 0 else 0
        top = int(hi.max()) if hi.numel() > 0 else 0
        others = 1
        for k, e in enumerate(extents):
            others *= 1 if k == pos else e
        chunk = max(1, _BUDGET // max(1, others))
        if self.track:
            # The arithmetic of the sum as a scan (one combine per term and row: the O(N) algorithm), not the
            # (point, term) pairs of the triangle as written: the roofline floor is a lower bound on any
            # implementation's work, and `to_scan` is one (the triangle's count put the floor of a 32768^2
            # prefix sum at 22 ms, above the scan's measured 2 ms, and flagged every correct scan).
            n = others * max(0, top - start)
            p, ops = self.points[name]
            self.points[name] = (p + n, ops)
        carry = ident
        shape = [1] * (r + 1)
        starts = list(range(start, top, chunk))
        for t0 in (reversed(starts) if suffix else starts):
            t1 = min(top, t0 + chunk)
            shape[r] = t1 - t0
            t = torch.arange(t0, t1, dtype=torch.int64, device=self.dev).view(shape)
            V[var] = t
            m = (t < hi) if suffix else (t >= lo)  # the bound that does not read i (the other one: `end`)
            val = body(V, m)
            terms = torch.where(m, val, ident)
            if suffix:
                sums = join(carry, torch.flip(scan(torch.flip(terms, [r]), dim=r), [r]))
            else:
                sums = join(carry, scan(terms, dim=r))
            inside = (end >= t0) & (end < t1)
            idx = (end - t0).clamp(0, t1 - t0 - 1)
            full = list(torch.broadcast_shapes(sums.shape[:r] + (1,), idx.shape))
            idx = idx.expand(full)
            full[r] = t1 - t0
            picked = torch.gather(sums.expand(full), r, idx)
            out = torch.where(inside, picked, out)
            carry = sums.narrow(r, 0 if suffix else t1 - t0 - 1, 1)
        V.pop(var, None)
        if out.dim() == r + 1:
            out = out.squeeze(r)
        if acc not in _FLOAT:
            out = self.wrap(out, acc)
        return out

    def _end_reduction(self, folded, outer, r, R):
        """After a reduction's passes: the discontinuities noted outside its chunks and those folded over its
        ranges (folded[0]) become the element's notes, on top of the caller's (outer)."""
        if self.lw:
            d = self._fold(None, r, R)
            if d is not None:
                folded[0] = d if folded[0] is None else (folded[0] | d)
        self.D = outer
        if folded[0] is not None:
            self.note(folded[0])

    def _tie_pass(self, rec, tie_pass, collect, numel):
        """A second walk over a reduction's domain (rec) calling collect at each chunk instead of combining; the
        leeway is not tracked again (the first pass noted it)."""
        tie_pass[0] = collect
        saved = self.lw
        self.lw = False
        try:
            rec(0, None, numel)
        finally:
            self.lw = saved
            tie_pass[0] = None

    def contract(self, name, V, box, levels, body, op, acc, fa, fb, uses_a, uses_b):
        """A sum over rectangular reduction ranges of a product of two factors: each factor is evaluated once on
        the grid of the variables it uses (positions uses_a, uses_b) and torch.einsum sums the product, instead
        of materialising every (point, reduction index) pair chunk by chunk. Same value up to summation order
        (in the reference, products are not rounded to the accumulator type before summing: at most one rounding
        of the accumulator type per term). Falls back to reduce() when a range depends on the point, is empty,
        or a factor would be larger than _CONTRACT_FACTOR elements."""
        if self.lw:
            # Discontinuities inside the factors are folded per point by the general path.
            return self.reduce(name, V, box, levels, body, op, acc)
        r = len(box)
        R = r + len(levels)
        extents = [hi - lo for lo, hi in box]
        ranges = []
        for var, flo, fhi in levels:
            lo, hi = flo(V, None), fhi(V, None)
            if torch.is_tensor(lo) and lo.numel() != 1 or torch.is_tensor(hi) and hi.numel() != 1:
                return self.reduce(name, V, box, levels, body, op, acc)
            lo, hi = int(lo), int(hi)
            if hi <= lo:
                return self.reduce(name, V, box, levels, body, op, acc)
            ranges.append((var, lo, hi))
            extents.append(hi - lo)
        for uses in (uses_a, uses_b):
            n = 1
            for p in uses:
                n *= extents[p]
            if n > _CONTRACT_FACTOR:
                # Too large whole: the box in two along the longest axis this factor uses, each half contracted
                # (a box of the definition is _BOX_CONTRACTION points; a convolution's factor is its im2col).
                cut = max((p for p in uses if p < r and extents[p] > 1), key=lambda p: extents[p], default=None)
                if cut is None:
                    return self.reduce(name, V, box, levels, body, op, acc)
                lo, hi = box[cut]
                mid = lo + (hi - lo) // 2
                parts = []
                for a, b in ((lo, mid), (mid, hi)):
                    sub = list(box)
                    sub[cut] = (a, b)
                    W = {k: v.narrow(cut, a - lo, b - a) if torch.is_tensor(v) and v.dim() > cut and v.shape[cut] == hi - lo
                         else v for k, v in V.items()}
                    part = self.contract(name, W, sub, levels, body, op, acc, fa, fb, uses_a, uses_b)
                    shape = [e if k != cut else b - a for k, e in enumerate(extents[:r])]
                    parts.append(part.expand(shape) if part.dim() == r else part.reshape(shape))
                return torch.cat(parts, dim=cut)
        for k, (var, lo, hi) in enumerate(ranges):
            shape = [1] * R
            shape[r + k] = hi - lo
            V[var] = torch.arange(lo, hi, dtype=torch.int64, device=self.dev).view(shape)
        try:
            A, B = fa(V, None), fb(V, None)
        finally:
            for var, _, _ in ranges:
                del V[var]
        if self.track:
            n = 1
            for e in extents:
                n *= e
            p, ops = self.points[name]
            self.points[name] = (p + n, ops)
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        dt = self.rep(acc)
        subs, args = [], []
        for T in (A, B):
            T = T if torch.is_tensor(T) else torch.tensor(T, dtype=dt, device=self.dev)
            T = T.to(dt).reshape([1] * (R - T.dim()) + list(T.shape))
            keep = [i for i in range(R) if T.shape[i] != 1]
            subs.append("".join(letters[i] for i in keep))
            args.append(T.reshape([T.shape[i] for i in keep]))
        present = set(subs[0]) | set(subs[1])
        out = "".join(letters[i] for i in range(r) if letters[i] in present)
        val = torch.einsum("%s,%s->%s" % (subs[0], subs[1], out), *args)
        # A reduction variable neither factor uses multiplies the sum by its extent.
        for k in range(r, R):
            if letters[k] not in present:
                val = val * extents[k]
        return val.reshape([extents[i] if letters[i] in present else 1 for i in range(r)])

    def _identity(self, op, acc):
        if acc in _FLOAT:
            v = {"sum": 0.0, "prod": 1.0, "max": float("-inf"), "min": float("inf")}[op]
            return torch.tensor(v, dtype=self.rep(acc), device=self.dev)
        lo, hi = _IRANGE[acc]
        v = {"sum": 0, "prod": 1, "max": lo, "min": hi}[op]
        return torch.tensor(v, dtype=self.rep(acc), device=self.dev)

    def _combine(self, st, val, M, r, rdims, op, acc):
        ident = self._identity(op, acc)
        if M is None:
            part = val
        else:
            v = torch.where(M, val, ident)
            if op == "sum":
                part = v.sum(dim=rdims)
            elif op == "prod":
                part = v.prod(dim=rdims[0]) if len(rdims) == 1 else v.flatten(r).prod(dim=r)
            elif op == "max":
                part = v.amax(dim=rdims)
            else:
                part = v.amin(dim=rdims)
        if "acc" not in st:
            st["acc"] = ident
        a = st["acc"]
        if op == "sum":
            st["acc"] = a + part
        elif op == "prod":
            st["acc"] = a * part
        elif op == "max":
            st["acc"] = torch.maximum(a, part)
        else:
            st["acc"] = torch.minimum(a, part)

    def _finish(self, st, op, acc):
        a = st.get("acc", self._identity(op, acc))
        if acc not in _FLOAT and op in ("sum", "prod"):
            a = self.wrap(a, acc)
        return a

    # -- inputs and outputs --------------------------------------------------------------------------------
    def convert(self, x, t):
        """An input's values as this evaluation represents type t (float64 rounded to t in the reference)."""
        if t in _FLOAT:
            return self.rnd(x.to(torch.float64), t) if self.ref else x.to(_FLOAT[t])
        if t == "bool":
            return x != 0
        return self.wrap(x.to(torch.int64), t)

    def take_inputs(self, inputs):
        for p in KEVC_REFERENCE["params"]:
            name, t, shape = p["name"], p["dtype"], p["shape"]
            if name not in inputs:
                raise KevcReferenceError("no input for '%s'" % name)
            x = inputs[name]
            if not isinstance(x, torch.Tensor):
                x = torch.as_tensor(x)
            x = x.to(self.dev)
            if list(x.shape) != list(shape) and not (len(shape) == 0 and x.numel() == 1):
                raise KevcReferenceError("input '%s' has shape %s, expected %s" % (name, list(x.shape), shape))
            if len(shape) == 0:
                self.S[name] = self.convert(x.reshape(()), t)
            else:
                # The reference converts only the elements a load gathers (load()): a float64 copy of a multi-GB
                # input, and the float32 temporary of its rounding, would double or triple the inputs' memory.
                self.T[name] = x if self.ref else self.convert(x, t)
                if self.ref:
                    self.lazy[name] = t
                if self.track:
                    n = 1
                    for s in shape:
                        n *= s
                    self.touched[name] = torch.zeros(n + 1, dtype=torch.bool, device=self.dev)

    def outputs(self):
        out = {}
        for r in KEVC_REFERENCE["results"]:
            x = self.T[r["name"]]
            out[r["name"]] = x if self.ref else x.to(_NATIVE[r["dtype"]])
        return out


def _round_f16(x):
    """Exact round-to-nearest-even of float64 values to binary16 (no double rounding through float32)."""
    a = torch.abs(x)
    _, e = torch.frexp(a)
    q = torch.clamp(e.to(torch.int64) - 11, min=-24, max=5).to(torch.float64)
    r = torch.round(a * torch.exp2(-q)) * torch.exp2(q)
    r = torch.where(r > 65504.0, torch.full_like(r, float("inf")), r)
    r = torch.where(torch.isinf(a), a, r)
    r = torch.copysign(r, x)
    return torch.where(torch.isnan(x), x, r)


def _device_of(inputs, device):
    if device is not None:
        return torch.device(device)
    for v in inputs.values():
        if isinstance(v, torch.Tensor):
            return v.device
    return torch.device("cpu")


def _run(inputs, mode, device, track, leeway=False):
    C = _Ctx(mode, _device_of(inputs, device), track, leeway)
    C.take_inputs(inputs)
    for name, fn, shape, dtype, src, reduction, ops in _DEFINITIONS:
        C.define(name, fn, shape, dtype, src, reduction, ops)
    return C


def reference(inputs, device=None):
    """Every result in float64 (integers as int64, bool as bool), with the IR's exact semantics."""
    return _run(inputs, "reference", device, False).outputs()


def reference_with_leeway(inputs, device=None):
    """As reference(), and per result the leeway its comparison allows (the rules of the interpreter's
    runWithLeeway): {"any_value": a bool tensor over the result's flat elements, "alternatives": {flat index:
    [equally good values]}} (python/kevc_gpu/tolerance.py's compare takes both)."""
    C = _run(inputs, "reference", device, False, True)
    leeway = {}
    for r in KEVC_REFERENCE["results"]:
        name = r["name"]
        n = C.T[name].numel()
        doubt = C.DT.get(name)
        alternatives = C.ALT.get(name, {})
        any_value = doubt.reshape(-1).clone() if doubt is not None else torch.zeros(n, dtype=torch.bool, device=C.dev)
        for i in alternatives:
            any_value[i] = False
        leeway[name] = {"any_value": any_value, "alternatives": alternatives}
    return C.outputs(), leeway


def reference_slices(inputs, max_elements, device=None):
    """The float64 results in slices over their first axis, each of at most max_elements elements (at least one
    row), for a reference too large to hold whole: yields (name, lo, hi, tensor of rows lo..hi). Results that no
    other definition reads (_STREAMABLE) are never held whole; every other definition is computed whole first, as
    reference() does. Scalar results come as one slice (lo = hi = 0)."""
    C = _Ctx("reference", _device_of(inputs, device), False)
    C.take_inputs(inputs)
    streamed = [d for d in _DEFINITIONS if d[0] in _STREAMABLE and len(d[2]) > 0]
    for name, fn, shape, dtype, src, reduction, ops in _DEFINITIONS:
        if not any(d[0] == name for d in streamed):
            C.define(name, fn, shape, dtype, src, reduction, ops)
    for r in KEVC_REFERENCE["results"]:
        if not any(d[0] == r["name"] for d in streamed):
            yield r["name"], 0, 0, C.T[r["name"]]
    for name, fn, shape, dtype, src, reduction, ops in streamed:
        row = 1
        for s in shape[1:]:
            row *= s
        step = max(1, max_elements // max(1, row))
        for lo in range(0, shape[0], step):
            hi = min(shape[0], lo + step)
            yield name, lo, hi, C.rows(name, fn, shape, dtype, src, reduction, lo, hi)


def eager(inputs, device=None):
    """The same vectorised computation in the spec's own dtypes: a PyTorch eager baseline for timing."""
    return _run(inputs, "eager", device, False).outputs()


def measured_cost(inputs, device=None):
    """Compulsory traffic and arithmetic for these inputs: distinct input elements read (under the loads'
    bounds, reduction ranges and select conditions), every result element written, and float operations at
    every evaluated point."""
    C = _run(inputs, "reference", device, True)
    read = 0
    for p in KEVC_REFERENCE["params"]:
        size = _SIZE[p["dtype"]]
        if len(p["shape"]) == 0:
            read += size
        else:
            read += int(C.touched[p["name"]][:-1].sum()) * size
    written = 0
    for r in KEVC_REFERENCE["results"]:
        n = 1
        for s in r["shape"]:
            n *= s
        written += n * _SIZE[r["dtype"]]
    flops = int(sum(p * ops for p, ops in C.points.values()))  # the points' counts summed on the device: one read
    return {"bytes_read": read, "bytes_written": written, "bytes": read + written, "flops": flops}
"""#
}
