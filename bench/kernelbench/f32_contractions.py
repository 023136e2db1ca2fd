#!/usr/bin/env python3
"""The KernelBench corpus problems with an f32 contraction: the ones whose numbers depend on the accuracy contract
(kevc's `matmul_precision`, PyTorch's TF32 flags), and so the ones a like-for-like table must rerun
(bench/README.md, "KernelBench corpus").

  f32_contractions.py [--kevc K] [--verbose] [SPEC ...]      (default: every spec of specs/kernelbench/)

Prints the problems' names, comma-separated (for `run.py gpu --ops`); --verbose prints each one's contractions.
Read from each spec's kernel IR (`kevc compile --emit ir`, before any schedule): a definition is an f32 contraction
when it is `sum<f32>` over its reduction axes of a product of two operands, each a load of a float tensor (possibly
cast to f32, or selected against a zero, as a strided transposed convolution's taps are), each operand indexed by
an axis the other lacks, sharing a reduction axis, and not both operands 16-bit floats (a product of two bf16
values is exact in f32: no contract changes it). That is `dot`'s shape (docs/transforms.md), with the zero-select
operands the default schedule's phase split turns into dots; a row's dot product (both operands on the same axes),
a sum of squares or a depthwise stencil is not one.
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC_DIR = os.path.join(ROOT, "specs", "kernelbench")
FLOATS = {"f32", "bf16", "f16"}
HALF = {"bf16", "f16"}
SUM = re.compile(r"^\s*%(\w+): (\w+)\[.*?\] = sum<(\w+)> \[(.*?)\] (.*)$")
DECL = re.compile(r"%(\w+): (\w+)\[")
LOAD = r"%(\w+)\[([^\[\]]*)\]"


def strip_parens(text):
    """The text without parentheses that enclose all of it."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and closes_at_end(text):
        text = text[1:-1].strip()
    return text


def closes_at_end(text):
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return False
    return True


def split_top(expr, sep):
    """`expr` split at the `sep`s outside parentheses and brackets, each part stripped."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(expr):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and expr.startswith(sep, i):
            parts.append(expr[start:i])
            start = i + len(sep)
    parts.append(expr[start:])
    return [p.strip() for p in parts]


def factors(expr):
    """The operands of a product at the top level of `expr` (one element when it is not a product)."""
    return [strip_parens(p) for p in split_top(strip_parens(expr), " * ")]


def operand_load(operand):
    """(tensor, index text) of an operand that is one load: `%x[..]`, a cast `cast<f32>(%x[..])`, or
    `select(cond, LOAD, 0..)` (a load where the condition holds, zero elsewhere); None for anything else."""
    if operand.startswith("select(") and closes_at_end(operand[len("select"):]):
        args = split_top(operand[len("select("):-1], ",")
        if len(args) == 3 and re.fullmatch(r"0(\.0)?:\w+", args[2]):
            operand = args[1]
    m = re.fullmatch(r"cast<f32>\((.*)\)", operand)
    if m:
        operand = m.group(1)
    m = re.fullmatch(LOAD, operand)
    return (m.group(1), m.group(2)) if m else None


def axes(index):
    """The loop variables an index text reads (not `$` dims, not literals' types)."""
    return {v for v in re.findall(r"(?<![\w$%:.])([a-z_][\w.]*)", index) if v not in ("and", "or", "not")}


def contractions(ir):
    """[(definition, tensor a, tensor b)]: the f32 contractions of one kernel's IR text."""
    dtypes = dict(DECL.findall(ir))
    found = []
    for line in ir.splitlines():
        m = SUM.match(line)
        if not m or m.group(3) != "f32":
            continue
        name, _, _, reduce_text, body = m.groups()
        reduced = set(re.findall(r"([\w.]+) in ", reduce_text))
        ops = factors(body)
        if len(ops) != 2:
            continue
        loads = [operand_load(o) for o in ops]
        if None in loads:
            continue
        (ta, ia), (tb, ib) = loads
        da, db = dtypes.get(ta), dtypes.get(tb)
        if da not in FLOATS or db not in FLOATS or (da in HALF and db in HALF):
            continue
        va, vb = axes(ia), axes(ib)
        if (va - vb) and (vb - va) and (va & vb & reduced):
            found.append((name, ta, tb))
    return found


def kevc_binary(path):
    for candidate in (path, os.environ.get("KEVC"), os.path.join(ROOT, ".build-bench", "release", "kevc"),
                      os.path.join(ROOT, ".build", "debug", "kevc"), shutil.which("kevc")):
        if candidate and os.path.exists(candidate):
            return candidate
    sys.exit("no kevc binary: pass --kevc (bench/gpu/kevc-binary.sh unpacks the static one to /tmp/kevc)")


def spec_ir(kevc, spec):
    p = subprocess.run([kevc, "compile", spec, "--emit", "ir", "-o", "-"], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (spec, (p.stderr or p.stdout)[-500:]))
    return p.stdout


def main(argv):
    kevc = argv[argv.index("--kevc") + 1] if "--kevc" in argv else None
    verbose = "--verbose" in argv
    specs = [a for a in argv if a.endswith(".kev")] or sorted(
        os.path.join(SPEC_DIR, f) for f in os.listdir(SPEC_DIR) if f.endswith(".kev"))
    kevc = kevc_binary(kevc)
    names = []
    for spec in specs:
        found = contractions(spec_ir(kevc, spec))
        if found:
            names.append(os.path.basename(spec)[:-4])
            if verbose:
                print("%s: %s" % (names[-1], ", ".join("%s = sum %s * %s" % f for f in found)), file=sys.stderr)
    print(",".join(names))


if __name__ == "__main__":
    main(sys.argv[1:])
