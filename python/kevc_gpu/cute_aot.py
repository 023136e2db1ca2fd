"""Compiles kevc's CuTe DSL modules ahead of time with no GPU: imports each module (a real file, as the DSL needs)
and calls its `compile_aot(arch)` (cute.compile with fake tensors). Prints one JSON line per module: module, ok,
seconds, and for a failure the error with the line and column in the module when the DSL gives them.

    python3 -m kevc_gpu.cute_aot MODULE.py ... [--arch sm_90a]
"""

import argparse
import json
import os
import re
import sys
import time

from . import modules


def _located(module, text):
    """(line, column) of the first `--> path:line:col` naming the module, else of the innermost traceback frame in
    it (`File "path", line N`)."""
    path = os.path.abspath(module)
    m = re.search(re.escape(path) + r":(\d+):(\d+)", text)
    if m:
        return int(m.group(1)), int(m.group(2))
    frames = re.findall(r'File "' + re.escape(path) + r'", line (\d+)', text)
    return (int(frames[-1]), 1) if frames else (None, None)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("modules", nargs="+")
    ap.add_argument("--arch", default="sm_90a")
    a = ap.parse_args(argv)
    status = 0
    for path in a.modules:
        t0 = time.time()
        out = {"module": path, "target": a.arch}
        try:
            modules.load_module(path).compile_aot(a.arch)
            out["ok"] = True
        except Exception as e:  # every DSL or Python error is reported, located when possible
            import traceback
            text = re.sub(r"\x1b\[[0-9;]*m", "", str(e) + "\n" + traceback.format_exc())
            line, col = _located(path, text)
            first = next((l.strip() for l in str(e).splitlines() if l.strip()), type(e).__name__)
            out.update(ok=False, error=re.sub(r"\x1b\[[0-9;]*m", "", first), line=line, column=col)
            status = 1
        out["seconds"] = round(time.time() - t0, 3)
        print(json.dumps(out), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
