"""The GPU harness's leeway at discontinuities and argmax ties (docs/reliability.md, "What the checker compares"):
the torch reference's `reference_with_leeway` computes what the CPU checker's `Interpreter.runWithLeeway` computes,
and `compare` with it accepts a floor or a comparison that f32 takes to the other side, and any tying index of an
argmax, while a wrong value elsewhere still fails.

The first tests run on the checked-in reference module tests/data/leeway.ref.py (no kevc needed: the GPU machine
runs them); the cross-check against the interpreter needs a built kevc ($KEVC or .build*/debug/kevc)."""
import json
import math
import os
import tempfile

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

from kevc_gpu import modules
from kevc_gpu.tolerance import TOLERANCE, compare

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
LEEWAY_REF = os.path.join(HERE, "data", "leeway.ref.py")


def leeway_module():
    return modules.load_module(LEEWAY_REF, "kevc_leeway_ref")


def inputs():
    x = torch.tensor([0.7, 0.2, 1.5, -0.3], dtype=torch.float32)
    w = torch.tensor([[1.0, 1.0 + 1e-6, 0.5, 0.2], [0.1, 0.9, 0.3, 0.2], [2.0, 2.0, 2.0, -1.0]], dtype=torch.float32)
    return {"x": x, "w": w}


def gpu_like(values):
    """What an f32 kernel computes (the products rounded to f32, as a GPU does) and an argmax that picks the first
    of the tying indices."""
    x, w = values["x"], values["w"]
    y = torch.floor(x * 10)
    return {"y": y, "u": y + 1, "c": torch.where(x * 3 > 2.1, 1.0, 0.0), "z": torch.tensor([0, 1, 0])}


def test_a_floor_flip_a_comparison_flip_and_an_argmax_tie_are_not_false_failures():
    ref = leeway_module()
    values = inputs()
    expected, leeway = ref.reference_with_leeway({k: v.clone() for k, v in values.items()})
    got = gpu_like(values)
    for name, dtype in (("y", "f32"), ("u", "f32"), ("c", "f32"), ("z", "i64")):
        # Without the leeway each of these is a false failure ...
        assert not compare(got[name], expected[name], dtype)["passed"], name
        # ... with it, the GPU-like result passes.
        c = compare(got[name], expected[name], dtype, **leeway[name])
        assert c["passed"], (name, c["reason"])
    # floor(0.7f * 10): 6 in float64, 7 in f32; the reference marks it (and u, computed from it).
    assert float(expected["y"][0]) == 6.0 and float(got["y"][0]) == 7.0
    assert bool(leeway["y"]["any_value"][0]) and bool(leeway["u"]["any_value"][0])
    # The argmax: row 0 ties within f32's tolerance (1.0 and 1.0 + 1e-6: either index); row 2's maxima are exactly
    # equal, so only the first index is right (no alternatives); row 1 does not tie.
    assert leeway["z"]["alternatives"] == {0: [0.0, 1.0]}
    assert not bool(leeway["z"]["any_value"].any())


def test_the_leeway_never_hides_a_wrong_result():
    ref = leeway_module()
    values = inputs()
    expected, leeway = ref.reference_with_leeway({k: v.clone() for k, v in values.items()})
    # A wrong index (not a tying one) fails; so does a wrong value where no discontinuity was met.
    z = torch.tensor([3, 1, 0])
    assert not compare(z, expected["z"], "i64", **leeway["z"])["passed"]
    z = torch.tensor([0, 2, 0])
    assert not compare(z, expected["z"], "i64", **leeway["z"])["passed"]
    # An exact tie answered with a later index (row 2: 2.0 at 0, 1 and 2) is wrong: the first index is defined.
    z = torch.tensor([0, 1, 1])
    assert not compare(z, expected["z"], "i64", **leeway["z"])["passed"]
    c = expected["c"].clone().to(torch.float32)
    c[1] = 0.5  # x[1] * 3 = 0.6 is far from 2.1: no leeway there
    assert not compare(c, expected["c"], "f32", **leeway["c"])["passed"]
    # A NaN the reference lacks fails even where any value is accepted.
    y = expected["y"].clone().to(torch.float32)
    y[0] = math.nan
    r = compare(y, expected["y"], "f32", **leeway["y"])
    assert not r["passed"] and r["kind"] == "nan"


def test_reference_values_are_unchanged_by_the_leeway():
    ref = leeway_module()
    values = inputs()
    plain = ref.reference({k: v.clone() for k, v in values.items()})
    with_leeway, _ = ref.reference_with_leeway({k: v.clone() for k, v in values.items()})
    for name in plain:
        assert torch.equal(plain[name], with_leeway[name]), name


