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
import mmap
import os
import struct
import sys
import threading
import time
import traceback

# The PyTorch eager baseline's seconds (warm-up call included): a reference slower than that is timed by one call.
EAGER_SECONDS = 10.0
WAITING = "waiting for the device"  # the phase while the device lock is awaited, ": shared" or ": exclusive" added

STICKY_MARKERS = ("illegal memory access", "illegal address", "misaligned address", "unspecified launch failure",
                  "an illegal instruction", "device-side assert", "CUDA error", "cudaError", "launch failure")


class Failure(Exception):
    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class HarnessOutOfMemory(Exception):
    """The harness's own work (drawing inputs, the float64 reference, snapshots, poisoned outputs, comparisons, the
    L2 flush buffer) ran out of device or host memory: an infrastructure event, never the candidate's fault."""

    def __init__(self, what, text):
        super().__init__("%s: %s" % (what, text))
        self.what = what
        self.text = text


@contextlib.contextmanager
def harness_work(what):
    """Marks the harness's own work: an out-of-memory error inside it (torch.cuda.OutOfMemoryError, a CUDA
    'out of memory' RuntimeError, a host MemoryError) becomes HarnessOutOfMemory; anything else passes through."""
    try:
        yield
    except (Failure, HarnessOutOfMemory):
        raise
    except BaseException as e:  # noqa: BLE001 - only out-of-memory errors are converted
        if isinstance(e, MemoryError) or _is_out_of_memory(_short(e)):
            raise HarnessOutOfMemory(what, _short(e, 300)) from None
        raise


@contextlib.contextmanager
def contract_flags(torch, contract):
    """PyTorch's TF32 flags for an accuracy contract of f32 contractions (MatmulPrecision.swift), restored after:
    `highest` TF32 off for cuBLAS matmuls and cuDNN convolutions, `high` and `medium` on for both. (Only the
    `allow_tf32` flags: torch 2.9+ refuses to mix them with set_float32_matmul_precision, and they cannot ask for
    `medium`'s bf16, so `medium` measures with TF32: an error no larger, the bound no wider.)"""
    matmul = getattr(getattr(torch.backends, "cuda", None), "matmul", None)
    cudnn = getattr(torch.backends, "cudnn", None)
    old = (getattr(matmul, "allow_tf32", None), getattr(cudnn, "allow_tf32", None))
    reduced = contract in ("high", "medium")
    try:
        if matmul is not None and old[0] is not None:
            matmul.allow_tf32 = reduced
        if cudnn is not None and old[1] is not None:
            cudnn.allow_tf32 = reduced
        yield
    finally:
        if matmul is not None and old[0] is not None:
            matmul.allow_tf32 = old[0]
        if cudnn is not None and old[1] is not None:
            cudnn.allow_tf32 = old[1]


class CallClock:
    """Since when the candidate's own code has been running, for the parent's kill bound (harness.kill_bound): 8
    bytes (a float, time.monotonic(), CLOCK_MONOTONIC on Linux and so the parent's clock too; 0.0: no candidate call
    running) in the file RESULT.json.call, written through a shared mapping, so that marking every one of
    thousands of timed calls costs a store and no system call. `begin()` before one call of the candidate
    (Worker.call, each warm-up and timed call), `end()` after it; a Triton compile inside the call stops the clock
    and the call's time starts again after it (held.compile_listener): a compile is not the kernel running. The
    harness's own phases (inputs, the float64 reference, comparisons, the eager baseline) never begin it. Without
    a path (a Worker made directly): nothing is written."""

    def __init__(self, path=None):
        self.map = None
        self.running = False
        if path:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.ftruncate(fd, 8)
                self.map = mmap.mmap(fd, 8)
            finally:
                os.close(fd)

    def _store(self, value):
        if self.map is not None:
            self.map[0:8] = struct.pack("d", value)

    def begin(self):
        self.running = True
        self._store(time.monotonic())

    def end(self):
        self.running = False
        self._store(0.0)

    def compiling(self, started):
        """A Triton compile started (True) or ended (False) inside whatever runs now."""
        if self.running:
            self._store(0.0 if started else time.monotonic())

    @contextlib.contextmanager
    def call(self):
        self.begin()
        try:
            yield
        finally:
            self.end()

    def close(self):
        if self.map is not None:
            self.end()
            self.map.close()
            self.map = None


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


def median_interval(samples, z=1.96):
    """The distribution-free ~95% confidence interval of the median: the order statistics of ranks
    (n - z sqrt(n)) / 2 and 1 + (n + z sqrt(n)) / 2 (1-based), clamped to the samples."""
    s = sorted(samples)
    n = len(s)
    half = z * math.sqrt(n)
    lo = max(1, int(math.floor((n - half) / 2)))
    hi = min(n, int(math.ceil(1 + (n + half) / 2)))
    return s[lo - 1], s[hi - 1]


class StopRule:
    """When timed calls may stop (docs/gpu-harness.md, "Adaptive timing"): "slower" once, after at least 3 calls,
    the fastest call is more than `factor` times the incumbent's median (the candidate cannot become the best:
    recorded as slower with the samples taken); "ci" once, after at least `min_calls`, the median's ~95% confidence
    interval is within `ci` of the median on either side. None: keep going (up to the requested calls)."""

    def __init__(self, ci=None, min_calls=10, incumbent=None, factor=2.0):
        self.ci, self.min_calls, self.incumbent, self.factor = ci, max(3, min_calls), incumbent, factor

    def __call__(self, samples):
        return self.slower(samples) or self.tight(samples)

    def slower(self, samples):
        if self.incumbent and len(samples) >= 3 and min(samples) > self.factor * float(self.incumbent):
            return "slower"
        return None

    def tight(self, samples):
        if not self.ci or len(samples) < self.min_calls:
            return None
        lo, hi = median_interval(samples)
        median = _stats(samples)["median_s"]
        return "ci" if median > 0 and (hi - lo) / 2 <= self.ci * median else None

    def slower_only(self):
        return self.slower


