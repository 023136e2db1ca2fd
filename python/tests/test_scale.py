"""Tests of evaluation at scale, on the CPU: an out-of-memory error in the harness's own work is `harness_error`
(never the candidate's crash), the chunked float64 reference under a memory budget, references computed once per
(workload, seed) and reused, warm workers that survive a crashing and a hanging kernel, and several simulated
devices. Fixtures: tests/data/softmax.ref.py (see test_broken_kernels.py) and torch-only candidate modules.
"""

import os

import pytest

from kevc_gpu import harness

from test_broken_kernels import CPU_CASES, SOFTMAX_REF, cpu_module, needs_torch


def patched_reference(tmp_path, name, old, new):
    path = tmp_path / (name + ".ref.py")
    text = open(SOFTMAX_REF).read()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return str(path)


@needs_torch
def test_harness_out_of_memory_is_harness_error_not_crash(tmp_path):
    # The float64 reference runs out of memory every time (as a multi-GB one does on a full card): retried with the
    # device to itself first, then `harness_error` with the reason; the candidate is never blamed.
    # (_run computes reference() and reference_with_leeway(), which the worker takes when the module has it.)
    run = "def _run(inputs, mode, device, track, leeway=False):\n"
    ref = patched_reference(tmp_path, "oom", run,
                            run + "    if mode == 'reference':\n        raise MemoryError('host out of memory')\n")
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    r = harness.evaluate(good, ref, trials=2, timing_calls=2, timeout=60, device="cpu", seed=3)
    assert r["status"] == "harness_error", r
    assert "the float64 reference" in r["reason"] and "MemoryError" in r["reason"], r["reason"]
    assert "MemoryError" in r["retried_alone"]
    # A CUDA-style out-of-memory error raised by torch (its message) is the same event.
    ref2 = patched_reference(tmp_path, "oom2", run,
                             run + "    if mode == 'reference':\n"
                             "        raise RuntimeError('CUDA out of memory. Tried to allocate 16.00 GiB')\n")
    r = harness.evaluate(good, ref2, trials=1, timing_calls=2, timeout=60, device="cpu", seed=3)
    assert r["status"] == "harness_error", r
    # The summary's worst status: a wrong case still outranks a harness error.
    assert harness.worst(["ok", "harness_error"]) == "harness_error"
    assert harness.worst(["harness_error", "wrong"]) == "wrong"


def plan(reference, **more):
    """A declared footprint plan, as EvaluationFootprint.planJSON writes it (the worker never recomputes one)."""
    return dict({"reference": reference, "footprint_bytes": 1 << 34, "budget_bytes": 1 << 30}, **more)


@needs_torch
@pytest.mark.parametrize("case,expected", [("ok", "ok"), ("last_row_wrong", "wrong"), ("last_row_nan", "nan"),
                                           ("skips", "nan")])
def test_chunked_reference_under_a_memory_cap(tmp_path, case, expected):
    # A declared plan too small for the float64 reference in one piece: the reference is computed in exactly the
    # declared slices (softmax 61 x 203, 2 rows of 203 a slice: 31 slices) and compared as they come. The verdict is
    # the whole check's: an error in the last slice is still caught.
    bodies = dict(CPU_CASES, last_row_wrong="y.copy_(torch.softmax(x, dim=1)); y[60, 200] += 0.01",
                  last_row_nan="y.copy_(torch.softmax(x, dim=1)); y[60, 3] = float('nan')")
    k = cpu_module(tmp_path, case, bodies[case])
    r = harness.evaluate(k, SOFTMAX_REF, trials=3, timing_calls=2, timeout=60, device="cpu", seed=11,
                         footprint=plan("slices", slice_elements=2 * 203 + 7))
    assert r["status"] == expected, r["reason"]
    mode = r["reference_mode"]
    assert mode["mode"] == "slices" and mode["slice_elements"] == 2 * 203 + 7 and mode["budget_bytes"] == 1 << 30
    if expected == "ok":
        # 31 slices for each float64 reference computed in slices (every trial and the revalidation).
        assert mode["phases"] == ["trial 1", "trial 2", "trial 3", "revalidation"], mode
        assert mode["slices"] == 31 * len(mode["phases"]), mode
        assert all(c["chunked"] for t in r["trials"] for c in t["results"].values())
        # The same candidate with a plan for the whole reference: not sliced, same verdict.
        whole = harness.evaluate(k, SOFTMAX_REF, trials=1, timing_calls=2, timeout=60, device="cpu", seed=11,
                                 footprint=plan("whole"))
        assert whole["status"] == "ok" and "reference_mode" not in whole and whole["footprint"]["reference"] == "whole"
    else:
        assert "(compared in slices)" in r["reason"] and "[60, " in r["reason"], r["reason"]


