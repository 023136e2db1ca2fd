"""The contraction-tile A/B set of issues 15 and 16 (bench/gpu/ab-h66-variants.md): every contraction among
specs/*.kev and specs/kernelbench/*.kev at its bench shape (attention excluded), plus the issue's problems at their
own shapes, the default GPU schedule as baseline beside the sketches that change contraction tiles and hand edits of
the default's trace for the questions the sketches do not ask (128x256 tiles at 3-4 stages, K-blocks of 32 and 64,
a conv1d's channel block per tap, grouped program order on a fused epilogue). The precision the default chose is
never changed.

Usage (here, with Swift): python3 bench/gpu/ab-h66-prepare.py KEVC VARIANTS_DIR
then bench/gpu/module-ab.sh prepare VARIANTS_DIR PREP_DIR KEVC (there: module-ab.sh run PREP_DIR OUT_DIR).
Writes VARIANTS_DIR/<problem>/{spec, shape, default.json, <variant>.json ...}; a variant whose trace equals the
default's or an earlier variant's is left out, and a problem left with none (module-ab.sh prepare also leaves out
equal modules).
"""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

from bench import bench_shape  # bench/gpu/bench.py: the spec's `bench` line as a --shape value

SKETCHES = ["wide-tiles", "fused-wide", "grouped", "narrow-tiles", "fused-taps"]


def opt(kevc, spec, shape, out, *extra):
    subprocess.run([kevc, "opt", spec, "--default-schedule", "triton", "--shape", shape, "--emit-trace-json", "-o", out,
                    *extra], check=True)
    return json.load(open(out))


# Hand edits of the default trace: ("split", tensor, loop, factor) sets an existing split's factor;
# ("launch", tensor, warps, stages); ("group", tensor, size) appends group_programs; ("reorder", tensor, loops) sets
# an existing reorder's loops; ("prefix", steps) puts a JSON trace's steps first.
def edit(trace, edits):
    t = copy.deepcopy(trace)
    for e in edits:
        if e[0] == "prefix":
            t["steps"] = copy.deepcopy(e[1]) + t["steps"]
        elif e[0] == "reorder":
            hits = [s for s in t["steps"] if "reorder" in s and s["reorder"]["tensor"] == e[1]]
            if len(hits) != 1:
                raise SystemExit("edit %r: %d matching reorders" % (e, len(hits)))
            hits[0]["reorder"]["loops"] = e[2]
        elif e[0] == "split":
            _, tensor, loop, factor = e
            hits = [s for s in t["steps"] if "split" in s and s["split"]["tensor"] == tensor and s["split"]["loop"] == loop]
            if len(hits) != 1:
                raise SystemExit("edit %r: %d matching splits" % (e, len(hits)))
            hits[0]["split"]["factor"] = factor
        elif e[0] == "launch":
            _, tensor, warps, stages = e
            hits = [s for s in t["steps"] if "launch" in s and s["launch"]["tensor"] == tensor]
            if len(hits) != 1:
                raise SystemExit("edit %r: %d matching launches" % (e, len(hits)))
            hits[0]["launch"].update(warps=warps, stages=stages)
        elif e[0] == "group":
            t["steps"].append({"groupPrograms": {"size": e[2], "tensor": e[1]}})
        else:
            raise SystemExit("unknown edit %r" % (e,))
    return t


def mm(out, lane_m, lane_n, red, k):  # tile edits of a matmul-like default: (output tensor, m, n, reduction tensor, k)
    return {
        "n256-k64-s3-w8": [("split", out, lane_n, 256), ("launch", out, 8, 3)],
        "n256-k64-s4-w8": [("split", out, lane_n, 256), ("launch", out, 8, 4)],
        "n256-k32-s4-w8": [("split", out, lane_n, 256), ("split", red, k, 32), ("launch", out, 8, 4)],
        "n256-k64-s3-w8-g8": [("split", out, lane_n, 256), ("launch", out, 8, 3), ("group", out, 8)],
        "m256-k64-s3-w8": [("split", out, lane_m, 256), ("launch", out, 8, 3)],
        "k64-s3-w8-g8": [("group", out, 8)],
        "k64-s4-w8": [("launch", out, 8, 4)],
        "k32-s4-w8": [("split", red, k, 32), ("launch", out, 8, 4)],
    }


