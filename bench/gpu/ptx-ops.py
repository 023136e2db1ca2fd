"""Compiles kevc Triton modules for sm_90 on this machine (no GPU: Triton's ASTSource and GPUTarget) and counts, per
kernel, the PTX instructions of the elementwise work around the matrix units: exp2 (ex2.approx), f32 fma / mul / add /
sub, compares (setp) and selects (selp), and the matrix and memory instructions of ptx-count.py for context.
    python3 bench/gpu/ptx-ops.py MODULE.triton.py ...   (from the repository root)
Static counts of the whole kernel (each loop body once, unrolled copies included), not a timing: they tell how many
instructions a module asks for per key block, e.g. the online attention's p = exp(x - M) per score
(bench/gpu/attention-vs-tutorial-2026-12-08.md).
"""
import os, re, sys
sys.path.insert(0, "python")
import triton
from triton.compiler import ASTSource
from kevc_gpu.aot import load_module, parse_target

KEYS = [("ex2", r"\bex2\.approx"), ("fma", r"\bfma\.rn\.f32"), ("mul", r"\bmul\.(?:rn\.)?f32"),
        ("add", r"\badd\.(?:rn\.)?f32"), ("sub", r"\bsub\.(?:rn\.)?f32"), ("setp", r"\bsetp\."), ("selp", r"\bselp\."),
        ("max", r"\bmax\.(?:NaN\.)?f32"), ("wgmma", r"\bwgmma\.mma_async"), ("cp.async", r"\bcp\.async\.(?:cg|ca)"),
        ("ld.global", r"\bld\.global"), ("bar", r"\bbar\.sync")]

def kernels_ptx(path):
    """(kernel name, PTX) of each kernel of a kevc Triton module, compiled for sm_90 on this machine (no GPU)."""
    mod = load_module(path)
    for k in mod.KEVC["kernels"]:
        sig = dict(k["signature"])
        attrs = {(i,): [["tt.divisibility", 16]] for i, t in enumerate(sig.values()) if t.startswith("*")}
        src = ASTSource(fn=getattr(mod, k["name"]), signature=sig, constexprs=dict(k.get("constexprs", {})), attrs=attrs)
        c = triton.compile(src, target=parse_target("cuda:90"),
                           options={"num_warps": int(k.get("num_warps", 4)), "num_stages": int(k.get("num_stages", 2))})
        yield k["name"], c.asm["ptx"]


if __name__ == "__main__":
    for path in sys.argv[1:]:
        for name, ptx in kernels_ptx(path):
            body = [l.strip() for l in ptx.splitlines() if l.strip() and not l.strip().startswith(("//", ".", "$", "{", "}"))]
            counts = " ".join("%s=%d" % (key, sum(1 for l in body if re.search(rx, l))) for key, rx in KEYS)
            print("%s %s instructions=%d %s" % ("/".join(path.split("/")[-3:-1]), name, len(body), counts))
