"""What max, average and LP pooling share: each window's taps as strided slices, the
input shape a backward is given, and flat positions in an input plane (their rule and
where values at them go). Max pooling's winners (winners.py) and adaptive pooling and
unpooling (adaptive.py) use the flat positions too.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ...shapes import PoolGeometry, as_int, fmt
from ..layout import pool_layouts, window_slice

Tap = tuple[tuple[int, ...], tuple[slice, ...]]
# taps and winners.inside are remembered per geometry, for the last GEOMETRIES ones:
# a network has a few pooling geometries; the bound keeps a long run over many shapes finite
GEOMETRIES = 64


@functools.lru_cache(maxsize=GEOMETRIES)
def taps(g: PoolGeometry) -> tuple[Tap, ...]:
    """(tap, cells): tap (a, b) of every window as one strided slice per axis of the padded
    input, in row-major window order (slices only, no arrays; the last GEOMETRIES kept)."""
    return tuple(
        (
            tap,
            tuple(
                window_slice(a * d, s, o)
                for a, d, s, o in zip(tap, g.dilation, g.stride, g.out_size, strict=True)
            ),
        )
        for tap in np.ndindex(*g.kernel)
    )


def input_shape_of(op: str, input_shape: Any, dims: int) -> tuple[int, ...]:
    """input_shape as (N, C, *size) ints; the geometry checks that C and sizes are non-empty."""
    shape = tuple(as_int(op, "input_shape", s, 0) for s in input_shape)
    if len(shape) != dims + 2:
        raise ValueError(f"{op}: input_shape must be {pool_layouts(dims)[0]}, got {fmt(shape)}")
    return shape


def padded_shape(shape: tuple[int, ...], g: PoolGeometry) -> tuple[int, ...]:
    """(N, C, *size) with g's padding (and ceil_mode's overhang) added to every spatial axis."""
    return (*shape[:2], *(n + b + a for n, (b, a) in zip(shape[2:], g.pad, strict=True)))


def check_below(op: str, name: str, values: np.ndarray, limit: int, rule: str) -> None:
    """The one rule of flat positions (indices) and taps (switches): integers in [0, limit);
    `rule` finishes the range error, "{op}: {name} must {rule}"."""
    if not np.issubdtype(values.dtype, np.integer):
        raise ValueError(f"{op}: {name} must be integers, got {values.dtype}")
    if values.size and (values.min() < 0 or values.max() >= limit):
        raise ValueError(f"{op}: {name} must {rule}")


def route(
    grad_y: np.ndarray, indices: np.ndarray, shape: tuple[int, ...], overlapping: bool
) -> np.ndarray:
    """Values placed at their flat indices in zero (N, C, *shape[2:]) planes: assigned when
    no two share an index, else summed by np.bincount (an unbuffered ufunc scatter measured
    5x-75x slower). Max pooling's backward, and adaptive pooling's and unpooling's too."""
    # max pooling: dL/dX[winner of window i] += dL/dY[i] (indices: the winners); others get 0
    planes, plane = shape[0] * shape[1], math.prod(shape[2:])
    windows = math.prod(indices.shape[2:])
    flat = (indices.reshape(planes, windows) + np.arange(planes)[:, None] * plane).ravel()
    if not overlapping:
        out = np.zeros(planes * plane, dtype=grad_y.dtype)
        out[flat] = grad_y.ravel()  # every input wins at most one window
        return out.reshape(shape)
    gx = np.bincount(flat, weights=grad_y.ravel(), minlength=planes * plane)
    return gx.astype(grad_y.dtype, copy=False).reshape(shape)
