"""Rule 2c (docs/transforms.md): a column reduction over the rows a row definition writes shares its pass over the
rows. rmsnorm_backward's default at the bench shape is one kernel for dx and dw's partials (`compute_with` at the
loop over each program's rows) and the combine; the defaults that take it, applied at small odd shapes (ragged
last rows, rows not a multiple of the programs), run under Triton's interpreter and match the float64 reference
(`kevc run --target triton`: several input distributions). layernorm_backward (two column reductions, dw and db, in
the same loop) likewise through sketch `one-pass-columns` (the cost model leaves its default dims to the separate
kernels)."""

import json
import os
import subprocess

import pytest

pytest.importorskip("triton")
pytest.importorskip("torch")

from test_artifacts import ROOT, kevc  # noqa: E402  (the built kevc, or a skip)

RMS = os.path.join(ROOT, "specs", "rmsnorm_backward.kev")
LN = os.path.join(ROOT, "specs", "layernorm_backward.kev")


def trace(tmp_path, spec, shape, *extra):
    out = tmp_path / ("%s-%s.json" % (os.path.basename(spec), shape.replace(",", "-").replace("=", "")))
    subprocess.run([kevc(), "opt", spec, "--default-schedule", "triton", "--shape", shape, "--emit-trace-json", "-o",
                    str(out), *extra], check=True)
    return out


def test_bench_default_is_one_pass(tmp_path):
    steps = json.loads(trace(tmp_path, RMS, "M=8192,N=4096").read_text())["steps"]
    assert {"computeWith": {"loop": "m.o", "sibling": "dx", "tensor": "_r2.rf"}} in steps
    module = subprocess.run([kevc(), "compile", RMS, "--target", "triton", "--shape", "M=8192,N=4096", "--emit",
                             "triton"], check=True, capture_output=True, text=True).stdout
    assert module.count("@triton.jit\ndef kevc_") == 2
    rows = module[module.index("def kevc_rmsnorm_backward_dx("):]
    rows = rows[:rows.index("\n\n\n")]
    assert rows.count("in tl.range(") == 1, rows


@pytest.mark.parametrize("spec,shape,extra", [
    (RMS, "M=37,N=200", []),
    (RMS, "M=301,N=130", []),
    (LN, "M=45,N=130", ["--sketch", "one-pass-columns"]),
    (LN, "M=301,N=70", ["--sketch", "one-pass-columns"]),
])
def test_one_pass_matches_the_reference_under_the_interpreter(tmp_path, spec, shape, extra):
    t = trace(tmp_path, spec, shape, *extra)
    assert "computeWith" in t.read_text()
    env = dict(os.environ, TRITON_INTERPRET="1", KEVC_GPU_DEVICE="cpu")
    run = subprocess.run([kevc(), "run", spec, "--target", "triton", "--iterations", "0", "--shape", shape,
                          "--schedule", str(t), "--gpu-timeout", "800"], env=env, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0 and run.stdout.strip().splitlines()[-1] == "PASS", (run.stdout + run.stderr)[-3000:]
