"""Rule O for weighted sums and rule O3 (docs/transforms.md): causal attention's default Triton schedule at the bench
shape is one online pass, FlashAttention-2's structure (bench/gpu/attention.fused.trace): one kernel, per key block
`tl.dot` for the scores and for the weighted sum. That trace, applied at small odd shapes (ragged row tiles and key
blocks, a head dim below the block), and the default at those shapes run under Triton's interpreter and match the
float64 reference (`kevc run --target triton`: every input distribution)."""

import json
import os
import subprocess

import pytest

pytest.importorskip("triton")
pytest.importorskip("torch")

from test_artifacts import ROOT, kevc  # noqa: E402  (the built kevc, or a skip)

SPEC = os.path.join(ROOT, "specs", "attention.kev")
BENCH = "B=4,H=32,S=2048,D=128"


def bench_trace(tmp_path):
    trace = tmp_path / "default.json"
    subprocess.run([kevc(), "opt", SPEC, "--default-schedule", "triton", "--shape", BENCH, "--emit-trace-json",
                    "-o", str(trace)], check=True)
    return trace


def test_bench_default_is_one_online_pass(tmp_path):
    steps = json.loads(bench_trace(tmp_path).read_text())["steps"]
    assert steps[0] == {"fuseReductions": {"tensor": "o"}}
    module = subprocess.run([kevc(), "compile", SPEC, "--target", "triton", "--shape", BENCH, "--emit", "triton"],
                            check=True, capture_output=True, text=True).stdout
    kernels = [l for l in module.splitlines() if l.startswith("def kevc_attention_")]
    assert len(kernels) == 1, kernels
    assert module.count("tl.dot(") >= 2, module
    hand = subprocess.run([kevc(), "compile", SPEC, "--target", "triton", "--shape", BENCH, "--emit", "triton",
                           "--schedule", os.path.join(ROOT, "bench", "gpu", "attention.fused.trace")],
                          check=True, capture_output=True, text=True).stdout
    # The same module as the hand trace's, but for the header naming the schedule.
    assert module.splitlines()[1:] == hand.splitlines()[1:]


@pytest.mark.parametrize("small", ["B=1,H=2,S=133,D=64", "B=2,H=1,S=70,D=40"])
@pytest.mark.parametrize("which", ["bench", "own"])
def test_default_matches_the_reference_under_the_interpreter(tmp_path, small, which):
    schedule = ["--schedule", str(bench_trace(tmp_path))] if which == "bench" else []
    env = dict(os.environ, TRITON_INTERPRET="1", KEVC_GPU_DEVICE="cpu")
    run = subprocess.run([kevc(), "run", SPEC, "--target", "triton", "--iterations", "0", "--shape", small,
                          "--gpu-timeout", "800"] + schedule, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0 and run.stdout.strip().splitlines()[-1] == "PASS", (run.stdout + run.stderr)[-3000:]


POOL = """kernel pool(x: f32[N, T], f: f32[T, C]) -> (y: f32[N, C]) {
  dims N = 37, T = 45, C = 24
  mx[n] = max(t) x[n, t]
  w[n, t] = exp(x[n, t] - mx[n])
  z[n] = sum(t) w[n, t]
  y[n, c] = (sum(t) w[n, t] * f[t, c]) / z[n]
}
"""


def test_weighted_pooling_is_one_pass_and_matches_the_reference(tmp_path):
    """The same rule on a softmax-weighted pooling of f32 features (no mask, no score contraction): one pass at
    N=4096, T=1024, C=64, and that trace at an odd shape under the interpreter."""
    spec = tmp_path / "pool.kev"
    spec.write_text(POOL)
    trace = tmp_path / "pool.json"
    subprocess.run([kevc(), "opt", str(spec), "--default-schedule", "triton", "--shape", "N=4096,T=1024,C=64",
                    "--emit-trace-json", "-o", str(trace)], check=True)
    assert json.loads(trace.read_text())["steps"][0] == {"fuseReductions": {"tensor": "y"}}
    env = dict(os.environ, TRITON_INTERPRET="1", KEVC_GPU_DEVICE="cpu")
    run = subprocess.run([kevc(), "run", str(spec), "--target", "triton", "--iterations", "0", "--shape",
                          "N=70,T=130,C=40", "--schedule", str(trace), "--gpu-timeout", "800"], env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0 and run.stdout.strip().splitlines()[-1] == "PASS", (run.stdout + run.stderr)[-3000:]
