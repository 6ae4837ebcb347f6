"""convprop.nn.functional: PyTorch's functional names and arguments on convprop Tensors."""

from __future__ import annotations

import math

import numpy as np

from .. import functions as ops
from ..arguments import MAX_INT, as_float, as_int, fmt
from ..autograd import Tensor
from ..rng import generator
from .functional_family import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from .functional_nd import pad, tensor_arg

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "batch_norm",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cross_entropy",
    "dropout",
    "flatten",
    "leaky_relu",
    "linear",
    "log_softmax",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "mse_loss",
    "nll_loss",
    "pad",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


def batch_norm(
    input: Tensor,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """PyTorch's batch_norm: batch statistics in training (updating the running ones in
    place, with the unbiased variance), running statistics otherwise."""
    input = tensor_arg("batch_norm", "input", input)
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm: expected an (N, C, ...) input of 2 or more dimensions, got shape "
            f"{fmt(input.shape)}"
        )
    if training:
        check_batch_statistics("batch_norm", input.shape, as_float("batch_norm", "eps", eps))
    channels = input.shape[1]
    gamma = weight if weight is not None else Tensor(np.ones(channels, input.dtype))
    beta = bias if bias is not None else Tensor(np.zeros(channels, input.dtype))
    if training:
        y, fn = ops.BatchNorm.apply_with(input, gamma, beta, eps=eps)
        assert isinstance(fn, ops.BatchNorm)
        if running_mean is not None and running_var is not None:  # the batch's statistics
            n = input.numel() // channels
            running_mean *= 1 - momentum
            running_mean += momentum * fn.mean
            running_var *= 1 - momentum
            running_var += momentum * fn.var * n / max(n - 1, 1)
        return y
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: evaluation needs running_mean and running_var")
    shape = (1, -1) + (1,) * (input.ndim - 2)
    scale = Tensor((1 / np.sqrt(running_var + eps)).reshape(shape).astype(input.dtype))
    centred = input - Tensor(running_mean.reshape(shape).astype(input.dtype))
    return centred * scale * gamma.reshape(shape) + beta.reshape(shape)


def check_batch_statistics(op: str, shape: tuple[int, ...], eps: float) -> None:
    """Batch statistics need more than one value per channel (PyTorch's rule: one value has
    no variance, its normalised output is 0); an empty batch has none at all, and its NaN
    mean and variance would overwrite the running statistics; eps must be positive (PyTorch's
    rule in training: a constant channel would divide by 0). O(1): shape arithmetic only."""
    if not eps > 0:
        raise ValueError(f"{op}: batch_norm eps must be positive during training, but got {eps}")
    per_channel = shape[0] * math.prod(shape[2:])
    if per_channel == 0:
        raise ValueError(
            f"{op}: cannot compute batch statistics of an empty input, got input size "
            f"{fmt(shape)} (in training, or without running statistics, every channel needs "
            "values; the running statistics are left as they were)"
        )
    if per_channel == 1:
        raise ValueError(
            f"{op}: Expected more than 1 value per channel when training, got input size "
            f"{fmt(shape)}"
        )


def check_dropout_p(op: str, p: float) -> float:
    """p a real number in [0, 1], in PyTorch's words."""
    value = as_float(op, "p", p)
    if not 0 <= value <= 1:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    return value


def relu(input: Tensor) -> Tensor:
    return ops.ReLU.apply(tensor_arg("relu", "input", input))


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    slope = as_float("leaky_relu", "negative_slope", negative_slope)
    return ops.LeakyReLU.apply(tensor_arg("leaky_relu", "input", input), negative_slope=slope)


def sigmoid(input: Tensor) -> Tensor:
    return ops.Sigmoid.apply(tensor_arg("sigmoid", "input", input))


