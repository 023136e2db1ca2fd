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
        # --baseline-contract same (the default): the baselines at kevc's contract (--matmul-precision highest).
        assert row["contract"] == row["baseline_contract"] == "highest", row
        assert row["baseline_flags"]["compile"]["cudnn.allow_tf32"] is False, row["baseline_flags"]
    text = open(out / "results.md").read()
    assert "Where each default's time went" in text and "| hinge_loss |" in text
    assert "torch.compile (same contract)" in text and "torch.compile under the same contract as kevc" in text


def dry_run(out, *options):
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "kernelbench", "run.py"), "gpu", str(out),
                        "--dry-run", "--kevc", KEVC, "--parallel", "2", "--calls", "3", "--baseline-procs", "1",
                        "--deadline", "200"] + list(options), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    return json.load(open(out / "results.json")), open(out / "results.md").read()


@needs_torch
@pytest.mark.skipif(KEVC is None, reason="no kevc binary (set $KEVC or build one)")
def test_pytorch_contract_detected_per_problem_and_both_baselines_timed(tmp_path):
    # --matmul-precision pytorch: each problem's contract detected from its PyTorch function (on the CPU the TF32
    # flags change nothing: `highest`); --baseline-contract both: the baselines at that contract and at PyTorch's
    # defaults, each torch.compile traced under its own flags.
    res, text = dry_run(tmp_path / "kb", "--defaults-only", "--ops", "hinge_loss,matmul_batched",
                        "--matmul-precision", "pytorch", "--baseline-contract", "both")
    contracts = json.load(open(tmp_path / "kb" / "contracts.json"))
    assert set(contracts) == {"hinge_loss", "matmul_batched"}
    base = json.load(open(tmp_path / "kb" / "baselines.json"))
    for row in res["rows"]:
        op = row["op"]
        assert contracts[op]["contract"] == row["contract"] == "highest"
        assert contracts[op]["why"].startswith("detected: ") and row["contract_why"] == contracts[op]["why"]
        assert row["baseline_contract"] == "highest" and row["compile_pytorch_ms"] > 0 and row["eager_pytorch_ms"] > 0
        entry = base[op]
        assert entry["contract"] == "highest" and entry["contract_pytorch"] == "pytorch"
        assert entry["compile"]["flags"]["cudnn.allow_tf32"] is False
        assert entry["compile_pytorch"]["flags"] == {"float32_matmul_precision": "highest",
                                                     "cuda.matmul.allow_tf32": False, "cudnn.allow_tf32": True}
    assert res["options"]["matmul_precision"] == "pytorch" and res["options"]["baseline_contract"] == "both"
    assert "| torch.compile (same contract) | torch.compile (PyTorch defaults) |" in text
    assert "the `torch.compile (PyTorch defaults)` column is not in them" in text
    assert "- `highest` (detected: its outputs under PyTorch's defaults" in text


@needs_torch
@pytest.mark.skipif(KEVC is None, reason="no kevc binary (set $KEVC or build one)")
def test_search_flow_at_a_contract_against_pytorch_defaults_and_report_merges_old_runs(tmp_path):
    # The search flow: kevc's searches under --matmul-precision high, the baselines at PyTorch's defaults.
    res, text = dry_run(tmp_path / "new", "--ops", "matvec", "--budget", "2", "--search-seconds", "15", "--jobs", "1",
                        "--matmul-precision", "high", "--baseline-contract", "pytorch")
    row = res["rows"][0]
    assert row["contract"] == "high" and row["contract_why"] == "--matmul-precision high"
    assert row["baseline_contract"] == "pytorch" and row["compile_ms"] > 0 and row["default_ms"] > 0
    assert row["baseline_flags"]["compile"]["cudnn.allow_tf32"] is True
    assert "matmul_precision(high)" in open(tmp_path / "new" / "search" / "matvec.json").read()
    assert "| matvec | M=7,K=151 | high / pytorch |" in text and "at PyTorch's defaults on 1 problems" in text
    # A run from before the contract options (none recorded) merges with it: its baselines count as PyTorch's
    # defaults, its kevc contract as highest.
    old = dict(res, rows=[{k: v for k, v in r.items() if "contract" not in k and "flags" not in k and "pytorch" not in k}
                          for r in res["rows"]],
               options={k: v for k, v in res["options"].items() if k not in ("matmul_precision", "baseline_contract")})
    os.makedirs(tmp_path / "old")
    json.dump(old, open(tmp_path / "old" / "results.json", "w"))
    for dirs in (["old", "new"], ["merged", "new"]):  # a report's own results.json ({"runs": [...]}) merges too
        p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "kernelbench", "run.py"), "report",
                            str(tmp_path / "merged")] + [str(tmp_path / d) for d in dirs],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr[-2000:]
    merged = open(tmp_path / "merged" / "results.md").read()
    assert "| matvec | M=7,K=151 | highest / pytorch |" in merged and "| matvec | M=7,K=151 | high / pytorch |" in merged
    assert "no contract recorded: PyTorch's defaults" in merged
    assert len(json.load(open(tmp_path / "merged" / "results.json"))["runs"]) == 3
