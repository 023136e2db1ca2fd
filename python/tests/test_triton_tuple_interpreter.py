"""The Triton module of argmax (a tuple reduction with a select-form combiner, ir/roundtrip/tuple_argmax.kir: one
condition in the generated combine function, a `tl.where` per component; its block reduced with single-operand
reductions, TritonArgExtreme.swift) run by Triton's interpreter on the CPU agrees with torch.argmax on ties (first
index), NaN (the first NaN wins) and infinities. The module runs in a child process with TRITON_INTERPRET=1 set
before triton is imported: triton.language's own @triton.jit functions (tl.min, tl.max) are interpreted only then."""

import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

sys.path.insert(0, os.path.dirname(__file__))
from test_artifacts import ROOT, kevc  # noqa: E402  (the built kevc, or a skip)

CHILD = r"""
import importlib.util, sys, torch
spec = importlib.util.spec_from_file_location("kevc_tuple_argmax_interp", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
g = torch.Generator().manual_seed(0)
x = torch.randint(-3, 4, (7, 33), generator=g).float()  # many ties
x[1, 5] = float("nan")
x[1, 20] = float("nan")
x[2, :] = 2.0
x[3, 0] = float("-inf")
x[4, :] = float("-inf")
x[5, 30] = float("inf")
i = torch.zeros(7, dtype=torch.int64)
module.launch(x=x, i=i)
print(i.tolist())
print(torch.argmax(x, dim=1).tolist())
"""


def test_select_form_argmax_under_the_triton_interpreter(tmp_path):
    out = tmp_path / "am.py"
    subprocess.run([kevc(), "compile", os.path.join(ROOT, "ir", "roundtrip", "tuple_argmax.kir"), "--target", "triton",
                    "--emit", "triton", "-o", str(out)], check=True)
    source = out.read_text()
    assert "take = " in source and "return tl.where(take, b_v, a_v), tl.where(take, b_i, a_i)" in source
    env = dict(os.environ, TRITON_INTERPRET="1")
    run = subprocess.run([sys.executable, "-c", CHILD, str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    got, want = run.stdout.strip().splitlines()[-2:]
    assert got == want