def tanh(input: Tensor) -> Tensor:
    return ops.Tanh.apply(tensor_arg("tanh", "input", input))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    as_float("elu", "alpha", alpha)
    return ops.ELU.apply(tensor_arg("elu", "input", input), alpha=float(alpha))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return ops.GELU.apply(tensor_arg("gelu", "input", input), approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return ops.SiLU.apply(tensor_arg("silu", "input", input))


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    low, high = as_float("hardtanh", "min_val", min_val), as_float("hardtanh", "max_val", max_val)
    if low > high:
        raise ValueError(f"hardtanh: min_val ({low}) cannot be greater than max_val ({high})")
    return ops.Hardtanh.apply(tensor_arg("hardtanh", "input", input), low=low, high=high)


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:
    x = tensor_arg("log_softmax", "input", input)
    size = max(x.ndim, 1)
    if isinstance(dim, bool) or not isinstance(dim, int) or not -size <= dim < size:
        raise ValueError(
            f"log_softmax: Dimension out of range (expected to be in range of [{-size}, "
            f"{size - 1}], but got {dim!r}); input shape {tuple(x.shape)}"
        )
    return ops.LogSoftmax.apply(x, dim=dim)


def softmax(input: Tensor, dim: int = -1) -> Tensor:
    return log_softmax(tensor_arg("softmax", "input", input), dim).exp()


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, weight (out_features, in_features), as PyTorch."""
    y = tensor_arg("linear", "input", input) @ tensor_arg("linear", "weight", weight).T
    return y if bias is None else y + tensor_arg("linear", "bias", bias)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return flatten_as("flatten", tensor_arg("flatten", "input", input), start_dim, end_dim)


def flatten_as(op: str, x: Tensor, start_dim: int, end_dim: int) -> Tensor:
    """torch.flatten's rules: dims in [-ndim, ndim) (a 0-D input counts as 1-D), start_dim
    not after end_dim; the axes start_dim..end_dim become one. O(1) in the data."""
    rank = max(x.ndim, 1)
    dims = []
    for name, value in (("start_dim", start_dim), ("end_dim", end_dim)):
        d = as_int(op, name, value, -MAX_INT)
        if not -rank <= d < rank:
            raise ValueError(
                f"{op}: {name} out of range (expected to be in range of [{-rank}, {rank - 1}], "
                f"but got {d}); input shape {fmt(x.shape)}"
            )
        dims.append(d % rank)
    start, end = dims
    if start > end:
        raise ValueError(
            f"{op}: start_dim cannot come after end_dim, got start_dim={start_dim}, "
            f"end_dim={end_dim} for input shape {fmt(x.shape)}"
        )
    if x.ndim == 0:
        return x.reshape(1)
    shape = x.shape
    return x.reshape(*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])


def dropout(
    input: Tensor, p: float = 0.5, training: bool = True, *, seed: int | None = None
) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout)."""
    check_dropout_p("dropout", p)
    input = tensor_arg("dropout", "input", input)
    if not training or p == 0:
        return input
    rng = generator() if seed is None else np.random.default_rng(seed)
    keep = rng.random(input.shape) >= p
    scale = np.zeros(input.shape, input.dtype) if p == 1 else keep.astype(input.dtype) / (1 - p)
    return input * Tensor(scale)


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_target(op: str, input: Tensor, target: Tensor) -> np.ndarray:
    input = tensor_arg(op, "input", input)
    labels = np.asarray(target.array if isinstance(target, Tensor) else target)
    if input.ndim != 2 or labels.shape != (input.shape[0],) or labels.dtype.kind not in "iu":
        raise ValueError(
            f"{op}: expected input (N, C) and integer target (N,), got input {input.shape}, "
            f"target {labels.shape} {labels.dtype}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= input.shape[1]):
        raise ValueError(
            f"{op}: target labels must lie in [0, {input.shape[1]}), "
            f"got {labels.min()}..{labels.max()}"
        )
    return labels


def nll_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """-input[n, target[n]], reduced: the loss for log-probabilities."""
    labels = _check_target("nll_loss", input, target)
    input = tensor_arg("nll_loss", "input", input)
    return _reduce(-input[np.arange(len(labels)), labels], reduction, "nll_loss")


def cross_entropy(
    input: Tensor, target: Tensor, reduction: str = "mean", label_smoothing: float = 0.0
) -> Tensor:
    """log_softmax then nll_loss; with label smoothing e the target is (1-e) one-hot + e/C."""
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    input = tensor_arg("cross_entropy", "input", input)
    if input.ndim != 2:
        _check_target("cross_entropy", input, target)  # raises, naming the shapes
    logp = log_softmax(input, dim=1)
    loss = nll_loss(logp, target, reduction="none")
    if label_smoothing:
        uniform = -logp.mean(dim=1)
        loss = loss * (1 - label_smoothing) + uniform * label_smoothing
    return _reduce(loss, reduction, "cross_entropy")


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    input = tensor_arg("mse_loss", "input", input)
    target = tensor_arg("mse_loss", "target", target)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input {input.shape} and target {target.shape} must match")
    return _reduce((input - target) ** 2, reduction, "mse_loss")
