"""Adaptive pooling (any output size, any number of spatial dimensions) and max unpooling,
forward and backward, as PyTorch defines them (LP pooling: lp.py).

Adaptive window i along an axis of length L with `out` outputs covers
[floor(i*L/out), ceil((i+1)*L/out)): neighbouring windows may overlap by one cell, and
output_size 1 is global pooling. The windows are looped over in Python (there are
few: 1 for a global head, 7x7 for an ImageNet head); each is one NumPy reduction.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...shapes import ArgumentTypeError, as_array, as_int, check_array, check_elements, fmt
from ..layout import ALL, at, pool_layouts
from .windows import check_below, route

Box = tuple[slice, ...]


def output_sizes(op: str, output_size: Any, sizes: tuple[int, ...]) -> tuple[int, ...]:
    """An int or one per axis; None keeps that axis's input size (PyTorch's rule)."""
    dims = len(sizes)
    values = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * dims
    if len(values) != dims:
        raise ValueError(f"{op}: output_size needs {dims} entries, got {output_size!r}")
    return tuple(
        n if v is None else as_int(op, "output_size", v, 1)
        for v, n in zip(values, sizes, strict=True)
    )


def bounds(size: int, out: int) -> list[tuple[int, int]]:
    """[floor(i*L/out), ceil((i+1)*L/out)) for each of the out windows along one axis."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def boxes(sizes: tuple[int, ...], outs: tuple[int, ...]) -> list[tuple[tuple[int, ...], Box]]:
    """(output position, the input box it pools) for every output position."""
    per_axis = [bounds(n, o) for n, o in zip(sizes, outs, strict=True)]
    return [(i, tuple(slice(*per_axis[a][i[a]]) for a in range(len(i)))) for i in np.ndindex(*outs)]


