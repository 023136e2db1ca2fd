"""Rule P2 of the GPU default (`store_phases`, docs/transforms.md): the phases of a strided transposed convolution
store their values in place into the output at stride s, offset p, the elementwise epilogue computed in each phase's
program, and the interleaving emits no kernel. The default trace at the bench shape (a `dot` per phase computed in
its epilogue's programs), applied at small shapes whose outputs are not multiples of the stride (ragged last
phases), runs under Triton's interpreter and matches the float64 reference (`kevc run --target triton`: poisoned
outputs, so an element no phase writes fails): 1-d with a dead phase (every tap of the even phase discarded, a
constant phase stored in place), 2-d under a bias and a ReLU (the spec below: Triton's interpreter has no
libdevice, so not tanh)."""

import json
import os
import subprocess

import pytest

pytest.importorskip("triton")
pytest.importorskip("torch")

from test_artifacts import ROOT, bench_shape, kevc, passes_under_interpreter  # noqa: E402  (the built kevc, or a skip)

RELU_2D = """# a transposed 2-d convolution of stride 2 under a bias and a ReLU
kernel ct2(x: f32[N, C, H, W], w: f32[C, F, K, K], b: f32[F]) -> (y: f32[N, F, 2 * H + K - 3, 2 * W + K - 3]) {
  dims N = 2, C = 3, H = 5, W = 6, F = 4, K = 3
  bench N = 8, C = 64, H = 64, W = 64, F = 64, K = 3
  y[n, f, s, t] = max((sum(c, p, q) where((s + 1 - p) % 2 == 0 and (t + 1 - q) % 2 == 0,
                                           x[n, c, (s + 1 - p) / 2, (t + 1 - q) / 2], 0) * w[c, f, p, q]) - b[f], 0)
}
"""


def default_trace(tmp_path, spec):
    trace = tmp_path / "default.json"
    subprocess.run([kevc(), "opt", spec, "--default-schedule", "triton", "--shape", bench_shape(spec),
                    "--emit-trace-json", "-o", str(trace)], check=True)
    return trace


def stored_in_place(spec, trace):
    """The `into %y` storage decisions of the scheduled kernel (`--emit scheduled`)."""
    out = subprocess.run([kevc(), "opt", spec, "--apply", str(trace), "--shape", bench_shape(spec)], check=True,
                         capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "into %y stride" in line]


@pytest.mark.parametrize("small", ["N=2,C=5,L=29,F=6,K=3", "N=1,C=3,L=8,F=2,K=4"])
def test_strided_conv1d_phases_stored_in_place_under_the_interpreter(tmp_path, small):
    spec = os.path.join(ROOT, "specs", "kernelbench", "conv_transposed1d_strided.kev")
    trace = default_trace(tmp_path, spec)
    steps = json.loads(trace.read_text())["steps"]
    assert {"storePhases": {"tensor": "y"}} in steps
    assert len(stored_in_place(spec, trace)) == 2
    passes_under_interpreter(spec, trace, small)


@pytest.mark.parametrize("small", ["N=2,C=5,H=7,W=9,F=6,K=3", "N=1,C=3,H=4,W=5,F=3,K=4"])
def test_conv_transpose2d_epilogue_phases_stored_in_place_under_the_interpreter(tmp_path, small):
    spec = tmp_path / "ct2.kev"
    spec.write_text(RELU_2D)
    trace = default_trace(tmp_path, str(spec))
    steps = json.loads(trace.read_text())["steps"]
    assert {"phaseSplit": {"tensor": "y", "axes": ["s", "t"]}} in steps and {"storePhases": {"tensor": "y"}} in steps
    assert len(stored_in_place(str(spec), trace)) == 4
    passes_under_interpreter(str(spec), trace, small)
