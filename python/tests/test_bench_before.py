"""bench/gpu/bench.py --before-traces on the CPU: every trace of bench/gpu/default-before/ (main's default GPU
schedules before issue 15's scheduler) compiles for the Triton target at its op's bench shape, as bench.py compiles
it (`run_kevc`'s command), and results.md puts the default before and now side by side with the speedup. The GPU
timing itself needs the GPU machine."""
import os
import subprocess
import sys
import tempfile

import pytest

from test_reference_vs_interpreter import KEVC  # noqa: E402 (the built kevc)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "gpu"))
import bench  # noqa: E402

BEFORE = os.path.join(ROOT, "bench", "gpu", "default-before")
SPEC_OF = {os.path.splitext(os.path.basename(spec))[0]: spec for _, spec, _ in bench.OPS}
TRACES = sorted(f for f in os.listdir(BEFORE) if f.endswith(".trace")) if os.path.isdir(BEFORE) else []


def test_every_before_trace_belongs_to_a_benchmarked_op():
    assert TRACES, "bench/gpu/default-before/ holds the traces --before-traces times"
    for trace in TRACES:
        assert trace[:-len(".trace")] in SPEC_OF, trace


@pytest.mark.skipif(KEVC is None, reason="no kevc binary (set $KEVC or build one)")
@pytest.mark.parametrize("trace", TRACES)
def test_before_traces_compile_for_the_triton_target(trace):
    spec = SPEC_OF[trace[:-len(".trace")]]
    with tempfile.TemporaryDirectory() as work:
        cmd = [KEVC, "compile", spec, "--target", "triton", "--shape", bench.bench_shape(spec), "--emit",
               "triton,torch-ref", "--dump-dir", work, "--schedule", os.path.relpath(os.path.join(BEFORE, trace), ROOT)]
        c = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert c.returncode == 0, c.stderr
        files = os.listdir(work)
        assert any(f.endswith(".triton.py") for f in files) and any(f.endswith(".ref.py") for f in files)


def test_results_put_the_default_before_and_now_side_by_side(tmp_path):
    def timed(ms, status="ok"):
        return {"status": status, "timing": {"median_s": ms / 1e3}}

    rows = [
        {"op": "softmax", "baseline": {}, "kevc_default": timed(1.0), "kevc_default_before": timed(2.0)},
        {"op": "conv1d", "baseline": {}, "kevc_default": timed(3.0), "kevc_default_before": timed(1.5, "wrong")},
        {"op": "rmsnorm", "baseline": {}, "kevc_default": timed(1.0)},
    ]
    bench.report(str(tmp_path), rows, "cpu test", complete=True)
    text = (tmp_path / "results.md").read_text()
    assert "| op | default before ms (status) | default now ms (status) | now / before speedup |" in text
    assert "| softmax | 2.000 (ok) | 1.000 (ok) | 2.00x |" in text
    # No speedup where either side is not a correct, timed kernel.
    assert "| conv1d | 1.500 (wrong) | 3.000 (ok) | - |" in text
    assert "| rmsnorm | - (-) | 1.000 (ok) | - |" in text
