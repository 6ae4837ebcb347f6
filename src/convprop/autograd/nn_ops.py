"""Network operations as Functions: convolution and pooling call convprop.kernels, so the
course's gradients are the ones that train the network; activations and log-softmax too."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import kernels as K
from .function import Function

CONV = {  # spatial dimensions -> (forward, backward, input gradient, weight gradient)
    1: (K.conv1d, K.conv1d_backward, K.conv1d_input, K.conv1d_weight),
    2: (K.conv2d, K.conv2d_backward, K.conv2d_input, K.conv2d_weight),
    3: (K.conv3d, K.conv3d_backward, K.conv3d_input, K.conv3d_weight),
}
CONV_TRANSPOSE = {
    1: (K.conv_transpose1d, K.conv_transpose1d_backward),
    2: (K.conv_transpose2d, K.conv_transpose2d_backward),
    3: (K.conv_transpose3d, K.conv_transpose3d_backward),
}
AVG_POOL = {
    1: (K.avg_pool1d, K.avg_pool1d_backward),
    2: (K.avg_pool2d, K.avg_pool2d_backward),
    3: (K.avg_pool3d, K.avg_pool3d_backward),
}


def _kernels(table: dict[int, Any], x: np.ndarray, op: str) -> Any:
    if x.ndim - 2 not in table:
        raise ValueError(f"{op}: expected a batched 1-D, 2-D or 3-D input, got shape {x.shape}")
    return table[x.ndim - 2]


class Conv(Function):
    """conv1d, conv2d or conv3d, by the input's number of spatial dimensions."""

    def forward(
        self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, **params: Any
    ) -> np.ndarray:
        self.x, self.w, self.has_bias, self.params = x, w, b is not None, params
        self.kernels = _kernels(CONV, x, "conv")
        return self.kernels[0](x, w, b, **params)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        # dL/dX = dL/dY fully convolved with W; dL/dW = X correlated with dL/dY; dL/db = sum dL/dY
        _, both, only_x, only_w = self.kernels
        need_x, need_w = self.needs_input_grad[:2]
        gx: np.ndarray | None
        gw: np.ndarray | None
        if need_x and need_w:
            gx, gw, gb = both(g, self.x, self.w, **self.params)
        else:  # the first layer's input needs no gradient: skip its col2im
            gx = only_x(self.x.shape, self.w, g, **self.params) if need_x else None
            gw = only_w(self.x, self.w.shape, g, **self.params) if need_w else None
            gb = g.sum(axis=(0, *range(2, g.ndim)))
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class ConvTranspose(Function):
    """conv_transpose1d, 2d or 3d, by the input's number of spatial dimensions."""

    def forward(
        self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, **params: Any
    ) -> np.ndarray:
        self.x, self.w, self.has_bias, self.params = x, w, b is not None, params
        self.kernels = _kernels(CONV_TRANSPOSE, x, "conv_transpose")
        return self.kernels[0](x, w, b, **params)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, ...]:
        # dL/dx = conv(dL/dy, W); dL/dW = conv's weight gradient with the roles swapped
        gx, gw, gb = self.kernels[1](g, self.x, self.w, **self.params)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class MaxPool(Function):
    """max_pool1d, 2d or 3d, by the input's number of spatial dimensions."""

    def forward(self, x: np.ndarray, *, ties: str = "first", **params: Any) -> np.ndarray:
        if ties not in ("first", "split"):
            raise ValueError(f"max_pool: ties must be 'first' or 'split', got {ties!r}")
        y, self.switches = K.max_pool_switches(x, **params)
        self.shape, self.params = x.shape, params
        self.x = x if ties == "split" else None  # splitting ties needs the input's maxima
        return y

    @property
    def indices(self) -> np.ndarray:
        """PyTorch's flat indices (r*W + c in 2-D) of the winners (return_indices=True)."""
        return K.max_pool_indices(self.switches, self.shape, **self.params)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each gradient goes to its window's recorded winner (switch), or is split evenly
        # among the window's maxima (ties="split")
        if self.x is not None:
            return (K.max_pool_grad(self.x, g, **self.params, ties="split"),)
        return (K.max_pool_switches_backward(g, self.switches, self.shape, **self.params),)


class AvgPool(Function):
    """avg_pool1d, 2d or 3d, by the input's number of spatial dimensions."""

    def forward(self, x: np.ndarray, **params: Any) -> np.ndarray:
        self.shape, self.params = x.shape, params
        self.kernels = _kernels(AVG_POOL, x, "avg_pool")
        return self.kernels[0](x, **params)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each input of a window gets the window's gradient divided by its divisor
        return (self.kernels[1](g, self.shape, **self.params),)


PAD_MODES: tuple[str, ...] = K.padding.MODES  # for nn's checks: nn never imports the kernels


class Pad(Function):
    """F.pad's constant, reflect, replicate and circular modes."""

    def forward(self, x: np.ndarray, *, pads: Any, mode: str, value: float) -> np.ndarray:
        self.pads, self.mode = pads, mode
        return K.pad(x, pads, mode, value)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each padded cell's gradient goes back to the input cell it was read from
        return (K.pad_backward(g, self.pads, self.mode),)


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
        return (K.adaptive_avg_pool_backward(g, self.shape),)


class AdaptiveMaxPool(Function):
    def forward(self, x: np.ndarray, *, output_size: Any) -> np.ndarray:
        self.shape = x.shape
        y, self.indices = K.adaptive_max_pool(x, output_size)
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each gradient goes to its box's winner (summed where boxes share one)
        return (K.adaptive_max_pool_backward(g, self.indices, self.shape),)


class MaxUnpool(Function):
    def forward(self, x: np.ndarray, indices: np.ndarray, *, output_size: Any) -> np.ndarray:
        self.indices = indices
        return K.max_unpool(x, indices, output_size)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        # dL/dX[i] = dL/dY at the cell input i was placed in; indices get no gradient
        return (K.max_unpool_backward(g, self.indices), None)


class LPPool(Function):
    def forward(self, x: np.ndarray, **params: Any) -> np.ndarray:
        self.x, self.params = x, params
        y, self.sums = K.lp_pool(x, **params)
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # y = S^(1/p), S = sum_window x^p: dL/dx = sum_windows dL/dy * S^(1/p-1) * x^(p-1)
        # (zero where S == 0, as PyTorch's autograd; see kernels/lp_pool.py)
        return (K.lp_pool_backward(g, self.x, self.sums, **self.params),)
