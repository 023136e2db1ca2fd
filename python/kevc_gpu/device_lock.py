"""Sharing one GPU between concurrent evaluation workers: checks share the device, timings own it.

A search runs several candidates at once. Their setup (importing torch, loading modules) and correctness trials
(including Triton's compile on the first launch) may overlap on the GPU; their timings may not overlap anything,
or each would measure the others. The lock is a readers-writer lock over two files, taken with flock(2):

    shared (checks):     gate EX -> usage SH -> gate UN ... work ... usage UN
    exclusive (timing):  gate EX -> usage EX        ... work ... usage UN -> gate UN

A worker waiting to time holds the gate, so checks arriving after it wait behind it (no starvation of timings by a
stream of checks), and it starts once the checks already running finish. Locks die with their process, so a
worker killed at its timeout never leaves the device locked.

The lock's path comes from $KEVC_GPU_LOCK; without one, both modes are no-ops (a
single evaluation, as in `kevc run` or the benchmark, owns the GPU anyway).
"""

import contextlib
import fcntl
import os


class DeviceLock:
    def __init__(self, path):
        self.path = path or None
        self._gate = self._usage = None
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

    def acquire_shared(self):
        if not self.path:
            return
        fcntl.flock(self._gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._usage, fcntl.LOCK_SH)
        finally:
            fcntl.flock(self._gate, fcntl.LOCK_UN)

    def release_shared(self):
        if self.path:
            fcntl.flock(self._usage, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def exclusive(self):
        """The whole device: no other worker's GPU work runs until this returns."""
        if not self.path:
            yield
            return
        fcntl.flock(self._gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._usage, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._usage, fcntl.LOCK_UN)
        finally:
            fcntl.flock(self._gate, fcntl.LOCK_UN)

    def close(self):
        for fd in (self._gate, self._usage):
            if fd is not None:
                os.close(fd)
        self._gate = self._usage = None
