"""Tests of the GPU evaluation harness itself: deliberately broken candidates must be classified correctly.

GPU tests (Triton kernels, skipped without a CUDA GPU): a correct kernel, a wrong result, NaN output, a kernel
that writes its input, an out-of-bounds access (illegal address: a crash, and the next candidate is still
evaluated in a new worker), an infinite loop (timeout), work left on a side stream (timed with the stream's work
included), and a kernel that only computes on its first call (caught by the revalidation after timing).
CPU tests (torch only): the same classification with torch-only candidate modules on the CPU, the tolerance rule,
input domains and poisoning. Fixtures: tests/data/vadd.kev and the generated tests/data/*.ref.py (regenerate with
`kevc compile tests/data/vadd.kev --emit torch-ref -o tests/data/vadd.ref.py`, and specs/softmax.kev likewise).
"""

import json
import os
import textwrap

import pytest

from kevc_gpu import harness, tolerance

HERE = os.path.dirname(os.path.abspath(__file__))
VADD_REF = os.path.join(HERE, "data", "vadd.ref.py")
SOFTMAX_REF = os.path.join(HERE, "data", "softmax.ref.py")

try:
    import torch
except ImportError:  # pragma: no cover - the pure-Python tests below still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
needs_gpu = pytest.mark.skipif(torch is None or not torch.cuda.is_available(), reason="no CUDA GPU")


# -- pure Python ---------------------------------------------------------------------------------------------------


def test_tolerance_table_matches_swift():
    # Sources/KevcInterpreter/Tolerance.swift
    assert tolerance.TOLERANCE == {"f64": (1e-9, 1e-9), "f32": (1e-4, 2e-4), "f16": (1e-2, 1e-2),
                                   "bf16": (6e-2, 3e-2), "i8": (0, 0), "i32": (0, 0), "i64": (0, 0), "bool": (0, 0)}


def test_element_rule():
    nan, inf = float("nan"), float("inf")
    assert tolerance.element_passes(1.0001, 1.0, 1e-4, 2e-4)
    assert not tolerance.element_passes(1.01, 1.0, 1e-4, 2e-4)
    assert tolerance.element_passes(nan, nan, 1e-4, 2e-4)
    assert not tolerance.element_passes(nan, 1.0, 1e-4, 2e-4)
    assert not tolerance.element_passes(1.0, nan, 1e-4, 2e-4)
    assert tolerance.element_passes(inf, inf, 1e-4, 2e-4)
    assert not tolerance.element_passes(-inf, inf, 1e-4, 2e-4)
    assert not tolerance.element_passes(1e30, inf, 1e-4, 2e-4)
    # The tensor-scale term (rms of the reference): a cancelled element of a long reduction passes against the
    # tensor's scale, a wrong one does not (the same rule as Tolerance.swift).
    assert not tolerance.element_passes(-0.4273366, -0.42920756, 1e-4, 2e-4)
    assert tolerance.element_passes(-0.4273366, -0.42920756, 1e-4, 2e-4, scale=300.0)
    assert not tolerance.element_passes(-0.4273366 + 30, -0.42920756, 1e-4, 2e-4, scale=300.0)


def test_worst_status_order():
    assert harness.worst(["ok", "flagged"]) == "flagged"
    assert harness.worst(["ok", "crash", "wrong"]) == "wrong"
    assert harness.worst(["timeout", "nan"]) == "nan"
    assert harness.worst([]) == "error"


# -- CPU, torch ----------------------------------------------------------------------------------------------------


