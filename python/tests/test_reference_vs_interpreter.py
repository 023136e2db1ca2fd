"""The torch reference module (`kevc compile --emit torch-ref`) against kevc's float64 interpreter.

For every spec in specs/, at its default shape and at an odd shape, and for every input distribution, the
interpreter's inputs and results are written by the hidden `kevc interpret` command; the reference module runs on
the same inputs (CPU) and must agree within 1e-9 relative (integers and bool exactly; NaN only where NaN).

Needs torch and a built kevc: $KEVC, or the newest .build*/debug/kevc of the repository. Skipped otherwise.
"""

import glob
import json
import os
import subprocess
import tempfile

import pytest

from kevc_gpu import modules

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Plus the KernelBench specs whose reductions no spec of specs/ uses: `prod` (its torch form once passed a tuple of
# one dim to torch.prod, which takes an int) and `argmin`; and the triangular sums the reference computes as prefix
# sums (C.prefix: an exclusive one, a masked one, a suffix one) beside cumsum.kev, against the interpreter's unrewritten sums.
SPECS = sorted(glob.glob(os.path.join(ROOT, "specs", "*.kev"))) + [
    os.path.join(ROOT, "specs", "kernelbench", n + ".kev")
    for n in ("scan_cumprod", "reduce_argmin_dim1", "scan_cumsum_exclusive", "scan_masked_cumsum",
              "scan_cumsum_reverse")] + [
    # Tuple reductions (C.reduce_tuple): argmax (as every argmax, a tuple), online log-sum-exp, attention with its
    # softmax online, a flat argmax over two axes, cumulative argmax/argmin (tuple scans).
    os.path.join(ROOT, "ir", "roundtrip", n + ".kir")
    for n in ("tuple_argmax", "tuple_logsumexp", "tuple_attention", "tuple_argmax_gather", "tuple_argmax_flat",
              "tuple_cumargmax")]
DISTRIBUTIONS = ["normal", "uniform", "heavy-tailed", "near-overflow", "with-zeros", "ties"]
# Odd shapes: every dim of the default shape replaced by a small prime-ish size (some 1s).
ODD = {
    "matmul": "M=7,N=1,K=13",
    "softmax": "M=3,N=1",
    "embedding_bag": "V=5,D=3,B=4,NNZ=9",
    "jagged_truncate": "R=11,D=2,B=3,T=5",
    "attention": "B=1,H=2,S=5,D=3",
    "cumsum": "M=2,N=9",
    "scan_cumsum_exclusive": "B=3,N=1",
    "scan_masked_cumsum": "B=1,N=300",
    "scan_cumsum_reverse": "B=2,N=2",
    "pool1d": "N=1,C=2,L=8",
    "argmax": "M=3,N=1",
    "masked_mean": "B=2,L=5,D=3",
}


def kevc_binary():
    path = os.environ.get("KEVC")
    if path and os.path.exists(path):
        return path
    found = sorted(glob.glob(os.path.join(ROOT, ".build*", "debug", "kevc")), key=os.path.getmtime)
    return found[-1] if found else None


KEVC = kevc_binary()
pytestmark = pytest.mark.skipif(KEVC is None, reason="no kevc binary (set $KEVC or build one)")


def run(args):
    p = subprocess.run([KEVC] + args, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


def load_npy_dir(folder, entries):
    out = {}
    for e in entries:
        a = np.load(os.path.join(folder, e["name"] + ".npy"))
        out[e["name"]] = torch.from_numpy(np.ascontiguousarray(a))
    return out


def compare(name, actual, expected, rel=1e-9):
    a = actual.to(torch.float64).reshape(-1)
    e = expected.to(torch.float64).reshape(-1)
    assert a.shape == e.shape, name
    nan_e = torch.isnan(e)
    assert torch.equal(torch.isnan(a), nan_e), "%s: NaN positions differ" % name
    a, e = a[~nan_e], e[~nan_e]
    inf = torch.isinf(e) | torch.isinf(a)
    assert torch.equal(a[inf], e[inf]), "%s: infinities differ" % name
    a, e = a[~inf], e[~inf]
    if a.numel() == 0:
        return
    err = (a - e).abs() / torch.clamp(e.abs(), min=1e-300)
    bad = ((a - e).abs() > rel * e.abs()) & ((a - e).abs() > 1e-300)
    if bool(bad.any()):
        i = int(torch.nonzero(bad)[0])
        raise AssertionError("%s: element %d is %r, interpreter %r (rel %g); %d differ"
                             % (name, i, float(a[i]), float(e[i]), float(err[i]), int(bad.sum())))


CASES = [(s, None) for s in SPECS] + [
    (s, ODD[os.path.basename(s)[:-4]]) for s in SPECS if os.path.basename(s)[:-4] in ODD
]


@pytest.mark.parametrize("spec,shape", CASES, ids=lambda v: os.path.basename(v) if v and v.endswith((".kev", ".kir")) else (v or "default"))
def test_reference_matches_interpreter(spec, shape):
    with tempfile.TemporaryDirectory() as tmp:
        ref_path = os.path.join(tmp, "ref.py")
        extra = ["--shape", shape] if shape else []
        run(["compile", spec, "--emit", "torch-ref", "-o", ref_path] + extra)
        ref = modules.load_module(ref_path, "kevc_ref_test")
        for k, dist in enumerate(DISTRIBUTIONS):
            out = os.path.join(tmp, dist)
            run(["interpret", spec, "--seed", str(1000 + k), "--distribution", dist, "--outputs", out] + extra)
            manifest = json.load(open(os.path.join(out, "manifest.json")))
            inputs = load_npy_dir(os.path.join(out, "inputs"), manifest["params"])
            expected = load_npy_dir(os.path.join(out, "results"), manifest["results"])
            got = ref.reference(inputs)
            for r in manifest["results"]:
                compare("%s %s %s" % (os.path.basename(spec), dist, r["name"]), got[r["name"]], expected[r["name"]])
            # The eager baseline runs and has the declared dtypes and shapes.
            eager = ref.eager(inputs)
            for r in ref.KEVC_REFERENCE["results"]:
                assert list(eager[r["name"]].shape) == r["shape"]
            cost = ref.measured_cost(inputs)
            assert cost["bytes_written"] > 0 or all(
                any(s == 0 for s in r["shape"]) for r in ref.KEVC_REFERENCE["results"])


@pytest.mark.parametrize("fixture,spec", [("vadd.ref.py", os.path.join(ROOT, "python", "tests", "data", "vadd.kev")),
                                          ("leeway.ref.py", os.path.join(ROOT, "python", "tests", "data", "leeway.kev")),
                                          ("softmax.ref.py", os.path.join(ROOT, "specs", "softmax.kev"))])
def test_harness_fixtures_are_current(fixture, spec):
    """The reference modules the harness tests use (on the GPU machine, where kevc cannot run) are what kevc
    emits now; regenerate them with the command in test_broken_kernels.py when this fails."""
    with open(os.path.join(ROOT, "python", "tests", "data", fixture)) as f:
        assert f.read() == run(["compile", spec, "--emit", "torch-ref", "-o", "-"])


def test_interpret_reads_inputs_back():
    """`kevc interpret --inputs` reads .npy inputs; the results equal those of the drawn inputs."""
    spec = os.path.join(ROOT, "specs", "masked_mean.kev")
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        run(["interpret", spec, "--seed", "5", "--outputs", a])
        run(["interpret", spec, "--inputs", os.path.join(a, "inputs"), "--outputs", b])
        for name in ("y", "count"):
            x = np.load(os.path.join(a, "results", name + ".npy"))
            y = np.load(os.path.join(b, "results", name + ".npy"))
            assert np.array_equal(x, y)


def test_triangular_sums_are_prefix_sums_at_real_size():
    """scan_cumsum at B=2, N=2^17: summed range by range (the spec as written) that is 1.7e10 terms, too slow for a
    harness trial at KernelBench's 32768 x 32768 (3.5e13); as a prefix sum it takes well under a second. Same values
    as float64 cumsum up to its rounding."""
    import time
    spec = os.path.join(ROOT, "specs", "kernelbench", "scan_cumsum.kev")
    with tempfile.TemporaryDirectory() as tmp:
        ref_path = os.path.join(tmp, "ref.py")
        run(["compile", spec, "--emit", "torch-ref", "-o", ref_path, "--shape", "B=2,N=131072"])
        text = open(ref_path).read()
        assert "C.prefix(" in text and "_PREFIX_AXIS = {\"y\": 1}" in text
        ref = modules.load_module(ref_path, "kevc_ref_cumsum_big")
        x = torch.randn(2, 131072, generator=torch.Generator().manual_seed(3)).to(torch.float32)
        start = time.perf_counter()
        y = ref.reference({"x": x})["y"]
        took = time.perf_counter() - start
        compare("cumsum 2 x 2^17", y, torch.cumsum(x.to(torch.float64), dim=1), rel=1e-6)
        assert took < 20, took
        # A suffix sum (scan_cumsum_reverse) likewise.
        spec = os.path.join(ROOT, "specs", "kernelbench", "scan_cumsum_reverse.kev")
        rev_path = os.path.join(tmp, "rev.py")
        run(["compile", spec, "--emit", "torch-ref", "-o", rev_path, "--shape", "B=2,N=131072"])
        rev = modules.load_module(rev_path, "kevc_ref_rcumsum_big")
        expected = torch.flip(torch.cumsum(torch.flip(x.to(torch.float64), [1]), dim=1), [1])
        compare("reverse cumsum 2 x 2^17", rev.reference({"x": x})["y"], expected, rel=1e-6)
        # A triangular product (scan_cumprod) likewise, as running products.
        spec = os.path.join(ROOT, "specs", "kernelbench", "scan_cumprod.kev")
        prod_path = os.path.join(tmp, "prod.py")
        run(["compile", spec, "--emit", "torch-ref", "-o", prod_path, "--shape", "B=2,N=131072"])
        assert "C.prefix(" in open(prod_path).read()
        prod = modules.load_module(prod_path, "kevc_ref_cumprod_big")
        near_one = (1 + 1e-4 * x.to(torch.float64)).to(torch.float32)
        start = time.perf_counter()
        got = prod.reference({"x": near_one})["y"]
        assert time.perf_counter() - start < 20
        compare("cumprod 2 x 2^17", got, torch.cumprod(near_one.to(torch.float64), dim=1), rel=1e-6)
        # In slices of rows (the harness's chunked reference), the same values.
        for name, lo, hi, rows in ref.reference_slices({"x": x}, 131072):
            assert name == "y" and hi == lo + 1 and torch.equal(rows, y[lo:hi])
        # The bytes measured_cost counts are the same whichever way the sum is computed: every element read once.
        # Its arithmetic is the scan's, one combine per term and row, not the triangle's (point, term) pairs: the
        # roofline floor is a lower bound on any implementation, `to_scan` is one, and the triangle's count put a
        # 32768^2 prefix sum's floor at 22 ms, above the scan's measured 2 ms on an H200, flagging every correct
        # scan (bench/kernelbench/results-h200-2026-12-06-defaults).
        cost = ref.measured_cost({"x": x})
        assert cost["bytes_read"] == x.numel() * 4 and cost["flops"] == 2 * 131072



@pytest.mark.parametrize("name", ["conv2d", "conv1d", "matmul", "batched_matmul"])
def test_a_contraction_too_large_for_one_einsum_is_split(name):
    """C.contract cuts a box whose factor exceeds _CONTRACT_FACTOR elements in two along the longest axis that
    factor uses, recursively, instead of falling back to the general reduction: a limit of 200 elements forces
    splits on the default shapes (a row of one factor still fits), and the results still equal the interpreter's. (Boxes of contractions are
    _BOX_CONTRACTION points: at 2^16 a float64 convolution at KernelBench's sizes was thousands of small einsums;
    at N=2, C=16, 256 x 256, F=64, K=3 on a 2-core CPU, 22.3 s before and 0.47 s after:
    bench/harness/reference-speed-cpu-2026-12-06.txt.)"""
    spec = os.path.join(ROOT, "specs", name + ".kev")
    with tempfile.TemporaryDirectory() as tmp:
        ref_path = os.path.join(tmp, "ref.py")
        run(["compile", spec, "--emit", "torch-ref", "-o", ref_path])
        assert "C.contract(" in open(ref_path).read()
        ref = modules.load_module(ref_path, "kevc_ref_split_" + name)
        ref._CONTRACT_FACTOR = 200
        general = []
        plain_reduce = ref._Ctx.reduce
        ref._Ctx.reduce = lambda self, *a, **k: general.append(a[0]) or plain_reduce(self, *a, **k)
        out = os.path.join(tmp, "normal")
        run(["interpret", spec, "--seed", "7", "--distribution", "normal", "--outputs", out])
        manifest = json.load(open(os.path.join(out, "manifest.json")))
        inputs = load_npy_dir(os.path.join(out, "inputs"), manifest["params"])
        expected = load_npy_dir(os.path.join(out, "results"), manifest["results"])
        got = ref.reference(inputs)
        for r in manifest["results"]:
            compare("%s split %s" % (name, r["name"]), got[r["name"]], expected[r["name"]])
        assert general == [], "fell back to the general reduction: %s" % general
        assert ref.measured_cost(inputs)["flops"] > 0


def _counted(fn):
    """fn() under a dispatch mode counting torch operations and host round trips (aten._local_scalar_dense: item,
    bool, float, int, tolist; nonzero; masked_select): what a GPU pays per launch and per synchronisation."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        ops = syncs = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            Count.ops += 1
            if any(s in str(func) for s in ("_local_scalar_dense", "nonzero", "masked_select")):
                Count.syncs += 1
            return func(*args, **(kwargs or {}))
    with Count():
        out = fn()
    return out, Count.ops, Count.syncs


def test_a_reductions_boxes_follow_its_length():
    """The reference's boxes of a reduction hold about _BUDGET points of work (2^22 / its length outputs, the
    `_DEFINITIONS` entry's reduction field), not a fixed 2^16 outputs: max_pool1d (8 taps) at 2 x 4 x 65536
    outputs is one box (it was 8, each a few dozen operations and a round trip; 12 288 at KernelBench's shape, 20 s
    of an H100), and measured_cost tracks the elements read and the points without a round trip per load or chunk.
    Values and the measured cost are those of the interpreter's rules (the static COST here: every element read)."""
    torch = pytest.importorskip("torch")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pool.ref.py")
        run(["compile", os.path.join(ROOT, "specs", "kernelbench", "max_pool1d.kev"), "--emit", "torch-ref",
             "--shape", "N=2,C=4,L=65549", "-o", path])
        ref = modules.load_module(path, "kevc_ref_" + os.path.basename(path).split(".")[0])
        x = torch.randn(2, 4, 65549, generator=torch.Generator().manual_seed(3))
        out, ops, syncs = _counted(lambda: ref.reference({"x": x}))
        padded = torch.nn.functional.pad(x.double(), (4, 4 + 21), value=float("-inf"))
        expected = torch.stack([padded[..., 3 * k:3 * k + 65536] for k in range(8)]).amax(0)
        assert torch.equal(out["y"], expected)
        assert syncs <= 2 and ops < 100, (ops, syncs)  # 392 operations and 8 round trips before
        cost, ops, syncs = _counted(lambda: ref.measured_cost({"x": x}))
        assert syncs <= 4, syncs
        assert {"bytes": cost["bytes"], "flops": cost["flops"]} == ref.COST


def test_an_inbounds_load_outside_its_tensor_is_still_an_error():
    """The inbounds check is made once per definition (no round trip per load), and still raises."""
    torch = pytest.importorskip("torch")
    with tempfile.TemporaryDirectory() as tmp:
        kir = os.path.join(tmp, "g.kir")
        with open(kir, "w") as f:
            f.write("kernel @g(%t: f32[N], %i: i64[M]) -> (%y: f32[M]) {\n  dims N = 8, M = 4\n"
                    "  %y: f32[m < M] = %t[%i[m] inbounds] inbounds\n}\n")
        path = os.path.join(tmp, "g.ref.py")
        run(["compile", kir, "--emit", "torch-ref", "-o", path])
        ref = modules.load_module(path, "kevc_ref_" + os.path.basename(path).split(".")[0])
        t = torch.arange(8.0)
        assert ref.reference({"t": t, "i": torch.tensor([0, 1, 2, 7])})["y"].tolist() == [0.0, 1.0, 2.0, 7.0]
        with pytest.raises(ref.KevcReferenceError, match="inbounds load of 't' outside its shape"):
            ref.reference({"t": t, "i": torch.tensor([0, 1, 2, 8])})
        with pytest.raises(ref.KevcReferenceError):
            list(ref.reference_slices({"t": t, "i": torch.tensor([8, 1, 2, 3])}, 2))
