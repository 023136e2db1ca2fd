"""Compiles kevc Triton modules for sm_90 on this machine (no GPU: Triton's ASTSource and GPUTarget) and counts, per
kernel, the PTX instructions that tell how a `tl.dot`'s operand tiles reach the matrix units: wgmma issues, shared
memory stores and loads, ldmatrix/stmatrix, shuffles, async copies, tf32 conversions, barriers.
    python3 bench/gpu/ptx-count.py MODULE.triton.py ...   (from the repository root)
An operand tile that Triton's tf32 wgmma cannot read as stored (MN-major f32) is transposed through registers and
shared memory every reduction step: about twice the st.shared/ld.shared of a K-major one (bench/gpu/ab-k-major-ptx.md).
"""
import os, re, sys
sys.path.insert(0, "python")
import triton
from triton.compiler import ASTSource
from kevc_gpu.aot import load_module, parse_target
for path in sys.argv[1:]:
    mod = load_module(path)
    for k in mod.KEVC["kernels"]:
        sig = dict(k["signature"])
        attrs = {(i,): [["tt.divisibility", 16]] for i, t in enumerate(sig.values()) if t.startswith("*")}
        src = ASTSource(fn=getattr(mod, k["name"]), signature=sig, constexprs=dict(k.get("constexprs", {})), attrs=attrs)
        c = triton.compile(src, target=parse_target("cuda:90"), options={"num_warps": int(k.get("num_warps", 4)), "num_stages": int(k.get("num_stages", 2))})
        ptx = c.asm["ptx"]
        keys = ["wgmma.mma_async", "st.shared", "ld.shared", "ldmatrix", "stmatrix", "shfl", "cp.async.cg", "cp.async.bulk", "cvt.rna.tf32", "bar.sync", "wgmma.fence", "wgmma.wait"]
        print(os.path.basename(path)[:28], k["name"][-20:], " ".join("%s=%d" % (x.split('.')[0] if x!="cvt.rna.tf32" else "cvt", ptx.count(x)) for x in keys))
        if len(sys.argv) > 5: pass
