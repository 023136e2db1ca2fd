"""Rule V (`welford`, docs/transforms.md): an instance norm's and a group norm's variance over planes longer than a
program keeps whole becomes a Welford tuple reduction at the bench shape, and rule 4b streams it with the mean's sum
in one loop: the statistics' Triton kernel loads each tile of x once for both (the output reads x a second time,
where the two-pass default read it three times). That trace, applied at small odd shapes (ragged tiles), runs under
Triton's interpreter and matches the float64 reference of the unrewritten spec (`kevc run --target triton`: normal,
uniform, heavy-tailed, near-overflow and zero-rich inputs)."""

import json
import os
import re
import subprocess

import pytest

pytest.importorskip("triton")
pytest.importorskip("torch")

from test_artifacts import ROOT, bench_shape, kevc, passes_under_interpreter  # noqa: E402  (the built kevc, or a skip)

CASES = [
    ("instance_norm2d", "N=2,C=3,H=37,W=29"),
    ("group_norm", "N=2,G=2,CG=3,H=19,W=23"),
]


def default_trace(spec, tmp_path):
    trace = tmp_path / "default.json"
    subprocess.run([kevc(), "opt", spec, "--default-schedule", "triton", "--shape", bench_shape(spec), "--gpu",
                    "cuda:90", "--emit-trace-json", "-o", str(trace)], check=True)
    return trace


@pytest.mark.parametrize("name,small", CASES)
def test_bench_default_streams_the_statistics_once(tmp_path, name, small):
    spec = os.path.join(ROOT, "specs", "kernelbench", name + ".kev")
    steps = json.loads(default_trace(spec, tmp_path).read_text())["steps"]
    assert {"welford": {"tensor": "_r1"}} in steps
    assert {"computeWith": {"tensor": "_r1", "sibling": "_r0", "loop": "h"}} in steps
    module = subprocess.run([kevc(), "compile", spec, "--target", "triton", "--shape", bench_shape(spec), "--gpu",
                             "cuda:90", "--emit", "triton"], check=True, capture_output=True, text=True).stdout
    stats = module[module.index("def kevc_%s__r0(" % name):]
    stats = stats[:stats.index("\n\n")]
    # One loop over the rows of the plane; both statistics' loads of x in it (equal loads, merged by Triton's CSE);
    # the Welford state carried beside the sum.
    assert len(re.findall(r"for \w+ in tl\.range", stats)) == 1, stats
    assert stats.count("tl.load(x_ptr") == 2, stats
    assert all("acc_%s = tl.full" % c in stats for c in ("mu", "n", "m2")), stats
    assert "def kevc_%s__r1(" % name not in module


@pytest.mark.parametrize("name,small", CASES)
def test_bench_default_matches_the_reference_under_the_interpreter(tmp_path, name, small):
    spec = os.path.join(ROOT, "specs", "kernelbench", name + ".kev")
    passes_under_interpreter(spec, default_trace(spec, tmp_path), small)
