"""The dtype's own error (docs/reliability.md, "An input the dtype cannot resolve"): where the spec evaluated
straightforwardly in its declared dtypes misses the float64 reference by more than the tolerance on an input (an
ill-conditioned computation: a long f32 contraction feeding exp, huge terms that cancel), compare() widens its
bound to DTYPE_ERROR_FACTOR times that evaluation's worst normalised error, at most DTYPE_ERROR_CAP times; a NaN
never passes, and where that evaluation is within tolerance the rule is unchanged. Runs on the CPU."""
import math
import os
import tempfile

import pytest

torch = pytest.importorskip("torch")

from kevc_gpu import modules
from kevc_gpu.tolerance import DTYPE_ERROR_CAP, DTYPE_ERROR_FACTOR, TOLERANCE, compare, dtype_error, widening
from kevc_gpu.worker import _pack_leeway, _unpack_leeway

HERE = os.path.dirname(os.path.abspath(__file__))


def test_the_widening_is_one_until_the_dtype_misses_its_tolerance_and_is_capped():
    assert widening(None) == 1.0
    assert widening(math.nan) == 1.0 and widening(math.inf) == 1.0
    assert widening(0.0) == 1.0
    assert widening(1.0 / DTYPE_ERROR_FACTOR) == 1.0
    assert widening(2.0) == 2.0 * DTYPE_ERROR_FACTOR
    assert widening(1e9) == DTYPE_ERROR_CAP


def normalised(errors, reference, dtype="f32"):
    """Values at the given normalised errors from the reference (the rule's bound: atol + rtol (|r| + rms))."""
    atol, rtol = TOLERANCE[dtype]
    scale = float(reference.square().mean().sqrt())
    return reference + torch.tensor(errors, dtype=torch.float64) * (atol + rtol * (reference.abs() + scale))


def test_dtype_error_is_the_worst_normalised_error_over_finite_elements():
    r = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)
    e = normalised([0.5, -3.0, 0.0, 1.0], r)
    assert dtype_error(e.float(), r, "f32") == pytest.approx(3.0, rel=1e-3)
    e[3] = math.inf  # an overflow of the dtype evaluation is not a rounding error to allow
    assert dtype_error(e, r, "f32") == pytest.approx(3.0, rel=1e-6)
    assert dtype_error(torch.tensor([1, 2]), torch.tensor([1, 3]), "i64") is None
    assert dtype_error(e[:2], r, "f32") is None


def test_the_bound_widens_by_the_dtype_error_only():
    r = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)
    candidate = normalised([0.0, 6.0, 0.0, 0.0], r)
    assert not compare(candidate, r, "f32")["passed"]
    assert not compare(candidate, r, "f32", dtype_error=0.2)["passed"]  # the dtype within tolerance: strict
    assert not compare(candidate, r, "f32", dtype_error=1.0)["passed"]  # 4x: not enough for 6
    c = compare(candidate, r, "f32", dtype_error=2.0)  # 8x
    assert c["passed"] and c["widening"] == 8.0
    failed = compare(normalised([0.0, 100.0, 0.0, 0.0], r), r, "f32", dtype_error=1e6)
    assert not failed["passed"] and failed["widening"] == DTYPE_ERROR_CAP and "widened 64x" in failed["reason"]
    nan = candidate.clone()
    nan[0] = math.nan
    result = compare(nan, r, "f32", dtype_error=10.0)
    assert not result["passed"] and result["kind"] == "nan"
    # Integers compare exactly whatever is passed.
    assert not compare(torch.tensor([1, 2]), torch.tensor([1, 3]), "i64", dtype_error=10.0)["passed"]


def test_the_reference_cache_keeps_the_dtype_error():
    outputs = {"y": torch.zeros(3, dtype=torch.float64)}
    leeway = {"y": {"any_value": None, "alternatives": {}, "dtype_error": 2.5}}
    back_outputs, back = _unpack_leeway(_pack_leeway(torch, outputs, leeway, "cpu"))
    assert list(back_outputs) == ["y"] and back["y"]["dtype_error"] == 2.5


from test_reference_vs_interpreter import KEVC, run as run_kevc  # noqa: E402 (the built kevc, and running it)

# An ill-conditioned spec: a long f32 contraction whose logits (std ~ sqrt(I)) feed a softmax, so an f32
# evaluation's absolute error of the logits becomes a relative error of the probabilities.
ILL_CONDITIONED = """kernel dense_softmax(x: f32[B, I], w: f32[O, I]) -> (y: f32[B, O]) {
  dims B = 8, I = 16384, O = 64
  h[b, o] = sum(i) x[b, i] * w[o, i]
  y[b, o] = exp(h[b, o] - max(j) h[b, j]) / sum(j) exp(h[b, j] - max(k) h[b, k])
}
"""


