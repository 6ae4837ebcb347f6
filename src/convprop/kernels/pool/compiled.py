"""Max and average pooling compiled with Numba: the reference loops (reference.py) as
machine code, forward and backward in one pass each.

Every pooling runs as a 3-D one over planes: x (N, C, *size) is viewed as (N*C, D, H, W),
a 2-D pooling having depth 1 and a 1-D one height 1 too, so the axes of size 1 cost
nothing. For output position i = (u, i, j) of a plane, tap a = (r, a, b) of its window lands on

    X[u*S0 - P0 + r*D0, i*S1 - P1 + a*D1, j*S2 - P2 + b*D2]

and taps that land in the padding are skipped: each window's tap range is clipped to the
input (_taps), so no padded copy is made.

* Max forward: per window a running maximum; tap t (row-major window order,
  t = (r*kH + a)*kW + b) replaces the winner when X > best, so ties keep the first maximum,
  or when X is NaN, so a window holding NaN outputs NaN and records its last NaN (PyTorch's
  rule). The switch is t, in the unsigned dtype winners.py gives it.
* Max backward: dL/dX[winner of window i] += dL/dY[i], windows in row-major order; where
  windows cannot overlap each input receives one gradient at most.
* Average forward: Y[i] = (sum of the window's in-bounds taps, in row-major order) /
  divisor[i], the divisors avg.py computes: the same sum in the same order as avg.py's
  NumPy algorithm, so the two agree bit for bit.
* Average backward: dL/dX[r] += dL/dY[i] / divisor[i] for every window i holding r, taps
  in the outer loop as avg.py's slices (bit for bit again).

Each thread owns whole planes (prange over N*C), so no two threads write one element and
every sum runs in an order fixed by the loops: bit-identical results for any thread count.

Imported only through jit.lazy (jitted.py): importing it imports Numba.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

from ...shapes import PoolGeometry
from ..layout import leading


@numba.njit(cache=True)
def _taps(o, s, p, d, k, n):  # type: ignore[no-untyped-def]
    """Along one axis, per window i < o: its start i*s - p and [lo, hi), the taps a with
    0 <= i*s - p + a*d < n (hi = lo where none: the window has no tap in the input)."""
    start = np.empty(o, dtype=np.int64)
    lo = np.empty(o, dtype=np.int64)
    hi = np.empty(o, dtype=np.int64)
    for i in range(o):
        start[i] = i * s - p
        lo[i] = 0 if start[i] >= 0 else (d - 1 - start[i]) // d
        hi[i] = max(lo[i], min(k, (n - start[i] + d - 1) // d) if n > start[i] else 0)
    return start, lo, hi


@numba.njit(cache=True)
def _finite(plane):  # type: ignore[no-untyped-def]
    """Whether a plane holds no NaN or infinity (one vectorised pass: v * 0 is NaN then)."""
    acc = plane.dtype.type(0)
    for v in plane.ravel():
        acc += v * 0
    return acc == 0


@numba.njit(parallel=True, cache=True)
def _max_forward(x, y, switches, k, s, p, d):  # type: ignore[no-untyped-def]
    planes, depth, height, width = x.shape
    _, out_d, out_h, out_w = y.shape
    z0, r_lo, r_hi = _taps(out_d, s[0], p[0], d[0], k[0], depth)
    z1, a_lo, a_hi = _taps(out_h, s[1], p[1], d[1], k[1], height)
    z2, b_lo, b_hi = _taps(out_w, s[2], p[2], d[2], k[2], width)
    k1, k2, d0, d1, d2 = k[1], k[2], d[0], d[1], d[2]
    for q in prange(planes):
        finite = _finite(x[q])
        for u in range(out_d):
            for i in range(out_h):
                for j in range(out_w):
                    best = x.dtype.type(-np.inf)
                    winner = (r_lo[u] * k1 + a_lo[i]) * k2 + b_lo[j]  # the first tap inside
                    for r in range(r_lo[u], r_hi[u]):
                        for a in range(a_lo[i], a_hi[i]):
                            x0, x1, tap = z0[u] + r * d0, z1[i] + a * d1, (r * k1 + a) * k2
                            for b in range(b_lo[j], b_hi[j]):
                                v = x[q, x0, x1, z2[j] + b * d2]
                                if finite:  # branch-free: a data-dependent branch costs 4x
                                    winner += (tap + b - winner) * (v > best)
                                    best = max(v, best)
                                elif v > best or v != v:  # the first maximum; the last NaN
                                    best = v
                                    winner = tap + b
                    empty = r_lo[u] == r_hi[u] or a_lo[i] == a_hi[i] or b_lo[j] == b_hi[j]
                    y[q, u, i, j] = best
                    switches[q, u, i, j] = 0 if empty else winner


@numba.njit(parallel=True, cache=True)
def _max_backward(grad_y, switches, grad_x, k, s, p, d):  # type: ignore[no-untyped-def]
    # dL/dX[tap t of window i] += dL/dY[i] where switches[i] == t; every other input gets 0
    planes, depth, height, width = grad_x.shape
    _, out_d, out_h, out_w = grad_y.shape
    count = k[0] * k[1] * k[2]
    off0 = np.empty(count, dtype=np.int64)  # tap t's offset along each axis
    off1 = np.empty(count, dtype=np.int64)
    off2 = np.empty(count, dtype=np.int64)
    for t in range(count):
        off0[t] = (t // (k[1] * k[2])) * d[0]
        off1[t] = (t // k[2] % k[1]) * d[1]
        off2[t] = (t % k[2]) * d[2]
    for q in prange(planes):
        grad_x[q] = 0
        for u in range(out_d):
            for i in range(out_h):
                for j in range(out_w):
                    t = switches[q, u, i, j]
                    r0 = u * s[0] - p[0] + off0[t]
                    r1 = i * s[1] - p[1] + off1[t]
                    r2 = j * s[2] - p[2] + off2[t]
                    if 0 <= r0 < depth and 0 <= r1 < height and 0 <= r2 < width:
                        grad_x[q, r0, r1, r2] += grad_y[q, u, i, j]


@numba.njit(parallel=True, cache=True)
def _route(grad_y, indices, grad_x):  # type: ignore[no-untyped-def]
    # dL/dX[indices[i]] += dL/dY[i] in each plane, windows in row-major order
    planes, plane = grad_x.shape
    windows = grad_y.shape[1]
    for q in prange(planes):
        grad_x[q] = 0
        for i in range(windows):
            r = indices[q, i]
            if 0 <= r < plane:
                grad_x[q, r] += grad_y[q, i]


@numba.njit(parallel=True, cache=True)
def _avg_forward(x, divisor, y, k, s, p, d):  # type: ignore[no-untyped-def]
    planes, depth, height, width = x.shape
    _, out_d, out_h, out_w = y.shape
    z0, r_lo, r_hi = _taps(out_d, s[0], p[0], d[0], k[0], depth)
    z1, a_lo, a_hi = _taps(out_h, s[1], p[1], d[1], k[1], height)
    z2, b_lo, b_hi = _taps(out_w, s[2], p[2], d[2], k[2], width)
    for q in prange(planes):
        for u in range(out_d):
            for i in range(out_h):
                for j in range(out_w):
                    total = x.dtype.type(0)
                    for r in range(r_lo[u], r_hi[u]):
                        for a in range(a_lo[i], a_hi[i]):
                            x0, x1 = z0[u] + r * d[0], z1[i] + a * d[1]
                            for b in range(b_lo[j], b_hi[j]):
                                total += x[q, x0, x1, z2[j] + b * d[2]]
                    y[q, u, i, j] = total / divisor[u, i, j]


@numba.njit(cache=True, inline="always")
def _windows(a, s, p, d, o, n):  # type: ignore[no-untyped-def]
    """[lo, hi): the windows i whose tap a lands inside, 0 <= i*s - p + a*d < n."""
    start = a * d - p
    lo = 0 if start >= 0 else (s - 1 - start) // s
    hi = min(o, (n - start + s - 1) // s) if n > start else 0
    return start, lo, max(lo, hi)


@numba.njit(parallel=True, cache=True)
def _avg_backward(grad_y, divisor, grad_x, k, s, p, d):  # type: ignore[no-untyped-def]
    # dL/dX[r] += dL/dY[i] / divisor[i] for every window i holding r, tap by tap
    planes, depth, height, width = grad_x.shape
    _, out_d, out_h, out_w = grad_y.shape
    for q in prange(planes):
        grad_x[q] = 0
        share = grad_y[q] / divisor
        for r in range(k[0]):
            z0, u_lo, u_hi = _windows(r, s[0], p[0], d[0], out_d, depth)
            for a in range(k[1]):
                z1, i_lo, i_hi = _windows(a, s[1], p[1], d[1], out_h, height)
                for b in range(k[2]):
                    z2, j_lo, j_hi = _windows(b, s[2], p[2], d[2], out_w, width)
                    for u in range(u_lo, u_hi):
                        for i in range(i_lo, i_hi):
                            x0, x1 = z0 + u * s[0], z1 + i * s[1]
                            for j in range(j_lo, j_hi):
                                grad_x[q, x0, x1, z2 + j * s[2]] += share[u, i, j]


def _args(g: PoolGeometry) -> tuple[tuple[int, ...], ...]:
    return (
        leading(g.kernel, 3, 1),
        leading(g.stride, 3, 1),
        leading(g.padding, 3, 0),
        leading(g.dilation, 3, 1),
    )


def _planes(shape: tuple[int, ...], size: tuple[int, ...]) -> tuple[int, int, int, int]:
    n, c, d, h, w = (*shape[:2], *leading(size, 3, 1))
    return n * c, d, h, w


def max_forward(x: np.ndarray, g: PoolGeometry, switch_dtype: np.dtype) -> tuple[np.ndarray, ...]:
    """(y, switches) of x pooled by g: each window's maximum and its first winning tap."""
    xs = np.ascontiguousarray(x).reshape(_planes(x.shape, g.size))
    out = (*x.shape[:2], *g.out_size)
    y = np.empty(out, dtype=x.dtype)
    switches = np.empty(out, dtype=switch_dtype)
    shape = _planes(out, g.out_size)
    _max_forward(xs, y.reshape(shape), switches.reshape(shape), *_args(g))
    return y, switches


