"""kevc's softmax as a PyTorch custom op: `kevc compile --target triton --emit torch` wrote softmax_op_torch.py
(the Triton module plus the registration of torch.ops.kevc.softmax_op). Usage: python3 example.py DIR.

On a CUDA GPU it runs the op eagerly and under torch.compile and compares with torch.softmax. Without one it
checks what does not need a GPU: the fake implementation (shapes, dtype, shape errors) and torch.compile tracing."""

import importlib.util
import os
import sys

import torch

directory = sys.argv[1]
spec = importlib.util.spec_from_file_location("softmax_op_torch", os.path.join(directory, "softmax_op_torch.py"))
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
op = torch.ops.kevc.softmax_op
M, N = 512, 1000

if torch.cuda.is_available():
    x = torch.randn(M, N, device="cuda")
    eager = op(x)
    compiled = torch.compile(lambda t: op(t) * 2, fullgraph=True)(x) / 2
    want = torch.softmax(x.double(), dim=1).float()
    err = max((eager - want).abs().max().item(), (compiled - want).abs().max().item())
    print("torch op on %s: worst error %.3g" % (torch.cuda.get_device_name(0), err))
    sys.exit(0 if err < 1e-5 else 1)

from torch._subclasses.fake_tensor import FakeTensorMode  # noqa: E402

with FakeTensorMode():
    y = op(torch.empty(M, N))
    assert tuple(y.shape) == (M, N) and y.dtype == torch.float32
    try:
        op(torch.empty(M, N + 1))
        sys.exit("a wrong shape was accepted")
    except ValueError as e:
        print("wrong shape refused:", e)
graphs = []
torch.compile(lambda t: op(t) + 1, backend=lambda gm, _: graphs.append(gm) or (lambda *a: (torch.zeros(M, N),)),
              fullgraph=True)(torch.randn(M, N))
assert any("kevc.softmax_op" in str(n.target) for n in graphs[0].graph.nodes)
print("torch op traced by torch.compile (no GPU here: the fake implementation ran)")
