"""Rule O2 (`fuse_siblings`, docs/transforms.md): cosine_similarity_loss's three row sums over rows of 16384 become
one tuple reduction at the bench shape; its Triton kernel streams each row once in tiles, loading both inputs once
per tile and updating the three accumulators in the same loop. That trace, applied at small odd shapes (a ragged
last tile; rows shorter than one tile), runs under Triton's interpreter and matches the float64 reference
(`kevc run --target triton`: several input distributions)."""

import json
import os
import re
import subprocess

import pytest

pytest.importorskip("triton")
pytest.importorskip("torch")

from test_artifacts import ROOT, kevc, passes_under_interpreter  # noqa: E402  (the built kevc, or a skip)

SPEC = os.path.join(ROOT, "specs", "kernelbench", "cosine_similarity_loss.kev")
BENCH = "B=16384,D=16384"


def test_bench_default_streams_the_rows_once(tmp_path):
    trace = tmp_path / "default.json"
    subprocess.run([kevc(), "opt", SPEC, "--default-schedule", "triton", "--shape", BENCH, "--emit-trace-json",
                    "-o", str(trace)], check=True)
    steps = json.loads(trace.read_text())["steps"]
    assert steps[0] == {"fuseSiblings": {"tensor": "_r0"}}
    module = subprocess.run([kevc(), "compile", SPEC, "--target", "triton", "--shape", BENCH, "--emit", "triton"],
                            check=True, capture_output=True, text=True).stdout
    rows = module[module.index("def kevc_cosine_similarity_loss__r0_rows("):]
    rows = rows[:rows.index("\n\n")]
    # One loop over the row's tiles; each input loaded once in it; three accumulators carried.
    assert len(re.findall(r"for \w+ in tl\.range", rows)) == 1, rows
    assert rows.count("tl.load(predictions_ptr") == 1 and rows.count("tl.load(targets_ptr") == 1, rows
    assert all("acc_%s = tl.full" % c in rows for c in ("dot", "pp", "tt")), rows
    assert "kevc_cosine_similarity_loss_dot" not in module


@pytest.mark.parametrize("small", ["B=5,D=37", "B=3,D=2053"])
def test_bench_default_matches_the_reference_under_the_interpreter(tmp_path, small):
    trace = tmp_path / "default.json"
    subprocess.run([kevc(), "opt", SPEC, "--default-schedule", "triton", "--shape", BENCH, "--emit-trace-json",
                    "-o", str(trace)], check=True)
    passes_under_interpreter(SPEC, trace, small)


def test_triplet_distances_over_long_rows_match_the_reference(tmp_path):
    """The same rule on another structure: triplet_margin_loss's two row distances (sums over anchor - positive
    and anchor - negative, read through sqrt in the loss's max(dp - dn + 1, 0)) at rows of 16384 (its bench rows are
    8192, left to rule 2b) become one tuple reduction reading the three inputs once; under the interpreter."""
    spec = os.path.join(ROOT, "specs", "kernelbench", "triplet_margin_loss.kev")
    trace = tmp_path / "long.json"
    subprocess.run([kevc(), "opt", spec, "--default-schedule", "triton", "--shape", "B=32768,D=16384",
                    "--emit-trace-json", "-o", str(trace)], check=True)
    steps = json.loads(trace.read_text())["steps"]
    assert {"fuseSiblings": {"tensor": "_r2"}} in steps
    passes_under_interpreter(spec, trace, "B=3,D=2053")
