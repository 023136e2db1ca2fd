"""The HIP target's harness module (kevc compile --target hip --emit hip-py) end to end on the CPU: the module
builds its library with `$KEVC_NVCC`, here a stand-in that compiles the same source as plain C++ with -DKEVC_HOST
(kevc_hip.h runs each launch as one thread walking every thread index), and its `launch` passes tensors, scalars
and workspace through ctypes; the results must match the float64 reference. On the GPU machine the same module
runs with nvcc (bench/gpu/targets-check.sh)."""

import os
import stat
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_reference_vs_interpreter import KEVC, ROOT  # noqa: E402

torch = pytest.importorskip("torch")
from kevc_gpu import inputs, modules  # noqa: E402
from kevc_gpu.tolerance import compare  # noqa: E402

STAND_IN = """#!/usr/bin/env python3
import subprocess, sys
sys.path.insert(0, %r)
from kevc_gpu.hip_host_check import host_compiler
a = sys.argv[1:]
inc = a[a.index("-I") + 1]
src = a[a.index("-x") + 2]
out = a[a.index("-o") + 1]
sys.exit(subprocess.call([host_compiler(), "-O1", "-std=c++17", "-fwrapv", "-DKEVC_HOST", "-shared", "-fPIC", "-I", inc,
                          "-x", "c++", src, "-o", out]))
"""


@pytest.mark.skipif(KEVC is None, reason="no kevc binary (set $KEVC or build one)")
@pytest.mark.parametrize("spec", ["rmsnorm", "embedding_bag", "cumsum", "layernorm"])
def test_hip_module_runs_through_launch(spec, tmp_path, monkeypatch):
    nvcc = tmp_path / "nvcc"
    nvcc.write_text(STAND_IN % os.path.join(ROOT, "python"))
    nvcc.chmod(nvcc.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("KEVC_NVCC", str(nvcc))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    path = os.path.join(ROOT, "specs", spec + ".kev")
    mod, ref = tmp_path / "k.hip.py", tmp_path / "k.ref.py"
    for args, out in ((["--target", "hip", "--emit", "hip-py"], mod), (["--emit", "torch-ref"], ref)):
        p = subprocess.run([KEVC, "compile", path] + args + ["-o", str(out)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
    kernel = modules.load_module(str(mod))
    reference = modules.load_module(str(ref))
    params, results = modules.signature(reference.KEVC_REFERENCE)
    for t, dist in enumerate(["normal", "with-zeros"]):
        ins = inputs.generate(params, inputs.trial_seed(7, t), dist, "cpu")
        outs = inputs.poisoned(results, "cpu")
        kernel.launch(**inputs.kernel_arguments(params, ins), **outs)
        expected = reference.reference(ins)
        tol = {r["name"]: r.get("tolerance") for r in reference.KEVC_REFERENCE["results"]}
        for r in results:
            c = compare(outs[r["name"]], expected[r["name"]], r["dtype"], tol.get(r["name"]))
            assert c["passed"], (spec, dist, r["name"], c)


@pytest.mark.skipif(KEVC is None, reason="no kevc binary (set $KEVC or build one)")
def test_staged_matmul_runs_on_a_block_of_threads_per_element(tmp_path):
    """The Triton matmul trace with a staged tile (lowering/triton/traces/matmul.stage.trace) on HIP: the split tails
    of m and n no longer defeat the thread plan's overlap check (it ran the whole matmul as ONE block), so each
    output element gets a block whose threads stage b's tile in shared memory and reduce k together; run as
    std::threads in lockstep (hip_host_check --threads), it matches the float64 reference."""
    from kevc_gpu import hip_host_check
    trace = os.path.join(ROOT, "lowering", "triton", "traces", "matmul.stage.trace")
    spec = os.path.join(ROOT, "specs", "matmul.kev")
    shape = "M=35,N=33,K=20"
    p = subprocess.run([KEVC, "compile", spec, "--target", "hip", "--emit", "plan", "--schedule", trace, "--shape", shape,
                        "-o", "-"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "phase 0: 4096 block(s) of 64 threads" in p.stdout, p.stdout
    assert "cooperative d0: strided over the block's threads" in p.stdout, p.stdout
    assert "shared %b.c (one per block)" in p.stdout, p.stdout
    r = hip_host_check.check(KEVC, spec, shape, str(tmp_path), inputs.DISTRIBUTIONS[:1], threads=True, schedule=trace)
    assert r["status"] == "ok", r


@pytest.mark.skipif(KEVC is None, reason="no kevc binary (set $KEVC or build one)")
@pytest.mark.parametrize("spec,trace,shape", [
    ("matmul", "hip/traces/matmul.mfma.trace", "M=70,N=33,K=9"),
    ("matmul_bias_gelu", "hip/traces/matmul_bias_gelu.mfma.trace", "M=33,N=64,K=40"),
    ("batched_matmul", "hip/traces/batched_matmul.mfma.trace", "B=2,M=17,N=31,K=21"),
    ("matmul", "triton/traces/matmul.bf16_operands.trace", "M=130,N=129,K=9"),  # 128 x 128 on 2 x 2 waves
])
def test_mfma_tiles_on_the_cpu(tmp_path, spec, trace, shape):
    """The MFMA traces (lowering/hip/traces/*.mfma.trace: f32, bf16 and f16 operands; a Triton trace whose 128 x 128
    tile takes 4 waves) at odd shapes: the portable path
    (one thread walking every index, and a block of std::threads), and the MFMA path with the instructions emulated
    from kevc_hip.h's lane layout (--threads --mfma) match the float64 reference: tails of the tile and of the
    reduction's last instruction step are masked, the registers map back to the right elements."""
    from kevc_gpu import hip_host_check
    trace = os.path.join(ROOT, "lowering", trace)
    path = os.path.join(ROOT, "specs", spec + ".kev")
    for threads, mfma in [(False, False), (True, False), (True, True)]:
        # The f32 matmul's bf16 operands need the contract `medium` (the trace never raises it).
        r = hip_host_check.check(KEVC, path, shape, str(tmp_path), inputs.DISTRIBUTIONS[:1], threads=threads,
                                 schedule=trace, mfma=mfma,
                                 matmul_precision="medium" if "bf16_operands" in trace else None)
        assert r["status"] == "ok", (threads, mfma, r)
