"""Three gaps of Triton 3.6's interpreter (TRITON_INTERPRET=1, the CPU stand-in for a GPU in tests and dry runs),
patched when a module is loaded under it; nothing changes on a GPU.

- `tl.dot` of bf16 operands multiplies their raw uint16 bit patterns (the interpreter stores bf16 as uint16):
  operands are converted to f32 first (the products are exact in f32, so this is what tensor cores compute).
- `x.to(tl.bfloat16)` of f32 values truncates (the interpreter's conversion rounds only when asked for a rounding
  mode), where the GPU rounds to nearest even (`cvt.rn.bf16.f32`, Triton's default `fp_downcast_rounding`): it
  rounds to nearest even here too, so a bf16x3 dot's remainder (TritonDot.swift) is what the GPU computes.
- A loop bound that depends on a program id (`tl.range(0, pid + 1)`, the key blocks of causal attention) is a
  1-element array, which Python's range() cannot take: `__index__` takes its one element.
"""

import os

_applied = [False]


def apply():
    """Patches the interpreter once, when TRITON_INTERPRET is set."""
    if _applied[0] or os.environ.get("TRITON_INTERPRET") != "1":
        return
    try:
        import numpy as np
        import triton.language as tl
        from triton.runtime import interpreter as ti
    except ImportError:
        return
    _applied[0] = True
    dot = ti.InterpreterBuilder.create_dot

    def create_dot(self, a, b, d, input_precision, max_num_imprecise_acc):
        def f32(x):
            if x.dtype.scalar == tl.bfloat16:
                return ti.TensorHandle(ti._convert_float(x.data, tl.bfloat16, tl.float32, None).view(np.float32),
                                       tl.float32)
            return x
        return dot(self, f32(a), f32(b), d, input_precision, max_num_imprecise_acc)

    ti.InterpreterBuilder.create_dot = create_dot
    cast = ti.InterpreterBuilder.cast_impl

    def cast_impl(self, src, dst_type):
        if src.dtype.scalar == tl.float32 and dst_type.scalar == tl.bfloat16:
            bits = np.ascontiguousarray(src.data, dtype=np.float32).view(np.uint32)
            nearest = ((bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))) >> np.uint32(16))
            quiet = (bits >> np.uint32(16)) | np.uint32(0x40)
            nan = np.isnan(np.ascontiguousarray(src.data, dtype=np.float32))
            return ti.TensorHandle(np.where(nan, quiet, nearest).astype(np.uint16), tl.bfloat16)
        return cast(self, src, dst_type)

    ti.InterpreterBuilder.cast_impl = cast_impl
    set_attr = ti._LangPatchScope.set_attr

    def patched_set_attr(self, obj, name, value):
        if name == "__index__":
            value = lambda t: int(np.asarray(t.handle.data).reshape(-1)[0])
        set_attr(self, obj, name, value)

    ti._LangPatchScope.set_attr = patched_set_attr
