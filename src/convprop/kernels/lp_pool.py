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

Inputs go through the shared entry check (convprop.arguments.as_array): a list or a CPU
torch.Tensor is converted, float16 widened to float32, None, strings, complex and integer
arrays refused with an ArgumentTypeError naming the operation. norm_type must be positive
and finite: PyTorch also takes p = inf (max pooling of |x|) and negative p; refused here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..shapes import ArgumentTypeError, as_array, as_bool, as_tuple, fmt
from .pool import average, average_backward


def _sign(v: np.ndarray) -> np.ndarray:
    """PyTorch's sign: -1, 0 or 1, and 0 for a NaN (numpy's gives NaN)."""
    return np.where(np.isnan(v), 0, np.sign(v)).astype(v.dtype)


def _power(op: str, norm_type: Any) -> float:
    if isinstance(norm_type, (bool, np.bool_)) or not isinstance(
        norm_type, (int, float, np.integer, np.floating)
    ):
        raise ArgumentTypeError(f"{op}: norm_type must be a number, got {norm_type!r}")
    p = float(norm_type)
    if not (p > 0 and math.isfinite(p)):
        raise ValueError(f"{op}: norm_type must be positive and finite, got {norm_type!r}")
    return p


def _input(op: str, name: str, x: Any) -> tuple[np.ndarray, str]:
    """x as a float array (N, C, *size) with at least one spatial axis, and the op's name
    with its dimension (lp_pool2d)."""
    x = as_array(op, name, x)
    if x.ndim < 3:
        raise ValueError(f"{op}: {name} must be (N, C, *size), got shape {fmt(x.shape)}")
    return x, f"{op.replace('lp_pool', f'lp_pool{x.ndim - 2}d', 1)}"


def _volume(op: str, kernel_size: Any, dims: int) -> int:
    return math.prod(as_tuple(op, "kernel_size", kernel_size, 1, dims))


def lp_pool(
    x: np.ndarray,
    norm_type: float,
    kernel_size: Any,
    stride: Any = None,
    ceil_mode: bool = False,
    *,
    dilation: Any = 1,
    absolute: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(Y, S): Y = S^(1/p) with S = K * the window means of x^p (|x|^p when absolute),
    as PyTorch's lp_pool1d/2d/3d (no padding). Shape: (N, C, *size) -> (N, C, *out)."""
    x, op = _input("lp_pool", "input", x)
    dims, p = x.ndim - 2, _power(op, norm_type)
    absolute = as_bool(op, "absolute", absolute)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        powered = np.power(np.abs(x) if absolute else x, p)
        mean = average(op, dims, powered, kernel_size, stride, 0, ceil_mode, True, None, dilation)
        sums = mean * _volume(op, kernel_size, dims)
        y = np.power(_sign(sums) * np.maximum(np.abs(sums), 0), 1 / p)
    return y.astype(x.dtype, copy=False), sums


def lp_pool_backward(
    grad_y: np.ndarray,
    x: np.ndarray,
    sums: np.ndarray,
    norm_type: float,
    kernel_size: Any,
    stride: Any = None,
    ceil_mode: bool = False,
    *,
    dilation: Any = 1,
    absolute: bool = False,
) -> np.ndarray:
    # Y = S^(1/p), S = K * mean_window x^p:
    # dL/dS = dL/dY * (1/p) * S^(1/p - 1), zero where S == 0 (PyTorch's relu(|S|) mask);
    # dL/dx[r] = sum over windows i holding r of dL/dS[i] * K / divisor[i] * p * x[r]^(p-1)
    # (with absolute: p * |x[r]|^(p-1) * sign(x[r])). NaNs go where PyTorch's autograd puts them.
    x, op = _input("lp_pool_backward", "input", x)
    dims, p = x.ndim - 2, _power(op, norm_type)
    absolute = as_bool(op, "absolute", absolute)
    grad_y = as_array(op, "grad_y", grad_y)
    sums = as_array(op, "sums", sums)
    if grad_y.shape != sums.shape or grad_y.shape[:2] != x.shape[:2] or grad_y.ndim != x.ndim:
        raise ValueError(
            f"{op}: grad_y and sums must share the pooled shape (N, C, *out) of input; got "
            f"grad_y {fmt(grad_y.shape)}, sums {fmt(sums.shape)}, input {fmt(x.shape)}"
        )
    base = np.abs(x) if absolute else x
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        g_sums = grad_y * ((1 / p) * np.power(sums, 1 / p - 1))
        g_mean = g_sums * _volume(op, kernel_size, dims) * _sign(sums)
        g_mean = np.where(np.abs(sums) <= 0, 0, g_mean) * _sign(sums)
        g_pow = average_backward(
            op,
            dims,
            g_mean.astype(grad_y.dtype, copy=False),
            x.shape,
            kernel_size,
            stride,
            0,
            ceil_mode,
            True,
            None,
            dilation,
        )
        slope = p * np.power(base, p - 1)
        if p != round(p):  # PyTorch: d(x^p)/dx is NaN at x = -inf for a fractional p
            slope = np.where(np.isneginf(base), np.nan, slope)
        gx = g_pow * slope
        if absolute:
            gx = gx * _sign(x)
    return gx.astype(grad_y.dtype, copy=False)
