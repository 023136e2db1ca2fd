"""Rule 4's tiles of a dot of split operands (bf16x3 since 2026-12-07, tf32x3 before) on f32 convolutions of the corpus (below 128x128 output tiles: reduction steps of
16, `DefaultSchedule.splitDotStep`, and 8 warps; 128x128 tiles keep steps of 32): the default trace at the bench
shape takes them, and that trace, applied
at a small odd shape (every tile ragged, taps read outside the input for the transposed ones), runs under Triton's
interpreter and matches the float64 reference (`kevc run --target triton`: several input distributions). The
interpreter's dot is a float32 matmul (it ignores `input_precision`), so this checks the tiling, indices and masks;
tf32x3's accuracy is python/tests/test_tf32x3_numerics.py's."""

import json
import os
import subprocess

import pytest

pytest.importorskip("triton")
pytest.importorskip("torch")

from test_artifacts import ROOT, bench_shape, kevc, passes_under_interpreter  # noqa: E402  (the built kevc, or a skip)

# (problem, small shape, the dot's reduction step at the bench shape): 128 filters keep 128x128 tiles and steps of
# 32; the transposed convolutions' 64 filters make 128x64 tiles, steps of 16.
CASES = [
    ("conv2d_relu_bias_add", "N=1,C=3,H=7,W=21,F=19,K=3", 32),
    ("conv_transposed2d", "N=1,C=3,H=5,W=17,F=19,K=3", 16),
    ("conv1d_standard", "N=2,C=7,L=37,F=19,K=3", 32),
]


@pytest.mark.parametrize("name,small,step", CASES)
def test_split_dot_tiles_match_the_reference_under_the_interpreter(tmp_path, name, small, step):
    spec = os.path.join(ROOT, "specs", "kernelbench", name + ".kev")
    trace = tmp_path / "default.json"
    subprocess.run([kevc(), "opt", spec, "--default-schedule", "triton", "--shape", bench_shape(spec),
                    "--emit-trace-json", "-o", str(trace)], check=True)
    steps = json.loads(trace.read_text())["steps"]
    dot = next(s["precision"]["tensor"] for s in steps if "precision" in s and s["precision"]["precision"] in ("tf32x3", "bf16x3"))
    assert any("split" in s and s["split"]["tensor"] == dot and s["split"]["factor"] == step for s in steps)
    # The dot's launch, or its epilogue's when the dot is computed inside its reader's programs (rule 3b).
    assert [s["launch"]["warps"] for s in steps if "launch" in s] == [8]
    passes_under_interpreter(spec, trace, small)


# A split dot whose operands are read at bare variables (a matrix product) keeps the matrix units' steps of 32 and
# 4 warps below 128x128 (`DefaultSchedule.readsPlainOperands`): kernelbench.matmul_sigmoid_sum's default at its bench
# shape (64x128 tiles, tf32x3), applied at a small odd shape under the interpreter.
def test_plain_split_dot_keeps_steps_of_32_and_matches_the_reference(tmp_path):
    spec = os.path.join(ROOT, "specs", "kernelbench", "matmul_sigmoid_sum.kev")
    trace = tmp_path / "default.json"
    subprocess.run([kevc(), "opt", spec, "--default-schedule", "triton", "--shape", bench_shape(spec),
                    "--emit-trace-json", "-o", str(trace)], check=True)
    steps = json.loads(trace.read_text())["steps"]
    dot = next(s["precision"]["tensor"] for s in steps if "precision" in s)
    assert any("split" in s and s["split"]["tensor"] == dot and s["split"]["factor"] == 32 for s in steps)
    assert [s["launch"]["warps"] for s in steps if "launch" in s and s["launch"]["tensor"] == dot] == [4]
    passes_under_interpreter(spec, trace, "B=5,I=70,H=150")
