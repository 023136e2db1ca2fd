"""The accuracy contract of f32 contractions (`matmul_precision`, `--matmul-precision`) decides the tolerance a
module's results are checked at, never the dot precision its schedule chose: the module's KEVC["tolerance"] and the
reference's per-result "tolerance" are f32's under `highest` and tf32's (f16's) under `high` whatever the dot's
precision, and the harness compares at the coarser of the two (kevc_gpu/tolerance.py)."""
import os
import re
import subprocess

import pytest

from test_artifacts import ROOT, kevc

SPEC = os.path.join(ROOT, "specs", "matmul.kev")


def compile_module(tmp_path, name, contract, trace=None):
    out = tmp_path / name
    cmd = [kevc(), "compile", SPEC, "--target", "triton", "--emit", "triton,torch-ref", "--dump-dir", str(out)]
    if contract:
        cmd += ["--matmul-precision", contract]
    if trace:
        path = tmp_path / (name + ".trace")
        path.write_text(trace)
        cmd += ["--schedule", str(path)]
    run = subprocess.run(cmd, capture_output=True, text=True)
    return run, out


def tolerances(out):
    module = next(p for p in out.iterdir() if p.name.endswith(".triton.py")).read_text()
    reference = next(p for p in out.iterdir() if p.name.endswith(".ref.py")).read_text()
    m = re.search(r'"tolerance": \{([^}]*)\}', module)
    r = re.search(r'"name": "c", "dtype": "f32", "shape": \[[^\]]*\], "tolerance": "(\w+)"', reference)
    return (m.group(1) if m else None), (r.group(1) if r else None)


@pytest.mark.parametrize("precision", ["tf32", "tf32x3", "bf16x3", None])
def test_high_checks_at_tf32s_tolerance_whatever_the_dot_precision(tmp_path, precision):
    trace = "dot(c)\n" + ("precision(c, %s)\n" % precision if precision else "")
    run, out = compile_module(tmp_path, "high", "high", trace)
    assert run.returncode == 0, run.stderr
    assert tolerances(out) == ('"c": "f16"', "f16")


def test_highest_checks_at_f32s_tolerance_and_refuses_tf32(tmp_path):
    run, out = compile_module(tmp_path, "split", None, "dot(c)\nprecision(c, tf32x3)\n")
    assert run.returncode == 0, run.stderr
    assert tolerances(out) == ('"c": "f32"', "f32")
    # One tf32 pass is beyond `highest`: a typed error, not a looser check.
    run, _ = compile_module(tmp_path, "tf32", None, "dot(c)\nprecision(c, tf32)\n")
    assert run.returncode != 0 and "kevc.transform.beyond-matmul-precision" in run.stderr, run.stderr


def test_the_reference_alone_carries_the_contract(tmp_path):
    """Under `medium` with no dot precision at all (the CPU-style schedule of the IR as written), the reference names
    bf16's tolerance for the contraction's result."""
    run, out = compile_module(tmp_path, "medium", "medium", "dot(c)\n")
    assert run.returncode == 0, run.stderr
    assert tolerances(out) == ('"c": "bf16"', "bf16")