@needs_torch
def test_a_reference_that_cannot_fit_even_sliced_is_harness_error(tmp_path):
    # The plan says the float64 reference cannot fit even one row at a time (avg_pool2d at N=16, C=64, H=W=2048 on
    # an 80 GB card: its float64 input copies alone are 32 GiB): harness_error with the plan's reason, before
    # anything is allocated; never the candidate's crash, and the run goes on.
    k = cpu_module(tmp_path, "ok", CPU_CASES["ok"])
    why = "in slices the evaluation still holds 98304 MiB (...), more than the budget of 74752 MiB"
    r = harness.evaluate(k, SOFTMAX_REF, trials=2, timing_calls=2, timeout=60, device="cpu", seed=3,
                         footprint=plan("too_large", reason=why))
    assert r["status"] == "harness_error", r
    assert "cannot fit the device memory, even in slices" in r["reason"] and why in r["reason"], r["reason"]
    assert r["trials"] == [] and r["timing"] is None
    # Through the command line (one --footprint per --kernel), the summary says the same.
    import json
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "kevc_gpu", "run", "--kernel", k, "--reference", SOFTMAX_REF,
                          "--device", "cpu", "--trials", "1", "--timing-calls", "2", "--eager-calls", "0",
                          "--footprint", json.dumps(plan("too_large", reason=why))],
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(harness.__file__))))
    summary = json.loads(out.stdout)
    assert summary["status"] == "harness_error" and why in summary["reason"], summary


@needs_torch
def test_streaming_compare_matches_compare():
    import torch
    from kevc_gpu import tolerance
    g = torch.Generator().manual_seed(3)
    ref = torch.randn(40, 30, generator=g, dtype=torch.float64) * 100
    for bad in (None, (7, 3), (39, 29)):
        out = ref.to(torch.float32).clone()
        if bad:
            out[bad] += 5.0
        whole = tolerance.compare(out, ref, "f32")
        s = tolerance.StreamingCompare("f32", [40, 30], keep=4)
        for lo in range(0, 40, 7):
            s.add(out[lo:lo + 7], ref[lo:lo + 7], lo * 30)
        part = s.result()
        assert part["passed"] == whole["passed"] and part["failures"] == whole["failures"]
        assert part["worst_index"] == whole["worst_index"]
        assert abs(part["max_abs"] - whole["max_abs"]) < 1e-12


@needs_torch
def test_references_are_computed_once_per_workload_and_seed(tmp_path):
    # The search's trial seeds are shared by the candidates of a workload epoch: the first candidate computes the
    # float64 references, the next ones (other worker processes) read them from the cache's disk tier. A wrong
    # candidate is still wrong against cached references; a new seed computes new ones.
    cache = str(tmp_path / "refs")
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    wrong = cpu_module(tmp_path, "wrong", CPU_CASES["wrong"])
    opts = dict(trials=3, timing_calls=2, timeout=60, device="cpu", reuse_references=True, reference_cache=cache)
    first = harness.evaluate(good, SOFTMAX_REF, seed=21, **opts)
    second = harness.evaluate(good, SOFTMAX_REF, seed=21, **opts)
    assert first["status"] == second["status"] == "ok"
    assert first["reference_cache"] == {"memory": 0, "disk": 0, "computed": 4}, first["reference_cache"]  # + revalidation
    assert second["reference_cache"] == {"memory": 0, "disk": 4, "computed": 0}, second["reference_cache"]
    assert [t["seed"] for t in first["trials"]] == [t["seed"] for t in second["trials"]]
    bad = harness.evaluate(wrong, SOFTMAX_REF, seed=21, **opts)
    assert bad["status"] == "wrong" and bad["reference_cache"]["disk"] == 1
    other = harness.evaluate(good, SOFTMAX_REF, seed=22, **opts)
    assert other["reference_cache"]["computed"] == 4


@needs_torch
def test_a_candidate_about_to_become_the_best_gets_a_fresh_seed(tmp_path):
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    opts = dict(trials=2, timing_calls=2, timeout=60, device="cpu", seed=5, reuse_references=True,
                reference_cache=str(tmp_path / "refs"))
    faster = harness.evaluate(good, SOFTMAX_REF, fresh_if_faster_than=1e9, **opts)
    assert faster["status"] == "ok" and "fresh_trial" in faster
    assert faster["trials"][-1]["label"].startswith("fresh trial")
    assert faster["trials"][-1]["seed"] not in [t["seed"] for t in faster["trials"][:-1]]
    slower = harness.evaluate(good, SOFTMAX_REF, fresh_if_faster_than=1e-12, **opts)
    assert "fresh_trial" not in slower and len(slower["trials"]) == 2