def max_backward(
    grad_y: np.ndarray, switches: np.ndarray, shape: tuple[int, ...], g: PoolGeometry
) -> np.ndarray:
    """dL/dX of the (N, C, *size) input `shape` from each window's switch."""
    grad_x = np.empty(shape, dtype=grad_y.dtype)
    out = _planes(grad_y.shape, g.out_size)
    gy = np.ascontiguousarray(grad_y).reshape(out)
    sw = np.ascontiguousarray(switches).reshape(out)
    _max_backward(gy, sw, grad_x.reshape(_planes(shape, g.size)), *_args(g))
    return grad_x


def route(grad_y: np.ndarray, indices: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """dL/dX of the (N, C, *size) input `shape` from each window's flat index (r*W + c)."""
    planes = shape[0] * shape[1]
    grad_x = np.empty(shape, dtype=grad_y.dtype)
    windows = math.prod(grad_y.shape[2:])
    gy = np.ascontiguousarray(grad_y).reshape(planes, windows)
    idx = np.ascontiguousarray(indices, dtype=np.int64).reshape(planes, windows)
    _route(gy, idx, grad_x.reshape(planes, math.prod(shape[2:])))
    return grad_x


def avg_forward(x: np.ndarray, g: PoolGeometry, divisor: np.ndarray) -> np.ndarray:
    """Y of x average-pooled by g, given each window's divisor (shaped like out_size)."""
    xs = np.ascontiguousarray(x).reshape(_planes(x.shape, g.size))
    out = (*x.shape[:2], *g.out_size)
    y = np.empty(out, dtype=x.dtype)
    div = np.ascontiguousarray(divisor, dtype=x.dtype).reshape(leading(g.out_size, 3, 1))
    _avg_forward(xs, div, y.reshape(_planes(out, g.out_size)), *_args(g))
    return y


def avg_backward(
    grad_y: np.ndarray, shape: tuple[int, ...], g: PoolGeometry, divisor: np.ndarray
) -> np.ndarray:
    """dL/dX of the (N, C, *size) input `shape`, given each window's divisor."""
    grad_x = np.empty(shape, dtype=grad_y.dtype)
    gy = np.ascontiguousarray(grad_y).reshape(_planes(grad_y.shape, g.out_size))
    div = np.ascontiguousarray(divisor, dtype=grad_y.dtype).reshape(leading(g.out_size, 3, 1))
    _avg_backward(gy, div, grad_x.reshape(_planes(shape, g.size)), *_args(g))
    return grad_x
