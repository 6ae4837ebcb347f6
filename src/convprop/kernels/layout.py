"""Padding and cropping of the spatial axes (all axes after N and C), shared by every kernel."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..shapes import dilated_extent

Pads = tuple[tuple[int, int], ...]  # one (before, after) pair per spatial axis

# the spatial axes named in error messages, by dimensions: input, kernel and output sizes
SPATIAL = {
    1: ("L", "k", "Lo"),
    2: ("H, W", "kH, kW", "Ho, Wo"),
    3: ("D, H, W", "kD, kH, kW", "Do, Ho, Wo"),
}


def conv_layouts(dims: int) -> tuple[str, str, str]:
    """A convolution's input, weight and output layouts, as error messages name them."""
    x, k, y = SPATIAL[dims]
    return f"(N, C, {x})", f"(C_out, C_in/groups, {k})", f"(N, C_out, {y})"


def pool_layouts(dims: int) -> tuple[str, str]:
    """A pooling's input and output layouts, as error messages name them."""
    x, _, y = SPATIAL.get(dims, ("*size", "", "*out"))
    return f"(N, C, {x})", f"(N, C, {y})"


def pad_spatial(x: np.ndarray, pad: Pads, value: float = 0.0) -> np.ndarray:
    """x (N, C, *size) with pad[i] = (before, after) cells of `value` added along axis 2 + i.

    Writes into one fresh buffer instead of np.pad, which is several times slower.
    Returns x itself when there is nothing to pad (callers never write into it).
    """
    if not any(b or a for b, a in pad):
        return x
    sizes = x.shape[2:]
    shape = x.shape[:2] + tuple(n + b + a for n, (b, a) in zip(sizes, pad, strict=True))
    out = np.full(shape, value, dtype=x.dtype)
    inside: tuple[Any, ...] = (slice(None), slice(None))
    inside += tuple(slice(b, b + n) for n, (b, _) in zip(sizes, pad, strict=True))
    out[inside] = x
    return out


def crop_spatial(xp: np.ndarray, pad: Pads) -> np.ndarray:
    """The inverse of pad_spatial for gradients: drop the padded border (a view)."""
    spatial = xp.shape[xp.ndim - len(pad) :]
    keep: tuple[Any, ...] = (Ellipsis,)
    keep += tuple(slice(b, n - a) for n, (b, a) in zip(spatial, pad, strict=True))
    return xp[keep]


def at(*parts: Any) -> tuple[Any, ...]:
    """An index from slices, ints and tuples of them (flattened): at(all, c, (i, j)) is
    x[:, c, i, j], whatever the number of spatial axes."""
    index: list[Any] = []
    for part in parts:
        index.extend(part if isinstance(part, tuple) else (part,))
    return tuple(index)


ALL = slice(None)


def leading(values: tuple[int, ...], count: int, fill: int = 1) -> tuple[int, ...]:
    """Per-axis values of a layer with fewer axes as `count`, leading axes given `fill`:
    a 1-D or 2-D layer run by a 2-D or 3-D compiled loop (sizes 1, padding 0)."""
    return (fill,) * (count - len(values)) + tuple(int(v) for v in values)


def window_slice(start: int, step: int, count: int) -> slice:
    """Positions start, start+step, ... (count of them), as a slice for strided access."""
    return slice(start, start + dilated_extent(count, step), step)