@needs_torch
def test_warm_workers_survive_a_crashing_and_a_hanging_kernel(tmp_path):
    # Two warm workers take candidates one after another (torch imported once each). A kernel that aborts, one that
    # segfaults and one that hangs each end only their worker, which the pool replaces; the candidate after each is
    # evaluated normally and is not blamed.
    from kevc_gpu import warm
    pool = warm.WarmPool(2, devices=[0], log_dir=str(tmp_path))
    try:
        good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
        abort = cpu_module(tmp_path, "abort", "import os; os.abort()")
        segv = cpu_module(tmp_path, "segv", "import ctypes; ctypes.string_at(0)")
        hang = cpu_module(tmp_path, "hang", "import time\nwhile True:\n    time.sleep(0.1)")
        opts = dict(trials=2, timing_calls=2, device="cpu", seed=4, warm=pool)
        first = harness.evaluate(good, SOFTMAX_REF, timeout=60, **opts)
        assert first["status"] == "ok", first["reason"]
        pids = {first["worker"]["warm"]["pid"]}
        statuses = []
        for bad in (abort, segv, hang):
            r = harness.evaluate(bad, SOFTMAX_REF, timeout=6, **opts)
            statuses.append(r["status"])
            after = harness.evaluate(good, SOFTMAX_REF, timeout=60, **opts)
            assert after["status"] == "ok", (bad, after["reason"])
            pids.add(after["worker"]["warm"]["pid"])
        assert statuses == ["crash", "crash", "timeout"], statuses
        assert pool.replaced == 3
        # Warm: the good candidates after the first start no Python (their start phase is short).
        assert after["phase_seconds"].get("start", 0) < 1.0, after["phase_seconds"]
    finally:
        pool.close()


def _serve(tmp_path, env_extra, workers=1):
    import json as _json
    import subprocess
    import sys
    import time
    sock = str(tmp_path / "warm.sock")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), **env_extra)
    p = subprocess.Popen([sys.executable, "-m", "kevc_gpu", "serve", "--socket", sock, "--workers", str(workers)],
                         stdout=subprocess.PIPE, env=env, cwd=str(tmp_path))
    hello = _json.loads(p.stdout.readline())
    deadline = time.time() + 30
    while not os.path.exists(sock) and time.time() < deadline:
        time.sleep(0.05)
    return p, sock, hello


def _client(sock, kernel, seed, lock=None):
    import json as _json
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if lock:
        env["KEVC_GPU_LOCK"] = lock
    out = subprocess.run([sys.executable, "-m", "kevc_gpu", "run", "--kernel", kernel, "--reference", SOFTMAX_REF,
                          "--trials", "2", "--timing-calls", "2", "--device", "cpu", "--seed", str(seed),
                          "--eager-calls", "0", "--server", sock], capture_output=True, env=env, timeout=300)
    return _json.loads(out.stdout)