@needs_torch
def test_compare_kinds():
    ref = torch.tensor([1.0, 2.0, float("nan"), float("inf")], dtype=torch.float64)
    ok = torch.tensor([1.0, 2.0002, float("nan"), float("inf")], dtype=torch.float32)
    assert tolerance.compare(ok, ref, "f32")["passed"]
    nan = torch.tensor([float("nan"), 2.0, float("nan"), float("inf")])
    c = tolerance.compare(nan, ref, "f32")
    assert not c["passed"] and c["kind"] == "nan" and c["worst_index"] == [0]
    wrong = torch.tensor([1.0, 3.0, float("nan"), float("inf")])
    c = tolerance.compare(wrong, ref, "f32")
    assert c["kind"] == "wrong" and c["failures"] == 1
    # Integers exactly; a poisoned bool byte never equals a valid bool.
    assert not tolerance.compare(torch.tensor([1, 2]), torch.tensor([1, 3]), "i64")["passed"]
    b = torch.tensor([True, False])
    b.view(torch.uint8)[0] = 0x5A
    assert not tolerance.compare(b, torch.tensor([True, False]), "bool")["passed"]


@needs_torch
def test_inputs_respect_domains_and_poison():
    from kevc_gpu import inputs
    params = [{"name": "ids", "dtype": "i32", "shape": [50], "domain": {"lo": 3, "hi": 9, "sorted": False}},
              {"name": "off", "dtype": "i64", "shape": [7], "domain": {"lo": 0, "hi": 21, "sorted": True}},
              {"name": "eps", "dtype": "f32", "shape": [], "domain": None},
              {"name": "x", "dtype": "bf16", "shape": [4, 5], "domain": None}]
    for k, dist in enumerate(inputs.DISTRIBUTIONS):
        v = inputs.generate(params, inputs.trial_seed(99, k), dist, "cpu")
        assert v["ids"].dtype == torch.int32 and int(v["ids"].min()) >= 3 and int(v["ids"].max()) < 9
        off = v["off"]
        assert int(off[0]) == 0 and int(off[-1]) == 20 and bool((off[1:] >= off[:-1]).all())
        assert 0.01 <= float(v["eps"]) < 1 and v["eps"].shape == ()
        assert v["x"].dtype == torch.bfloat16 and bool(torch.isfinite(v["x"]).all())
    a = inputs.generate(params, 5, "normal", "cpu")
    b = inputs.generate(params, 5, "normal", "cpu")
    assert all(torch.equal(a[k], b[k]) for k in a)
    p = inputs.poisoned([{"name": "i", "dtype": "i32", "shape": [2]}, {"name": "f", "dtype": "f16", "shape": [2]},
                         {"name": "b", "dtype": "bool", "shape": [2]}], "cpu")
    assert int(p["i"][0]) == 0x5A5A5A5A and bool(torch.isnan(p["f"]).all()) and int(p["b"].view(torch.uint8)[0]) == 0x5A


CPU_GOOD = """
import torch
KEVC = {"kernel": "softmax", "params": [{"name": "x", "dtype": "f32", "shape": [61, 203], "domain": None}],
        "results": [{"name": "y", "dtype": "f32", "shape": [61, 203]}], "workspace": 0}
STATE = {"calls": 0}
def launch(x, y):
    STATE["calls"] += 1
    BODY
"""


def cpu_module(tmp_path, name, body):
    path = tmp_path / (name + ".py")
    path.write_text(CPU_GOOD.replace("BODY", textwrap.indent(textwrap.dedent(body), "    ").strip()))
    return str(path)


CPU_CASES = {
    "ok": "y.copy_(torch.softmax(x, dim=1))",
    "wrong": "y.copy_(torch.softmax(x, dim=0))",
    "nan": "y.copy_(torch.softmax(x, dim=1)); y[5, 7] = float('nan')",
    "skips": "y[:60].copy_(torch.softmax(x, dim=1)[:60])",
    "writes_input": "y.copy_(torch.softmax(x, dim=1)); x.mul_(2)",
    "crash": "import os; os.abort()",
    "compile_error": "raise SyntaxError('bad kernel')",
}
EXPECTED = {"ok": "ok", "wrong": "wrong", "nan": "nan", "skips": "nan", "writes_input": "wrong", "crash": "crash",
            "compile_error": "compile_error"}


