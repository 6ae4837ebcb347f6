"""Max and average pooling, forward and backward, as kH*kW strided slices of the padded input.

Pooling has no weights. Max pooling records each window's winner ("switch") in the
forward pass and routes the upstream gradient to it; average pooling gives every input
of a window an equal share, the gradient divided by the window's divisor.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..shapes import (
    PoolGeometry,
    as_int,
    as_pair,
    check_array,
    fmt,
    pool2d_geometry,
    pool_stride,
)
from .layout import crop2d, pad2d, window_slice


def _taps(g: PoolGeometry) -> list[tuple[int, int, slice, slice]]:
    """(a, b, rows, cols): tap (a, b) of every window as one strided slice of the padded input."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = g.kernel, g.stride, g.dilation, g.out_size
    return [
        (a, b, window_slice(a * dh, sh, ho), window_slice(b * dw, sw, wo))
        for a in range(kh)
        for b in range(kw)
    ]


def _input_shape(op: str, input_shape: Any) -> tuple[int, int, int, int]:
    """input_shape as (N, C, H, W) ints; the geometry checks that C, H, W are non-empty."""
    shape = tuple(as_int(op, "input_shape", s, 0) for s in input_shape)
    if len(shape) != 4:
        raise ValueError(f"{op}: input_shape must be (N, C, H, W), got {fmt(shape)}")
    return (shape[0], shape[1], shape[2], shape[3])


