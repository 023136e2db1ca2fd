"""Rule 4b (docs/transforms.md): two root reductions streaming the same rows of the same input in the same tiles
share one loop (`compute_with` at the streamed loop). log_softmax at its bench shape (rows of 393216): the maximum
and rule O's online log-sum-exp each streamed x; now one kernel whose loop loads each tile for both accumulators,
and Triton merges the two equal loads (checked in the TTGIR compiled for sm_90, no GPU needed). That trace,
applied at small odd shapes (a ragged last tile; rows shorter than one tile), runs under Triton's interpreter and
matches the float64 reference (`kevc run --target triton`)."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("triton")
pytest.importorskip("torch")

from test_artifacts import ROOT, kevc, passes_under_interpreter  # noqa: E402  (the built kevc, or a skip)

SPEC = os.path.join(ROOT, "specs", "kernelbench", "log_softmax.kev")
BENCH = "B=4096,D=393216"


def bench_trace(tmp_path, sketch=None):
    trace = tmp_path / ("%s.json" % (sketch or "default"))
    subprocess.run([kevc(), "opt", SPEC, "--default-schedule", "triton", "--shape", BENCH, "--emit-trace-json",
                    "-o", str(trace)] + (["--sketch", sketch] if sketch else []), check=True)
    return trace


def test_bench_default_streams_the_rows_once(tmp_path):
    steps = json.loads(bench_trace(tmp_path).read_text())["steps"]
    assert steps[-1] == {"computeWith": {"tensor": "lse", "sibling": "mx", "loop": "d.o"}}
    apart = json.loads(bench_trace(tmp_path, "separate-row-passes").read_text())["steps"]
    assert not any("computeWith" in s for s in apart)
    module = tmp_path / "log_softmax.py"
    subprocess.run([kevc(), "compile", SPEC, "--target", "triton", "--shape", BENCH, "--emit", "triton",
                    "-o", str(module)], check=True)
    text = module.read_text()
    assert "def kevc_log_softmax_lse(" not in text
    stats = text[text.index("def kevc_log_softmax_mx("):]
    stats = stats[:stats.index("\n\n")]
    assert stats.count("for d_o_ in tl.range") == 1, stats
    # Compiled for sm_90: the two loads of x's tile are one.
    sys.path.insert(0, os.path.join(ROOT, "python"))
    from kevc_gpu.aot import compile_kernel, load_module

    mod = load_module(str(module))
    meta = next(k for k in mod.KEVC["kernels"] if k["name"] == "kevc_log_softmax_mx")
    ttgir = compile_kernel(getattr(mod, meta["name"]), meta, "cuda:90").asm["ttgir"]
    assert ttgir.count("tt.load") == 1, ttgir


@pytest.mark.parametrize("small", ["B=5,D=37", "B=3,D=4099"])
def test_bench_default_matches_the_reference_under_the_interpreter(tmp_path, small):
    trace = bench_trace(tmp_path)
    passes_under_interpreter(SPEC, trace, small)


def test_broadcast_innermost_sketch_matches_the_reference_under_the_interpreter(tmp_path):
    """Sketch `broadcast-innermost` (not a default): layer_norm3d's output kernel at its bench shape binds the batch
    axis, along which weight and bias (2^22 elements each) are broadcast, to grid.x; that trace at small odd shapes
    under Triton's interpreter matches the reference."""
    spec = os.path.join(ROOT, "specs", "kernelbench", "layer_norm3d.kev")
    trace = tmp_path / "broadcast.json"
    subprocess.run([kevc(), "opt", spec, "--default-schedule", "triton", "--shape", "B=16,F=64,D1=256,D2=256",
                    "--sketch", "broadcast-innermost", "--emit-trace-json", "-o", str(trace)], check=True)
    steps = json.loads(trace.read_text())["steps"]
    assert {"bind": {"tensor": "y", "loop": "b", "dimension": "grid.x"}} in steps
    passes_under_interpreter(spec, trace, "B=3,F=5,D1=7,D2=9")
