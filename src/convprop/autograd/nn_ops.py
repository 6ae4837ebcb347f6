"""Network operations as Functions: convolution and pooling call convprop.kernels, so the
course's gradients are the ones that train the network; activations and log-softmax too."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import kernels as K
from ..kernels import conv_core, pool
from ..kernels.adaptive import (
    adaptive_avg_core_backward,
    adaptive_max_core_backward,
    max_unpool_core_backward,
)
from ..kernels.lp_pool import lp_pool_core_backward, lp_pool_planned
from ..kernels.max_pool import flat_indices, max_pool_planned, route_switches, split_ties
from ..kernels.padding import pad_core_backward, pad_planned
from .function import Function

# Each op validates once: its forward calls a checked kernel entry that returns the output
# with what the backward needs (the geometry, the chosen algorithm, the switches, the
# divisors), and its backward calls the unchecked primitives with them (issue 15).

SPATIAL_DIMS = (1, 2, 3)


def _dims(x: np.ndarray, op: str) -> int:
    if x.ndim - 2 not in SPATIAL_DIMS:
        raise ValueError(f"{op}: expected a batched 1-D, 2-D or 3-D input, got shape {x.shape}")
    return x.ndim - 2


class Conv(Function):
    """conv1d, conv2d or conv3d, by the input's number of spatial dimensions."""

    def forward(
        self,
        x: np.ndarray,
        w: np.ndarray,
        b: np.ndarray | None = None,
        *,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        algorithm: str = "auto",
        convention: str = "correlation",
    ) -> np.ndarray:
        dims = _dims(x, "conv")
        self.x, self.w, self.has_bias = x, w, b is not None
        args = (stride, padding, dilation, groups, algorithm, convention)
        y, self.plan = conv_core.convolve_planned(f"conv{dims}d", dims, x, w, b, *args)
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        # see conv_core.planned_backward (the first layer's input needs no gradient: skipped)
        need_x, need_w = self.needs_input_grad[:2]
        gx, gw, gb = conv_core.planned_backward(self.plan, g, self.x, self.w, need_x, need_w)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class ConvTranspose(Function):
    """conv_transpose1d, 2d or 3d, by the input's number of spatial dimensions."""

    def forward(
        self,
        x: np.ndarray,
        w: np.ndarray,
        b: np.ndarray | None = None,
        *,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        dilation: Any = 1,
        algorithm: str = "auto",
    ) -> np.ndarray:
        dims = _dims(x, "conv_transpose")
        self.x, self.w, self.has_bias = x, w, b is not None
        args = (stride, padding, output_padding, groups, dilation, algorithm)
        op = f"conv_transpose{dims}d"
        y, self.plan = conv_core.transpose_convolve_planned(op, dims, x, w, b, *args)
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        # see conv_core.transpose_planned_backward
        need_x, need_w = self.needs_input_grad[:2]
        gx, gw, gb = conv_core.transpose_planned_backward(
            self.plan, g, self.x, self.w, need_x, need_w
        )
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class MaxPool(Function):
    """max_pool1d, 2d or 3d, by the input's number of spatial dimensions."""

    def forward(self, x: np.ndarray, *, ties: str = "first", **params: Any) -> np.ndarray:
        if ties not in ("first", "split"):
            raise ValueError(f"max_pool: ties must be 'first' or 'split', got {ties!r}")
        y, self.switches, self.geometry = max_pool_planned(x, **params)
        self.shape = x.shape
        self.x = x if ties == "split" else None  # splitting ties needs the input's maxima
        return y

    @property
    def indices(self) -> np.ndarray:
        """PyTorch's flat indices (r*W + c in 2-D) of the winners (return_indices=True)."""
        return flat_indices(self.switches, self.geometry)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each gradient goes to its window's recorded winner (switch), or is split evenly
        # among the window's maxima (ties="split")
        if self.x is not None:
            return (split_ties(self.x, g, self.geometry),)
        return (route_switches(g, self.switches, self.shape, self.geometry),)


class AvgPool(Function):
    """avg_pool1d, 2d or 3d, by the input's number of spatial dimensions."""

    def forward(
        self,
        x: np.ndarray,
        *,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
        dilation: Any = 1,
    ) -> np.ndarray:
        dims = _dims(x, "avg_pool")
        self.shape = x.shape
        args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
        y, self.geometry, self.divisor = pool.average_planned(
            f"avg_pool{dims}d", dims, x, *args, dilation
        )
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each input of a window gets the window's gradient divided by its divisor
        return (pool.average_core_backward(g, self.shape, self.geometry, self.divisor),)


PAD_MODES: tuple[str, ...] = K.padding.MODES  # for nn's checks: nn never imports the kernels