# A per-tap conv1d's operands staged channels-last (x[n, c, l] copied to [n, l, c], w[f, c, k] to [k, f, c], each by
# a kernel of its own before the convolution): each tap's tiles are then contiguous along the channel block and their
# rows 2*C bytes apart, so the shifted window `l + k - 1` and its bounds mask move whole rows and Triton's loads
# vectorise and pipeline (cp.async), which the default's 2-byte loads (mask along the contiguous l, w's channel stride
# of K) never do. Not a rule yet: the question is whether the copy (one pass over x) pays.
CHANNELS_LAST = """
stage(x, _r0, k, workspace)
compute_root(x._r0)
layout(x._r0, [0, 2, 1])
stage(w, _r0, k, workspace)
compute_root(w._r0)
layout(w._r0, [2, 0, 1])
split(x._r0, d1, 64)
split(x._r0, d2, 64)
reorder(x._r0, [d2.o, d1.o, d0, d2.i, d1.i])
bind(x._r0, d2.o, grid.x)
bind(x._r0, d1.o, grid.y)
bind(x._r0, d0, grid.z)
bind(x._r0, d2.i, block.y)
bind(x._r0, d1.i, block.x)
launch(x._r0, 4, 2)
reorder(w._r0, [d0, d2, d1])
bind(w._r0, d0, grid.x)
bind(w._r0, d2, grid.y)
bind(w._r0, d1, block.x)
launch(w._r0, 4, 2)
"""


def channels_last(kevc, spec, shape):
    path = os.path.join(tempfile.mkdtemp(prefix="ab-h66-"), "channels-last.trace")
    open(path, "w").write(CHANNELS_LAST)
    subprocess.run([kevc, "opt", spec, "--apply", path, "--shape", shape, "--emit-trace-json", "-o", path + ".json"],
                   check=True)
    return json.load(open(path + ".json"))["steps"]


# conv2d 32x64x56x56 (bf16, 9 taps) with both operands staged channels-last (x as [n, h, w, c], w as [f, p, q, c]):
# per tap (one dot per tap over the 64 channels: both operands' loads pipeline, 24 cp.async) or with the taps fused
# channels innermost (`fuse_axes(_r0, [p, q, c])`: its aligned-split indices keep Triton from proving alignment, no
# cp.async). Whole traces (the copies' grids are this shape's: 56 rows x 32 images).
CONV2D_CHANNELS_LAST_PER_TAP = """
stage(x, _r0, q, workspace)
compute_root(x._r0)
layout(x._r0, [0, 2, 3, 1])
stage(w, _r0, q, workspace)
compute_root(w._r0)
layout(w._r0, [0, 2, 3, 1])
reorder(x._r0, [d2, d0, d3, d1])
bind(x._r0, d2, grid.x)
bind(x._r0, d0, grid.y)
bind(x._r0, d3, block.y)
bind(x._r0, d1, block.x)
launch(x._r0, 4, 2)
reorder(w._r0, [d0, d2, d3, d1])
bind(w._r0, d0, grid.x)
bind(w._r0, d2, grid.y)
bind(w._r0, d3, grid.z)
bind(w._r0, d1, block.x)
launch(w._r0, 4, 2)
reorder(y, [i, n, j, f])
bind(y, i, grid.x)
bind(y, n, grid.y)
bind(y, j, block.y)
bind(y, f, block.x)
compute_at(_r0, y, n)
bind(_r0, j, block.y)
bind(_r0, f, block.x)
bind(_r0, c, block.z)
dot(_r0)
launch(y, 4, 3)
"""
CONV2D_CHANNELS_LAST_FUSED_PQC = """
stage(x, _r0, q, workspace)
compute_root(x._r0)
layout(x._r0, [0, 2, 3, 1])
stage(w, _r0, q, workspace)
compute_root(w._r0)
layout(w._r0, [0, 2, 3, 1])
fuse_axes(_r0, [p, q, c])
reorder(x._r0, [d2, d0, d3, d1])
bind(x._r0, d2, grid.x)
bind(x._r0, d0, grid.y)
bind(x._r0, d3, block.y)
bind(x._r0, d1, block.x)
launch(x._r0, 4, 2)
reorder(w._r0, [d0, d2, d3, d1])
bind(w._r0, d0, grid.x)
bind(w._r0, d2, grid.y)
bind(w._r0, d3, grid.z)
bind(w._r0, d1, block.x)
launch(w._r0, 4, 2)
reorder(y, [i, n, j, f])
bind(y, i, grid.x)
bind(y, n, grid.y)
bind(y, j, block.y)
bind(y, f, block.x)
compute_at(_r0, y, n)
bind(_r0, j, block.y)
bind(_r0, f, block.x)
split(_r0, p.q.c, 64)
bind(_r0, p.q.c.i, block.z)
dot(_r0)
launch(y, 4, 3)
"""


