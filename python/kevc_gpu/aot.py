"""Ahead-of-time compilation of kevc's generated Triton modules, with no GPU.

    python3 -m kevc_gpu.aot MODULE.py [MODULE.py ...] --target cuda:90 --target hip:gfx942

Loads each module from its file (Triton needs kernels in real files), and compiles every kernel its KEVC metadata
lists with `triton.compile(ASTSource(fn, signature, constexprs), target=GPUTarget(...), options={num_warps,
num_stages})` for every target. Prints one JSON object per line and kernel/target:
    {"module": PATH, "kernel": NAME, "target": "cuda:90", "ok": true, "seconds": 0.05}
    {"module": PATH, "kernel": NAME, "target": "hip:gfx942", "ok": false, "error": "...", "line": 41, "column": 9}
`line`/`column` locate the error in the module file (1-based) when Triton gives them. A module that cannot be
loaded gives one object with "kernel": null. Exit status 0 when everything compiled, 1 otherwise, 2 on bad usage.
Targets: cuda:<sm> (e.g. cuda:90, warp size 32) and hip:<arch> (e.g. hip:gfx942, wave size 64).
A kernel whose shared memory (Triton's `metadata.shared`) exceeds what one program may use on the target
(SHARED_MEMORY: 227 KiB on sm_90, 64 KiB of LDS on gfx942) fails as it would at launch ("out of resources");
records carry "shared" (bytes) either way.
"""

import argparse
import importlib.util
import inspect
import json
import re
import sys
import time
import uuid


def load_module(path):
    name = "kevc_aot_%s" % uuid.uuid4().hex[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError("cannot load module from %s" % path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


# Shared memory (bytes) one program may use, per target; Triton checks this only when a kernel is loaded on a GPU.
SHARED_MEMORY = {"cuda:90": 227 * 1024, "cuda:80": 163 * 1024, "hip:gfx942": 64 * 1024, "hip:gfx90a": 64 * 1024}


def parse_target(text):
    from triton.backends.compiler import GPUTarget

    backend, _, arch = text.partition(":")
    if backend == "cuda" and arch.isdigit():
        return GPUTarget("cuda", int(arch), 32)
    if backend == "hip" and arch:
        return GPUTarget("hip", arch, 64)
    raise ValueError("unknown target '%s' (expected cuda:<sm> or hip:<arch>)" % text)


def def_line(fn):
    """The file line of the kernel's `def` (Triton counts error lines from the function's first line)."""
    inner = getattr(fn, "fn", fn)
    try:
        lines, start = inspect.getsourcelines(inner)
    except (OSError, TypeError):
        return None, 0
    offset = 0
    for i, l in enumerate(lines):
        if l.lstrip().startswith("def "):
            offset = i
            break
    return start, offset


def locate(exc, fn, path):
    """(line, column) of a compile error in the module file, or (None, None)."""
    start, offset = def_line(fn)
    node = getattr(exc, "node", None)
    lineno = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    if lineno is not None and start is not None:
        # Triton parses the function's source alone (decorators included), so lineno is relative to it.
        return start + lineno - 1, (col or 0) + 1
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        return exc.lineno, (exc.offset or 1)
    # Fall back to the innermost traceback frame in the module file.
    tb = exc.__traceback__
    found = (None, None)
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            found = (tb.tb_lineno, 1)
        tb = tb.tb_next
    return found


def first_line(text):
    text = str(text).strip()
    # Triton's CompilationError repeats the source; keep the message after it.
    lines = [l for l in text.splitlines() if l.strip()]
    for l in reversed(lines):
        if not l.startswith(" ") and not re.match(r"^\s*\^", l):
            return l.strip()
    return lines[-1].strip() if lines else "unknown error"


def compile_kernel(fn, k, target):
    """Compiles one kernel of a module's KEVC["kernels"] for one target; returns Triton's compiled kernel."""
    import triton
    from triton.compiler import ASTSource

    src = ASTSource(fn=fn, signature=dict(k["signature"]), constexprs=dict(k.get("constexprs", {})))
    return triton.compile(src, target=parse_target(target),
                          options={"num_warps": int(k.get("num_warps", 4)), "num_stages": int(k.get("num_stages", 2))})


def compile_module(path, targets, out):
    ok = True
    try:
        mod = load_module(path)
        meta = getattr(mod, "KEVC")
    except Exception as e:  # the module itself is broken
        line = getattr(e, "lineno", None)
        out({"module": path, "kernel": None, "target": None, "ok": False, "error": "%s: %s" % (type(e).__name__, e),
             "line": line, "column": getattr(e, "offset", None) or (1 if line else None)})
        return False
    for k in meta.get("kernels", []):
        fn = getattr(mod, k["name"], None)
        for t in targets:
            record = {"module": path, "kernel": k["name"], "target": t}
            start = time.time()
            try:
                if fn is None:
                    raise NameError("the module has no kernel '%s'" % k["name"])
                compiled = compile_kernel(fn, k, t)
                asm = compiled.asm
                binary = "cubin" if t.startswith("cuda") else "hsaco"
                if binary not in asm:
                    raise RuntimeError("triton produced no %s" % binary)
                shared = int(getattr(compiled.metadata, "shared", 0) or 0)
                record["shared"] = shared
                limit = SHARED_MEMORY.get(t)
                if limit is not None and shared > limit:
                    raise RuntimeError("out of resources: shared memory, required: %d, hardware limit: %d"
                                       % (shared, limit))
                record.update({"ok": True, "seconds": round(time.time() - start, 3)})
            except Exception as e:
                ok = False
                line, col = locate(e, fn, path) if fn is not None else (None, None)
                record.update({"ok": False, "seconds": round(time.time() - start, 3),
                               "error": "%s: %s" % (type(e).__name__, first_line(e)), "line": line, "column": col})
            out(record)
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m kevc_gpu.aot", description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="+", help="generated Triton module files")
    parser.add_argument("--target", action="append", default=[], help="cuda:90, hip:gfx942 (repeatable or comma separated)")
    args = parser.parse_args(argv)
    targets = [t for group in (args.target or ["cuda:90"]) for t in group.split(",") if t]
    try:
        for t in targets:
            parse_target(t)
    except ValueError as e:
        print(json.dumps({"ok": False, "error": str(e)}), flush=True)
        return 2
    except ImportError as e:
        print(json.dumps({"ok": False, "error": "triton is not available: %s" % e}), flush=True)
        return 2

    def out(record):
        print(json.dumps(record), flush=True)

    ok = True
    for path in args.modules:
        ok = compile_module(path, targets, out) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
