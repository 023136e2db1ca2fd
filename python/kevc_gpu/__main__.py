"""Command line of the kevc GPU evaluation harness.

  python3 -m kevc_gpu run --kernel K.py --reference R.py [--shape-label default]
                          [--kernel K2.py --reference R2.py --shape-label odd ...]
                          [--trials 5] [--timing-calls 50] [--timeout 60] [--seed N] [--device cuda|cpu]
  python3 -m kevc_gpu ceilings
  python3 -m kevc_gpu devices
  python3 -m kevc_gpu serve --socket PATH [--workers 2]     (warm workers; `run --server PATH` uses them)

`run` evaluates each (kernel, reference) pair in its own worker process and prints ONE JSON object: status (the
worst case's: ok, flagged, wrong, nan, compile_error, timeout, crash, error), reason, per-case trials (seed,
distribution, max abs/rel error per result), timing (median, IQR, min, max of the first case), the PyTorch eager
baseline, the roofline (bytes, flops, measured ceilings, floor) and flags. Exit status: 0 ok, 3 flagged, 1 other.
"""

import argparse
import json
import os
import math
import sys


def _clean(x):
    if isinstance(x, float) and not math.isfinite(x):
        return repr(x)
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x


def parser():
    ap = argparse.ArgumentParser(prog="python3 -m kevc_gpu")
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="evaluate candidate kernel modules against their torch references")
    run.add_argument("--kernel", action="append", required=True, help="kernel module (KEVC metadata, launch())")
    run.add_argument("--reference", action="append", required=True, help="torch reference module (kevc --emit torch-ref)")
    run.add_argument("--shape-label", action="append", default=[], help="a label per pair (e.g. default, odd)")
    run.add_argument("--trials", type=int, default=5)
    run.add_argument("--timing-calls", type=int, default=50)
    run.add_argument("--warmup", type=int, default=5)
    run.add_argument("--timing-seconds", type=float, default=None,
                     help="at most this long for warm-up and timed calls: a slower kernel gets fewer calls (>= 3)")
    run.add_argument("--timing-ci", type=float, default=None,
                     help="adaptive timing: stop the timed calls once the median's ~95%% confidence interval is "
                          "within this fraction of it on either side (after --timing-min-calls); default: a fixed count")
    run.add_argument("--timing-min-calls", type=int, default=10)
    run.add_argument("--incumbent-s", type=float, default=None,
                     help="the best median so far (seconds): timing stops once the candidate's fastest call, after "
                          "3, is more than --slower-factor times it (recorded as slower, with the samples taken)")
    run.add_argument("--slower-factor", type=float, default=2.0)
    run.add_argument("--race", action="store_true",
                     help="with --incumbent-s: time first (after one sanity launch), and record a candidate whose "
                          "median is more than --slower-factor times the incumbent as slower_unchecked (timed, not "
                          "checked) without its correctness trials; any other candidate gets every check")
    run.add_argument("--kill-floor-s", type=float, default=None,
                     help="with --incumbent-s: a worker whose candidate runs one call longer than max(this, "
                          "--kill-factor x the incumbent) is killed (timeout, 'cannot become the best'); default 10")
    run.add_argument("--kill-factor", type=float, default=None, help="see --kill-floor-s; default 100")
    run.add_argument("--timeout", type=float, default=60.0, help="seconds per case (compile, trials and timing)")
    run.add_argument("--seed", type=int, default=None, help="base seed (default: fresh random)")
    run.add_argument("--device", default=os.environ.get("KEVC_GPU_DEVICE", "cuda"),
                     help="cuda, or cpu (harness tests with torch-only kernels, or Triton kernels under "
                          "TRITON_INTERPRET=1); default $KEVC_GPU_DEVICE, else cuda")
    run.add_argument("--time-all", action="store_true", help="time every case, not only the first")
    run.add_argument("--one-worker", action="store_true",
                     help="evaluate all cases in one worker process (the shapes of one candidate: one start-up "
                          "instead of one per case; a case that crashes or hangs fails the cases after it)")
    run.add_argument("--ceilings-cache", default=None)
    run.add_argument("--eager-s", type=float, default=None,
                     help="a PyTorch eager time (seconds) measured elsewhere for the first case: used for the 10x "
                          "check instead of timing the reference module's slow eager path")
    run.add_argument("--eager-calls", type=int, default=10,
                     help="calls of the reference module's eager path to time for the report (0: none)")
    run.add_argument("--footprint", action="append", default=[],
                     help="one per --kernel: the declared footprint and reference plan (JSON, "
                          "EvaluationFootprint.planJSON: {\"reference\": \"whole\" | \"slices\" | \"too_large\", "
                          "\"slice_elements\", \"footprint_bytes\", \"budget_bytes\", \"reason\"}): the float64 "
                          "reference whole, in slices of that many elements compared as they come (never skipped), "
                          "or harness_error with the reason")
    run.add_argument("--reuse-references", action="store_true",
                     help="take the float64 reference outputs of each (reference module, trial seed) from the "
                          "reference cache (references.py): computed once per workload and seed (the search)")
    run.add_argument("--reference-cache", default=None, help="folder of the reference cache's disk tier")
    run.add_argument("--fresh-if-faster-than", type=float, default=None,
                     help="seconds (the search's best): a candidate timed faster gets one more trial on a fresh "
                          "seed whose reference is computed, never cached")
    run.add_argument("--cost-limit-s", type=float, default=None,
                     help="the roofline measures the workload's bytes and flops (measured_cost, about as long again as "
                          "the float64 reference) only when the reference took at most this many seconds; else the "
                          "static COST (default: always measured)")
    sub.add_parser("ceilings", help="measure (or read cached) bandwidth and peak of this GPU")
    run.add_argument("--baseline-kernel", default=None,
                     help="a kernel module (same signature) timed beside the first case, interleaved: the search's "
                          "default schedule, so that its speedup compares two times measured together")
    run.add_argument("--executor", default=None,
                     help="ray://HOST:PORT[?gpus=1&cpus=1]: evaluate as a Ray task on that cluster (ray_executor.py)")
    run.add_argument("--server", default=None,
                     help="a warm-worker server's socket (`serve`): the candidate runs in one of its persistent "
                          "workers instead of a new process; without a server there, it runs locally")
    sub.add_parser("devices", help="the visible devices (index, name, total bytes) as JSON; "
                                   "$KEVC_SIMULATED_DEVICES=N simulates N devices on the CPU")
    srv = sub.add_parser("serve", help="keep warm workers (per device) and evaluate `run --server` requests")
    srv.add_argument("--socket", required=True, help="Unix socket path to listen on")
    srv.add_argument("--workers", type=int, default=2, help="warm workers per device")
    srv.add_argument("--executor", default=None,
                     help="ray://HOST:PORT: evaluate every request as a Ray task instead (no local workers)")
    return ap


