"""The fused comparison kernel (kevc_gpu/fused_compare.py) against compare()'s torch path, under Triton's
interpreter on CPU tensors: on random cases of every distribution the harness draws, NaN and infinities in the
candidate and the reference, -0.0, subnormals, differences exactly at the bound and one ulp past it, empty and odd
sizes, f32/f16/bf16/f64/integer/bool candidates, a cached or a computed scale, one or several slices and launches,
the result dicts are identical (verdict, kind, max_abs and max_rel to the last bit, failures, first failing
element). A failure of the kernel falls back to the torch path, said once."""

import math
import os
import random
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

from kevc_gpu import fused_compare  # noqa: E402
from kevc_gpu.tolerance import TOLERANCE, compare, scale_of  # noqa: E402

# Triton's interpreter must be on before triton.language is imported (its library functions are jitted then), so
# the cases run in a child pytest with TRITON_INTERPRET=1; in the parent only test_in_the_interpreter runs them.
INTERPRETED = os.environ.get("TRITON_INTERPRET") == "1" and os.environ.get("KEVC_FUSED_COMPARE_CHILD") == "1"
child = pytest.mark.skipif(not INTERPRETED, reason="run by test_in_the_interpreter in a child process")


@pytest.mark.skipif(INTERPRETED, reason="the child itself")
def test_in_the_interpreter():
    env = dict(os.environ, TRITON_INTERPRET="1", KEVC_FUSED_COMPARE_CHILD="1")
    env.pop("KEVC_FUSED_COMPARE", None)
    got = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
                          __file__], env=env, capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert got.returncode == 0, got.stdout[-6000:] + got.stderr[-2000:]
    assert " passed" in got.stdout, got.stdout[-2000:]

NATIVE = {"f64": torch.float64, "f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16,
          "i8": torch.int8, "i32": torch.int32, "i64": torch.int64, "bool": torch.bool}


@pytest.fixture(autouse=True)
def interpreter(monkeypatch):
    monkeypatch.delenv("KEVC_FUSED_COMPARE", raising=False)
    fused_compare._broken.clear()
    yield
    fused_compare._broken.clear()


def both(monkeypatch, actual, reference, dtype, **kw):
    """compare() by the torch path and by the fused kernel (asserting the kernel ran)."""
    monkeypatch.setenv("KEVC_FUSED_COMPARE", "0")
    slow = compare(actual, reference, dtype, **kw)
    monkeypatch.setenv("KEVC_FUSED_COMPARE", "1")
    calls = []
    real = fused_compare.figures

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(fused_compare, "figures", counted)
    fast = compare(actual, reference, dtype, **kw)
    monkeypatch.setattr(fused_compare, "figures", real)
    assert calls or actual.numel() == 0, "the fused kernel did not run"
    assert not fused_compare._broken, fused_compare._broken
    return slow, fast


def _distribution(g, name, n):
    if name == "normal":
        return torch.randn(n, generator=g, dtype=torch.float64)
    if name == "uniform":
        return torch.rand(n, generator=g, dtype=torch.float64) * 2 - 1
    if name == "heavy":
        u = torch.rand(n, generator=g, dtype=torch.float64)
        return torch.tan(math.pi * (u - 0.5))
    if name == "near_overflow":
        return torch.randn(n, generator=g, dtype=torch.float64) * 3e4
    if name == "zeros":
        x = torch.randn(n, generator=g, dtype=torch.float64)
        return torch.where(torch.rand(n, generator=g) < 0.5, torch.zeros_like(x), x)
    if name == "ties":
        return torch.randint(-3, 4, (n,), generator=g).to(torch.float64)
    if name == "subnormal":
        return torch.randn(n, generator=g, dtype=torch.float64) * 1e-41
    raise ValueError(name)