def max_pool2d(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling with the winners' positions.

    Shape:
        x: (N, C, H, W) -> y, indices: (N, C, Ho, Wo) with
        Ho = floor((H + 2P - D*(K-1) - 1) / S) + 1 (ceil with ceil_mode; the last window
        must start inside the input or the leading padding).

    indices are flat positions r*W + c in each input plane, as PyTorch's return_indices.
    Ties go to the first maximum in row-major window order; a NaN always wins.
    """
    check_array("max_pool2d", "input", x, 4, "(N, C, H, W)")
    g = pool2d_geometry("max_pool2d", x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    taps = _taps(g)
    xp = pad2d(x, g.pad, value=-np.inf)
    # 1. the maxima: one np.maximum per tap over strided slices (NaN propagates, as PyTorch)
    y = xp[:, :, taps[0][2], taps[0][3]].copy()
    for _, _, rs, cs in taps[1:]:
        np.maximum(y, xp[:, :, rs, cs], out=y)
    # 2. the winning tap: the first (in row-major window order) inside the input equal to the
    #    maximum, found by writing taps in reverse; a NaN window takes its last NaN (PyTorch)
    winner = np.zeros(y.shape, dtype=np.uint8 if len(taps) < 256 else np.int64)
    inside = _inside(g, taps)
    for t in reversed(range(len(taps))):
        _, _, rs, cs = taps[t]
        hit = xp[:, :, rs, cs] == y
        np.copyto(winner, t, where=hit if inside[t] is None else hit & inside[t])
    if np.isnan(y).any():
        for t, (_, _, rs, cs) in enumerate(taps):
            np.copyto(winner, t, where=np.isnan(xp[:, :, rs, cs]))
    # 3. flat positions r*W + c: the window's origin plus the tap's offset
    (ph, pw), (dh, dw), w = g.padding, g.dilation, g.size[1]
    origin = (np.arange(g.out_size[0]) * g.stride[0] - ph)[:, None] * w + (
        np.arange(g.out_size[1]) * g.stride[1] - pw
    )[None, :]
    offsets = np.array([a * dh * w + b * dw for a, b, _, _ in taps], dtype=np.int64)
    return y, offsets[winner] + origin


def _inside(g: PoolGeometry, taps: list[tuple[int, int, slice, slice]]) -> list[np.ndarray | None]:
    """Per tap, which windows (Ho, Wo) see it inside the input; None where all do."""
    masks: list[np.ndarray | None] = []
    for a, b, _, _ in taps:
        rows = np.arange(g.out_size[0]) * g.stride[0] - g.padding[0] + a * g.dilation[0]
        cols = np.arange(g.out_size[1]) * g.stride[1] - g.padding[1] + b * g.dilation[1]
        ok = np.outer((rows >= 0) & (rows < g.size[0]), (cols >= 0) & (cols < g.size[1]))
        masks.append(None if ok.all() else ok)
    return masks


def max_pool2d_backward(
    grad_y: np.ndarray,
    indices: np.ndarray,
    input_shape: tuple[int, ...],
    *,
    kernel_size: Any = None,
    stride: Any = None,
    dilation: Any = 1,
) -> np.ndarray:
    # dL/dX[winner of window (i, j)] += dL/dY[i, j]; inputs that never win get 0.
    """Route each gradient to its window's recorded winner, summing where windows share one.

    Given the pooling's kernel_size (and stride, dilation), windows that cannot overlap
    (stride >= D*(K-1)+1) have distinct winners, and the gradients are assigned in one
    pass instead of summed (several times faster).
    """
    op = "max_pool2d_backward"
    check_array(op, "grad_y", grad_y, 4, "(N, C, Ho, Wo)")
    shape = _input_shape(op, input_shape)
    if not isinstance(indices, np.ndarray) or min(shape[1:]) < 1:
        raise ValueError(f"{op}: indices must be an array and input_shape {fmt(shape)} non-empty")
    if indices.shape != grad_y.shape or shape[:2] != grad_y.shape[:2]:
        raise ValueError(
            f"{op}: grad_y {fmt(grad_y.shape)} and indices {fmt(indices.shape)} must share one "
            f"(N, C, Ho, Wo) shape matching input_shape {fmt(shape)}"
        )
    if not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"{op}: indices must be integers, got {indices.dtype}")
    n, c, h, w = shape
    plane = h * w
    if indices.size and (indices.min() < 0 or indices.max() >= plane):
        raise ValueError(
            f"{op}: indices must lie in [0, H*W) = [0, {plane}) for input_shape {fmt(shape)}"
        )
    windows = indices.shape[2] * indices.shape[3]
    flat = (indices.reshape(n * c, windows) + np.arange(n * c)[:, None] * plane).ravel()
    if kernel_size is not None and _disjoint(op, kernel_size, stride, dilation):
        out = np.zeros(n * c * plane, dtype=grad_y.dtype)
        out[flat] = grad_y.ravel()  # every input wins at most one window
        return out.reshape(shape)
    # bincount sums the gradients of windows that share a winner (overlapping windows)
    gx = np.bincount(flat, weights=grad_y.ravel(), minlength=n * c * plane)
    return gx.astype(grad_y.dtype, copy=False).reshape(shape)


def _disjoint(op: str, kernel_size: Any, stride: Any, dilation: Any) -> bool:
    k = as_pair(op, "kernel_size", kernel_size, 1)
    s = pool_stride(op, stride, k)
    d = as_pair(op, "dilation", dilation, 1)
    return all(si >= di * (ki - 1) + 1 for ki, si, di in zip(k, s, d, strict=True))


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
    xp = pad2d(x, g.pad)
    total = np.zeros((*x.shape[:2], *g.out_size), dtype=x.dtype)
    for _, _, rs, cs in _taps(g):
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
    shape = _input_shape(op, input_shape)
    g, div = _avg_geometry(op, shape, kernel_size, stride, padding, ceil_mode, divisor_override)
    if grad_y.shape != (*shape[:2], *g.out_size):
        raise ValueError(
            f"{op}: grad_y has shape {fmt(grad_y.shape)} but the pooling of input_shape "
            f"{fmt(shape)} gives {fmt((*shape[:2], *g.out_size))}"
        )
    share = grad_y / _divisor(g, count_include_pad, div, grad_y.dtype)
    hp, wp = shape[2] + sum(g.pad[0]), shape[3] + sum(g.pad[1])
    gxp = np.zeros((*shape[:2], hp, wp), dtype=grad_y.dtype)
    for _, _, rs, cs in _taps(g):
        gxp[:, :, rs, cs] += share
    return np.ascontiguousarray(crop2d(gxp, g.pad))