@needs_torch
@pytest.mark.parametrize("case", sorted(CPU_CASES))
def test_cpu_classification(tmp_path, case):
    k = cpu_module(tmp_path, case, CPU_CASES[case])
    r = harness.evaluate(k, SOFTMAX_REF, trials=5, timing_calls=3, timeout=60, device="cpu", seed=7)
    assert r["status"] == EXPECTED[case], r["reason"]
    if case == "ok":
        assert len(r["trials"]) == 5
        assert len({t["distribution"] for t in r["trials"]}) == 5
        assert r["timing"]["calls"] == 3
        # Where the worker's time went, phase by phase, from the process's start (imports included).
        phases = r["phase_seconds"]
        assert {"start", "trial 1", "timing", "revalidation", "roofline"} <= set(phases), phases
        assert abs(sum(phases.values()) - r["worker"]["seconds"]) < 0.5 + 0.1 * r["worker"]["seconds"], phases


@needs_torch
def test_cpu_timeout_then_next_candidate(tmp_path):
    hang = cpu_module(tmp_path, "hang", "while True:\n    pass")
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    s = harness.evaluate_cases([(hang, SOFTMAX_REF, "hang"), (good, SOFTMAX_REF, "good")], trials=2,
                               timing_calls=0, timeout=8, device="cpu", seed=1)
    assert [c["status"] for c in s["cases"]] == ["timeout", "ok"]
    assert s["status"] == "timeout"


@needs_torch
def test_cpu_out_of_memory_in_the_checks_is_retried_alone(tmp_path):
    # Workers check candidates concurrently; an out-of-memory error there is retried with the device to itself.
    # This kernel runs out of memory on its first call only (as one does while others hold the memory): it passes,
    # and the result says it was retried. One that always runs out of memory fails as a crash.
    once = cpu_module(tmp_path, "oom_once", """
    if STATE["calls"] == 1:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    y.copy_(torch.softmax(x, dim=1))
    """)
    r = harness.evaluate(once, SOFTMAX_REF, trials=3, timing_calls=3, timeout=60, device="cpu", seed=5)
    assert r["status"] == "ok", r["reason"]
    assert "out of memory" in r["retried_alone"] and len(r["trials"]) == 3
    always = cpu_module(tmp_path, "oom_always", 'raise torch.cuda.OutOfMemoryError("CUDA out of memory.")')
    r = harness.evaluate(always, SOFTMAX_REF, trials=3, timing_calls=3, timeout=60, device="cpu", seed=5)
    assert r["status"] == "crash" and "out of memory" in r["reason"], r["reason"]
    ok = harness.evaluate(cpu_module(tmp_path, "fits", CPU_CASES["ok"]), SOFTMAX_REF, trials=2, timing_calls=2,
                          timeout=60, device="cpu", seed=5)
    assert ok["status"] == "ok" and "retried_alone" not in ok


@needs_torch
def test_cpu_out_of_memory_in_the_timed_calls_is_retried_then_the_harnesss(tmp_path):
    # The candidate's launch passed its checks (calls 1-3 here: two trials and the timing's set-up) with the memory
    # it declared; an out-of-memory error in its timed calls is memory held beside it (other workers' references,
    # PyTorch baselines in other processes: conv2d_instance_norm_divide on an H100, 2026-12-07). Once: timed again
    # after the worker frees its cache, ok. Every time: harness_error with both reasons, never the candidate's crash.
    oom = 'raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 994.00 MiB")'
    once = cpu_module(tmp_path, "timing_oom_once", 'if STATE["calls"] == 5:\n    %s\ny.copy_(torch.softmax(x, dim=1))' % oom)
    r = harness.evaluate(once, SOFTMAX_REF, trials=2, timing_calls=3, timeout=60, device="cpu", seed=5)
    assert r["status"] == "ok", r["reason"]
    assert "out of memory" in r["timing_retried"] and r["timing"]["calls"] == 3 and "retried_alone" not in r
    late = cpu_module(tmp_path, "timing_oom_always", 'if STATE["calls"] >= 4:\n    %s\ny.copy_(torch.softmax(x, dim=1))' % oom)
    r = harness.evaluate(late, SOFTMAX_REF, trials=2, timing_calls=3, timeout=60, device="cpu", seed=5)
    assert r["status"] == "harness_error", (r["status"], r["reason"])
    assert "the timed calls" in r["reason"] and "first attempt" in r["reason"], r["reason"]