def warmed_up(times, window=8, tolerance=0.02):
    """Whether warm-up calls stopped getting faster: the median of the last `window` within `tolerance` of the
    median of the `window` before."""
    if len(times) < 2 * window:
        return False
    last = sorted(times[-window:])[window // 2]
    prev = sorted(times[-2 * window:-window])[window // 2]
    return prev > 0 and abs(last - prev) <= tolerance * prev


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
    # torch's CPU allocator says "can't allocate memory" (a process over its data limit: the CPU tests' memory cap).
    return "OutOfMemoryError" in text or "out of memory" in text.lower() or "can't allocate memory" in text.lower()


def _is_compile_error(exc):
    name = type(exc).__name__
    mod = type(exc).__module__ or ""
    return (name in ("CompilationError", "CompileTimeAssertionFailure", "PTXASError", "OutOfResources",
                     "SyntaxError", "IndentationError")
            or (mod.startswith("triton") and "compil" in (name + mod).lower()))


_LEEWAY_ANY = "\x00any_value:"
_LEEWAY_ALT_INDEX = "\x00alternative_index:"
_LEEWAY_ALT_VALUE = "\x00alternative_value:"
_LEEWAY_DTYPE_ERROR = "\x00dtype_error:"


def _pack_leeway(torch, outputs, leeway, device):
    """The reference outputs with their leeway as extra tensors under reserved names (a NUL-prefixed key no result
    can have), so that the reference cache stores and moves one dict of tensors: any_value as is, alternatives as
    flat indices (one per value) and their values."""
    packed = dict(outputs)
    for name, rule in leeway.items():
        if rule.get("any_value") is not None:
            packed[_LEEWAY_ANY + name] = rule["any_value"]
        alternatives = rule.get("alternatives") or {}
        if alternatives:
            index = [int(i) for i, vs in alternatives.items() for _ in vs]
            value = [float(v) for vs in alternatives.values() for v in vs]
            packed[_LEEWAY_ALT_INDEX + name] = torch.tensor(index, dtype=torch.int64, device=device)
            packed[_LEEWAY_ALT_VALUE + name] = torch.tensor(value, dtype=torch.float64, device=device)
        if rule.get("dtype_error") is not None:
            packed[_LEEWAY_DTYPE_ERROR + name] = torch.tensor(float(rule["dtype_error"]), dtype=torch.float64,
                                                              device=device)
    return packed


def _unpack_leeway(packed):
    """The inverse of _pack_leeway: (outputs, leeway); the reference cache's scale terms (references.SCALE) go
    into the leeway as `scale`, compare()'s argument."""
    from . import references
    outputs, leeway = {}, {}
    for key, t in packed.items():
        if key.startswith(_LEEWAY_ANY):
            leeway.setdefault(key[len(_LEEWAY_ANY):], {})["any_value"] = t
        elif key.startswith(_LEEWAY_ALT_INDEX):
            name = key[len(_LEEWAY_ALT_INDEX):]
            alternatives = {}
            for i, v in zip(t.tolist(), packed[_LEEWAY_ALT_VALUE + name].tolist()):
                alternatives.setdefault(i, []).append(v)
            leeway.setdefault(name, {})["alternatives"] = alternatives
        elif key.startswith(_LEEWAY_DTYPE_ERROR):
            leeway.setdefault(key[len(_LEEWAY_DTYPE_ERROR):], {})["dtype_error"] = float(t)
        elif key.startswith(_LEEWAY_ALT_VALUE):
            continue
        elif key.startswith(references.SCALE):  # the reference cache's scale term: compare's `scale`
            leeway.setdefault(key[len(references.SCALE):], {})["scale"] = t
        else:
            outputs[key] = t
    for rule in leeway.values():
        rule.setdefault("alternatives", {})
    return outputs, leeway


class Worker:
    def __init__(self, job, result_path):
        self.job = job
        self.result_path = result_path
        self.result = {"label": job.get("label", ""), "status": "running", "phase": "start", "reason": "",
                       "trials": [], "timing": None, "eager": None, "roofline": None, "flags": [],
                       "seed": job["seed"]}
        self.timing_setup = None
        self.quiet = False  # no result file yet (a case prepared ahead of its turn: run_cases)
        self.prepared = False
        self.setup_failure = None
        self.keep_shared = False  # hand the shared hold at the end of the timing to the next case (run_cases)
        self.lock = None
        self.clock = CallClock()  # run_cases gives the job's (RESULT.json.call)
        from .held import Ledger
        self.ledger = Ledger()  # the time the device lock was held, by what ran under it (held.py)
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
        if not self.quiet:
            _write(self.result_path, _finite(self.result))

    def pause(self):
        """Stops the phase clock (the running phase's seconds so far are counted): this case was prepared ahead
        and waits for its turn while the cases before it run (run_cases)."""
        now = time.monotonic()
        key = self.result["phase"].split(" (")[0]
        seconds = self.result.setdefault("phase_seconds", {})
        seconds[key] = round(seconds.get(key, 0.0) + now - self._phase_start, 4)
        self._phase_start = now

    def resume(self):
        """The case's turn: its phase clock runs again and its result file is written from now on."""
        self.quiet = False
        self._phase_start = time.monotonic()

    def wait_for_device(self, mode):
        """Takes the device lock in `mode` ("shared" or "exclusive"), the phase saying "waiting for the device:
        MODE" until it is held (the harness does not count that wait against the timeout; worker_report keeps the
        shared and the exclusive wait apart), then back to what it was."""
        name = self.result["phase"]
        self.phase(WAITING + ": " + mode)
        marker = os.environ.get("KEVC_WAIT_MARKER")  # the same, for the search's worker pool (WorkerPool.swift)
        if marker:
            open(marker, "a").close()
        try:
            getattr(self.lock, "acquire_" + mode)()
        finally:
            if marker and os.path.exists(marker):
                os.unlink(marker)
        self.phase(name)

    @contextlib.contextmanager
    def holding_device(self, mode):
        """The device lock in `mode` for the body (wait_for_device); a shared hold the case before handed over
        (run_cases) is used as it is, with no new queue."""
        if not (mode == "shared" and self.lock.mode == "shared"):
            self.wait_for_device(mode)
        try:
            yield
        finally:
            getattr(self.lock, "release_" + mode)()

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
        # precision its results are computed in; the coarser of the two applies (tf32x3 and bf16x3 keep f32's).
        from .tolerance import coarser
        for name, t in (meta.get("tolerance") or {}).items():
            mine = self.tolerance.get(str(name))
            self.tolerance[str(name)] = coarser(mine, t) if mine else t
        # The kernel's accuracy contract for f32 contractions (absent: `highest`): the precision PyTorch computes
        # in when the dtype's own error is measured (measure_dtype_error).
        self.contract = str(meta.get("matmul_precision") or "highest")
        self.slice_elements = self.reference_chunking()
        # Triton compiles a kernel at its first launch: here instead, before any lock (compile_ahead), for the
        # candidate and the paired baseline, so that no compile holds the device from other workers' timings.
        self.phase("compile ahead")
        if self.job.get("compile_ahead", True):
            self.compile_ahead(self.kernel, "the kernel")
            if self.cuda:  # the fused comparison's kernel for the results' dtypes (tolerance.compare)
                from . import fused_compare
                with self.ledger.part("compile"):
                    fused_compare.compile_ahead(self.torch, [self.inp.NATIVE[r["dtype"]] for r in self.results])
        self.baseline_module = self.load_baseline_module()

    def reference_chunking(self):
        """Elements per slice of the chunked float64 reference, or None for the reference whole: the plan the job
        declares (`footprint`: EvaluationFootprint.swift's figure and plan, computed once from the bound IR, never
        here). A problem whose reference cannot fit even in slices is `harness_error` with the plan's reason,
        before anything is allocated."""
        plan = self.job.get("footprint")
        if not plan:
            return None
        self.result["footprint"] = plan
        mode = plan.get("reference", "whole")
        if mode == "too_large":
            raise Failure("harness_error", "the float64 reference cannot fit the device memory, even in slices: %s"
                          % plan.get("reason", ""))
        if mode != "slices":
            return None
        if not hasattr(self.ref, "reference_slices"):
            raise Failure("harness_error", "the plan computes the float64 reference in slices, and the reference "
                          "module has no reference_slices()")
        elements = max(1, int(plan["slice_elements"]))
        self.result["reference_mode"] = {"mode": "slices", "slice_elements": elements,
                                         "footprint_bytes": plan.get("footprint_bytes"),
                                         "budget_bytes": plan.get("budget_bytes")}
        return elements

    def check_results(self, outs, expected, reference_inputs, leeway=None):
        """Compares every result with the float64 reference: `expected` computed whole (with the leeway its
        reference allows per result, see expected()), or (expected None, the chunked mode) computed from
        `reference_inputs` slice by slice over each result's first axis and compared as the slices come
        (tolerance.StreamingCompare: the same rule and verdict, without leeway: a sliced reference is strict)."""
        from .tolerance import compare, StreamingCompare
        from . import memory
        if expected is not None:
            leeway = leeway or {}
            chunk = memory.check_elements(self.torch, self.device)
            self.result["check_elements"] = chunk
            return {r["name"]: compare(outs[r["name"]], expected[r["name"]], r["dtype"], self.tolerance.get(r["name"]),
                                       chunk=chunk, **leeway.get(r["name"], {}))
                    for r in self.results}
        slices = 0
        start = time.perf_counter()
        with harness_work("the float64 reference (in slices)"):
            # Sized from the memory free now (other processes share the card), within the budget's figure; the
            # comparison's pieces from what is left beside a slice and its evaluation (16 bytes an element).
            elements = memory.slice_elements(self.torch, self.device, self.ref, self.slice_elements)
            chunk = memory.check_elements(self.torch, self.device, reserved=16 * elements)
            self.result["check_elements"] = chunk
            streams = {r["name"]: StreamingCompare(r["dtype"], r["shape"], self.tolerance.get(r["name"]), chunk=chunk)
                       for r in self.results}
            mode = self.result.setdefault("reference_mode", {"mode": "slices"})
            mode["mode"] = "slices"
            mode["slice_elements"] = min(elements, mode.get("slice_elements") or elements)
            for name, lo, hi, value in self.ref.reference_slices(reference_inputs, elements, device=self.device):
                out = outs[name]
                if lo == 0 and hi == 0:
                    streams[name].add(out, value, 0)
                else:
                    row = 1
                    for s in out.shape[1:]:
                        row *= int(s)
                    streams[name].add(out[lo:hi], value, lo * row)
                slices += 1
                del value
        self.note_reference_seconds(time.perf_counter() - start)  # the comparison's share included: an upper bound
        self.result["reference_mode"]["slices"] = self.result["reference_mode"].get("slices", 0) + slices
        return {name: c.result() for name, c in streams.items()}

    def sliced(self, phase, held_later=0):
        """Whether this phase's float64 reference is computed in slices: when the budget says so
        (reference_chunking), or when the whole reference does not fit in the memory free now (memory.py), with
        `held_later` bytes to be allocated while it is held. Noted in the result's reference_mode.phases."""
        from . import memory
        if not hasattr(self.ref, "reference_slices"):
            return False
        whole = self.slice_elements is None and memory.whole_reference_fits(self.torch, self.device, self.ref,
                                                                            held_later)
        if not whole:
            self.result.setdefault("reference_mode", {"mode": "slices"}).setdefault("phases", []).append(phase)
        return not whole

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
            # A CuTe DSL module compiles on its first call (cute.compile on first use, `_kevc_compiled` empty): that
            # call is not clocked for the kill bound, as a Triton compile inside a call is not.
            compiles = getattr(self.kernel, "_kevc_compiled", None) == []
            with self.ledger.part("kernel"), (contextlib.nullcontext() if compiles else self.clock.call()):
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
    def expected(self, values):
        """The reference's results for these inputs and, per result, the leeway its comparison allows
        (compare's any_value and alternatives: elements at a discontinuity met within tolerance, argmax ties; the
        rules of the CPU checker). A reference module emitted before reference_with_leeway existed gives none."""
        inputs = dict(values)  # read in place, never written (the torch reference converts what it gathers)
        with_leeway = getattr(self.ref, "reference_with_leeway", None)
        start = time.perf_counter()
        if with_leeway is None:
            got = self.ref.reference(inputs, device=self.device), {}
        else:
            got = with_leeway(inputs, device=self.device)
        self.sync()
        self.note_reference_seconds(time.perf_counter() - start)
        return got

    def widen_failures(self, checked, outs, expected, inputs, leeway):
        """The comparisons `checked`, where a float result failed as 'wrong' (not a NaN or infinity) against a
        whole reference, done again with the dtype's own error on these inputs (measure_dtype_error): the
        bound widens only where the spec evaluated in its declared dtypes itself misses the tolerance
        (tolerance.widening; docs/reliability.md). Measured only on a failure, so a passing candidate costs
        nothing more. `inputs` must be the trial's inputs as drawn (the caller has checked them)."""
        failing = [r["name"] for r in self.results if r["dtype"] in ("f16", "bf16", "f32")
                   and r["name"] in checked and not checked[r["name"]]["passed"]
                   and checked[r["name"]]["kind"] == "wrong"]
        if expected is None or not failing:
            return checked
        from .tolerance import compare, widening
        with harness_work("the dtype's own error"), self.ledger.part("reference"):
            self.measure_dtype_error(inputs, expected, leeway, failing)
        for r in self.results:
            rule = leeway.get(r["name"], {})
            if r["name"] in failing and widening(rule.get("dtype_error")) > 1:
                checked[r["name"]] = compare(outs[r["name"]], expected[r["name"]], r["dtype"],
                                             self.tolerance.get(r["name"]), **rule)
        return checked

    def measure_dtype_error(self, inputs, outputs, leeway, names):
        """Per result in `names`, the worst normalised error of the spec evaluated in its declared dtypes (the
        reference module's eager(): the straightforward evaluation a user would compare with) on these inputs
        against the float64 `outputs`, into leeway[name]["dtype_error"]. PyTorch computes under the kernel's
        accuracy contract (contract_flags): f32 contractions in f32 under `highest` (TF32 off), in TF32 under
        `high` and `medium`: a one-pass TF32 convolution of heavy-tailed inputs misses tf32's tolerance in
        PyTorch too. Skipped, the rule staying strict, when the module has no eager() or the evaluation fails (out
        of memory: noted in the case's `notes`, never the candidate's failure)."""
        eager = getattr(self.ref, "eager", None)
        if eager is None or self.job.get("dtype_error") is False:
            return
        from .tolerance import dtype_error
        torch = self.torch
        floats = [r for r in self.results if r["name"] in names]
        if not floats:
            return
        try:
            with contract_flags(torch, getattr(self, "contract", "highest")):
                evaluated = eager(dict(inputs), device=self.device)
            for r in floats:
                e = dtype_error(evaluated[r["name"]], outputs[r["name"]], r["dtype"], self.tolerance.get(r["name"]),
                                scale=leeway.get(r["name"], {}).get("scale"))
                if e is not None:
                    leeway.setdefault(r["name"], {})["dtype_error"] = e
            del evaluated
        except Exception as error:  # an out-of-memory or a failure of the eager module: the strict rule applies
            self.result.setdefault("notes", []).append(
                "the dtype's own error was not measured (%s: %s); the plain tolerance applies"
                % (type(error).__name__, str(error)[:200]))
            if hasattr(torch, "cuda") and hasattr(torch.cuda, "empty_cache"):
                torch.cuda.empty_cache()

    def note_reference_seconds(self, seconds):
        """The longest float64 reference of this case so far (whole or in slices): the roofline's cost limit."""
        self.reference_s = max(getattr(self, "reference_s", 0.0), seconds)

    def prefetch_references(self):
        """With reused references: the disk cache's files of this case's trials and revalidation read into host
        memory before the lock (references.prefetch), so that under it a cached reference is one copy to the
        device."""
        if not self.job.get("reuse_references"):
            return
        from . import references
        wanted = [(seed, dist) for _, seed, dist in self.trial_plan()]
        if self.job.get("timing_calls", 50) > 0:
            wanted.append((self.inp.trial_seed(self.job["seed"], 1000), "normal"))
        for seed, dist in wanted:
            references.prefetch(self.job["reference"], seed, dist, self.device, self.job.get("reference_cache"))

    def flush_references(self):
        """Writes the references computed under the lock to the disk cache, after it (references.flush_pending)."""
        from . import references
        references.flush_pending()

    def trial_plan(self):
        """(number, seed, distribution) of each trial: `trials` of them, the distributions cycling from
        `distribution_offset` (docs/gpu-harness.md, "Protocol": how a candidate's cases share the distributions)."""
        dists = self.inp.DISTRIBUTIONS
        offset = int(self.job.get("distribution_offset") or 0)
        return [(t + 1, self.inp.trial_seed(self.job["seed"], t), dists[(t + offset) % len(dists)])
                for t in range(self.job.get("trials", 5))]

    def trials(self):
        for number, seed, dist in self.trial_plan():
            self.trial(number, seed, dist, reuse=bool(self.job.get("reuse_references")))

    def reference_for(self, values, seed, dist, reuse):
        """The float64 reference outputs for the inputs drawn from (seed, dist) and their leeway (expected()):
        computed now, or with `reuse` (the search) from the reference cache (references.py: once per workload and
        seed), which holds the leeway beside the outputs as tensors (_pack_leeway)."""
        if not reuse:
            return self.expected(values)
        from . import references

        def compute():
            with self.ledger.part("reference"):  # computed: charged apart from the cache's fetch around it
                outputs, leeway = self.expected(values)
                return _pack_leeway(self.torch, outputs, leeway, self.device)
        with self.ledger.part("reference fetch"):
            packed, source = references.get(self.job["reference"], seed, dist, self.device, compute,
                                            cache_dir=self.job.get("reference_cache"))
        counts = self.result.setdefault("reference_cache", {"memory": 0, "disk": 0, "computed": 0})
        counts[source] += 1
        return _unpack_leeway(packed)

    def trial(self, number, seed, dist, reuse=False, label=None):
        """One correctness trial: inputs drawn from (seed, dist), poisoned outputs, one call, inputs compared
        bitwise with a snapshot, every result compared with the float64 reference (whole or in slices)."""
        torch = self.torch
        self.phase(label or "trial %d (%s)" % (number, dist))
        with harness_work("inputs"), self.ledger.part("inputs"):
            values = self.inp.generate(self.params, seed, dist, self.device)
        expected, leeway = None, {}
        inputs = sum(v.numel() * v.element_size() for v in values.values())
        outputs = sum(self.inp.NATIVE[r["dtype"]].itemsize * _numel(r["shape"]) for r in self.results)
        if not self.sliced(label or "trial %d" % number, held_later=inputs + outputs):
            with harness_work("the float64 reference"), self.ledger.part("reference"):
                expected, leeway = self.reference_for(values, seed, dist, reuse)
        with harness_work("input snapshots and poisoned outputs"):
            with self.ledger.part("poison"):
                outs = self.inp.poisoned(self.results, self.device)
            with self.ledger.part("snapshot"):
                snapshot = {k: v.clone() for k, v in values.items()} if self.snapshot_fits(inputs) else None
        args = dict(self.inp.kernel_arguments(self.params, values))
        args.update(outs)
        self.call(args)
        trial = {"seed": seed, "distribution": dist, "results": {}, "inputs_written": []}
        if label:
            trial["label"] = label
        with harness_work("the comparisons"), self.ledger.part("compare"):
            if snapshot is None:
                # No room for a copy of the inputs: they are drawn again piece by piece and compared (the same
                # bitwise check), and the sliced reference reads them once they are known to be unchanged.
                trial["input_check"] = "drawn again"
                trial["inputs_written"] = self.inp.matches(self.params, seed, dist, self.device, values)
            else:
                names = [p["name"] for p in self.params]
                same = _bitwise_equal_all(torch, [(values[n], snapshot[n]) for n in names])
                trial["inputs_written"] = [n for n, ok in zip(names, same) if not ok]
            worst = None
            checked = self.check_results(outs, expected, values if snapshot is None else snapshot, leeway) \
                if not trial["inputs_written"] else {}
            if checked:
                checked = self.widen_failures(checked, outs, expected, values if snapshot is None else snapshot,
                                              leeway)
            for r in self.results:
                c = checked.get(r["name"])
                if c is None:
                    continue
                trial["results"][r["name"]] = c
                if not c["passed"] and (worst is None or c["kind"] == "nan"):
                    worst = (r["name"], c)
        self.result["trials"].append(trial)
        what = label or "trial %d" % number
        if trial["inputs_written"]:
            raise Failure("wrong", "%s (%s, seed %d): the kernel wrote its input(s) %s"
                          % (what, dist, seed, ", ".join(trial["inputs_written"])))
        if worst is not None:
            name, c = worst
            raise Failure(c["kind"], "%s (%s, seed %d): result '%s': %s" % (what, dist, seed, name, c["reason"]))
        self.last_values = values

    def snapshot_fits(self, inputs):
        """Whether a bitwise snapshot of the inputs (`inputs` bytes) fits in the memory free now beside what a
        sliced reference still needs (the comparison, a margin, one slice of SLICE_CAP elements of the largest
        result: 16 bytes an element). Without it the inputs are drawn again and compared after the call."""
        from . import memory
        free = memory.free_bytes(self.torch, self.device)
        if free is None:
            return True
        largest = max([_numel(r["shape"]) for r in self.results] or [0])
        need = inputs + memory.checks_bytes(self.ref) + memory.MARGIN.get(self.device.type, memory.MARGIN["cuda"]) \
            + 16 * min(largest, memory.SLICE_CAP)
        return need <= free

    def fresh_trial(self):
        """A candidate faster than `fresh_if_faster_than` (the search's best so far: it would become the best) is
        checked once more on a fresh random seed whose reference is computed, never taken from the cache."""
        best = self.job.get("fresh_if_faster_than")
        timing = self.result.get("timing") or {}
        if best is None or timing.get("median_s") is None or timing["median_s"] >= best:
            return
        seed = int.from_bytes(os.urandom(8), "little")
        dists = self.inp.DISTRIBUTIONS
        dist = dists[seed % len(dists)]
        last = getattr(self, "last_values", None)
        self.trial(0, seed, dist, reuse=False, label="fresh trial (%s)" % dist)
        self.result["fresh_trial"] = {"seed": seed, "distribution": dist}
        if last is not None:
            self.last_values = last

    # -- timing ----------------------------------------------------------------------------------------------
    def timed(self, fn, calls, warmup, warm_seconds=0.2, budget_s=None, stop=None, before=(), clock=None):
        """The median of `calls` timed calls after `warmup` untimed ones. With budget_s, a call so slow that warm-up
        and timing would take longer than budget_s seconds gets fewer calls (at least 3) and no further warm-up:
        the search's mutants include kernels 1000x slower than the best (685 ms a call seen for a layernorm), whose
        50 timed calls held the device from every other worker for half a minute and only confirmed a loss.
        With `stop` (a StopRule), the calls end as soon as it says so for the samples so far (`before`, this
        function's earlier blocks, included); the result's `stopped` says why. `clock` (the candidate's CallClock,
        None for the baseline and the reference): each call is marked, outside the timed interval."""
        torch = self.torch
        requested = calls
        clock = clock or CallClock()
        for _ in range(warmup):
            clock.begin()
            t0 = time.perf_counter()
            fn()
            self.sync()
            once = time.perf_counter() - t0
            clock.end()
            if budget_s is not None and once * (warmup + calls) > budget_s:
                calls = max(3, min(calls, int(budget_s / once)))
                warmup = 0  # a call this long is its own warm-up: no warm_seconds loop either
                break
        # Keep warming up for warm_seconds of wall time (at most 2000 calls): a GPU that sat idle while this
        # worker started and compiled runs at idle clocks (345 MHz seen on the H200), and a few calls of a
        # microsecond kernel do not bring it back up.
        # Only on a GPU, and only when warm-up was asked for (warmup=0 times the very first calls on purpose).
        # It stops early once the calls stop getting faster (the median of the last 8 within 2% of the 8 before):
        # a GPU kept busy by other workers' checks is already at its clocks, and 0.2 s of warm-up per timing was
        # most of the exclusive hold of a microsecond kernel.
        start = time.perf_counter()
        extra = 0
        warm = []
        while self.cuda and warmup > 0 and calls > 0 and extra < 2000 and time.perf_counter() - start < warm_seconds:
            clock.begin()
            t0 = time.perf_counter()
            fn()
            self.sync()
            warm.append(time.perf_counter() - t0)
            clock.end()
            extra += 1
            if extra >= 16 and warmed_up(warm):
                break
        flush, trip = self.flush_and_trip()
        events, host, stream, after = [], [], [], []
        stopped = None
        for i in range(calls):
            if stop is not None and i > 0:
                stopped = stop(list(before) + (events if events else host))
                if stopped:
                    break
            if flush is not None:
                flush.fill_(i & 0xFF)  # a write of >= 2x L2 evicts inputs and outputs of the previous call
                start, launched, end = (torch.cuda.Event(enable_timing=True) for _ in range(3))
                clock.begin()
                start.record()
                h0 = time.perf_counter()
                fn()
                launched.record()  # on the launching stream: its own work ends here
                torch.cuda.synchronize()  # every stream
                end.record()
                h1 = time.perf_counter()
                end.synchronize()
                clock.end()
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
                clock.begin()
                h0 = time.perf_counter()
                fn()
                h1 = time.perf_counter()
                clock.end()
                host.append(h1 - h0)
        out = _stats(events if events else host)
        out["samples"] = list(events if events else host)  # for paired timing; dropped from the result
        if stopped:
            out["stopped"] = stopped
        if self.cuda and warmup > 0:
            out["warmup_calls"] = extra
        if calls < requested:
            out["budget"] = {"seconds": budget_s, "requested_calls": requested}
        out["host"] = _stats(host)
        out["method"] = "cuda-events+synchronize" if events else "host-clock"
        if events:
            out["launching_stream"] = _stats(stream)
            out["after_launching_stream"] = _stats(after)
            out["sync_round_trip_s"] = trip
        return out

    def load_baseline_module(self):
        """The baseline kernel module (`baseline_kernel`: the search's default schedule at this shape), loaded and
        compiled ahead (no lock, no GPU work); None when not asked for or when it does not load or compile (its
        failure is never the candidate's)."""
        path = self.job.get("baseline_kernel")
        if not path or self.job.get("timing_calls", 50) <= 0:
            return None
        from . import modules
        try:
            mod = modules.load_module(path)
            if self.job.get("compile_ahead", True):
                self.compile_ahead(mod, "the baseline")
            return mod
        except Exception as e:  # noqa: BLE001 - a Failure too: the baseline's compile error is not the candidate's
            self.result["baseline_timing"] = {"error": _short(e, 300)}
            return None

    def load_baseline(self, values):
        """The baseline module ready to launch on the timing inputs with its own outputs, launched once (a failure
        there is reported, never the candidate's); None when there is none."""
        mod = getattr(self, "baseline_module", None)
        if mod is None:
            return None
        try:
            with self.ledger.part("baseline"):
                args = dict(self.inp.kernel_arguments(self.params, values))
                args.update(self.inp.poisoned(self.results, self.device))
                mod.launch(**args)
                self.sync()
            return lambda: mod.launch(**args)
        except Exception as e:  # noqa: BLE001
            self.result["baseline_timing"] = {"error": _short(e, 300)}
            return None

    def compile_ahead(self, module, what):
        """Triton's JIT compile of every kernel `module.launch()` launches, before any lock and with no GPU work:
        launch() runs on meta tensors (a shape and a dtype, no memory) while Triton's JITFunction.run is told
        `warmup=True` (compile and cache, never launch). The first real launch, under the lock, then finds its
        kernels compiled. A specialisation the stand-ins miss (an integer scalar drawn as 1 or a multiple of 16)
        still compiles at the first launch, counted (held.py, the result's `compiles`). Off a GPU (the Triton
        interpreter, torch-only modules) there is nothing to compile. A Triton compile error is the module's
        compile_error, as at the first launch; anything else the stand-ins make launch() raise is noted
        (`compile_ahead`) and the compile happens at the first launch, as before."""
        if not self.cuda:
            return
        try:
            from triton.runtime.jit import JITFunction
        except ImportError:
            return
        if not any(isinstance(v, JITFunction) for v in vars(module).values()):
            return  # not a Triton module (HIP as CUDA, CuTe DSL): its launch() must never see meta tensors
        args = stand_ins(self.params, self.results)
        run = JITFunction.run

        def compile_only(fn, *a, grid=None, warmup=False, **kw):
            return run(fn, *a, grid=grid, warmup=True, **kw)

        JITFunction.run = compile_only
        try:
            with self.ledger.part("compile"):  # no lock yet: counted, not charged; a compile that raised ends here
                module.launch(**args)
        except Exception as e:  # noqa: BLE001 - classified below
            if _is_compile_error(e):
                raise Failure("compile_error", "compilation failed: %s" % _short(e))
            self.result.setdefault("compile_ahead", {})[what] = "not done: %s" % _short(e, 300)
        finally:
            JITFunction.run = run

    def flush_and_trip(self):
        """The L2 flush buffer and the synchronize round trip (sync_round_trip) of this timing, made once per
        candidate (timed_pair calls timed() ten times), None and 0 off the GPU."""
        if not self.cuda:
            return None, 0.0
        self.flush_buffer()
        if getattr(self, "_trip", None) is None:
            self._trip = self.sync_round_trip()  # with the device to itself: contention would inflate it
        return self._flush, self._trip

    def flush_buffer(self):
        """The L2 flush buffer (max(2 x L2, 256 MiB)), allocated once per timing: by prepare_timing, under the
        checks' shared hold, so that the exclusive hold does not start with a 256 MiB allocation."""
        if self.cuda and getattr(self, "_flush", None) is None:
            torch = self.torch
            l2 = getattr(torch.cuda.get_device_properties(self.device), "L2_cache_size", 50 << 20) or (50 << 20)
            with harness_work("the L2 flush buffer"):
                self._flush = torch.empty(max(2 * l2, 256 << 20), dtype=torch.uint8, device=self.device)

    def timed_pair(self, fn, baseline, calls, warmup, budget_s, rule=None):
        """Candidate and baseline timed beside each other: blocks of calls alternate between them (and which goes
        first alternates), so that clock changes and other load hit both alike; the baseline, re-timed for every
        candidate, gets half the calls per block (at least 3). With a StopRule, a block of the candidate ends as
        soon as it is clearly slower than the incumbent, and the blocks end once the candidate's median is tight
        (after two blocks at least, so that both orders were timed). Returns both timings."""
        blocks = 5 if calls >= 10 else 1
        per = max(1, calls // blocks)
        base_per = min(per, max(3, per // 2))
        cand, base, first, stopped = [], [], None, None
        for b in range(blocks):
            order = [(fn, cand), (baseline, base)] if b % 2 == 0 else [(baseline, base), (fn, cand)]
            for f, acc in order:
                slower = rule.slower_only() if rule is not None and f is fn else None
                t = self.timed(f, per if f is fn else base_per, warmup if b == 0 else 0,
                               budget_s=(budget_s / blocks) if budget_s else None, stop=slower, before=list(acc),
                               clock=self.clock if f is fn else None)
                acc.extend(t.pop("samples"))
                if f is fn and first is None:
                    first = t
                if f is fn and t.get("stopped"):
                    stopped = t["stopped"]
            if stopped is None and rule is not None and b >= 1:
                stopped = rule(cand)
            if stopped:
                break
        timing = dict(first, **_stats(cand))
        timing.pop("stopped", None)
        if stopped:
            timing["stopped"] = stopped
        timing["paired"] = {"blocks": b + 1, "calls_per_block": per, "baseline_calls_per_block": base_per}
        return timing, _stats(base)

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

    def prepare_timing(self):
        """The timing's inputs and outputs, one launch of the timed path (a failure there is classified, not timed)
        and the baseline launched once (both compiled ahead: compile_ahead): under the checks' shared hold."""
        self.timing_setup = None
        if self.job.get("timing_calls", 50) <= 0:
            return
        self.phase("timing set-up")
        values = self.last_values if hasattr(self, "last_values") else self.inp.generate(
            self.params, self.job["seed"], "normal", self.device)
        with self.ledger.part("poison"):
            outs = self.inp.poisoned(self.results, self.device)
        args = dict(self.inp.kernel_arguments(self.params, values))
        args.update(outs)
        self.call(args)
        with self.ledger.part("timing"):
            self.flush_buffer()
        self.timing_setup = (values, outs, args, self.load_baseline(values))

    def stop_rule(self):
        """When the timed calls may stop before `timing_calls` (docs/gpu-harness.md, "Adaptive timing"), or None
        for a fixed count: `timing_ci` (the relative half-width of the median's ~95% confidence interval to reach,
        after at least `timing_min_calls`) and the incumbent (`incumbent_s`, the search's best median: a candidate
        whose fastest call is more than `slower_factor` times it after 3 calls is clearly slower)."""
        ci = self.job.get("timing_ci")
        incumbent = self.job.get("incumbent_s")
        if not ci and not incumbent:
            return None
        return StopRule(ci=ci, min_calls=int(self.job.get("timing_min_calls") or 10), incumbent=incumbent,
                        factor=float(self.job.get("slower_factor") or 2.0))

    # -- racing (docs/gpu-harness.md, "Racing") ------------------------------------------------------------------
    def racing(self):
        """Whether this case is raced: the job asks for it (`race`, the search's default after its first
        evaluations), it has an incumbent to race against and it is the timed case."""
        return bool(self.job.get("race") and self.job.get("incumbent_s") and self.job.get("timing_calls", 50) > 0)

    def race(self):
        """The racing order: one sanity launch on the timing's inputs (prepare_timing's call, its outputs scanned:
        sanity_failure), then the timed calls (with the `slower` stop rule), then the checks only for a candidate
        that could become the best. Returns True when the candidate is clearly slower than the incumbent
        (cannot_become_best: its median more than `slower_factor` times it): it is recorded `slower_unchecked`,
        timed and never checked, and can never be a result. Otherwise every check runs, after the timing: the
        trials (checks(), with its retry alone on out-of-memory), then after_timing (the fresh trial, the
        revalidation). A candidate failing the sanity scan is not raced: the full protocol, in its usual order,
        classifies it. The result's `race` says what happened."""
        self.prepare()
        if self.setup_failure is not None:
            raise self.setup_failure
        with self.holding_device("shared"):
            self.prepare_timing()
            insane = self.sanity_failure(self.timing_setup[1]) if self.timing_setup else "no timing set-up"
        if insane:
            self.result["race"] = {"sanity": insane, "timed": False}
            self.timing_setup = None  # the full protocol sets the timing up again, on its trials' inputs
            self.release_cached_memory()
            return False
        self.release_cached_memory()
        self.timing_retrying(after=False)
        why = self.cannot_become_best()
        self.result["race"] = {"sanity": "passed", "timed": True, "slower": why}
        if why:
            if self.lock.mode == "shared":
                self.lock.release_shared()
            return True
        # At or near the incumbent: the full protocol, every trial and the revalidation, before it can be ok. The
        # timing's buffers are dropped first, so that the trials hold no more memory than in the usual order (the
        # footprint the pool admitted this evaluation by); the revalidation draws into the last trial's inputs, as
        # in the usual order, with outputs poisoned afresh.
        self.timing_setup = None
        self.release_cached_memory(collect=False)
        self.checks(timing_setup=False)  # in the timing's downgraded hold: no new queue for the device
        if self.lock.mode != "shared":
            self.wait_for_device("shared")
        try:
            values = self.last_values
            with harness_work("the revalidation's outputs"), self.ledger.part("poison"):
                outs = self.inp.poisoned(self.results, self.device)
            self.after_timing(values, outs, self.job.get("timing_calls", 50))
        finally:
            if not self.keep_shared:
                self.lock.release_shared()
        if not self.keep_shared:
            self.flush_references()
        return False

    def sanity_failure(self, outs):
        """The racing order's scan of the sanity launch's outputs (poisoned before the call), or None when they look
        written: a float output with a NaN or an infinity (the poison is NaN: unwritten elements, or garbage), an
        integer or bool output still all poison. One synchronisation for every output. Inputs are drawn from the
        normal distribution inside the spec's domains, so a correct kernel's outputs are finite there; where they
        are not, the candidate is checked in full, which is the safe side."""
        torch = self.torch
        names, flags = [], []
        with self.ledger.part("sanity"):
            for r in self.results:
                o = outs[r["name"]]
                if o.numel() == 0:
                    continue
                if o.dtype.is_floating_point:
                    flags.append((~torch.isfinite(o)).any())
                    names.append("%s has non-finite or unwritten elements" % r["name"])
                else:
                    poison = self.inp.poison_(torch.empty(1, dtype=o.dtype, device=o.device))
                    if o.dtype == torch.bool:  # compared as bytes: the poison byte is no valid bool
                        o, poison = o.contiguous().view(torch.uint8), poison.view(torch.uint8)
                    flags.append(torch.eq(o.reshape(-1), poison).all())
                    names.append("%s is still all poison (never written)" % r["name"])
            if not flags:
                return None
            bad = torch.stack([f.to(flags[0].device) for f in flags]).tolist()
        failures = [n for n, b in zip(names, bad) if b]
        return "; ".join(failures) or None

    def timing_retrying(self, after=True):
        """timing(), once more after an out-of-memory error in it. The candidate's launch has already run on
        these arguments (its checks, or racing's sanity launch) with the memory it declared, so an out-of-memory
        error in its timed calls (its own scratch, the L2 flush buffer) is the memory other work holds now: other
        workers' cached references, processes beside the harness. The worker frees what it caches and times
        again (`timing_retried` in the result says why); a second out-of-memory error is the harness's
        (HarnessOutOfMemory: `harness_error` with both reasons), never the candidate's crash."""
        try:
            self.timing(after=after)
            return
        except (Failure, HarnessOutOfMemory):
            raise
        except Exception as e:  # noqa: BLE001 - only out-of-memory errors are retried
            if not (isinstance(e, MemoryError) or _is_out_of_memory(_short(e))):
                raise
            first = _short(e, 200)
        self.clock.end()  # the call that raised is over
        # timing() downgraded its hold to shared as it unwound: let it go before queueing for the device again.
        # Holding a shared hold while queueing for the exclusive one deadlocks with a worker that took the gate
        # meanwhile and waits for the shared holders to finish (device_lock.py).
        if self.lock.mode == "shared":
            self.lock.release_shared()
        self.result["timing_retried"] = first
        self.result.pop("timing", None)
        self.result.pop("baseline_timing", None)
        from . import references
        references.clear()
        self.release_cached_memory()
        try:
            self.timing(after=after)
        except (Failure, HarnessOutOfMemory):
            raise
        except Exception as e:  # noqa: BLE001
            if isinstance(e, MemoryError) or _is_out_of_memory(_short(e)):
                raise HarnessOutOfMemory("the timed calls, again after the worker freed its cached memory",
                                         "%s; first attempt: %s" % (_short(e, 200), first)) from None
            raise

    def timing(self, after=True):
        """The timed calls with the GPU to itself (exclusive), then, downgraded to shared without letting another
        timing in, what comes after them (after_timing). `after=False` (the racing order): the timed calls only,
        the hold left shared for the caller."""
        calls = self.job.get("timing_calls", 50)
        if calls <= 0 or self.timing_setup is None:
            return
        values, outs, args, baseline = self.timing_setup
        warmup = self.job.get("warmup", 5)
        rule = self.stop_rule()
        self.phase("timing")
        self.wait_for_device("exclusive")  # only the timed calls own the GPU
        try:
            self.ledger.push("timing")
            fn = lambda: self.kernel.launch(**args)  # noqa: E731
            budget = self.job.get("timing_seconds")
            if baseline is not None:
                try:
                    self.result["timing"], self.result["baseline_timing"] = self.timed_pair(
                        fn, baseline, calls, warmup, budget, rule)
                except Exception as e:  # noqa: BLE001 - the baseline's failure is not the candidate's
                    self.result["baseline_timing"] = {"error": _short(e, 300)}
                    self.result["timing"] = self.timed(fn, calls, warmup, budget_s=budget, stop=rule,
                                                       clock=self.clock)
            else:
                self.result["timing"] = self.timed(fn, calls, warmup, budget_s=budget, stop=rule, clock=self.clock)
            self.result["timing"].pop("samples", None)
        finally:
            self._flush = self._trip = None  # the flush buffer's memory, back to the checks that follow
            self.ledger.pop("timing")
            self.lock.downgrade()
        baseline = fn = None  # the baseline's outputs: memory the revalidation may need
        if not after:
            return
        try:
            self.after_timing(values, outs, calls)
        finally:
            if not self.keep_shared:
                self.lock.release_shared()
        if not self.keep_shared:
            self.flush_references()

    def after_timing(self, values, outs, calls):
        """Revalidation, the eager baseline and the roofline, after the timed calls (under the shared lock, downgraded
        from the timing's exclusive one)."""
        self.fresh_trial()
        fresh = self.revalidate(values, outs)
        # PyTorch eager baseline: the reference module's computation in the spec's dtypes.
        self.phase("eager baseline")
        with self.ledger.part("eager"):
            self.eager_baseline(fresh, calls)

        self.phase("roofline")
        with self.ledger.part("roofline"):
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

    def eager_baseline(self, fresh, calls):
        """The reference module's eager path timed (with the GPU to itself), or the caller's given PyTorch time."""
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
                start = time.perf_counter()
                self.ref.eager(ev, device=self.device)
                self.sync()
                first = time.perf_counter() - start
                limit = float(self.job.get("eager_seconds") or EAGER_SECONDS)
                if first * (eager_calls + 1) > limit:
                    # The reference's eager path is slow here (attention at B=4, H=32, S=2048 takes 7.7 s a call):
                    # its one call stands as the figure, so the harness's own baseline never runs the candidate
                    # past its timeout (it once turned a passing, timed kernel into a timeout).
                    self.result["eager"] = {"median_s": first, "calls": 1, "source": "one call (%.1f s: over the "
                                            "eager baseline's %g s)" % (first, limit)}
                    self.slow_reference_s = first
                else:
                    self.result["eager"] = self.timed_alone(
                        lambda: self.timed(lambda: self.ref.eager(ev, device=self.device), eager_calls, 1,
                                           warm_seconds=0))
            except Exception as e:
                self.result["eager"] = {"error": _short(e)}

    def cannot_become_best(self):
        """Why this candidate cannot become the search's best (its median more than `slower_factor` times the
        incumbent's, which every candidate the stop rule ended as "slower" is), or None. The revalidation is for a
        candidate that could: it guards the result that `kevc compile` will use."""
        incumbent = self.job.get("incumbent_s")
        timing = self.result.get("timing") or {}
        factor = float(self.job.get("slower_factor") or 2.0)
        median = timing.get("median_s")
        if not incumbent or median is None or median <= factor * float(incumbent):
            return None
        return "median %.3g s > %g x the incumbent's %.3g s" % (median, factor, float(incumbent))

    def revalidate(self, values, outs):
        """Results must still be right after the timed calls, for new values in the same buffers (a kernel that
        caches results by pointer, or only computes on the first call, fails here). Skipped, and said so in the
        result's `revalidation`, for a candidate that cannot become the best (cannot_become_best). Returns the
        inputs the roofline measures (the new values, or the timing's when skipped)."""
        why = self.cannot_become_best()
        if why:
            self.result["revalidation"] = "skipped: cannot become the best (%s)" % why
            return values
        self.phase("revalidation")
        seed = self.inp.trial_seed(self.job["seed"], 1000)
        # The new values are drawn straight into the kernel's input buffers (no second copy of the inputs), and the
        # memory the timing held (the baseline's outputs, the L2 flush buffer: freed when the timing dropped them)
        # is returned first.
        self.release_cached_memory(collect=False)
        with harness_work("revalidation inputs"), self.ledger.part("inputs"):
            fresh = self.inp.generate(self.params, seed, "normal", self.device, into=values)
        fresh_args = dict(self.inp.kernel_arguments(self.params, fresh))
        with self.ledger.part("poison"):
            for o in outs.values():
                self.inp.poison_(o)
        fresh_args.update(outs)
        expected, leeway = None, {}
        sliced = self.sliced("revalidation")
        if not sliced:
            with harness_work("the revalidation's float64 reference"), self.ledger.part("reference"):
                expected, leeway = self.reference_for(fresh, seed, "normal", bool(self.job.get("reuse_references")))
        self.call(fresh_args)
        if sliced:
            # The sliced reference reads the inputs after the call: they must still be what was drawn (checked
            # by drawing them again piece by piece, not against a snapshot).
            with harness_work("the revalidation's input check"), self.ledger.part("compare"):
                written = self.inp.matches(self.params, seed, "normal", self.device, fresh)
            if written:
                raise Failure("wrong", "after timing, with new inputs in the same buffers: the kernel wrote its "
                              "input(s) %s" % ", ".join(written))
        with harness_work("the revalidation's comparisons"), self.ledger.part("compare"):
            checked = self.check_results(outs, expected, fresh, leeway)
            if not sliced and any(not c["passed"] and c["kind"] == "wrong" for c in checked.values()):
                # The dtype's own error reads the inputs after the call: they must still be what was drawn.
                written = self.inp.matches(self.params, seed, "normal", self.device, fresh)
                if written:
                    raise Failure("wrong", "after timing, with new inputs in the same buffers: the kernel wrote its "
                                  "input(s) %s" % ", ".join(written))
                checked = self.widen_failures(checked, outs, expected, fresh, leeway)
        for r in self.results:
            c = checked[r["name"]]
            if not c["passed"]:
                raise Failure(c["kind"], "after timing, with new inputs in the same buffers: result '%s': %s"
                              % (r["name"], c["reason"]))
        self.result["revalidation"] = "passed"
        return fresh

    def timed_alone(self, fn):
        """fn() with the GPU to itself, from inside a shared section: the shared hold is dropped and the exclusive
        one taken (never both: flock would convert the lock in place), then downgraded back to shared."""
        self.lock.release_shared()
        self.wait_for_device("exclusive")
        try:
            return fn()
        finally:
            self.lock.downgrade()

    def roofline(self, values):
        from . import ceilings
        try:
            def measure():
                # The reference reads the inputs in place and never writes them: no clones (6 GiB each at bench sizes).
                return self.ref.measured_cost(dict(values), device=self.device)
            slow = getattr(self, "slow_reference_s", None)
            shared = getattr(self.ref, "COST_DEPENDS_ON_INPUTS", True) is False
            cached = ceilings.cached_measured_cost(self.job["reference"], self.job.get("ceilings_cache")) if shared else None
            limit = self.job.get("cost_limit_s")
            if cached is not None:
                cost = cached
            elif limit is not None and getattr(self, "reference_s", 0.0) > float(limit):
                # measured_cost walks the whole iteration domain as the reference does (1.4-1.8x its time on the
                # CPU at the corpus's shapes): a caller evaluating each workload once (the KernelBench corpus's
                # defaults) asks for the static cost where the reference was slow.
                cost = dict(getattr(self.ref, "COST", {}))
                cost["source"] = ("static (not measured: the float64 reference took %.1f s, over the cost limit "
                                  "of %g s)" % (self.reference_s, float(limit)))
            elif slow is not None:
                # A reference this slow would take longer again to measure: its static cost stands.
                raise RuntimeError("not measured: the reference takes %.1f s a call" % slow)
            elif shared:
                cost = ceilings.measured_cost(self.job["reference"], measure, self.job.get("ceilings_cache"))
            else:
                cost = measure()
                cost["source"] = "measured"
        except Exception as e:
            cost = dict(getattr(self.ref, "COST", {}))
            cost["source"] = "static (measured_cost failed: %s)" % _short(e)
        static = dict(getattr(self.ref, "COST", {}))
        ceil = None
        if self.cuda:  # the GPU to itself only when the ceilings must be measured (once per device and torch)
            ceil = ceilings.cached(self.device, self.job.get("ceilings_cache")) or self.timed_alone(
                lambda: ceilings.get(self.device, self.job.get("ceilings_cache")))
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
    def checks(self, timing_setup=True):
        """Set-up and the correctness trials, under the shared lock: other workers' checks run at the same time;
        in the same hold (unless `timing_setup` is False: the racing order set it up before), the timing's set-up
        (prepare_timing: one launch of the timed path, the baseline's load and
        compile), so that the exclusive hold that follows is only timed calls.
        Their memory adds up (attention at B=4, H=32, S=2048: a float64 reference of ~20 GB per worker), so an
        out-of-memory error there is the concurrency's, not the candidate's: the worker frees what it holds and
        runs the trials again with the device to itself (less concurrency). If the harness's own work (inputs,
        reference, snapshots, comparisons) still runs out of memory alone, the result is `harness_error` with the
        reason: an infrastructure event, never the candidate's crash. A launch that runs out of memory alone is the
        candidate's (crash)."""
        try:
            # Loading the modules and reading their signatures use no device: done before the lock, so a worker
            # prepares its candidate while another one is timed.
            self.prepare()
            if self.setup_failure is not None:
                raise self.setup_failure
            with self.holding_device("shared"):
                self.trials()
                if timing_setup:
                    self.prepare_timing()
            # After the hold: gc.collect() is CPU work, returning blocks to the driver and writing the references
            # computed to the disk cache need no lock.
            self.release_cached_memory()
            self.flush_references()
            return
        except HarnessOutOfMemory as e:
            reason = "out of memory in %s" % e
        except Failure as f:
            if f.status not in ("crash", "error") or not _is_out_of_memory(f.reason) or "sticky" in f.reason:
                raise
            reason = f.reason
        except Exception as e:  # noqa: BLE001 - e.g. the module's own allocation ran out of memory
            if not (isinstance(e, MemoryError) or _is_out_of_memory(_short(e))):
                raise
            reason = _short(e)
        self.result["retried_alone"] = reason[:300]
        self.result["trials"] = []
        from . import references
        references.clear()  # cached references on the device are memory the retry may need
        if hasattr(self, "last_values"):
            del self.last_values
        self.release_cached_memory()
        try:
            with self.holding_device("exclusive"):
                if not hasattr(self, "kernel"):
                    self.setup()
                self.trials()
                if timing_setup:
                    self.prepare_timing()
        except HarnessOutOfMemory as e:
            raise Failure("harness_error", "out of memory in the harness's own work (%s), also with the device to "
                          "itself; first attempt: %s" % (e, reason[:200]))

    def prepare(self):
        """Everything before the lock, with no GPU work: the modules loaded and their signatures checked, Triton's
        compile ahead (setup), the disk cache's references read (prefetch_references). run_cases prepares every
        case of a candidate before the first takes the lock; a failure is kept for the case's turn."""
        if self.prepared:
            return
        self.prepared = True
        from . import held
        held.install_compile_hooks()
        held.set_current(self.ledger)  # the compiles ahead are this case's (counted under "none")
        try:
            self.setup()
            self.prefetch_references()
        except Exception as e:  # noqa: BLE001 - raised again at the case's turn (checks)
            self.setup_failure = e

    def release_cached_memory(self, collect=True):
        """Returns the blocks PyTorch's caching allocator keeps after the checks (the float64 reference's, up to
        tens of GB) to the device: this worker now waits for its timing turn, and other workers' checks need them.
        `collect`: a garbage collection first (tensors held by reference cycles; 0.1 s of CPU on the test machine,
        so never under the lock where refcounting has freed what matters)."""
        import gc
        with self.ledger.part("memory"):
            if collect:
                gc.collect()
            if getattr(self, "cuda", False):
                self.torch.cuda.empty_cache()

    def run(self):
        from .device_lock import DeviceLock
        from . import held
        own = self.lock is None
        if own:
            self.lock = DeviceLock(os.environ.get("KEVC_GPU_LOCK"))
        self.lock.listener = self.ledger.set_mode
        self.ledger.set_mode(self.lock.mode)  # a shared hold handed over by the case before
        held.set_current(self.ledger)
        held.install_compile_hooks()
        try:
            if self.racing() and self.race():
                self.result["status"] = "slower_unchecked"
                self.result["reason"] = "timed, not checked: %s" % self.result["race"]["slower"]
            else:
                if not self.result.get("race", {}).get("timed"):
                    self.checks()
                    if self.job.get("timing_calls", 50) > 0:
                        self.timing_retrying()  # timed calls own the GPU (exclusive); the rest is shared
                self.result["status"] = "flagged" if self.result["flags"] else "ok"
                self.result["reason"] = "; ".join(self.result["flags"])
            code = 0
        except Failure as f:
            self.result["status"] = f.status
            self.result["reason"] = f.reason
            code = 3 if f.status == "crash" else 0
        except HarnessOutOfMemory as e:  # after the checks (timing buffers, revalidation's reference)
            self.result["status"] = "harness_error"
            self.result["reason"] = "out of memory in the harness's own work (%s)" % e
            code = 0
        except BaseException as e:  # noqa: BLE001
            self.result["status"] = "crash"
            self.result["reason"] = "harness exception: %s" % _short(e)
            self.result["traceback"] = traceback.format_exc()[-4000:]
            code = 3
        self.clock.end()  # a call that raised is over: what follows is the harness's
        self.flush_references()  # those a failure or the retry alone left unwritten
        self.result["lock_held"] = self.ledger.report()
        self.result["compiles"] = self.ledger.compiles()
        self.phase("done")
        self.lock.listener = None
        if own:
            self.lock.close()
        return code


def stand_ins(params, results):
    """compile_ahead's arguments for launch(): every tensor a meta tensor of its shape and dtype (no memory; its
    data pointer, 0, is 16-byte aligned as every real allocation is, so Triton specialises alike), every scalar
    _scalar_stand_in's value."""
    import torch
    from .inputs import NATIVE
    args = {p["name"]: (_scalar_stand_in(p) if len(p["shape"]) == 0 else
                        torch.empty(p["shape"], dtype=NATIVE[p["dtype"]], device="meta")) for p in params}
    args.update({r["name"]: torch.empty(r["shape"], dtype=NATIVE[r["dtype"]], device="meta") for r in results})
    return args


def _scalar_stand_in(p):
    """A scalar parameter's value for compile_ahead: what Triton specialises on is the value of an integer (1, a
    multiple of 16, or neither): neither, inside the domain where the domain allows, as most draws are."""
    t = p["dtype"]
    if t == "bool":
        return True
    if t not in ("i8", "i32", "i64"):
        return 0.5
    d = p.get("domain")
    lo, hi = (-4, 16) if d is None else (d["lo"], d["hi"])
    for v in range(lo, min(hi, lo + 32)):
        if v != 1 and v % 16 != 0:
            return v
    return lo


def _bitwise_equal_all(torch, pairs):
    """Whether each (a, b) pair is bitwise equal (floats by their bits: a NaN equals the same NaN, -0.0 differs
    from 0.0), decided on the device with one synchronisation for all the pairs (torch.equal is one per pair)."""
    verdicts = []
    for a, b in pairs:
        if a.shape != b.shape or a.dtype != b.dtype:
            verdicts.append(False)
            continue
        if a.numel() == 0:
            verdicts.append(True)
            continue
        x = a.contiguous().reshape(-1)
        y = b.contiguous().reshape(-1)
        if x.dtype == torch.bool:
            x, y = x.view(torch.uint8), y.view(torch.uint8)
        elif x.dtype.itemsize in (1, 2, 4, 8):
            view = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[x.dtype.itemsize]
            x, y = x.view(view), y.view(view)
        verdicts.append(torch.eq(x, y).all())
    pending = [v for v in verdicts if torch.is_tensor(v)]
    if pending:
        done = iter(torch.stack([v.to(pending[0].device) for v in pending]).tolist())
        verdicts = [bool(next(done)) if torch.is_tensor(v) else v for v in verdicts]
    return verdicts


def _numel(shape):
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _short(e, limit=1500):
    text = "%s: %s" % (type(e).__name__, e)
    return text if len(text) <= limit else text[:limit] + "..."


def run_cases(job, result_path, warm=False):
    """The cases of one candidate (its shapes; often just one) in this one process, in order: each case's result
    goes to RESULT.json.<i>. Python, torch and CUDA start once, not once per case. A case that crashes ends the
    worker (its process may hold a sticky CUDA error): the harness reports the cases after it as not run."""
    common = {k: v for k, v in job.items() if k != "cases"}
    code = 0
    if job.get("cpu_memory_cap") and job.get("device") == "cpu":
        import torch  # noqa: F401 - imported before the cap: the cap is for the harness's and candidate's tensors
        from .memory import cap_cpu_memory
        cap_cpu_memory(job["cpu_memory_cap"])
    from .device_lock import DeviceLock
    from . import references
    references.forget_prefetched()  # an earlier candidate's, unused
    lock = DeviceLock(os.environ.get("KEVC_GPU_LOCK"))
    from . import held
    clock = CallClock(result_path + ".call")  # the parent's kill bound reads it (harness.kill_bound)
    held.compile_listener[0] = clock.compiling
    workers = []
    # Every case prepared before any lock (modules, Triton's compile ahead, cached references): no compile of a
    # later case holds the device. A later case writes no result file before its turn (the harness reads the
    # newest one for the phase) and its phase clock stops meanwhile.
    for i, case in enumerate(job["cases"]):
        w = Worker(dict(common, **case), "%s.%d" % (result_path, i))
        w.lock = lock
        w.clock = clock
        if i > 0 or warm:
            w._phase_start = time.monotonic()  # start-up was the first case's (a warm worker's, before the job)
        w.quiet = i > 0
        w.prepare()
        w.pause()
        workers.append(w)
    try:
        for i, w in enumerate(workers):
            w.resume()
            # The timed case hands its shared hold (revalidation, roofline) to the next case's checks: one queue
            # for the device less per candidate.
            w.keep_shared = i + 1 < len(workers)
            code = w.run()
            if code != 0 or w.result.get("status") == "crash":
                return code or 3
            if w.result.get("status") == "slower_unchecked":
                # Racing: the timed case lost clearly; the other cases are checks only, and nothing unchecked is
                # ever a result, so they are not run (their result says so).
                for later in workers[i + 1:]:
                    later.resume()
                    later.result.update(status="slower_unchecked", reason="not run: the timed case was clearly "
                                        "slower than the incumbent (racing)")
                    later.phase("done")
                return 0
            try:
                import torch
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()  # the next case's memory, not this one's leftovers
            except Exception:  # noqa: BLE001 - freeing memory is best effort
                pass
        return code
    finally:
        if lock.mode == "shared":
            lock.release_shared()
        elif lock.mode == "exclusive":
            lock.release_exclusive()
        references.flush_pending()
        held.compile_listener[0] = None
        clock.close()
        lock.close()


def serve():
    """A warm worker (warm.py): torch (and Triton, when installed) imported and the CUDA context created once, then
    candidates one after another, each a line `{"job": JOB.json, "result": RESULT.json, "env": {...}}` on standard
    input, answered by `{"done": CODE}` on standard output once its result files are written. Each candidate's
    modules are loaded afresh (unique module names). A candidate that crashes (code 3: its process may hold a sticky
    CUDA error) ends the worker; the pool replaces it. A hang is the pool's to kill."""
    from .harness import die_with_parent
    die_with_parent()
    started = time.monotonic()
    try:
        import torch
        if os.environ.get("KEVC_GPU_DEVICE", "cuda") == "cuda" and torch.cuda.is_available():
            torch.zeros(1, device="cuda")  # the CUDA context, once
        try:
            import triton  # noqa: F401 - imported once for every candidate
        except ImportError:
            pass
    except ImportError:
        pass
    # The protocol gets a private copy of standard output; what a candidate prints goes to standard error.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    out.write(json.dumps({"ready": round(time.monotonic() - started, 3)}) + "\n")
    out.flush()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        request = json.loads(line)
        for k, v in (request.get("env") or {}).items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        with open(request["job"]) as f:
            job = json.load(f)
        code = run_cases(job, request["result"], warm=True)
        sys.stderr.flush()
        out.write(json.dumps({"done": code}) + "\n")
        out.flush()
        if code != 0:
            os._exit(code)
    os._exit(0)


def main(argv):
    if len(argv) == 2 and argv[1] == "--serve":
        serve()
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
