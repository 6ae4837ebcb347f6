"""The layers of a CNN as Modules, with PyTorch's names, arguments, defaults and shapes."""

from __future__ import annotations

import numpy as np

from ..arguments import MAX_INT
from ..autograd import Tensor
from . import functional as F
from ._checks import as_bool, as_float, as_int, module_input, parameter
from .init import default_layer_init_, ones_, zeros_
from .module import Module


class Linear(Module):
    """y = x W^T + b; weight (out_features, in_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()  # 0 features are PyTorch's too: an empty sum (the bias), or no output
        in_features = as_int("Linear", "in_features", in_features, 0)
        out_features = as_int("Linear", "out_features", out_features, 0)
        has_bias = as_bool("Linear", "bias", bias)
        self.in_features, self.out_features = in_features, out_features
        self.weight = parameter("Linear", "weight", out_features, in_features)
        self.bias = parameter("Linear", "bias", out_features) if has_bias else None
        default_layer_init_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        sizes = f"in_features={self.in_features}, out_features={self.out_features}"
        return f"{sizes}, bias={self.bias is not None}"


class BatchNorm2d(Module):
    """Normalise each channel by the batch's statistics in training (updating running
    averages with `momentum`), by the running statistics in eval."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        op = "BatchNorm2d"
        num_features = as_int(op, "num_features", num_features, 1)
        as_float(op, "eps", eps, 0.0)
        if momentum is not None:  # None: the cumulative average, 1/num_batches_tracked
            as_float(op, "momentum", momentum)
        affine = as_bool(op, "affine", affine)
        track_running_stats = as_bool(op, "track_running_stats", track_running_stats)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = ones_(parameter(op, "weight", num_features)) if affine else None
        self.bias = zeros_(parameter(op, "bias", num_features)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, np.float32))
            self.register_buffer("running_var", np.ones(num_features, np.float32))
            self.register_buffer("num_batches_tracked", np.zeros((), np.int64))

    def forward(self, x: Tensor) -> Tensor:
        x = module_input("BatchNorm2d", x)
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm2d: expected (N, {self.num_features}, H, W) input, got shape "
                f"{tuple(x.shape)}"
            )
        use_batch = self.training or not self.track_running_stats
        if use_batch:  # before num_batches_tracked moves: a refused batch changes nothing
            F.check_batch_statistics("BatchNorm2d", x.shape, self.eps)
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            if momentum is None:  # PyTorch's cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked)
        tracked = self.track_running_stats
        mean, var = (self.running_mean, self.running_var) if tracked else (None, None)
        if tracked and not use_batch:  # read only: float32 statistics promote to a float64 x
            mean, var = (np.asarray(s, np.result_type(s, x.dtype)) for s in (mean, var))
        return F.batch_norm(
            x,
            mean,
            var,
            self.weight,
            self.bias,
            use_batch,
            0.0 if momentum is None else momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
        )


class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = as_int("Flatten", "start_dim", start_dim, -MAX_INT)
        self.end_dim = as_int("Flatten", "end_dim", end_dim, -MAX_INT)

    def forward(self, x: Tensor) -> Tensor:
        return F.flatten_as("Flatten", module_input("Flatten", x), self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        F.check_dropout_p("Dropout", p)
        as_bool("Dropout", "inplace", inplace)
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class ReLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        as_bool("ReLU", "inplace", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        as_float("LeakyReLU", "negative_slope", negative_slope)
        as_bool("LeakyReLU", "inplace", inplace)
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class ELU(Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = as_float("ELU", "alpha", alpha)
        as_bool("ELU", "inplace", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha)


class GELU(Module):
    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)


class SiLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        as_bool("SiLU", "inplace", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)


class Hardtanh(Module):
    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.min_val, self.max_val = (
            as_float("Hardtanh", "min_val", min_val),
            as_float("Hardtanh", "max_val", max_val),
        )
        if self.min_val > self.max_val:
            raise ValueError("Hardtanh: min_val cannot be greater than max_val")
        as_bool("Hardtanh", "inplace", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val)


def _softmax_dim(dim: int | None, x: Tensor) -> int:
    """dim=None picks PyTorch's legacy axis: 0 for 0-, 1- and 3-D input, else 1."""
    if dim is not None:
        return dim
    return 0 if x.ndim in (0, 1, 3) else 1


class Softmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, _softmax_dim(self.dim, x))


class LogSoftmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, _softmax_dim(self.dim, x))