@needs_torch
def test_the_retry_of_the_timed_calls_lets_its_shared_hold_go_before_queueing(tmp_path, monkeypatch):
    # With the device lock on (a search's workers share it): when the timed call runs out of memory, another
    # worker is already queued for its own timing (here a process that takes the lock exclusively for 0.5 s). The
    # timing's hold, downgraded to shared as it unwound, must be let go before the retry queues again, or the two
    # wait for each other forever (the corpus searches on an H100, 2026-12-07: every worker and baseline stuck).
    lock = str(tmp_path / "device.lock")
    monkeypatch.setenv("KEVC_GPU_LOCK", lock)
    python_dir = os.path.dirname(os.path.dirname(os.path.abspath(harness.__file__)))
    queued = ("import sys, time; sys.path.insert(0, %r); from kevc_gpu.device_lock import DeviceLock; "
              "l = DeviceLock(%r); l.acquire_exclusive(); time.sleep(0.5); l.release_exclusive()") % (python_dir, lock)
    k = cpu_module(tmp_path, "timing_oom_queued", """
    if STATE["calls"] == 5:
        import subprocess, sys, time
        subprocess.Popen([sys.executable, "-c", %r])
        time.sleep(1.0)  # the other worker queues at the gate, which this timing holds
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 994.00 MiB")
    y.copy_(torch.softmax(x, dim=1))
    """ % queued)
    r = harness.evaluate(k, SOFTMAX_REF, trials=2, timing_calls=3, timeout=30, device="cpu", seed=5)
    assert r["status"] == "ok", (r["status"], r["reason"])
    assert "out of memory" in r["timing_retried"]


@needs_torch
def test_cpu_timing_budget_cuts_the_calls_of_a_slow_kernel(tmp_path):
    # 0.25 s a call: 5 warm-up and 50 timed calls would hold the device for ~14 s; a 1 s budget times 3 calls
    # after a single warm-up call. A fast kernel under the same budget gets every call it asked for.
    slow = cpu_module(tmp_path, "slow", "import time; time.sleep(0.25); y.copy_(torch.softmax(x, dim=1))")
    r = harness.evaluate(slow, SOFTMAX_REF, trials=1, timing_calls=50, timeout=60, device="cpu", seed=2,
                         timing_seconds=1.0)
    assert r["status"] == "ok", r["reason"]
    assert r["timing"]["calls"] == 3 and r["timing"]["budget"] == {"seconds": 1.0, "requested_calls": 50}
    assert r["phase_seconds"]["timing"] < 2.5, r["phase_seconds"]
    fast = harness.evaluate(cpu_module(tmp_path, "fast", CPU_CASES["ok"]), SOFTMAX_REF, trials=1, timing_calls=20,
                            timeout=60, device="cpu", seed=2, timing_seconds=1.0)
    assert fast["timing"]["calls"] == 20 and "budget" not in fast["timing"]


@needs_torch
def test_cpu_measured_cost_is_cached_per_reference_when_it_cannot_depend_on_inputs(tmp_path):
    # softmax's cost is the same for every input of its shape (COST_DEPENDS_ON_INPUTS = False in the generated
    # reference): the second candidate reads the first one's measurement. A reference whose cost may depend on its
    # inputs (a gather, a jagged range) is measured every time.
    cache = str(tmp_path / "cache" / "ceilings.json")
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    runs = [harness.evaluate(good, SOFTMAX_REF, trials=1, timing_calls=2, timeout=60, device="cpu", seed=s,
                             ceilings_cache=cache) for s in (1, 2)]
    assert [r["roofline"]["cost_source"] for r in runs] == ["measured", "measured (cached)"]
    assert runs[0]["roofline"]["bytes"] == runs[1]["roofline"]["bytes"] == 2 * 61 * 203 * 4
    assert runs[0]["roofline"]["flops"] == runs[1]["roofline"]["flops"] > 0
    assert os.path.exists(str(tmp_path / "cache" / "measured-costs.json"))
    dependent = tmp_path / "dependent.ref.py"
    dependent.write_text(open(SOFTMAX_REF).read().replace("COST_DEPENDS_ON_INPUTS = False", "COST_DEPENDS_ON_INPUTS = True"))
    again = [harness.evaluate(good, str(dependent), trials=1, timing_calls=2, timeout=60, device="cpu", seed=s,
                              ceilings_cache=cache)["roofline"]["cost_source"] for s in (1, 2)]
    assert again == ["measured", "measured"]