def _checked(op: str, x: Any, output_size: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """(x as a float array, the output's spatial size), or an error naming op and shapes."""
    x = as_array(op, "input", x)
    dims = max(x.ndim - 2, 1)
    x = check_array(op, "input", x, dims + 2, pool_layouts(dims)[0])
    if min(x.shape[1:]) < 1:
        raise ValueError(f"{op}: channels and sizes must be non-empty, got {fmt(x.shape)}")
    outs = output_sizes(op, output_size, x.shape[2:])
    check_elements(op, "the output", (*x.shape[:2], *outs))
    return x, outs


def _input_shape(op: str, input_shape: Any, grad_y: np.ndarray) -> tuple[int, ...]:
    """input_shape (N, C, *size), non-empty, matching grad_y's (N, C) and dimensions."""
    if not isinstance(input_shape, (tuple, list, np.ndarray)):
        raise ArgumentTypeError(
            f"{op}: input_shape must be a tuple of ints (N, C, *size), got {input_shape!r}"
        )
    shape = tuple(as_int(op, "input_shape", n, 0) for n in input_shape)
    if len(shape) != grad_y.ndim or shape[:2] != grad_y.shape[:2] or min(shape[1:]) < 1:
        raise ValueError(
            f"{op}: input_shape {fmt(shape)} must be a non-empty (N, C, *size) with grad_y's "
            f"N, C and number of dimensions; grad_y {fmt(grad_y.shape)}"
        )
    check_elements(op, "the input gradient", shape)
    return shape


def adaptive_avg_pool(x: np.ndarray, output_size: Any) -> np.ndarray:
    """Y[i] = the mean of input box i. Shape: (N, C, *size) -> (N, C, *output_size)."""
    x, outs = _checked("adaptive_avg_pool", x, output_size)
    y = np.empty((*x.shape[:2], *outs), dtype=x.dtype)
    axes = tuple(range(2, x.ndim))
    for i, box in boxes(x.shape[2:], outs):
        y[at(ALL, ALL, i)] = x[at(ALL, ALL, box)].mean(axis=axes)
    return y


def adaptive_avg_pool_backward(grad_y: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    op = "adaptive_avg_pool_backward"
    grad_y = as_array(op, "grad_y", grad_y)
    if grad_y.ndim < 3 or min(grad_y.shape[1:]) < 1:
        raise ValueError(f"{op}: grad_y must be a non-empty (N, C, *out), got {fmt(grad_y.shape)}")
    return adaptive_avg_core_backward(grad_y, _input_shape(op, input_shape, grad_y))


def adaptive_avg_core_backward(grad_y: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """Unchecked: dL/dX of the (N, C, *size) input_shape, grad_y (N, C, *out)."""
    # dL/dX[r] = sum over boxes i holding r of dL/dY[i] / (box i's volume)
    gx = np.zeros(input_shape, dtype=grad_y.dtype)
    dims = len(input_shape) - 2
    for i, box in boxes(tuple(input_shape[2:]), grad_y.shape[2:]):
        volume = math.prod(s.stop - s.start for s in box)
        gx[at(ALL, ALL, box)] += (grad_y[at(ALL, ALL, i)] / volume)[(...,) + (None,) * dims]
    return gx


def adaptive_max_pool(x: np.ndarray, output_size: Any) -> tuple[np.ndarray, np.ndarray]:
    """(Y, indices): each box's maximum and its flat position in the input plane (r*W + c
    in 2-D), the first maximum in row-major order; a NaN wins (its last one, as PyTorch)."""
    x, outs = _checked("adaptive_max_pool", x, output_size)
    n, c, sizes = x.shape[0], x.shape[1], x.shape[2:]
    y = np.empty((n, c, *outs), dtype=x.dtype)
    idx = np.empty((n, c, *outs), dtype=np.int64)
    for i, box in boxes(sizes, outs):
        values = x[at(ALL, ALL, box)].reshape(n, c, -1)
        local = values.argmax(axis=2)
        nan = np.isnan(values)
        if nan.any():
            last_nan = values.shape[2] - 1 - nan[..., ::-1].argmax(axis=2)
            local = np.where(nan.any(axis=2), last_nan, local)
        y[at(ALL, ALL, i)] = np.take_along_axis(values, local[..., None], axis=2)[..., 0]
        corner = np.unravel_index(local, tuple(s.stop - s.start for s in box))
        cells = tuple(s.start + k for s, k in zip(box, corner, strict=True))
        idx[at(ALL, ALL, i)] = np.ravel_multi_index(cells, sizes)
    return y, idx


def _check_indices(op: str, values: np.ndarray, indices: Any, plane: int) -> None:
    if not isinstance(indices, np.ndarray) or indices.shape != values.shape:
        raise ValueError(
            f"{op}: indices must be an array of the input's shape {fmt(values.shape)}, got "
            f"{fmt(getattr(indices, 'shape', ()))}"
        )
    check_below(op, "indices", indices, plane, f"lie in [0, {plane}), the output plane's size")


def adaptive_max_pool_backward(
    grad_y: np.ndarray, indices: np.ndarray, input_shape: tuple[int, ...]
) -> np.ndarray:
    op = "adaptive_max_pool_backward"
    grad_y = as_array(op, "grad_y", grad_y)
    if grad_y.ndim < 3:
        raise ValueError(f"{op}: grad_y must be (N, C, *out), got {fmt(grad_y.shape)}")
    input_shape = _input_shape(op, input_shape, grad_y)
    _check_indices(op, grad_y, indices, math.prod(input_shape[2:]))
    return adaptive_max_core_backward(grad_y, indices, tuple(input_shape))


def adaptive_max_core_backward(
    grad_y: np.ndarray, indices: np.ndarray, input_shape: tuple[int, ...]
) -> np.ndarray:
    """Unchecked: each box's gradient added at its winner's flat index (boxes may overlap)."""
    # dL/dX[winner of box i] += dL/dY[i]   (boxes may overlap: summed)
    return route(grad_y, indices, input_shape, overlapping=True)


def max_unpool(x: np.ndarray, indices: np.ndarray, output_size: tuple[int, ...]) -> np.ndarray:
    """The partial inverse of max pooling: x placed at its indices in a zero output of
    spatial size output_size (PyTorch's max_unpool; its default output size is
    (L-1)*S - 2P + K per axis).

    A wider contract than PyTorch's, on purpose: the kernel knows no kernel size, stride
    or padding, so it takes any output_size (spatial sizes, each >= 1) whose volume holds
    every index. PyTorch's rule, each size strictly between default - S and default + S,
    is applied by F.max_unpool1d/2d/3d and nn.MaxUnpool1d/2d/3d."""
    op = "max_unpool"
    x = as_array(op, "input", x)
    if x.ndim < 3:
        raise ValueError(f"{op}: input must be (N, C, *size), got {fmt(x.shape)}")
    if not isinstance(output_size, (tuple, list, np.ndarray)):
        raise ArgumentTypeError(f"{op}: output_size must be a tuple of ints, got {output_size!r}")
    sizes = tuple(as_int(op, "output_size", n, 1) for n in output_size)
    if len(sizes) != x.ndim - 2:
        raise ValueError(
            f"{op}: output_size needs {x.ndim - 2} spatial sizes, got {output_size!r}; "
            f"input {fmt(x.shape)}"
        )
    check_elements(op, "the output", (*x.shape[:2], *sizes))
    _check_indices(op, x, indices, math.prod(sizes))
    return route(x, indices, (*x.shape[:2], *sizes), overlapping=False)


def max_unpool_backward(grad_y: np.ndarray, indices: np.ndarray) -> np.ndarray:
    op = "max_unpool_backward"
    grad_y = as_array(op, "grad_y", grad_y)
    if grad_y.ndim < 3 or min(grad_y.shape[2:]) < 1:
        raise ValueError(f"{op}: grad_y must be a non-empty (N, C, *out), got {fmt(grad_y.shape)}")
    n, c = grad_y.shape[:2]
    if (
        not isinstance(indices, np.ndarray)
        or indices.ndim != grad_y.ndim
        or (indices.shape[:2] != (n, c))
    ):
        raise ValueError(
            f"{op}: indices must be an array (N, C, *size) with grad_y's N and C, got "
            f"{fmt(getattr(indices, 'shape', ()))}; grad_y {fmt(grad_y.shape)}"
        )
    _check_indices(op, indices, indices, math.prod(grad_y.shape[2:]))
    return max_unpool_core_backward(grad_y, indices)


def max_unpool_core_backward(grad_y: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Unchecked: the gradient of max_unpool, indices (N, C, *size) already checked."""
    # dL/dX[i] = dL/dY[indices[i]]: each input went to one output cell
    n, c = grad_y.shape[:2]
    flat = grad_y.reshape(n, c, -1)
    return np.take_along_axis(flat, indices.reshape(n, c, -1), axis=2).reshape(indices.shape)
