"""The evaluation worker: one process evaluates one candidate (kernel modules with KEVC metadata and launch(), one
per case, i.e. per shape) against its torch reference modules, then exits. The parent (harness.py) starts it,
enforces the timeout and classifies a crash; a sticky CUDA error therefore only ever poisons this process.

Usage (internal): python -m kevc_gpu.worker JOB.json RESULT.json
The job holds the common options (device, trials, seed, timing) and `cases` (kernel and reference files, label,
timing calls). The worker rewrites RESULT.json.<i> for case i atomically after each phase ({"status": "running",
"phase": ...}), so that the parent knows where a hang or crash happened, and writes the final result last.
"""

import contextlib
import json
import math
import os
import sys
import threading
import time
import traceback

STICKY_MARKERS = ("illegal memory access", "illegal address", "misaligned address", "unspecified launch failure",
                  "an illegal instruction", "device-side assert", "CUDA error", "cudaError", "launch failure")


class Failure(Exception):
    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _write(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, default=_json_default)
    os.replace(tmp, path)


def _json_default(o):
    if isinstance(o, float):
        return repr(o)
    return str(o)


def _finite(x):
    """JSON has no inf/nan: encode them as strings."""
    if isinstance(x, float) and not math.isfinite(x):
        return repr(x)
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x


def _stats(samples):
    s = sorted(samples)
    n = len(s)

    def q(p):
        if n == 1:
            return s[0]
        k = p * (n - 1)
        i = int(math.floor(k))
        j = min(i + 1, n - 1)
        return s[i] + (s[j] - s[i]) * (k - i)

    return {"median_s": q(0.5), "q1_s": q(0.25), "q3_s": q(0.75), "iqr_s": q(0.75) - q(0.25), "min_s": s[0],
            "max_s": s[-1], "mean_s": sum(s) / n, "calls": n}


def _process_start_time():
    """This process's start (wall clock, seconds since the epoch), from /proc; now where /proc is missing."""
    try:
        with open("/proc/self/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime"))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return time.time()


def _is_sticky(exc_text):
    return any(m.lower() in exc_text.lower() for m in STICKY_MARKERS)


def _is_out_of_memory(text):
    return "OutOfMemoryError" in text or "out of memory" in text.lower()


def _is_compile_error(exc):
    name = type(exc).__name__
    mod = type(exc).__module__ or ""
    return (name in ("CompilationError", "CompileTimeAssertionFailure", "PTXASError", "OutOfResources",
                     "SyntaxError", "IndentationError")
            or (mod.startswith("triton") and "compil" in (name + mod).lower()))