@needs_torch
def test_cpu_first_call_only_is_caught(tmp_path):
    # Computes on the trial calls, then returns at once: the revalidation after timing catches it.
    body = """
    if STATE["calls"] <= 6:
        y.copy_(torch.softmax(x, dim=1))
    """
    k = cpu_module(tmp_path, "cache", body)
    r = harness.evaluate(k, SOFTMAX_REF, trials=5, timing_calls=5, warmup=0, timeout=60, device="cpu", seed=3)
    assert r["status"] in ("nan", "wrong") and "after timing" in r["reason"], r["reason"]


@needs_torch
def test_given_eager_time_replaces_the_reference_eager_path(tmp_path):
    # A PyTorch time measured by the caller (bench/gpu/bench.py) is what the eager-ratio check compares with, and
    # only the first (timed) case gets it.
    k = cpu_module(tmp_path, "ok", CPU_CASES["ok"])
    s = harness.evaluate_cases([(k, SOFTMAX_REF, "a"), (k, SOFTMAX_REF, "b")], trials=1, timing_calls=3, timeout=60,
                               device="cpu", seed=5, eager_s=0.25)
    assert s["status"] == "ok", s["reason"]
    assert s["cases"][0]["eager"] == {"median_s": 0.25, "source": "given"}
    assert s["cases"][1]["eager"] is None or s["cases"][1]["eager"].get("source") != "given"


# -- GPU, Triton ---------------------------------------------------------------------------------------------------

TRITON_HEADER = """
import torch
import triton
import triton.language as tl

KEVC = {"kernel": "vadd", "params": [{"name": "x", "dtype": "f32", "shape": [1000], "domain": None},
                                     {"name": "y", "dtype": "f32", "shape": [1000], "domain": None}],
        "results": [{"name": "z", "dtype": "f32", "shape": [1000]}], "workspace": 0}
"""

TRITON_KERNELS = {
    "ok": """
@triton.jit
def k(x_ptr, y_ptr, z_ptr, N, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < N
    tl.store(z_ptr + offs, tl.load(x_ptr + offs, mask=m) + tl.load(y_ptr + offs, mask=m), mask=m)

def launch(x, y, z):
    k[(triton.cdiv(1000, 256),)](x, y, z, 1000, BLOCK=256)
""",
    "wrong": """
@triton.jit
def k(x_ptr, y_ptr, z_ptr, N, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < N
    tl.store(z_ptr + offs, tl.load(x_ptr + offs, mask=m) - tl.load(y_ptr + offs, mask=m), mask=m)

def launch(x, y, z):
    k[(triton.cdiv(1000, 256),)](x, y, z, 1000, BLOCK=256)
""",
    "nan": """
@triton.jit
def k(x_ptr, y_ptr, z_ptr, N, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < N
    v = tl.load(x_ptr + offs, mask=m) + tl.load(y_ptr + offs, mask=m)
    v = tl.where(offs == 7, float("nan"), v)
    tl.store(z_ptr + offs, v, mask=m)

def launch(x, y, z):
    k[(triton.cdiv(1000, 256),)](x, y, z, 1000, BLOCK=256)
""",
    "skips_tail": """
@triton.jit
def k(x_ptr, y_ptr, z_ptr, N, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < N
    tl.store(z_ptr + offs, tl.load(x_ptr + offs, mask=m) + tl.load(y_ptr + offs, mask=m), mask=m)

def launch(x, y, z):
    k[(1000 // 256,)](x, y, z, 1000, BLOCK=256)
""",
    "writes_input": """
@triton.jit
def k(x_ptr, y_ptr, z_ptr, N, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < N
    tl.store(z_ptr + offs, tl.load(x_ptr + offs, mask=m) + tl.load(y_ptr + offs, mask=m), mask=m)
    tl.store(x_ptr + offs, tl.zeros([BLOCK], tl.float32), mask=m)

def launch(x, y, z):
    k[(triton.cdiv(1000, 256),)](x, y, z, 1000, BLOCK=256)
""",
    "out_of_bounds": """
@triton.jit
def k(x_ptr, y_ptr, z_ptr, N, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    far = offs.to(tl.int64) * (1 << 40)
    tl.store(z_ptr + far, tl.load(x_ptr + far) + tl.load(y_ptr + far))

def launch(x, y, z):
    k[(triton.cdiv(1000, 256),)](x, y, z, 1000, BLOCK=256)
""",
    "infinite_loop": """
@triton.jit
def k(x_ptr, y_ptr, z_ptr, N, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < N
    acc = tl.zeros([BLOCK], tl.float32)
    while tl.load(x_ptr, volatile=True) == tl.load(x_ptr, volatile=True):
        acc += 1.0
    tl.store(z_ptr + offs, acc, mask=m)

def launch(x, y, z):
    k[(triton.cdiv(1000, 256),)](x, y, z, 1000, BLOCK=256)
""",
    "compile_error": """
@triton.jit
def k(x_ptr, y_ptr, z_ptr, N, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(z_ptr + offs, tl.no_such_function(x_ptr + offs))

def launch(x, y, z):
    k[(triton.cdiv(1000, 256),)](x, y, z, 1000, BLOCK=256)
""",
}