def _case(seed):
    """A random (actual, reference, dtype, kwargs)."""
    rnd = random.Random(seed)
    g = torch.Generator().manual_seed(seed)
    dtype = rnd.choice(["f32", "f32", "f16", "bf16", "f64", "i8", "i32", "i64", "bool"])
    n = rnd.choice([1, 2, 3, 7, 127, 1000, 4097, 65537, 70001])
    shape = [n] if rnd.random() < 0.5 or n < 8 else [n // 7, 7] if n % 7 == 0 else [1, n]
    n = 1
    for s in shape:
        n *= s
    dist = rnd.choice(["normal", "uniform", "heavy", "near_overflow", "zeros", "ties", "subnormal"])
    ref = _distribution(g, dist, n)
    if dtype in ("i8", "i32", "i64", "bool"):
        hi = 2 if dtype == "bool" else 100
        ref = torch.randint(0, hi, (n,), generator=g).to(torch.float64)
        actual = ref.to(NATIVE[dtype])
        if rnd.random() < 0.5:  # a few wrong elements
            wrong = torch.randint(0, n, (max(1, n // 50),), generator=g)
            flipped = ref.clone()
            flipped[wrong] = 1 - flipped[wrong] if dtype == "bool" else flipped[wrong] + 1
            actual = flipped.to(NATIVE[dtype])
        if dtype == "bool" and rnd.random() < 0.3:  # a poisoned byte where a bool belongs
            raw = actual.view(torch.uint8).clone()
            raw[rnd.randrange(n)] = 0x5A
            actual = raw.view(torch.bool)
        return actual.reshape(shape), ref.reshape(shape), dtype, {}
    atol, rtol = TOLERANCE[dtype]
    # The candidate: the reference rounded to its dtype, plus noise of a few sizes around the bound.
    noise = rnd.choice([0.0, 0.1, 0.5, 1.0, 2.0, 10.0])
    actual = (ref + noise * (atol + rtol * ref.abs()) * torch.randn(n, generator=g, dtype=torch.float64))
    actual = actual.to(NATIVE[dtype])
    specials = [float("nan"), float("inf"), -float("inf"), -0.0, 0.0, 1e-310, -1e-310, 1e-45, 3e38, -65504.0]
    for t in (actual, ref):
        if rnd.random() < 0.5:
            for _ in range(rnd.randint(1, 6)):
                t[rnd.randrange(n)] = rnd.choice(specials)
    if rnd.random() < 0.3:  # the same special value at the same place in both
        i = rnd.randrange(n)
        v = rnd.choice([float("nan"), float("inf"), -float("inf")])
        actual[i], ref[i] = v, v
    kw = {}
    if rnd.random() < 0.3:
        kw["tolerance"] = rnd.choice(["f32", "f16", "bf16"])
    if rnd.random() < 0.2:
        kw["dtype_error"] = rnd.choice([0.1, 0.5, 3.0, 100.0])
    if rnd.random() < 0.5:
        kw["scale"] = scale_of(ref)
    if rnd.random() < 0.4:
        kw["chunk"] = rnd.choice([1000, 4096, 65536])
    return actual.reshape(shape), ref.reshape(shape), dtype, kw


@child
@pytest.mark.parametrize("seed", range(120))
def test_the_fused_kernel_gives_the_torch_paths_result(monkeypatch, seed):
    actual, ref, dtype, kw = _case(seed)
    slow, fast = both(monkeypatch, actual, ref, dtype, **kw)
    assert slow == fast


@child
def test_several_launches_and_host_slices_give_the_same_result(monkeypatch):
    """Launches of SPAN elements over a device reference, and a host reference copied chunk by chunk."""
    g = torch.Generator().manual_seed(7)
    ref = torch.randn(50001, generator=g, dtype=torch.float64)
    actual = (ref + 3e-4 * torch.randn(50001, generator=g, dtype=torch.float64)).float()
    actual[12345] = float("nan")
    monkeypatch.setattr(fused_compare, "SPAN", 4096)
    monkeypatch.setattr(fused_compare, "INTERPRETER_BLOCK", 1024)
    slow, fast = both(monkeypatch, actual, ref, "f32")
    assert slow == fast and fast["kind"] == "nan"
    monkeypatch.setattr(fused_compare, "_in_place", lambda flat_a, flat_r: False)
    slow, fast = both(monkeypatch, actual, ref, "f32", chunk=3000)
    assert slow == fast


def _bound_cases(dtype, scale):
    """(actual, reference) pairs whose difference is exactly the bound atol + rtol * (|r| + scale) as float64
    computes it, and the next float64 past it (the element must pass, then fail)."""
    atol, rtol = TOLERANCE[dtype]
    native = NATIVE[dtype]
    refs, acts = [], []
    for a in torch.tensor([0.5, 1.0, 1.5, 3.0, -2.0, 0.25, 1024.0, 7.0], dtype=native).tolist():
        for sign in (1.0, -1.0):
            # r = a - sign * d with |a - r| computed as d exactly where possible: search r near the bound.
            bound = atol + rtol * (abs(a) + scale)
            r = a - sign * bound
            for _ in range(4):
                d = abs(a - r)
                b = atol + rtol * (abs(r) + scale)
                if d <= b:
                    break
                r = math.nextafter(r, a)
            refs.append(r)
            acts.append(a)
            refs.append(math.nextafter(r, -math.inf if sign > 0 else math.inf))  # one ulp past the bound
            acts.append(a)
    return torch.tensor(acts, dtype=native), torch.tensor(refs, dtype=torch.float64)


@child
@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16", "f64"])
def test_differences_at_the_bound_decide_alike(monkeypatch, dtype):
    for scale in (0.0, 0.7, 3.0):
        actual, ref = _bound_cases(dtype, scale)
        slow, fast = both(monkeypatch, actual, ref, dtype, scale=scale)
        assert slow == fast
        assert 0 < slow["failures"] < actual.numel()  # both sides of the bound are met


@child
def test_empty_results_and_edge_values(monkeypatch):
    empty = torch.zeros(0, 5)
    slow, fast = both(monkeypatch, empty, empty.double(), "f32")
    assert slow == fast and fast["passed"]
    values = [0.0, -0.0, float("nan"), float("inf"), -float("inf"), 1e-310, 5e-324, 1.7e308, -1.7e308, 1.0]
    ref = torch.tensor([x for x in values for _ in values], dtype=torch.float64)
    for dtype in ("f64", "f32", "bf16"):
        actual = torch.tensor([y for _ in values for y in values], dtype=torch.float64).to(NATIVE[dtype])
        slow, fast = both(monkeypatch, actual, ref, dtype)
        assert slow == fast


@child
def test_leeway_takes_the_torch_path(monkeypatch):
    ref = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    actual = torch.tensor([1.0, 1.0, 2.0])
    called = []
    monkeypatch.setattr(fused_compare, "figures", lambda *a, **k: called.append(1))
    got = compare(actual, ref, "f32", any_value=[0])
    assert got["passed"] and not called


@child
def test_a_failing_kernel_falls_back_to_the_torch_path_once(monkeypatch, capsys):
    def broken():
        raise RuntimeError("no compiler here")
    monkeypatch.setattr(fused_compare, "_kernel", broken)
    ref = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    actual = torch.tensor([0.0, 1.5, 2.0])
    monkeypatch.setenv("KEVC_FUSED_COMPARE", "0")
    expected = compare(actual, ref, "f32")
    monkeypatch.setenv("KEVC_FUSED_COMPARE", "1")
    assert compare(actual, ref, "f32") == expected
    assert compare(actual, ref, "f32") == expected
    err = capsys.readouterr().err
    assert err.count("the fused comparison kernel failed") == 1
    assert not expected["passed"]  # the candidate's verdict, not the harness's failure


@pytest.mark.skipif(INTERPRETED, reason="Triton's JIT, not the interpreter")
def test_the_compile_ahead_specialises_as_a_real_comparison(monkeypatch):
    """fused_compare.compile_ahead (before the device lock) must compile what a real comparison launches: the same
    specialisation of the arguments, checked without a GPU through a CUDA backend's binder (as test_held.py's
    test_the_compile_aheads_stand_ins_specialise_as_real_tensors does for candidates)."""
    from triton.runtime.jit import JITFunction, create_function_from_signature
    from triton.backends.compiler import GPUTarget
    try:
        from triton.backends.nvidia.compiler import CUDABackend
    except ImportError:
        pytest.skip("no CUDA backend in this Triton")
    seen = []

    def record(fn, *args, grid=None, warmup=False, **kwargs):
        seen.append((fn, args, kwargs))
    monkeypatch.setattr(JITFunction, "run", record)
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    fused_compare.compile_ahead(torch, [torch.float32])
    ref = torch.randn(5000, dtype=torch.float64)
    fused_compare.figures(torch, ref.float(), ref, 1e-4, 2e-4, 1e-4, scale_of(ref), 1 << 20)
    assert not fused_compare._broken, fused_compare._broken
    (fn, ahead_args, ahead_kwargs), (_, real_args, real_kwargs) = seen
    binder = create_function_from_signature(fn.signature, fn.params, CUDABackend(GPUTarget("cuda", 90, 32)))
    ahead = binder(*ahead_args, **ahead_kwargs)[1]
    assert ahead == binder(*real_args, **real_kwargs)[1], ahead
    assert ("*fp32", "D") in ahead and ("*fp64", "D") in ahead  # aligned pointers, as real tensors are
    assert {k: ahead_kwargs[k] for k in ("num_warps", "enable_fp_fusion")} == \
        {k: real_kwargs[k] for k in ("num_warps", "enable_fp_fusion")}
