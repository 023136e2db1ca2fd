"""Where the time under the device lock goes: seconds each mode of the lock was HELD, split by what ran under it.

The device lock (device_lock.py) makes every other worker wait: a timing waits for every check that holds the lock
shared, and a check waits behind a timing. So what matters for throughput is not a phase's length but how long it
held the lock, and on what. A `Ledger` follows the lock's mode (shared, exclusive or none: `set_mode`, called by
DeviceLock on every acquire, release and downgrade) and the part of the work running now (`part(name)`, nested: the
innermost part is charged); each interval between two changes is charged to (mode, part), "other" when no part
runs (Python between the parts: writing the phase file, building dicts, the lock calls themselves). Parts
(`PARTS`): compile (Triton's JIT compile, counted by its hooks), inputs (drawing them), poison (poisoned outputs),
snapshot (the bitwise copy of a trial's inputs), kernel (the candidate's calls and their synchronisation), reference
(the float64 reference computed), reference fetch (a reused reference taken from the reference cache: memory, or
the disk tier copied to the device), compare (the comparisons and the input check), sanity (the racing order's
scan of its sanity launch's outputs, worker.Worker.race), memory (returning cached
blocks to the device), timing (warm-up, the L2 flush and the timed calls), baseline (the paired baseline's first
launch), roofline (the measured cost and ceilings, cached after the first candidate), eager (the reference's eager
path timed: not in a search).

`report()` is flat, so that the search can sum it over cases: {"shared": s, "shared: compile": s, ...,
"exclusive": s, ...}; `compiles()` counts Triton compiles by the mode they ran under ("none": before any lock, the
harness's compile ahead, worker.compile_ahead). A compile under a lock is what must not happen: it holds the
device for CPU work.
"""

import contextlib
import time

PARTS = ("compile", "inputs", "poison", "snapshot", "kernel", "reference", "reference fetch", "compare", "sanity",
         "memory", "timing", "baseline", "roofline", "eager", "other")


class Ledger:
    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.mode = None
        self.last = clock()
        self.stack = []
        self.seconds = {}  # (mode, part) -> seconds
        self.compile_counts = {}  # mode or "none" -> compiles

    def _tick(self):
        now = self.clock()
        if self.mode is not None and now > self.last:
            key = (self.mode, self.stack[-1] if self.stack else "other")
            self.seconds[key] = self.seconds.get(key, 0.0) + now - self.last
        self.last = now

    def set_mode(self, mode):
        """The lock is now held in `mode` ("shared", "exclusive") or not at all (None)."""
        self._tick()
        self.mode = mode

    @contextlib.contextmanager
    def part(self, name):
        """Charges the body's time under the lock to `name` (an inner part takes its own time)."""
        self.push(name)
        depth = len(self.stack)
        try:
            yield
        finally:
            self._tick()
            del self.stack[depth - 1:]  # a part left open inside (a compile that raised) ends here too

    def push(self, name):
        self._tick()
        self.stack.append(name)

    def pop(self, name):
        """Ends the innermost part `name` (Triton's post-compile hook); nothing when it is not open."""
        if name in self.stack:
            self._tick()
            i = len(self.stack) - 1 - self.stack[::-1].index(name)
            del self.stack[i:]

    def compiled(self):
        mode = self.mode or "none"
        self.compile_counts[mode] = self.compile_counts.get(mode, 0) + 1

    def report(self):
        self._tick()
        out = {}
        for (mode, part), s in self.seconds.items():
            out[mode] = round(out.get(mode, 0.0) + s, 4)
            out["%s: %s" % (mode, part)] = round(out.get("%s: %s" % (mode, part), 0.0) + s, 4)
        return out

    def compiles(self):
        return dict(self.compile_counts)


_current = [None]
# Called with True when a Triton compile starts and False when it ends (worker.CallClock: a compile inside a
# candidate's call is not the call's running time), or None.
compile_listener = [None]


def current():
    """The ledger of the case being evaluated in this process (the compile hooks charge it), or None."""
    return _current[0]


def set_current(ledger):
    _current[0] = ledger


def install_compile_hooks():
    """Counts and times Triton's JIT compiles (knobs.runtime.jit_cache_hook before, jit_post_compile_hook after a
    compile, i.e. every miss of a kernel's in-memory cache, disk-cache hits included) against the current ledger.
    Returns whether the hooks are in (no Triton, an older Triton or the interpreter: no compiles to count)."""
    try:
        from triton import knobs
        runtime = knobs.runtime
        before, after = runtime.jit_cache_hook, runtime.jit_post_compile_hook
    except Exception:  # noqa: BLE001 - no Triton, or one without knobs
        return False
    if getattr(before, "_kevc_ledger", False):
        return True

    def cache_hook(*args, **kwargs):
        ledger = current()
        if ledger is not None:
            ledger.compiled()
            ledger.push("compile")
        if compile_listener[0] is not None:
            compile_listener[0](True)
        return before(*args, **kwargs) if before else False

    def post_hook(*args, **kwargs):
        ledger = current()
        if ledger is not None:
            ledger.pop("compile")
        if compile_listener[0] is not None:
            compile_listener[0](False)
        return after(*args, **kwargs) if after else None

    cache_hook._kevc_ledger = True
    runtime.jit_cache_hook = cache_hook
    runtime.jit_post_compile_hook = post_hook
    return True
