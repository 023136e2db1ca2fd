"""The harness's checking work on one problem, counted and timed on the CPU (bench/harness/check-speed.sh cpu):
the float64 reference whole (reference_with_leeway) and compared (tolerance.compare), the same in slices
(reference_slices + tolerance.StreamingCompare, as a trial whose reference does not fit), and measured_cost (the
roofline's cost), each with the number of torch operations dispatched (aten ops: on a GPU, about one launch each)
and host synchronisations (aten._local_scalar_dense: item/bool/float/int/tolist, and nonzero) it issued.

    python3 check_counts.py PYTHON_DIR REF.py SLICE_ELEMENTS [--phases whole,sliced,cost] [--repeat N]

PYTHON_DIR is the python/ folder whose kevc_gpu is measured (main's or a branch's). Prints one JSON line per phase:
{"phase", "seconds", "ops", "syncs", "passed"}. The candidate's output is the reference rounded to the result's
dtype (a passing kernel), so the comparison does all its work."""
import argparse
import importlib.util
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("python_dir")
    ap.add_argument("reference")
    ap.add_argument("slice_elements", type=int)
    ap.add_argument("--phases", default="whole,sliced,cost")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-count", action="store_true", help="time only (no dispatch mode: its overhead excluded)")
    a = ap.parse_args()
    sys.path.insert(0, a.python_dir)
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from kevc_gpu import inputs as inp, memory, tolerance
    device = torch.device("cpu")
    # The comparison's slices as the worker sizes them (memory.check_elements, where this python/ has it).
    sized = hasattr(memory, "check_elements")
    spec = importlib.util.spec_from_file_location("kevc_ref_bench", a.reference)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    params = ref.KEVC_REFERENCE["params"]
    results = ref.KEVC_REFERENCE["results"]
    values = inp.generate(params, 12345, "normal", torch.device("cpu"))
    native = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16, "f64": torch.float64,
              "i64": torch.int64, "i32": torch.int32, "i8": torch.int8, "bool": torch.bool}

    class Count(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops = 0
            self.syncs = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ops += 1
            name = str(func)
            if "_local_scalar_dense" in name or "nonzero" in name or "masked_select" in name:
                self.syncs += 1
            return func(*args, **(kwargs or {}))

    # The candidate's outputs: the reference rounded to each result's dtype (computed outside the counts).
    expected = ref.reference(dict(values))
    outs = {r["name"]: expected[r["name"]].to(native[r["dtype"]]) for r in results}
    del expected

    def whole():
        got, leeway = ref.reference_with_leeway(dict(values))
        ok = True
        more = {"chunk": memory.check_elements(torch, device)} if sized else {}
        for r in results:
            c = tolerance.compare(outs[r["name"]], got[r["name"]], r["dtype"], r.get("tolerance"),
                                  **leeway.get(r["name"], {}), **more)
            ok = ok and c["passed"]
        return ok

    def sliced():
        more = {"chunk": memory.check_elements(torch, device, reserved=16 * a.slice_elements)} if sized else {}
        streams = {r["name"]: tolerance.StreamingCompare(r["dtype"], r["shape"], r.get("tolerance"), **more)
                   for r in results}
        n = 0
        for name, lo, hi, value in ref.reference_slices(dict(values), a.slice_elements):
            out = outs[name]
            row = 1
            for s in out.shape[1:]:
                row *= int(s)
            if lo == 0 and hi == 0:
                streams[name].add(out, value, 0)
            else:
                streams[name].add(out[lo:hi], value, lo * row)
            n += 1
        return all(s.result()["passed"] for s in streams.values())

    def cost():
        c = ref.measured_cost(dict(values))
        return c["bytes"] > 0

    for phase in a.phases.split(","):
        fn = {"whole": whole, "sliced": sliced, "cost": cost}[phase]
        for _ in range(a.repeat):
            counter = Count()
            t = time.perf_counter()
            if a.no_count:
                ok = fn()
            else:
                with counter:
                    ok = fn()
            print(json.dumps({"phase": phase, "seconds": round(time.perf_counter() - t, 3),
                              "ops": None if a.no_count else counter.ops,
                              "syncs": None if a.no_count else counter.syncs, "passed": bool(ok)}), flush=True)


if __name__ == "__main__":
    main()
