#!/usr/bin/env python3
"""CPU benchmark of kevc against numpy and PyTorch, with the machine's measured roofline.

One run of this script (`python3 bench/cpu/run.py [--out bench/cpu/results]`):
  1. makes sure PyTorch (CPU) can be imported, installing it into a virtual environment if needed, and re-runs
     itself there;
  2. builds kevc in release mode (`swift build -c release`);
  3. records the machine (CPU model, cores, caches, memory, kernel, library versions, kevc commit, load average);
  4. measures STREAM-like memory bandwidth (numpy single-thread copy/scale/add, torch multithreaded
     copy/scale/add/triad on arrays much larger than L3) and the practical fp32 peak (large sgemm through numpy's
     BLAS and torch); the machine's bandwidth and peak are the maxima of those measurements;
  5. for each kernel: checks every kevc configuration against kevc's float64 interpreter (`kevc run --trials N`)
     at a small odd shape and at the bench shape (matmul: 256^3), then times kevc with the default schedule and
     with the hand trace of bench/cpu/<kernel>.trace (`kevc run --trials 0`), numpy and torch (in-process,
     time.perf_counter) at the bench shape, all in this one run;
  6. prints a table and writes <out>.md and <out>.json.

Roofline floor of a kernel = max(bytes / bandwidth, flops / peak), with bytes = compulsory traffic (every input
read once, every output written once) and flops counted from the spec (a transcendental function counts as one).
"fraction of floor" = floor / measured time (1.0 = at the roofline).
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_SCRATCH = os.path.join(ROOT, ".build-bench")
REEXEC_MARK = "KEVC_BENCH_REEXEC"


# ----------------------------------------------------------------------------------------------------------------
# 1. PyTorch (CPU)
# ----------------------------------------------------------------------------------------------------------------

def torch_importable(python: str) -> bool:
    code = "import torch; torch.ones(2) @ torch.ones(2)"
    return subprocess.run([python, "-c", code], capture_output=True).returncode == 0


def find_local_cpu_wheel() -> str | None:
    """A CPU-only torch wheel in pip's find-links directories (PIP_FIND_LINKS / pip config), if any."""
    dirs = []
    for value in [os.environ.get("PIP_FIND_LINKS", "")]:
        dirs += value.split()
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if "find-links" in line:
                dirs += line.split("=", 1)[1].strip().strip("'\"").split()
    except OSError:
        pass
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    for d in dirs:
        d = d.replace("file://", "")
        for path in sorted(glob.glob(os.path.join(d, f"torch-*+cpu-{tag}-*.whl")), reverse=True):
            return path
    return None


