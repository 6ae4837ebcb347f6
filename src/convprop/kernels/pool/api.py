"""Max pooling with PyTorch's dimension-named functions (max_pool1d/2d/3d and the 2-D
switch helpers), and avg_pool1d/3d: thin wrappers over max_pool.py's and pool.py's
N-dimensional code.

Shape: x (N, C, *size) -> y (N, C, *out) with out = floor((size + 2P - D*(K-1) - 1)/S) + 1
per axis (ceil with ceil_mode; the last window must start inside the input or the
leading padding). indices are flat positions in each input plane: c in 1-D, r*W + c in
2-D, (d*H + r)*W + c in 3-D, as PyTorch's return_indices. Ties go to the first maximum in
row-major window order; a NaN always wins.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .avg import average, average_backward
from .max import (
    max_pool,
    max_pool_backward,
    max_pool_grad,
    max_pool_indices,
    max_pool_switches,
    max_pool_switches_backward,
)

Pooled = tuple[np.ndarray, np.ndarray]


def max_pool1d(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> Pooled:
    """(y, indices) of 1-D max pooling over (N, C, L)."""
    return max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, dims=1)


def max_pool2d(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> Pooled:
    """Max pooling with the winners' positions.

    Shape:
        x: (N, C, H, W) -> y, indices: (N, C, Ho, Wo) with
        Ho = floor((H + 2P - D*(K-1) - 1) / S) + 1 (ceil with ceil_mode; the last window
        must start inside the input or the leading padding).

    indices are flat positions r*W + c in each input plane, as PyTorch's return_indices.
    Ties go to the first maximum in row-major window order; a NaN always wins.
    """
    return max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, dims=2)


def max_pool3d(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> Pooled:
    """(y, indices) of 3-D max pooling over (N, C, D, H, W)."""
    return max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, dims=3)


def _backward(dims: int) -> Any:
    def backward(
        grad_y: np.ndarray,
        indices: np.ndarray,
        input_shape: Any,
        *,
        kernel_size: Any = None,
        stride: Any = None,
        dilation: Any = 1,
    ) -> np.ndarray:
        # dL/dX[winner of window i] += dL/dY[i]; inputs that never win get 0.
        return max_pool_backward(
            grad_y,
            indices,
            input_shape,
            kernel_size=kernel_size,
            stride=stride,
            dilation=dilation,
            dims=dims,
        )

    backward.__name__ = f"max_pool{dims}d_backward"
    backward.__doc__ = (
        f"Route each gradient of max_pool{dims}d to its window's recorded winner (indices), "
        "summing where windows share one; given kernel_size (and stride, dilation), "
        "windows that cannot overlap are assigned in one pass."
    )
    return backward


max_pool1d_backward = _backward(1)
max_pool2d_backward = _backward(2)
max_pool3d_backward = _backward(3)


def max_pool2d_switches(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> Pooled:
    """max_pool2d recording each window's winning tap a*kW + b (unsigned ints) instead of
    flat indices: smaller, and its backward needs no scatter."""
    return max_pool_switches(x, kernel_size, stride, padding, dilation, ceil_mode, dims=2)


def max_pool2d_indices(
    switches: np.ndarray,
    input_shape: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    """PyTorch's flat indices r*W + c from max_pool2d_switches' taps."""
    args = (kernel_size, stride, padding, dilation, ceil_mode)
    return max_pool_indices(switches, input_shape, *args, dims=2)


def max_pool2d_switches_backward(
    grad_y: np.ndarray,
    switches: np.ndarray,
    input_shape: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    # dL/dX[tap t of window (i, j)] += dL/dY[i, j] where switches[i, j] == t; others get 0
    args = (kernel_size, stride, padding, dilation, ceil_mode)
    return max_pool_switches_backward(grad_y, switches, input_shape, *args, dims=2)


def max_pool2d_grad(
    x: np.ndarray,
    grad_y: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    *,
    ties: str = "first",
) -> np.ndarray:
    # first: dL/dX[first maximum of window (i, j)] += dL/dY[i, j]
    # split: dL/dX[each of the m maxima of window (i, j)] += dL/dY[i, j] / m
    """max_pool2d's input gradient from the input, ties "first" (PyTorch) or "split"."""
    args = (kernel_size, stride, padding, dilation, ceil_mode)
    return max_pool_grad(x, grad_y, *args, ties=ties, dims=2)


def avg_pool1d(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    *,
    dilation: Any = 1,
) -> np.ndarray:
    """1-D average pooling over (N, C, L) (PyTorch's avg_pool1d has no divisor_override);
    dilation as avg_pool2d's keyword."""
    args = (kernel_size, stride, padding, ceil_mode, count_include_pad, None)
    return average("avg_pool1d", 1, x, *args, dilation)


def avg_pool3d(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    dilation: Any = 1,
) -> np.ndarray:
    """3-D average pooling over (N, C, D, H, W); divisors and dilation as avg_pool2d's."""
    args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return average("avg_pool3d", 3, x, *args, dilation)


def avg_pool1d_backward(
    grad_y: np.ndarray,
    input_shape: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    *,
    dilation: Any = 1,
) -> np.ndarray:
    # dL/dX[r] = sum over windows i containing r of dL/dY[i] / divisor[i]
    args = (kernel_size, stride, padding, ceil_mode, count_include_pad, None)
    return average_backward("avg_pool1d_backward", 1, grad_y, input_shape, *args, dilation)


def avg_pool3d_backward(
    grad_y: np.ndarray,
    input_shape: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    dilation: Any = 1,
) -> np.ndarray:
    # dL/dX[r] = sum over windows i containing r of dL/dY[i] / divisor[i]
    args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return average_backward("avg_pool3d_backward", 3, grad_y, input_shape, *args, dilation)
