"""Warm workers: persistent evaluation processes that take candidates one after another.

Starting a worker per candidate cost a Python start, torch's import and a CUDA context every time (10-31% of a
GPU search's worker time on the H100). A `WarmPool` keeps `size` worker processes per device (`python -m
kevc_gpu.worker --serve`: torch, Triton and the CUDA context once) and hands each candidate to a free one over a
pipe (one JSON line in, one out; results still go through the worker's result files, phase by phase). Isolation
is kept: each worker is its own process in its own session with the allowlisted environment; a candidate that
crashes it (abort, segfault, sticky CUDA error) or hangs (killed at its timeout, SIGTERM then SIGKILL to the
group) costs only that worker, which is replaced before the next candidate is given to the slot; the next
candidate is never blamed.

Several devices: one pool slot list per device (`devices.visible()`, or `$KEVC_SIMULATED_DEVICES` on the CPU); a
worker of device i sees only it (`CUDA_VISIBLE_DEVICES=i` on a GPU) and takes that device's lock
(`$KEVC_GPU_LOCK.<i>`), and a candidate goes to the device with the most free workers.
"""

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time

from . import harness


class WarmWorker:
    def __init__(self, device_index, env, log_dir):
        self.device_index = device_index
        self.env = env
        self.log_dir = log_dir
        self.process = None
        self.started = 0
        self.start()

    def start(self):
        self.err_path = os.path.join(self.log_dir, "warm-%d-%d-%d.err" % (os.getpid(), self.device_index,
                                                                           time.monotonic_ns()))
        self.err = open(self.err_path, "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "kevc_gpu.worker", "--serve"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.err, env=self.env, cwd=self.log_dir,
                                        start_new_session=True)
        self.started += 1
        self.ready = False
        self.buffer = b""

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def replace(self):
        self.close()
        self.start()

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            harness._kill_group(self.process)

    def close(self):
        self.kill()
        if self.process is not None:
            for f in (self.process.stdin, self.process.stdout):
                try:
                    f.close()
                except OSError:
                    pass
        try:
            self.err.close()
            os.unlink(self.err_path)
        except OSError:
            pass

    def _line(self, deadline_fn, poll=0.25):
        """The next line on the worker's standard output; None when it exited, 'timeout' when deadline_fn says so."""
        fd = self.process.stdout.fileno()
        while True:
            if b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                return line
            ready, _, _ = select.select([fd], [], [], poll)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self.process.wait()
                    return None
                self.buffer += chunk
                continue
            if self.process.poll() is not None:
                return None
            if deadline_fn():
                return "timeout"

    def run(self, job_path, result_path, timeout, result_paths, env, deadline=None):
        """Runs one job; returns (timed_out, returncode): returncode None while the worker lives on. `deadline`
        (harness.Deadline; by default the timeout alone): when the job is out of time, the timeout net of the
        waits for the device lock, or one candidate call past the kill bound; the worker is killed either way."""
        deadline = deadline or harness.Deadline(timeout, result_paths)
        start = time.monotonic()
        if not self.ready:
            line = self._line(lambda: time.monotonic() - start > max(timeout, 120))
            if line is None or line == "timeout":
                self.kill()
                return False, self.process.returncode if line is None else -signal.SIGKILL
            self.ready = True
        deadline.restart()  # start-up is not the candidate's time
        try:
            self.process.stdin.write((json.dumps({"job": job_path, "result": result_path, "env": env}) + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.process.wait()
            return False, self.process.returncode
        line = self._line(deadline.passed)
        if line == "timeout":
            self.kill()
            return True, self.process.returncode
        if line is None:
            return False, self.process.returncode
        try:
            code = json.loads(line.decode()).get("done", 0)
        except ValueError:
            code = 0
        if code != 0:  # the worker ends itself after a crash it classified (its process may be unusable)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
            return False, self.process.returncode
        return False, None

    def stderr_tail(self, since=0, limit=2000):
        """The end of what the worker wrote to standard error since offset `since` (this candidate's part)."""
        try:
            with open(self.err_path, "rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(since, size - limit))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stderr_size(self):
        try:
            return os.path.getsize(self.err_path)
        except OSError:
            return 0


class WarmPool:
    """`size` warm workers per device; `acquire()` blocks until one is free (the device with most free first, then
    the one used least); `identity[index]` is the device's index, name and UUID (`devices.visible()`)."""

    def __init__(self, size, devices=None, log_dir=None):
        from . import devices as dev
        try:
            seen = dev.visible()
        except ImportError:  # no torch: only simulated or given devices, known by their index
            seen = []
        self.devices = devices if devices is not None else [d["index"] for d in seen] or [0]
        # What each evaluation's worker_report says it ran on: the index, name and UUID of its device.
        self.identity = {d: {"index": d} for d in self.devices}
        for d in seen:
            if d["index"] in self.identity:
                self.identity[d["index"]] = {"index": d["index"], "name": d.get("name"), "uuid": d.get("uuid")}
        self.acquired = {d: 0 for d in self.devices}
        self.log_dir = log_dir or os.environ.get("TMPDIR") or "/tmp"
        self.lock = threading.Condition()
        self.free = {d: [] for d in self.devices}
        self.replaced = 0
        base = harness.worker_env()
        simulated = bool(os.environ.get("KEVC_SIMULATED_DEVICES"))
        for d in self.devices:
            env = dict(base)
            if not simulated and len(self.devices) > 1:
                env["CUDA_VISIBLE_DEVICES"] = str(d)
            for _ in range(max(1, size)):
                self.free[d].append(WarmWorker(d, env, self.log_dir))

    def acquire(self):
        with self.lock:
            while not any(self.free.values()):
                self.lock.wait()
            # The device with the most free workers; among those, the one given the fewest candidates so far (so
            # that candidates evaluated one after another still spread over the devices).
            d = max(self.devices, key=lambda k: (len(self.free[k]), -self.acquired[k]))
            self.acquired[d] += 1
            return self.free[d].pop()

    def release(self, worker):
        with self.lock:
            if not worker.alive():
                worker.replace()  # a crashed or killed worker: a fresh one takes its slot
                self.replaced += 1
            self.free[worker.device_index].append(worker)
            self.lock.notify()

    def close(self):
        with self.lock:
            for workers in self.free.values():
                for w in workers:
                    w.close()
            self.free = {d: [] for d in self.devices}