def ensure_torch(venv: str) -> None:
    """Re-executes this script under a Python that can import torch (this one, or a venv created for it)."""
    if os.environ.get(REEXEC_MARK) or torch_importable(sys.executable):
        return
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        print(f"[setup] creating virtual environment {venv} (with system site-packages, for numpy)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True)
    if not torch_importable(python):
        wheel = find_local_cpu_wheel()
        if wheel:
            # A CPU-only wheel: its dependencies are small pure-Python packages from PyPI.
            print(f"[setup] pip install {wheel}", flush=True)
            subprocess.run([python, "-m", "pip", "install", wheel], check=True)
        else:
            # PyPI's default Linux wheel is the CUDA build; its nvidia-* dependencies are several GB but the
            # wheel itself runs on CPU.
            print("[setup] pip install torch (PyPI; pulls the CUDA runtime packages)", flush=True)
            subprocess.run([python, "-m", "pip", "install", "torch"], check=True)
    if not torch_importable(python):
        sys.exit("error: could not install an importable torch")
    env = dict(os.environ, **{REEXEC_MARK: "1"})
    os.execve(python, [python, os.path.abspath(__file__)] + sys.argv[1:], env)


# ----------------------------------------------------------------------------------------------------------------
# 2-3. kevc build and machine description
# ----------------------------------------------------------------------------------------------------------------

def build_kevc(scratch: str) -> str:
    print(f"[build] swift build -c release --scratch-path {scratch} --product kevc", flush=True)
    t = time.time()
    subprocess.run(["swift", "build", "-c", "release", "--scratch-path", scratch, "--product", "kevc"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    bin_dir = subprocess.run(["swift", "build", "-c", "release", "--scratch-path", scratch, "--show-bin-path"],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    print(f"[build] done in {time.time() - t:.0f} s", flush=True)
    return os.path.join(bin_dir, "kevc")


def sh(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return ""


def machine_info() -> dict:
    import numpy as np
    import torch
    cpuinfo = open("/proc/cpuinfo").read()
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    flags = re.search(r"flags\s*:\s*(.*)", cpuinfo)
    fam = re.search(r"cpu family\s*:\s*(\d+)", cpuinfo)
    mod = re.search(r"model\s*:\s*(\d+)", cpuinfo)
    meminfo = open("/proc/meminfo").read()
    mem_kb = int(re.search(r"MemTotal:\s*(\d+)", meminfo).group(1))
    lscpu = sh(["lscpu"])
    caches = {k: v for k, v in re.findall(r"^(L[123][di]? cache):\s*(.*)$", lscpu, re.M)}
    simd = [f for f in ["avx2", "fma", "avx512f", "avx512_bf16"] if flags and f in flags.group(1).split()]
    blas = ""
    try:
        cfg = np.show_config(mode="dicts")
        b = cfg.get("Build Dependencies", {}).get("blas", {})
        blas = f"{b.get('name', '')} {b.get('version', '')}".strip()
    except Exception:
        pass
    commit = sh(["git", "rev-parse", "--short", "HEAD"])
    dirty = sh(["git", "status", "--porcelain", "--untracked-files=no", "--", "Sources", "Package.swift"])
    return {
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "cpu_family_model": f"family {fam.group(1)} model {mod.group(1)}" if fam and mod else "",
        "simd": simd,
        "cores": os.cpu_count(),
        "caches": caches,
        "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "hypervisor": "yes" if flags and "hypervisor" in flags.group(1).split() else "no",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": blas,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "kevc_commit": commit + ("+uncommitted Sources changes" if dirty else ""),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def wait_for_idle(limit_s: float, threshold: float) -> None:
    """Other processes on a shared 2-core machine distort every number: wait (bounded) for a quieter moment."""
    start = time.time()
    while os.getloadavg()[0] > threshold and time.time() - start < limit_s:
        time.sleep(5)
    print(f"[load] 1/5/15-min load average: {load_average()} (waited {time.time() - start:.0f} s)", flush=True)


# ----------------------------------------------------------------------------------------------------------------
# 4. Bandwidth and peak
# ----------------------------------------------------------------------------------------------------------------

def best_time(f, repeats: int) -> float:
    f()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def measure_bandwidth(n_floats: int, repeats: int) -> dict:
    """STREAM-like kernels on three arrays of n_floats f32 (bytes counted as STREAM does: no write-allocate)."""
    import numpy as np
    import torch
    a = np.full(n_floats, 1.0, np.float32)
    b = np.full(n_floats, 2.0, np.float32)
    c = np.full(n_floats, 0.5, np.float32)
    nb = 4 * n_floats
    r = {}
    r["numpy_1thread_copy"] = 2 * nb / best_time(lambda: np.copyto(c, a), repeats)
    r["numpy_1thread_scale"] = 2 * nb / best_time(lambda: np.multiply(a, np.float32(3.0), out=c), repeats)
    r["numpy_1thread_add"] = 3 * nb / best_time(lambda: np.add(a, b, out=c), repeats)
    ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c)
    with torch.inference_mode():
        r["torch_mt_copy"] = 2 * nb / best_time(lambda: tc.copy_(ta), repeats)
        r["torch_mt_scale"] = 2 * nb / best_time(lambda: torch.mul(ta, 3.0, out=tc), repeats)
        r["torch_mt_add"] = 3 * nb / best_time(lambda: torch.add(ta, tb, out=tc), repeats)
        r["torch_mt_triad"] = 3 * nb / best_time(lambda: torch.add(ta, tb, alpha=3.0, out=tc), repeats)
    return {k: v / 1e9 for k, v in r.items()}  # GB/s


def measure_peak(n: int, repeats: int, threads: int | None = None) -> dict:
    """sgemm GFLOP/s of numpy (its BLAS) and torch, n x n x n, best of `repeats`. With `threads` (fewer than the
    cores: the KernelBench CPU table times one thread), both use that many threads: torch through set_num_threads,
    numpy in a child process with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS set (its BLAS reads them
    once, at import). Without it numpy's BLAS took every core of this shared 2-core machine while torch and the
    kernels ran one thread, and two contending threads gave 45 GFLOP/s where one gives about 200 (2026-12-07,
    Emerald Rapids class, OpenBLAS SkylakeX kernels)."""
    import numpy as np
    import torch
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, n), dtype=np.float32)
    y = rng.standard_normal((n, n), dtype=np.float32)
    flops = 2.0 * n**3
    r = {}
    if threads and threads < (os.cpu_count() or 1):
        code = ("import time, numpy as np\n"
                "x = np.random.default_rng(0).standard_normal((%d, %d), dtype=np.float32); y = x.copy(); x @ y\n"
                "b = float('inf')\n"
                "for _ in range(%d):\n"
                "    t = time.perf_counter(); x @ y; b = min(b, time.perf_counter() - t)\n"
                "print(b)\n" % (n, n, repeats))
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        if out.returncode == 0:
            r["numpy_sgemm"] = flops / float(out.stdout.split()[-1])
        torch.set_num_threads(threads)
    else:
        r["numpy_sgemm"] = flops / best_time(lambda: x @ y, repeats)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    with torch.inference_mode():
        r["torch_sgemm"] = flops / best_time(lambda: tx @ ty, repeats)
    return {k: v / 1e9 for k, v in r.items()}  # GFLOP/s


# ----------------------------------------------------------------------------------------------------------------
# 5. Kernels
# ----------------------------------------------------------------------------------------------------------------

def numpy_impls():
    import numpy as np

    def softmax(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        e /= e.sum(axis=1, keepdims=True)
        return e

    def rmsnorm(x, w, eps):
        ss = np.einsum("ij,ij->i", x, x)[:, None]
        return x * (1.0 / np.sqrt(ss / np.float32(x.shape[1]) + eps)) * w

    def layernorm(x, w, b, eps):
        mean = x.mean(axis=1, keepdims=True)
        xc = x - mean
        var = np.einsum("ij,ij->i", xc, xc)[:, None] / np.float32(x.shape[1])
        return xc * (1.0 / np.sqrt(var + eps)) * w + b

    def conv1d(x, w):
        # padding 1, K = 3: y = sum_k w[:, :, k] @ xpad[:, :, k:k+L] (three batched sgemms)
        L = x.shape[2]
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1)))
        y = np.matmul(w[:, :, 0], xp[:, :, 0:L])
        for k in range(1, w.shape[2]):
            y += np.matmul(w[:, :, k], xp[:, :, k:k + L])
        return y

    @np.errstate(over="ignore")
    def chain(x, y, bias, alpha, lo, hi):
        a = alpha * x + bias
        t = np.tanh(a)
        g = (1.0 / (1.0 + np.exp(-y))) * t
        c = np.minimum(np.maximum(g, lo), hi)
        e = np.exp(-np.abs(c))
        s = np.log1p(e)
        r = np.sqrt(s) + e ** np.float32(1.5)
        return np.where((x > 0) & ~np.isnan(y), r, r / (1 + a * a))

    return {"matmul": lambda a, b: a @ b, "softmax": softmax, "rmsnorm": rmsnorm, "layernorm": layernorm,
            "conv1d": conv1d, "elementwise_chain": chain}


def torch_impls():
    import torch
    import torch.nn.functional as F

    def chain(x, y, bias, alpha, lo, hi):
        a = alpha * x + bias
        t = torch.tanh(a)
        g = torch.sigmoid(y) * t
        c = torch.clamp(g, lo, hi)
        e = torch.exp(-c.abs())
        s = torch.log1p(e)
        r = torch.sqrt(s) + e.pow(1.5)
        return torch.where((x > 0) & ~torch.isnan(y), r, r / (1 + a * a))

    def rmsnorm(x, w, eps):
        if hasattr(F, "rms_norm"):
            return F.rms_norm(x, (x.shape[1],), w, eps)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    return {"matmul": lambda a, b: a @ b, "softmax": lambda x: torch.softmax(x, dim=-1), "rmsnorm": rmsnorm,
            "layernorm": lambda x, w, b, eps: F.layer_norm(x, (x.shape[1],), w, b, eps),
            "conv1d": lambda x, w: F.conv1d(x, w, padding=1), "elementwise_chain": chain}


def kernels():
    """Bench shapes, compulsory bytes and flops (f32 everywhere), and how to make inputs."""
    import numpy as np
    rng = np.random.default_rng(1)
    f32 = np.float32

    def normal(*shape):
        return rng.standard_normal(shape, dtype=f32)

    M = N = 4096
    mm = 1024
    cn, cc, cl, cf, ck = 8, 128, 4096, 128, 3
    return [
        dict(name="matmul", spec="specs/matmul.kev", shape=f"M={mm},N={mm},K={mm}", small="M=67,N=61,K=129",
             check_shape="M=256,N=256,K=256", dtype="f32", desc=f"{mm}x{mm}x{mm}",
             bytes=4 * 3 * mm * mm, flops=2.0 * mm**3, iters=4,
             inputs=lambda: (normal(mm, mm), normal(mm, mm))),
        dict(name="softmax", spec="specs/softmax.kev", shape=f"M={M},N={N}", small="M=61,N=203",
             check_shape=f"M={M},N={N}", dtype="f32", desc=f"{M}x{N}, rows",
             bytes=4 * 2 * M * N, flops=5.0 * M * N, iters=5,
             inputs=lambda: (normal(M, N),)),
        dict(name="rmsnorm", spec="bench/cpu/specs/rmsnorm_f32.kev", shape=f"M={M},N={N}", small="M=61,N=96",
             check_shape=f"M={M},N={N}", dtype="f32 (bench spec; specs/rmsnorm.kev is bf16)",
             desc=f"{M}x{N}, rows", bytes=4 * (2 * M * N + N), flops=4.0 * M * N, iters=5,
             inputs=lambda: (normal(M, N), normal(N), f32(1e-6))),
        dict(name="layernorm", spec="specs/layernorm.kev", shape=f"M={M},N={N}", small="M=53,N=130",
             check_shape=f"M={M},N={N}", dtype="f32", desc=f"{M}x{N}, rows",
             bytes=4 * (2 * M * N + 2 * N), flops=7.0 * M * N, iters=5,
             inputs=lambda: (normal(M, N), normal(N), normal(N), f32(1e-5))),
        dict(name="conv1d", spec="bench/cpu/specs/conv1d_f32.kev",
             shape=f"N={cn},C={cc},L={cl},F={cf},K={ck}", small="N=3,C=13,L=61,F=20,K=3",
             check_shape=f"N=2,C={cc},L=512,F={cf},K={ck}", dtype="f32 (bench spec; specs/conv1d.kev is bf16)",
             desc=f"N={cn} C={cc} L={cl} F={cf} K={ck}, pad 1", bytes=4 * (cn * cc * cl + cf * cc * ck + cn * cf * cl),
             flops=2.0 * cn * cf * cl * cc * ck, iters=2,
             inputs=lambda: (normal(cn, cc, cl), normal(cf, cc, ck))),
        dict(name="elementwise_chain", spec="specs/elementwise_chain.kev", shape=f"M={M},N={N}", small="M=61,N=77",
             check_shape=f"M={M},N={N}", dtype="f32", desc=f"{M}x{N}",
             bytes=4 * (3 * M * N + N), flops=30.0 * M * N, iters=3,
             inputs=lambda: (normal(M, N), normal(M, N), normal(N), f32(0.7), f32(-0.5), f32(0.8))),
    ]


def time_inprocess(f, args, iters: int, repeats: int) -> list[float]:
    f(*args)  # warm up (allocations, thread pools)
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(iters):
            f(*args)
        samples.append((time.perf_counter() - t) / iters)
    return samples


UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def kevc_run(kevc: str, spec: str, shape: str, trace: str | None, extra: list[str], timeout: float,
             tries: int = 3) -> tuple[str, float | None, str]:
    """Runs `kevc run`; returns (status, seconds per call or None, output). Retries a run that times out."""
    cmd = [kevc, "run", os.path.join(ROOT, spec), "--shape", shape] + (["--schedule", trace] if trace else []) + extra
    out = ""
    for attempt in range(tries):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        except subprocess.TimeoutExpired:
            out = f"timed out after {timeout:.0f} s (attempt {attempt + 1})"
            print(f"    ! {out}: {' '.join(cmd[1:])}", flush=True)
            continue
        out = p.stdout + p.stderr
        m = re.search(r"time per call: ([0-9.]+) (us|ms|s)", p.stdout)
        t = float(m.group(1)) * UNITS[m.group(2)] if m else None
        if "PASS" in p.stdout.split():
            return "PASS", t, out
        if "UNCHECKED" in p.stdout.split():
            return "UNCHECKED", t, out
        if "FAIL" in p.stdout.split():
            return "FAIL", t, out
        return "ERROR", t, out
    return "TIMEOUT", None, out


def failed_trials(output: str) -> str:
    names = re.findall(r"trial \d+ (\S+) seed \d+:[^\n]*FAIL", output)
    return ",".join(names)


def summarize(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"median_s": statistics.median(s), "min_s": s[0], "max_s": s[-1], "samples_s": s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(HERE, "results"), help="output path without extension")
    ap.add_argument("--scratch-path", default=DEFAULT_SCRATCH, help="swift build scratch path for kevc")
    ap.add_argument("--venv", default=os.path.join(DEFAULT_SCRATCH, "venv"), help="venv used when torch is missing")
    ap.add_argument("--skip-build", action="store_true", help="use the kevc already built in --scratch-path")
    ap.add_argument("--only", default="", help="comma-separated kernel names (default: all)")
    ap.add_argument("--repeats", type=int, default=7, help="timing repeats per implementation (median reported)")
    ap.add_argument("--kevc-processes", type=int, default=3,
                    help="separate `kevc run` processes per kevc configuration (median of their medians)")
    ap.add_argument("--wait-idle", type=float, default=90, help="seconds to wait for a 1-min load average < 1.5")
    ap.add_argument("--timeout", type=float, default=120, help="seconds before a `kevc run` is abandoned")
    args = ap.parse_args()

    ensure_torch(args.venv)
    import numpy as np
    import torch
    torch.set_num_threads(2 if (os.cpu_count() or 2) >= 2 else 1)

    kevc = os.path.join(args.scratch_path, "release", "kevc") if args.skip_build else build_kevc(args.scratch_path)
    t_start = time.time()
    wait_for_idle(args.wait_idle, 1.5)
    load_start = load_average()
    info = machine_info()
    print("[machine] " + json.dumps(info), flush=True)

    print("[roofline] measuring bandwidth (3 x 256 MiB arrays) and sgemm peak", flush=True)
    bw = measure_bandwidth(64 * 2**20, 5)
    peak = measure_peak(2048, 5)
    bandwidth = max(bw.values())
    peak_gflops = max(peak.values())
    print(f"[roofline] bandwidth GB/s: " + ", ".join(f"{k} {v:.1f}" for k, v in bw.items()), flush=True)
    print(f"[roofline] peak GFLOP/s: " + ", ".join(f"{k} {v:.1f}" for k, v in peak.items()), flush=True)

    npi, thi = numpy_impls(), torch_impls()
    only = set(filter(None, args.only.split(",")))
    results = []
    for k in kernels():
        if only and k["name"] not in only:
            continue
        name = k["name"]
        floor_mem = k["bytes"] / (bandwidth * 1e9)
        floor_cmp = k["flops"] / (peak_gflops * 1e9)
        floor = max(floor_mem, floor_cmp)
        row = {"kernel": name, "spec": k["spec"], "shape": k["shape"], "desc": k["desc"], "dtype": k["dtype"],
               "bytes": k["bytes"], "flops": k["flops"], "floor_s": floor,
               "bound": "memory" if floor_mem >= floor_cmp else "compute", "impls": {}}
        print(f"\n== {name} [{k['shape']}] {k['dtype']}: {k['bytes'] / 1e6:.1f} MB, {k['flops'] / 1e9:.3f} GFLOP, "
              f"floor {floor * 1e3:.3f} ms ({row['bound']}-bound)", flush=True)

        # numpy and torch, in process.
        inputs = k["inputs"]()
        np_out = npi[name](*inputs)
        t_inputs = tuple(torch.from_numpy(x) if isinstance(x, np.ndarray) else float(x) for x in inputs)
        with torch.inference_mode():
            th_out = thi[name](*t_inputs).numpy()
            agree = float(np.max(np.abs(np_out - th_out)) / max(1e-30, float(np.max(np.abs(np_out)))))
            row["numpy_vs_torch_max_rel_diff"] = agree
            for impl, f, a in [("numpy", npi[name], inputs), ("torch", thi[name], t_inputs)]:
                s = summarize(time_inprocess(f, a, k["iters"], args.repeats))
                row["impls"][impl] = s
                print(f"  {impl:12s} {s['median_s'] * 1e3:9.3f} ms  (min {s['min_s'] * 1e3:.3f}, "
                      f"max {s['max_s'] * 1e3:.3f})", flush=True)
        del inputs, t_inputs, np_out, th_out

        # kevc: default schedule and the hand trace.
        trace_path = os.path.join(HERE, f"{name}.trace")
        for impl, trace in [("kevc default", None), ("kevc hand", trace_path)]:
            checks = {}
            for label, shape, trials in [("small", k["small"], 5), ("bench", k["check_shape"], 1)]:
                status, _, out = kevc_run(kevc, k["spec"], shape, trace,
                                          ["--trials", str(trials), "--iterations", "0"], args.timeout)
                checks[label] = {"shape": shape, "trials": trials, "status": status,
                                 "failed_trials": failed_trials(out)}
                if status not in ("PASS", "FAIL"):
                    checks[label]["output"] = out[-2000:]
            medians = []
            for _ in range(args.kevc_processes):
                status, t, out = kevc_run(kevc, k["spec"], k["shape"], trace,
                                          ["--trials", "0", "--iterations", str(k["iters"]),
                                           "--repeats", str(args.repeats)], args.timeout)
                if t is not None:
                    medians.append(t)
                elif status != "UNCHECKED":
                    checks["timing_error"] = out[-2000:]
            s = summarize(medians) if medians else None
            row["impls"][impl] = dict(s or {}, check=checks, trace=os.path.relpath(trace, ROOT) if trace else None)
            check_text = " ".join(f"{lbl}:{c['status']}" + (f"({c['failed_trials']})" if c["failed_trials"] else "")
                                  for lbl, c in checks.items() if isinstance(c, dict))
            if s:
                print(f"  {impl:12s} {s['median_s'] * 1e3:9.3f} ms  (min {s['min_s'] * 1e3:.3f}, "
                      f"max {s['max_s'] * 1e3:.3f})  check {check_text}", flush=True)
            else:
                print(f"  {impl:12s}   no time   check {check_text}", flush=True)

        for impl, s in row["impls"].items():
            if "median_s" not in s:
                continue
            s["fraction_of_floor"] = floor / s["median_s"]
            s["x_numpy"] = row["impls"]["numpy"]["median_s"] / s["median_s"]
            s["x_torch"] = row["impls"]["torch"]["median_s"] / s["median_s"]
            s["gbytes_per_s"] = k["bytes"] / s["median_s"] / 1e9
            s["gflops"] = k["flops"] / s["median_s"] / 1e9
        results.append(row)

    load_end = load_average()
    report = {"machine": info, "load_average_start": load_start, "load_average_end": load_end,
              "bandwidth_gbs": bw, "bandwidth_used_gbs": bandwidth, "peak_gflops": peak,
              "peak_used_gflops": peak_gflops, "kernels": results, "targets": targets(results),
              "wall_s": round(time.time() - t_start, 1),
              "kevc_threads": os.environ.get("KEVC_NUM_THREADS", f"default ({os.cpu_count()})"),
              "torch_threads": torch.get_num_threads()}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".json", "w") as f:
        json.dump(report, f, indent=1)
    md = markdown(report)
    with open(args.out + ".md", "w") as f:
        f.write(md)
    print("\n" + md)
    print(f"[done] {args.out}.md, {args.out}.json ({report['wall_s']:.0f} s)")


