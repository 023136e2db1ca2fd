"""Rule 0b: a convolution of 2-byte operands keeps one dot per tap and reads its operands from copies stored
channels-last, each written by a kernel of its own that transposes 64 x 64 tiles. The default trace at the bench
shape, applied at small odd shapes (ragged channel, position and filter tiles, taps read outside the input),
runs under Triton's interpreter and matches the float64 reference (`kevc run --target triton`: several input
distributions): the copies' permuted stores, the convolution's loads of them and their bounds masks."""

import json
import os
import subprocess

import pytest

pytest.importorskip("triton")
pytest.importorskip("torch")

from test_artifacts import ROOT, bench_shape, kevc  # noqa: E402  (the built kevc, or a skip)

CASES = [
    ("specs/conv1d.kev", "N=2,C=40,L=70,F=24,K=3"),
    ("specs/conv1d.kev", "N=3,C=13,L=61,F=20,K=3"),
    ("bench/gpu/specs/conv1d_f16.kev", "N=2,C=67,L=33,F=9,K=3"),
    ("specs/conv2d.kev", "N=2,C=5,H=13,W=11,F=7,KH=3,KW=3"),
]


@pytest.mark.parametrize("spec,small", CASES)
def test_channels_last_copies_match_the_reference_under_the_interpreter(tmp_path, spec, small):
    spec = os.path.join(ROOT, spec)
    trace = tmp_path / "channels-last.json"
    subprocess.run([kevc(), "opt", spec, "--default-schedule", "triton", "--shape",
                    bench_shape(spec), "--emit-trace-json", "-o", str(trace)], check=True)
    steps = json.loads(trace.read_text())["steps"]
    rank = 4 if "conv2d" in spec else 3
    channels_last = [0] + list(range(2, rank)) + [1]
    assert [s["layout"]["permutation"] for s in steps if "layout" in s] == [channels_last, channels_last]
    env = dict(os.environ, TRITON_INTERPRET="1", KEVC_GPU_DEVICE="cpu")
    run = subprocess.run([kevc(), "run", spec, "--target", "triton", "--iterations", "0", "--shape", small,
                          "--schedule", str(trace), "--gpu-timeout", "800"], env=env, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0 and run.stdout.strip().splitlines()[-1] == "PASS", (run.stdout + run.stderr)[-3000:]