def text_trace(kevc, spec, shape, text):
    path = os.path.join(tempfile.mkdtemp(prefix="ab-h66-"), "hand.trace")
    open(path, "w").write(text)
    subprocess.run([kevc, "opt", spec, "--apply", path, "--shape", shape, "--emit-trace-json", "-o", path + ".json"],
                   check=True)
    return json.load(open(path + ".json"))


def conv1d(out="y", red="_r0"):  # a per-tap conv1d: output tile [l, f], channel block c per tap
    return {
        "c128-s3-w8": [("split", red, "c", 128), ("launch", out, 8, 3)],
        "c128-s2-w8": [("split", red, "c", 128), ("launch", out, 8, 2)],
        "c32-s4-w8": [("split", red, "c", 32), ("launch", out, 8, 4)],
        "l256-c64-s3-w8": [("split", out, "l", 256), ("launch", out, 8, 3)],
        "f256-c64-s3-w8": [("split", out, "f", 256), ("launch", out, 8, 3)],
        "c64-s3-w8-g8": [("group", out, 8)],
    }


# (problem, spec, shape or None for the spec's bench line, sketches, hand edits)
PROBLEMS = [
    ("matmul_bf16", "bench/gpu/specs/matmul_bf16.kev", None, ["wide-tiles", "narrow-tiles"],
     {k: v for k, v in mm("c", "m", "n", "_r0", "k").items()
      if k in ("n256-k64-s3-w8", "n256-k64-s4-w8", "n256-k32-s4-w8", "n256-k64-s3-w8-g8", "m256-k64-s3-w8",
               "k64-s3-w8-g8", "k64-s4-w8")}),
    ("matmul_bias_gelu", "specs/matmul_bias_gelu.kev", None, ["wide-tiles", "fused-wide", "narrow-tiles"],
     {k: v for k, v in mm("y", "m", "n", "_r0", "k").items()
      if k in ("n256-k64-s3-w8", "n256-k64-s4-w8", "n256-k32-s4-w8", "n256-k64-s3-w8-g8", "m256-k64-s3-w8",
               "k64-s3-w8-g8", "k64-s4-w8")}),
    ("conv1d", "specs/conv1d.kev", None, ["fused-taps", "wide-tiles", "narrow-tiles"],
     {**conv1d(), "channels-last": [("prefix", "CL")],
      "channels-last-taps-outer": [("prefix", "CL"), ("reorder", "_r0", ["n", "f", "l", "k", "c.o", "c.i"])],
      "channels-last-c128-s3": [("prefix", "CL"), ("split", "_r0", "c", 128), ("launch", "y", 8, 3)]}),
    ("conv1d.2048x96x96x200", "specs/conv1d.kev", "N=2048,C=96,L=200,F=96,K=3", ["fused-taps", "wide-tiles", "narrow-tiles"],
     {**{k: v for k, v in conv1d().items() if k in ("c128-s3-w8", "c32-s4-w8")},
      "l256-c32-s3-w8": [("split", "y", "l", 256), ("split", "_r0", "c", 32), ("launch", "y", 8, 3)],
      "channels-last": [("prefix", "CL")],
      "channels-last-c32-s4": [("prefix", "CL"), ("split", "_r0", "c", 32), ("launch", "y", 8, 4)]}),
    ("conv1d_f16", "bench/gpu/specs/conv1d_f16.kev", None, ["fused-taps", "wide-tiles", "narrow-tiles"],
     {**{k: v for k, v in conv1d().items() if k in ("c128-s3-w8", "l256-c64-s3-w8", "f256-c64-s3-w8")},
      "channels-last": [("prefix", "CL")],
      "channels-last-taps-outer": [("prefix", "CL"), ("reorder", "_r0", ["n", "f", "l", "k", "c.o", "c.i"])]}),
    ("conv2d", "specs/conv2d.kev", None, ["wide-tiles", "narrow-tiles", "per-tap"],
     {"k32-s4-w4": [("split", "_r0", "c.p.q", 32), ("launch", "y", 4, 4)], "k64-s4-w4": [("launch", "y", 4, 4)],
      "k128-s3-w4": [("split", "_r0", "c.p.q", 128), ("launch", "y", 4, 3)],
      "channels-last-per-tap": [("text", CONV2D_CHANNELS_LAST_PER_TAP)],
      "channels-last-fused-pqc": [("text", CONV2D_CHANNELS_LAST_FUSED_PQC)]}),
    ("batched_matmul", "specs/batched_matmul.kev", None, ["wide-tiles", "narrow-tiles"],
     {"n256-k64-s3-w8": [("split", "c", "n", 256), ("launch", "c", 8, 3)]}),
    ("fm_interaction", "specs/fm_interaction.kev", None, ["wide-tiles", "narrow-tiles"], {}),
    ("matmul", "specs/matmul.kev", None, ["wide-tiles"], {}),
]
KERNELBENCH = [
    "conv1d_dilated_strided", "conv1d_standard", "conv2d_dilated_padded", "conv2d_gelu_global_avg_pool",
    "conv2d_instance_norm_divide", "conv2d_relu_bias_add", "conv2d_square", "conv3d_group_norm_mean", "conv3d_square",
    "conv_pointwise2d", "conv_transpose2d_subtract_tanh", "conv_transposed1d", "conv_transposed1d_strided",
    "conv_transposed2d", "conv_transposed3d", "gemm_divide_sum_scaling", "gemm_multiply_leaky_relu",
    "gemm_scale_batch_norm", "gemm_sigmoid_logsumexp", "matmul_3d_tensor_matrix", "matmul_batched",
    "matmul_gelu_softmax", "matmul_sigmoid_sum", "matmul_tall_skinny", "matmul_transposed_a", "matmul_transposed_b",
    "matmul_upper_triangular",
]
KB_SKETCHES = os.environ.get("AB_H66_KB_SKETCHES", "wide-tiles").split()
# f32 contractions (bf16x3 on the matrix units) whose wide tiles the portable grid rule halves back to 128 (fewer
# than 304 programs): 128x256 by hand, the default's precision and K-block kept.
KB_HAND = {
    "matmul_transposed_b": {"n256-k32-s3-w8": [("split", "C", "n", 256), ("launch", "C", 8, 3)]},
    "gemm_multiply_leaky_relu": {"n256-k32-s3-w8": [("split", "y", "o", 256), ("launch", "y", 8, 3)]},
}
PROBLEMS += [("kernelbench." + n, "specs/kernelbench/%s.kev" % n, None, KB_SKETCHES, KB_HAND.get(n, {}))
             for n in KERNELBENCH]


