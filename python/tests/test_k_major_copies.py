"""Rule 0c (sketch `k-major`, and `k-major-every` without its cost check): a matrix-unit contraction of f32 operands
reads each operand stored MN-major from a K-major copy written by rule 0b's transposing kernel. The sketch's trace at
the bench shape, applied at small odd shapes (ragged copy tiles, ragged output and reduction tiles, a batch on
grid.z, a masked result computed inside its epilogue), runs under Triton's interpreter and matches the float64
reference (`kevc run --target triton`: several input distributions): the copies' permuted stores, the contraction's
loads of them and their bounds masks."""

import json
import os
import subprocess

import pytest

pytest.importorskip("triton")
pytest.importorskip("torch")

from test_artifacts import ROOT, bench_shape, kevc, passes_under_interpreter  # noqa: E402  (the built kevc, or a skip)

# spec, sketch, small shape, the copies' layouts (one per staged operand)
CASES = [
    ("matmul_transposed_a", "k-major", "K=70,M=40,N=33", [[1, 0], [1, 0]]),
    ("matmul_3d_tensor_matrix", "k-major", "N=2,M=19,K=70,L=66", [[1, 0]]),
    ("matmul_upper_triangular", "k-major", "N=67", [[1, 0]]),
    ("matmul_batched", "k-major-every", "Z=2,M=20,K=70,N=67", [[0, 2, 1]]),
]


@pytest.mark.parametrize("name,sketch,small,layouts", CASES)
def test_k_major_copies_match_the_reference_under_the_interpreter(tmp_path, name, sketch, small, layouts):
    spec = os.path.join(ROOT, "specs", "kernelbench", name + ".kev")
    trace = tmp_path / "k-major.json"
    subprocess.run([kevc(), "opt", spec, "--default-schedule", "triton", "--sketch", sketch, "--shape",
                    bench_shape(spec), "--emit-trace-json", "-o", str(trace)], check=True)
    steps = json.loads(trace.read_text())["steps"]
    assert [s["layout"]["permutation"] for s in steps if "layout" in s] == layouts
    passes_under_interpreter(spec, trace, small)


def test_k_major_operands_already_k_major_are_not_staged(tmp_path):
    """matmul_transposed_b reads A[m, k] and B[n, k]: the sketch's trace is the default's."""
    spec = os.path.join(ROOT, "specs", "kernelbench", "matmul_transposed_b.kev")
    out = {}
    for sketch in ("default", "k-major"):
        path = tmp_path / (sketch + ".json")
        subprocess.run([kevc(), "opt", spec, "--default-schedule", "triton", "--sketch", sketch, "--shape",
                        bench_shape(spec), "--emit-trace-json", "-o", str(path)], check=True)
        out[sketch] = json.loads(path.read_text())["steps"]
    assert out["k-major"] == out["default"]