@needs_torch
def test_server_spreads_candidates_over_simulated_devices(tmp_path):
    # Three simulated devices, one warm worker each: three concurrent candidates run on three devices at once, each
    # taking its own device's lock; later candidates reuse the warm workers (no new process).
    import threading
    p, sock, hello = _serve(tmp_path, {"KEVC_SIMULATED_DEVICES": "3", "KEVC_GPU_DEVICE": "cpu"})
    try:
        assert hello["devices"] == [0, 1, 2]
        good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
        lock = str(tmp_path / "gpu.lock")
        results = [None] * 3
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, _client(sock, good, i, lock)))
                   for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [r["status"] for r in results] == ["ok"] * 3, results
        warm = [r["cases"][0]["worker"]["warm"] for r in results]
        assert sorted(w["device"] for w in warm) == [0, 1, 2]
        # Each result names its device: index, name and UUID (devices.visible()).
        assert sorted((w["device"], w["device_uuid"], w["device_name"]) for w in warm) == \
            [(i, "simulated-%d" % i, "simulated cpu %d" % i) for i in range(3)]
        assert all(os.path.exists(lock + ".%d" % d) for d in range(3))
        again = _client(sock, good, 9, lock)
        assert again["status"] == "ok" and again["cases"][0]["worker"]["warm"]["pid"] in {w["pid"] for w in warm}
    finally:
        p.terminate()
        p.wait(timeout=30)
    # Without a server the client evaluates in its own process.
    alone = _client(str(tmp_path / "nobody.sock"), good, 1)
    assert alone["status"] == "ok" and "warm" not in alone["cases"][0]["worker"]


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_torch
def test_ray_executor_on_a_local_cluster(tmp_path):
    # A Ray cluster on loopback (CPU resources), evaluations as Ray tasks: a good candidate passes, a crashing one is
    # the candidate's crash (its own worker process on the node), and a task the cluster cannot run is
    # harness_error. The kevc_gpu package travels with the tasks.
    import shutil
    import signal
    import subprocess
    import tempfile
    import time
    if shutil.which("ray") is None:
        print("SKIPPED: ray is not installed (pip install 'ray[client]'; .ci/install does)")
        pytest.skip("ray is not installed")
    temp = tempfile.mkdtemp(prefix="kr", dir="/tmp")  # Ray's socket paths must stay short
    gcs, client = _free_port(), _free_port()
    head = subprocess.Popen(["ray", "start", "--head", "--block", "--node-ip-address=127.0.0.1", "--port=%d" % gcs,
                             "--ray-client-server-port=%d" % client, "--num-cpus=2", "--num-gpus=0",
                             "--include-dashboard=false", "--disable-usage-stats", "--temp-dir=" + temp],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        from kevc_gpu import ray_executor
        deadline = time.time() + 120
        executor = None
        while executor is None:
            try:
                executor = ray_executor.RayExecutor("ray://127.0.0.1:%d?gpus=0&cpus=1" % client)
            except Exception:  # noqa: BLE001 - the head is still starting
                if time.time() > deadline:
                    raise
                time.sleep(0.25)
        good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
        crash = cpu_module(tmp_path, "crash", CPU_CASES["crash"])
        common = ["--reference", SOFTMAX_REF, "--trials", "2", "--timing-calls", "2", "--device", "cpu",
                  "--eager-calls", "0", "--seed", "3"]
        ok = executor.evaluate(["run", "--kernel", good] + common, timeout=240)
        assert ok["status"] == "ok", ok
        assert ok["node"] and ok["cases"][0]["timing"]["calls"] == 2
        bad = executor.evaluate(["run", "--kernel", crash] + common, timeout=240)
        assert bad["status"] == "crash", bad
        # A task that cannot be scheduled (no GPU in this cluster) within its time is the harness's, not the
        # candidate's.
        gpu_task = ray_executor.RayExecutor.__new__(ray_executor.RayExecutor)
        gpu_task.__dict__.update(executor.__dict__)
        gpu_task.task = executor.task.options(num_gpus=1)
        stuck = gpu_task.evaluate(["run", "--kernel", good] + common, timeout=5)
        assert stuck["status"] == "harness_error" and "ray task failed" in stuck["reason"], stuck
    finally:
        try:
            import ray
            ray.shutdown()
        except Exception:  # noqa: BLE001
            pass
        # The cluster is this test's alone (its own session, ports and temp dir): SIGKILL to its process group ends
        # every Ray process at once. Under SIGTERM, `ray start --block` stopped its processes one by one and was
        # still running 30 s later (the test waited out that timeout: 30 of its 55 s).
        os.killpg(head.pid, signal.SIGKILL)
        head.wait(timeout=30)
        shutil.rmtree(temp, ignore_errors=True)


@needs_torch
def test_baseline_is_timed_beside_the_candidate(tmp_path):
    # The search's default schedule is timed again with every candidate, block by block, interleaved: the speedup
    # divides two times measured together. A baseline that fails is reported, and never fails the candidate.
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    slow = cpu_module(tmp_path, "slow", "import time; time.sleep(0.004); y.copy_(torch.softmax(x, dim=1))")
    r = harness.evaluate(good, SOFTMAX_REF, trials=1, timing_calls=10, timeout=60, device="cpu", seed=2,
                         baseline_kernel=slow)
    assert r["status"] == "ok", r["reason"]
    assert r["timing"]["paired"] == {"blocks": 5, "calls_per_block": 2, "baseline_calls_per_block": 2}
    assert r["timing"]["calls"] == 10
    assert r["baseline_timing"]["calls"] == 10 and r["baseline_timing"]["iqr_s"] >= 0
    assert r["baseline_timing"]["median_s"] > r["timing"]["median_s"]
    assert "samples" not in r["timing"]
    broken = cpu_module(tmp_path, "broken", "raise RuntimeError('baseline broke')")
    r = harness.evaluate(good, SOFTMAX_REF, trials=1, timing_calls=10, timeout=60, device="cpu", seed=2,
                         baseline_kernel=broken)
    assert r["status"] == "ok" and "baseline broke" in r["baseline_timing"]["error"], r


@needs_torch
def test_timings_overlap_nothing_on_several_simulated_devices(tmp_path, monkeypatch):
    # Two simulated devices, two warm workers each, six candidates at once: every hold of each device's lock is
    # traced (KEVC_LOCK_TRACE). On each device a timing (exclusive) overlaps no other hold, while checks (shared:
    # compile, trials, reference comparisons) of different workers do overlap. Each check call sleeps, so that the
    # checks last long enough to meet.
    import threading
    from kevc_gpu import warm
    trace = str(tmp_path / "locks.trace")
    monkeypatch.setenv("KEVC_SIMULATED_DEVICES", "2")
    monkeypatch.setenv("KEVC_LOCK_TRACE", trace)
    monkeypatch.setenv("KEVC_GPU_LOCK", str(tmp_path / "gpu.lock"))
    pool = warm.WarmPool(2, log_dir=str(tmp_path))
    try:
        assert sorted(pool.free) == [0, 1]
        slow = cpu_module(tmp_path, "slow", "import time; time.sleep(0.15); y.copy_(torch.softmax(x, dim=1))")
        results = [None] * 6

        def one(i):
            results[i] = harness.evaluate(slow, SOFTMAX_REF, trials=2, timing_calls=3, timeout=120, device="cpu",
                                          seed=30 + i, warm=pool)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert all(r is not None and r["status"] == "ok" for r in results), [r and r["reason"] for r in results]
        assert {r["worker"]["warm"]["device"] for r in results} == {0, 1}
        # worker_report's breakdown keeps the shared and the exclusive wait apart.
        assert all(k in ("waiting for the device: shared", "waiting for the device: exclusive")
                   for r in results for k in r["phase_seconds"] if k.startswith("waiting")), results[0]["phase_seconds"]
    finally:
        pool.close()
    holds = {}
    for line in open(trace):
        path, mode, t0, t1, pid = line.split()
        holds.setdefault(path, []).append((mode, float(t0), float(t1), pid))
    assert sorted(os.path.basename(p) for p in holds) == ["gpu.lock.0", "gpu.lock.1"], list(holds)
    shared_overlaps = 0
    for path, rows in holds.items():
        assert sum(m == "exclusive" for m, *_ in rows) >= 2, rows  # each device timed candidates
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                if a[1] < b[2] and b[1] < a[2]:
                    assert a[0] == b[0] == "shared", (path, a, b)
                    shared_overlaps += a[3] != b[3]
    assert shared_overlaps >= 1, holds


def test_the_stop_rule():
    # Adaptive timing: clearly slower than the incumbent after 3 calls; a tight median after the minimum calls.
    from kevc_gpu.worker import StopRule, median_interval, warmed_up
    rule = StopRule(ci=0.02, min_calls=10, incumbent=1.0, factor=2.0)
    assert rule([2.5, 2.6]) is None  # fewer than 3 calls: never judged
    assert rule([2.5, 2.6, 2.7]) == "slower"
    assert rule([2.5, 1.9, 2.7]) is None  # its fastest call is within 2x of the incumbent
    steady = [1.0 + 0.001 * (i % 3) for i in range(10)]
    assert rule(steady[:9]) is None and rule(steady) == "ci"
    noisy = [1.0, 1.5, 0.7, 1.3, 0.9, 1.6, 0.8, 1.4, 1.1, 0.6]
    assert StopRule(ci=0.02)(noisy) is None
    assert StopRule()(noisy * 5) is None  # no ci and no incumbent: the requested count
    lo, hi = median_interval(list(range(1, 101)))
    assert (lo, hi) == (40, 61)  # ranks floor(40.2) = 40 and ceil(1 + 59.8) = 61 (1-based) of 1..100
    assert warmed_up([5.0] * 8 + [1.0] * 8) is False and warmed_up([3.0] * 4 + [1.0] * 16) is True


@needs_torch
def test_adaptive_timing_stops_early_and_says_why(tmp_path):
    # A candidate clearly slower than the incumbent stops after 3 calls (recorded with its samples, and still ok);
    # one timed beside the baseline stops its blocks once its median is tight; without the rule: every call.
    slow = cpu_module(tmp_path, "slow", "import time; time.sleep(0.01); y.copy_(torch.softmax(x, dim=1))")
    opts = dict(trials=1, timeout=60, device="cpu", seed=2)
    r = harness.evaluate(slow, SOFTMAX_REF, timing_calls=50, incumbent_s=0.001, **opts)
    assert r["status"] == "ok" and r["timing"]["stopped"] == "slower" and r["timing"]["calls"] == 3, r["timing"]
    paired = harness.evaluate(slow, SOFTMAX_REF, timing_calls=50, timing_ci=0.5, baseline_kernel=slow, **opts)
    t = paired["timing"]
    assert t["stopped"] == "ci" and t["paired"]["blocks"] == 2 and t["calls"] == 20, t
    assert paired["baseline_timing"]["calls"] == 2 * 5  # the baseline: half the calls per block
    fixed = harness.evaluate(slow, SOFTMAX_REF, timing_calls=12, **opts)
    assert "stopped" not in fixed["timing"] and fixed["timing"]["calls"] == 12


# -- real sizes under a memory cap (issue 17: the harness's own out-of-memory at KernelBench shapes) ------------------

# The torch reference of `z[i, j] = x[i] * y[j]` at M = N = 2048 (`kevc compile --emit torch-ref`): the prelude
# every reference module shares, taken from the softmax fixture, and this kernel's own part.
OUTER_TAIL = '''
KEVC_REFERENCE = {
    "kernel": "outer",
    "dims": {"M": 2048, "N": 2048},
    "params": [
        {"name": "x", "dtype": "f32", "shape": [2048], "domain": None},
        {"name": "y", "dtype": "f32", "shape": [2048], "domain": None},
    ],
    "results": [
        {"name": "z", "dtype": "f32", "shape": [2048, 2048], "tolerance": "f32"},
    ],
}
COST = {"bytes": 16793600, "flops": 4194304}
# Whether measured_cost can differ between inputs of this shape (gathers, jagged ranges, data-dependent
# selects); when False the GPU harness measures it once per module.
COST_DEPENDS_ON_INPUTS = False
# Definitions that may depend on a discontinuity or an argmax tie (reference_with_leeway tracks these).
_MAY_DOUBT = set()

def _d0(C, V, box):
    # %z: f32[i < M, j < N] = (%x[i] * %y[j])
    C.axis(V, "i", box, 0, 2)
    C.axis(V, "j", box, 1, 2)
    def _body(V, M):
        _t0 = C.load("x", (V["i"],), C.cf(0.0, "f32"), False, M)
        _t1 = C.load("y", (V["j"],), C.cf(0.0, "f32"), False, M)
        _t2 = torch.mul(_t0, _t1)
        return _t2
    return _body(V, None)

_DEFINITIONS = [
    ("z", _d0, [2048, 2048], "f32", "f32", False, 1),
]
_STREAMABLE = {"z"}
_PREFIX_AXIS = {}
_CONTRACTIONS = {}
'''


def outer_reference(tmp_path):
    text = open(SOFTMAX_REF).read()
    path = tmp_path / "outer.ref.py"
    path.write_text("# kevc torch reference for @outer at M=2048, N=2048\n"
                    + text[text.index("\n") + 1:text.index("KEVC_REFERENCE = {")] + OUTER_TAIL.lstrip("\n"))
    return str(path)


OUTER = """
import torch
KEVC = {"kernel": "outer", "params": [{"name": "x", "dtype": "f32", "shape": [2048], "domain": None},
                                      {"name": "y", "dtype": "f32", "shape": [2048], "domain": None}],
        "results": [{"name": "z", "dtype": "f32", "shape": [2048, 2048]}], "workspace": 0}
def launch(x, y, z):
    BODY
"""


def outer_module(tmp_path, name, body):
    path = tmp_path / (name + ".py")
    path.write_text(OUTER.replace("BODY", body))
    return str(path)


@needs_torch
def test_chunked_compare_is_the_whole_comparison(monkeypatch):
    # compare() walks the result in slices of CHUNK elements (two passes: the scale term, then the rule): the same
    # verdict, failure count, first failing element and errors as one comparison of the whole, with every kind of
    # failure and leeway in different slices.
    import torch
    from kevc_gpu import tolerance
    g = torch.Generator().manual_seed(5)
    ref = torch.randn(37, 29, generator=g, dtype=torch.float64) * 10
    ref[3, 4] = float("nan")
    ref[20, 1] = float("inf")
    cases = []
    for bad in ([], [(30, 7)], [(2, 2), (35, 28)], [(31, 0, "nan")]):
        out = ref.to(torch.float32).clone()
        for b in bad:
            out[b[0], b[1]] = float("nan") if len(b) == 3 else out[b[0], b[1]] + 3.0
        cases.append(out)
    any_value = torch.zeros(37 * 29, dtype=torch.bool)
    any_value[30 * 29 + 7] = True
    leeways = [{}, {"any_value": any_value}, {"any_value": [2 * 29 + 2]}, {"alternatives": {35 * 29 + 28: [1.0]}}]
    for out in cases:
        for leeway in leeways:
            monkeypatch.setattr(tolerance, "CHUNK", 1 << 20)
            whole = tolerance.compare(out, ref, "f32", **leeway)
            monkeypatch.setattr(tolerance, "CHUNK", 50)
            sliced = tolerance.compare(out, ref, "f32", **leeway)
            assert sliced == whole, (leeway, sliced, whole)
    assert not tolerance.compare(cases[3], ref, "f32")["passed"] and \
        tolerance.compare(cases[3], ref, "f32")["kind"] == "nan"


PEAK = r"""
import sys, torch
from kevc_gpu import tolerance
torch.set_num_threads(1)
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
tolerance.compare(torch.ones(1000), torch.ones(1000, dtype=torch.float64), "f32")  # first-use allocations
for n in (tolerance.CHUNK, 8 * tolerance.CHUNK):
    ref = torch.randn(n, dtype=torch.float64)
    out = ref.to(torch.float32)
    out[n - 5] += 1
    leeway = torch.zeros(n, dtype=torch.bool)
    for mode in ("whole", "stream"):
        base = status("VmRSS")
        open("/proc/self/clear_refs", "w").write("5")  # resets the peak (VmHWM) to the current size
        if mode == "stream":
            s = tolerance.StreamingCompare("f32", [n])
            s.add(out, ref, 0)
            c = s.result()
        else:
            c = tolerance.compare(out, ref, "f32", any_value=leeway)
        assert not c["passed"] and c["failures"] == 1, c
        print(n, mode, status("VmHWM") - base)
    del ref, out, leeway
"""


@needs_torch
@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's /proc/self/clear_refs")
def test_the_comparisons_memory_is_what_the_footprint_declares(tmp_path):
    # The footprint's `checks` term (EvaluationFootprint.swift: checkChunkElements x checkCopies float64 copies) is
    # what the comparison really holds: its peak resident memory on CPU tensors (a proxy for the device's, the same
    # torch operations; glibc's mmap threshold fixed so that freed blocks leave at once), measured for a result of
    # one slice and of eight slices, stays under it, and does not grow with the result.
    import re
    import subprocess
    import sys
    from kevc_gpu import tolerance
    swift = open(os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "KevcSearch",
                              "EvaluationFootprint.swift")).read()
    chunk = re.search(r"checkChunkElements = 1 << (\d+)", swift)
    copies = re.search(r"checkCopies = (\d+)", swift)
    assert chunk and copies and 1 << int(chunk.group(1)) == tolerance.CHUNK
    assert int(copies.group(1)) == tolerance.CHECK_COPIES
    declared = tolerance.CHUNK * 8 * tolerance.CHECK_COPIES
    script = tmp_path / "peak.py"
    script.write_text(PEAK)
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536",
               PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    peaks = {(int(n), mode): int(peak) for n, mode, peak in (line.split() for line in out.stdout.splitlines())}
    assert len(peaks) == 4, out.stdout
    for (n, mode), peak in peaks.items():
        assert declared / 2 < peak <= declared, (n, mode, peak, declared)
    for mode in ("whole", "stream"):
        assert peaks[(8 * tolerance.CHUNK, mode)] < 1.1 * peaks[(tolerance.CHUNK, mode)], peaks


