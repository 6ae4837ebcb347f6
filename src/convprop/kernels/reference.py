"""The course's sums as loops: the specification every fast algorithm is tested against.

Slow on purpose and written to be read beside the course. Loops run over output
pixels (i, j) and filter taps (a, b) (any number of spatial dimensions: i and a are
then multi-indices); the sum over channels (and the batch) at one (i, a) is a small
matrix product, which is the same sum written once.

Library convention (PyTorch's, "cross-correlation"), with padding P, stride S, dilation D:

    Y[n, o, i, j] = sum_{c, a, b} Xp[n, c, i*S + a*D, j*S + b*D] * W[o, c, a, b]

The single-channel functions at the end use the course's own symbols and its true
convolution (filter anchored at a corner), with scalar loops and nothing else.
"""

from __future__ import annotations

import numpy as np

from ..shapes import ConvGeometry, PoolGeometry
from .layout import ALL, at, crop_spatial, pad_spatial


def _group_slices(g: ConvGeometry) -> list[tuple[slice, slice]]:
    """(input-channel slice, output-channel slice) of each group."""
    cg, og = g.in_channels // g.groups, g.out_channels // g.groups
    return [(slice(k * cg, (k + 1) * cg), slice(k * og, (k + 1) * og)) for k in range(g.groups)]


def _at(i: tuple[int, ...], a: tuple[int, ...], g: ConvGeometry) -> tuple[int, ...]:
    """The padded-input position output i reads with filter tap a: i*S + a*D per axis."""
    return tuple(ii * s + aa * d for ii, aa, s, d in zip(i, a, g.stride, g.dilation, strict=True))


def conv_forward(x: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Y[n,o,i] = sum_{c,a} Xp[n, c, i*S + a*D] * W[o, c, a], i and a running over all
    spatial positions and taps: (i, j) and (a, b) in 2-D."""
    xp = pad_spatial(x, g.pad)
    y = np.zeros(g.y_shape, dtype=x.dtype)
    for cs, os in _group_slices(g):
        for i in np.ndindex(*g.out_size):
            for a in np.ndindex(*g.kernel):
                y[at(ALL, os, i)] += xp[at(ALL, cs, _at(i, a, g))] @ weight[at(os, ALL, a)].T
    return y


def conv_grad_weight(grad_y: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dW[o,c,a] = sum_{n,i} dL/dY[n,o,i] * Xp[n, c, i*S + a*D]
    xp = pad_spatial(x, g.pad)
    gw = np.zeros(g.w_shape, dtype=x.dtype)
    for cs, os in _group_slices(g):
        for a in np.ndindex(*g.kernel):
            for i in np.ndindex(*g.out_size):
                gw[at(os, ALL, a)] += grad_y[at(ALL, os, i)].T @ xp[at(ALL, cs, _at(i, a, g))]
    return gw


def conv_grad_input(grad_y: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dXp[n, c, i*S + a*D] += sum_o dL/dY[n,o,i] * W[o,c,a]   (chain rule);
    # gathered per input pixel this is dL/dY fully convolved with the flipped W.
    gxp = np.zeros((g.batch, g.in_channels, *g.padded_size), dtype=grad_y.dtype)
    for cs, os in _group_slices(g):
        for i in np.ndindex(*g.out_size):
            for a in np.ndindex(*g.kernel):
                gxp[at(ALL, cs, _at(i, a, g))] += grad_y[at(ALL, os, i)] @ weight[at(os, ALL, a)]
    return np.ascontiguousarray(crop_spatial(gxp, g.pad))


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


def course_convolve(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Y[i, j] = sum_{a<K1} sum_{b<K2} X[i-a, j-b] * W[a, b]  for K1-1 <= i < H, K2-1 <= j < W.

    Returned with Y's first row at i = K1-1 (the "valid" part, M1 x M2 = (H-K1+1) x (W-K2+1)).
    """
    K1, K2 = W.shape
    M1, M2 = X.shape[0] - K1 + 1, X.shape[1] - K2 + 1
    Y = np.zeros((M1, M2), dtype=X.dtype)
    for i in range(K1 - 1, K1 - 1 + M1):
        for j in range(K2 - 1, K2 - 1 + M2):
            for a in range(K1):
                for b in range(K2):
                    Y[i - K1 + 1, j - K2 + 1] += X[i - a, j - b] * W[a, b]
    return Y


def course_grad_weight(X: np.ndarray, dY: np.ndarray, K1: int, K2: int) -> np.ndarray:
    # dL/dW[a', b'] = sum_{i<M1} sum_{j<M2} dL/dY[i, j] * X[i - a', j - b']
    # (a convolution of X with dL/dY)
    M1, M2 = dY.shape
    dW = np.zeros((K1, K2), dtype=X.dtype)
    for a in range(K1):
        for b in range(K2):
            for i in range(M1):
                for j in range(M2):
                    # dY is stored from the course's i = K1-1; shift back to X's indices
                    dW[a, b] += dY[i, j] * X[i + K1 - 1 - a, j + K2 - 1 - b]
    return dW


def course_grad_input(dY: np.ndarray, W: np.ndarray, H: int, Wd: int) -> np.ndarray:
    # dL/dX[i', j'] = sum_{a<K1} sum_{b<K2} dL/dY[i' + a, j' + b] * W[a, b]
    # (dL/dY zero outside its range: dL/dY fully convolved with the 180-degree-flipped W)
    K1, K2 = W.shape
    M1, M2 = dY.shape
    dX = np.zeros((H, Wd), dtype=dY.dtype)
    for ip in range(H):
        for jp in range(Wd):
            for a in range(K1):
                for b in range(K2):
                    i, j = ip + a - (K1 - 1), jp + b - (K2 - 1)  # course index -> storage index
                    if 0 <= i < M1 and 0 <= j < M2:
                        dX[ip, jp] += dY[i, j] * W[a, b]
    return dX