# A slow but correct kernel (REPS redundant passes), launched on the current stream or on a side stream that the
# launch does not wait for. Both must time alike: the harness synchronises every stream inside the timed interval.
SLOW = """
@triton.jit
def k(x_ptr, y_ptr, z_ptr, N, REPS, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < N
    acc = tl.zeros([BLOCK], tl.float32)
    for i in range(REPS):
        acc = tl.load(x_ptr + offs, mask=m, volatile=True) + tl.load(y_ptr + offs, mask=m, volatile=True)
    tl.store(z_ptr + offs, acc, mask=m)

SIDE = torch.cuda.Stream()

def launch(x, y, z):
    if USE_SIDE:
        SIDE.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(SIDE):
            k[(triton.cdiv(1000, 256),)](x, y, z, 1000, 20000, BLOCK=256)
    else:
        k[(triton.cdiv(1000, 256),)](x, y, z, 1000, 20000, BLOCK=256)
"""

GPU_EXPECTED = {"ok": ("ok", "flagged"), "wrong": ("wrong",), "nan": ("nan",), "skips_tail": ("nan",),
                "writes_input": ("wrong",), "out_of_bounds": ("crash",), "infinite_loop": ("timeout",),
                "compile_error": ("compile_error",)}


def triton_module(tmp_path, name, body):
    path = tmp_path / (name + ".py")
    path.write_text(TRITON_HEADER + body)
    return str(path)


@needs_gpu
@pytest.mark.parametrize("case", sorted(TRITON_KERNELS))
def test_gpu_classification(tmp_path, case):
    pytest.importorskip("triton")
    k = triton_module(tmp_path, case, TRITON_KERNELS[case])
    timeout = 25 if case == "infinite_loop" else 120
    r = harness.evaluate(k, VADD_REF, trials=5, timing_calls=20, timeout=timeout, device="cuda", seed=11)
    assert r["status"] in GPU_EXPECTED[case], (r["status"], r["reason"], r["worker"]["stderr_tail"][-800:])
    if case == "ok":
        t = r["timing"]
        assert t["method"] == "cuda-events+synchronize" and t["calls"] == 20
        assert 0 < t["min_s"] <= t["median_s"] <= t["max_s"]
        assert r["roofline"]["ceilings"]["bandwidth_bytes_per_s"] > 1e11
        assert r["roofline"]["bytes"] == 3 * 4 * 1000