def test_the_modules_tolerance_table_is_the_harness_table():
    ref = leeway_module()
    for t, (atol, rtol) in ref._TOL.items():
        assert TOLERANCE[t] == (atol, rtol), t


from test_reference_vs_interpreter import KEVC, run as run_kevc  # noqa: E402 (the built kevc, and running it)

needs_kevc = pytest.mark.skipif(KEVC is None, reason="no kevc binary (set $KEVC or build one)")

# Specs whose results meet discontinuities or argmax ties: the leeway fixture, argmax/argmin, and specs with
# floors, comparisons and conversions of computed values.
LEEWAY_SPECS = [os.path.join(HERE, "data", "leeway.kev"), os.path.join(HERE, "data", "leeway_tuple.kir"),
                os.path.join(ROOT, "ir", "roundtrip", "tuple_argmax.kir")] + [
    p for p in (os.path.join(ROOT, "specs", n) for n in (
        "argmax.kev", "kernelbench/reduce_argmin_dim1.kev", "pool1d.kev", "masked_mean.kev", "jagged_truncate.kev"))
    if os.path.exists(p)]


@needs_kevc
@pytest.mark.parametrize("spec", LEEWAY_SPECS, ids=os.path.basename)
@pytest.mark.parametrize("distribution", ["normal", "ties", "with-zeros"])
def test_reference_leeway_matches_the_interpreter(spec, distribution):
    """Element for element, the same any_value set and the same alternatives as `kevc interpret --leeway`
    (Interpreter.runWithLeeway) on the same inputs."""
    with tempfile.TemporaryDirectory() as tmp:
        ref_path = os.path.join(tmp, "ref.py")
        run_kevc(["compile", spec, "--emit", "torch-ref", "-o", ref_path])
        ref = modules.load_module(ref_path, "kevc_leeway_cross")
        out = os.path.join(tmp, "out")
        run_kevc(["interpret", spec, "--seed", "7", "--distribution", distribution, "--outputs", out, "--leeway"])
        manifest = json.load(open(os.path.join(out, "manifest.json")))
        values = {p["name"]: torch.from_numpy(np.ascontiguousarray(np.load(os.path.join(out, "inputs", p["name"] + ".npy"))))
                  for p in manifest["params"]}
        expected = json.load(open(os.path.join(out, "leeway.json")))
        _, leeway = ref.reference_with_leeway(values)
        for name, want in expected.items():
            got = leeway[name]
            any_value = sorted(int(i) for i in torch.nonzero(got["any_value"]).flatten().tolist())
            assert any_value == want["any_value"], (name, "any_value")
            alternatives = {str(k): v for k, v in got["alternatives"].items()}
            assert alternatives == {k: [float(x) for x in v] for k, v in want["alternatives"].items()}, name


@needs_kevc
def test_a_select_form_tuple_reduction_has_the_argmax_leeway():
    """leeway.kev's argmax as a tuple reduction (data/leeway_tuple.kir): the torch reference folds it with its
    combiner (C.reduce_tuple) and takes the leeway from the combiner's order key, so it gives the operator's values
    and alternatives on the fixture's inputs: row 0's near tie either index, row 2's exact tie the first only."""
    with tempfile.TemporaryDirectory() as tmp:
        ref_path = os.path.join(tmp, "ref.py")
        run_kevc(["compile", os.path.join(HERE, "data", "leeway_tuple.kir"), "--emit", "torch-ref", "-o", ref_path])
        assert "C.reduce_tuple(" in open(ref_path).read()
        tuple_ref = modules.load_module(ref_path, "kevc_leeway_tuple")
    w = inputs()["w"]
    expected, leeway = tuple_ref.reference_with_leeway({"w": w.clone()})
    op_expected, op_leeway = leeway_module().reference_with_leeway({k: v.clone() for k, v in inputs().items()})
    assert torch.equal(expected["z"], op_expected["z"])
    assert leeway["z"]["alternatives"] == op_leeway["z"]["alternatives"] == {0: [0.0, 1.0]}
    assert not bool(leeway["z"]["any_value"].any())
    assert torch.equal(tuple_ref.reference({"w": w.clone()})["z"], expected["z"])
    z = gpu_like(inputs())["z"]
    assert compare(z, expected["z"], "i64", **leeway["z"])["passed"]
    z[2] = 1  # the second index of row 2's exact tie
    assert not compare(z, expected["z"], "i64", **leeway["z"])["passed"]
