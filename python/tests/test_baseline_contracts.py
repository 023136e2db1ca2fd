"""The PyTorch baselines' accuracy contract (bench/gpu/baselines.py): the torch flags each contract sets, and the
detection of the contract PyTorch's defaults give a problem (`run.py gpu --matmul-precision pytorch`). On the CPU
the TF32 flags change no result, so the detection's logic is tested with fake problems whose outputs read the flags;
bench/kernelbench/f32_contractions.py's reading of the specs is tested on the corpus."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from test_reference_vs_interpreter import KEVC, ROOT  # noqa: E402 (the built kevc)

from test_broken_kernels import needs_torch, torch


def load(name, *path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, *path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def baselines():
    mod = load("gpu_baselines_under_test", "bench", "gpu", "baselines.py")
    before = mod.flags()
    yield mod
    mod._apply(before)  # whatever a test did, the process's flags as they were


@needs_torch
def test_each_contract_sets_its_flags_and_at_contract_restores_them(baselines):
    assert baselines.PYTORCH_DEFAULTS == {"float32_matmul_precision": "highest", "cuda.matmul.allow_tf32": False,
                                          "cudnn.allow_tf32": True}  # as PyTorch ships them
    for contract in baselines.CONTRACTS + ("highest", "medium", "pytorch", "high", "medium", "highest"):
        before = baselines.flags()
        with baselines.at_contract(contract) as set_flags:
            assert set_flags == baselines.flags() == baselines.CONTRACT_FLAGS[contract]
        assert baselines.flags() == before
    assert baselines.set_contract("highest") == {"float32_matmul_precision": "highest",
                                                 "cuda.matmul.allow_tf32": False, "cudnn.allow_tf32": False}
    assert baselines.set_contract("high")["cudnn.allow_tf32"] and baselines.flags()["cuda.matmul.allow_tf32"]
    with pytest.raises(ValueError):
        baselines.set_contract("tf32")


@needs_torch
def test_timed_runs_under_the_contract_and_records_its_flags(baselines):
    seen = []
    result = baselines.timed(lambda: seen.append(torch.backends.cudnn.allow_tf32), (), calls=3, warmup=1,
                             device="cpu", contract="highest")
    assert result["contract"] == "highest" and result["flags"]["cudnn.allow_tf32"] is False
    assert seen == [False] * 4 and baselines.flags()["cudnn.allow_tf32"] == baselines.PYTORCH_DEFAULTS["cudnn.allow_tf32"]
    assert "contract" not in baselines.timed(lambda: None, (), calls=1, warmup=0, device="cpu")


@needs_torch
def test_detection_finds_high_where_pytorch_defaults_change_the_outputs(baselines):
    # A stand-in for cuDNN: the result loses low bits where TF32 is allowed (PyTorch's default for convolutions).
    def tf32_conv(x):
        y = x * 3.0
        return (y.view(torch.int32) & ~0x1FFF).view(torch.float32) if torch.backends.cudnn.allow_tf32 else y

    x = torch.rand(64) + 1.0
    before = baselines.flags()
    contract, why = baselines.detect_contract(tf32_conv, {"x": x})
    assert contract == "high" and "TF32" in why, why
    assert baselines.flags() == before  # the flags are the process's again


@needs_torch
def test_detection_keeps_highest_where_the_outputs_agree_bitwise(baselines):
    # A stand-in for a cuBLAS matmul (full f32 under PyTorch's defaults) returning two results.
    def matmul(a, b):
        y = a @ b
        if torch.backends.cuda.matmul.allow_tf32:
            y = y.round(decimals=2)
        return y, y.sum(0)

    a, b = torch.rand(8, 5), torch.rand(5, 3)
    contract, why = baselines.detect_contract(matmul, {"a": a, "b": b})
    assert contract == "highest" and "bit for bit" in why, why
    # -0.0 and 0.0 are different bits: a difference the detection must see.
    contract, _ = baselines.detect_contract(
        lambda x: x * (-1.0 if torch.backends.cudnn.allow_tf32 else 1.0), {"x": torch.zeros(4)})
    assert contract == "high"


@needs_torch
def test_detection_of_a_nondeterministic_problem_says_it_cannot_tell(baselines):
    contract, why = baselines.detect_contract(lambda x: x + torch.rand_like(x), {"x": torch.zeros(16)})
    assert contract == "highest" and why.startswith("undetermined"), why
    # Deterministic once PyTorch's deterministic algorithms are on: decided, and said how.
    contract, why = baselines.detect_contract(
        lambda x: x + (0 if torch.are_deterministic_algorithms_enabled() else torch.rand_like(x)), {"x": torch.zeros(4)})
    assert contract == "highest" and "deterministic algorithms" in why, why
    assert not torch.are_deterministic_algorithms_enabled()


def test_baseline_timings_per_mode():
    run = load("kb_run_under_test", "bench", "kernelbench", "run.py")
    assert run.baseline_timings("high", "same") == [("", "high")]
    assert run.baseline_timings("high", "pytorch") == [("", "pytorch")]
    assert run.baseline_timings("highest", "both") == [("", "highest"), ("_pytorch", "pytorch")]


@pytest.mark.skipif(KEVC is None, reason="no kevc binary (set $KEVC or build one)")
def test_the_corpus_f32_contractions_are_read_from_the_specs():
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "kernelbench", "f32_contractions.py"), "--kevc",
                        KEVC, "--verbose"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    names = p.stdout.strip().split(",")
    # Convolutions (strided transposed ones too: their taps are zero-selected loads), GEMMs, a matrix-vector product.
    for op in ("conv2d_square", "conv_pointwise2d", "conv_transposed1d_strided", "conv_transpose2d_subtract_tanh",
               "gemm_sigmoid_logsumexp", "matmul_transposed_a", "matvec"):
        assert op in names, op
    # Not contractions of two operands with axes of their own: a depthwise stencil, row dot products, sums of
    # squares, a diagonal scaling, a pooling.
    for op in ("conv_depthwise2d", "cosine_similarity_loss", "rms_norm_channels", "mse_loss_f32", "matmul_diag",
               "avg_pool2d", "batch_norm2d"):
        assert op not in names, op
    assert len(names) == 28, names
    assert "gemm_sigmoid_logsumexp: _r0 = sum x * w1, _r1 = sum s * w2" in p.stderr


def test_the_f32_contraction_rule_on_kernel_ir():
    fc = load("f32_contractions_under_test", "bench", "kernelbench", "f32_contractions.py")
    ir = """kernel @k(%a: bf16[M, K], %b: bf16[K, N], %c: f32[K, N]) -> (%y: f32[M, N], %z: f32[M, N]) {
  %y: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (cast<f32>(%a[m, k]) * cast<f32>(%b[k, n]))
  %z: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (cast<f32>(%a[m, k]) * select((k < 3:i64), %c[k, n], 0.0:f32))
  %w: f32[m < M] = sum<f32> [k in 0 .. $K] (%z[m, k] * %z[m, k])
}"""
    # Two bf16 operands: exact products, no contract; bf16 by f32: one.
    assert fc.contractions(ir) == [("z", "a", "c")]
