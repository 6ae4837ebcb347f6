"""Max pooling, forward and backward: each window's maximum and its recorded winner.

The forward records which of its kH*kW taps won each window, the course's "switch":
`max_pool2d_switches` returns that tap number t = a*kW + b (compact: uint8 for up to
256 taps) and `max_pool2d` turns it into PyTorch's flat indices r*W + c. The backward
routes each upstream gradient to its window's winner:

* from switches, where windows cannot overlap, one assignment per tap into strided
  slices (no scatter, no index arithmetic);
* from flat indices, one fancy-index assignment; where windows overlap (either way),
  np.bincount sums the gradients of a shared winner (1.5x faster than per-tap adds).

The winner is found without a loop over windows: bit t of one small integer per window
says "tap t equals the maximum", and the lowest set bit, looked up in a table, is the
first maximum in row-major window order (np.copyto with where= took 5x longer).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from ..shapes import PoolGeometry, as_pair, check_array, fmt, pool2d_geometry, pool_stride
from .layout import crop_spatial, pad_spatial
from .pool import input_shape4, taps

Taps = tuple[tuple[int, int, slice, slice], ...]
PACKED_TAPS = 16  # up to this many taps the winner comes from a packed bit mask


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
    g = _geometry("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    y, switches = _forward(x, g)
    return y, _flat_indices(switches, g)


def max_pool2d_switches(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """max_pool2d recording each window's winning tap a*kW + b (unsigned ints) instead of
    flat indices: smaller, and its backward needs no scatter."""
    g = _geometry("max_pool2d_switches", x, kernel_size, stride, padding, dilation, ceil_mode)
    return _forward(x, g)


def max_pool2d_indices(
    switches: np.ndarray,
    input_shape: tuple[int, ...],
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    """PyTorch's flat indices r*W + c from max_pool2d_switches' taps."""
    op = "max_pool2d_indices"
    shape = input_shape4(op, input_shape)
    g = pool2d_geometry(op, shape, kernel_size, stride, padding, dilation, ceil_mode)
    _check_switches(op, switches, g, shape[:2])
    return _flat_indices(switches, g)


def max_pool2d_switches_backward(
    grad_y: np.ndarray,
    switches: np.ndarray,
    input_shape: tuple[int, ...],
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    # dL/dX[tap t of window (i, j)] += dL/dY[i, j] where switches[i, j] == t; others get 0
    op = "max_pool2d_switches_backward"
    check_array(op, "grad_y", grad_y, 4, "(N, C, Ho, Wo)")
    shape = input_shape4(op, input_shape)
    g = pool2d_geometry(op, shape, kernel_size, stride, padding, dilation, ceil_mode)
    _check_switches(op, switches, g, shape[:2])
    if grad_y.shape != switches.shape:
        raise ValueError(
            f"{op}: grad_y {fmt(grad_y.shape)} must have the switches' shape {fmt(switches.shape)}"
        )
    if not _disjoint(g.kernel, g.stride, g.dilation):
        # windows share inputs: np.bincount sums them (measured 1.5x faster than per-tap adds)
        return _route(grad_y, _flat_indices(switches, g), shape, overlapping=True)
    (t, b), (l, r) = g.pad
    gxp = np.zeros((*shape[:2], shape[2] + t + b, shape[3] + l + r), dtype=grad_y.dtype)
    finite = bool(np.isfinite(grad_y).all())  # else grad * 0 would be NaN: select instead
    won = np.empty(switches.shape, dtype=bool)
    for tap, (_, _, rs, cs) in enumerate(taps(g)):
        np.equal(switches, tap, out=won)
        if finite:  # each input wins at most one window: assign, tap by tap
            np.multiply(grad_y, won, out=gxp[:, :, rs, cs])
        else:
            np.copyto(gxp[:, :, rs, cs], grad_y, where=won)
    return np.ascontiguousarray(crop_spatial(gxp, g.pad))


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
    """The input gradient of max pooling from the input itself, under a tie policy.

    ties="first" sends each window's gradient to its first maximum in row-major order
    (PyTorch's rule, the same as the switches); ties="split" shares it evenly among all
    the window's maxima (tinygrad's rule). Without ties the two are equal. A window
    holding NaN treats its NaNs as its maxima.
    """
    op = "max_pool2d_grad"
    g = _geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode)
    check_array(op, "grad_y", grad_y, 4, "(N, C, Ho, Wo)")
    if grad_y.shape != (*x.shape[:2], *g.out_size):
        raise ValueError(
            f"{op}: grad_y has shape {fmt(grad_y.shape)} but the pooling of input "
            f"{fmt(x.shape)} gives {fmt((*x.shape[:2], *g.out_size))}"
        )
    if ties == "first":
        _, switches = _forward(x, g)
        return max_pool2d_switches_backward(
            grad_y, switches, x.shape, kernel_size, stride, padding, dilation, ceil_mode
        )
    if ties != "split":
        raise ValueError(f"{op}: ties must be 'first' or 'split', got {ties!r}")
    window = taps(g)
    xp = pad_spatial(x, g.pad, value=-np.inf)
    y = xp[:, :, window[0][2], window[0][3]].copy()
    for _, _, rs, cs in window[1:]:
        np.maximum(y, xp[:, :, rs, cs], out=y)
    nan = np.isnan(y)
    hits = []
    for inside, (_, _, rs, cs) in zip(_inside(g), window, strict=True):
        tap = xp[:, :, rs, cs]
        hit = (tap == y) | (np.isnan(tap) & nan)
        hits.append(hit if inside is None else hit & inside)
    share = grad_y / np.sum(hits, axis=0, dtype=grad_y.dtype)
    gxp = np.zeros(xp.shape, dtype=grad_y.dtype)
    for hit, (_, _, rs, cs) in zip(hits, window, strict=True):
        gxp[:, :, rs, cs] += np.where(hit, share, 0)
    return np.ascontiguousarray(crop_spatial(gxp, g.pad))


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
    shape = input_shape4(op, input_shape)
    if not isinstance(indices, np.ndarray) or min(shape[1:]) < 1:
        raise ValueError(f"{op}: indices must be an array and input_shape {fmt(shape)} non-empty")
    if indices.shape != grad_y.shape or shape[:2] != grad_y.shape[:2]:
        raise ValueError(
            f"{op}: grad_y {fmt(grad_y.shape)} and indices {fmt(indices.shape)} must share one "
            f"(N, C, Ho, Wo) shape matching input_shape {fmt(shape)}"
        )
    if not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"{op}: indices must be integers, got {indices.dtype}")
    plane = shape[2] * shape[3]
    if indices.size and (indices.min() < 0 or indices.max() >= plane):
        raise ValueError(
            f"{op}: indices must lie in [0, H*W) = [0, {plane}) for input_shape {fmt(shape)}"
        )
    overlapping = kernel_size is None
    if kernel_size is not None:
        k = as_pair(op, "kernel_size", kernel_size, 1)
        overlapping = not _disjoint(
            k, pool_stride(op, stride, k), as_pair(op, "dilation", dilation, 1)
        )
    return _route(grad_y, indices, shape, overlapping)


def _route(
    grad_y: np.ndarray, indices: np.ndarray, shape: tuple[int, int, int, int], overlapping: bool
) -> np.ndarray:
    """dL/dX from flat winner indices: assigned when no two windows share an input,
    else summed by np.bincount (an unbuffered ufunc scatter measured 5x-75x slower)."""
    n, c, h, w = shape
    plane = h * w
    windows = indices.shape[2] * indices.shape[3]
    flat = (indices.reshape(n * c, windows) + np.arange(n * c)[:, None] * plane).ravel()
    if not overlapping:
        out = np.zeros(n * c * plane, dtype=grad_y.dtype)
        out[flat] = grad_y.ravel()  # every input wins at most one window
        return out.reshape(shape)
    gx = np.bincount(flat, weights=grad_y.ravel(), minlength=n * c * plane)
    return gx.astype(grad_y.dtype, copy=False).reshape(shape)


def _geometry(
    op: str, x: np.ndarray, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
    ceil_mode: bool,
) -> PoolGeometry:  # fmt: skip
    check_array(op, "input", x, 4, "(N, C, H, W)")
    return pool2d_geometry(op, x.shape, kernel_size, stride, padding, dilation, ceil_mode)


def _disjoint(kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]) -> bool:
    """Whether no two windows share an input: stride >= D*(K-1)+1 in both directions."""
    return all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation, strict=True))


def _forward(x: np.ndarray, g: PoolGeometry) -> tuple[np.ndarray, np.ndarray]:
    """(y, switches): each window's maximum and its first winning tap."""
    window = taps(g)
    xp = pad_spatial(x, g.pad, value=-np.inf)
    # the maxima: one np.maximum per tap over strided slices (NaN propagates, as PyTorch)
    y = xp[:, :, window[0][2], window[0][3]].copy()
    for _, _, rs, cs in window[1:]:
        np.maximum(y, xp[:, :, rs, cs], out=y)
    switches = _first_winner(xp, y, window, _inside(g))
    if np.isnan(y).any():  # a NaN window takes its last NaN (PyTorch); padding is never NaN
        for t, (_, _, rs, cs) in enumerate(window):
            np.copyto(switches, t, where=np.isnan(xp[:, :, rs, cs]))
    return y, switches


