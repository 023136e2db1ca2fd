"""Evaluations as Ray tasks: many machines through an existing engine (https://docs.ray.io), not a home-made one.

    kevc search SPEC --target triton --executor ray://HEAD:10001 --jobs 8
    python3 -m kevc_gpu run ... --executor ray://HEAD:10001        (one candidate)

The search and its database stay on the driver (the machine running `kevc search`); each candidate's evaluation is
one Ray task with `num_gpus=1` (Ray gives it a GPU and sets CUDA_VISIBLE_DEVICES), which writes the candidate's
kernel and reference modules to a temporary folder on its node and runs the harness there exactly as locally (a
fresh worker process per candidate, its timeout, its classification), returning the JSON summary. `kevc_gpu`
travels with the tasks (its .py files, put in Ray's object store once and written on each node under a folder
named by their hash), so the cluster's nodes need only Python, Ray, torch and Triton; KEVC_GPU_DEVICE and
TRITON_INTERPRET, when set on the driver, travel too. A task that cannot run (its node died,
the cluster went away) is `harness_error`, never the candidate's crash.

The address may carry resources per task: `ray://HOST:PORT?gpus=0&cpus=1` (CPU resources: how the tests run a
local cluster on loopback under Triton's interpreter). One connection per process (`get`), kept for its life: the
search's harness server holds it, so candidates do not pay the Ray client's connection (seconds) each.
"""

import os
import tempfile
import urllib.parse

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_FORWARDED = ("KEVC_GPU_DEVICE", "TRITON_INTERPRET")
_executors = {}


def _package_files():
    out = {}
    for name in sorted(os.listdir(PACKAGE_DIR)):
        if name.endswith(".py"):
            with open(os.path.join(PACKAGE_DIR, name)) as f:
                out[name] = f.read()
    return out


def _install_package(package):
    """Writes kevc_gpu (its .py files, sent with the task) to a folder named by its content hash on this node and
    imports it from there (a Ray worker process that ran another version first forgets that one)."""
    import hashlib
    import sys
    digest = hashlib.sha256("".join(k + v for k, v in sorted(package.items())).encode()).hexdigest()[:16]
    root = os.path.join(tempfile.gettempdir(), "kevc-ray-pkg-%s" % digest)
    folder = os.path.join(root, "kevc_gpu")
    if not os.path.exists(os.path.join(folder, "__main__.py")):
        os.makedirs(folder, exist_ok=True)
        for name, text in package.items():
            tmp = os.path.join(folder, name + ".%d.tmp" % os.getpid())
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, os.path.join(folder, name))
    loaded = sys.modules.get("kevc_gpu")
    if loaded is not None and not os.path.abspath(loaded.__file__).startswith(root):
        for name in [m for m in sys.modules if m == "kevc_gpu" or m.startswith("kevc_gpu.")]:
            del sys.modules[name]
    if root not in sys.path:
        sys.path.insert(0, root)


def _evaluate_on_node(package, env, files, argv):
    """Runs on a Ray worker: kevc_gpu installed from the task, the modules written to a temporary folder, the
    harness run on them there."""
    _install_package(package)
    os.environ.update(env)
    from kevc_gpu import __main__ as cli
    with tempfile.TemporaryDirectory(prefix="kevc-ray-") as tmp:
        paths = {}
        for i, (name, text) in enumerate(sorted(files.items())):
            path = os.path.join(tmp, "m%d_%s" % (i, os.path.basename(name)))
            with open(path, "w") as f:
                f.write(text)
            paths[name] = path
        local = [paths.get(x, x) for x in argv]
        ap = cli.parser()
        a = ap.parse_args(local)
        a.executor = None
        summary = cli.evaluate(a, ap)
        summary["node"] = os.uname().nodename
        return cli._clean(summary)


class RayExecutor:
    def __init__(self, address):
        import ray
        url = urllib.parse.urlsplit(address)
        query = urllib.parse.parse_qs(url.query)
        self.gpus = float(query.get("gpus", ["1"])[0])
        self.cpus = float(query.get("cpus", ["1"])[0])
        self.address = urllib.parse.urlunsplit((url.scheme, url.netloc, url.path, "", ""))
        self.env = {k: os.environ[k] for k in _FORWARDED if k in os.environ}
        # No job-level runtime environment: with one, the Ray client server sets it up before it answers, which
        # timed out on a loaded 2-core machine; the package and variables travel with each task instead.
        ray.init(address=self.address, logging_level="ERROR", log_to_driver=False)
        self.ray = ray
        # This module's functions travel by value: the nodes have no kevc_gpu to import them from.
        import sys
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
        self.package = ray.put(_package_files())
        self.task = ray.remote(num_gpus=self.gpus, num_cpus=self.cpus, max_retries=0)(_evaluate_on_node)

    def evaluate(self, argv, timeout=None):
        """Evaluates one `run` argument list as a Ray task; the summary (harness_error when the task failed)."""
        files = {}
        for flag, value in zip(argv, argv[1:]):
            if flag in ("--kernel", "--reference", "--baseline-kernel"):
                with open(value) as f:
                    files[value] = f.read()
        try:
            return self.ray.get(self.task.remote(self.package, self.env, files, list(argv)), timeout=timeout)
        except Exception as e:  # noqa: BLE001 - the cluster's failure, not the candidate's
            return {"status": "harness_error", "reason": "ray task failed: %s: %s" % (type(e).__name__, str(e)[:500]),
                    "cases": [], "timing": None, "eager": None, "roofline": None, "flags": []}


def get(address):
    """The executor for `address`, connected once per process."""
    if address not in _executors:
        _executors[address] = RayExecutor(address)
    return _executors[address]
