"""Checks kevc's HIP kernels without a GPU: each spec's HIP source (kevc compile --target hip) is compiled as plain
C++ with -DKEVC_HOST (kevc_hip.h runs every launch as one thread walking all thread indices in order), run on the
harness's inputs (several distributions, poisoned results) and compared with the float64 torch reference under the
harness's tolerance rule. This checks what each thread computes (indices, guards, semantics of every operation).
With --threads, each launch runs one block's worth of std::threads in lockstep at its barriers (kevc_hip.h,
KEVC_HOST_THREADS), which also checks how a block's threads cooperate (strided loops, block reductions through
shuffles and shared slots, shared staging); with --mfma as well, a matrix-unit tile takes its MFMA path with the
instructions emulated from kevc_hip.h's lane layout (-DKEVC_HOST_MFMA: 64 threads are one wave), which checks the
generated code's use of the layout (masks, steps, registers), not AMD's hardware. The GPU's memory model and math
library are checked on the GPU (bench/gpu/targets-check.sh).

    python3 -m kevc_gpu.hip_host_check --kevc .build/debug/kevc specs/*.kev [--shape M=7,N=9] [--json out.json]
        [--threads [--mfma]] [--schedule TRACE] [--jobs N]

With --jobs N, N specs are checked at once (threads: the work is kevc, the C++ compiler and torch, which release the
GIL); the report keeps the order of the specs.
"""

import argparse
import ast
import concurrent.futures
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

from . import inputs as kinputs
from . import modules
from .tolerance import coarser, compare

INCLUDE = os.path.dirname(os.path.abspath(__file__))
CTYPE = {"f16": ctypes.c_float, "bf16": ctypes.c_float, "f32": ctypes.c_float, "f64": ctypes.c_double,
         "i8": ctypes.c_int8, "i32": ctypes.c_int32, "i64": ctypes.c_int64, "bool": ctypes.c_bool}


def _kevc(kevc, spec, shape, args, out):
    cmd = [kevc, "compile", spec] + args + ["-o", out] + (["--shape", shape] if shape else [])
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip()[-2000:])


def host_compiler():
    """A host C++ compiler: $CXX, else g++, clang++-19 or c++ from the PATH."""
    import shutil
    for c in [os.environ.get("CXX")] + ["g++", "clang++-19", "c++"]:
        if c and shutil.which(c):
            return c
    raise RuntimeError("no host C++ compiler (set CXX)")


