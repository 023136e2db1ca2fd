"""The kill bound (harness.kill_bound, worker.CallClock): a candidate whose one call runs far past the incumbent's
median holds the device for nothing, so its worker is killed at max(floor, factor x incumbent), classified timeout
with "cannot become the best", and a candidate waiting for the device gets it then (cold workers and warm ones);
without an incumbent the normal timeout applies; the harness's own phases (a slow float64 reference) are never
killed by the bound. CPU tests with torch-only candidate modules (the same worker and parent code the GPU runs);
the floor is lowered to 2 s to keep them short.
"""

import threading
import time

from kevc_gpu import harness

from test_broken_kernels import CPU_CASES, SOFTMAX_REF, cpu_module, needs_torch

HANG = "import time; time.sleep(30); y.copy_(torch.softmax(x, dim=1))"
OPTS = dict(trials=1, timing_calls=3, device="cpu", eager_calls=0)


def test_the_bound_is_the_floor_or_the_factor_and_none_without_an_incumbent():
    assert harness.kill_bound(None) is None
    assert harness.kill_bound(0.0) is None
    assert harness.kill_bound(float("inf")) is None
    assert harness.kill_bound(1e-3) == harness.KILL_FLOOR_S
    assert harness.kill_bound(1.0) == harness.KILL_FACTOR * 1.0
    assert harness.kill_bound(1e-3, floor_s=2.0, factor=10.0) == 2.0


def _waited(result):
    return sum(s for k, s in (result.get("phase_seconds") or {}).items() if k.startswith(harness.WAITING))


@needs_torch
def test_a_hopeless_call_is_killed_at_the_bound_and_the_waiting_candidate_gets_the_device(tmp_path, monkeypatch):
    # The hanging candidate holds the device (shared, in its first trial) for what would be 30 s; the good one's
    # timing waits for the exclusive hold. With an incumbent of 1 ms and a 2 s floor the hang is killed ~2 s into
    # its call, and the good candidate's wait ends then, not 30 s later.
    monkeypatch.setenv("KEVC_GPU_LOCK", str(tmp_path / "gpu.lock"))
    hang = cpu_module(tmp_path, "hang", HANG)
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    out = {}

    def hopeless():
        out["hang"] = harness.evaluate(hang, SOFTMAX_REF, timeout=60, seed=1, incumbent_s=1e-3, kill_floor_s=2.0,
                                       **OPTS)

    t = threading.Thread(target=hopeless)
    start = time.monotonic()
    t.start()
    time.sleep(0.5)
    second = harness.evaluate(good, SOFTMAX_REF, timeout=60, seed=2, **OPTS)
    t.join()
    r = out["hang"]
    assert r["status"] == "timeout", r["reason"]
    assert "cannot become the best" in r["reason"] and "during trial 1" in r["reason"], r["reason"]
    assert 2.0 <= r["killed"]["call_s"] < 5.0 and r["killed"]["bound_s"] == 2.0, r["killed"]
    assert r["worker"]["seconds"] < 25, r["worker"]
    assert second["status"] == "ok", second["reason"]
    assert _waited(second) < 10, second["phase_seconds"]
    assert time.monotonic() - start < 28  # both done before the hang's sleep would have ended


@needs_torch
def test_a_warm_worker_killed_by_the_bound_is_replaced(tmp_path):
    from kevc_gpu import warm
    pool = warm.WarmPool(1, devices=[0], log_dir=str(tmp_path))
    try:
        hang = cpu_module(tmp_path, "hang", HANG)
        good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
        r = harness.evaluate(hang, SOFTMAX_REF, timeout=60, seed=1, incumbent_s=1e-3, kill_floor_s=2.0, warm=pool,
                             **OPTS)
        assert r["status"] == "timeout" and "cannot become the best" in r["reason"], r["reason"]
        assert r["killed"]["call_s"] < 5.0 and r["worker"]["warm"]["replaced"], r
        after = harness.evaluate(good, SOFTMAX_REF, timeout=60, seed=2, incumbent_s=1e-3, kill_floor_s=2.0,
                                 warm=pool, **OPTS)
        assert after["status"] == "ok", after["reason"]
        assert after["worker"]["warm"]["pid"] != r["worker"]["warm"]["pid"]
    finally:
        pool.close()


@needs_torch
def test_without_an_incumbent_a_long_call_runs_to_the_timeout(tmp_path):
    hang = cpu_module(tmp_path, "hang", HANG)
    r = harness.evaluate(hang, SOFTMAX_REF, timeout=6, seed=1, kill_floor_s=2.0, **OPTS)
    assert r["status"] == "timeout" and r["reason"].startswith("killed after 6 s"), r["reason"]
    assert "killed" not in r and r["worker"]["seconds"] >= 6


@needs_torch
def test_the_harness_phases_are_never_killed_by_the_bound(tmp_path):
    # A float64 reference that takes 3 s (the harness's time, not the candidate's) under a 2 s bound: ok.
    slow_ref = tmp_path / "slow.ref.py"
    with open(SOFTMAX_REF) as f:
        text = f.read()
    slow_ref.write_text(text + """

_fast_reference, _fast_leeway = reference, reference_with_leeway


def reference(inputs, device=None):
    import time
    time.sleep(3)
    return _fast_reference(inputs, device)


def reference_with_leeway(inputs, device=None):
    import time
    time.sleep(3)
    return _fast_leeway(inputs, device)
""")
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    r = harness.evaluate(good, str(slow_ref), timeout=60, seed=3, incumbent_s=1e-3, kill_floor_s=2.0, **OPTS)
    assert r["status"] == "ok", r["reason"]
    assert r["phase_seconds"]["trial 1"] >= 3, r["phase_seconds"]


@needs_torch
def test_a_cute_modules_first_call_compiles_and_is_not_clocked(tmp_path):
    # A CuTe DSL module compiles on its first call (`_kevc_compiled` empty: cute.compile on first use): 3 s of it
    # under a 2 s bound is not killed; the calls after it are clocked as any.
    body = ("if not _kevc_compiled:\n    import time; time.sleep(3); _kevc_compiled.append(1)\n"
            "y.copy_(torch.softmax(x, dim=1))")
    path = cpu_module(tmp_path, "cute_like", body)
    with open(path, "a") as f:
        f.write("\n_kevc_compiled = []\n")
    r = harness.evaluate(path, SOFTMAX_REF, timeout=60, seed=4, incumbent_s=1e-3, kill_floor_s=2.0, **OPTS)
    assert r["status"] == "ok", r["reason"]
