"""Worst error of the split dots (bf16x3, tf32x3) against f32's tolerance on the harness's heavy-tailed inputs, by the
reduction length K: M x N outputs (argument, default 1024), three seeds each, numpy emulation of the modules' splits
(python/tests/test_bf16x3_numerics.py). Run from the repository root: python3 bench/gpu/split-precision-sweep.py 1024"""
import sys, zlib, numpy as np, time
sys.path.insert(0, "python"); sys.path.insert(0, "python/tests")
from test_bf16x3_numerics import split, operands, dot_bf16x3
from kevc_gpu.tolerance import TOLERANCE
from kevc_gpu.inputs import generate
atol, rtol = TOLERANCE["f32"]
def tf32_split(x):
    x = np.ascontiguousarray(x, np.float32); bits = x.view(np.uint32)
    hi = ((bits + np.uint32(0x1000)) & np.uint32(0xFFFFE000)).view(np.float32)
    lo = (x - hi).astype(np.float32); lb = lo.view(np.uint32)
    lo = ((lb + np.uint32(0x1000)) & np.uint32(0xFFFFE000)).view(np.float32)
    return hi, lo
def dot3(a, b, sp):
    ah, al = sp(a); bh, bl = sp(b)
    f = lambda x, y: x.astype(np.float64) @ y.astype(np.float64)
    return (f(al, bh) + f(ah, bl) + f(ah, bh)).astype(np.float32)
def bsplit(x):
    return split(x)
M = N = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
for K in [64, 144, 576, 1024, 2048, 4096, 8192]:
    worst = {"bf16x3": 0, "tf32x3": 0}; fails = {"bf16x3": 0, "tf32x3": 0}
    for seed in range(3):
        params = [{"name": "a", "dtype": "f32", "shape": [M, K]}, {"name": "b", "dtype": "f32", "shape": [K, N]}]
        t = generate(params, 1000 * K + seed, "heavy-tailed", "cpu")
        a, b = t["a"].numpy(), t["b"].numpy()
        ref = a.astype(np.float64) @ b.astype(np.float64)
        rms = np.sqrt(np.mean(ref ** 2))
        bound = atol + rtol * (np.abs(ref) + rms)
        for name, sp in (("bf16x3", bsplit), ("tf32x3", tf32_split)):
            r = np.abs(dot3(a, b, sp) - ref) / bound
            worst[name] = max(worst[name], float(r.max())); fails[name] += int((r > 1).sum())
    print("K=%5d  outputs %d x3 seeds: bf16x3 worst %.3f of the bound (%d failing), tf32x3 worst %.3f (%d failing)" % (K, M * N, worst["bf16x3"], fails["bf16x3"], worst["tf32x3"], fails["tf32x3"]), flush=True)
