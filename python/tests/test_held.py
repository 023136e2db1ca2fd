"""Where the time under the device lock goes (kevc_gpu/held.py) and what a candidate does under it: the ledger's
arithmetic; the lock's held seconds against its own trace; a candidate's cases in one worker queueing for the
device twice, not three times; the distributions spread over its cases; the revalidation only for a candidate that
could become the best; that the compile ahead's meta stand-ins specialise a Triton kernel as real tensors do (a
CUDA backend's binder, no GPU); and, on a GPU, no Triton compile under the lock (counted, and counted under it when
the compile ahead is turned off: the count can fail). CPU tests use torch-only candidate modules.
"""

import os

import pytest

from kevc_gpu import harness
from kevc_gpu.held import Ledger

from test_broken_kernels import (CPU_CASES, SOFTMAX_REF, TRITON_KERNELS, VADD_REF, cpu_module, needs_gpu,
                                 needs_torch, triton_module)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_ledger_charges_the_innermost_part_under_the_mode_held():
    clock = Clock()
    ledger = Ledger(clock)
    clock.now = 1.0  # no lock yet: nothing is charged
    ledger.set_mode("shared")
    clock.now = 1.5  # "other": Python between the parts
    with ledger.part("kernel"):
        clock.now = 2.0
        ledger.compiled()
        ledger.push("compile")  # Triton's hooks, inside the first launch
        clock.now = 3.0
        ledger.pop("compile")
        clock.now = 3.25
    ledger.set_mode(None)
    clock.now = 10.0  # waiting for the exclusive lock: not held
    ledger.set_mode("exclusive")
    with ledger.part("timing"):
        clock.now = 10.5
        ledger.set_mode("shared")  # the downgrade, inside the part
        clock.now = 11.0
    ledger.set_mode(None)
    with ledger.part("compile"):  # compiled ahead: no lock, nothing held
        ledger.compiled()
        clock.now = 12.0
    report = ledger.report()
    assert report == {"shared": 2.75, "shared: other": 0.5, "shared: kernel": 0.75, "shared: compile": 1.0,
                      "shared: timing": 0.5, "exclusive": 0.5, "exclusive: timing": 0.5}, report
    assert ledger.compiles() == {"shared": 1, "none": 1}
    # A part left open inside another (a compile that raised) ends with it.
    with ledger.part("kernel"):
        ledger.push("compile")
    assert ledger.stack == []


def test_the_distribution_count_is_the_inputs():
    pytest.importorskip("torch")
    from kevc_gpu import inputs
    assert harness.DISTRIBUTION_COUNT == len(inputs.DISTRIBUTIONS)
    assert harness.spread_trials(0, 1, 3, 7) == {}
    assert harness.spread_trials(0, 2, 3, 7) == {"trials": 1, "distribution_offset": 1}
    assert harness.spread_trials(1, 2, 3, 7) == {"trials": 6, "distribution_offset": 0}


def holds(trace):
    return [(line.split()[1], float(line.split()[2]), float(line.split()[3])) for line in open(trace)]