class Worker:
    def __init__(self, job, result_path):
        self.job = job
        self.result_path = result_path
        self.result = {"label": job.get("label", ""), "status": "running", "phase": "start", "reason": "",
                       "trials": [], "timing": None, "eager": None, "roofline": None, "flags": [],
                       "seed": job["seed"]}
        # Interpreter start-up and this module's imports happened before: counted from the process's start.
        self._phase_start = time.monotonic() - (time.time() - _process_start_time())

    def phase(self, name):
        # Seconds spent in each phase so far (the one ending now included): where a candidate's worker time goes
        # (start-up and imports, compile on the first call, the float64 reference, waiting for the device, timing).
        now = time.monotonic()
        last = self.result["phase"]
        key = last.split(" (")[0]
        seconds = self.result.setdefault("phase_seconds", {})
        seconds[key] = round(seconds.get(key, 0.0) + now - self._phase_start, 4)
        self._phase_start = now
        self.result["phase"] = name
        _write(self.result_path, _finite(self.result))

    @contextlib.contextmanager
    def holding_device(self, mode):
        """The device lock in `mode` ("shared" or "exclusive"), with the phase saying "waiting for the device"
        until it is held (the harness does not count that wait against the timeout), then back to what it was."""
        name = self.result["phase"]
        self.phase("waiting for the device")
        marker = os.environ.get("KEVC_WAIT_MARKER")  # the same, for the search's worker pool (WorkerPool.swift)
        if marker:
            open(marker, "a").close()
        try:
            with getattr(self.lock, mode)():
                if marker and os.path.exists(marker):
                    os.unlink(marker)
                self.phase(name)
                yield
        finally:
            if marker and os.path.exists(marker):
                os.unlink(marker)

    # -- setup -----------------------------------------------------------------------------------------------
    def setup(self):
        import torch
        from . import inputs as inp
        from . import modules
        self.torch = torch
        self.inp = inp
        dev = self.job.get("device", "cuda")
        if dev == "cuda" and not torch.cuda.is_available():
            raise Failure("error", "no CUDA device is available to this worker")
        self.device = torch.device(dev)
        self.cuda = self.device.type == "cuda"
        self.phase("load-reference")
        try:
            self.ref = modules.load_module(self.job["reference"])
        except Exception as e:
            raise Failure("error", "cannot load the reference module: %s" % _short(e))
        self.phase("load-kernel")
        # Remember the functions timing depends on; a candidate that patches them is flagged.
        self.guarded = self._guarded_functions()
        try:
            self.kernel = modules.load_module(self.job["kernel"])
        except Exception as e:
            raise Failure("compile_error", "cannot import the kernel module: %s" % _short(e))
        meta = getattr(self.kernel, "KEVC", None)
        if not isinstance(meta, dict) or not callable(getattr(self.kernel, "launch", None)):
            raise Failure("compile_error", "the kernel module has no KEVC metadata dict or no launch() function")
        self.params, self.results = modules.signature(meta)
        rparams, rresults = modules.signature(self.ref.KEVC_REFERENCE)
        for what, a, b in (("parameters", self.params, rparams), ("results", self.results, rresults)):
            ka = [(e["name"], e["dtype"], e["shape"]) for e in a]
            kb = [(e["name"], e["dtype"], e["shape"]) for e in b]
            if ka != kb:
                raise Failure("wrong", "the kernel's %s %s differ from the reference's %s" % (what, ka, kb))
        # The reference's domains are authoritative for input generation.
        self.params = rparams
        # The precision each result is computed in (its comparison's tolerance), when the reference names it.
        self.tolerance = {str(r["name"]): r.get("tolerance") for r in self.ref.KEVC_REFERENCE.get("results", [])}
        # A schedule that reads a dot's operands in a reduced precision (precision(y, tf32 | bf16)) names the
        # precision its results are computed in; the coarser of the two applies (tf32x3 keeps f32's).
        from .tolerance import coarser
        for name, t in (meta.get("tolerance") or {}).items():
            mine = self.tolerance.get(str(name))
            self.tolerance[str(name)] = coarser(mine, t) if mine else t

    def _guarded_functions(self):
        torch = self.torch
        fns = {"torch.cuda.synchronize": torch.cuda.synchronize, "time.perf_counter": time.perf_counter}
        if hasattr(torch.cuda, "Event"):
            fns["torch.cuda.Event.elapsed_time"] = torch.cuda.Event.elapsed_time
            fns["torch.cuda.Event.record"] = torch.cuda.Event.record
        return fns

    def check_guards(self):
        torch = self.torch
        now = self._guarded_functions()
        for k, f in self.guarded.items():
            if now.get(k) is not f:
                self.flag("the candidate replaced %s" % k)

    def flag(self, text):
        if text not in self.result["flags"]:
            self.result["flags"].append(text)

    def sync(self):
        if self.cuda:
            self.torch.cuda.synchronize()

    # -- one call --------------------------------------------------------------------------------------------
    def call(self, args):
        """Launches the candidate and waits for all streams; converts exceptions into a classified Failure."""
        threads = threading.active_count()
        try:
            self.kernel.launch(**args)
            self.sync()
        except Failure:
            raise
        except BaseException as e:  # noqa: BLE001 - every exception of a candidate is classified
            text = _short(e)
            if _is_compile_error(e):
                raise Failure("compile_error", "compilation failed: %s" % text)
            sticky = self.cuda and (_is_sticky(text) or not self._device_usable())
            if sticky:
                raise Failure("crash", "sticky CUDA error: %s" % text)
            raise Failure("crash", "exception in launch: %s" % text)
        if threading.active_count() > threads:
            self.flag("the candidate left %d new thread(s) running after launch"
                      % (threading.active_count() - threads))

    def _device_usable(self):
        try:
            self.torch.zeros(1, device=self.device).add_(1)
            self.torch.cuda.synchronize()
            return True
        except Exception:
            return False

    # -- correctness -----------------------------------------------------------------------------------------
    def trials(self):
        from .tolerance import compare
        torch = self.torch
        base = self.job["seed"]
        n = self.job.get("trials", 5)
        dists = self.inp.DISTRIBUTIONS
        for t in range(n):
            seed = self.inp.trial_seed(base, t)
            dist = dists[t % len(dists)]
            self.phase("trial %d (%s)" % (t + 1, dist))
            values = self.inp.generate(self.params, seed, dist, self.device)
            expected = self.ref.reference({k: v.clone() for k, v in values.items()}, device=self.device)
            snapshot = {k: v.clone() for k, v in values.items()}
            outs = self.inp.poisoned(self.results, self.device)
            args = dict(self.inp.kernel_arguments(self.params, values))
            args.update(outs)
            self.call(args)
            trial = {"seed": seed, "distribution": dist, "results": {}, "inputs_written": []}
            for p in self.params:
                a, b = values[p["name"]], snapshot[p["name"]]
                if not _bitwise_equal(torch, a, b):
                    trial["inputs_written"].append(p["name"])
            worst = None
            for r in self.results:
                c = compare(outs[r["name"]], expected[r["name"]], r["dtype"], self.tolerance.get(r["name"]))
                trial["results"][r["name"]] = c
                if not c["passed"] and (worst is None or c["kind"] == "nan"):
                    worst = (r["name"], c)
            self.result["trials"].append(trial)
            if trial["inputs_written"]:
                raise Failure("wrong", "trial %d (%s, seed %d): the kernel wrote its input(s) %s"
                              % (t + 1, dist, seed, ", ".join(trial["inputs_written"])))
            if worst is not None:
                name, c = worst
                raise Failure(c["kind"], "trial %d (%s, seed %d): result '%s': %s" % (t + 1, dist, seed, name, c["reason"]))
        self.last_values = values

    # -- timing ----------------------------------------------------------------------------------------------
    def timed(self, fn, calls, warmup, warm_seconds=0.2, budget_s=None):
        """The median of `calls` timed calls after `warmup` untimed ones. With budget_s, a call so slow that warm-up
        and timing would take longer than budget_s seconds gets fewer calls (at least 3) and no further warm-up:
        the search's mutants include kernels 1000x slower than the best (685 ms a call seen for a layernorm), whose
        50 timed calls held the device from every other worker for half a minute and only confirmed a loss."""
        torch = self.torch
        requested = calls
        for _ in range(warmup):
            t0 = time.perf_counter()
            fn()
            self.sync()
            once = time.perf_counter() - t0
            if budget_s is not None and once * (warmup + calls) > budget_s:
                calls = max(3, min(calls, int(budget_s / once)))
                warmup = 0  # a call this long is its own warm-up: no warm_seconds loop either
                break
        # Keep warming up for warm_seconds of wall time (at most 2000 calls): a GPU that sat idle while this
        # worker started and compiled runs at idle clocks (345 MHz seen on the H200), and a few calls of a
        # microsecond kernel do not bring it back up.
        # Only on a GPU, and only when warm-up was asked for (warmup=0 times the very first calls on purpose).
        start = time.perf_counter()
        extra = 0
        while self.cuda and warmup > 0 and calls > 0 and extra < 2000 and time.perf_counter() - start < warm_seconds:
            fn()
            self.sync()
            extra += 1
        flush = None
        trip = 0.0
        if self.cuda:
            l2 = getattr(torch.cuda.get_device_properties(self.device), "L2_cache_size", 50 << 20) or (50 << 20)
            flush = torch.empty(max(2 * l2, 256 << 20), dtype=torch.uint8, device=self.device)
            trip = self.sync_round_trip()
        events, host, stream, after = [], [], [], []
        for i in range(calls):
            if flush is not None:
                flush.fill_(i & 0xFF)  # a write of >= 2x L2 evicts inputs and outputs of the previous call
                start, launched, end = (torch.cuda.Event(enable_timing=True) for _ in range(3))
                start.record()
                h0 = time.perf_counter()
                fn()
                launched.record()  # on the launching stream: its own work ends here
                torch.cuda.synchronize()  # every stream
                end.record()
                h1 = time.perf_counter()
                end.synchronize()
                on_stream = start.elapsed_time(launched) / 1e3
                # launched -> end is one host round trip, plus whatever other streams were still running when
                # the launching stream finished: that work is part of the call; the round trip is not (the
                # PyTorch baselines are timed without it).
                left = launched.elapsed_time(end) / 1e3
                events.append(on_stream + max(0.0, left - trip))
                stream.append(on_stream)
                after.append(left)
                host.append(h1 - h0)
            else:
                h0 = time.perf_counter()
                fn()
                h1 = time.perf_counter()
                host.append(h1 - h0)
        out = _stats(events if events else host)
        if calls < requested:
            out["budget"] = {"seconds": budget_s, "requested_calls": requested}
        out["host"] = _stats(host)
        out["method"] = "cuda-events+synchronize" if events else "host-clock"
        if events:
            out["launching_stream"] = _stats(stream)
            out["after_launching_stream"] = _stats(after)
            out["sync_round_trip_s"] = trip
        return out

    def sync_round_trip(self, samples=30):
        """The 90th percentile of an empty interval closed after a synchronize of every stream: what a timed call's
        interval holds beyond the GPU's work when the host waits for it."""
        torch = self.torch
        trips = []
        for _ in range(samples):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            torch.cuda.synchronize()
            b.record()
            b.synchronize()
            trips.append(a.elapsed_time(b) / 1e3)
        trips.sort()
        return trips[int(0.9 * (len(trips) - 1))]

    def timing(self):
        calls = self.job.get("timing_calls", 50)
        if calls <= 0:
            return
        warmup = self.job.get("warmup", 5)
        values = self.last_values if hasattr(self, "last_values") else self.inp.generate(
            self.params, self.job["seed"], "normal", self.device)
        outs = self.inp.poisoned(self.results, self.device)
        args = dict(self.inp.kernel_arguments(self.params, values))
        args.update(outs)
        self.phase("timing")
        with self.holding_device("shared"):
            self.call(args)  # any failure in the timed path is classified, not timed
        with self.holding_device("exclusive"):  # only the timed calls own the GPU
            self.result["timing"] = self.timed(lambda: self.kernel.launch(**args), calls, warmup,
                                               budget_s=self.job.get("timing_seconds"))
        with self.holding_device("shared"):
            self.after_timing(values, outs, calls)

    def after_timing(self, values, outs, calls):
        """Revalidation, the eager baseline and the roofline, after the timed calls (under the shared lock)."""
        # Results must still be right after the timed calls, for new values in the same buffers (a kernel that
        # caches results by pointer, or only computes on the first call, fails here).
        self.phase("revalidation")
        from .tolerance import compare
        seed = self.inp.trial_seed(self.job["seed"], 1000)
        fresh = self.inp.generate(self.params, seed, "normal", self.device)
        for p in self.params:
            if len(p["shape"]) > 0:
                values[p["name"]].copy_(fresh[p["name"]])
        fresh_args = dict(self.inp.kernel_arguments(self.params, fresh))
        for p in self.params:
            if len(p["shape"]) > 0:
                fresh_args[p["name"]] = values[p["name"]]
        for o in outs.values():
            self.inp.poison_(o)
        fresh_args.update(outs)
        expected = self.ref.reference({k: v.clone() for k, v in fresh.items()}, device=self.device)
        self.call(fresh_args)
        for r in self.results:
            c = compare(outs[r["name"]], expected[r["name"]], r["dtype"], self.tolerance.get(r["name"]))
            if not c["passed"]:
                raise Failure(c["kind"], "after timing, with new inputs in the same buffers: result '%s': %s"
                              % (r["name"], c["reason"]))

        # PyTorch eager baseline: the reference module's computation in the spec's dtypes.
        self.phase("eager baseline")
        given = self.job.get("eager_s")
        if given is not None:
            # A real PyTorch time measured by the caller (the benchmark's own baseline), used as is.
            self.result["eager"] = {"median_s": float(given), "source": "given"}
        elif self.job.get("eager_calls", 10) <= 0:
            self.result["eager"] = None  # not asked for (the search: it only ever compares candidates' times)
        else:
            try:
                eager_calls = max(3, min(calls, self.job.get("eager_calls", 10)))
                ev = {k: v for k, v in fresh.items()}
                self.ref.eager(ev, device=self.device)
                self.sync()
                self.result["eager"] = self.timed_alone(
                    lambda: self.timed(lambda: self.ref.eager(ev, device=self.device), eager_calls, 1,
                                       warm_seconds=0))
            except Exception as e:
                self.result["eager"] = {"error": _short(e)}

        self.phase("roofline")
        self.roofline(fresh)
        self.check_guards()
        t = self.result["timing"]["median_s"]
        e = self.result["eager"] or {}
        # The 10x check needs a real PyTorch time (--eager-s, measured by the caller with the library calls a user
        # would write). The reference module's eager path is a chunked, vectorised evaluation of the IR, not what
        # PyTorch users run: on the H200 it took 12.5 ms for an rmsnorm that torch runs in 0.45 ms, so a ratio
        # against it flagged honest kernels (and the search then discarded them). Impossible speed without a
        # given baseline is caught by the roofline-floor check alone.
        given = e.get("source") == "given"
        if (self.cuda and given and "median_s" in e and t > 0
                and e["median_s"] / t > self.job.get("eager_ratio_limit", 10.0)):
            self.flag("more than %gx faster than PyTorch (%.3g s vs %.3g s, the caller's PyTorch time)"
                      % (self.job.get("eager_ratio_limit", 10.0), t, e["median_s"]))

    def timed_alone(self, fn):
        """fn() with the GPU to itself, from inside a shared section: the shared hold is dropped and the exclusive
        one taken (never both: flock would convert the lock in place), then the shared one taken back."""
        self.lock.release_shared()
        try:
            with self.holding_device("exclusive"):
                return fn()
        finally:
            name = self.result["phase"]
            self.phase("waiting for the device")
            self.lock.acquire_shared()
            self.phase(name)

    def roofline(self, values):
        from . import ceilings
        try:
            def measure():
                return self.ref.measured_cost({k: v.clone() for k, v in values.items()}, device=self.device)
            if getattr(self.ref, "COST_DEPENDS_ON_INPUTS", True) is False:
                cost = ceilings.measured_cost(self.job["reference"], measure, self.job.get("ceilings_cache"))
            else:
                cost = measure()
                cost["source"] = "measured"
        except Exception as e:
            cost = dict(getattr(self.ref, "COST", {}))
            cost["source"] = "static (measured_cost failed: %s)" % _short(e)
        static = dict(getattr(self.ref, "COST", {}))
        ceil = self.timed_alone(lambda: ceilings.get(self.device, self.job.get("ceilings_cache"))) if self.cuda else None
        roof = {"bytes": cost.get("bytes"), "bytes_read": cost.get("bytes_read"),
                "bytes_written": cost.get("bytes_written"), "flops": cost.get("flops"), "cost_source": cost["source"],
                "static_cost": static, "ceilings": ceil}
        if ceil:
            l2 = ceil.get("l2_bytes", 0)
            # Writes smaller than L2 may still sit in the cache when the call ends: count only what must leave it.
            written = cost.get("bytes_written") or 0
            read = cost.get("bytes_read")
            moved = (read if read is not None else (cost.get("bytes") or 0) - written) + max(0, written - l2)
            t_mem = moved / ceil["bandwidth_bytes_per_s"]
            t_math = (cost.get("flops") or 0) / ceil["peak_flops_per_s"]
            floor = max(t_mem, t_math)
            t = self.result["timing"]["median_s"]
            roof.update({"floor_s": floor, "memory_s": t_mem, "compute_s": t_math,
                         "bound": "memory" if t_mem >= t_math else "compute",
                         "fraction_of_floor": floor / t if t > 0 else None})
            slack = self.job.get("floor_slack", 0.9)
            if t < slack * floor:
                self.flag("faster than the roofline floor (median %.3g s < %.3g s = max(bytes / bandwidth, "
                          "flops / peak))" % (t, floor))
        self.result["roofline"] = roof

    # -- main ------------------------------------------------------------------------------------------------
    def checks(self):
        """Set-up and the correctness trials, under the shared lock: other workers' checks run at the same time.
        Their memory adds up (attention at B=4, H=32, S=2048: a float64 reference of ~20 GB per worker), so an
        out-of-memory error there is the concurrency's, not the candidate's: the worker frees what it holds and
        runs the trials again with the device to itself. A candidate that runs out of memory alone fails (crash)."""
        try:
            with self.holding_device("shared"):
                self.setup()
                self.trials()
                self.release_cached_memory()
            return
        except Failure as f:
            if f.status not in ("crash", "error") or not _is_out_of_memory(f.reason) or "sticky" in f.reason:
                raise
            reason = f.reason
        except Exception as e:  # noqa: BLE001 - the float64 reference or input generation ran out of memory
            if not _is_out_of_memory(_short(e)):
                raise
            reason = _short(e)
        self.result["retried_alone"] = reason[:300]
        self.result["trials"] = []
        if hasattr(self, "last_values"):
            del self.last_values
        self.release_cached_memory()
        with self.holding_device("exclusive"):
            if not hasattr(self, "kernel"):
                self.setup()
            self.trials()

    def release_cached_memory(self):
        """Returns the blocks PyTorch's caching allocator keeps after the checks (the float64 reference's, up to
        tens of GB) to the device: this worker now waits for its timing turn, and other workers' checks need them."""
        import gc
        gc.collect()
        if getattr(self, "cuda", False):
            self.torch.cuda.empty_cache()

    def run(self):
        from .device_lock import DeviceLock
        self.lock = DeviceLock(os.environ.get("KEVC_GPU_LOCK"))
        try:
            self.checks()
            if self.job.get("timing_calls", 50) > 0:
                self.timing()  # timed calls, eager timing and ceilings own the GPU (exclusive); the rest is shared
            self.result["status"] = "flagged" if self.result["flags"] else "ok"
            self.result["reason"] = "; ".join(self.result["flags"])
            code = 0
        except Failure as f:
            self.result["status"] = f.status
            self.result["reason"] = f.reason
            code = 3 if f.status == "crash" else 0
        except BaseException as e:  # noqa: BLE001
            self.result["status"] = "crash"
            self.result["reason"] = "harness exception: %s" % _short(e)
            self.result["traceback"] = traceback.format_exc()[-4000:]
            code = 3
        self.phase("done")
        self.lock.close()  # the next case of a one-worker job opens its own
        return code


