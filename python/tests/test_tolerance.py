"""The comparison rule of the GPU harness (python/kevc_gpu/tolerance.py) keeps Swift's rules
(Sources/KevcInterpreter/Tolerance.swift, Sources/KevcIR/ComputedPrecision.swift): the tolerance of the precision
a result was computed in, and the leeway at discontinuities and argmax ties. Runs on the CPU."""
import math

import pytest

torch = pytest.importorskip("torch")

from kevc_gpu.tolerance import compare, coarser


def test_coarser_orders_float_types_by_tolerance():
    assert coarser("f32", "f64") == "f32"
    assert coarser("f64", "bf16") == "bf16"
    assert coarser("f16", "bf16") == "bf16"
    assert coarser("i64", "f32") == "f32"


def test_an_f32_computation_in_an_f64_result_gets_f32_tolerance():
    reference = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    actual = reference * (1 + 1e-7)  # f32 rounding, far outside f64's 1e-9
    assert not compare(actual, reference, "f64")["passed"]
    assert compare(actual, reference, "f64", tolerance="f32")["passed"]
    # Never tighter than the result's own type.
    loose = torch.tensor([1.01, 2.0, 3.0], dtype=torch.float64)
    assert compare(loose, reference.to(torch.float64), "bf16", tolerance="f64")["passed"]


def test_any_value_accepts_a_flipped_discontinuity_but_not_a_nan():
    reference = torch.tensor([6.0, 2.0, 3.0], dtype=torch.float64)
    actual = torch.tensor([7.0, 2.0, 3.0], dtype=torch.float32)
    assert not compare(actual, reference, "f32")["passed"]
    assert compare(actual, reference, "f32", any_value=[0])["passed"]
    # Only the named elements.
    wrong = torch.tensor([7.0, 5.0, 3.0], dtype=torch.float32)
    assert not compare(wrong, reference, "f32", any_value=[0])["passed"]
    nan = torch.tensor([math.nan, 2.0, 3.0], dtype=torch.float32)
    result = compare(nan, reference, "f32", any_value=[0])
    assert not result["passed"] and result["kind"] == "nan"


def test_argmax_alternatives_accept_tying_indices_only():
    reference = torch.tensor([1, 4], dtype=torch.int64)
    ties = {0: [1, 2, 4]}
    assert compare(torch.tensor([2, 4]), reference, "i64", alternatives=ties)["passed"]
    assert compare(torch.tensor([4, 4]), reference, "i64", alternatives=ties)["passed"]
    assert not compare(torch.tensor([3, 4]), reference, "i64", alternatives=ties)["passed"]
    assert not compare(torch.tensor([2, 4]), reference, "i64")["passed"]
