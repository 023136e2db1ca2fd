"""bench/kernelbench/run.py's one-call flow for the corpus's default schedules (`gpu --defaults-only`), as a dry run
on the CPU (Triton's interpreter, the halved odd shapes standing in for the bench shapes): one shared warm-worker
server, each default evaluated by `kevc run --target triton --with-default-shape` (the stand-in bench shape timed
with one trial and a revalidation, the spec's own shape checked under every distribution), the PyTorch baselines
beside them, and where each default's time went."""

import json
import os
import subprocess
import sys

import pytest

from test_reference_vs_interpreter import KEVC, ROOT  # noqa: E402 (the built kevc)

from test_broken_kernels import needs_torch


@needs_torch
@pytest.mark.skipif(KEVC is None, reason="no kevc binary (set $KEVC or build one)")
def test_the_corpus_defaults_run_in_one_call_through_one_server(tmp_path):
    out = tmp_path / "kb"
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "kernelbench", "run.py"), "gpu", str(out),
                        "--dry-run", "--defaults-only", "--kevc", KEVC, "--ops", "hinge_loss,avg_pool1d",
                        "--parallel", "2", "--calls", "3", "--baseline-procs", "1", "--deadline", "200"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert "harness server: 2 warm worker(s)" in p.stdout
    res = json.load(open(out / "results.json"))
    assert res["mode"] == "dry-run defaults"
    rows = {r["op"]: r for r in res["rows"]}
    assert set(rows) == {"hinge_loss", "avg_pool1d"}
    for op, row in rows.items():
        assert row["default_status"] == "ok", row
        assert row["default_ms"] > 0 and row["eager_ms"] > 0 and row["compile_ms"] > 0, row
        summary = json.load(open(out / "defaults" / (op + ".json")))
        bench, small = summary["cases"]  # the stand-in bench shape (timed), then the spec's own shape
        assert sorted(bench["label"].split(",")) == sorted(row["shape"].split(",")) != sorted(small["label"].split(","))
        assert len(bench["trials"]) == 1 and bench["revalidation"] == "passed" and bench["timing"]["calls"] >= 3
        assert len({t["distribution"] for t in small["trials"]}) == 6 and small["timing"] is None
        # Both cases ran in one warm worker of the shared server.
        assert bench["worker"]["warm"]["pid"] == small["worker"]["warm"]["pid"]
        assert {"kevc (compile, client)", "bench timing"} <= set(row["time_parts"]), row["time_parts"]
    text = open(out / "results.md").read()
    assert "Where each default's time went" in text and "| hinge_loss |" in text
