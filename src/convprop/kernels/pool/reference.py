"""Pooling's sums as loops: the specification the pooling kernels are tested against.

Slow on purpose and written to be read beside the course: for every output position i
(a multi-index: (i, j) in 2-D), the window's taps are visited one by one in row-major
window order, taps that fall in the padding skipped.
"""

from __future__ import annotations

import numpy as np

from ...shapes import PoolGeometry
from ..layout import ALL, at


def _pool_windows(g: PoolGeometry, i: tuple[int, ...]) -> list[tuple[int, ...]]:
    """In-bounds input positions of window i, in row-major window order."""
    cells = []
    for a in np.ndindex(*g.kernel):
        r = tuple(
            ii * s - p + aa * d
            for ii, aa, s, p, d in zip(i, a, g.stride, g.padding, g.dilation, strict=True)
        )
        if all(0 <= rr < n for rr, n in zip(r, g.size, strict=True)):
            cells.append(r)
    return cells


def _flat(r: tuple[int, ...], g: PoolGeometry) -> int:
    """The flat position of cell r in its plane: r*W + c in 2-D."""
    return int(np.ravel_multi_index(r, g.size))


def max_pool(x: np.ndarray, g: PoolGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Y = the largest input of each window; indices = its flat position (r*W + c in 2-D).

    Ties go to the first maximum in row-major window order; a NaN wins (PyTorch's rule).
    """
    n, c = x.shape[:2]
    y = np.empty((n, c, *g.out_size), dtype=x.dtype)
    idx = np.empty((n, c, *g.out_size), dtype=np.int64)
    for i in np.ndindex(*g.out_size):
        cells = _pool_windows(g, i)
        best = np.full((n, c), -np.inf, dtype=x.dtype)
        where = np.full((n, c), _flat(cells[0], g), dtype=np.int64)
        for r in cells:
            v = x[at(ALL, ALL, r)]
            better = (v > best) | np.isnan(v)
            best = np.where(better, v, best)
            where = np.where(better, _flat(r, g), where)
        y[at(ALL, ALL, i)], idx[at(ALL, ALL, i)] = best, where
    return y, idx


def max_pool_backward(
    grad_y: np.ndarray, indices: np.ndarray, input_shape: tuple[int, ...]
) -> np.ndarray:
    # dL/dX[winner] += dL/dY[i] for every window i; every other input gets 0.
    n, c = input_shape[:2]
    gx = np.zeros((n, c, int(np.prod(input_shape[2:]))), dtype=grad_y.dtype)
    for i in np.ndindex(*grad_y.shape[2:]):
        for nn in range(n):
            for cc in range(c):
                gx[nn, cc, indices[at(nn, cc, i)]] += grad_y[at(nn, cc, i)]
    return gx.reshape(input_shape)


def max_pool_backward_split(grad_y: np.ndarray, x: np.ndarray, g: PoolGeometry) -> np.ndarray:
    # dL/dX[each of the m maxima of window i] += dL/dY[i] / m   (ties split evenly)
    n, c = x.shape[:2]
    gx = np.zeros(x.shape, dtype=grad_y.dtype)
    for i in np.ndindex(*g.out_size):
        cells = _pool_windows(g, i)
        for nn in range(n):
            for cc in range(c):
                values = [x[at(nn, cc, r)] for r in cells]
                if any(np.isnan(v) for v in values):
                    winners = [r for r, v in zip(cells, values, strict=True) if np.isnan(v)]
                else:
                    top = max(values)
                    winners = [r for r, v in zip(cells, values, strict=True) if v == top]
                for r in winners:
                    gx[at(nn, cc, r)] += grad_y[at(nn, cc, i)] / len(winners)
    return gx


def avg_pool_divisor(
    g: PoolGeometry, i: tuple[int, ...], count_include_pad: bool, divisor_override: int | None
) -> int:
    """PyTorch's divisor: the window's taps that land in the padded input, or in the input
    itself (with dilation 1, the window clipped to either)."""
    if divisor_override is not None:
        return divisor_override
    counted = uncounted = 1
    for ii, k, s, p, d, n in zip(i, g.kernel, g.stride, g.padding, g.dilation, g.size, strict=True):
        taps = [ii * s - p + a * d for a in range(k)]
        counted *= sum(1 for r in taps if r < n + p)
        uncounted *= sum(1 for r in taps if 0 <= r < n)
    return counted if count_include_pad else uncounted


def avg_pool(
    x: np.ndarray, g: PoolGeometry, count_include_pad: bool, divisor_override: int | None
) -> np.ndarray:
    """Y[i] = (sum of window i) / divisor."""
    y = np.empty((*x.shape[:2], *g.out_size), dtype=x.dtype)
    for i in np.ndindex(*g.out_size):
        total = np.zeros(x.shape[:2], dtype=x.dtype)
        for r in _pool_windows(g, i):
            total += x[at(ALL, ALL, r)]
        y[at(ALL, ALL, i)] = total / avg_pool_divisor(g, i, count_include_pad, divisor_override)
    return y


def avg_pool_backward(
    grad_y: np.ndarray,
    input_shape: tuple[int, ...],
    g: PoolGeometry,
    count_include_pad: bool,
    divisor_override: int | None,
) -> np.ndarray:
    # dL/dX[r] += dL/dY[i] / divisor   for every window i containing r
    gx = np.zeros(input_shape, dtype=grad_y.dtype)
    for i in np.ndindex(*g.out_size):
        share = grad_y[at(ALL, ALL, i)] / avg_pool_divisor(
            g, i, count_include_pad, divisor_override
        )
        for r in _pool_windows(g, i):
            gx[at(ALL, ALL, r)] += share
    return gx


# the 2-D names the pooling tests use
max_pool2d, max_pool2d_backward, max_pool2d_backward_split = (
    max_pool,
    max_pool_backward,
    max_pool_backward_split,
)
avg_pool2d, avg_pool2d_backward = avg_pool, avg_pool_backward