@needs_gpu
def test_gpu_crash_does_not_stop_the_next_candidate(tmp_path):
    pytest.importorskip("triton")
    bad = triton_module(tmp_path, "oob", TRITON_KERNELS["out_of_bounds"])
    good = triton_module(tmp_path, "good", TRITON_KERNELS["ok"])
    s = harness.evaluate_cases([(bad, VADD_REF, "oob"), (good, VADD_REF, "good"), (bad, VADD_REF, "oob again"),
                                (good, VADD_REF, "good again")], trials=3, timing_calls=0, timeout=120,
                               device="cuda", seed=5)
    statuses = [c["status"] for c in s["cases"]]
    assert statuses[0] == "crash" and statuses[2] == "crash", s["reason"]
    assert statuses[1] in ("ok", "flagged") and statuses[3] in ("ok", "flagged"), s["reason"]
    assert "sticky" in s["cases"][0]["reason"] or "died" in s["cases"][0]["reason"]


@needs_gpu
def test_gpu_side_stream_is_timed(tmp_path):
    pytest.importorskip("triton")
    same = triton_module(tmp_path, "same", "USE_SIDE = False\n" + SLOW)
    side = triton_module(tmp_path, "side", "USE_SIDE = True\n" + SLOW)
    a = harness.evaluate(same, VADD_REF, trials=2, timing_calls=20, timeout=180, device="cuda", seed=2)
    b = harness.evaluate(side, VADD_REF, trials=2, timing_calls=20, timeout=180, device="cuda", seed=2)
    assert a["status"] in ("ok", "flagged") and b["status"] in ("ok", "flagged"), (a["reason"], b["reason"])
    ta, tb = a["timing"]["median_s"], b["timing"]["median_s"]
    assert ta > 1e-4, ta  # the slow kernel really is slow
    assert tb >= 0.7 * ta, (ta, tb)
    # On its own stream the call's time is the stream's interval: the host's synchronize round trip is not in it.
    assert a["timing"]["sync_round_trip_s"] > 0
    assert abs(ta - a["timing"]["launching_stream"]["median_s"]) <= 0.1 * ta, a["timing"]
    # On a side stream the launching stream finished at once; the work came after it, and is in the time.
    assert b["timing"]["launching_stream"]["median_s"] < 0.5 * tb, b["timing"]


@needs_gpu
def test_gpu_first_call_only_is_caught(tmp_path):
    pytest.importorskip("triton")
    body = TRITON_KERNELS["ok"].replace(
        "def launch(x, y, z):\n    k[",
        "CALLS = [0]\n\ndef launch(x, y, z):\n    CALLS[0] += 1\n    if CALLS[0] > 6:\n        return\n    k[")
    k = triton_module(tmp_path, "cache", body)
    r = harness.evaluate(k, VADD_REF, trials=5, timing_calls=5, warmup=0, timeout=120, device="cuda", seed=4)
    assert r["status"] in ("nan", "wrong") and "after timing" in r["reason"], r["reason"]


@needs_torch
def test_cpu_cases_of_one_candidate_in_one_worker(tmp_path):
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    wrong = cpu_module(tmp_path, "wrong", CPU_CASES["wrong"])
    crash = cpu_module(tmp_path, "crash", CPU_CASES["crash"])
    hang = cpu_module(tmp_path, "hang", "while True:\n    pass")
    # Both shapes in one process: the first timed, both checked; one start-up.
    s = harness.evaluate_cases([(good, SOFTMAX_REF, "a"), (good, SOFTMAX_REF, "b")], one_worker=True, trials=2,
                               timing_calls=3, timeout=60, device="cpu", seed=5)
    assert [c["status"] for c in s["cases"]] == ["ok", "ok"], s["reason"]
    assert s["cases"][0]["timing"]["calls"] == 3 and s["cases"][1]["timing"] is None
    assert s["cases"][0]["worker"]["shared_by_cases"] == 2
    assert s["cases"][1]["phase_seconds"]["start"] < 0.5  # the start-up was the first case's
    # A wrong result is that case's; the next case still runs.
    s = harness.evaluate_cases([(wrong, SOFTMAX_REF, "a"), (good, SOFTMAX_REF, "b")], one_worker=True, trials=2,
                               timing_calls=0, timeout=60, device="cpu", seed=5)
    assert [c["status"] for c in s["cases"]] == ["wrong", "ok"]
    # A crash or a hang ends the worker: the cases after it are not run, and say so.
    s = harness.evaluate_cases([(crash, SOFTMAX_REF, "a"), (good, SOFTMAX_REF, "b")], one_worker=True, trials=2,
                               timing_calls=0, timeout=60, device="cpu", seed=5)
    assert [c["status"] for c in s["cases"]] == ["crash", "crash"]
    assert s["cases"][1]["reason"].startswith("not run")
    s = harness.evaluate_cases([(hang, SOFTMAX_REF, "a"), (good, SOFTMAX_REF, "b")], one_worker=True, trials=1,
                               timing_calls=0, timeout=5, device="cpu", seed=5)
    assert [c["status"] for c in s["cases"]] == ["timeout", "timeout"]
    assert "killed after 10 s" in s["cases"][0]["reason"] and s["cases"][1]["reason"].startswith("not run")


