"""Padding modes and their gradients: constant, reflect, replicate, circular (PyTorch's
F.pad modes, used by the Conv modules' padding_mode).

Every non-constant mode reads each padded cell from one input cell: along an axis of
length L, padded position p (from -before to L + after - 1) reads

    reflect    |p| mirrored without repeating the edge: -p for p < 0, 2(L-1) - p past the end
    replicate  the nearest edge cell: clip(p, 0, L-1)
    circular   p mod L

so the forward is one gather per axis and the backward adds each border cell's gradient
back to the cell it was read from (the centre is copied), axis by axis in reverse.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..shapes import ArgumentTypeError, as_array, as_int, check_elements, fmt
from .layout import pad_spatial

MODES = ("constant", "reflect", "replicate", "circular")
Pads = tuple[tuple[int, int], ...]


def source(mode: str, length: int, before: int, after: int) -> np.ndarray:
    """For each padded position along one axis, the input position it reads."""
    p = np.arange(-before, length + after)
    if mode == "reflect":
        return np.where(p < 0, -p, np.where(p >= length, 2 * (length - 1) - p, p))
    if mode == "replicate":
        return np.clip(p, 0, length - 1)
    return p % length  # circular


def _pairs(op: str, pads: Any, a: np.ndarray) -> Pads:
    """pads as one (before, after) pair of ints in [0, 2**31) per spatial axis of a."""
    if a.ndim < 3:
        raise ValueError(f"{op}: the array must be (N, C, *size), got shape {fmt(a.shape)}")
    dims = a.ndim - 2
    if not isinstance(pads, (tuple, list)) or len(pads) != dims:
        raise ValueError(
            f"{op}: pads needs one (before, after) pair per spatial axis ({dims}), got {pads!r}"
        )
    pairs = []
    for pair in pads:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"{op}: each pad must be a (before, after) pair, got {pads!r}")
        pairs.append((as_int(op, "padding", pair[0], 0), as_int(op, "padding", pair[1], 0)))
    return tuple(pairs)


def check(op: str, mode: str, sizes: tuple[int, ...], pads: Pads) -> None:
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"{op}: mode must be one of {', '.join(MODES)}, got {mode!r}")
    for n, (b, a) in zip(sizes, pads, strict=True):
        if min(b, a) < 0:
            raise ValueError(f"{op}: padding must be non-negative, got {pads}")
        if mode == "reflect" and max(b, a) >= n:
            raise ValueError(
                f"{op}: reflect padding must be smaller than the input size along its axis, "
                f"got padding {pads} for spatial sizes {sizes}"
            )
        if mode == "circular" and max(b, a) > n:
            raise ValueError(
                f"{op}: circular padding can wrap at most once (padding <= size), got padding "
                f"{pads} for spatial sizes {sizes}"
            )


def pad_planned(x: np.ndarray, pads: Pads, mode: str, value: float) -> tuple[np.ndarray, Pads]:
    """pad's checked forward, with the (before, after) pairs pad_core_backward reuses."""
    x = as_array("pad", "input", x)
    pads = _pairs("pad", pads, x)
    check("pad", mode, x.shape[2:], pads)
    padded = tuple(n + b + a for n, (b, a) in zip(x.shape[2:], pads, strict=True))
    check_elements("pad", "the output", (*x.shape[:2], *padded))
    real = isinstance(value, (int, float, np.integer, np.floating))
    if not real or isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"pad: value must be a real number, got {value!r}")
    if mode == "constant":
        return pad_spatial(x, pads, value), pads
    out = x
    for axis, (b, a) in enumerate(pads):
        if b or a:
            out = np.take(out, source(mode, x.shape[2 + axis], b, a), axis=2 + axis)
    return out, pads


def pad(x: np.ndarray, pads: Pads, mode: str = "constant", value: float = 0.0) -> np.ndarray:
    """x (N, C, *size) padded by pads[i] = (before, after) along spatial axis i."""
    return pad_planned(x, pads, mode, value)[0]


def pad_backward(grad_y: np.ndarray, pads: Pads, mode: str = "constant") -> np.ndarray:
    """dL/dx of pad(x, pads, mode): checked, then pad_core_backward."""
    grad_y = as_array("pad_backward", "grad_y", grad_y)
    pads = _pairs("pad_backward", pads, grad_y)
    sizes = tuple(n - b - a for n, (b, a) in zip(grad_y.shape[2:], pads, strict=True))
    if min(sizes, default=1) < 1:
        raise ValueError(
            f"pad_backward: padding {pads} leaves no input of grad_y {fmt(grad_y.shape)}"
        )
    check("pad_backward", mode, sizes, pads)
    return pad_core_backward(grad_y, pads, mode)


def pad_core_backward(grad_y: np.ndarray, pads: Pads, mode: str) -> np.ndarray:
    """Unchecked: dL/dx of pad(x, pads, mode), pads the checked (before, after) pairs."""
    # dL/dx[s] = sum over the padded cells p that read s of dL/dy[p]   (constant: the centre)
    sizes = tuple(n - b - a for n, (b, a) in zip(grad_y.shape[2:], pads, strict=True))
    g = grad_y
    for axis in reversed(range(len(pads))):
        b, a = pads[axis]
        if not (b or a):
            continue
        n, dim = sizes[axis], 2 + axis
        centre = np.take(g, np.arange(b, b + n), axis=dim)
        if mode != "constant":
            reads = source(mode, n, b, a)
            for p in (*range(b), *range(b + n, b + n + a)):  # border cells only
                target = [slice(None)] * g.ndim
                target[dim] = slice(int(reads[p]), int(reads[p]) + 1)
                centre[tuple(target)] += np.take(g, [p], axis=dim)
        g = centre
    return np.ascontiguousarray(g)
