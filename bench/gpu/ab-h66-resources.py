"""What each prepared module's kernels take on sm_90, without a GPU: Triton 3.6 compiles every kernel its KEVC
metadata lists for cuda:90 with the pointer arguments 16-byte divisible (`tt.divisibility`, as Triton's JIT
specialises them at run time; `python -m kevc_gpu.aot` and `--check-aot` compile without it, so their loads never
vectorise and their shared memory is an unpipelined loop's), then ptxas -v (Triton's own) for registers and spills.
Prints per kernel: warps, stages, shared memory (bytes), registers, spill-store bytes, cp.async and wgmma
instructions in the PTX (no cp.async: the loop's loads are synchronous, nothing is pipelined).

Usage: python3 bench/gpu/ab-h66-resources.py PREP_DIR/*/*/*.triton.py   (from the repository root)
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import triton  # noqa: E402
from triton.compiler import ASTSource  # noqa: E402
from kevc_gpu.aot import load_module, parse_target  # noqa: E402

PTXAS = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", "ptxas")


def main():
    for path in sys.argv[1:]:
        mod = load_module(path)
        where = "/".join(path.split("/")[-3:-1])
        for k in mod.KEVC["kernels"]:
            sig = dict(k["signature"])
            attrs = {(i,): [["tt.divisibility", 16]] for i, t in enumerate(sig.values()) if t.startswith("*")}
            src = ASTSource(fn=getattr(mod, k["name"]), signature=sig, constexprs=dict(k.get("constexprs", {})),
                            attrs=attrs)
            warps, stages = int(k.get("num_warps", 4)), int(k.get("num_stages", 2))
            try:
                c = triton.compile(src, target=parse_target("cuda:90"), options={"num_warps": warps, "num_stages": stages})
            except Exception as e:  # noqa: BLE001 (reported, the next kernel goes on)
                print("%-52s %-30s failed: %s" % (where, k["name"][-30:], str(e).splitlines()[-1][:100]))
                continue
            ptx = c.asm["ptx"]
            with tempfile.NamedTemporaryFile("w", suffix=".ptx", delete=False) as f:
                f.write(ptx)
            log = subprocess.run([PTXAS, "-v", "--gpu-name", "sm_90a", f.name, "-o", os.devnull],
                                 capture_output=True, text=True).stderr
            os.unlink(f.name)
            regs = re.search(r"Used (\d+) registers", log)
            spill = re.search(r"(\d+) bytes spill stores", log)
            print("%-52s %-30s w%-2d s%d shared %6d regs %3s spill %4s cp.async %3d wgmma %2d" % (
                where, k["name"][-30:], warps, stages, c.metadata.shared, regs.group(1) if regs else "?",
                spill.group(1) if spill else "?", ptx.count("cp.async.cg") + ptx.count("cp.async.ca"),
                ptx.count("wgmma.mma_async")))


if __name__ == "__main__":
    main()
