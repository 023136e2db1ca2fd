"""The parent side of the evaluation harness: runs each candidate in its own worker process (a fresh Python
interpreter, new session, allowlisted environment) under a wall-clock timeout, and classifies the outcome.

Statuses: ok, flagged (correct but suspicious: faster than the roofline floor, more than 10x faster than PyTorch
eager, timing functions replaced, threads left running), wrong (a mismatch, inputs written, wrong signature, or a
result that changes after timing), nan (NaN or inf where the reference is finite), compile_error (the module does
not import, or Triton fails to compile), timeout (killed after the limit), crash (the worker died: a signal, a
sticky CUDA error such as an illegal address, an exception in launch), error (the harness could not evaluate: no
GPU, a broken reference), harness_error (the harness's own work ran out of device or host memory, also with the
device to itself: an infrastructure event, never the candidate's crash). A crash or timeout costs only that worker; the next candidate gets a new one.

The kill bound (kill_bound): with an incumbent (the search's best median so far), a worker whose candidate has been
inside ONE call of its own code for longer than max(KILL_FLOOR_S, KILL_FACTOR x the incumbent) is killed at once,
not at the timeout: status timeout, the reason saying "cannot become the best" (the result's `killed` holds the
numbers). Such a call holds the device lock while every other worker waits for it; a candidate whose single call
takes 100 times the best median cannot become the best. Only the candidate's calls count (worker.CallClock), never
the harness's own phases, nor a Triton compile inside a call.
"""

import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time


SEVERITY = ["ok", "slower_unchecked", "flagged", "error", "harness_error", "compile_error", "timeout", "crash", "wrong", "nan"]
_ENV_ALLOW = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "CUDA_VISIBLE_DEVICES",
              "CUDA_HOME", "CUDA_PATH", "LD_LIBRARY_PATH", "TRITON_CACHE_DIR", "TRITON_HOME", "TRITON_PTXAS_PATH",
              "KEVC_GPU_CACHE", "KEVC_GPU_LOCK", "KEVC_WAIT_MARKER", "KEVC_LOCK_TRACE", "NVIDIA_VISIBLE_DEVICES", "XDG_CACHE_HOME", "TRITON_INTERPRET",
              "OMP_NUM_THREADS")
# Phases of the harness's own measurements after a candidate's checks and timing: a timeout there is not the
# candidate's (harness_error).
HARNESS_PHASES = ("eager baseline", "roofline")
# len(inputs.DISTRIBUTIONS), without importing torch into the parent (tests/test_held.py checks they agree).
DISTRIBUTION_COUNT = 6
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def die_with_parent():
    """Linux: this process gets SIGKILL when the process that started it dies (prctl PR_SET_PDEATHSIG), so a
    search or benchmark killed at its time limit leaves no harness or worker running candidates on the GPU; a
    process whose parent is already gone exits at once. Elsewhere: nothing."""
    parent = os.getppid()
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


