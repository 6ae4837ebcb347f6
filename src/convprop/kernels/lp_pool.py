"""Power-average (LP) pooling, forward and backward, any number of spatial dimensions.

    Y[i] = (sum over window i of X[r]^p)^(1/p)           (ONNX's LpPool: |X[r]|^p)

computed as PyTorch's F.lp_pool computes it, so signs, zeros and NaNs land where they
land there: S = K * avg_pool(X^p) (K the kernel's volume; with ceil_mode a window
clipped by the input's end has its sum scaled by K / taps, as PyTorch's), then
Y = (sign(S) * relu(|S|))^(1/p): a negative S (odd p, negative inputs) gives NaN unless
1/p is an integer, a NaN gives NaN. PyTorch has no padding and no dilation here; the
``dilation`` keyword (taps D apart) and ``absolute`` (|X|^p, ONNX's definition) are
this library's, for ONNX's LpPool. PyTorch's LPPool has no gradient formula of its own
(autograd differentiates the composite); lp_pool_backward writes that derivative out,
zeros and negatives included.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..shapes import as_tuple
from .pool import average, average_backward


def _sign(v: np.ndarray) -> np.ndarray:
    """PyTorch's sign: -1, 0 or 1, and 0 for a NaN (numpy's gives NaN)."""
    return np.where(np.isnan(v), 0, np.sign(v)).astype(v.dtype)


def _power(op: str, norm_type: Any) -> float:
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float, np.number)):
        raise ValueError(f"{op}: norm_type must be a number, got {norm_type!r}")
    p = float(norm_type)
    if not (p > 0 and math.isfinite(p)):
        raise ValueError(f"{op}: norm_type must be positive and finite, got {norm_type!r}")
    return p


def _volume(op: str, kernel_size: Any, dims: int) -> int:
    return math.prod(as_tuple(op, "kernel_size", kernel_size, 1, dims))


def lp_pool(
    x: np.ndarray, norm_type: float, kernel_size: Any, stride: Any = None,
    ceil_mode: bool = False, *, dilation: Any = 1, absolute: bool = False,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(Y, S): Y = S^(1/p) with S = K * the window means of x^p (|x|^p when absolute),
    as PyTorch's lp_pool1d/2d/3d (no padding). Shape: (N, C, *size) -> (N, C, *out)."""
    dims = x.ndim - 2 if isinstance(x, np.ndarray) else 2
    op = f"lp_pool{dims}d"
    p = _power(op, norm_type)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        powered = np.power(np.abs(x) if absolute else x, p) if isinstance(x, np.ndarray) else x
        mean = average(op, dims, powered, kernel_size, stride, 0, ceil_mode, True, None, dilation)
        sums = mean * _volume(op, kernel_size, dims)
        y = np.power(_sign(sums) * np.maximum(np.abs(sums), 0), 1 / p)
    return y.astype(x.dtype, copy=False), sums


def lp_pool_backward(
    grad_y: np.ndarray, x: np.ndarray, sums: np.ndarray, norm_type: float, kernel_size: Any,
    stride: Any = None, ceil_mode: bool = False, *, dilation: Any = 1, absolute: bool = False,
) -> np.ndarray:  # fmt: skip
    # Y = S^(1/p), S = K * mean_window x^p:
    # dL/dS = dL/dY * (1/p) * S^(1/p - 1), zero where S == 0 (PyTorch's relu(|S|) mask);
    # dL/dx[r] = sum over windows i holding r of dL/dS[i] * K / divisor[i] * p * x[r]^(p-1)
    # (with absolute: p * |x[r]|^(p-1) * sign(x[r])). NaNs go where PyTorch's autograd puts them.
    dims, p = x.ndim - 2, _power(f"lp_pool{x.ndim - 2}d_backward", norm_type)
    op = f"lp_pool{dims}d_backward"
    base = np.abs(x) if absolute else x
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        g_sums = grad_y * ((1 / p) * np.power(sums, 1 / p - 1))
        g_mean = g_sums * _volume(op, kernel_size, dims) * _sign(sums)
        g_mean = np.where(np.abs(sums) <= 0, 0, g_mean) * _sign(sums)
        g_pow = average_backward(
            op, dims, g_mean.astype(grad_y.dtype, copy=False), x.shape, kernel_size, stride, 0,
            ceil_mode, True, None, dilation,
        )  # fmt: skip
        gx = g_pow * (p * np.power(base, p - 1))
        if absolute:
            gx = gx * _sign(x)
    return gx.astype(grad_y.dtype, copy=False)