def _first_winner(xp: np.ndarray, y: np.ndarray, window: Taps, inside: list[Any]) -> np.ndarray:
    """The first tap (row-major window order) inside the input that equals the maximum."""
    count = len(window)
    hit = np.empty(y.shape, dtype=bool)
    if count <= PACKED_TAPS:
        bits = np.uint8 if count <= 8 else np.uint16
        packed = np.zeros(y.shape, dtype=bits)
        for t, (_, _, rs, cs) in enumerate(window):
            np.equal(xp[:, :, rs, cs], y, out=hit)
            if inside[t] is not None:
                hit &= inside[t]
            packed |= np.left_shift(hit.view(np.uint8), t, dtype=bits)
        return np.take(_lowest_set_bit(count), packed)  # uint8, as the table
    switches = np.zeros(y.shape, dtype=np.min_scalar_type(count - 1))
    for t in reversed(range(count)):  # the last write is the first tap
        _, _, rs, cs = window[t]
        np.equal(xp[:, :, rs, cs], y, out=hit)
        np.copyto(switches, t, where=hit if inside[t] is None else hit & inside[t])
    return switches


@cache
def _lowest_set_bit(count: int) -> np.ndarray:
    """table[m] = index of m's lowest set bit, for m < 2**count (0 for m = 0, a NaN window)."""
    m = np.arange(2**count, dtype=np.int64)
    low = m & -m
    table = np.zeros(2**count, dtype=np.uint8)
    table[1:] = np.log2(low[1:]).round().astype(np.uint8)
    return table


