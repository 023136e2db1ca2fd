"""Compiles kevc Triton modules for sm_90 on this machine (no GPU: Triton's ASTSource and GPUTarget) and counts, per
kernel, the PTX instructions that tell how a `tl.dot`'s operand tiles reach the matrix units: wgmma issues, shared
memory stores and loads, ldmatrix/stmatrix, shuffles, async copies, tf32 conversions, barriers.
    python3 bench/gpu/ptx-count.py MODULE.triton.py ...   (from the repository root)
An operand tile that Triton's tf32 wgmma cannot read as stored (MN-major f32) is transposed through registers and
shared memory every reduction step: about twice the st.shared/ld.shared of a K-major one (bench/gpu/ab-k-major-ptx.md).
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module
kernels_ptx = import_module("ptx-ops").kernels_ptx  # the one compile of a module's kernels for sm_90

KEYS = ["wgmma.mma_async", "st.shared", "ld.shared", "ldmatrix", "stmatrix", "shfl", "cp.async.cg", "cp.async.bulk",
        "cvt.rna.tf32", "bar.sync", "wgmma.fence", "wgmma.wait"]
for path in sys.argv[1:]:
    for name, ptx in kernels_ptx(path):
        print(os.path.basename(path)[:28], name[-20:],
              " ".join("%s=%d" % (x.split('.')[0] if x != "cvt.rna.tf32" else "cvt", ptx.count(x)) for x in KEYS))