def main():
    kevc, root = os.path.abspath(sys.argv[1]), sys.argv[2]
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    total = 0
    for name, spec, shape, sketches, hand in PROBLEMS:
        shape = shape or bench_shape(spec)
        d = os.path.join(root, name)
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "spec"), "w").write(spec + "\n")
        open(os.path.join(d, "shape"), "w").write(shape + "\n")
        default = opt(kevc, spec, shape, os.path.join(d, "default.json"))
        seen = [default]
        kept = []
        for s in sketches:
            p = os.path.join(d, s + ".json")
            t = opt(kevc, spec, shape, p, "--sketch", s)
            if t in seen:
                os.remove(p)
                continue
            seen.append(t)
            kept.append(s)
        for v, edits in hand.items():
            edits = [("prefix", channels_last(kevc, spec, shape)) if e == ("prefix", "CL") else e for e in edits]
            if edits[0][0] == "text":
                t = text_trace(kevc, spec, shape, edits[0][1])
            else:
                t = edit(default, edits)
            if t in seen:
                continue
            json.dump(t, open(os.path.join(d, v + ".json"), "w"), indent=2)
            seen.append(t)
            kept.append(v)
        total += len(kept)
        if not kept:  # nothing to time beside the baseline
            shutil.rmtree(d)
        print("%s (%s): %s" % (name, shape, " ".join(kept) or "-"))
    print("%d variants" % total)


if __name__ == "__main__":
    main()
