"""PyTorch baselines of the KernelBench corpus (specs/kernelbench/): each spec's problem written as KernelBench's
`Model.forward` writes it (library calls: F.conv2d, nn.GroupNorm's F.group_norm, torch.cumsum, F.cross_entropy, ...),
taking the spec's parameters by name (weights and biases that are module parameters in KernelBench are inputs of the
spec) and returning its results in order. bench/kernelbench/run.py times them eager and under torch.compile and,
at the specs' small default shapes, checks them against kevc's float64 reference (`run.py check`), which ties each
spec to the problem it claims to state.

Why not the generated reference module's `eager()`: it is a chunked evaluation of the kernel IR (a triangular sum
for a cumsum, a loop over windows for a pooling), not what a PyTorch user runs (docs/gpu-harness.md).
"""
import torch
import torch.nn.functional as F


def _kl_div_prepare(a, b):
    # KernelBench's get_inputs() passes softmax rows; the spec takes their logits (specs/kernelbench/kl_div_loss.kev).
    return {"predictions": a.softmax(dim=-1), "targets": b.softmax(dim=-1)}


# name -> fn(dims, **inputs) returning the result (or a tuple of results, in the spec's order).
FUNCTIONS = {
    # convolutions
    "conv1d_standard": lambda d, x, w: F.conv1d(x, w),
    "conv1d_dilated_strided": lambda d, x, w: F.conv1d(x, w, stride=3, dilation=4),
    "conv2d_square": lambda d, x, w: F.conv2d(x, w),
    "conv2d_dilated_padded": lambda d, x, w: F.conv2d(x, w, padding=(2, 4), dilation=(2, 3)),
    "conv3d_square": lambda d, x, w: F.conv3d(x, w),
    "conv_depthwise2d": lambda d, x, w: F.conv2d(x, w, groups=x.shape[1]),
    "conv_pointwise2d": lambda d, x, w: F.conv2d(x, w),
    "conv_transposed1d": lambda d, x, w: F.conv_transpose1d(x, w),
    "conv_transposed1d_strided": lambda d, x, w: F.conv_transpose1d(x, w, stride=2, padding=1, dilation=2),
    "conv_transposed2d": lambda d, x, w: F.conv_transpose2d(x, w),
    "conv_transposed3d": lambda d, x, w: F.conv_transpose3d(x, w),
    # pooling
    "max_pool1d": lambda d, x: F.max_pool1d(x, 8, stride=1, padding=4, dilation=3),
    "max_pool2d": lambda d, x: F.max_pool2d(x, 4, stride=1, padding=1, dilation=1),
    "max_pool3d": lambda d, x: F.max_pool3d(x, 3, stride=2, padding=1, dilation=3),
    "avg_pool1d": lambda d, x: F.avg_pool1d(x, 8, stride=1, padding=4),
    "avg_pool2d": lambda d, x: F.avg_pool2d(x, 11),
    "avg_pool3d": lambda d, x: F.avg_pool3d(x, 3, stride=2, padding=1),
    # norms (training-mode batch norm: batch statistics)
    "batch_norm2d": lambda d, x, weight, bias: F.batch_norm(x, None, None, weight, bias, training=True, eps=1e-5),
    "instance_norm2d": lambda d, x: F.instance_norm(x, eps=1e-5),
    "group_norm": lambda d, x, weight, bias: F.group_norm(x, d["G"], weight, bias, eps=1e-5),
    "rms_norm_channels": lambda d, x: x / torch.sqrt(torch.mean(x ** 2, dim=1, keepdim=True) + 1e-5),
    "frobenius_norm": lambda d, x: x / torch.norm(x, p="fro"),
    "layer_norm3d": lambda d, x, weight, bias: F.layer_norm(x, tuple(x.shape[1:]), weight, bias, eps=1e-5),
    # losses
    "mse_loss_f32": lambda d, predictions, targets: torch.mean((predictions - targets) ** 2),
    "huber_loss": lambda d, predictions, targets: F.smooth_l1_loss(predictions, targets),
    "kl_div_loss": lambda d, predictions, targets: F.kl_div(torch.log(predictions), targets, reduction="batchmean"),
    "cross_entropy_loss": lambda d, predictions, targets: F.cross_entropy(predictions, targets),
    "hinge_loss": lambda d, predictions, targets: torch.mean(torch.clamp(1 - predictions * targets, min=0)),
    "cosine_similarity_loss": lambda d, predictions, targets:
        torch.mean(1 - F.cosine_similarity(predictions, targets, dim=1)),
    "triplet_margin_loss": lambda d, anchor, positive, negative:
        F.triplet_margin_loss(anchor, positive, negative, margin=1.0),
    # scans
    "scan_cumsum": lambda d, x: torch.cumsum(x, dim=1),
    "scan_cumprod": lambda d, x: torch.cumprod(x, dim=1),
    "scan_cumsum_reverse": lambda d, x: torch.cumsum(x.flip(1), dim=1).flip(1),
    "scan_cumsum_exclusive": lambda d, x: torch.cat(
        (torch.zeros_like(x.select(1, 0).unsqueeze(1)), torch.cumsum(x.narrow(1, 0, x.size(1) - 1), dim=1)), dim=1),
    "scan_masked_cumsum": lambda d, x, mask: torch.cumsum(x * mask, dim=1),
    # reductions over dim 1 of (B, R, D)
    "reduce_sum_dim1": lambda d, x: torch.sum(x, dim=1, keepdim=True),
    "reduce_mean_dim1": lambda d, x: torch.mean(x, dim=1),
    "reduce_max_dim1": lambda d, x: torch.max(x, dim=1)[0],
    "reduce_min_dim1": lambda d, x: torch.min(x, dim=1)[0],
    "reduce_argmax_dim1": lambda d, x: torch.argmax(x, dim=1),
    "reduce_argmin_dim1": lambda d, x: torch.argmin(x, dim=1),
    # matmul variants
    "matmul_batched": lambda d, A, B: torch.bmm(A, B),
    "matvec": lambda d, A, B: torch.matmul(A, B),
    "matmul_3d_tensor_matrix": lambda d, A, B: torch.matmul(A, B),
    "matmul_diag": lambda d, A, B: A.unsqueeze(1) * B,
    "matmul_upper_triangular": lambda d, A, B: torch.triu(torch.matmul(A, B)),
    "matmul_transposed_a": lambda d, A, B: torch.matmul(A.T, B),
    "matmul_transposed_b": lambda d, A, B: torch.matmul(A, B.T),
    "matmul_tall_skinny": lambda d, A, B: torch.matmul(A, B),
    # activations
    "leaky_relu": lambda d, x: F.leaky_relu(x, negative_slope=0.01),
    "selu": lambda d, x: torch.selu(x),
    "hardsigmoid": lambda d, x: F.hardsigmoid(x),
    "softplus": lambda d, x: F.softplus(x),
    "gelu_tanh": lambda d, x: 0.5 * x * (1.0 + torch.tanh(0.7978845608028654 * (x + 0.044715 * torch.pow(x, 3.0)))),
    "log_softmax": lambda d, x: torch.log_softmax(x, dim=1),
    # level 2 fused chains
    "gemm_multiply_leaky_relu": lambda d, x, weight, bias: F.leaky_relu(F.linear(x, weight, bias) * 2.0, 0.1),
    "gemm_divide_sum_scaling": lambda d, x, weight: torch.sum(torch.matmul(x, weight.T) / 2, dim=1, keepdim=True) * 1.5,
    "gemm_sigmoid_logsumexp": lambda d, x, w1, b1, w2, b2:
        torch.logsumexp(F.linear(torch.sigmoid(F.linear(x, w1, b1)), w2, b2), dim=1),
    "gemm_scale_batch_norm": lambda d, x, weight, bias, scale, bn_w, bn_b:
        F.batch_norm(F.linear(x, weight, bias) * scale, None, None, bn_w, bn_b, training=True, eps=1e-5),
    "matmul_sigmoid_sum": lambda d, x, weight, bias: torch.sum(torch.sigmoid(F.linear(x, weight, bias)), dim=1, keepdim=True),
    "matmul_gelu_softmax": lambda d, x, weight, bias: F.softmax(F.gelu(F.linear(x, weight, bias)), dim=1),
    "conv2d_relu_bias_add": lambda d, x, w, cb, bias: torch.relu(F.conv2d(x, w, cb)) + bias,
    "conv2d_instance_norm_divide": lambda d, x, w, cb: F.instance_norm(F.conv2d(x, w, cb), eps=1e-5) / 2.0,
    "conv2d_gelu_global_avg_pool": lambda d, x, w, cb:
        F.adaptive_avg_pool2d(F.gelu(F.conv2d(x, w, cb)), 1).squeeze(-1).squeeze(-1),
    "conv3d_group_norm_mean": lambda d, x, w, cb, gw, gb:
        F.group_norm(F.conv3d(x, w, cb), d["G"], gw, gb, eps=1e-5).mean(dim=[1, 2, 3, 4]),
    "conv_transpose2d_subtract_tanh": lambda d, x, w, cb, bias:
        torch.tanh(F.conv_transpose2d(x, w, cb, stride=2, padding=1, output_padding=1) - bias),
}

# Inputs KernelBench's get_inputs() derives from the random ones before the model sees them (not timed).
PREPARE = {"kl_div_loss": lambda inputs: _kl_div_prepare(inputs["a"], inputs["b"])}


def baseline(name, dims, inputs):
    """(fn, kwargs): the PyTorch function of spec `name` and its arguments, from the spec's inputs (by name)."""
    fn = FUNCTIONS[name]
    args = PREPARE[name](inputs) if name in PREPARE else dict(inputs)
    return (lambda **kw: fn(dims, **kw)), args