@needs_torch
def test_a_candidates_cases_queue_twice_and_the_held_time_is_the_locks(tmp_path, monkeypatch):
    # The search's shape of a job: the timed case, then a checked one, in one worker. Every case is prepared before
    # any lock; the timed case's shared hold (revalidation, roofline) goes on into the next case's checks, so the
    # candidate queues twice (shared, exclusive), not three times; the ledger's held seconds are the trace's.
    trace = tmp_path / "trace"
    monkeypatch.setenv("KEVC_GPU_LOCK", str(tmp_path / "gpu.lock"))
    monkeypatch.setenv("KEVC_LOCK_TRACE", str(trace))
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    results = harness.evaluate_together([(good, SOFTMAX_REF, "timed"), (good, SOFTMAX_REF, "checked")], trials=2,
                                        timing_calls=3, timeout=60, device="cpu", seed=8, eager_calls=0)
    assert [r["status"] for r in results] == ["ok", "ok"], [r["reason"] for r in results]
    modes = [m for m, _, _ in holds(trace)]
    assert modes == ["shared", "exclusive", "shared"], modes
    # The distributions spread over the cases: one trial at the timed shape (rotating with the seed), all six at
    # the checked one, which also has no revalidation (untimed).
    timed, checked = results
    from kevc_gpu import inputs
    assert [t["distribution"] for t in timed["trials"]] == [inputs.DISTRIBUTIONS[8 % 6]]
    assert len({t["distribution"] for t in checked["trials"]}) == 6
    assert timed["revalidation"] == "passed" and "revalidation" not in checked
    # Held seconds: per mode, the ledger's sum over the cases is the trace's (to the Python between them).
    traced = {"shared": 0.0, "exclusive": 0.0}
    for mode, start, end in holds(trace):
        traced[mode] += end - start
    for mode in ("shared", "exclusive"):
        ledger = sum(r["lock_held"].get(mode, 0.0) for r in results)
        assert abs(ledger - traced[mode]) <= 0.05 + 0.1 * traced[mode], (mode, ledger, traced, results[0]["lock_held"])
    assert timed["lock_held"]["exclusive: timing"] > 0 and timed["lock_held"]["shared: kernel"] > 0
    assert checked["lock_held"]["shared: compare"] > 0
    # A trial's parts apart (issue 17: where a trial's time goes): inputs, poisoned outputs, the input snapshot,
    # the kernel, the reference (computed here: nothing reused) and the comparison.
    for part in ("inputs", "poison", "snapshot", "kernel", "reference", "compare"):
        assert "shared: " + part in checked["lock_held"], (part, checked["lock_held"])
    # Nothing compiles on the CPU (torch-only modules): no count, under a lock or not.
    assert not any(r["compiles"] for r in results)


@needs_torch
@pytest.mark.parametrize("case", ["wrong", "nan", "skips", "writes_input", "crash"])
def test_the_spread_protocol_still_catches_broken_kernels(tmp_path, case):
    # At the timed shape a single trial; the checked shape sees every distribution: a wrong result, a NaN, an
    # unwritten row (poison), an input write and a crash are caught all the same.
    bad = cpu_module(tmp_path, case, CPU_CASES[case])
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    for cases in ([(bad, SOFTMAX_REF, "timed"), (good, SOFTMAX_REF, "checked")],
                  [(good, SOFTMAX_REF, "timed"), (bad, SOFTMAX_REF, "checked")]):
        s = harness.evaluate_cases(cases, one_worker=True, trials=1, timing_calls=3, timeout=60, device="cpu",
                                   seed=5)
        expected = {"wrong": "wrong", "nan": "nan", "skips": "nan", "writes_input": "wrong", "crash": "crash"}[case]
        assert s["status"] == expected, s["reason"]


