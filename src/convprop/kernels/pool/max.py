"""Max pooling, forward and backward: each window's maximum and its recorded winner.

The forward records which of its kH*kW taps won each window, the course's "switch":
`max_pool2d_switches` returns that tap number t = a*kW + b (compact: uint8 for up to
256 taps) and `max_pool2d` turns it into PyTorch's flat indices r*W + c. The backward
routes each upstream gradient to its window's winner:

* from switches, where windows cannot overlap, one assignment per tap into strided
  slices (no scatter, no index arithmetic);
* from flat indices, one fancy-index assignment; where windows overlap (either way),
  np.bincount sums the gradients of a shared winner (1.5x faster than per-tap adds).

winners.py finds each window's maximum and first winner, without a loop over windows;
windows.py holds the taps and the flat-index rules max pooling shares.

Everything here works over any number of spatial dimensions (the `max_pool_*`
functions take it from the input, or `dims`); PyTorch's names, max_pool1d/2d/3d and the
2-D switch helpers, are these with `dims` fixed (api.py).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ...shapes import (
    ArgumentTypeError,
    PoolGeometry,
    as_tuple,
    check_array,
    dilated_extent,
    fmt,
    pool_geometry,
    pool_stride,
)
from ..family import spatial_dims
from ..layout import ALL, at, crop_spatial, pad_spatial, pool_layouts
from . import jitted
from .windows import check_below, input_shape_of, padded_shape, route, taps
from .winners import forward as _forward
from .winners import inside as _inside
from .winners import maxima as _maxima


def _op(name: str, dims: int) -> str:
    return name.replace("max_pool", f"max_pool{dims}d", 1)


def _geometry(
    name: str,
    x: np.ndarray,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    dims: int | None = None,
) -> tuple[str, PoolGeometry, np.ndarray]:
    if dims is None:
        dims = spatial_dims(x)
    op = _op(name, dims)
    x = check_array(op, "input", x, dims + 2, pool_layouts(dims)[0])
    g = pool_geometry(op, x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    return op, g, x


def max_pool(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    *,
    dims: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(y, indices) over x.ndim - 2 spatial dimensions (or `dims`, checked)."""
    _, g, x = _geometry("max_pool", x, kernel_size, stride, padding, dilation, ceil_mode, dims)
    y, switches = _forward(x, g)
    return y, flat_indices(switches, g)


def max_pool_planned(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    *,
    dims: int | None = None,
) -> tuple[np.ndarray, np.ndarray, PoolGeometry]:
    """max_pool_switches' checked forward and the geometry its backward reuses
    (route_switches, flat_indices, split_ties: unchecked)."""
    _, g, x = _geometry(
        "max_pool_switches", x, kernel_size, stride, padding, dilation, ceil_mode, dims
    )
    y, switches = _forward(x, g)
    return y, switches, g