def targets(results: list[dict]) -> list[dict]:
    """The issue's targets: memory-bound kernels >= 80% of measured bandwidth; matmul >= 50% of numpy."""
    out = []
    for r in results:
        best = r["impls"].get("kevc hand", {})
        if r["kernel"] == "matmul":
            x = best.get("x_numpy")
            out.append({"kernel": "matmul", "target": "kevc hand >= 0.5 x numpy throughput",
                        "value": x, "met": x is not None and x >= 0.5})
        elif r["bound"] == "memory":
            f = best.get("fraction_of_floor")
            out.append({"kernel": r["kernel"], "target": "kevc hand >= 0.8 of the bandwidth floor",
                        "value": f, "met": f is not None and f >= 0.8})
    return out


def markdown(rep: dict) -> str:
    m = rep["machine"]
    lines = ["# kevc CPU benchmark", "",
             f"Machine: **{m['cpu_model']}** ({m['cpu_family_model']}, {', '.join(m['simd'])}), {m['cores']} cores, "
             f"{m['memory_gib']} GiB, caches {', '.join(f'{k} {v}' for k, v in m['caches'].items())}; "
             f"Linux {m['kernel']}, VM: {m['hypervisor']}.",
             f"Software: Python {m['python']}, numpy {m['numpy']} ({m['numpy_blas']}), torch {m['torch']} "
             f"({rep['torch_threads']} threads), kevc {m['kevc_commit']} (threads: {rep['kevc_threads']}). "
             f"Run {m['date']}, {rep['wall_s']:.0f} s.",
             f"Load average (1/5/15 min) at start {rep['load_average_start']}, at end {rep['load_average_end']} "
             "(the machine is shared; load above ~0.5 inflates every time below).", "",
             "## Roofline", "",
             "| measurement | value |", "| --- | --- |"]
    for k, v in rep["bandwidth_gbs"].items():
        lines.append(f"| bandwidth {k} | {v:.1f} GB/s |")
    for k, v in rep["peak_gflops"].items():
        lines.append(f"| peak {k} (2048^3) | {v:.1f} GFLOP/s |")
    lines += ["", f"Used: bandwidth **{rep['bandwidth_used_gbs']:.1f} GB/s** (max of the above), fp32 peak "
              f"**{rep['peak_used_gflops']:.1f} GFLOP/s** (max sgemm: a practical peak, not the FMA-port limit). "
              "Floor = max(bytes / bandwidth, flops / peak); bytes = inputs read once + outputs written once.", "",
              "## Kernels", "",
              "| kernel | shape, dtype | MB | GFLOP | floor ms | impl | median ms | min..max ms | of floor | "
              "x numpy | x torch | check |",
              "| --- | --- | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | --- |"]
    for r in rep["kernels"]:
        first = True
        for impl in ["kevc default", "kevc hand", "numpy", "torch"]:
            s = r["impls"].get(impl)
            if s is None:
                continue
            head = (f"| {r['kernel']} | {r['desc']}, {r['dtype']} | {r['bytes'] / 1e6:.1f} | {r['flops'] / 1e9:.3f} | "
                    f"{r['floor_s'] * 1e3:.3f} ({r['bound']}) " if first else "| | | | | ")
            first = False
            chk = ""
            if "check" in s:
                chk = " ".join(f"{lbl} {c['status']}" + (f" ({c['failed_trials']})" if c["failed_trials"] else "")
                               for lbl, c in s["check"].items() if isinstance(c, dict))
            if "median_s" in s:
                lines.append(head + f"| {impl} | {s['median_s'] * 1e3:.3f} | {s['min_s'] * 1e3:.3f}..{s['max_s'] * 1e3:.3f} | "
                             f"{s['fraction_of_floor']:.2f} | {s['x_numpy']:.2f} | {s['x_torch']:.2f} | {chk} |")
            else:
                lines.append(head + f"| {impl} | - | - | - | - | - | {chk} |")
    lines += ["", "`of floor` = floor / median (1.00 = at the roofline); `x numpy` / `x torch` = their median / this "
              "median (> 1: faster). numpy/torch: in-process medians of repeats of several calls; kevc: medians of "
              "separate `kevc run --trials 0` processes (each itself a median of repeats); min..max over those.", "",
              "## Targets", "", "| kernel | target | value | met |", "| --- | --- | ---: | --- |"]
    for t in rep["targets"]:
        v = "-" if t["value"] is None else f"{t['value']:.2f}"
        lines.append(f"| {t['kernel']} | {t['target']} | {v} | {'yes' if t['met'] else 'no'} |")
    lines += ["", "Why targets are missed and which transforms/backend features are missing: see bench/README.md.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
