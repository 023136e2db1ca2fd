"""Sharing one GPU between concurrent evaluation workers: checks share the device, timings own it.

A search runs several candidates at once. Their setup (importing torch, loading modules) and correctness trials
(including Triton's compile on the first launch) may overlap on the GPU; their timings may not overlap anything,
or each would measure the others. The lock is a readers-writer lock over two files, taken with flock(2):

    shared (checks):     gate EX -> usage SH -> gate UN ... work ... usage UN
    exclusive (timing):  gate EX -> usage EX        ... work ... usage UN -> gate UN
    downgrade (timing -> checks): holding gate EX, usage EX -> SH, gate UN ... work ... usage UN

A worker waiting to time holds the gate, so checks arriving after it wait behind it (no starvation of timings by a
stream of checks), and it starts once the checks already running finish. Each worker queues twice per candidate:
shared for its checks and the first launch of what it will time, exclusive for its timing, then downgraded to
shared for what comes after (revalidation, roofline) without letting another timing in between. Locks die with their process, so a
worker killed at its timeout never leaves the device locked.

The lock's path comes from $KEVC_GPU_LOCK; without one, both modes are no-ops (a
single evaluation, as in `kevc run` or the benchmark, owns the GPU anyway). With $KEVC_LOCK_TRACE set to a file,
every hold is appended to it as a line "PATH MODE START END PID" (monotonic seconds): how the tests check that a
timing overlaps nothing and that checks overlap, and a timeline of the device's contention on a real run.
`listener` (a callable, e.g. held.Ledger.set_mode) is told the mode held after every acquire, release and
downgrade ("shared", "exclusive", None), with or without a path: how a worker knows what its time under the lock
went to.
"""

import contextlib
import fcntl
import os
import time


class DeviceLock:
    def __init__(self, path):
        self.path = path or None
        self._gate = self._usage = None
        self._trace = os.environ.get("KEVC_LOCK_TRACE") or None
        self._held = None  # (mode, since) for the trace
        self.listener = None
        self.mode = None
        if self.path:
            self._gate = os.open(self.path + ".gate", os.O_CREAT | os.O_RDWR, 0o644)
            self._usage = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)

    @contextlib.contextmanager
    def shared(self):
        """The device for work that may overlap other checks (never a timing)."""
        self.acquire_shared()
        try:
            yield
        finally:
            self.release_shared()

    def _tell(self, mode):
        self.mode = mode  # what this process holds now: "shared", "exclusive" or None
        if self.listener is not None:
            self.listener(mode)

    def acquire_shared(self):
        if self.path:
            fcntl.flock(self._gate, fcntl.LOCK_EX)
            try:
                fcntl.flock(self._usage, fcntl.LOCK_SH)
            finally:
                fcntl.flock(self._gate, fcntl.LOCK_UN)
            self._held = ("shared", time.monotonic())
        self._tell("shared")

    def release_shared(self):
        self._tell(None)
        if self.path:
            self._log()
            fcntl.flock(self._usage, fcntl.LOCK_UN)

    def _log(self):
        """Appends the hold ending now to $KEVC_LOCK_TRACE (before the lock is let go: the interval is inside it)."""
        if self._trace and self._held:
            mode, since = self._held
            with open(self._trace, "a") as f:
                f.write("%s %s %.6f %.6f %d\n" % (self.path, mode, since, time.monotonic(), os.getpid()))
        self._held = None

    @contextlib.contextmanager
    def exclusive(self):
        """The whole device: no other worker's GPU work runs until this returns."""
        self.acquire_exclusive()
        try:
            yield
        finally:
            self.release_exclusive()

    def acquire_exclusive(self):
        if self.path:
            fcntl.flock(self._gate, fcntl.LOCK_EX)
            try:
                fcntl.flock(self._usage, fcntl.LOCK_EX)
            except BaseException:
                fcntl.flock(self._gate, fcntl.LOCK_UN)
                raise
            self._held = ("exclusive", time.monotonic())
        self._tell("exclusive")

    def release_exclusive(self):
        self._tell(None)
        if self.path:
            self._log()
            fcntl.flock(self._usage, fcntl.LOCK_UN)
            fcntl.flock(self._gate, fcntl.LOCK_UN)

    def downgrade(self):
        """Exclusive -> shared with no one in between: the usage lock is converted while the gate is still held
        (every other holder takes the gate first), then the gate is opened. A worker goes on from its timing to its
        revalidation without queueing again behind the next timing."""
        if self.path:
            self._log()
            fcntl.flock(self._usage, fcntl.LOCK_SH)
            self._held = ("shared", time.monotonic())
            fcntl.flock(self._gate, fcntl.LOCK_UN)
        self._tell("shared")

    def close(self):
        for fd in (self._gate, self._usage):
            if fd is not None:
                os.close(fd)
        self._gate = self._usage = None