def _bitwise_equal(torch, a, b):
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.numel() == 0:
        return True
    x = a.contiguous().reshape(-1)
    y = b.contiguous().reshape(-1)
    if x.dtype == torch.bool:
        return bool(torch.equal(x.view(torch.uint8), y.view(torch.uint8)))
    if x.dtype.itemsize in (1, 2, 4, 8):
        view = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[x.dtype.itemsize]
        return bool(torch.equal(x.view(view), y.view(view)))
    return bool(torch.equal(x, y))


def _short(e, limit=1500):
    text = "%s: %s" % (type(e).__name__, e)
    return text if len(text) <= limit else text[:limit] + "..."


def run_cases(job, result_path):
    """The cases of one candidate (its shapes; often just one) in this one process, in order: each case's result
    goes to RESULT.json.<i>. Python, torch and CUDA start once, not once per case. A case that crashes ends the
    worker (its process may hold a sticky CUDA error): the harness reports the cases after it as not run."""
    common = {k: v for k, v in job.items() if k != "cases"}
    code = 0
    for i, case in enumerate(job["cases"]):
        w = Worker(dict(common, **case), "%s.%d" % (result_path, i))
        if i > 0:
            w._phase_start = time.monotonic()  # start-up was the first case's
        code = w.run()
        if code != 0 or w.result.get("status") == "crash":
            return code or 3
        try:
            import torch
            if torch.cuda.is_available():
                torch.cuda.empty_cache()  # the next case's memory, not this one's leftovers
        except Exception:  # noqa: BLE001 - freeing memory is best effort
            pass
    return code


def main(argv):
    if len(argv) != 3:
        print("usage: python -m kevc_gpu.worker JOB.json RESULT.json", file=sys.stderr)
        return 2
    from .harness import die_with_parent
    die_with_parent()  # the harness that started this worker is its only reason to run
    with open(argv[1]) as f:
        job = json.load(f)
    code = run_cases(job, argv[2])
    sys.stdout.flush()
    sys.stderr.flush()
    # A sticky CUDA error makes normal interpreter shutdown unreliable: leave at once.
    os._exit(code)


if __name__ == "__main__":
    main(sys.argv)
