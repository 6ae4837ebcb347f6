"""Average pooling, forward and backward, as kH*kW strided slices of the padded input, over
any number of spatial dimensions: avg_pool takes it from the array (or `dims`), and
avg_pool1d/2d/3d (api.py) are avg_pool with it fixed.

Pooling has no weights. Average pooling gives every input of a window an equal share,
the gradient divided by the window's divisor. ``dilation`` (a keyword; PyTorch's average
pooling has none, ONNX's AveragePool has since opset 19) spaces the taps D apart; the
divisor then counts the window's taps that land in the (padded) input.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ...shapes import PoolGeometry, as_bool, check_array, fmt, pool_geometry
from ..family import spatial_dims
from ..layout import ALL, at, crop_spatial, pad_spatial, pool_layouts
from . import jitted
from .windows import input_shape_of, padded_shape, taps


def _divisor(
    g: PoolGeometry, count_include_pad: bool, divisor_override: int | None, dtype: np.dtype
) -> np.ndarray:
    """Each window's divisor, shaped like the output's spatial part: its taps that land in
    the padded input (its volume clipped to it, without dilation), or in the input alone
    without count_include_pad, or the constant divisor_override."""
    if divisor_override is not None:
        return np.full(g.out_size, divisor_override, dtype=dtype)
    extents = []
    for n, k, s, p, d, o in zip(
        g.size, g.kernel, g.stride, g.padding, g.dilation, g.out_size, strict=True
    ):
        tap = (np.arange(o) * s - p)[:, None] + np.arange(k) * d  # positions in the input
        inside = (tap < n + p) if count_include_pad else (tap >= 0) & (tap < n)
        extents.append(inside.sum(axis=1))
    return functools.reduce(np.multiply.outer, extents).astype(dtype)


def _avg_geometry(
    op: str,
    x_shape: tuple[int, ...],
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,
    divisor_override: Any,
    dilation: Any = 1,
) -> tuple[PoolGeometry, int | None]:
    g = pool_geometry(op, x_shape, kernel_size, stride, padding, dilation, ceil_mode)
    if divisor_override is None:
        return g, None
    if isinstance(divisor_override, bool) or not isinstance(divisor_override, (int, np.integer)):
        raise ValueError(f"{op}: divisor_override must be an integer, got {divisor_override!r}")
    if divisor_override == 0:
        raise ValueError(f"{op}: divisor_override must not be zero")
    return g, int(divisor_override)


def average_planned(
    op: str,
    dims: int,
    x: np.ndarray,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
    dilation: Any = 1,
) -> tuple[np.ndarray, PoolGeometry, np.ndarray]:
    """avg_pool's checked forward, named op, with the geometry and the divisors (shaped like
    the output's spatial part) that average_core_backward reuses."""
    x = check_array(op, "input", x, dims + 2, pool_layouts(dims)[0])
    args = (kernel_size, stride, padding, ceil_mode, divisor_override, dilation)
    g, div = _avg_geometry(op, x.shape, *args)
    divisor = _divisor(g, as_bool(op, "count_include_pad", count_include_pad), div, x.dtype)
    if jitted.usable(x):  # one compiled pass: the same sums in the same order
        return jitted.avg_forward(x, g, divisor), g, divisor
    xp = pad_spatial(x, g.pad)
    total = np.zeros((*x.shape[:2], *g.out_size), dtype=x.dtype)
    for _, cells in taps(g):
        total += xp[at(ALL, ALL, cells)]
    total /= divisor
    return total, g, divisor


def average_backward(
    op: str,
    dims: int,
    grad_y: np.ndarray,
    input_shape: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
    dilation: Any = 1,
) -> np.ndarray:
    """The checked backward of avg_pool (and of lp_pool's mean), named op: average_core_backward."""
    grad_y = check_array(op, "grad_y", grad_y, dims + 2, pool_layouts(dims)[1])
    shape = input_shape_of(op, input_shape, dims)
    args = (kernel_size, stride, padding, ceil_mode, divisor_override, dilation)
    g, div = _avg_geometry(op, shape, *args)
    if grad_y.shape != (*shape[:2], *g.out_size):
        raise ValueError(
            f"{op}: grad_y has shape {fmt(grad_y.shape)} but the pooling of input_shape "
            f"{fmt(shape)} gives {fmt((*shape[:2], *g.out_size))}"
        )
    divisor = _divisor(g, as_bool(op, "count_include_pad", count_include_pad), div, grad_y.dtype)
    return average_core_backward(grad_y, shape, g, divisor)


def average_core_backward(
    grad_y: np.ndarray, shape: tuple[int, ...], g: PoolGeometry, divisor: np.ndarray
) -> np.ndarray:
    """Unchecked: dL/dX of the (N, C, *size) input `shape`, given each window's divisor."""
    # dL/dX[r] = sum over windows i containing r of dL/dY[i] / divisor[i]
    if jitted.usable(grad_y, divisor):  # one compiled pass, shares summed in tap order as below
        return jitted.avg_backward(grad_y, shape, g, divisor)
    share = grad_y / divisor
    gxp = np.zeros(padded_shape(shape, g), dtype=grad_y.dtype)
    for _, cells in taps(g):
        gxp[at(ALL, ALL, cells)] += share
    return np.ascontiguousarray(crop_spatial(gxp, g.pad))


def avg_pool(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    dilation: Any = 1,
    dims: int | None = None,
) -> np.ndarray:
    """Average pooling over x.ndim - 2 spatial dimensions (or `dims`): each window's sum over
    its divisor; avg_pool1d/2d/3d's docstrings give the shapes and the divisor's rules."""
    dims = dims or spatial_dims(x)
    args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return average_planned(f"avg_pool{dims}d", dims, x, *args, dilation)[0]


def avg_pool_backward(
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
    dims: int | None = None,
) -> np.ndarray:
    """dL/dX of avg_pool for an input of shape input_shape (dims from grad_y)."""
    dims = dims or spatial_dims(grad_y)
    args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return average_backward(f"avg_pool{dims}d_backward", dims, grad_y, input_shape, *args, dilation)