@pytest.mark.skipif(KEVC is None, reason="no kevc binary (set $KEVC or build one)")
def test_an_f32_evaluation_of_an_ill_conditioned_spec_passes_widened_and_garbage_does_not():
    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, "dense_softmax.kev")
        open(spec, "w").write(ILL_CONDITIONED)
        ref_path = os.path.join(tmp, "ref.py")
        run_kevc(["compile", spec, "--emit", "torch-ref", "-o", ref_path])
        ref = modules.load_module(ref_path, "kevc_dense_softmax_ref")
    g = torch.Generator().manual_seed(3)
    values = {"x": torch.randn(8, 16384, generator=g), "w": torch.randn(64, 16384, generator=g)}
    expected = ref.reference({k: v.clone() for k, v in values.items()})["y"]
    evaluated = ref.eager({k: v.clone() for k, v in values.items()})["y"]
    # Another f32 evaluation (a different summation order: the contraction in two halves).
    h = values["x"][:, :8192] @ values["w"][:, :8192].T + values["x"][:, 8192:] @ values["w"][:, 8192:].T
    other = torch.softmax(h, dim=1)
    e = dtype_error(evaluated, expected, "f32")
    assert e is not None and e > 0
    strict, widened = compare(other, expected, "f32"), compare(other, expected, "f32", dtype_error=e)
    assert widened["passed"], widened["reason"]
    if e > 1.0 / DTYPE_ERROR_FACTOR:
        assert widened["widening"] > 1.0
    # Garbage (another row's probabilities) still fails, widened or not.
    assert not compare(other.roll(1, dims=0), expected, "f32", dtype_error=e)["passed"]
    assert strict["max_abs"] == widened["max_abs"]


# -- the harness: measured on a failure only, then the comparison done again ----------------------------------------

SOFTMAX_REF = os.path.join(HERE, "data", "softmax.ref.py")

# The fixture's softmax reference with an eager() that errs like an ill-conditioned f32 evaluation would: its
# logits off by 2e-3 in a fixed pattern (a plain softmax is well-conditioned; this stands in for one that is not).
COARSE_EAGER = '''

def _wobble(x, amount):
    i = torch.arange(x.numel(), device=x.device).reshape(x.shape)
    return x + amount * torch.where(i % 3 == 0, 1.0, -1.0).to(x.dtype)


def eager(inputs, device=None):
    x = inputs["x"].to(_device_of(inputs, device))
    return {"y": torch.softmax(_wobble(x, 2e-3), dim=1)}
'''

KERNEL = '''
import torch
KEVC = {"kernel": "softmax", "params": [{"name": "x", "dtype": "f32", "shape": [61, 203], "domain": None}],
        "results": [{"name": "y", "dtype": "f32", "shape": [61, 203]}], "workspace": 0}
def launch(x, y):
    i = torch.arange(x.numel(), device=x.device).reshape(x.shape)
    y.copy_(torch.softmax(x + AMOUNT * torch.where(i % 2 == 0, 1.0, -1.0), dim=1))
'''


def evaluate(tmp_path, amount, coarse=True):
    from kevc_gpu import harness
    ref = tmp_path / "ref.py"
    ref.write_text(open(SOFTMAX_REF).read() + (COARSE_EAGER if coarse else ""))
    kernel = tmp_path / ("k%s.py" % str(amount).replace(".", "_"))
    kernel.write_text(KERNEL.replace("AMOUNT", repr(amount)))
    return harness.evaluate(str(kernel), str(ref), trials=2, timing_calls=3, timeout=60, device="cpu", seed=3)


def results(r):
    return [res for t in r["trials"] for res in t["results"].values()]


def test_a_candidate_within_the_dtypes_own_error_passes_widened_and_says_so(tmp_path):
    r = evaluate(tmp_path, 3e-3)
    assert r["status"] == "ok", r["reason"]
    assert r["revalidation"] == "passed"
    assert all(res["passed"] for res in results(r))
    # Where the plain rule failed (normal inputs), the pass is widened and says by how much; where it passed
    # (uniform inputs: small logits), nothing was measured.
    assert any(res["widening"] > 1 and res["dtype_error"] > 1 for res in results(r))
    assert all(res["widening"] == 1.0 for res in results(r) if res["dtype_error"] is None)


def test_without_the_ill_conditioning_the_same_candidate_fails(tmp_path):
    # The fixture's own eager() is an accurate f32 softmax: no widening, the plain rule.
    r = evaluate(tmp_path, 3e-3, coarse=False)
    assert r["status"] == "wrong" and "widened" not in r["reason"]


def test_garbage_fails_however_the_dtype_errs(tmp_path):
    r = evaluate(tmp_path, 0.5)
    assert r["status"] == "wrong" and "widened" in r["reason"]


def test_a_correct_candidate_costs_no_eager_evaluation(tmp_path):
    r = evaluate(tmp_path, 0.0)
    assert r["status"] == "ok"
    assert all(res.get("dtype_error") is None and res["widening"] == 1.0 for res in results(r))


def test_the_dtype_error_is_measured_under_the_kernels_contract():
    # Under `high` a user's PyTorch computes f32 contractions in TF32 (cuDNN's default; cuBLAS with the flag): the
    # straightforward evaluation the widening compares with is that one, not full f32 (a one-pass TF32
    # convolution of heavy-tailed inputs misses tf32's tolerance in PyTorch too: conv_transpose2d_subtract_tanh on
    # an H100, 2026-12-07). Every flag is restored afterwards.
    from kevc_gpu.worker import contract_flags
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    for contract, tf32 in (("highest", False), ("high", True), ("medium", True)):
        with contract_flags(torch, contract):
            assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == (tf32, tf32)
        assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == before
