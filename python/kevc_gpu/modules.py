"""Loading generated modules (Triton kernel modules, torch reference modules) from files, and reading the tensor
signature both carry: params and results with dtype, concrete shape and (inputs) value domain."""

import importlib.util
import sys
import uuid

_counter = [0]


def load_module(path, name=None):
    """Imports the Python file at `path` as a fresh module (a unique name each time, so that two candidates never
    share module state). Triton needs kernels to live in real files, which this keeps."""
    from . import interpreter_fixes
    interpreter_fixes.apply()
    _counter[0] += 1
    mod_name = name or "kevc_mod_%d_%s" % (_counter[0], uuid.uuid4().hex[:8])
    if mod_name in sys.modules:
        mod_name = "%s_%d" % (mod_name, _counter[0])
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise ImportError("cannot load module from %s" % path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = mod
    spec.loader.exec_module(mod)
    return mod


def _norm_entry(e, is_param):
    """One param/result entry in the harness's canonical form: name, dtype, shape (list of ints), domain."""
    out = {"name": str(e["name"]), "dtype": str(e["dtype"]), "shape": [int(s) for s in e.get("shape", [])]}
    if is_param:
        d = e.get("domain")
        if d is not None:
            lo = d.get("lo", d.get("lower", d.get("lowerBound")))
            hi = d.get("hi", d.get("upper", d.get("upperBound")))
            out["domain"] = {"lo": int(lo), "hi": int(hi), "sorted": bool(d.get("sorted", False))}
        else:
            out["domain"] = None
    return out


def signature(meta):
    """(params, results) in canonical form from a KEVC or KEVC_REFERENCE metadata dict."""
    params = [_norm_entry(p, True) for p in meta.get("params", [])]
    results = [_norm_entry(r, False) for r in meta.get("results", [])]
    return params, results
