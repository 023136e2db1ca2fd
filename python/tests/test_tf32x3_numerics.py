"""tf32x3 (`precision(y, tf32x3)`, the default GPU schedule's choice for compute-bound f32 contractions) passes
the f32 tolerance of the harness (kevc_gpu/tolerance.py) where one tf32 pass does not.

Triton's interpreter ignores `input_precision` (its `tl.dot` is a float32 numpy matmul), so it cannot show tf32
rounding; this test emulates what kevc's Triton module makes the tensor cores compute instead (TritonDot.swift):
each f32 operand x is split into hi = x with its 13 low mantissa bits cleared (`x.to(tl.int32, bitcast=True) &
-8192`) and lo = x - hi (exact in f32), and the three `tl.dot(..., input_precision="tf32")` passes lo*hi, hi*lo,
hi*hi each read their operands as tf32 (the tensor cores drop the 13 low bits: lo loses at most 2^-10 of itself,
2^-20 of x) and accumulate in f32. The dropped lo*lo term and lo's truncation leave about 2^-20 of each product,
against 2^-24 for f32 and 2^-10 for one tf32 pass."""
import zlib

import pytest

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

from kevc_gpu.tolerance import compare


def tf32(x):
    """float32 values as the tensor cores read them in tf32: the 13 low mantissa bits cleared (truncation)."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    return (bits & np.uint32(0xFFFFE000)).view(np.float32)


def dot_tf32x3(a, b):
    a_hi, b_hi = tf32(a), tf32(b)
    a_lo, b_lo = a - a_hi, b - b_hi
    acc = np.matmul(tf32(a_lo), b_hi, dtype=np.float32)
    acc = acc + np.matmul(a_hi, tf32(b_lo), dtype=np.float32)
    return acc + np.matmul(a_hi, b_hi, dtype=np.float32)


def dot_tf32(a, b):
    return np.matmul(tf32(a), tf32(b), dtype=np.float32)


DISTRIBUTIONS = {
    "normal": lambda rng, s: rng.standard_normal(s),
    "small": lambda rng, s: 1e-3 * rng.standard_normal(s),
    "large": lambda rng, s: 1e3 * rng.standard_normal(s),
    "positive": lambda rng, s: rng.uniform(0.0, 1.0, s),
    "mixed-scales": lambda rng, s: rng.standard_normal(s) * 10.0 ** rng.integers(-3, 4, s),
}

# Odd sizes (tails of every tile) and a long reduction.
SHAPES = [(13, 11, 37), (37, 53, 1001), (64, 17, 4099)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dist", sorted(DISTRIBUTIONS))
def test_tf32x3_passes_f32_tolerance(shape, dist):
    m, n, k = shape
    rng = np.random.default_rng(zlib.crc32(repr((shape, dist)).encode()))
    a = DISTRIBUTIONS[dist](rng, (m, k)).astype(np.float32)
    b = DISTRIBUTIONS[dist](rng, (k, n)).astype(np.float32)
    reference = torch.from_numpy(a.astype(np.float64) @ b.astype(np.float64))
    result = compare(torch.from_numpy(dot_tf32x3(a, b)), reference, "f32")
    assert result["passed"], result


def test_one_tf32_pass_fails_f32_tolerance():
    # The check has teeth: one tf32 pass (what `precision(y, tf32)` does) is outside f32's tolerance.
    rng = np.random.default_rng(7)
    failures = 0
    for dist in sorted(DISTRIBUTIONS):
        a = DISTRIBUTIONS[dist](rng, (37, 16)).astype(np.float32)
        b = DISTRIBUTIONS[dist](rng, (16, 53)).astype(np.float32)
        reference = torch.from_numpy(a.astype(np.float64) @ b.astype(np.float64))
        failures += not compare(torch.from_numpy(dot_tf32(a, b)), reference, "f32")["passed"]
    assert failures >= 3
