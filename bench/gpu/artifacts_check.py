"""Runs kevc's GPU artifacts on a CUDA GPU (called by bench/gpu/artifacts-check.sh with DIR:NAME per case).

For each case: the C launcher (lib NAME.so, through ctypes) on fresh inputs from the harness's generator, against the
float64 reference module (NAME.ref.py) with the harness's tolerances; a wrong-shape call must return
KEVC_ERROR_SHAPE (1) and launch nothing; the median time of the launcher's calls (CUDA events, 50 calls) beside
the Triton module's own Python `launch`; then the torch op (NAME_torch.py: `torch.ops.kevc.NAME`) eagerly and
under torch.compile(fullgraph=True). Prints one JSON summary. `--device cpu` (with TRITON_INTERPRET=1) checks
everything but the launcher on a machine without a GPU: a dry run of this script."""

import argparse
import ctypes
import json
import os
import re
import sys
import traceback

import torch

from kevc_gpu import inputs as kin
from kevc_gpu import tolerance as ktol
from kevc_gpu.modules import load_module, signature
from probe import median_ms  # bench/gpu/probe.py: the median of CUDA-event timings

SCALAR_CTYPE = {"f16": ctypes.c_uint16, "bf16": ctypes.c_uint16, "f32": ctypes.c_float, "f64": ctypes.c_double,
                "i8": ctypes.c_int8, "i32": ctypes.c_int32, "i64": ctypes.c_int64, "bool": ctypes.c_uint8}


def compare_all(outputs, reference, results):
    """Every result against the reference: passed when all pass; the first failure's (else the largest) error."""
    checks = [(r["name"], ktol.compare(outputs[r["name"]], reference[r["name"]], r["dtype"])) for r in results]
    failed = [(n, c) for n, c in checks if not c["passed"]]
    name, c = failed[0] if failed else max(checks, key=lambda nc: nc[1]["max_abs"])
    return {"passed": not failed, "result": name, "max_abs": c["max_abs"], "max_rel": c["max_rel"],
            "reason": c.get("reason")}


def check(directory, name, device):
    out = {"name": name}
    torch_mod = load_module(os.path.join(directory, name + "_torch.py"))
    ref_mod = load_module(os.path.join(directory, name + ".ref.py"))
    params, results = signature(torch_mod.KEVC)
    header = open(os.path.join(directory, name + ".h")).read()
    macro = name.upper()
    workspace_bytes = int(re.search(r"#define %s_WORKSPACE_BYTES (\d+)" % macro, header).group(1))
    dims = [(d, int(v)) for d, v in re.findall(r"#define %s_DIM_(\w+) (\d+)" % macro, header)]
    out["shape"] = ",".join("%s=%d" % d for d in dims)
    values = kin.generate(params, seed=1234, distribution="normal", device=device)
    reference = ref_mod.reference(values, device=device)

    if device == "cpu":
        out["launcher"] = {"passed": True, "skipped": "no GPU"}
    else:
        check_launcher(out, directory, name, params, results, values, reference, dims, workspace_bytes, torch_mod)

    # The torch op, eager and compiled.
    op = getattr(torch.ops.kevc, name)
    call_args = [values[p["name"]].item() if len(p["shape"]) == 0 else values[p["name"]] for p in params]

    def as_dict(r):
        r = r if isinstance(r, (tuple, list)) else (r,)
        return {res["name"]: t for res, t in zip(results, r)}

    out["torch_eager"] = compare_all(as_dict(op(*call_args)), reference, results)
    compiled = torch.compile(lambda *a: op(*a), fullgraph=True)
    out["torch_compile"] = compare_all(as_dict(compiled(*call_args)), reference, results)
    out["passed"] = bool(out["launcher"]["passed"] and out["torch_eager"]["passed"] and out["torch_compile"]["passed"]
                         and out.get("wrong_shape_status", 1) == 1)
    return out


def check_launcher(out, directory, name, params, results, values, reference, dims, workspace_bytes, torch_mod):
    """The C launcher through ctypes: a wrong-shape call, the checked call, the comparison and the timings."""
    device = "cuda"
    lib = ctypes.CDLL(os.path.join(directory, "lib%s.so" % name))
    launch_checked = getattr(lib, name + "_launch_checked")
    launch_checked.restype = ctypes.c_int
    launch_checked.argtypes = [ctypes.c_int64] * len(dims) + [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]
    outputs = kin.poisoned(results, device)
    workspace = torch.empty(max(workspace_bytes, 1), dtype=torch.uint8, device=device)
    keep = []
    slots = []
    for p in params:
        v = values[p["name"]]
        if len(p["shape"]) == 0:
            host = SCALAR_CTYPE[p["dtype"]](v.view(torch.int16).item() if p["dtype"] in ("f16", "bf16") else v.item())
            keep.append(host)
            slots.append(ctypes.cast(ctypes.pointer(host), ctypes.c_void_p).value)
        else:
            slots.append(v.data_ptr())
    slots += [outputs[r["name"]].data_ptr() for r in results] + [workspace.data_ptr()]
    args = (ctypes.c_void_p * len(slots))(*slots)
    stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
    sizes = [v for _, v in dims]
    wrong = [v + 1 for v in sizes] if sizes else []
    if sizes:
        out["wrong_shape_status"] = launch_checked(*wrong, args, stream)
    status = launch_checked(*sizes, args, stream)
    torch.cuda.synchronize()
    out["launcher_status"] = status
    if status != 0:
        out["launcher"] = {"passed": False, "reason": "launch returned %d (cuda error %d)" % (
            status, getattr(lib, name + "_cuda_error")())}
    else:
        out["launcher"] = compare_all(outputs, reference, results)
        out["launcher_ms"] = median_ms(lambda: launch_checked(*sizes, args, stream), calls=50)
        kernel_args = kin.kernel_arguments(params, values)
        out["python_launch_ms"] = median_ms(lambda: torch_mod.launch(**kernel_args, **outputs), calls=50)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="artifacts-check.json")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("cases", nargs="+")
    a = parser.parse_args()
    summary = {"device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
               "torch": torch.__version__, "cases": []}
    for case in a.cases:
        parts = case.split(":")
        directory, name = parts[0], parts[1]
        if len(parts) > 2:
            summary["cases"].append({"name": name, "passed": False, "reason": parts[2]})
            continue
        try:
            summary["cases"].append(check(directory, name, a.device))
        except Exception as e:
            summary["cases"].append({"name": name, "passed": False, "reason": "%s: %s" % (type(e).__name__, e),
                                     "traceback": traceback.format_exc()[-2000:]})
    summary["passed"] = all(c["passed"] for c in summary["cases"])
    text = json.dumps(summary, indent=2, default=str)
    with open(a.out, "w") as f:
        f.write(text + "\n")
    print(text)
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