def max_pool_switches(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    *,
    dims: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(y, switches): each window's maximum and its winning tap (unsigned ints)."""
    y, switches, _ = max_pool_planned(
        x, kernel_size, stride, padding, dilation, ceil_mode, dims=dims
    )
    return y, switches


def _dims_of(name: str, input_shape: Any) -> int:
    """The spatial dimensions input_shape (N, C, *size) declares."""
    if not isinstance(input_shape, (tuple, list, np.ndarray)):
        raise ArgumentTypeError(
            f"{name}: input_shape must be a tuple of ints (N, C, *size), got {input_shape!r}"
        )
    return max(len(input_shape) - 2, 1)


def _input_geometry(
    name: str,
    input_shape: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    dims: int | None,
) -> tuple[str, tuple[int, ...], PoolGeometry]:
    dims = dims or _dims_of(name, input_shape)
    op = _op(name, dims)
    shape = input_shape_of(op, input_shape, dims)
    return op, shape, pool_geometry(op, shape, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool_indices(
    switches: np.ndarray,
    input_shape: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    *,
    dims: int | None = None,
) -> np.ndarray:
    """PyTorch's flat indices (r*W + c in 2-D) from max_pool_switches' taps."""
    op, shape, g = _input_geometry(
        "max_pool_indices", input_shape, kernel_size, stride, padding, dilation, ceil_mode, dims
    )
    _check_switches(op, switches, g, shape[:2])
    return flat_indices(switches, g)


def max_pool_switches_backward(
    grad_y: np.ndarray,
    switches: np.ndarray,
    input_shape: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    *,
    dims: int | None = None,
) -> np.ndarray:
    op, shape, g = _input_geometry(
        "max_pool_switches_backward",
        input_shape,
        kernel_size,
        stride,
        padding,
        dilation,
        ceil_mode,
        dims,
    )
    grad_y = check_array(op, "grad_y", grad_y, len(shape), pool_layouts(len(shape) - 2)[1])
    compiled = jitted.usable(grad_y)  # the kernel tests each switch's value on its way
    _check_switches(op, switches, g, shape[:2], values=not compiled)
    if grad_y.shape != switches.shape:
        _check_switches(op, switches, g, shape[:2])  # a bad switch is named first
        raise ValueError(
            f"{op}: grad_y {fmt(grad_y.shape)} must have the switches' shape {fmt(switches.shape)}"
        )
    if not compiled:
        return route_switches(grad_y, switches, shape, g)
    grad_x, valid = jitted.max_backward(grad_y, switches, shape, g)
    if not valid:
        _check_switches(op, switches, g, shape[:2])  # raises, naming the rule broken
        raise AssertionError(f"{op}: the compiled kernel rejected switches that pass the checks")
    return grad_x


def route_switches(
    grad_y: np.ndarray, switches: np.ndarray, shape: tuple[int, ...], g: PoolGeometry
) -> np.ndarray:
    """Unchecked: dL/dX of the (N, C, *size) input `shape` pooled by g, from its switches."""
    # dL/dX[tap t of window i] += dL/dY[i] where switches[i] == t; others get 0
    if jitted.usable(grad_y):  # one compiled pass over the windows
        return jitted.max_backward(grad_y, switches, shape, g)[0]
    if not _disjoint(g.kernel, g.stride, g.dilation):
        # windows share inputs: np.bincount sums them (measured 1.5x faster than per-tap adds)
        return route(grad_y, flat_indices(switches, g), shape, overlapping=True)
    gxp = np.zeros(padded_shape(shape, g), dtype=grad_y.dtype)
    finite = bool(np.isfinite(grad_y).all())  # else grad * 0 would be NaN: select instead
    won = np.empty(switches.shape, dtype=bool)
    for t, (_, cells) in enumerate(taps(g)):
        np.equal(switches, t, out=won)
        if finite:  # each input wins at most one window: assign, tap by tap
            np.multiply(grad_y, won, out=gxp[at(ALL, ALL, cells)])
        else:
            np.copyto(gxp[at(ALL, ALL, cells)], grad_y, where=won)
    return np.ascontiguousarray(crop_spatial(gxp, g.pad))


def max_pool_grad(
    x: np.ndarray,
    grad_y: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    *,
    ties: str = "first",
    dims: int | None = None,
) -> np.ndarray:
    """The input gradient of max pooling from the input itself, under a tie policy.

    ties="first" sends each window's gradient to its first maximum in row-major order
    (PyTorch's rule, the same as the switches); ties="split" shares it evenly among all
    the window's maxima (tinygrad's rule). Without ties the two are equal. A window
    holding NaN treats its NaNs as its maxima.
    """
    op, g, x = _geometry(
        "max_pool_grad", x, kernel_size, stride, padding, dilation, ceil_mode, dims
    )
    grad_y = check_array(op, "grad_y", grad_y, x.ndim, "(N, C, *out)")
    if grad_y.shape != (*x.shape[:2], *g.out_size):
        raise ValueError(
            f"{op}: grad_y has shape {fmt(grad_y.shape)} but the pooling of input "
            f"{fmt(x.shape)} gives {fmt((*x.shape[:2], *g.out_size))}"
        )
    if ties == "first":
        return route_switches(grad_y, _forward(x, g)[1], x.shape, g)
    if ties != "split":
        raise ValueError(f"{op}: ties must be 'first' or 'split', got {ties!r}")
    return split_ties(x, grad_y, g)


def split_ties(x: np.ndarray, grad_y: np.ndarray, g: PoolGeometry) -> np.ndarray:
    """Unchecked: each window's gradient shared evenly among its maxima (ties="split")."""
    # dL/dX[each of the m maxima of window i] += dL/dY[i] / m
    window = taps(g)
    xp = pad_spatial(x, g.pad, value=-np.inf)
    y = _maxima(xp, window)
    nan = np.isnan(y)
    hits = []
    for inside, (_, cells) in zip(_inside(g), window, strict=True):
        tap = xp[at(ALL, ALL, cells)]
        hit = (tap == y) | (np.isnan(tap) & nan)
        hits.append(hit if inside is None else hit & inside)
    share = grad_y / np.sum(hits, axis=0, dtype=grad_y.dtype)
    gxp = np.zeros(xp.shape, dtype=grad_y.dtype)
    for hit, (_, cells) in zip(hits, window, strict=True):
        gxp[at(ALL, ALL, cells)] += np.where(hit, share, 0)
    return np.ascontiguousarray(crop_spatial(gxp, g.pad))


def max_pool_backward(
    grad_y: np.ndarray,
    indices: np.ndarray,
    input_shape: Any,
    *,
    kernel_size: Any = None,
    stride: Any = None,
    dilation: Any = 1,
    dims: int | None = None,
) -> np.ndarray:
    """Route each gradient to its window's recorded winner, summing where windows share one.

    Given the pooling's kernel_size (and stride, dilation), windows that cannot overlap
    (stride >= D*(K-1)+1) have distinct winners, and the gradients are assigned in one
    pass instead of summed (several times faster). The gradient: windows.route.
    """
    dims = dims or _dims_of("max_pool_backward", input_shape)
    op = _op("max_pool_backward", dims)
    grad_y = check_array(op, "grad_y", grad_y, dims + 2, pool_layouts(dims)[1])
    shape = input_shape_of(op, input_shape, dims)
    if not isinstance(indices, np.ndarray) or min(shape[1:]) < 1:
        raise ValueError(f"{op}: indices must be an array and input_shape {fmt(shape)} non-empty")
    if indices.shape != grad_y.shape or shape[:2] != grad_y.shape[:2]:
        raise ValueError(
            f"{op}: grad_y {fmt(grad_y.shape)} and indices {fmt(indices.shape)} must share one "
            f"(N, C, *out) shape matching input_shape {fmt(shape)}"
        )
    plane = math.prod(shape[2:])
    where = f"[0, {'H*W' if dims == 2 else 'the plane size'}) = [0, {plane})"
    check_below(op, "indices", indices, plane, f"lie in {where} for input_shape {fmt(shape)}")
    overlapping = kernel_size is None
    if kernel_size is not None:
        k = as_tuple(op, "kernel_size", kernel_size, 1, dims)
        d = as_tuple(op, "dilation", dilation, 1, dims)
        overlapping = not _disjoint(k, pool_stride(op, stride, k), d)
    if jitted.usable(grad_y):  # one compiled pass, summing in window order
        return jitted.route(grad_y, indices, shape)
    return route(grad_y, indices, shape, overlapping)


def _disjoint(kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]) -> bool:
    """Whether no two windows share an input: stride >= D*(K-1)+1 along every axis."""
    return all(s >= dilated_extent(k, d) for k, s, d in zip(kernel, stride, dilation, strict=True))


def flat_indices(switches: np.ndarray, g: PoolGeometry) -> np.ndarray:
    """Unchecked: tap t of window i -> its flat position in the input (r*W + c in 2-D): the window's
    origin plus the tap's offset, both in row-major order over the spatial axes."""
    steps = [math.prod(g.size[i + 1 :]) for i in range(len(g.size))]
    origin = functools.reduce(
        np.add.outer,
        [
            (np.arange(o) * s - p) * m
            for o, s, p, m in zip(g.out_size, g.stride, g.padding, steps, strict=True)
        ],
    )
    offsets = np.array(
        [
            sum(a * d * m for a, d, m in zip(tap, g.dilation, steps, strict=True))
            for tap, _ in taps(g)
        ],
        dtype=np.int64,
    )
    return np.take(offsets, switches) + origin


def _check_switches(
    op: str, switches: Any, g: PoolGeometry, batch: tuple[int, ...], values: bool = True
) -> None:
    """Switches of the pooling's output shape, integers, and (with `values`) each a tap of
    its window that lies inside the input."""
    expected = (*batch, *g.out_size)
    if not isinstance(switches, np.ndarray) or switches.shape != expected:
        raise ValueError(
            f"{op}: switches must be an array of shape {fmt(expected)} (N, C, *out), got "
            f"{fmt(getattr(switches, 'shape', ()))}"
        )
    count = math.prod(g.kernel)
    rule = f"be taps in [0, kH*kW) = [0, {count}) for kernel {fmt(g.kernel)}"
    if not values:
        if not np.issubdtype(switches.dtype, np.integer):
            check_below(op, "switches", switches, count, rule)  # raises: not integers
        return
    check_below(op, "switches", switches, count, rule)
    for t, inside in enumerate(_inside(g)):  # None where every window sees tap t inside
        if inside is not None and (np.equal(switches, t) & ~inside).any():
            raise ValueError(
                f"{op}: a switch names tap {t}, which lies in the padding for its window "
                f"(kernel {fmt(g.kernel)}, stride {g.stride}, padding {g.padding}); a max "
                "pooling never picks it"
            )