@needs_torch
def test_a_hang_in_a_case_that_inherited_the_shared_hold_times_out_and_frees_the_device(tmp_path, monkeypatch):
    # The checked case hangs inside the shared hold the timed case handed it: killed at its timeout, its status
    # timeout, and the device lock is free for the next candidate (flock dies with the process).
    monkeypatch.setenv("KEVC_GPU_LOCK", str(tmp_path / "gpu.lock"))
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    hang = cpu_module(tmp_path, "hang", "while True:\n    pass")
    s = harness.evaluate_cases([(good, SOFTMAX_REF, "timed"), (hang, SOFTMAX_REF, "checked")], one_worker=True,
                               trials=1, timing_calls=3, timeout=8, device="cpu", seed=2, eager_calls=0)
    assert [c["status"] for c in s["cases"]] == ["ok", "timeout"], s["reason"]
    import fcntl
    for path in (tmp_path / "gpu.lock", tmp_path / "gpu.lock.gate"):  # neither file held: an exclusive hold now
        fd = os.open(str(path), os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if a hold survived the kill
        finally:
            os.close(fd)


@needs_torch
def test_the_revalidation_is_for_a_candidate_that_could_become_the_best(tmp_path):
    # A kernel that computes only on its first calls passes its trials and is caught by the revalidation after
    # timing, when it could become the best; one whose median is more than twice the incumbent's is not
    # revalidated (it says so), and is never the best.
    body = "if STATE['calls'] <= 4:\n    y.copy_(torch.softmax(x, dim=1))"
    k = cpu_module(tmp_path, "first", body)
    r = harness.evaluate(k, SOFTMAX_REF, trials=2, timing_calls=3, timeout=60, device="cpu", seed=3, incumbent_s=10.0)
    assert r["status"] in ("nan", "wrong") and "after timing" in r["reason"], r["reason"]
    r = harness.evaluate(k, SOFTMAX_REF, trials=2, timing_calls=3, timeout=60, device="cpu", seed=3,
                         incumbent_s=1e-9)
    assert r["status"] == "ok", r["reason"]
    assert r["revalidation"].startswith("skipped: cannot become the best"), r["revalidation"]


@needs_torch
@pytest.mark.skipif(os.environ.get("TRITON_INTERPRET") == "1", reason="Triton's interpreter has no JIT to specialise")
def test_the_compile_aheads_stand_ins_specialise_as_real_tensors(tmp_path):
    # Compile ahead is only worth it if the first real launch finds the kernel compiled: Triton's cache key is the
    # arguments' specialisation (dtype, 16-byte alignment, integer values). Checked without a GPU: the arguments
    # launch() hands Triton for the meta stand-ins and for real tensors, through a CUDA backend's binder.
    pytest.importorskip("triton")
    from triton.runtime.jit import JITFunction, create_function_from_signature
    from triton.backends.compiler import GPUTarget
    try:
        from triton.backends.nvidia.compiler import CUDABackend
    except ImportError:
        pytest.skip("no CUDA backend in this Triton")
    from kevc_gpu import inputs, modules, worker
    mod = modules.load_module(triton_module(tmp_path, "ok", TRITON_KERNELS["ok"]))
    params, results = modules.signature(mod.KEVC)
    seen = []
    run = JITFunction.run

    def record(fn, *args, grid=None, warmup=False, **kwargs):
        seen.append((fn, args, kwargs))

    JITFunction.run = record
    try:
        mod.launch(**worker.stand_ins(params, results))
        real = inputs.kernel_arguments(params, inputs.generate(params, 1, "normal", "cpu"))
        real.update(inputs.poisoned(results, "cpu"))
        mod.launch(**real)
    finally:
        JITFunction.run = run
    (fn, meta_args, meta_kwargs), (_, real_args, real_kwargs) = seen
    binder = create_function_from_signature(fn.signature, fn.params, CUDABackend(GPUTarget("cuda", 90, 32)))
    meta = binder(*meta_args, **meta_kwargs)[1]
    assert meta == binder(*real_args, **real_kwargs)[1], meta
    assert ("*fp32", "D") in meta  # aligned pointers: the stand-ins did not lose the alignment specialisation


@needs_gpu
def test_no_triton_compile_under_the_lock(tmp_path, monkeypatch):
    # Triton compiles at a kernel's first launch; the harness compiles ahead, before any lock, with no launch: the
    # compiles counted under the lock are none. Without the compile ahead the same kernel compiles under the shared
    # lock, and is counted there.
    pytest.importorskip("triton")
    monkeypatch.setenv("KEVC_GPU_LOCK", str(tmp_path / "gpu.lock"))
    k = triton_module(tmp_path, "ok", TRITON_KERNELS["ok"])
    r = harness.evaluate(k, VADD_REF, trials=2, timing_calls=5, timeout=120, device="cuda", seed=3)
    assert r["status"] in ("ok", "flagged"), r["reason"]
    assert r["compiles"].get("none", 0) >= 1, r["compiles"]
    assert not r["compiles"].get("shared") and not r["compiles"].get("exclusive"), (r["compiles"], r.get("compile_ahead"))
    assert not r["lock_held"].get("shared: compile"), r["lock_held"]
    k2 = triton_module(tmp_path, "ok2", TRITON_KERNELS["ok"])
    r = harness.evaluate(k2, VADD_REF, trials=2, timing_calls=5, timeout=120, device="cuda", seed=3,
                         compile_ahead=False)
    assert r["status"] in ("ok", "flagged"), r["reason"]
    assert r["compiles"].get("shared", 0) >= 1 and not r["compiles"].get("none"), r["compiles"]
    assert r["lock_held"]["shared: compile"] > 0, r["lock_held"]


@needs_torch
def test_the_reference_caches_disk_tier_works_outside_the_lock(tmp_path):
    # A computed reference is written to disk by flush_pending (after the lock), not by get() (under it); a file
    # prefetched before the lock is served by get() without reading the disk again.
    import torch
    from kevc_gpu import references
    references.clear()
    cache = str(tmp_path / "refs")
    outputs = {"y": torch.arange(4, dtype=torch.float64)}
    got, source = references.get(SOFTMAX_REF, 11, "normal", "cpu", lambda: outputs, cache_dir=cache)
    assert source == "computed"
    assert not os.path.isdir(cache) or not os.listdir(cache)  # nothing written under the lock
    references.flush_pending()
    files = os.listdir(cache)
    assert len(files) == 1, files
    references.clear()  # another worker process: nothing in memory
    assert references.prefetch(SOFTMAX_REF, 11, "normal", "cpu", cache_dir=cache)
    os.unlink(os.path.join(cache, files[0]))  # get() must not need the file any more
    got, source = references.get(SOFTMAX_REF, 11, "normal", "cpu", lambda: pytest.fail("recomputed"), cache_dir=cache)
    assert source == "disk" and torch.equal(got["y"], outputs["y"])
    # What a job prefetched and never used is dropped by the next job (run_cases).
    references.flush_pending()
    assert references.prefetch(SOFTMAX_REF, 11, "normal", "cpu", cache_dir=cache) is False  # held in memory now
    references.clear()
    references.forget_prefetched()


@needs_torch
def test_the_host_tier_keeps_the_copy_it_has(tmp_path, monkeypatch):
    # A reference too large for the device tier is kept on the host: the copy the cache already holds (the file
    # read, the prefetched one) is kept, not copied back from the device outputs (the GPU's pinned copy is the
    # prefetched one itself). The device here is the CPU with the device tier's limit at 0.
    import torch
    from kevc_gpu import references
    references.clear()
    monkeypatch.setattr(references, "DEVICE_LIMIT", 0)
    cache = str(tmp_path / "refs")
    outputs = {"y": torch.arange(6, dtype=torch.float64)}
    references.get(SOFTMAX_REF, 12, "normal", "cpu", lambda: outputs, cache_dir=cache)
    references.flush_pending()
    references.clear()
    assert references.prefetch(SOFTMAX_REF, 12, "normal", "cpu", cache_dir=cache)
    early = references._prefetched[next(iter(references._prefetched))]["y"]
    got, source = references.get(SOFTMAX_REF, 12, "normal", "cpu", lambda: pytest.fail("recomputed"), cache_dir=cache)
    assert source == "disk" and torch.equal(got["y"], outputs["y"])
    tier, held, _ = next(iter(references._memory.values()))
    assert tier == "host" and held["y"].data_ptr() == early.data_ptr()  # no second copy
    got, source = references.get(SOFTMAX_REF, 12, "normal", "cpu", lambda: pytest.fail("recomputed"), cache_dir=cache)
    assert source == "memory" and torch.equal(got["y"], outputs["y"])
    references.clear()
    references.forget_prefetched()


@needs_torch
def test_the_reference_cache_keeps_each_results_scale_term(tmp_path):
    # The scale term (rms of the reference's finite elements) is computed once per reference and kept beside it in
    # every tier, the disk's included; a file written before it was kept gets it on its first read. The worker
    # hands it to compare() (_unpack_leeway: `scale`), whose result is the same as when it computes it.
    import torch
    from kevc_gpu import references, worker
    from kevc_gpu.tolerance import compare, scale_of
    references.clear()
    cache = str(tmp_path / "refs")
    y = torch.tensor([1.0, -2.0, float("inf"), 3.0, float("nan")], dtype=torch.float64)
    got, source = references.get(SOFTMAX_REF, 13, "normal", "cpu", lambda: {"y": y}, cache_dir=cache)
    assert source == "computed" and float(got[references.SCALE + "y"]) == float(scale_of(y))
    references.flush_pending()
    references.clear()
    got, source = references.get(SOFTMAX_REF, 13, "normal", "cpu", lambda: pytest.fail("recomputed"),
                                 cache_dir=cache)
    assert source == "disk" and references.SCALE + "y" in got  # written with the file
    outputs, leeway = worker._unpack_leeway(got)
    assert list(outputs) == ["y"] and float(leeway["y"]["scale"]) == float(scale_of(y))
    actual = torch.tensor([1.0, -2.0001, float("inf"), 3.5, float("nan")])
    assert compare(actual, outputs["y"], "f32", **leeway["y"]) == compare(actual, y, "f32")
    # An older file, without the scale term: it is added on the first read.
    references.clear()
    path = os.path.join(cache, os.listdir(cache)[0])
    torch.save({"y": y}, path)
    got, source = references.get(SOFTMAX_REF, 13, "normal", "cpu", lambda: pytest.fail("recomputed"),
                                 cache_dir=cache)
    assert source == "disk" and float(got[references.SCALE + "y"]) == float(scale_of(y))
    references.clear()