@needs_torch
def test_the_harness_fits_a_problem_under_a_memory_cap(tmp_path, monkeypatch):
    # An outer product at M = N = 2048: 16 KiB of inputs, a 16 MiB f32 result whose float64 reference is 32 MiB.
    # The old comparison held six float64 copies of it (192 MiB) and ran out of memory under either cap below
    # (harness_error). Now the worker sizes everything from the memory free now: under the first cap, every trial's
    # reference and the revalidation's are sliced and compared as they come, and the result is the candidate's
    # (ok; wrong for a wrong element; its input written during the revalidation is caught without a snapshot);
    # with room for the whole reference, it is compared in slices of CHUNK elements.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # torch's threads spinning on a loaded 2-core machine: 10x slower
    good = outer_module(tmp_path, "good", "z.copy_(torch.outer(x, y))")
    outer_ref = outer_reference(tmp_path)
    options = dict(trials=1, timing_calls=2, warmup=0, eager_calls=0, timeout=300, device="cpu", seed=21)
    r = harness.evaluate(good, outer_ref, cpu_memory_cap=150 << 20, **options)
    assert r["status"] == "ok", r["reason"]
    mode = r["reference_mode"]
    assert mode["mode"] == "slices" and mode["slices"] >= 4, mode
    assert mode["phases"] == ["trial 1", "revalidation"], mode
    wrong = outer_module(tmp_path, "wrong", "z.copy_(torch.outer(x, y)); z[2047, 2047] += 1.0")
    w = harness.evaluate(wrong, outer_ref, cpu_memory_cap=150 << 20, **options)
    assert w["status"] == "wrong" and "[2047, 2047]" in w["reason"] and "(compared in slices)" in w["reason"], w
    late = outer_module(tmp_path, "late", "z.copy_(torch.outer(x, y))\n    launch.calls = getattr(launch, 'calls', 0) + 1"
                        "\n    if launch.calls > 4: x.add_(1)")
    lw = harness.evaluate(late, outer_ref, cpu_memory_cap=150 << 20, **options)
    assert lw["status"] == "wrong" and "wrote its input(s) x" in lw["reason"], lw
    whole = harness.evaluate(good, outer_ref, cpu_memory_cap=210 << 20, **options)
    assert whole["status"] == "ok" and "reference_mode" not in whole, whole
    assert whole["trials"][0]["results"]["z"]["passed"]


