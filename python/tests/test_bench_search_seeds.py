"""bench/search/gpu.sh's KEVC_SEARCH_NO_SEEDS: without it each op's search is seeded with its hand traces
(bench/gpu/<op>.trace and <op>.<variant>.trace, one --seed-trace each); with KEVC_SEARCH_NO_SEEDS=1 with none. Run
with a stand-in `kevc` (it records its arguments) and `python3` (the GPU probe and baselines) first on PATH, so the
script's own logic runs on any machine."""
import os
import stat
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def stand_ins(folder):
    log = os.path.join(folder, "kevc.log")
    for name, body in (("kevc", 'echo "$*" >> "%s"\n' % log), ("python3", "exit 0\n")):
        path = os.path.join(folder, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return log


def search_arguments(tmp_path, no_seeds):
    bin_dir = tmp_path / ("bin-no-seeds" if no_seeds else "bin")
    bin_dir.mkdir()
    log = stand_ins(str(bin_dir))
    env = dict(os.environ, PATH="%s:%s" % (bin_dir, os.environ["PATH"]))
    env["KEVC"] = os.path.join(str(bin_dir), "kevc")  # not the static binary a GPU run may have left in bench/gpu
    env.pop("KEVC_SEARCH_NO_SEEDS", None)
    if no_seeds:
        env["KEVC_SEARCH_NO_SEEDS"] = "1"
    out = tmp_path / ("out-no-seeds" if no_seeds else "out")
    r = subprocess.run(["bash", os.path.join(ROOT, "bench", "search", "gpu.sh"), str(out), "1", "1", "softmax"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    searches = [line.split() for line in open(log) if line.startswith("search ")]
    assert len(searches) == 1, searches
    return searches[0]


def test_hand_traces_seed_the_search_unless_no_seeds_is_set(tmp_path):
    seeded = search_arguments(tmp_path, no_seeds=False)
    traces = sorted(seeded[i + 1] for i, a in enumerate(seeded) if a == "--seed-trace")
    assert traces == ["bench/gpu/softmax.rows2.trace", "bench/gpu/softmax.trace"]
    unseeded = search_arguments(tmp_path, no_seeds=True)
    assert "--seed-trace" not in unseeded
    # Everything else is the same search (into each run's own database).
    same = [a for a in seeded if a not in traces and a != "--seed-trace"]
    assert [a.replace("out-no-seeds", "out") for a in unseeded] == same
