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


def _round_trips(fn):
    """fn()'s result and the host round trips it made (aten._local_scalar_dense: item, bool, float, int, tolist;
    nonzero; masked_select): on a GPU each waits for every queued kernel."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        syncs = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if any(s in str(func) for s in ("_local_scalar_dense", "nonzero", "masked_select")):
                Count.syncs += 1
            return func(*args, **(kwargs or {}))
    with Count():
        out = fn()
    return out, Count.syncs


def test_a_sliced_comparison_makes_no_round_trip_per_piece(monkeypatch):
    # StreamingCompare keeps its figures on the device: a result of 64 pieces costs the same few round trips as one
    # of a single piece (it cost 5 + 2 x keep per piece: 25 000 for a 50M-element result, 800 000 at KernelBench's
    # 1.6e9-element elementwise problems). Slices of 3 pieces and a bit, as reference_slices yields them.
    from kevc_gpu import tolerance
    monkeypatch.setattr(tolerance, "CHUNK", 1 << 12)
    g = torch.Generator().manual_seed(11)
    rows, row = 256, 1 << 10  # 64 pieces of 2^12
    ref = torch.randn(rows, row, generator=g, dtype=torch.float64)

    def sliced(out, keep=256):
        s = tolerance.StreamingCompare("f32", [rows, row], keep=keep)
        for lo in range(0, rows, 13):
            s.add(out[lo:lo + 13], ref[lo:lo + 13], lo * row)
        return s

    good = ref.to(torch.float32)
    s, adds = _round_trips(lambda: sliced(good))
    c, ends = _round_trips(s.result)
    assert c["passed"] and c["failures"] == 0 and adds == 0 and ends <= 2, (adds, ends)
    assert c["max_abs"] == tolerance.compare(good, ref, "f32")["max_abs"]
    # A wrong element in the last slice, then also a NaN before it (the NaN is the worst kind, reported first).
    wrong = good.clone()
    wrong[255, 1000] += 1.0
    c, ends = _round_trips(sliced(wrong).result)
    whole = tolerance.compare(wrong, ref, "f32")
    assert not c["passed"] and c["kind"] == "wrong" and c["worst_index"] == [255, 1000] == whole["worst_index"]
    assert c["failures"] == whole["failures"] == 1 and ends <= 5, ends
    wrong[250, 3] = float("nan")
    c = sliced(wrong).result()
    assert c["kind"] == "nan" and c["worst_index"] == [250, 3] and c["failures"] == 2, c
    # A poisoned (unwritten) last row: every element NaN, more failures in its piece than are kept (a lower bound).
    poisoned = good.clone()
    poisoned[255] = float("nan")
    c = sliced(poisoned, keep=16).result()
    assert c["kind"] == "nan" and c["worst_index"] == [255, 0] and ">= 16 of" in c["reason"], c
    # NaN where the reference is NaN passes; an infinity of the other sign does not ('wrong': the reference is not
    # finite there either).
    special = ref.clone()
    special[7, 7], special[9, 9] = float("nan"), float("inf")
    out = special.to(torch.float32)
    s = tolerance.StreamingCompare("f32", [rows, row])
    s.add(out, special, 0)
    assert s.result()["passed"]
    out[9, 9] = -float("inf")
    s = tolerance.StreamingCompare("f32", [rows, row])
    s.add(out, special, 0)
    c = s.result()
    assert c["kind"] == "wrong" and c["worst_index"] == [9, 9], c


def test_the_comparisons_slices_follow_the_memory_free_now(monkeypatch):
    # On a GPU the comparison takes slices as large as a quarter of the memory free now allows (CHECK_COPIES
    # float64 copies each), a power of two between CHUNK and CHECK_CAP: fewer launches for the same rule. On the
    # CPU, and when nothing is known, CHUNK (what the footprint declares).
    from kevc_gpu import memory, tolerance
    gpu = torch.device("cuda", 0)
    for free, expected in ((None, tolerance.CHUNK), (100 << 20, tolerance.CHUNK), (4 << 30, 1 << 23),
                           (80 << 30, tolerance.CHECK_CAP)):
        monkeypatch.setattr(memory, "free_bytes", lambda torch_, device, free=free: free)
        assert memory.check_elements(torch, gpu) == expected, free
    monkeypatch.setattr(memory, "free_bytes", lambda torch_, device: 80 << 30)
    assert memory.check_elements(torch, gpu, reserved=79 << 30) == 1 << 21
    assert memory.check_elements(torch, torch.device("cpu")) == tolerance.CHUNK
    # The verdict is the same whatever the slices.
    g = torch.Generator().manual_seed(2)
    ref = torch.randn(5000, generator=g, dtype=torch.float64)
    out = ref.to(torch.float32)
    out[4321] += 1
    a = tolerance.compare(out, ref, "f32", chunk=1024)
    b = tolerance.compare(out, ref, "f32", chunk=1 << 20)
    assert a == b and a["worst_index"] == [4321]
    s = tolerance.StreamingCompare("f32", [5000], chunk=512)
    s.add(out, ref, 0)
    assert s.result()["worst_index"] == [4321]