def evaluate(a, ap, warm=None, worker_vars=None):
    from . import harness
    if len(a.kernel) != len(a.reference):
        ap.error("give one --reference per --kernel")
    labels = a.shape_label + [""] * (len(a.kernel) - len(a.shape_label))
    cases = [(k, r, labels[i] or ("case %d" % (i + 1))) for i, (k, r) in enumerate(zip(a.kernel, a.reference))]
    if a.footprint and len(a.footprint) != len(a.kernel):
        ap.error("give one --footprint per --kernel (or none)")
    footprints = [json.loads(f) or None for f in a.footprint] or None
    return harness.evaluate_cases(
        cases, time_all=a.time_all, one_worker=a.one_worker, trials=max(0, a.trials), timing_calls=max(0, a.timing_calls),
        timeout=a.timeout, seed=a.seed, device=a.device, warmup=max(0, a.warmup), ceilings_cache=a.ceilings_cache,
        eager_s=a.eager_s, eager_calls=max(0, a.eager_calls), timing_seconds=a.timing_seconds,
        footprints=footprints, timing_ci=a.timing_ci, timing_min_calls=a.timing_min_calls, incumbent_s=a.incumbent_s,
        slower_factor=a.slower_factor, kill_floor_s=a.kill_floor_s, kill_factor=a.kill_factor,
        reuse_references=a.reuse_references, reference_cache=a.reference_cache,
        fresh_if_faster_than=a.fresh_if_faster_than, warm=warm, worker_vars=worker_vars,
        baseline_kernel=a.baseline_kernel, cost_limit_s=a.cost_limit_s, race=a.race)


def exit_code(summary):
    return 0 if summary["status"] == "ok" else 3 if summary["status"] == "flagged" else 1


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ap = parser()
    a = ap.parse_args(argv)

    if a.command == "ceilings":
        import torch
        from . import ceilings
        print(json.dumps(ceilings.get(torch.device("cuda")), indent=1))
        return 0

    if a.command == "devices":
        from . import devices
        print(json.dumps({"devices": devices.visible()}))
        return 0

    if a.command == "serve":
        from . import server
        return server.serve(a.socket, a.workers, a.executor)

    from . import harness
    harness.die_with_parent()
    if a.server:
        from . import server
        summary = server.request(a.server, _without(argv, "--server"))
        if summary is not None:
            print(json.dumps(_clean(summary)))
            return exit_code(summary)
        print("kevc_gpu: no warm-worker server at %s; evaluating here" % a.server, file=sys.stderr)
    if a.executor:
        from . import ray_executor
        summary = ray_executor.get(a.executor).evaluate(_without(argv, "--executor"))
    else:
        summary = evaluate(a, ap)
    print(json.dumps(_clean(summary)))
    return exit_code(summary)


def _without(argv, flag):
    """argv less `flag` and its value."""
    out, skip = [], False
    for x in argv:
        if skip:
            skip = False
        elif x == flag:
            skip = True
        elif not x.startswith(flag + "="):
            out.append(x)
    return out


if __name__ == "__main__":
    sys.exit(main())
