"""Static facts of kevc's Triton kernels on sm_90, with no GPU: registers, spills, shared memory, programs per SM.

    python3 bench/gpu/static-dot-check.py MODULE.py [MODULE.py ...]            (kevc compile ... --emit triton -o M.py)
    python3 bench/gpu/static-dot-check.py --sweep BM,BN,BK,WARPS,STAGES ... -- MODULE.py M_CONSTEXPR N_CONSTEXPR K_CONSTEXPR

Compiles each kernel of the module's KEVC metadata with Triton (`triton.compile`, target cuda:90, pointers 16-byte
aligned as Triton's launcher specializes torch's allocations) and the ptxas and nvdisasm that ship with Triton, then
prints one line per kernel: tile constexprs, warps, stages, registers a thread, spill bytes, Triton's shared memory,
wgmma and cp.async instructions in the PTX, the programs one multiprocessor holds (by 64K registers, 228 KiB of
shared memory, 32 warps), and the SASS instructions of its longest loop per HGMMA in it (a warpgroup's four warps
each issue one instruction a cycle, while one tf32 HGMMA m64n64k8 keeps an H100 SM's tensor cores about 32 cycles:
above that the loop is issue-bound). `--sweep` recompiles the module's first kernel with other tile constexprs (the
names of its m, n and k blocks; a `_1` copy of a name takes the same value) and launch options: the code stays the
module's (loop trip counts too), so only the resources are meaningful, not the results. No timing: the resources a
schedule costs, to compare with bench/gpu/ timings.
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

from kevc_gpu.aot import load_module  # noqa: E402


def compile_one(fn, signature, constexprs, warps, stages):
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    # Pointers 16-byte aligned, as Triton's launcher specializes them for torch's allocations at run time.
    attrs = {(i,): [["tt.divisibility", 16]] for i, t in enumerate(signature.values()) if t.startswith("*")}
    c = triton.compile(ASTSource(fn, signature, constexprs=constexprs, attrs=attrs), target=GPUTarget("cuda", 90, 32),
                       options={"num_warps": warps, "num_stages": stages})
    ptx = c.asm["ptx"]
    ptxas = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", "ptxas")
    with tempfile.NamedTemporaryFile("w", suffix=".ptx", delete=False) as f:
        f.write(ptx)
    try:
        r = subprocess.run([ptxas, "-arch=sm_90a", "-v", f.name, "-o", os.devnull], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    loop, hgmma = loop_body(c.asm["cubin"], os.path.dirname(ptxas))
    regs = int(re.search(r"Used (\d+) registers", r.stderr).group(1))
    spill = int(re.search(r"(\d+) bytes spill stores", r.stderr).group(1))
    shared = c.metadata.shared
    per_sm = min(65536 // (((regs + 7) // 8 * 8) * 32 * warps), (228 * 1024) // (shared + 1024), 32 // warps)
    return dict(regs=regs, spill=spill, shared=shared, per_sm=per_sm, wgmma=ptx.count("wgmma.mma_async"),
                cp_async=len(re.findall(r"cp\.async\.c[ag]", ptx)), loop=loop, hgmma=hgmma)


def loop_body(cubin, bindir):
    """SASS instructions of the kernel's longest loop (its largest backward branch) and the HGMMAs among them."""
    with tempfile.NamedTemporaryFile(suffix=".cubin", delete=False) as f:
        f.write(cubin)
    try:
        sass = subprocess.run([os.path.join(bindir, "nvdisasm"), "-c", f.name], capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    labels, seq = {}, []
    for text in sass.splitlines():
        m = re.match(r"\.L_x_(\d+):", text.strip())
        if m:
            labels[m.group(1)] = len(seq)
        elif re.match(r"\s+/\*[0-9a-f]{4}\*/", text):
            seq.append(text)
    best = None
    for i, text in enumerate(seq):
        m = re.search(r"BRA\s+`\(\.L_x_(\d+)\)", text)
        if m and m.group(1) in labels and labels[m.group(1)] < i:
            if best is None or i - labels[m.group(1)] > best[1] - best[0]:
                best = (labels[m.group(1)], i)
    if best is None:
        return 0, 0
    body = seq[best[0]:best[1] + 1]
    return len(body), sum(1 for text in body if re.search(r"\bHGMMA\b", text))


def line(name, cx, warps, stages, r):
    tiles = ", ".join("%s=%s" % kv for kv in cx.items())
    per = " (%.0f a thread per HGMMA)" % (r["loop"] / r["hgmma"]) if r["hgmma"] else ""
    return ("%s [%s] warps %d stages %d: %d registers, %d spill bytes, %d KiB shared, wgmma %d, cp.async %d, "
            "%d programs per SM, loop body %d SASS instructions%s" % (
                name, tiles, warps, stages, r["regs"], r["spill"], r["shared"] // 1024, r["wgmma"], r["cp_async"],
                r["per_sm"], r["loop"], per))


def main(argv):
    if argv and argv[0] == "--sweep":
        sep = argv.index("--")
        configs = [tuple(int(x) for x in c.split(",")) for c in argv[1:sep]]
        path, names = argv[sep + 1], argv[sep + 2:sep + 5]
        mod = load_module(path)
        k = mod.KEVC["kernels"][0]
        fn = getattr(mod, k["name"])
        for bm, bn, bk, warps, stages in configs:
            cx = dict(k["constexprs"])
            for key in cx:
                base = re.sub(r"_\d+$", "", key)
                for name, v in zip(names, (bm, bn, bk)):
                    if key == name or base == name:
                        cx[key] = v
            print(line(k["name"], cx, warps, stages, compile_one(fn, k["signature"], cx, warps, stages)))
        return 0
    for path in argv:
        mod = load_module(path)
        for k in mod.KEVC["kernels"]:
            r = compile_one(getattr(mod, k["name"]), k["signature"], k["constexprs"], k["num_warps"], k["num_stages"])
            print(line(k["name"], k["constexprs"], k["num_warps"], k["num_stages"], r))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
