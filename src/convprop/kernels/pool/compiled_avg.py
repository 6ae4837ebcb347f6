"""Average pooling compiled with Numba: the reference loops (reference.py) as machine code,
forward and backward in one pass each, with avg.py's divisors.

Every pooling runs as a 3-D one over planes: x (N, C, *size) is viewed as (N*C, D, H, W),
a 2-D pooling having depth 1 and a 1-D one height 1 too. Window (u, i, j) of a plane and
its tap (r, a, b) meet at

    X[u*S0 - P0 + r*D0, i*S1 - P1 + a*D1, j*S2 - P2 + b*D2]

and a row of windows is worked at once, so that the inner loop runs over the windows j
of a row with a fixed trip count and no branch, which LLVM vectorises. For that, each
input row is held split by column phase (with S2 = 2: the even columns, then the odd,
each contiguous and padded with zeros), where tap b of windows j = 0, 1, ... is one
contiguous run (rows.phases gives where).

* Forward: Y[i] = (sum of the window's taps in row-major order) / divisor[i]. The rows
  are split (rows.split), then for output row (u, i), each input row (r, a) inside the input
  and its column taps b, three to a pass (a blank run of zeros stands in where fewer are
  left), vector adds over the row's windows. Each window sees its taps in row-major
  order, a padding or blank tap adding +0 (which changes no sum that starts at +0), so
  the sums are avg.py's NumPy sums, in the same order: bit for bit.
* Backward: dL/dX[r] += dL/dY[i] / divisor[i] for every window i holding r, into a split
  buffer that is then merged back into the plane (_merge). Output rows run backwards,
  (u, i) from the last, taps forwards, so each input receives its shares in the order of
  avg.py's tap-by-tap slices (tap (r, a, b) first, then later taps): bit for bit again.

Hot loops index with unsigned integers and take whole arrays and offsets, not slices
(compiled_max.py says why). Each thread owns whole planes (parallel.in_parts over
N*C): bit-identical results for any thread count. rows is compiled_rows.py: the row
geometry both poolings share.

Imported only through jit.lazy (jitted.py): importing it imports Numba.
"""

from __future__ import annotations

import numba
import numpy as np

from ...shapes import PoolGeometry
from .. import parallel
from ..layout import leading
from ..parallel import span
from . import compiled_rows as rows


