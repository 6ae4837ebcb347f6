"""Average pooling, forward and backward, as kH*kW strided slices of the padded input,
and the window taps that max pooling (max_pool.py) shares.

Pooling has no weights. Average pooling gives every input of a window an equal share,
the gradient divided by the window's divisor.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from ..shapes import (
    PoolGeometry,
    as_int,
    check_array,
    fmt,
    pool2d_geometry,
)
from .layout import crop_spatial, pad_spatial, window_slice


@cache
def taps(g: PoolGeometry) -> tuple[tuple[int, int, slice, slice], ...]:
    """(a, b, rows, cols): tap (a, b) of every window as one strided slice of the padded
    input, in row-major window order (remembered per geometry)."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = g.kernel, g.stride, g.dilation, g.out_size
    return tuple(
        (a, b, window_slice(a * dh, sh, ho), window_slice(b * dw, sw, wo))
        for a in range(kh)
        for b in range(kw)
    )


def input_shape4(op: str, input_shape: Any) -> tuple[int, int, int, int]:
    """input_shape as (N, C, H, W) ints; the geometry checks that C, H, W are non-empty."""
    shape = tuple(as_int(op, "input_shape", s, 0) for s in input_shape)
    if len(shape) != 4:
        raise ValueError(f"{op}: input_shape must be (N, C, H, W), got {fmt(shape)}")
    return (shape[0], shape[1], shape[2], shape[3])


def _divisor(
    g: PoolGeometry, count_include_pad: bool, divisor_override: int | None, dtype: np.dtype
) -> np.ndarray:
    """Each window's divisor, (Ho, Wo): its area clipped to the padded input, or to the
    input alone without count_include_pad, or the constant divisor_override."""
    if divisor_override is not None:
        return np.full(g.out_size, divisor_override, dtype=dtype)
    extents = []
    for n, k, s, p, o in zip(g.size, g.kernel, g.stride, g.padding, g.out_size, strict=True):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        extents.append(
            end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0)
        )
    return np.multiply.outer(extents[0], extents[1]).astype(dtype)


def _avg_geometry(
    op: str,
    x_shape: tuple[int, ...],
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,
    divisor_override: Any,
) -> tuple[PoolGeometry, int | None]:
    g = pool2d_geometry(op, x_shape, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is None:
        return g, None
    if isinstance(divisor_override, bool) or not isinstance(divisor_override, (int, np.integer)):
        raise ValueError(f"{op}: divisor_override must be an integer, got {divisor_override!r}")
    if divisor_override == 0:
        raise ValueError(f"{op}: divisor_override must not be zero")
    return g, int(divisor_override)


def avg_pool2d(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """Average pooling.

    Shape:
        x: (N, C, H, W) -> y: (N, C, Ho, Wo), Ho = floor((H + 2P - K) / S) + 1 (see max_pool2d).

    The divisor is the window's area, counting zero padding (count_include_pad=True) or
    not, clipped where ceil_mode lets a window hang past the padded input; or
    divisor_override. All as PyTorch.
    """
    check_array("avg_pool2d", "input", x, 4, "(N, C, H, W)")
    g, div = _avg_geometry(
        "avg_pool2d", x.shape, kernel_size, stride, padding, ceil_mode, divisor_override
    )
    xp = pad_spatial(x, g.pad)
    total = np.zeros((*x.shape[:2], *g.out_size), dtype=x.dtype)
    for _, _, rs, cs in taps(g):
        total += xp[:, :, rs, cs]
    total /= _divisor(g, count_include_pad, div, x.dtype)
    return total


def avg_pool2d_backward(
    grad_y: np.ndarray,
    input_shape: tuple[int, ...],
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    # dL/dX[r, c] = sum over windows (i, j) containing (r, c) of dL/dY[i, j] / divisor[i, j]
    op = "avg_pool2d_backward"
    check_array(op, "grad_y", grad_y, 4, "(N, C, Ho, Wo)")
    shape = input_shape4(op, input_shape)
    g, div = _avg_geometry(op, shape, kernel_size, stride, padding, ceil_mode, divisor_override)
    if grad_y.shape != (*shape[:2], *g.out_size):
        raise ValueError(
            f"{op}: grad_y has shape {fmt(grad_y.shape)} but the pooling of input_shape "
            f"{fmt(shape)} gives {fmt((*shape[:2], *g.out_size))}"
        )
    share = grad_y / _divisor(g, count_include_pad, div, grad_y.dtype)
    hp, wp = shape[2] + sum(g.pad[0]), shape[3] + sum(g.pad[1])
    gxp = np.zeros((*shape[:2], hp, wp), dtype=grad_y.dtype)
    for _, _, rs, cs in taps(g):
        gxp[:, :, rs, cs] += share
    return np.ascontiguousarray(crop_spatial(gxp, g.pad))
