"""The Triton module of a tuple reduction with a select-form combiner (argmax as a tuple, ir/roundtrip/tuple_argmax.kir:
one condition in the generated combine function, a `tl.where` per component) run by Triton's interpreter on the CPU
agrees with torch.argmax on ties (first index), NaN (the first NaN wins) and infinities."""

import importlib.util
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

from test_artifacts import ROOT, kevc  # noqa: E402  (the built kevc, or a skip)


def test_select_form_argmax_under_the_triton_interpreter(tmp_path, monkeypatch):
    out = tmp_path / "am.py"
    subprocess.run([kevc(), "compile", os.path.join(ROOT, "ir", "roundtrip", "tuple_argmax.kir"), "--target", "triton",
                    "--emit", "triton", "-o", str(out)], check=True)
    source = out.read_text()
    assert "take = " in source and "return tl.where(take, b_v, a_v), tl.where(take, b_i, a_i)" in source
    monkeypatch.setenv("TRITON_INTERPRET", "1")  # read when the module's @triton.jit functions are decorated
    spec = importlib.util.spec_from_file_location("kevc_tuple_argmax_interp", out)
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
    assert i.tolist() == torch.argmax(x, dim=1).tolist()
