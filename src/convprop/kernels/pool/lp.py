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
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...shapes import ArgumentTypeError, PoolGeometry, as_array, as_bool, as_tuple, fmt
from .avg import average_backward, average_core_backward, average_planned


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


@dataclass(frozen=True)
class LPPlan:
    """What lp_pool_core_backward reuses from the checked forward: the power, |x| or x,
    the kernel's volume, the window geometry and each window's divisor."""

    p: float
    absolute: bool
    volume: int
    geometry: PoolGeometry
    divisor: np.ndarray


def lp_pool_planned(
    x: np.ndarray,
    norm_type: float,
    kernel_size: Any,
    stride: Any = None,
    ceil_mode: bool = False,
    *,
    dilation: Any = 1,
    absolute: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, LPPlan]:
    """lp_pool's checked forward: (Y, S, x as checked, the plan lp_pool_core_backward uses)."""
    x, op = _input("lp_pool", "input", x)
    dims, p = x.ndim - 2, _power(op, norm_type)
    absolute = as_bool(op, "absolute", absolute)
    args = (kernel_size, stride, 0, ceil_mode, True, None, dilation)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        powered = np.power(np.abs(x) if absolute else x, p)
        mean, g, divisor = average_planned(op, dims, powered, *args)
        volume = _volume(op, kernel_size, dims)
        sums = mean * volume
        y = np.power(_sign(sums) * np.maximum(np.abs(sums), 0), 1 / p)
    return y.astype(x.dtype, copy=False), sums, x, LPPlan(p, absolute, volume, g, divisor)


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
    args = (norm_type, kernel_size, stride, ceil_mode)
    y, sums, _, _ = lp_pool_planned(x, *args, dilation=dilation, absolute=absolute)
    return y, sums


# Y = S^(1/p), S = K * mean_window x^p:
# dL/dS = dL/dY * (1/p) * S^(1/p - 1), zero where S == 0 (PyTorch's relu(|S|) mask);
# dL/dx[r] = sum over windows i holding r of dL/dS[i] * K / divisor[i] * p * x[r]^(p-1)
# (with absolute: p * |x[r]|^(p-1) * sign(x[r])). NaNs go where PyTorch's autograd puts them.


def _mean_grad(grad_y: np.ndarray, sums: np.ndarray, p: float, volume: int) -> np.ndarray:
    """dL/d(window mean of x^p), in grad_y's dtype (call under np.errstate)."""
    g_sums = grad_y * ((1 / p) * np.power(sums, 1 / p - 1))
    g_mean = g_sums * volume * _sign(sums)
    g_mean = np.where(np.abs(sums) <= 0, 0, g_mean) * _sign(sums)
    return g_mean.astype(grad_y.dtype, copy=False)


def _input_grad(
    g_pow: np.ndarray, x: np.ndarray, p: float, absolute: bool, dtype: np.dtype[Any]
) -> np.ndarray:
    """dL/dx from dL/d(x^p) (call under np.errstate)."""
    base = np.abs(x) if absolute else x
    slope = p * np.power(base, p - 1)
    if p != round(p):  # PyTorch: d(x^p)/dx is NaN at x = -inf for a fractional p
        slope = np.where(np.isneginf(base), np.nan, slope)
    gx = g_pow * slope
    if absolute:
        gx = gx * _sign(x)
    return gx.astype(dtype, copy=False)


def lp_pool_core_backward(
    grad_y: np.ndarray, x: np.ndarray, sums: np.ndarray, plan: LPPlan
) -> np.ndarray:
    """Unchecked: dL/dx of lp_pool_planned's output, given its checked x, sums and plan."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        g_mean = _mean_grad(grad_y, sums, plan.p, plan.volume)
        g_pow = average_core_backward(g_mean, x.shape, plan.geometry, plan.divisor)
        return _input_grad(g_pow, x, plan.p, plan.absolute, grad_y.dtype)


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
    """dL/dx of lp_pool: checked, then the formula above."""
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
    args = (x.shape, kernel_size, stride, 0, ceil_mode, True, None, dilation)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        g_mean = _mean_grad(grad_y, sums, p, _volume(op, kernel_size, dims))
        g_pow = average_backward(op, dims, g_mean, *args)
        return _input_grad(g_pow, x, p, absolute, grad_y.dtype)