class Pad(Function):
    """F.pad's constant, reflect, replicate and circular modes."""

    def forward(self, x: np.ndarray, *, pads: Any, mode: str, value: float) -> np.ndarray:
        y, self.pads = pad_planned(x, pads, mode, value)
        self.mode = mode
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each padded cell's gradient goes back to the input cell it was read from
        return (pad_core_backward(g, self.pads, self.mode),)


class ReLU(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.maximum(x, 0)  # NaN stays NaN, as PyTorch
        return self.y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # d relu/dx = 1 where x > 0, else 0 (0 at 0, as PyTorch); y > 0 exactly where x > 0
        passed = self.y > 0
        with np.errstate(invalid="ignore"):
            gx = g * passed  # 12x faster than np.where here; but inf * 0 is NaN, not 0
        if np.isnan(gx).any():
            gx = np.where(passed, g, 0).astype(g.dtype, copy=False)
        return (gx,)


class LeakyReLU(Function):
    def forward(self, x: np.ndarray, *, negative_slope: float) -> np.ndarray:
        self.slope = np.where(x > 0, 1, negative_slope).astype(x.dtype)
        return x * self.slope

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        return (g * self.slope,)


class Sigmoid(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        # 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) below: no overflow either way
        e = np.exp(-np.abs(x))
        self.y = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        return self.y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # d sigmoid/dx = y (1 - y)
        return (g * self.y * (1 - self.y),)


class Tanh(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(x)
        return self.y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # d tanh/dx = 1 - y^2
        return (g * (1 - self.y * self.y),)


class LogSoftmax(Function):
    def forward(self, x: np.ndarray, *, dim: int) -> np.ndarray:
        # x - max - log(sum(exp(x - max))): stable for any x
        shifted = x - x.max(axis=dim, keepdims=True)
        self.y = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        self.dim = dim
        return self.y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # d log_softmax: g - softmax * sum(g)
        return (g - np.exp(self.y) * g.sum(axis=self.dim, keepdims=True),)


class BatchNorm(Function):
    """Batch normalisation over every axis but the channels (axis 1), training mode."""

    def forward(
        self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float
    ) -> np.ndarray:
        axes = (0, *range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        self.mean = x.mean(axis=axes)
        self.var = x.var(axis=axes)  # biased, as used for normalising
        self.inv_std = 1 / np.sqrt(self.var + eps)
        self.x_hat = (x - self.mean.reshape(shape)) * self.inv_std.reshape(shape)
        self.gamma, self.axes, self.shape = gamma, axes, shape
        return self.x_hat * gamma.reshape(shape) + beta.reshape(shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # dx = gamma/sigma * (g - mean(g) - x_hat * mean(g * x_hat))
        # dgamma = sum g * x_hat;  dbeta = sum g
        g_gamma = (g * self.x_hat).sum(axis=self.axes)
        g_beta = g.sum(axis=self.axes)
        count = g.size // g.shape[1]
        gx = (self.gamma * self.inv_std).reshape(self.shape) * (
            g
            - (g_beta / count).reshape(self.shape)
            - self.x_hat * (g_gamma / count).reshape(self.shape)
        )
        return gx.astype(g.dtype, copy=False), g_gamma, g_beta


class AdaptiveAvgPool(Function):
    """Average over PyTorch's adaptive boxes, any number of spatial dimensions."""

    def forward(self, x: np.ndarray, *, output_size: Any) -> np.ndarray:
        self.shape = x.shape
        return K.adaptive_avg_pool(x, output_size)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each input of box i gets dL/dY[i] / (box i's volume)
        return (adaptive_avg_core_backward(g, self.shape),)


class AdaptiveMaxPool(Function):
    def forward(self, x: np.ndarray, *, output_size: Any) -> np.ndarray:
        self.shape = x.shape
        y, self.indices = K.adaptive_max_pool(x, output_size)
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each gradient goes to its box's winner (summed where boxes share one)
        return (adaptive_max_core_backward(g, self.indices, self.shape),)


class MaxUnpool(Function):
    def forward(self, x: np.ndarray, indices: np.ndarray, *, output_size: Any) -> np.ndarray:
        self.indices = indices
        return K.max_unpool(x, indices, output_size)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        # dL/dX[i] = dL/dY at the cell input i was placed in; indices get no gradient
        return (max_unpool_core_backward(g, self.indices), None)


class LPPool(Function):
    def forward(self, x: np.ndarray, **params: Any) -> np.ndarray:
        y, self.sums, self.x, self.plan = lp_pool_planned(x, **params)
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # y = S^(1/p), S = sum_window x^p: dL/dx = sum_windows dL/dy * S^(1/p-1) * x^(p-1)
        # (zero where S == 0, as PyTorch's autograd; see kernels/lp_pool.py)
        return (lp_pool_core_backward(g, self.x, self.sums, self.plan),)
