"""A harness process dies with the process that started it (kevc_gpu.harness.die_with_parent): a search or a
benchmark killed at its time limit leaves nothing running candidates on the GPU."""

import os
import signal
import subprocess
import sys
import time

import pytest

from kevc_gpu import harness

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(harness.__file__)))

# The middle process starts a child that ties itself to it, prints the child's pid, and waits.
MIDDLE = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "from kevc_gpu import harness; harness.die_with_parent(); "
                          "import time; time.sleep(60)"], start_new_session=True)
print(child.pid, flush=True)
time.sleep(60)
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too (its parent, pid 1 or a subreaper here, has not reaped it yet).
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_a_harness_process_dies_with_its_parent():
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE], stdout=subprocess.PIPE, text=True, env=env)
    child = int(middle.stdout.readline())
    time.sleep(0.5)
    assert alive(child)
    middle.send_signal(signal.SIGKILL)
    middle.wait()
    deadline = time.time() + 10
    while alive(child) and time.time() < deadline:
        time.sleep(0.1)
    assert not alive(child), "the child outlived its parent"
