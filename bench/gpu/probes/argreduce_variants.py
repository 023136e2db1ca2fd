"""Which part of a kevc arg-reduction module goes wrong on a GPU: the module kevc emits for an arg-reduction, and
variants of it that each change one thing (pipelining stages, warps, the loop form, the combiner, the index width,
Triton's own tl.argmax), run on the same inputs and compared with torch.argmax. A diagnostic for the 2026-12-06
finding (specs/argmax.kev at 4096 x 32000 wrong on the H100 and the H200), not a benchmark.

Usage: python3 bench/gpu/probes/argreduce_variants.py MODULE.py OUT.json
MODULE.py: bench/gpu/probes/argmax-4096x32000-67c1d8a.py, what `kevc compile specs/argmax.kev --target triton
--shape M=4096,N=32000` emitted at 67c1d8a (the operator form the variants edit; kevc now emits the fix).
"""
import importlib.util
import json
import os
import re
import sys
import tempfile
import traceback

import torch

SRC = open(sys.argv[1]).read()
OUT = sys.argv[2]
DEV = os.environ.get("KEVC_GPU_DEVICE", "cuda")


def variant(name, edits):
    src = SRC
    for pattern, repl in edits:
        new = re.sub(pattern, repl, src)
        if new == src:
            return name, None, f"edit did not apply: {pattern!r}"
        src = new
    return name, src, None


ARGMAX_BUILTIN = (
    r"v, i = tl\.reduce\(\(v, i\), None, _kevc_argmax_combine\)",
    "i = tl.argmax(v, 0, tie_break_left=True).to(tl.int32) + (n_o * 2048); v = tl.max(v, 0)",
)
SIMPLE_COMBINE = (
    r"first = \(\(v1 > v2\).*\n",
    "first = (v1 > v2) | ((v1 == v2) & (i1 < i2))\n",
)
VARIANTS = [
    variant("as emitted", []),
    variant("num_stages=1", [(r"num_stages=2\)\n    kevc_argmax_best", "num_stages=1)\n    kevc_argmax_best")]),
    variant("num_warps=4", [(r"BLOCK_n_i=2048, num_warps=8", "BLOCK_n_i=2048, num_warps=4")]),
    variant("num_warps=1", [(r"BLOCK_n_i=2048, num_warps=8", "BLOCK_n_i=2048, num_warps=1")]),
    variant("range not tl.range", [(r"tl\.range\(0, 16\)", "range(0, 16)")]),
    variant("static_range", [(r"tl\.range\(0, 16\)", "tl.static_range(0, 16)")]),
    variant("simple combine (no NaN)", [SIMPLE_COMBINE]),
    variant("index int64", [(r"\.to\(tl\.int32\), 2147483647\)", ".to(tl.int64), 2147483647)"),
                            (r"acc_index = tl\.full\(\[\], 2147483647, tl\.int32\)",
                             "acc_index = tl.full([], 2147483647, tl.int64)")]),
    variant("tl.argmax builtin per block", [ARGMAX_BUILTIN]),
    variant("single-operand reductions (the fix)", [(
        r"v, i = tl\.reduce\(\(v, i\), None, _kevc_argmax_combine\)",
        "nan_i = tl.min(tl.where(v != v, i, 2147483647)); best = tl.max(tl.where(v == v, v, -float('inf'))); "
        "best_i = tl.min(tl.where((v == v) & (v == best), i, 2147483647)); "
        "i = tl.where(nan_i != 2147483647, nan_i, best_i); v = tl.where(nan_i != 2147483647, float('nan'), best)")]),
    variant("reduce axis=0", [(r"tl\.reduce\(\(v, i\), None,", "tl.reduce((v, i), 0,")]),
    variant("block 1024 x 32 steps", [(r"2048", "1024"), (r"tl\.range\(0, 16\)", "tl.range(0, 32)")]),
    variant("block 512 x 63 steps, 4 warps", [(r"2048", "512"), (r"tl\.range\(0, 16\)", "tl.range(0, 63)"),
                                              (r"BLOCK_n_i=512, num_warps=8", "BLOCK_n_i=512, num_warps=4")]),
    variant("block 4096 x 8 steps", [(r"2048", "4096"), (r"tl\.range\(0, 16\)", "tl.range(0, 8)")]),
    variant("loop combine unrolled by where", [
        (r"acc, acc_index = _kevc_argmax_combine\(acc, acc_index, v, i\)",
         "take = (v > acc) | ((v == acc) & (i < acc_index))\n        acc_index = tl.where(take, i, acc_index)\n"
         "        acc = tl.where(take, v, acc)")]),
]


def load(name, src):
    path = os.path.join(tempfile.mkdtemp(), re.sub(r"\W", "_", name) + ".py")
    open(path, "w").write(src)
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    dims = re.search(r'"dims": \{"M": (\d+), "N": (\d+)\}', SRC)
    M, N = int(dims.group(1)), int(dims.group(2))
    g = torch.Generator(device=DEV).manual_seed(1)
    inputs = {
        "normal": torch.randn(M, N, device=DEV, generator=g),
        "uniform": torch.rand(M, N, device=DEV, generator=g),
        "row-ramp": torch.arange(N, device=DEV, dtype=torch.float32).repeat(M, 1),
    }
    results = {"device": torch.cuda.get_device_name() if DEV == "cuda" else DEV, "shape": [M, N], "variants": []}
    for name, src, err in VARIANTS:
        row = {"variant": name}
        if src is None:
            row["error"] = err
        else:
            try:
                mod = load(name, src)
                for dist, x in inputs.items():
                    idx = torch.full((M,), -7, dtype=torch.int64, device=DEV)
                    best = torch.full((M,), float("nan"), device=DEV)
                    mod.launch(x=x, idx=idx, best=best)
                    torch.cuda.synchronize() if DEV == "cuda" else None
                    want = torch.argmax(x, dim=1)
                    row[dist] = int((idx != want).sum())
                    if row[dist]:
                        r = int((idx != want).nonzero()[0])
                        row[dist + "_first"] = [r, int(idx[r]), int(want[r]), float(x[r, want[r]]),
                                                float(x[r, idx[r]]) if 0 <= int(idx[r]) < N else None]
            except Exception:  # noqa: BLE001 - a variant that fails to compile is a result, not a crash
                row["error"] = traceback.format_exc()[-600:]
        results["variants"].append(row)
        print(json.dumps(row), flush=True)
    json.dump(results, open(OUT, "w"), indent=1)


main()