def check(kevc, spec, shape, folder, distributions, seed=0x6B657663, cxx=None, threads=False, schedule=None,
          mfma=False, matmul_precision=None):
    cxx = cxx or host_compiler()
    name = os.path.basename(spec)[:-4]
    hip, module, ref = (os.path.join(folder, name + ext) for ext in (".hip", ".hip.py", ".ref.py"))
    # The accuracy contract of f32 contractions (a trace's tf32 or bf16 needs `high` or `medium`): the module and the
    # reference are compiled under it, so both name its tolerance.
    contract = ["--matmul-precision", matmul_precision] if matmul_precision else []
    traced = (["--schedule", schedule] if schedule else []) + contract
    _kevc(kevc, spec, shape, ["--target", "hip"] + traced, hip)
    _kevc(kevc, spec, shape, ["--target", "hip", "--emit", "hip-py"] + traced, module)
    _kevc(kevc, spec, shape, ["--emit", "torch-ref"] + contract, ref)
    text = open(module).read()
    meta = ast.literal_eval(text[text.index("KEVC = ") + len("KEVC = "):text.index("\n}\n") + 2])
    entry = text.split("fn = getattr(lib, \"", 1)[1].split("\"", 1)[0]
    so = os.path.join(folder, name + ".so")
    mode = ["-std=c++20", "-DKEVC_HOST_THREADS", "-pthread"] if threads else ["-std=c++17"]
    mode += ["-DKEVC_HOST_MFMA"] if mfma else []
    p = subprocess.run([cxx, "-O1"] + mode + ["-fwrapv", "-DKEVC_HOST", "-shared", "-fPIC", "-I", INCLUDE,
                        "-x", "c++", hip, "-o", so], capture_output=True, text=True)
    if p.returncode != 0:
        return {"spec": spec, "status": "compile_error", "reason": p.stderr[-2000:]}
    fn = getattr(ctypes.CDLL(so), entry)
    fn.restype = ctypes.c_int
    reference = modules.load_module(ref)
    params, results = modules.signature(reference.KEVC_REFERENCE)
    tolerances = {r["name"]: r.get("tolerance") for r in reference.KEVC_REFERENCE["results"]}
    # A dot read in a reduced precision (precision(y, bf16): bf16 MFMA) names its results' precision, as in the
    # harness (worker.py): the coarser of the two applies.
    for name, t in (meta.get("tolerance") or {}).items():
        tolerances[name] = coarser(tolerances[name], t) if tolerances.get(name) else t
    for t, dist in enumerate(distributions):
        ins = kinputs.generate(params, kinputs.trial_seed(seed, t), dist, "cpu")
        outs = kinputs.poisoned(results, "cpu")
        keep, args = [], []
        for p_ in params:
            v = ins[p_["name"]]
            if len(p_["shape"]) == 0:
                c = CTYPE[p_["dtype"]](v.item())
                keep.append(c)
                args.append(ctypes.cast(ctypes.pointer(c), ctypes.c_void_p))
            else:
                args.append(ctypes.c_void_p(v.data_ptr()))
        for r in results:
            args.append(ctypes.c_void_p(outs[r["name"]].data_ptr()))
        for w in meta["workspace"]:
            buf = torch.empty((w["elements"],), dtype=kinputs.NATIVE[w["dtype"]])
            keep.append(buf)
            args.append(ctypes.c_void_p(buf.data_ptr()))
        array = (ctypes.c_void_p * max(1, len(args)))(*args)
        rc = fn(array, None)
        if rc != 0:
            return {"spec": spec, "status": "crash", "reason": "launch returned %d" % rc}
        expected = reference.reference(ins)
        for r in results:
            c = compare(outs[r["name"]], expected[r["name"]], r["dtype"], tolerances.get(r["name"]))
            if not c["passed"]:
                return {"spec": spec, "status": c["kind"], "distribution": dist, "result": r["name"],
                        "reason": c.get("reason"), "max_abs": c.get("max_abs")}
    return {"spec": spec, "status": "ok", "trials": len(distributions)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("specs", nargs="+")
    ap.add_argument("--kevc", default="kevc")
    ap.add_argument("--shape", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--threads", action="store_true", help="run each launch as one block of std::threads")
    ap.add_argument("--mfma", action="store_true", help="with --threads: matrix-unit tiles on emulated MFMA")
    ap.add_argument("--schedule", default=None, help="a trace applied to every spec (default: its GPU schedule)")
    ap.add_argument("--jobs", type=int, default=1, help="specs checked at once (default 1)")
    ap.add_argument("--matmul-precision", default=None, help="kevc's accuracy contract for f32 contractions "
                    "(highest, high, medium; default: each spec's)")
    a = ap.parse_args(argv)
    if a.mfma and not a.threads:
        ap.error("--mfma needs --threads (the 64 threads of a block are the wave's lanes)")
    dists = kinputs.DISTRIBUTIONS[:max(1, a.trials)]
    out, bad = [], 0

    def one(spec, folder):
        t0 = time.time()
        try:
            # A folder per spec: two specs of one name (specs/x.kev, specs/kernelbench/x.kev) never share files.
            r = check(a.kevc, spec, a.shape, tempfile.mkdtemp(dir=folder), dists, threads=a.threads,
                      schedule=a.schedule, mfma=a.mfma, matmul_precision=a.matmul_precision)
        except Exception as e:  # a compile refusal or a harness error is a result, not a crash of the check
            r = {"spec": spec, "status": "error", "reason": str(e)[-2000:]}
        r["seconds"] = round(time.time() - t0, 2)
        return r

    with tempfile.TemporaryDirectory() as folder, \
            concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for r in pool.map(lambda spec: one(spec, folder), a.specs):
            out.append(r)
            bad += r["status"] != "ok"
            print("%-55s %s%s" % (r["spec"], r["status"], "" if r["status"] == "ok" else ": " + str(r.get("reason"))[:200]),
                  flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    print("%d of %d specs pass" % (len(out) - bad, len(out)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
