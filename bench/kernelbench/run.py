#!/usr/bin/env python3
"""The KernelBench corpus benchmark (specs/kernelbench/): kevc's default schedule and a short search from it, beside
PyTorch eager and torch.compile running the problem as KernelBench writes it (bench/kernelbench/problems.py).

  run.py gpu OUT [--kevc K] [--ops a,b | --part 1/2] [--budget 12] [--search-seconds 45] [--parallel 4] [--jobs 2]
                 [--deadline 480] [--hard-stop S] [--dry-run]
      On the GPU machine, from the repository root, in one run: for every spec at its bench shape, PyTorch eager and
      torch.compile (admitted by footprint: large problems one at a time, beside the searches' checks only when
      they fit the memory free, else with the device to itself; timed calls under the harness's device lock), and `kevc search --target
      triton --budget N --time-limit S` from the default schedule alone (no hand traces), --parallel searches at a
      time sharing the GPU through the same lock (checks overlap, timed calls own the GPU). The search's first
      evaluation is the default schedule: "default ms" is its median, printed as soon as the search records it
      (`[T s] op default: ok 3.4 ms (81% of floor)`). Writes OUT/results.json, OUT/results.md
      (the machine named), OUT/baselines.json, OUT/search/<op>.{db,log,json}. No search starts once fewer than
      --search-seconds + 30 s are left before --deadline (seconds from the start): those ops are reported "not
      run", for a second call (--ops, or --part 2/2). --dry-run: the same flow on this machine without a GPU (the
      specs' small shapes halved and made odd, the harness on the CPU under Triton's interpreter, a stand-in nvidia-smi, host
      clock baselines): a test of the script, its numbers mean nothing. Every call starts one warm-worker server
      (`python3 -m kevc_gpu serve`, --workers; OUT/server.log) that every search uses (`--harness-server`).
      --matmul-precision highest|high|medium|pytorch (default highest): kevc's accuracy contract for f32
      contractions; `pytorch`: per problem the contract PyTorch's defaults give it, detected (contracts_main: its
      PyTorch function under the `highest` flags and under PyTorch's defaults; outputs that differ bitwise mean an
      f32 contraction at TF32, `high`, else `highest`), in OUT/contracts.json with why. --baseline-contract
      same|pytorch|both (default same): the torch flags the baselines run under (bench/gpu/baselines.py
      CONTRACT_FLAGS): kevc's contract, PyTorch's defaults as shipped, or both (a `torch.compile (PyTorch
      defaults)` column beside the same-contract one, which the ratios use). Both options apply to --defaults-only too.
  run.py gpu OUT --defaults-only [--parallel 4] [--compile-ahead 3] [--case-timeout 60] [--cost-limit 5]
                 [--memory-fraction 0.6] [--deadline 480] [--hard-stop S] [--dry-run] [--ops ... | --part i/n]
      The corpus's default schedules only, in one call: each by `kevc run --target triton --with-default-shape
      --harness-server` (the search's protocol for a candidate: the bench shape one trial, timed, revalidated; the
      spec's small shape every distribution), --parallel evaluating and --compile-ahead more compiling on the CPU,
      largest first, admitted by estimated device memory, a harness_error retried alone; the roofline's measured
      cost only where the float64 reference took at most --cost-limit s. Writes OUT/defaults/<op>.json (the
      harness's summaries), results.json/.md with, per problem, where its time went (docs/gpu-harness.md, "The
      KernelBench corpus in one call"). The dry run's stand-in bench shape is each dim halved and made odd (the
      spec's shape where that does not bind), so both cases run.
  run.py cpu OUT [--kevc K] [--ops ...] [--max-points 16777216] [--timeout 120]
      On this machine: kevc's default LLVM schedule (`kevc run --trials 0`) against PyTorch CPU eager at CPU-sized
      shapes (the bench shape with its largest dims halved until the product of all dims is at most --max-points
      and the spec's static cost at most 4x that in flops and 16x in bytes; dims of 16 or less are kept), with
      the roofline floor from bench/cpu/run.py's bandwidth and sgemm measurements. Writes OUT.json and OUT.md.
  run.py check [--ops ...]
      On the CPU: each PyTorch baseline against kevc's float64 reference module (`kevc compile --emit torch-ref`) at
      the spec's default shape, on uniform inputs: ties every spec to the problem it states.
  run.py report OUT DIR [DIR ...]
      One results.md/results.json from several `gpu` calls (e.g. --part 1/2 and --part 2/2), or `report`s; a call
      from before the contract options (none recorded) counts as kevc at `highest` against PyTorch's defaults.
  The corpus problems with an f32 contraction (those the contract options change): f32_contractions.py.
"""
import argparse
import collections
import concurrent.futures
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC_DIR = "specs/kernelbench"
for path in (os.path.join(ROOT, "python"), os.path.join(ROOT, "bench", "gpu"), os.path.join(ROOT, "bench", "search"),
             HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

from bench import bench_shape  # noqa: E402  bench/gpu/bench.py
from summarize import progress  # noqa: E402  bench/search/summarize.py


def load(name, path):
    """A module from a file under a name of our choosing (bench/cpu/run.py and bench/gpu/baselines.py would clash
    with this file and with problems.py by their own names)."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def all_ops():
    return sorted(f[:-4] for f in os.listdir(os.path.join(ROOT, SPEC_DIR)) if f.endswith(".kev"))


def select_ops(args):
    ops = all_ops()
    if args.ops:
        wanted = args.ops.split(",")
        unknown = [o for o in wanted if o not in ops]
        if unknown:
            sys.exit("unknown ops: %s (known: %s)" % (", ".join(unknown), ", ".join(ops)))
        ops = wanted
    if getattr(args, "part", None):
        i, n = (int(x) for x in args.part.split("/"))
        ops = ops[i - 1::n]  # every n-th: each part gets a mix of heavy and light problems
    return ops


def spec_path(op):
    return "%s/%s.kev" % (SPEC_DIR, op)


def torch_ref(kevc, op, shape, folder):
    """`kevc compile --emit torch-ref` at `shape`: the reference module (params, dims, float64 reference, COST)."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "%s.ref.py" % op)
    p = subprocess.run([kevc, "compile", spec_path(op), "--shape", shape, "--emit", "torch-ref", "-o", path],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError((p.stderr or p.stdout)[-1000:])
    return path


def kevc_binary(args):
    if args.kevc:
        return os.path.abspath(args.kevc)
    for candidate in (os.path.join(ROOT, ".build-bench", "release", "kevc"), shutil.which("kevc")):
        if candidate and os.path.exists(candidate):
            return candidate
    sys.exit("no kevc binary: pass --kevc (bench/gpu/kevc-binary.sh unpacks the static one to /tmp/kevc)")


# ------------------------------------------------------------------------------------------------------------------
# Baselines (one process; also `run.py check`)
# ------------------------------------------------------------------------------------------------------------------

def baseline_inputs(ref_path, device, seed=1, distribution="uniform"):
    """The spec's inputs by name, drawn by the harness's generator (KernelBench draws torch.rand: uniform)."""
    from kevc_gpu import inputs, modules
    ref = modules.load_module(ref_path)
    params, _ = modules.signature(ref.KEVC_REFERENCE)
    return ref, inputs.generate(params, seed, distribution, device)


def baseline_footprint(ref_path):
    """Bytes a PyTorch baseline holds on the device: its inputs and outputs, twice (eager's or the compiled graph's
    intermediates, which KernelBench's multi-op problems have), plus 1 GiB for torch.compile's and cuBLAS's
    workspaces."""
    from kevc_gpu import modules
    ref = modules.load_module(ref_path)
    size = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "i8": 1, "i32": 4, "i64": 8, "bool": 1}
    total = 0
    for e in ref.KEVC_REFERENCE["params"] + ref.KEVC_REFERENCE["results"]:
        n = 1
        for d in e["shape"]:
            n *= int(d)
        total += n * size[e["dtype"]]
    return 2 * total + (1 << 30)


def baseline_timings(contract, mode):
    """[(key suffix, contract)]: the torch flags each baseline of a problem runs under, kevc's contract for it being
    `contract`. --baseline-contract `same`: the one kevc ran at ("eager", "compile"); `pytorch`: PyTorch's defaults as
    shipped (bench/gpu/baselines.py CONTRACTS); `both`: the same contract, then PyTorch's defaults ("eager_pytorch",
    "compile_pytorch")."""
    if mode == "pytorch":
        return [("", "pytorch")]
    return [("", contract)] + ([("_pytorch", "pytorch")] if mode == "both" else [])


def baselines_main(a):
    """`run.py _baselines OUT.json REFS_DIR OPS DEVICE LOCK CALLS CONTRACTS.json MODE`: eager and torch.compile of each
    op in turn, under the torch flags of each contract baseline_timings names (CONTRACTS.json: kevc's contract per
    op; MODE: --baseline-contract), each torch.compile traced under its contract's flags after a
    `torch._dynamo.reset()`. A
    problem is admitted by its footprint (inputs, outputs, workspaces): among the baseline processes, one over an
    eighth of the card's memory takes turns alone (a file lock beside the device lock, exclusive; smaller ones
    share it); beside the searches' checks (the device lock shared) only when it fits in the memory free now, else
    with the device to itself (the device lock exclusive). The timed calls always take the device lock exclusively. On the H100 three processes beside three
    searches ran out of memory for 9 problems."""
    out, refs, ops, device, lock_path, calls, contracts_path, mode = a
    calls = int(calls)
    contracts = json.load(open(contracts_path))
    import fcntl
    import torch
    from kevc_gpu.device_lock import DeviceLock
    from kevc_gpu import memory
    timing = load("gpu_baselines", os.path.join(ROOT, "bench", "gpu", "baselines.py"))
    import problems
    lock = DeviceLock(lock_path or None)
    turn = open((lock_path or os.path.join(tempfile.gettempdir(), "kevc-baselines")) + ".baselines", "a")
    result = {}
    def measure(op, entry, alone):
        # alone: the whole op under the exclusive lock (too large to share the device, or a retry after running out
        # of memory beside the searches' float64 references, as the harness's workers retry their checks).
        with (lock.exclusive() if alone else lock.shared()):
            ref, values = baseline_inputs(os.path.join(refs, "%s.ref.py" % op), device)
            fn, kw = problems.baseline(op, ref.KEVC_REFERENCE["dims"], values)
        for suffix, contract in baseline_timings(contracts[op]["contract"], mode):
            torch._dynamo.reset()  # torch.compile traces anew under this contract's flags
            with timing.at_contract(contract):
                entry["contract" + suffix] = contract
                for label, f in (("eager" + suffix, fn), ("compile" + suffix, torch.compile(fn))):
                    try:
                        with (lock.exclusive() if alone else lock.shared()):
                            f(**kw)  # torch.compile compiles here, beside the searches' checks
                            if device == "cuda":
                                torch.cuda.synchronize()
                            if alone:
                                entry[label] = timing.timed(lambda: f(**kw), (), calls=calls, device=device,
                                                            contract=contract)
                        if not alone:
                            with lock.exclusive():
                                entry[label] = timing.timed(lambda: f(**kw), (), calls=calls, device=device,
                                                            contract=contract)
                    except Exception as e:  # one failing baseline must not hide the others
                        if "out of memory" in str(e).lower() and not alone:
                            raise
                        entry[label + "_error"] = repr(e)[:300]

    for op in ops.split(","):
        entry = {}
        t0 = time.time()
        need = baseline_footprint(os.path.join(refs, "%s.ref.py" % op))
        # Small problems measure side by side; one whose footprint is over an eighth of the card has it to itself
        # among the baselines (the turn lock exclusive).
        large = device == "cuda" and need * 8 > torch.cuda.get_device_properties(0).total_memory
        fcntl.flock(turn, fcntl.LOCK_EX if large else fcntl.LOCK_SH)
        try:
            free = memory.free_bytes(torch, torch.device(device)) if device == "cuda" else None
            first = free is not None and need > free
            if first:
                entry["alone"] = "footprint %.1f GiB > %.1f GiB free" % (need / 2 ** 30, free / 2 ** 30)
            for alone in ((True,) if first else (False, True)):
                try:
                    measure(op, entry, alone)
                    break
                except Exception as e:
                    entry["error" if alone else "retried_alone"] = repr(e)[:300]
                finally:
                    if device == "cuda":
                        torch.cuda.empty_cache()
                    torch._dynamo.reset()
                if "out of memory" not in entry.get("retried_alone", "").lower():
                    break
        finally:
            fcntl.flock(turn, fcntl.LOCK_UN)
        entry["seconds"] = round(time.time() - t0, 1)
        result[op] = entry
        print("baseline", op, json.dumps(entry), flush=True)
        with open(out, "w") as fh:
            json.dump(result, fh, indent=1)


def contracts_main(a):
    """`run.py _contracts OUT.json REFS_DIR OPS DEVICE`: the contract PyTorch's defaults give each op
    (bench/gpu/baselines.py detect_contract: the problem's PyTorch function on the baselines' inputs at the bench
    shape, under the `highest` flags and under PyTorch's defaults; outputs that differ bitwise mean an f32
    contraction at TF32, contract `high`, else `highest`). One op at a time, before anything else uses the device."""
    out, refs, ops, device = a
    import torch
    timing = load("gpu_baselines", os.path.join(ROOT, "bench", "gpu", "baselines.py"))
    import problems
    result = {}
    for op in ops.split(","):
        t0 = time.time()
        try:
            ref, values = baseline_inputs(os.path.join(refs, "%s.ref.py" % op), device)
            fn, kw = problems.baseline(op, ref.KEVC_REFERENCE["dims"], values)
            contract, why = timing.detect_contract(fn, kw)
            result[op] = {"contract": contract, "why": "detected: " + why}
        except Exception as e:  # a problem whose baseline fails keeps kevc's default contract, said so
            result[op] = {"contract": "highest", "why": "detection failed (%s): the default contract" % repr(e)[:200]}
        finally:
            values = kw = None
            if device == "cuda":
                torch.cuda.empty_cache()
        result[op]["seconds"] = round(time.time() - t0, 1)
        print("contract", op, json.dumps(result[op]), flush=True)
        with open(out, "w") as fh:
            json.dump(result, fh, indent=1)


def problem_contracts(args, ops, refs, out, env, device):
    """{op: {"contract", "why"}}: kevc's accuracy contract for each problem, which the same-contract baselines share:
    --matmul-precision's for every problem, or with `--matmul-precision pytorch` the one PyTorch's defaults give
    it, detected (contracts_main, in a process of its own). Written to OUT/contracts.json."""
    path = os.path.join(out, "contracts.json")
    if args.matmul_precision != "pytorch":
        contracts = {op: {"contract": args.matmul_precision, "why": "--matmul-precision %s" % args.matmul_precision}
                     for op in ops}
    else:
        with open(os.path.join(out, "contracts.log"), "w") as log:
            subprocess.run([sys.executable, os.path.abspath(__file__), "_contracts", path, refs, ",".join(ops), device],
                           cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            contracts = json.load(open(path))
        except (OSError, ValueError):
            contracts = {}
        for op in ops:  # a detection process that died keeps the rest at the default contract, said so
            contracts.setdefault(op, {"contract": "highest",
                                      "why": "not detected (see contracts.log): the default contract"})
    with open(path, "w") as fh:
        json.dump(contracts, fh, indent=1)
    return contracts


def check_main(args):
    """Each baseline against the float64 reference at the spec's default shape (CPU, uniform inputs)."""
    import torch
    from kevc_gpu.tolerance import compare
    import problems
    kevc = kevc_binary(args)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for op in select_ops(args):
            ref_path = torch_ref(kevc, op, bench_shape(spec_path(op), "dims"), tmp)
            ref, values = baseline_inputs(ref_path, "cpu")
            fn, kw = problems.baseline(op, ref.KEVC_REFERENCE["dims"], values)
            got = fn(**kw)
            got = got if isinstance(got, tuple) else (got,)
            expected = ref.reference({k: v.clone() for k, v in values.items()})
            lines = []
            for r, g in zip(ref.KEVC_REFERENCE["results"], got):
                e = expected[r["name"]]
                c = compare(g.reshape(e.shape).to(torch.float64 if e.is_floating_point() else e.dtype), e, r["dtype"])
                lines.append("%s %s" % (r["name"], "ok" if c["passed"] else "FAIL: " + c["reason"]))
                if not c["passed"]:
                    failures.append(op)
            print("%-32s %s" % (op, "; ".join(lines)), flush=True)
    print("%d problems, %d failing: %s" % (len(select_ops(args)), len(failures), ", ".join(failures) or "none"))
    return 1 if failures else 0


# ------------------------------------------------------------------------------------------------------------------
# GPU mode
# ------------------------------------------------------------------------------------------------------------------

def machine_gpu(kevc, dry_run):
    def sh(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""
    import torch
    import triton
    gpu = sh(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"])
    if dry_run:
        gpu = "dry run on %s (%d cores): no GPU, the harness on the CPU under Triton's interpreter" % (
            platform.processor() or platform.machine(), os.cpu_count())
    return {"gpu": gpu, "torch": torch.__version__, "triton": triton.__version__,
            "kevc": sh([kevc, "--version"]), "cpus": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def gpu_main(args):
    kevc = kevc_binary(args)
    ops = select_ops(args)
    out = os.path.abspath(args.out)
    os.makedirs(os.path.join(out, "search"), exist_ok=True)
    start = time.time()
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), KEVC_PYTHON_DIR=os.path.join(ROOT, "python"))
    device = "cuda"
    if args.dry_run:
        # No GPU: the harness runs Triton's interpreter on the CPU, and a stand-in nvidia-smi names the "GPU".
        fake = os.path.join(out, "fake-bin")
        os.makedirs(fake, exist_ok=True)
        with open(os.path.join(fake, "nvidia-smi"), "w") as fh:
            fh.write("#!/bin/sh\necho 'Interpreter GPU, 9.0, 0.0'\n")
        os.chmod(os.path.join(fake, "nvidia-smi"), 0o755)
        env.update(KEVC_GPU_DEVICE="cpu", TRITON_INTERPRET="1", PATH=fake + ":" + env.get("PATH", ""))
        device = "cpu"
    machine = machine_gpu(kevc, args.dry_run)
    print("[machine]", json.dumps(machine), flush=True)
    shapes = {op: bench_shape(spec_path(op), "dims" if args.dry_run else "bench") for op in ops}
    refs = os.path.join(out, "refs")
    # The reference modules (the baselines' inputs and shapes), emitted on every core at once.
    t0 = time.time()

    def emit_ref(op):
        if args.dry_run:
            # A stand-in "bench" shape other than the spec's own (each dim halved and made odd, as the search's
            # odd shape), so that a default's two cases (this shape timed, the spec's checked) both run; the
            # spec's shape where the halved one does not bind.
            odd = ",".join("%s=%d" % (k, max(1, int(v) // 2) | 1) for k, v in (p.split("=") for p in shapes[op].split(",")))
            try:
                torch_ref(kevc, op, odd, refs)
                shapes[op] = odd
                return
            except RuntimeError:
                pass
        torch_ref(kevc, op, shapes[op], refs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as emit:
        list(emit.map(emit_ref, ops))
    print("[%4.0f s] %d reference modules emitted in %.1f s" % (time.time() - start, len(ops), time.time() - t0),
          flush=True)
    # kevc's contract per problem (and so the same-contract baselines'): --matmul-precision, or detected.
    t0 = time.time()
    contracts = problem_contracts(args, ops, refs, out, env, device)
    print("[%4.0f s] contracts (%s) in %.1f s: %s" % (
        time.time() - start, args.matmul_precision, time.time() - t0, ", ".join(
            "%s %d" % (c, n) for c, n in sorted(collections.Counter(v["contract"] for v in contracts.values()).items()))),
        flush=True)

    # The device lock (SearchEngine: $TMPDIR/kevc-timing-<uid>.lock, ".gpu" for the GPU harness), as the warm
    # workers take it: the server appends the device's index (warm.py: "$KEVC_GPU_LOCK.<i>"). The baselines' timed
    # calls take the same file, so that no check or timing of kevc's overlaps them (they took "<lock>.gpu" while
    # the warm workers took "<lock>.gpu.0": the two never excluded each other).
    base_lock = os.path.join(tempfile.gettempdir(), "kevc-timing-%d.lock.gpu" % os.getuid())
    lock = base_lock + ".0"
    env["KEVC_GPU_LOCK"] = base_lock
    # One warm-worker server for the whole call (python3 -m kevc_gpu serve): every `kevc run` (--defaults-only)
    # and every `kevc search` (--harness-server) hands its candidates to its workers, so Python, torch, Triton and
    # the CUDA context start once per worker for the corpus, not once per problem.
    workers = args.workers or (args.parallel if args.defaults_only else args.parallel * args.jobs)
    server, socket_path, server_s = start_server(env, out, workers)
    print("[%4.0f s] harness server: %d warm worker(s), listening after %.1f s" % (time.time() - start, workers,
                                                                                  server_s), flush=True)
    # --baseline-procs processes, every n-th op each (torch.compile's tracing and lowering is single-threaded);
    # problems too large to share the device take turns (baselines_main).
    n = max(1, args.baseline_procs)
    base_procs = []
    for i in range(min(n, len(ops))):  # no process without a problem
        log = open(os.path.join(out, "baselines-%d.log" % i), "w")
        base_procs.append((subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "_baselines", os.path.join(out, "baselines-%d.json" % i), refs,
             ",".join(ops[i::n]), device, lock, str(args.calls), os.path.join(out, "contracts.json"),
             args.baseline_contract],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log))

    searched = {}
    printing = threading.Lock()
    if args.defaults_only:
        try:
            return defaults_main(args, kevc, ops, shapes, refs, out, env, start, machine, server_s, socket_path,
                                 base_procs, contracts)
        finally:
            stop_server(server)
    # No search or baseline runs past --hard-stop seconds from the start (default: --deadline + 60).
    hard_stop = args.hard_stop if args.hard_stop is not None else args.deadline + 60

    card = card_memory(args.dry_run)

    def search_memory(op):
        share = int(card * args.memory_fraction / max(1, args.parallel))
        need = footprint_estimate(os.path.join(refs, "%s.ref.py" % op))
        return max(1 << 30, min(max(share, need), int(card * 0.9)))

    def search(op):
        left = args.deadline - (time.time() - start)
        if left < args.search_seconds + 30:
            searched[op] = {"status": "not run", "reason": "deadline (%.0f s left)" % left}
            return
        db = os.path.join(out, "search", op + ".db")
        cmd = [kevc, "search", spec_path(op), "--target", "triton", "--shape", shapes[op], "--budget",
               str(args.budget), "--time-limit", str(args.search_seconds), "--db", db, "--trials", "1",
               "--case-timeout", str(args.case_timeout), "--eval-timeout", str(args.case_timeout * 2 + 30),
               "--seed", "1", "--jobs", str(args.jobs), "--harness-server", socket_path,
               "--matmul-precision", contracts[op]["contract"],
               # The searches share one card (and the baselines beside them): each admits its evaluations within
               # its share of --memory-fraction of it, not the whole card each; never less than one evaluation's
               # estimate (inputs, snapshots, outputs and their float64 reference: the harness slices the
               # reference to fit the budget, and the rest cannot be sliced), at most 90% of the card.
               "--device-memory", str(search_memory(op) >> 20)]
        t0 = time.time()
        with open(os.path.join(out, "search", op + ".log"), "w") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            limit = min(t0 + args.search_seconds + 2 * args.case_timeout + 120, start + hard_stop)
            shown = False
            while True:
                try:
                    rc = proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    rc = None
                if not shown:
                    # The default schedule's result, printed as soon as the search has recorded it.
                    line = default_line(db)
                    if line:
                        shown = True
                        with printing:
                            print("[%4.0f s] %s default: %s" % (time.time() - start, op, line), flush=True)
                if rc is not None:
                    break
                if time.time() > limit:
                    proc.kill()
                    proc.wait()
                    rc = "timeout"
                    break
            if not shown:
                with printing:
                    print("[%4.0f s] %s default: %s" % (time.time() - start, op,
                                                        default_line(db) or "not evaluated"), flush=True)
        export = os.path.join(out, "search", op + ".json")
        subprocess.run([kevc, "db", "export", "--db", db, "-o", export], cwd=ROOT, env=env, capture_output=True)
        searched[op] = {"exit": rc, "seconds": round(time.time() - t0, 1), "export": export}
        with printing:
            print("[%4.0f s] search %s: exit %s after %.0f s" % (time.time() - start, op, rc, time.time() - t0),
                  flush=True)
            report_now()

    def report_now():
        # The report so far (the searches finished, the baselines measured): written after every search and at
        # the end, so that a call cut short still brings back what it measured.
        baselines = {}
        for i in range(len(base_procs)):
            path = os.path.join(out, "baselines-%d.json" % i)
            try:
                baselines.update(json.load(open(path)))
            except (OSError, ValueError):
                pass  # not written yet, or being written: the next report has it
        with open(os.path.join(out, "baselines.json"), "w") as fh:
            json.dump(baselines, fh, indent=1)
        rows = [row_of(op, shapes[op], searched.get(op, {}), baselines.get(op, {}), contracts[op]) for op in ops]
        results = {"machine": machine, "mode": "dry-run" if args.dry_run else "gpu",
                   "wall_s": round(time.time() - start),
                   "options": {k: getattr(args, k) for k in ("budget", "search_seconds", "parallel", "jobs",
                                                             "deadline", "hard_stop", "case_timeout", "calls",
                                                             "baseline_procs", "matmul_precision",
                                                             "baseline_contract")},
                   "rows": rows}
        with open(os.path.join(out, "results.json"), "w") as fh:
            json.dump(results, fh, indent=1)
        write_report(out, [results])

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
            list(pool.map(search, ops))
    finally:
        stop_server(server)
    wait_baselines(base_procs, start, hard_stop)
    report_now()


def wait_baselines(base_procs, start, hard_stop):
    for i, (proc, log) in enumerate(base_procs):
        try:
            proc.wait(timeout=max(5, hard_stop - (time.time() - start)))
        except subprocess.TimeoutExpired:
            proc.kill()  # its numbers so far are in its json
            proc.wait()
        log.close()


def start_server(env, out, workers):
    """`python3 -m kevc_gpu serve` with `workers` warm workers per device: (process, socket, seconds until it
    listened). Its workers start in the background; the first requests wait for them."""
    path = os.path.join(tempfile.gettempdir(), "kevc-kb-%d-%d.sock" % (os.getuid(), os.getpid()))
    t0 = time.time()
    log = open(os.path.join(out, "server.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "kevc_gpu", "serve", "--socket", path, "--workers", str(workers)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    line = proc.stdout.readline()
    try:
        ok = json.loads(line).get("listening") == path
    except ValueError:
        ok = False
    if not ok:
        proc.kill()
        sys.exit("the harness server did not start (%s): see %s" % (line.strip()[:200], log.name))
    return proc, path, time.time() - t0


def stop_server(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def footprint_estimate(ref_path):
    """Bytes a default's evaluation holds on the device, roughly (EvaluationFootprint's terms): the inputs and their
    snapshot, the outputs and their float64 reference, 1 GiB of scratch (reduction chunks, the L2 flush buffer).
    Only for admission: the harness slices its reference by the memory free when it must."""
    from kevc_gpu import modules
    ref = modules.load_module(ref_path)
    size = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "i8": 1, "i32": 4, "i64": 8, "bool": 1}

    def elements(e):
        n = 1
        for d in e["shape"]:
            n *= int(d)
        return n
    inputs = sum(elements(e) * size[e["dtype"]] for e in ref.KEVC_REFERENCE["params"])
    outputs = sum(elements(e) * (size[e["dtype"]] + 8) for e in ref.KEVC_REFERENCE["results"])
    return 2 * inputs + outputs + (1 << 30)


class Admission:
    """Evaluations in flight admitted by their estimated device memory: one starts when the estimates in flight and
    its own fit the budget, or when nothing is in flight (a problem larger than the budget runs alone)."""

    def __init__(self, budget):
        self.budget = budget
        self.held = 0
        self.count = 0
        self.cond = threading.Condition()

    def acquire(self, need, alone=False):
        with self.cond:
            self.cond.wait_for(lambda: self.count == 0 or (not alone and self.held + need <= self.budget))
            self.held += need
            self.count += 1
            if alone:
                self.held += self.budget  # nothing else starts beside it

    def release(self, need, alone=False):
        with self.cond:
            self.held -= need + (self.budget if alone else 0)
            self.count -= 1
            self.cond.notify_all()


def card_memory(dry_run):
    """The first GPU's memory in bytes (nvidia-smi), or 16 GiB for a dry run."""
    if dry_run:
        return 16 << 30
    try:
        text = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                              capture_output=True, text=True, timeout=60).stdout
        return int(text.split()[0]) << 20
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return 80 << 30


def defaults_main(args, kevc, ops, shapes, refs, out, env, start, machine, server_s, socket_path, base_procs,
                  contracts):
    """--defaults-only: each problem's default schedule checked and timed at its bench shape by `kevc run --target
    triton --with-default-shape` (a search candidate's protocol: the bench shape one trial, timed, revalidated,
    roofline; the spec's small shape every distribution; poisoned outputs, float64 reference, NaN never passes) in
    the shared server's warm workers; --parallel runs at a time, so that some compile on the CPU while the others
    use the GPU. Writes OUT/defaults/<op>.json (the harness's summary) and per problem where its time went."""
    folder = os.path.join(out, "defaults")
    os.makedirs(folder, exist_ok=True)
    hard_stop = args.hard_stop if args.hard_stop is not None else args.deadline + 60
    admission = Admission(int(card_memory(args.dry_run) * args.memory_fraction))
    results = {}
    printing = threading.Lock()
    estimates = {op: footprint_estimate(os.path.join(refs, "%s.ref.py" % op)) for op in ops}
    # Largest first (longest processing time first packs the call best); the small ones fill in beside them.
    order = sorted(ops, key=lambda op: -estimates[op])

    def evaluate(op, alone=False):
        left = args.deadline - (time.time() - start)
        if left < 10:
            return {"status": "not run", "reason": "deadline (%.0f s left)" % left}
        report = os.path.join(folder, op + ".json")
        cmd = [kevc, "run", spec_path(op), "--target", "triton", "--shape", shapes[op], "--with-default-shape",
               "--matmul-precision", contracts[op]["contract"],
               "--trials", "1", "--iterations", "10", "--repeats", "3", "--timing-seconds", "2", "--eager-calls",
               "0", "--gpu-timeout", str(args.case_timeout), "--harness-server", socket_path,
               # A seed per problem: the bench shape's one trial takes its distribution from it (spread_trials), so
               # the corpus meets every distribution at scale; the small shape meets all six in every problem.
               "--seed", str(zlib.crc32(op.encode()) % 100000),
               "--report-json", report, "--cost-limit-s", str(args.cost_limit)]
        t_wait = time.time()
        admission.acquire(estimates[op], alone)
        t0 = time.time()
        rec = {"admission_wait_s": round(t0 - t_wait, 1)}
        try:
            if os.path.exists(report):
                os.unlink(report)
            p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=max(10, min(2 * args.case_timeout + 120, start + hard_stop - t0)))
            rec["exit"] = p.returncode
            tail = (p.stderr or p.stdout)[-600:]
        except subprocess.TimeoutExpired:
            rec["exit"] = "timeout"
            tail = "kevc run killed after its limit"
        finally:
            admission.release(estimates[op], alone)
        rec["wall_s"] = round(time.time() - t0, 1)
        try:
            rec["summary"] = json.load(open(report))
        except (OSError, ValueError):
            rec["summary"] = None
            rec["error"] = tail
        return rec

    def one(op):
        rec = evaluate(op)
        status = (rec.get("summary") or {}).get("status")
        if status == "harness_error" and args.deadline - (time.time() - start) > 30:
            # An infrastructure event beside the others' memory: once more with the device to itself (as the
            # search does), the first attempt kept.
            first = rec
            rec = evaluate(op, alone=True)
            rec["first_attempt"] = {k: v for k, v in first.items() if k != "summary"}
            rec["first_attempt"]["reason"] = ((first.get("summary") or {}).get("reason") or "")[:300]
        results[op] = rec
        with printing:
            print("[%4.0f s] %s default: %s" % (time.time() - start, op, default_summary(rec)), flush=True)
            write_defaults(out, ops, shapes, results, base_procs, machine, args, start, server_s, contracts)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.parallel + args.compile_ahead)) as pool:
        list(pool.map(one, order))
    wait_baselines(base_procs, start, hard_stop)
    write_defaults(out, ops, shapes, results, base_procs, machine, args, start, server_s, contracts, quiet=False)


def default_summary(rec):
    s = rec.get("summary")
    if not s:
        return "%s: %s" % (rec.get("status") or rec.get("exit"), (rec.get("reason") or rec.get("error") or "")[-200:])
    t = (s.get("timing") or {}).get("median_s")
    f = (s.get("roofline") or {}).get("fraction_of_floor")
    return "%s%s%s (%.0f s: %s)" % (s["status"], " %.4g ms" % (t * 1e3) if isinstance(t, (int, float)) else "",
                                     " (%.0f%% of floor)" % (100 * f) if isinstance(f, (int, float)) else "",
                                     rec.get("wall_s", 0), where_time_went(rec, short=True))


# The harness's phases (worker.py `phase`), grouped for the report.
PHASE_GROUPS = (("checks", ("trial", "load-", "compile ahead", "fresh")), ("wait", ("waiting",)),
                ("timing", ("timing",)), ("revalidation", ("revalidation",)), ("roofline", ("roofline",)),
                ("other", ("",)))


def where_time_went(rec, short=False):
    """Seconds per part of one default's evaluation: `kevc run` itself (compile on the CPU, the client, queueing
    for a warm worker: the wall less the harness worker's seconds), then the harness's phases per case (the bench
    shape, then the spec's small shape), grouped."""
    s = rec.get("summary") or {}
    cases = s.get("cases") or []
    worker = max([((c.get("worker") or {}).get("seconds") or 0) for c in cases] or [0])
    parts = {"admission wait": rec.get("admission_wait_s", 0), "kevc (compile, client)": max(0, rec.get("wall_s", 0) - worker)}
    phased = sum(sec or 0 for c in cases for sec in (c.get("phase_seconds") or {}).values())
    parts["server queue"] = max(0, worker - phased)  # waiting for a free warm worker (and the pipe's round trip)
    for i, c in enumerate(cases):
        for phase, sec in (c.get("phase_seconds") or {}).items():
            group = next(g for g, prefixes in PHASE_GROUPS if any(phase.startswith(x) for x in prefixes))
            key = "%s %s" % ("bench" if i == 0 else "small", group)
            parts[key] = parts.get(key, 0) + (sec or 0)
    parts = {k: round(v, 1) for k, v in parts.items() if v >= 0.05}
    if short:
        return ", ".join("%s %.1f" % kv for kv in sorted(parts.items(), key=lambda kv: -kv[1])[:4])
    return parts


def write_defaults(out, ops, shapes, results, base_procs, machine, args, start, server_s, contracts, quiet=True):
    baselines = {}
    for i in range(len(base_procs)):
        try:
            baselines.update(json.load(open(os.path.join(out, "baselines-%d.json" % i))))
        except (OSError, ValueError):
            pass
    with open(os.path.join(out, "baselines.json"), "w") as fh:
        json.dump(baselines, fh, indent=1)
    rows = []
    for op in ops:
        base = baselines.get(op, {})
        rec = results.get(op, {})
        s = rec.get("summary") or {}
        row = {"op": op, "shape": shapes[op], "search": {"status": "not run", "reason": "--defaults-only"},
               "wall_s": rec.get("wall_s"), "time_parts": where_time_went(rec) if rec else {}}
        row.update(baseline_fields(base, contracts[op]))
        if not rec:
            row["default_status"] = "not evaluated (the call ended first)"
        elif not s:
            row["default_status"] = rec.get("status") or "error"
            row["default_error"] = (rec.get("reason") or rec.get("error") or "")[-600:]
        else:
            row["default_status"] = s["status"]
            t = (s.get("timing") or {}).get("median_s")
            if s["status"] == "ok" and isinstance(t, (int, float)):
                row["default_ms"] = t * 1e3
                row["default_floor_fraction"] = (s.get("roofline") or {}).get("fraction_of_floor")
            else:
                row["default_error"] = (s.get("reason") or "")[-600:]
            row["reference_mode"] = [c.get("reference_mode") for c in s.get("cases") or [] if c.get("reference_mode")]
        if rec.get("first_attempt"):
            row["first_attempt"] = rec["first_attempt"]
        rows.append(row)
    result = {"machine": machine, "mode": "dry-run defaults" if args.dry_run else "gpu defaults",
              "wall_s": round(time.time() - start), "server_start_s": round(server_s, 1),
              "options": {k: getattr(args, k) for k in ("parallel", "compile_ahead", "workers", "deadline",
                                                        "hard_stop", "case_timeout", "calls", "baseline_procs",
                                                        "memory_fraction", "cost_limit", "matmul_precision",
                                                        "baseline_contract")},
              "rows": rows}
    with open(os.path.join(out, "results.json"), "w") as fh:
        json.dump(result, fh, indent=1)
    write_report(out, [result], quiet=quiet)


def default_line(db):
    """The default schedule's evaluation in a search's database ("ok 3.42 ms (81% of floor)", "harness_error: ..."),
    or None while it has none (read-only: the search keeps writing)."""
    import sqlite3
    if not os.path.exists(db):
        return None
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
        try:
            row = con.execute("SELECT e.status, e.median_time, e.roofline_fraction, e.error FROM evaluations e "
                              "JOIN candidates c ON c.id = e.candidate_id WHERE c.proposer = 'default' "
                              "ORDER BY e.id LIMIT 1").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    status, median, fraction, error = row
    if status == "ok" and median is not None:
        return "ok %.4g ms%s" % (median * 1e3, " (%.0f%% of floor)" % (fraction * 100) if fraction else "")
    return "%s: %s" % (status, (error or "")[:160])


def baseline_fields(base, contract):
    """A row's baseline numbers from its baselines.json entry, and the contracts they and kevc ran at: "contract"
    (kevc's) and "contract_why", "baseline_contract" (the flags of eager_ms and compile_ms, which the ratios use),
    "baseline_flags" (the torch flags each timing read), and with --baseline-contract both eager_pytorch_ms and
    compile_pytorch_ms (PyTorch's defaults)."""
    def median(key):
        return (base.get(key) or {}).get("median_ms")
    fields = {"eager_ms": median("eager"), "compile_ms": median("compile"),
              "baseline_errors": {k: v for k, v in base.items() if k.endswith("error")},
              "contract": contract["contract"], "contract_why": contract["why"]}
    if base.get("contract"):
        fields["baseline_contract"] = base["contract"]
        fields["baseline_flags"] = {k: v["flags"] for k, v in base.items() if isinstance(v, dict) and "flags" in v}
    if base.get("contract_pytorch"):
        fields.update(eager_pytorch_ms=median("eager_pytorch"), compile_pytorch_ms=median("compile_pytorch"))
    return fields


def row_of(op, shape, search, base, contract):
    """One problem's numbers from its search's export and its baselines."""
    row = {"op": op, "shape": shape, "search": {k: v for k, v in search.items() if k != "export"}}
    row.update(baseline_fields(base, contract))
    export = search.get("export")
    if not export or not os.path.exists(export):
        return row
    ex = json.load(open(export))
    cands = {c["id"]: c for c in ex["candidates"]}
    evals = sorted(ex["evaluations"], key=lambda e: e["finished_at"])
    counts, default, best, to95 = progress(evals, cands)
    row.update(evaluations=len(evals), statuses=dict(counts), evals_to_95=to95)
    if default:
        row["default_status"] = default["status"]
        if default["status"] == "ok":
            row["default_ms"] = default["median_time"] * 1e3
            row["default_floor_fraction"] = default.get("roofline_fraction")
        else:
            row["default_error"] = (default.get("error") or "")[-600:]
    else:
        row["default_status"] = "not evaluated (search stopped first)"
    if best:
        row["best_ms"] = best["median_time"] * 1e3
        row["best_floor_fraction"] = best.get("roofline_fraction")
        row["best_proposer"] = cands[best["candidate_id"]]["proposer"]
        row["best_trace"] = json.loads(cands[best["candidate_id"]]["trace"]).get("steps", [])
    return row


def contracts_of(run):
    """The run's rows with the contracts filled in where the run did not record them: kevc's contract from its
    --matmul-precision (else `highest`, kevc's default), the baselines' from its --baseline-contract (a run before
    that option timed them under PyTorch's defaults as shipped: `pytorch`)."""
    opts = run.get("options") or {}
    mode = opts.get("baseline_contract")
    rows = []
    for r in run["rows"]:
        r = dict(r)
        if "contract" not in r:
            r["contract"] = opts.get("matmul_precision") or "highest"
            r["contract_why"] = ("--matmul-precision %s" % r["contract"] if opts.get("matmul_precision")
                                 else "no contract recorded: kevc's default, highest")
        if "baseline_contract" not in r:
            r["baseline_contract"] = r["contract"] if mode in ("same", "both") else "pytorch"
            if not mode:
                r["baseline_contract_note"] = "no contract recorded: PyTorch's defaults"
        rows.append(r)
    return rows


def write_report(out, runs, quiet=False):
    def ms(x):
        return "%.4g" % x if isinstance(x, (int, float)) else "-"

    def ratio(a, b):  # how many times faster b is than a (a / b), i.e. "x torch" for b = kevc
        return "%.3gx" % (a / b) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0 else "-"

    def pct(x):
        return "%.0f%%" % (100 * x) if isinstance(x, (int, float)) else "-"

    rows = [r for run in runs for r in contracts_of(run)]
    same = [r for r in rows if r["baseline_contract"] == r["contract"]]
    at_defaults = [r for r in rows if r["baseline_contract"] == "pytorch"]
    # The ratios' torch.compile column: at kevc's contract where every row's baselines ran at it.
    base_label = "same contract" if len(same) == len(rows) else "contract as listed"
    both = any("compile_pytorch_ms" in r for r in rows)
    lines = ["# KernelBench corpus: kevc default and short search vs PyTorch", ""]
    for run in runs:
        m = run["machine"]
        lines.append("- %s: **%s**; torch %s, Triton %s, %s; %d problems in %d s (%s; options %s)" % (
            run["mode"], m["gpu"], m["torch"], m["triton"], m["kevc"], len(run["rows"]), run["wall_s"], m["date"],
            json.dumps(run["options"])))
    lines += ["", "Times are medians (ms). kevc: the harness's timed calls (CUDA events, L2 flushed) of the search's "
              "evaluations at the bench shape: `default` is the default schedule (the search's first evaluation), "
              "`best` the fastest correct candidate of a short search from the default alone (no hand traces). "
              "PyTorch: the problem as KernelBench writes it (bench/kernelbench/problems.py), eager and torch.compile, "
              "same inputs' shapes and dtypes. `x compile` = torch.compile time / kevc time (> 1: kevc faster). "
              "`of floor` = roofline floor / time (bytes moved over measured bandwidth, flops over measured peak).", "",
              "f32 contractions: kevc computes them under its accuracy contract `matmul_precision` (`highest`: f32's "
              "tolerance, tf32x3 on the tensor cores; `high`: one tf32 pass at tf32's tolerance; `medium`: also one "
              "bf16 pass). PyTorch's own defaults differ per operator: cuDNN's f32 convolutions at TF32 "
              "(`torch.backends.cudnn.allow_tf32 = True`, i.e. `high`), cuBLAS's f32 matmuls in f32 "
              "(`torch.backends.cuda.matmul.allow_tf32 = False`, `highest`). The `contract` column says which "
              "contract kevc ran at and which torch flags the baselines ran under (bench/gpu/baselines.py "
              "CONTRACT_FLAGS; `pytorch`: the defaults as shipped); `same contract`: the torch flags of kevc's "
              "contract, set before torch.compile traced the problem.", ""]
    header = ["problem", "shape", "contract (kevc / torch)", "eager", "torch.compile (%s)" % base_label]
    if both:
        header.append("torch.compile (PyTorch defaults)")
    header += ["kevc default", "default x compile", "default of floor", "best searched", "best x compile",
               "best x eager", "best of floor", "evals (to 95% of best)", "notes"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        notes = []
        if r.get("default_status") not in (None, "ok"):
            notes.append("default: %s %s" % (r["default_status"], (r.get("default_error") or "")[:120].replace("|", "/")
                                             .replace("\n", " ")))
        if r["search"].get("status") == "not run":
            notes.append("search not run: " + r["search"].get("reason", ""))
        for k, v in r.get("baseline_errors", {}).items():  # "error", "eager_error", "compile_error"
            notes.append("%s: %s" % (k, v[:80].replace("|", "/")))
        if r.get("statuses"):
            bad = {k: v for k, v in r["statuses"].items() if k != "ok"}
            if bad:
                notes.append("statuses " + ", ".join("%s %d" % kv for kv in sorted(bad.items())))
        cells = [r["op"], r["shape"], "%s / %s" % (r["contract"], "same" if r["baseline_contract"] == r["contract"]
                                                   else r["baseline_contract"]),
                 ms(r.get("eager_ms")), ms(r.get("compile_ms"))]
        if both:
            cells.append(ms(r.get("compile_pytorch_ms")))
        cells += [ms(r.get("default_ms")), ratio(r.get("compile_ms"), r.get("default_ms")),
                  pct(r.get("default_floor_fraction")), ms(r.get("best_ms")), ratio(r.get("compile_ms"), r.get("best_ms")),
                  ratio(r.get("eager_ms"), r.get("best_ms")), pct(r.get("best_floor_fraction")),
                  "%s (%s)" % (r.get("evaluations", "-"), r.get("evals_to_95") or "-"), "; ".join(notes)]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    # Which contract each problem ran at, and why (--matmul-precision, or detected from PyTorch's defaults).
    whys = collections.OrderedDict()
    for r in rows:
        whys.setdefault((r["contract"], r["contract_why"], r.get("baseline_contract_note")), []).append(r["op"])
    lines += ["", "Contracts (kevc's, and why; the torch flags each baseline read are in results.json's "
              "`baseline_flags`):", ""]
    for (contract, why, note), ops in whys.items():
        lines.append("- `%s` (%s%s): %s" % (contract, why, "; baselines: " + note if note else "", ", ".join(ops)))
    parted = [r for r in rows if r.get("time_parts")]
    if parted:
        lines += ["", "Where each default's time went (seconds; `kevc run`'s wall less the harness worker's is its compile "
                  "on the CPU and the client; `bench` / `small`: the harness's phases at the bench shape and at the "
                  "spec's small shape: checks (trials with their float64 reference, loading, compile ahead), wait "
                  "(for the device lock), timing, revalidation (a second float64 reference), roofline (the "
                  "measured cost)):", "", "| problem | wall | parts |", "|---|---|---|"]
        for r in parted:
            lines.append("| %s | %s | %s |" % (r["op"], r.get("wall_s", "-"), ", ".join(
                "%s %.1f" % kv for kv in sorted(r["time_parts"].items(), key=lambda kv: -kv[1]))))
        total = {}
        for r in parted:
            for k, v in r["time_parts"].items():
                total[k] = total.get(k, 0) + v
        lines += ["", "Summed over the problems: " + ", ".join(
            "%s %.0f s" % kv for kv in sorted(total.items(), key=lambda kv: -kv[1])) + "."]
    timed = [r for r in rows if r.get("compile_ms") and r.get("default_ms")]
    searched = [r for r in rows if r.get("compile_ms") and r.get("best_ms")]
    # (kevc's contract is never `pytorch`: --matmul-precision pytorch detects highest or high per problem.)
    basis = [text % n for text, n in (("at kevc's contract on %d", len(same)),
                                      ("at PyTorch's defaults on %d", len(at_defaults)),
                                      ("at another contract on %d", len(rows) - len(same) - len(at_defaults))) if n]
    lines += ["", "Summary over %d problems: default schedule measured on %d; default >= 0.5x torch.compile on %d, "
              "below 0.2x on %d; best searched >= 1.0x torch.compile on %d of %d. The ratios use torch.compile %s%s." % (
                  len(rows), len(timed), sum(r["compile_ms"] / r["default_ms"] >= 0.5 for r in timed),
                  sum(r["compile_ms"] / r["default_ms"] < 0.2 for r in timed),
                  sum(r["compile_ms"] / r["best_ms"] >= 1.0 for r in searched), len(searched),
                  "under the same contract as kevc (the `torch.compile (same contract)` column)" if len(same) == len(rows)
                  else "as the `contract` column says: " + ", ".join(basis) + " problems",
                  "; the `torch.compile (PyTorch defaults)` column is not in them" if both else ""), ""]
    text = "\n".join(lines)
    with open(os.path.join(out, "results.md"), "w") as fh:
        fh.write(text)
    if not quiet:
        print(text)


def report_main(args):
    """One report from several calls' results.json (a `report`'s own, {"runs": [...]}, counts its runs). Runs
    from before the contract options (no `baseline_contract` recorded) timed their baselines under PyTorch's
    defaults, and say so (contracts_of)."""
    runs = []
    for d in args.dirs:
        data = json.load(open(os.path.join(d, "results.json")))
        runs += data["runs"] if "runs" in data else [data]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as fh:
        json.dump({"runs": runs}, fh, indent=1)
    write_report(args.out, runs)


# ------------------------------------------------------------------------------------------------------------------
# CPU mode
# ------------------------------------------------------------------------------------------------------------------

def halve_largest(shape, frozen=()):
    """(shape with its largest dim above 16 halved, that dim's name), or None when every dim is 16 or less or frozen."""
    dims = [(k, int(v)) for k, v in (p.split("=") for p in shape.split(","))]
    big = [k for k, v in dims if v > 16 and k not in frozen]
    if not big:
        return None
    name = max(big, key=lambda k: dict(dims)[k])
    return ",".join("%s=%d" % (k, max(16, v // 2) if k == name else v) for k, v in dims), name


def cpu_shape(kevc, op, folder, max_points):
    """The bench shape with its largest dims halved (dims of 16 or less kept) until the product of the dims is at
    most max_points, then until the spec's static cost (the reference module's COST) is at most 4 * max_points
    flops and 16 * max_points bytes (a dim used twice, as in an N x N triangular product, or an output larger than
    its inputs, as in a tall-skinny product). A halving that leaves no valid shape (an output extent below 1) is
    undone and that dim kept. Returns (shape, reference module path)."""
    shape = bench_shape(spec_path(op))

    def product(s):
        n = 1
        for p in s.split(","):
            n *= int(p.split("=")[1])
        return n
    history = [(shape, None)]
    while product(shape) > max_points and halve_largest(shape):
        shape, name = halve_largest(shape)
        history.append((shape, name))
    frozen = set()
    ref_path = None
    while ref_path is None:  # walk back to the last shape that binds, keeping the dim whose halving broke it
        shape, name = history.pop()
        try:
            ref_path = torch_ref(kevc, op, shape, folder)
        except RuntimeError:
            if not history:
                raise
            frozen.add(name)
    while True:
        cost = load("cost_%s" % op, ref_path).COST
        step = halve_largest(shape, frozen)
        if (cost.get("flops", 0) <= 4 * max_points and cost.get("bytes", 0) <= 16 * max_points) or not step:
            return shape, ref_path
        try:
            ref_path, shape = torch_ref(kevc, op, step[0], folder), step[0]
        except RuntimeError:
            frozen.add(step[1])


def cpu_main(args):
    cpu = load("cpu_bench", os.path.join(ROOT, "bench", "cpu", "run.py"))
    cpu.ensure_torch(os.path.join(ROOT, ".build-bench", "venv"))  # re-runs this script under a Python with torch
    import torch
    import problems
    timing = load("gpu_baselines", os.path.join(ROOT, "bench", "gpu", "baselines.py"))
    threads = args.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    os.environ["KEVC_NUM_THREADS"] = str(threads)  # kevc's thread pool (kevc run), the same count
    kevc = os.path.abspath(args.kevc) if args.kevc else cpu.build_kevc(os.path.join(ROOT, ".build-bench"))
    cpu.wait_for_idle(args.wait_idle, 1.5)
    info = cpu.machine_info()
    if args.kevc_label:
        info["kevc_commit"] = args.kevc_label  # a binary built elsewhere: say which
    load_start = cpu.load_average()
    bw = max(cpu.measure_bandwidth(32 * 2**20, 3).values())
    peaks = cpu.measure_peak(2048, 5, threads)  # one thread's sgemm when the table times one thread
    peak = max(peaks.values())
    print("[machine] %s; bandwidth %.1f GB/s, peak %.1f GFLOP/s" % (json.dumps(info), bw, peak), flush=True)
    rows = []
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for op in select_ops(args):
            try:
                shape, ref_path = cpu_shape(kevc, op, tmp, args.max_points)
            except RuntimeError as e:
                rows.append({"op": op, "shape": "-", "kevc_status": "ERROR", "torch_error": str(e)[:300]})
                continue
            row = {"op": op, "shape": shape}
            try:
                ref, values = baseline_inputs(ref_path, "cpu")
                cost = getattr(ref, "COST", {})
                row["bytes"], row["flops"] = cost.get("bytes"), cost.get("flops")
                if row["bytes"] is not None:
                    row["floor_ms"] = 1e3 * max(row["bytes"] / (bw * 1e9), (row["flops"] or 0) / (peak * 1e9))
                fn, kw = problems.baseline(op, ref.KEVC_REFERENCE["dims"], values)
                with torch.inference_mode():
                    row["torch_ms"] = timing.timed(lambda: fn(**kw), (), calls=args.repeats, warmup=1,
                                                   device="cpu")["median_ms"]
                del values, kw
            except Exception as e:
                row["torch_error"] = repr(e)[:300]
            status, t, output = cpu.kevc_run(kevc, spec_path(op), shape, None,
                                             ["--trials", "0", "--iterations", "1", "--repeats", str(args.repeats)],
                                             args.timeout, tries=1)
            row["kevc_status"] = status
            if t is not None:
                row["kevc_ms"] = t * 1e3
            else:
                row["kevc_error"] = output[-400:]
            print("%-32s %-40s torch %s ms, kevc %s ms (%s)" % (op, shape, row.get("torch_ms"), row.get("kevc_ms"),
                                                                status), flush=True)
            rows.append(row)
    rep = {"machine": info, "bandwidth_gbs": bw, "peak_gflops": peak, "peaks_gflops": peaks, "load_average_start": load_start,
           "load_average_end": cpu.load_average(), "wall_s": round(time.time() - start), "max_points": args.max_points,
           "torch_threads": torch.get_num_threads(), "kevc_threads": threads, "rows": rows}
    with open(args.out + ".json", "w") as fh:
        json.dump(rep, fh, indent=1)
    write_cpu_report(args.out + ".md", rep)


def write_cpu_report(path, rep):
    m = rep["machine"]

    def ms(x):
        return "%.4g" % x if isinstance(x, (int, float)) else "-"
    lines = ["# KernelBench corpus on the CPU: kevc default (LLVM) vs PyTorch eager", "",
             "Machine: **%s** (%s), %d cores, %s GiB; torch %s (%d threads), kevc %s (%s threads); %s; %d s. Load average at start "
             "%s, at end %s (the machine is shared: load inflates every time). Roofline: %.1f GB/s, %.1f GFLOP/s "
             "(bench/cpu/run.py's STREAM-like copy, and sgemm at 2048^3 on the table's threads: the faster of numpy's BLAS and torch)." % (
                 m["cpu_model"], ", ".join(m["simd"]), m["cores"], m["memory_gib"], m["torch"], rep["torch_threads"],
                 m["kevc_commit"], rep.get("kevc_threads", "all"), m["date"], rep["wall_s"], rep["load_average_start"], rep["load_average_end"],
                 rep["bandwidth_gbs"], rep["peak_gflops"]), "",
             "Shapes: each spec's bench shape with its largest dims halved until the product of all dims is at most "
             "%d and its static cost at most 4x that in flops, 16x in bytes (dims of 16 or less kept). kevc: `kevc run --trials 0` with the default schedule (median of its "
             "repeats); torch: the problem as KernelBench writes it (bench/kernelbench/problems.py), host clock. "
             "`x torch` = torch time / kevc time (> 1: kevc faster)." % rep["max_points"], "",
             "| problem | CPU shape | torch ms | kevc default ms | x torch | floor ms | kevc of floor | status |",
             "|---|---|---|---|---|---|---|---|"]
    n = ok = 0
    for r in rep["rows"]:
        t, k = r.get("torch_ms"), r.get("kevc_ms")
        x = t / k if (t and k) else None
        if x is not None:
            n += 1
            ok += x >= 0.5
        f = r.get("floor_ms")
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["op"], r["shape"], ms(t), ms(k), "%.2fx" % x if x else "-", ms(f),
            ("%.0f%%" % (100 * f / k) + (" (flagged)" if f > k else "")) if (f and k) else "-",
            r["kevc_status"] + ("; torch: " + r["torch_error"][:80] if r.get("torch_error") else "")))
    lines += ["", "kevc default >= 0.5x torch on %d of %d problems timed (target: all)." % (ok, n), "",
              "Status UNCHECKED: timed only (`--trials 0`); correctness is checked at small shapes by the tests "
              "(`SpecCorpusTests`) and `run.py check`. TIMEOUT: `kevc run` took longer than its time limit. The "
              "ceilings are measured in this run; on a loaded machine they come out low, and an `of floor` above "
              "100% (marked flagged) says so, not that a kernel beat the memory system or the FMA units.", ""]
    with open(path, "w") as fh:
        fh.write("\n".join(lines))
    print("\n".join(lines))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_baselines":
        return baselines_main(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "_contracts":
        return contracts_main(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    g = sub.add_parser("gpu")
    g.add_argument("out")
    g.add_argument("--budget", type=int, default=12, help="evaluations per search (the default schedule included)")
    g.add_argument("--search-seconds", type=float, default=45, help="--time-limit of each search")
    g.add_argument("--parallel", type=int, default=4, help="searches at once (they share the GPU through its lock)")
    g.add_argument("--jobs", type=int, default=2, help="--jobs of each search (workers)")
    g.add_argument("--case-timeout", type=float, default=60, help="seconds the harness allows a candidate's case")
    g.add_argument("--deadline", type=float, default=480, help="no search starts later than this (s) minus its time")
    g.add_argument("--hard-stop", type=float, default=None,
                   help="searches and baselines still running this many seconds after the start are stopped "
                        "(default: --deadline + 60); the report is written after every search either way")
    g.add_argument("--calls", type=int, default=30, help="timed calls of each PyTorch baseline")
    g.add_argument("--baseline-procs", type=int, default=2, help="processes timing the PyTorch baselines (large problems take turns)")
    g.add_argument("--dry-run", action="store_true", help="no GPU: default shapes, Triton's interpreter on the CPU")
    g.add_argument("--matmul-precision", choices=("highest", "high", "medium", "pytorch"), default="highest",
                   help="kevc's accuracy contract for f32 contractions (`kevc --matmul-precision`; highest: f32's, "
                        "tf32x3 on the tensor cores; high: one tf32 pass at tf32's tolerance, as torch.compile's f32 "
                        "convolutions on cuDNN); pytorch: per problem the contract PyTorch's defaults give it, "
                        "detected (`high` where its outputs under PyTorch's defaults differ bitwise from those under "
                        "the `highest` flags, else `highest`; OUT/contracts.json says which and why)")
    g.add_argument("--baseline-contract", choices=("same", "pytorch", "both"), default="same",
                   help="the torch flags the PyTorch baselines run under: same (default): the contract kevc ran the "
                        "problem at; pytorch: PyTorch's defaults as shipped (cuDNN at TF32, cuBLAS at f32); both: "
                        "the same contract, and PyTorch's defaults in extra columns (the ratios use the same one)")
    g.add_argument("--defaults-only", action="store_true",
                   help="no search: each default schedule checked and timed by `kevc run --with-default-shape` "
                        "(--parallel at a time, in the shared server's warm workers)")
    g.add_argument("--workers", type=int, default=None,
                   help="warm workers of the shared harness server (default: --parallel, or --parallel x --jobs)")
    g.add_argument("--compile-ahead", type=int, default=3,
                   help="--defaults-only: `kevc run`s beyond --parallel compiling on the CPU while the others evaluate")
    g.add_argument("--cost-limit", type=float, default=5.0,
                   help="--defaults-only: the roofline's measured cost only where the float64 reference took at most "
                        "this many seconds (else the static cost; measuring takes about as long again)")
    g.add_argument("--memory-fraction", type=float, default=0.6,
                   help="the evaluations in flight (--defaults-only: all; searches: each its 1/--parallel share, "
                        "`kevc search --device-memory`) hold at most this fraction of the card "
                        "(estimated; a larger one runs alone)")
    c = sub.add_parser("cpu")
    c.add_argument("out", help="output path without extension")
    c.add_argument("--max-points", type=int, default=1 << 24)
    c.add_argument("--repeats", type=int, default=5)
    c.add_argument("--timeout", type=float, default=120, help="seconds per `kevc run`")
    c.add_argument("--wait-idle", type=float, default=60)
    c.add_argument("--threads", type=int, help="threads of torch and of kevc's pool (default: every core); on a "
                   "shared, oversubscribed machine 1 gives steadier numbers")
    c.add_argument("--kevc-label", help="what --kevc is (e.g. 'main 3340e2e, release'); default: this checkout")
    k = sub.add_parser("check")
    r = sub.add_parser("report")
    r.add_argument("out")
    r.add_argument("dirs", nargs="+")
    for p in (g, c, k):
        p.add_argument("--kevc", help="kevc binary (gpu: /tmp/kevc from bench/gpu/kevc-binary.sh; cpu: built if absent)")
        p.add_argument("--ops", help="comma-separated spec names of specs/kernelbench (default: all)")
    g.add_argument("--part", help="i/n: every n-th op starting at the i-th (split the corpus over n calls)")
    args = ap.parse_args()
    if args.mode == "gpu":
        return gpu_main(args)
    if args.mode == "cpu":
        return cpu_main(args)
    if args.mode == "check":
        return check_main(args)
    return report_main(args)


if __name__ == "__main__":
    sys.exit(main() or 0)
