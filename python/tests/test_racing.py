"""The racing order (worker.Worker.race; docs/gpu-harness.md, "Racing"): with `race` and an incumbent, a candidate is
timed first, after one sanity launch whose outputs are scanned; one clearly slower than the incumbent (median more
than slower_factor x it) is recorded `slower_unchecked`, timed and never checked, and the candidate's other cases
are not run; one at or near the incumbent gets every check (trials, revalidation) after its timing, so a wrong one
is `wrong`; a kernel that leaves its outputs unwritten or writes NaN fails the sanity scan and is checked in full.
CPU tests with torch-only candidate modules (the same worker code the GPU runs). The sleeps make "slow" certain on a
loaded machine; the incumbents are far from every candidate's time.
"""

from kevc_gpu import harness

from test_broken_kernels import CPU_CASES, SOFTMAX_REF, cpu_module, needs_torch

OPTS = dict(trials=2, timing_calls=5, device="cpu", eager_calls=0, timeout=60, seed=3)
SLOW_OK = "import time; time.sleep(0.05); y.copy_(torch.softmax(x, dim=1))"
SLOW_WRONG = "import time; time.sleep(0.05); y.copy_(torch.softmax(x, dim=0))"


def _trial_phases(result):
    return [k for k in (result.get("phase_seconds") or {}) if k.startswith("trial")]


@needs_torch
def test_a_clearly_slower_candidate_is_timed_not_checked(tmp_path):
    slow = cpu_module(tmp_path, "slow", SLOW_OK)
    r = harness.evaluate(slow, SOFTMAX_REF, incumbent_s=1e-4, race=True, **OPTS)
    assert r["status"] == "slower_unchecked", r["reason"]
    assert r["reason"].startswith("timed, not checked: median"), r["reason"]
    assert r["trials"] == [] and not _trial_phases(r), r
    assert r["timing"]["median_s"] > 2e-4 and r["race"]["sanity"] == "passed", r["race"]
    assert "revalidation" not in r
    # The sanity scan is its own part of the shared hold; no trial's parts ran.
    assert "shared: sanity" in r["lock_held"] and "shared: snapshot" not in r["lock_held"], r["lock_held"]


@needs_torch
def test_a_wrong_but_slow_candidate_is_never_ok(tmp_path):
    wrong = cpu_module(tmp_path, "slow_wrong", SLOW_WRONG)
    r = harness.evaluate(wrong, SOFTMAX_REF, incumbent_s=1e-4, race=True, **OPTS)
    assert r["status"] == "slower_unchecked", r["reason"]
    # Checked (the incumbent far slower), the same kernel is wrong.
    checked = harness.evaluate(wrong, SOFTMAX_REF, incumbent_s=10.0, race=True, **OPTS)
    assert checked["status"] == "wrong", checked["reason"]


@needs_torch
def test_a_candidate_near_the_incumbent_gets_every_check_after_its_timing(tmp_path):
    good = cpu_module(tmp_path, "good", CPU_CASES["ok"])
    r = harness.evaluate(good, SOFTMAX_REF, incumbent_s=10.0, race=True, **OPTS)
    assert r["status"] == "ok", r["reason"]
    assert r["race"] == {"sanity": "passed", "timed": True, "slower": None}, r["race"]
    assert len(r["trials"]) == 2 and r["revalidation"] == "passed", r
    # A wrong and fast one is caught by the full check.
    wrong = cpu_module(tmp_path, "wrong", CPU_CASES["wrong"])
    w = harness.evaluate(wrong, SOFTMAX_REF, incumbent_s=10.0, race=True, **OPTS)
    assert w["status"] == "wrong" and w["race"]["timed"], w


@needs_torch
def test_unwritten_or_nan_outputs_fail_the_sanity_scan_and_get_the_full_protocol(tmp_path):
    for name, body, status in (("nothing", "pass", "nan"),
                               ("nans", "y.copy_(torch.softmax(x, dim=1)); y[5, 7] = float('nan')", "nan")):
        k = cpu_module(tmp_path, name, body)
        r = harness.evaluate(k, SOFTMAX_REF, incumbent_s=1e-9, race=True, **OPTS)
        assert r["status"] == status, (name, r["reason"])
        assert r["race"]["timed"] is False and "non-finite" in r["race"]["sanity"], r["race"]
        assert _trial_phases(r), r


@needs_torch
def test_without_race_every_candidate_is_checked(tmp_path):
    slow = cpu_module(tmp_path, "slow", SLOW_WRONG)
    r = harness.evaluate(slow, SOFTMAX_REF, incumbent_s=1e-4, **OPTS)
    assert r["status"] == "wrong" and "race" not in r, r["reason"]


@needs_torch
def test_a_slower_timed_case_skips_the_other_cases(tmp_path):
    slow = cpu_module(tmp_path, "slow", SLOW_OK)
    s = harness.evaluate_cases([(slow, SOFTMAX_REF, "big"), (slow, SOFTMAX_REF, "odd")], one_worker=True,
                               incumbent_s=1e-4, race=True, **OPTS)
    assert s["status"] == "slower_unchecked", s
    assert [c["status"] for c in s["cases"]] == ["slower_unchecked", "slower_unchecked"]
    assert s["cases"][1]["reason"].startswith("not run") and s["cases"][1]["trials"] == []
    assert s["timing"]["median_s"] > 2e-4