@needs_torch
def test_cli_eager_calls_zero_skips_the_reference_eager_timing(tmp_path, capsys):
    # The search never needs the reference module's eager time: --eager-calls 0 leaves it out.
    from kevc_gpu import __main__ as cli
    k = cpu_module(tmp_path, "ok", CPU_CASES["ok"])
    for calls, expect_eager in ((0, False), (3, True)):
        code = cli.main(["run", "--kernel", k, "--reference", SOFTMAX_REF, "--device", "cpu", "--trials", "1",
                         "--timing-calls", "2", "--seed", "3", "--eager-calls", str(calls)])
        out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert code == 0 and out["status"] == "ok", out["reason"]
        assert (out["cases"][0]["eager"] is not None) == expect_eager, out["cases"][0]["eager"]


@needs_torch
def test_a_slow_reference_is_timed_by_one_call_and_not_measured(tmp_path):
    # The reference's eager path slower than the eager baseline's seconds (attention at its bench shape: 7.7 s a
    # call, three calls and the measured cost ran a passing, timed kernel past its timeout): one call stands as
    # the eager figure and the roofline keeps the static cost, so the harness's own work stays short.
    slow_ref = tmp_path / "slow.ref.py"
    slow_ref.write_text(open(SOFTMAX_REF).read() + """

import time as _time
_eager = eager
def eager(inputs, device=None):
    _time.sleep(0.4)
    return _eager(inputs, device)
""")
    k = cpu_module(tmp_path, "ok", CPU_CASES["ok"])
    r = harness.evaluate(k, str(slow_ref), trials=1, timing_calls=3, timeout=60, device="cpu", seed=7,
                         eager_calls=10, eager_seconds=1.0)
    assert r["status"] == "ok", r["reason"]
    assert r["eager"]["calls"] == 1 and r["eager"]["source"].startswith("one call"), r["eager"]
    assert r["roofline"]["cost_source"].startswith("static (measured_cost failed: RuntimeError: not measured"), r["roofline"]["cost_source"]


@needs_torch
def test_a_timeout_in_the_harnesss_own_phases_is_a_harness_error(tmp_path):
    # The candidate passes its trials and is timed; then the reference's cost measurement hangs past the case's
    # timeout: the harness's own work, so harness_error, never the candidate's timeout.
    hanging_ref = tmp_path / "hang.ref.py"
    hanging_ref.write_text(open(SOFTMAX_REF).read() + """

import time as _time
COST_DEPENDS_ON_INPUTS = True
def measured_cost(inputs, device=None):
    _time.sleep(120)
""")
    k = cpu_module(tmp_path, "ok", CPU_CASES["ok"])
    r = harness.evaluate(k, str(hanging_ref), trials=1, timing_calls=3, timeout=12, device="cpu", seed=7,
                         eager_calls=0)
    assert r["status"] == "harness_error", r
    assert "roofline" in r["reason"] and "harness's own" in r["reason"], r["reason"]