@numba.njit(cache=True)
def _merge(split, s, lead, length, x, q):  # type: ignore[no-untyped-def]
    """rows.split backwards: x[q, row, m*s + f] = split[row, f, lead + m]."""
    _, depth, height, width = x.shape
    stride, start = np.uint64(s), np.uint64(lead)
    for z in range(depth):
        for y in range(height):
            for f in range(s):
                base = np.uint64(((z * height + y) * s + f) * length) + start
                for m in range(np.uint64(max(0, width - f + s - 1) // s)):
                    x[q, z, y, np.uint64(f) + m * stride] = split[base + m]


@numba.njit(cache=True)
def _add(v, first, second, third, total, lanes):  # type: ignore[no-untyped-def]
    """total[j] += v[first + j], then v[second + j], then v[third + j], for the `lanes`
    windows of a row: three taps in one vectorised pass."""
    first, second, third = np.uint64(first), np.uint64(second), np.uint64(third)
    for j in range(np.uint64(lanes)):
        total[j] = ((total[j] + v[first + j]) + v[second + j]) + v[third + j]


@numba.njit(cache=True)
def _add_to(share, v, start, lanes):  # type: ignore[no-untyped-def]
    """v[start + j] += share[j] for the `lanes` windows of a row (vectorised)."""
    start = np.uint64(start)
    for j in range(np.uint64(lanes)):
        v[start + j] += share[j]


@numba.njit(nogil=True, cache=True)
def _avg_forward(x, divisor, y, k, s, p, d, part, parts):  # type: ignore[no-untyped-def]
    planes, depth, height, width = x.shape
    _, out_d, out_h, out_w = y.shape
    z0, r_lo, r_hi = rows.taps(out_d, s[0], p[0], d[0], k[0], depth)
    z1, a_lo, a_hi = rows.taps(out_h, s[1], p[1], d[1], k[1], height)
    start, lead, length, lanes = rows.phases(out_w, s[2], p[2], d[2], k[2], width)
    lo, hi = span(part, parts, planes)
    for q in range(lo, hi):
        blank = depth * height * s[2] * length  # then `lanes` zeros: a tap that adds +0
        split = np.empty(blank + lanes, dtype=x.dtype)
        rows.split(x, q, s[2], lead, length, 0, split)
        total = np.empty(lanes, dtype=x.dtype)
        for u in range(out_d):
            for i in range(out_h):
                total[:] = 0
                for r in range(r_lo[u], r_hi[u]):
                    for a in range(a_lo[i], a_hi[i]):
                        row = ((z0[u] + r * d[0]) * height + z1[i] + a * d[1]) * s[2] * length
                        for b in range(0, k[2], 3):  # three column taps a pass
                            second = row + start[b + 1] if b + 1 < k[2] else blank
                            third = row + start[b + 2] if b + 2 < k[2] else blank
                            _add(split, row + start[b], second, third, total, lanes)
                for j in range(out_w):
                    y[q, u, i, j] = total[j] / divisor[u, i, j]


@numba.njit(nogil=True, cache=True)
def _avg_backward(grad_y, divisor, grad_x, k, s, p, d, part, parts):  # type: ignore[no-untyped-def]
    # dL/dX[r] += dL/dY[i] / divisor[i] for every window i holding r, taps in order
    planes, depth, height, width = grad_x.shape
    _, out_d, out_h, out_w = grad_y.shape
    z0, r_lo, r_hi = rows.taps(out_d, s[0], p[0], d[0], k[0], depth)
    z1, a_lo, a_hi = rows.taps(out_h, s[1], p[1], d[1], k[1], height)
    start, lead, length, lanes = rows.phases(out_w, s[2], p[2], d[2], k[2], width)
    lo, hi = span(part, parts, planes)
    for q in range(lo, hi):
        split = np.zeros(depth * height * s[2] * length, dtype=grad_x.dtype)
        share = np.zeros(lanes, dtype=grad_x.dtype)  # +0 past the row's last window
        for u in range(out_d - 1, -1, -1):  # the last window first: its taps come later
            for i in range(out_h - 1, -1, -1):
                for j in range(out_w):
                    share[j] = grad_y[q, u, i, j] / divisor[u, i, j]
                for r in range(r_lo[u], r_hi[u]):
                    for a in range(a_lo[i], a_hi[i]):
                        row = ((z0[u] + r * d[0]) * height + z1[i] + a * d[1]) * s[2] * length
                        for b in range(k[2]):
                            _add_to(share, split, row + start[b], lanes)
        _merge(split, s[2], lead, length, grad_x, q)


def avg_forward(x: np.ndarray, g: PoolGeometry, divisor: np.ndarray) -> np.ndarray:
    """Y of x average-pooled by g, given each window's divisor (shaped like out_size)."""
    xs = np.ascontiguousarray(x).reshape(rows.planes(x.shape, g.size))
    out = (*x.shape[:2], *g.out_size)
    y = np.empty(out, dtype=x.dtype)
    div = np.ascontiguousarray(divisor, dtype=x.dtype).reshape(leading(g.out_size, 3, 1))
    ys = y.reshape(rows.planes(out, g.out_size))
    parallel.in_parts(_avg_forward, x.shape[0] * x.shape[1], xs, div, ys, *rows.args(g))
    return y


def avg_backward(
    grad_y: np.ndarray, shape: tuple[int, ...], g: PoolGeometry, divisor: np.ndarray
) -> np.ndarray:
    """dL/dX of the (N, C, *size) input `shape`, given each window's divisor."""
    grad_x = np.empty(shape, dtype=grad_y.dtype)
    gy = np.ascontiguousarray(grad_y).reshape(rows.planes(grad_y.shape, g.out_size))
    div = np.ascontiguousarray(divisor, dtype=grad_y.dtype).reshape(leading(g.out_size, 3, 1))
    gx = grad_x.reshape(rows.planes(shape, g.size))
    planes = grad_y.shape[0] * grad_y.shape[1]
    parallel.in_parts(_avg_backward, planes, gy, div, gx, *rows.args(g))
    return grad_x
