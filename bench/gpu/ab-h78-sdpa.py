"""Causal attention's Triton modules of the h78 A/B beside PyTorch SDPA (is_causal) on one timer, on the GPU machine:
    PYTHONPATH=python python3 bench/gpu/ab-h78-sdpa.py PREP/attention OUT_DIR [ROUNDS]
PREP/attention/<variant>/*.triton.py are bench/gpu/ab-h78-prepare.sh's modules (specs/attention.kev at its bench shape
4x32x2048x128 bf16). Each module's output is compared with SDPA's (bf16; max |o - sdpa| / (0.02 + 0.02 |sdpa|) must be
<= 1, a sanity check: module-ab.sh runs the harness's protocol), then every module and SDPA are timed with
bench/gpu/baselines.py's `timed` (CUDA events, L2 flushed before each call, 50 calls after 5 warm-up calls), in
ROUNDS rounds (default 3; $AB_CALLS calls each, default 50) whose order alternates, so that drift hits all alike. Writes OUT_DIR/sdpa.json and
OUT_DIR/sdpa.md: per variant the median of its round medians and its ratio to SDPA's.
"""
import glob, importlib.util, json, os, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
import torch.nn.functional as F
from baselines import timed

prep, out = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
os.makedirs(out, exist_ok=True)
CALLS = int(os.environ.get("AB_CALLS", "50"))  # timed calls per case and round (a dry run: 2)
# The shape the modules were compiled for; on a machine without CUDA (a dry run: TRITON_INTERPRET=1, modules
# prepared at a small shape) the host clock.
DEV = "cuda" if torch.cuda.is_available() else "cpu"
MACHINE = torch.cuda.get_device_name(0) if DEV == "cuda" else "cpu (dry run)"
if DEV == "cpu":
    from kevc_gpu import interpreter_fixes  # Triton 3.6's interpreter: bf16 tl.dot, loop bounds from a program id
    interpreter_fixes.apply()


def load(path, name):
    spec = importlib.util.spec_from_file_location("ab_h78_" + name.replace("-", "_"), path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


modules = {os.path.basename(os.path.dirname(d)): load(glob.glob(os.path.join(d, "*.triton.py"))[0], os.path.basename(os.path.dirname(d)))
           for d in sorted(glob.glob(os.path.join(prep, "*", "")))}
dims = next(iter(modules.values())).KEVC["dims"]
B, H, S, D = dims["B"], dims["H"], dims["S"], dims["D"]
torch.manual_seed(0)
q, k, v = (torch.randn(B, H, S, D, device=DEV, dtype=torch.bfloat16) for _ in range(3))
ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
calls = {"torch sdpa (causal)": lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True)}
checks = {}
for name, mod in modules.items():
    o = torch.empty_like(q)
    mod.launch(q=q, k=k, v=v, o=o)
    if DEV == "cuda":
        torch.cuda.synchronize()
    err = ((o.float() - ref.float()).abs() / (0.02 + 0.02 * ref.float().abs())).max().item()
    checks[name] = err
    calls["kevc " + name] = (lambda m, o: (lambda: m.launch(q=q, k=k, v=v, o=o)))(mod, o)
samples = {n: [] for n in calls}
for r in range(rounds):
    for n in (list(calls) if r % 2 == 0 else list(reversed(list(calls)))):
        samples[n].append(timed(lambda: calls[n](), (), calls=CALLS, device=DEV)["median_ms"])
sdpa = statistics.median(samples["torch sdpa (causal)"])
rows = [{"case": n, "median_ms": statistics.median(s), "rounds_ms": s, "vs_sdpa": statistics.median(s) / sdpa,
         "check": checks.get(n[5:]) if n.startswith("kevc ") else None} for n, s in samples.items()]
json.dump({"machine": MACHINE, "shape": [B, H, S, D], "rows": rows}, open(os.path.join(out, "sdpa.json"), "w"), indent=1)
lines = ["%s, causal attention %dx%dx%dx%d bf16, medians of %d rounds" % (MACHINE, B, H, S, D, rounds), "",
         "| case | ms | x SDPA | check (<= 1) | rounds ms |", "|---|---|---|---|---|"]
lines += ["| %s | %.4f | %.3f | %s | %s |" % (r["case"], r["median_ms"], r["vs_sdpa"], "-" if r["check"] is None else "%.3f" % r["check"],
          " ".join("%.4f" % x for x in r["rounds_ms"])) for r in rows]
open(os.path.join(out, "sdpa.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