@cache
def _inside(g: PoolGeometry) -> list[np.ndarray | None]:
    """Per tap, which windows (Ho, Wo) see it inside the input; None where all do.
    (Remembered per geometry, read-only.)"""
    masks: list[np.ndarray | None] = []
    for a, b, _, _ in taps(g):
        rows = np.arange(g.out_size[0]) * g.stride[0] - g.padding[0] + a * g.dilation[0]
        cols = np.arange(g.out_size[1]) * g.stride[1] - g.padding[1] + b * g.dilation[1]
        ok = np.outer((rows >= 0) & (rows < g.size[0]), (cols >= 0) & (cols < g.size[1]))
        ok.flags.writeable = False
        masks.append(None if ok.all() else ok)
    return masks


def _flat_indices(switches: np.ndarray, g: PoolGeometry) -> np.ndarray:
    """Tap t = a*kW + b of window (i, j) -> r*W + c: the window's origin plus the offset."""
    (ph, pw), (dh, dw), w = g.padding, g.dilation, g.size[1]
    origin = (np.arange(g.out_size[0]) * g.stride[0] - ph)[:, None] * w + (
        np.arange(g.out_size[1]) * g.stride[1] - pw
    )[None, :]
    offsets = np.array([a * dh * w + b * dw for a, b, _, _ in taps(g)], dtype=np.int64)
    return np.take(offsets, switches) + origin


def _check_switches(op: str, switches: Any, g: PoolGeometry, batch: tuple[int, ...]) -> None:
    expected = (*batch, *g.out_size)
    if not isinstance(switches, np.ndarray) or switches.shape != expected:
        raise ValueError(
            f"{op}: switches must be an array of shape {fmt(expected)} (N, C, Ho, Wo), got "
            f"{fmt(getattr(switches, 'shape', ()))}"
        )
    if not np.issubdtype(switches.dtype, np.integer):
        raise ValueError(f"{op}: switches must be integers, got {switches.dtype}")
    count = g.kernel[0] * g.kernel[1]
    if switches.size and (switches.min() < 0 or switches.max() >= count):
        raise ValueError(
            f"{op}: switches must be taps in [0, kH*kW) = [0, {count}) for kernel {fmt(g.kernel)}"
        )
