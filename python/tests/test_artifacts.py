"""The torch op module of `kevc compile --target triton --emit torch`, without a GPU: it registers `kevc::NAME`,
its fake implementation checks shapes and gives the result's shape and dtype, and torch.compile / make_fx trace
through it. (The op's real run and the C launcher are checked on the H100: bench/gpu/artifacts-check.sh.)"""

import importlib.util
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kevc():
    for sub in ("release", "debug"):
        path = os.path.join(ROOT, ".build", sub, "kevc")
        if os.path.exists(path):
            return path
    pytest.skip("no built kevc")



def passes_under_interpreter(spec, trace, shape):
    """`kevc run SPEC --target triton --schedule TRACE --shape SHAPE` under Triton's interpreter on the CPU: the
    harness's checks against the float64 reference (poisoned outputs, several distributions); asserts PASS."""
    env = dict(os.environ, TRITON_INTERPRET="1", KEVC_GPU_DEVICE="cpu")
    run = subprocess.run([kevc(), "run", spec, "--target", "triton", "--iterations", "0", "--shape", shape,
                          "--schedule", str(trace), "--gpu-timeout", "800"], env=env, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0 and run.stdout.strip().splitlines()[-1] == "PASS", (run.stdout + run.stderr)[-3000:]


def bench_shape(spec):
    """A spec's `bench` dims as a --shape argument (`N=8,C=64,...`)."""
    import re
    with open(spec) as f:
        for line in f:
            m = re.match(r"^\s*bench\s+(.*)", line)
            if m:
                return m.group(1).split("#")[0].replace(" ", "")
    raise AssertionError("no bench line in %s" % spec)

def load_op(tmp_path, spec, name):
    out = tmp_path / "out"
    subprocess.run([kevc(), "compile", os.path.join(ROOT, "specs", spec), "--target", "triton", "--name", name,
                    "--emit", "torch", "--dump-dir", str(out)], check=True)
    path = out / (name + "_torch.py")
    module_spec = importlib.util.spec_from_file_location(name + "_torch", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module
    module_spec.loader.exec_module(module)
    return module


def test_fake_impl_checks_shapes_and_traces(tmp_path):
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.fx.experimental.proxy_tensor import make_fx

    load_op(tmp_path, "softmax.kev", "sm_test_fake")
    op = torch.ops.kevc.sm_test_fake
    with FakeTensorMode():
        y = op(torch.empty(61, 203))
        assert tuple(y.shape) == (61, 203) and y.dtype == torch.float32
        with pytest.raises(ValueError, match="must be float32 \\(61, 203\\)"):
            op(torch.empty(61, 204))
    graph = make_fx(lambda x: op(x) * 2, tracing_mode="fake")(torch.randn(61, 203))
    assert any(n.target == op.default for n in graph.graph.nodes)


def test_torch_compile_traces_the_op(tmp_path):
    load_op(tmp_path, "softmax.kev", "sm_test_compile")
    op = torch.ops.kevc.sm_test_compile
    graphs = []

    def backend(gm, inputs):
        graphs.append(gm)
        return lambda *args: (torch.zeros(61, 203),)

    compiled = torch.compile(lambda x: op(x) + 1, backend=backend, fullgraph=True)
    compiled(torch.randn(61, 203))
    assert graphs and any(n.target in (op, op.default) for n in graphs[0].graph.nodes)