def worker_env():
    env = {k: os.environ[k] for k in _ENV_ALLOW if k in os.environ}
    extra = os.environ.get("PYTHONPATH", "")
    env["PYTHONPATH"] = PYTHON_DIR + (os.pathsep + extra if extra else "")
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _tail(path, limit=4000):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _kill_group(p):
    for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(p.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            p.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


WAITING = "waiting for the device"  # ": shared" or ": exclusive" follows (worker.py)
# The kill bound: one call of the candidate running longer than max(KILL_FLOOR_S, KILL_FACTOR x the incumbent's
# median) ends its worker. The floor covers a correct but slower candidate's first call (a launch's set-up, the
# first touch of its memory; a Triton compile inside the call is not counted) on a busy machine; the factor is far
# beyond the 2x at which the stop rule already calls a candidate slower (StopRule): a call 100 times the best
# median is no timing noise.
KILL_FLOOR_S = 10.0
KILL_FACTOR = 100.0


def kill_bound(incumbent_s, floor_s=None, factor=None):
    """The seconds one candidate call may run before its worker is killed, or None (no incumbent: the first
    candidate of a search, the default schedule, runs to the timeout)."""
    try:
        incumbent = float(incumbent_s) if incumbent_s is not None else None
    except (TypeError, ValueError):
        return None
    if incumbent is None or not incumbent > 0 or incumbent == float("inf"):
        return None
    floor_s = KILL_FLOOR_S if floor_s is None else float(floor_s)
    factor = KILL_FACTOR if factor is None else float(factor)
    return max(floor_s, factor * incumbent)


def _call_since(path):
    """When the candidate call running now began (time.monotonic()), from the worker's CallClock file; None when
    none runs or the file is not there yet."""
    try:
        with open(path, "rb") as f:
            data = f.read(8)
    except OSError:
        return None
    if len(data) != 8:
        return None
    since = struct.unpack("d", data)[0]
    return since if since > 0 else None


class Deadline:
    """The parent's clock for one worker job, polled while it waits (_wait, warm.WarmWorker.run): `passed()` is
    true once the job has used `timeout` seconds not counting its waits for the device lock (its result file says
    so: another candidate's timing, or a hung candidate holding the device, must not time this one out), or once
    one candidate call has run past `bound` (kill_bound; then `hopeless` is the call's seconds so far)."""

    def __init__(self, timeout, result_paths, call_path=None, bound=None, incumbent_s=None):
        self.timeout, self.result_paths, self.call_path, self.bound = timeout, result_paths, call_path, bound
        self.incumbent_s = incumbent_s
        self.start = self.last = time.monotonic()
        self.waited = 0.0
        self.hopeless = None

    def restart(self):
        """The job starts now (a warm worker's start-up is not the candidate's time)."""
        self.start = self.last = time.monotonic()
        self.waited = 0.0

    def passed(self):
        now = time.monotonic()
        if (_phase_of(self.result_paths) or "").startswith(WAITING):
            self.waited += now - self.last
        self.last = now
        if self.bound is not None and self.call_path:
            since = _call_since(self.call_path)
            if since is not None and now - since > self.bound:
                self.hopeless = now - since
                return True
        return now - self.start - self.waited > self.timeout

    def killed(self):
        """What the result says of a job killed by the bound."""
        return {"call_s": round(self.hopeless, 3), "bound_s": self.bound, "incumbent_s": self.incumbent_s}

    def reason(self):
        return ("one call of the candidate ran past %.3g s, %.0f x the best candidate's median (%.3g s): it cannot "
                "become the best; killed" % (self.bound, self.bound / float(self.incumbent_s), float(self.incumbent_s))
                if self.incumbent_s else "one call of the candidate ran past %.3g s; killed" % self.bound)


def _wait(p, timeout, result_paths, poll=0.25, deadline=None):
    """Waits for the worker; False when it ran out of time (Deadline: the timeout net of the waits for the device
    lock, or the kill bound). The wait for the lock is bounded all the same: the holder is killed at its own
    timeout or bound, and flock(2) locks die with their process."""
    deadline = deadline or Deadline(timeout, result_paths)
    while True:
        try:
            p.wait(timeout=poll)
            return True
        except subprocess.TimeoutExpired:
            pass
        if deadline.passed():
            return False


def _phase_of(result_paths):
    """The phase in the newest of the worker's result files (None when none is written yet)."""
    for path in reversed(result_paths):
        try:
            with open(path) as f:
                return json.load(f).get("phase")
        except (OSError, ValueError):
            continue
    return None


def evaluate(kernel, reference, label="", timing_calls=50, eager_s=None, footprint=None, **options):
    """Evaluates one candidate in a fresh worker; returns the result dict (see worker.py), with 'status' set.
    `footprint`: the declared reference plan (EvaluationFootprint.planJSON; None: the reference whole)."""
    return evaluate_together([(kernel, reference, label)], timing_calls=timing_calls, eager_s=eager_s,
                             footprints=[footprint], **options)[0]


def evaluate_together(cases, timeout=60.0, seed=None, device="cuda", trials=5, timing_calls=50, warmup=5,
                      eager_calls=10, ceilings_cache=None, floor_slack=0.9, eager_ratio_limit=10.0, eager_s=None,
                      timing_seconds=None, footprints=None, reuse_references=False, reference_cache=None,
                      fresh_if_faster_than=None, warm=None, worker_vars=None, baseline_kernel=None, timing_ci=None,
                      timing_min_calls=10, incumbent_s=None, slower_factor=2.0, cpu_memory_cap=None, eager_seconds=None,
                      compile_ahead=True, kill_floor_s=None, kill_factor=None, cost_limit_s=None, race=False):
    """Evaluates a candidate's (kernel, reference, label) cases in ONE worker process, in order (the first one
    timed): one Python, torch and CUDA start-up for all of them. The worker's timeout is `timeout` per case. A case that times out or crashes ends the worker; the cases after it are
    reported as not run (status crash or timeout, like the case that ended it: the candidate fails either way).
    `cpu_memory_cap` (bytes, device cpu only): the worker caps its own data size at what it uses after importing torch
    plus this (memory.cap_cpu_memory): the tests' stand-in for a card with that much free. `compile_ahead=False`:
    Triton compiles at the first launch, under the lock, as before compile ahead existed (the tests' contrast).
    `kill_floor_s`, `kill_factor`: the kill bound's (kill_bound; None: KILL_FLOOR_S, KILL_FACTOR), with `incumbent_s`.
    `cost_limit_s`: the roofline measures the workload's cost (measured_cost) only when the case's float64 reference
    took at most this many seconds, else the static COST stands (None: always measured). `race` (with `incumbent_s`):
    the timed case is timed first and, when clearly slower than the incumbent, recorded `slower_unchecked` without
    its checks, the other cases not run (worker.Worker.race; docs/gpu-harness.md, "Racing")."""
    if seed is None:
        seed = int.from_bytes(os.urandom(8), "little")
    common = {"trials": trials, "seed": seed, "device": device, "warmup": warmup, "eager_calls": eager_calls,
              "ceilings_cache": ceilings_cache, "floor_slack": floor_slack, "eager_ratio_limit": eager_ratio_limit,
              "timing_calls": 0, "eager_s": None, "timing_seconds": timing_seconds,
              "reuse_references": reuse_references, "reference_cache": reference_cache,
              "fresh_if_faster_than": fresh_if_faster_than, "timing_ci": timing_ci,
              "timing_min_calls": timing_min_calls, "incumbent_s": incumbent_s, "slower_factor": slower_factor,
              "cpu_memory_cap": cpu_memory_cap, "eager_seconds": eager_seconds, "compile_ahead": compile_ahead,
              "cost_limit_s": cost_limit_s, "race": bool(race and incumbent_s)}
    job = dict(common, cases=[
        dict({"kernel": os.path.abspath(k), "reference": os.path.abspath(r), "label": label,
              "timing_calls": timing_calls if i == 0 else 0, "eager_s": eager_s if i == 0 else None,
              "baseline_kernel": os.path.abspath(baseline_kernel) if baseline_kernel and i == 0 else None,
              "footprint": (footprints or [None] * len(cases))[i]}, **spread_trials(i, len(cases), trials, seed))
        for i, (k, r, label) in enumerate(cases)])
    total = timeout * max(1, len(cases))
    with tempfile.TemporaryDirectory(prefix="kevc-eval-") as tmp:
        job_path, result_path = os.path.join(tmp, "job.json"), os.path.join(tmp, "result.json")
        with open(job_path, "w") as f:
            json.dump(job, f)
        out_path, err_path = os.path.join(tmp, "stdout.txt"), os.path.join(tmp, "stderr.txt")
        paths = ["%s.%d" % (result_path, i) for i in range(len(cases))]
        deadline = Deadline(total, paths, result_path + ".call", kill_bound(incumbent_s, kill_floor_s, kill_factor),
                            incumbent_s)
        start = time.monotonic()
        warm_info = None
        if warm is not None:
            # A warm worker (warm.py): no start-up; a crash or hang ends only it, and the pool replaces it.
            w = warm.acquire()
            since = w.stderr_size()
            given = os.environ if worker_vars is None else worker_vars
            lock = given.get("KEVC_GPU_LOCK")
            env = {"KEVC_GPU_LOCK": ("%s.%d" % (lock, w.device_index)) if lock else None,
                   "KEVC_WAIT_MARKER": given.get("KEVC_WAIT_MARKER")}
            try:
                timed_out, rc = w.run(job_path, result_path, total, paths, env, deadline=deadline)
                stderr_tail, stdout_tail = w.stderr_tail(since), ""
                identity = getattr(warm, "identity", {}).get(w.device_index) or {"index": w.device_index}
                warm_info = {"device": w.device_index, "device_name": identity.get("name"),
                             "device_uuid": identity.get("uuid"), "pid": w.process.pid,
                             "replaced": rc is not None or timed_out}
            finally:
                warm.release(w)
        else:
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                p = subprocess.Popen([sys.executable, "-m", "kevc_gpu.worker", job_path, result_path], stdout=out,
                                     stderr=err, stdin=subprocess.DEVNULL, cwd=tmp, env=worker_env(),
                                     start_new_session=True)
                timed_out = not _wait(p, total, paths, deadline=deadline)
                if timed_out:
                    _kill_group(p)
            rc = p.returncode
            stderr_tail, stdout_tail = _tail(err_path, 2000), _tail(out_path, 1000)
        elapsed = time.monotonic() - start
        results, ended = [], None
        for i, (k, r, label) in enumerate(cases):
            try:
                with open("%s.%d" % (result_path, i)) as f:
                    result = json.load(f)
            except (OSError, ValueError):
                result = None
            if ended is not None:
                result = {"label": label, "status": ended, "phase": "not run", "trials": [], "timing": None,
                          "eager": None, "roofline": None, "flags": [], "seed": seed,
                          "reason": "not run: an earlier case of this candidate ended its worker"}
            elif result is None and i == 0 and not timed_out:
                # The worker died before it touched this candidate (Python, torch or CUDA failed to start, a warm
                # worker lost before its job): the harness's failure, not the candidate's.
                result = {"label": label, "status": "harness_error", "phase": "start", "trials": [], "timing": None,
                          "eager": None, "roofline": None, "flags": [], "seed": seed,
                          "reason": "the worker exited (%s) before it started on this candidate" % rc}
                ended = "harness_error"
            elif result is None or result.get("phase") != "done":
                result = result or {"label": label, "status": "running", "phase": "start", "reason": "",
                                    "trials": [], "timing": None, "eager": None, "roofline": None, "flags": [],
                                    "seed": seed}
                phase = result.get("phase", "start")
                if timed_out and deadline.hopeless is not None:
                    # Killed by the bound: only ever inside a call of the candidate (worker.CallClock).
                    result["status"] = "timeout"
                    result["reason"] = "%s (during %s)" % (deadline.reason(), phase)
                    result["killed"] = deadline.killed()
                elif timed_out and phase in HARNESS_PHASES:
                    # The candidate's checks and timing were done: the harness's own measurement ran long.
                    result["status"] = "harness_error"
                    result["reason"] = ("killed after %.0f s during the harness's own %s (the candidate's checks and "
                                        "timing had finished)" % (total, phase))
                elif timed_out:
                    result["status"] = "timeout"
                    result["reason"] = "killed after %.0f s (during %s)" % (total, phase)
                else:
                    how = ("signal %s" % signal.Signals(-rc).name) if rc is not None and rc < 0 \
                        else "exit status %s" % rc
                    result["status"] = "crash"
                    result["reason"] = "the worker died with %s during %s" % (how, phase)
                ended = result["status"]
            elif result.get("status") == "crash":
                ended = "crash"
            result["worker"] = {"returncode": rc, "seconds": elapsed, "stderr_tail": stderr_tail,
                                "stdout_tail": stdout_tail}
            if warm_info is not None:
                result["worker"]["warm"] = warm_info
            if len(cases) > 1:
                result["worker"]["shared_by_cases"] = len(cases)
            result["kernel"], result["reference"] = os.path.abspath(k), os.path.abspath(r)
            results.append(result)
        return results


def spread_trials(i, count, trials, seed):
    """How a candidate's cases share the trials when several run in one worker (the search: the timed workload
    shape first, then the spec's small odd default shape): the timed case one trial, its distribution rotating
    with the seed (a search's reference epochs draw new seeds, so the big shape meets every distribution over a
    search), then its revalidation (and a fresh-seed trial for a candidate about to become the best); every
    other case all the distributions (at least `trials` trials), where a trial costs milliseconds. One case
    alone: `trials` trials from the first distribution, as before."""
    if count < 2:
        return {}
    if i == 0:
        return {"trials": min(1, trials), "distribution_offset": seed % DISTRIBUTION_COUNT}
    return {"trials": max(trials, DISTRIBUTION_COUNT), "distribution_offset": 0}


def worst(statuses):
    return max(statuses, key=SEVERITY.index) if statuses else "error"


def evaluate_cases(cases, time_all=False, one_worker=False, **options):
    """Evaluates (kernel, reference, label) cases, each in its own worker (or all in one with one_worker: the
    cases of one candidate); times the first case only (or all with time_all). Returns the summary: status (the
    worst), reason, and every case's result."""
    results = []
    timing_calls = options.pop("timing_calls", 50)
    eager_s = options.pop("eager_s", None)
    footprints = options.pop("footprints", None) or [None] * len(cases)
    if one_worker and not time_all:
        results = evaluate_together(cases, timing_calls=timing_calls, eager_s=eager_s, footprints=footprints,
                                    **options)
    for i, (k, r, label) in enumerate(cases if not results else []):
        calls = timing_calls if (i == 0 or time_all) else 0
        results.append(evaluate(k, r, label=label, timing_calls=calls, eager_s=eager_s if i == 0 else None,
                                footprint=footprints[i], **options))
    status = worst([c["status"] for c in results])
    reasons = ["%s: %s" % (c.get("label") or "case %d" % (i + 1), c["reason"])
               for i, c in enumerate(results) if c["status"] != "ok" and c.get("reason")]
    first = results[0] if results else {}
    return {"status": status, "reason": "; ".join(reasons), "cases": results, "timing": first.get("timing"),
            "baseline_timing": first.get("baseline_timing"),
            "eager": first.get("eager"), "roofline": first.get("roofline"),
            "flags": [f for c in results for f in c.get("flags", [])]}