# `z[i, j] = 2 * x[i, j]` at M = 2048, N = 8192 (hardsigmoid's shape, scaled down): a 64 MiB f32 input and result.
DOUBLE_TAIL = OUTER_TAIL.replace('"outer"', '"double"').replace('"M": 2048, "N": 2048', '"M": 2048, "N": 8192') \
    .replace('''        {"name": "x", "dtype": "f32", "shape": [2048], "domain": None},
        {"name": "y", "dtype": "f32", "shape": [2048], "domain": None},''',
             '''        {"name": "x", "dtype": "f32", "shape": [2048, 8192], "domain": None},''') \
    .replace('[2048, 2048]', '[2048, 8192]') \
    .replace('''        _t1 = C.load("y", (V["j"],), C.cf(0.0, "f32"), False, M)
        _t2 = torch.mul(_t0, _t1)''', '''        _t2 = torch.mul(_t0, C.cf(2.0, "f32"))''') \
    .replace('C.load("x", (V["i"],)', 'C.load("x", (V["i"], V["j"])')


@needs_torch
def test_the_reference_reads_a_large_input_in_place(tmp_path, monkeypatch):
    # hardsigmoid and log_softmax at KernelBench's size (6 GiB inputs) ran out of memory in the sliced reference:
    # it took a clone and a float64 copy of every input (and a float32 temporary rounding it), three times the
    # input. Now a load converts only what it gathers: under a cap that holds the input, the output, the comparison
    # and the slices but not the float64 copy, the check runs in slices and its verdict is the candidate's.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    text = open(SOFTMAX_REF).read()
    ref = tmp_path / "double.ref.py"
    ref.write_text(text[:text.index("KEVC_REFERENCE = {")] + DOUBLE_TAIL.lstrip("\n"))
    from kevc_gpu import memory, modules
    module = modules.load_module(str(ref), "kevc_double_ref")
    assert memory.reference_parts(module)[0] == 0  # no copies of the inputs
    kernel = """
import torch
KEVC = {"kernel": "double", "params": [{"name": "x", "dtype": "f32", "shape": [2048, 8192], "domain": None}],
        "results": [{"name": "z", "dtype": "f32", "shape": [2048, 8192]}], "workspace": 0}
def launch(x, z):
    BODY
"""
    options = dict(trials=1, timing_calls=2, warmup=0, eager_calls=0, timeout=300, device="cpu", seed=5,
                   cpu_memory_cap=400 << 20)
    good = tmp_path / "good.py"
    good.write_text(kernel.replace("BODY", "torch.mul(x, 2.0, out=z)"))
    r = harness.evaluate(str(good), str(ref), **options)
    assert r["status"] == "ok", r["reason"]
    assert r["reference_mode"]["mode"] == "slices", r["reference_mode"]
    wrong = tmp_path / "wrong.py"
    wrong.write_text(kernel.replace("BODY", "torch.mul(x, 2.0, out=z); z[2047, 8191] += 1.0"))
    w = harness.evaluate(str(wrong), str(ref), **options)
    assert w["status"] == "wrong" and "[2047, 8191]" in w["reason"], w["reason"]
    # No room for a snapshot of the input either: it is drawn again and compared after the call, and a kernel that
    # writes it is caught all the same.
    assert all(t.get("input_check") == "drawn again" for t in r["trials"]), r["trials"]
    writes = tmp_path / "writes.py"
    writes.write_text(kernel.replace("BODY", "torch.mul(x, 2.0, out=z); x[5, 5] = 0.0"))
    x = harness.evaluate(str(writes), str(ref), **options)
    assert x["status"] == "wrong" and "wrote its input(s) x" in x["reason"], x["reason"]


@needs_torch
def test_the_cost_limit_keeps_the_static_cost_where_the_reference_was_slow(tmp_path):
    # measured_cost walks the iteration domain as the float64 reference does (about as long again): a caller that
    # evaluates each workload once (the KernelBench corpus's defaults) skips it where the reference took longer than
    # its limit; the check itself is unchanged. A limit the reference stays under measures as before.
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    opts = dict(trials=1, timing_calls=2, timeout=60, device="cpu", seed=3, ceilings_cache=str(tmp_path / "c.json"))
    static = harness.evaluate(good, SOFTMAX_REF, cost_limit_s=0, **opts)
    assert static["status"] == "ok", static["reason"]
    assert static["roofline"]["cost_source"].startswith("static (not measured: the float64 reference took")
    assert static["revalidation"] == "passed" and len(static["trials"]) == 1
    wrong = harness.evaluate(cpu_module(tmp_path, "wrong", CPU_CASES["wrong"]), SOFTMAX_REF, cost_limit_s=0, **opts)
    assert wrong["status"] == "wrong"
    measured = harness.evaluate(good, SOFTMAX_REF, cost_limit_s=1e9, **opts)
    assert measured["roofline"]["cost_source"].startswith("measured"), measured["roofline"]
