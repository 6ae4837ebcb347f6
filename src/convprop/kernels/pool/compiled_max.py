"""Max pooling compiled with Numba: the reference loops (reference.py) as machine code, the
forward with its switches and the backward in one pass each.

Every pooling runs as a 3-D one over planes: x (N, C, *size) is viewed as (N*C, D, H, W),
a 2-D pooling having depth 1 and a 1-D one height 1 too, so the axes of size 1 cost
nothing. Window (u, i, j) of a plane and its tap (r, a, b), numbered t = (r*kH + a)*kW + b
in row-major window order, meet at

    X[u*S0 - P0 + r*D0, i*S1 - P1 + a*D1, j*S2 - P2 + b*D2]

and taps that land in the padding never win.

* Forward, a row of windows at a time, so that the inner loop runs over the windows j of
  a row with a fixed trip count and no branch, which LLVM vectorises. First each input
  row is split by column phase (rows.split): with S2 = 2, the even columns, then the odd,
  each contiguous and padded with -inf, so that tap b of windows j = 0, 1, ... is one
  contiguous run (rows.phases gives where). Then for output row (u, i), each input row (r, a)
  inside the input and its column taps b, three to a pass (a blank run of -inf stands in
  where fewer are left), over all windows of the row at once (LANES at a time):
  winner = t where X > best or X is NaN, best = max(X, best) or the NaN. Each
  window sees its taps in row-major order, so ties keep the first maximum, a window
  holding NaN outputs NaN and records its last NaN (PyTorch's rule), and a padding tap
  (-inf) never wins, as in the reference. The switch is t, in the unsigned dtype
  winners.py gives it.
* Backward: dL/dX[winner of window i] += dL/dY[i], windows in row-major order, into a
  zeroed plane. Every switch is checked on the way (a tap below kD*kH*kW that lies inside
  the input for its window: a bit of the window's mask, up to 64 taps) and each plane
  counts its bad ones, so max.py needs no pass of its own over them.
* route: the same from flat indices (r*W + c in 2-D), for max_pool_backward.

Hot loops index with unsigned integers: a signed index makes Numba test for negative
indices, which stops LLVM from vectorising (measured 5x slower), and they take whole
arrays and offsets, not slices (each slice is a reference count: 2x slower).

Each thread owns whole planes (parallel.in_parts over N*C), so no two threads write one element and
every sum runs in an order fixed by the loops: bit-identical results for any thread count.
rows is compiled_rows.py: the row geometry both poolings share.

Imported only through jit.lazy (jitted.py): importing it imports Numba.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ...shapes import PoolGeometry
from .. import parallel
from ..parallel import span
from . import compiled_rows as rows


@numba.njit(cache=True)
def _better(v, first, second, third, best, win, t, lanes):  # type: ignore[no-untyped-def]
    """Taps t, t + 1, t + 2 over a row of windows, their values at v[first + j],
    v[second + j], v[third + j]: each in turn wins window j where it beats best[j] (the
    first maximum stays) or is NaN (the last NaN wins, and a NaN best stays); of equal
    maxima best keeps the later, as np.maximum does (the sign of a zero). No branch: it
    vectorises."""
    first, second, third = np.uint64(first), np.uint64(second), np.uint64(third)
    t1, t2 = t + np.int32(1), t + np.int32(2)
    for j in range(np.uint64(lanes)):
        w, m = win[j], best[j]
        x = v[first + j]
        w = t if x > m or x != x else w
        m = x if x != x else (m if m != m else max(x, m))
        x = v[second + j]
        w = t1 if x > m or x != x else w
        m = x if x != x else (m if m != m else max(x, m))
        x = v[third + j]
        w = t2 if x > m or x != x else w
        m = x if x != x else (m if m != m else max(x, m))
        win[j], best[j] = w, m


@numba.njit(nogil=True, cache=True)
def _max_forward(x, y, switches, k, s, p, d, part, parts):  # type: ignore[no-untyped-def]
    planes, depth, height, width = x.shape
    _, out_d, out_h, out_w = y.shape
    z0, r_lo, r_hi = rows.taps(out_d, s[0], p[0], d[0], k[0], depth)
    z1, a_lo, a_hi = rows.taps(out_h, s[1], p[1], d[1], k[1], height)
    _, b_lo, b_hi = rows.taps(out_w, s[2], p[2], d[2], k[2], width)
    start, lead, length, lanes = rows.phases(out_w, s[2], p[2], d[2], k[2], width)
    k1, k2, s2 = k[1], k[2], s[2]
    lo, hi = span(part, parts, planes)
    for q in range(lo, hi):
        blank = depth * height * s2 * length  # then `lanes` of -inf: a tap that never wins
        split = np.empty(blank + lanes, dtype=x.dtype)
        rows.split(x, q, s2, lead, length, -np.inf, split)
        best = np.empty(lanes, dtype=x.dtype)
        win = np.zeros(lanes, dtype=np.int32)
        for u in range(out_d):
            for i in range(out_h):
                first = (r_lo[u] * k1 + a_lo[i]) * k2  # the first tap inside, less its b
                empty = r_lo[u] == r_hi[u] or a_lo[i] == a_hi[i]
                best[:] = -np.inf
                for j in range(out_w):
                    win[j] = 0 if empty or b_lo[j] == b_hi[j] else first + b_lo[j]
                for r in range(r_lo[u], r_hi[u]):
                    for a in range(a_lo[i], a_hi[i]):
                        row = (z0[u] + r * d[0]) * height + z1[i] + a * d[1]
                        row *= s2 * length
                        for b in range(0, k2, 3):  # three column taps a pass
                            second = row + start[b + 1] if b + 1 < k2 else blank
                            third = row + start[b + 2] if b + 2 < k2 else blank
                            t = np.int32((r * k1 + a) * k2 + b)
                            _better(split, row + start[b], second, third, best, win, t, lanes)
                for j in range(out_w):
                    y[q, u, i, j] = best[j]
                    switches[q, u, i, j] = win[j]


@numba.njit(cache=True)
def _windows(out, k, s, p, d, size):  # type: ignore[no-untyped-def]
    """Per window w = (u, i, j) of a plane, in row-major order: its first tap's position
    in the flattened plane (unsigned: below zero it wraps, and adding a tap's offset wraps
    back), and which of its taps t < 64 lie inside the input (bit t): those inside along
    each axis, one mask per window position along it."""
    count = min(k[0] * k[1] * k[2], 64)
    masks = np.zeros((3, max(out[0], out[1], out[2])), dtype=np.uint64)
    for t in range(count):
        tap = (t // (k[1] * k[2]), t // k[2] % k[1], t % k[2])
        for axis in range(3):
            for i in range(out[axis]):
                x = i * s[axis] - p[axis] + tap[axis] * d[axis]
                if 0 <= x < size[axis]:
                    masks[axis, i] |= np.uint64(1) << np.uint64(t)
    origin = np.empty(out[0] * out[1] * out[2], dtype=np.uint64)
    allowed = np.empty(origin.size, dtype=np.uint64)
    w = 0
    for u in range(out[0]):
        for i in range(out[1]):
            row = masks[0, u] & masks[1, i]
            corner = ((u * s[0] - p[0]) * size[1] + i * s[1] - p[1]) * size[2] - p[2]
            for j in range(out[2]):
                origin[w] = np.uint64(corner + j * s[2])
                allowed[w] = row & masks[2, j]
                w += 1
    return origin, allowed


@numba.njit(cache=True)
def _corner(w, out, s, p):  # type: ignore[no-untyped-def]
    """The first tap's position along each axis of window w (row-major over out)."""
    w = np.int64(w)
    u, i, j = w // (out[1] * out[2]), w // out[2] % out[1], w % out[2]
    return (u * s[0] - p[0], i * s[1] - p[1], j * s[2] - p[2])


@numba.njit(cache=True)
def _inside(x, t, k, d, size):  # type: ignore[no-untyped-def]
    """Whether tap t of the window whose first tap is at x lies inside the input."""
    r, a, b = t // (k[1] * k[2]), t // k[2] % k[1], t % k[2]
    x0, x1, x2 = x[0] + r * d[0], x[1] + a * d[1], x[2] + b * d[2]
    return 0 <= x0 < size[0] and 0 <= x1 < size[1] and 0 <= x2 < size[2]


@numba.njit(cache=True)
def _send(gx, gy, sw, origin, allowed, step, taps):  # type: ignore[no-untyped-def]
    """Each window's gradient to its switch's input, windows in row-major order, where the
    window's bit mask allows the switch (taps <= 64); returns the switches it did not."""
    wrong, one = 0, np.uint64(1)
    for w in range(np.uint64(origin.size)):
        t = np.uint64(np.int64(sw[w]))  # a negative switch wraps past taps
        if t < taps and (allowed[w] >> t) & one:
            gx[origin[w] + step[t]] += gy[w]
        else:
            wrong += 1
    return wrong


@numba.njit(cache=True)
def _send_tested(gx, gy, sw, origin, step, out, k, s, p, d, size):  # type: ignore[no-untyped-def]
    """_send for windows of more than 64 taps: each switch tested against its window."""
    wrong = 0
    for w in range(np.uint64(origin.size)):
        t = np.int64(sw[w])
        if 0 <= t < step.size and _inside(_corner(w, out, s, p), t, k, d, size):
            gx[origin[w] + step[t]] += gy[w]
        else:
            wrong += 1
    return wrong


@numba.njit(nogil=True, cache=True)
def _max_backward(grad_y, switches, grad_x, bad, k, s, p, d, part, parts):  # type: ignore[no-untyped-def]
    # dL/dX[tap t of window i] += dL/dY[i] where switches[i] == t; every other input gets 0
    planes, depth, height, width = grad_x.shape
    out, size, count = grad_y.shape[1:], (depth, height, width), k[0] * k[1] * k[2]
    step = np.empty(count, dtype=np.uint64)  # tap t's offset in the flattened plane
    for t in range(count):
        r, a, b = t // (k[1] * k[2]), t // k[2] % k[1], t % k[2]
        step[t] = (r * d[0] * height + a * d[1]) * width + b * d[2]
    origin, allowed = _windows(out, k, s, p, d, size)
    lo, hi = span(part, parts, planes)
    for q in range(lo, hi):
        gx, gy, sw = grad_x[q].ravel(), grad_y[q].ravel(), switches[q].ravel()
        gx[:] = 0
        if count <= 64:
            bad[q] = _send(gx, gy, sw, origin, allowed, step, np.uint64(count))
        else:
            bad[q] = _send_tested(gx, gy, sw, origin, step, out, k, s, p, d, size)


@numba.njit(nogil=True, cache=True)
def _route(grad_y, indices, grad_x, part, parts):  # type: ignore[no-untyped-def]
    # dL/dX[indices[i]] += dL/dY[i] in each plane, windows in row-major order
    planes, plane = grad_x.shape
    windows = grad_y.shape[1]
    lo, hi = span(part, parts, planes)
    for q in range(lo, hi):
        grad_x[q] = 0
        for i in range(windows):
            r = indices[q, i]
            if 0 <= r < plane:
                grad_x[q, np.uint64(r)] += grad_y[q, i]


def max_forward(x: np.ndarray, g: PoolGeometry, switch_dtype: np.dtype) -> tuple[np.ndarray, ...]:
    """(y, switches) of x pooled by g: each window's maximum and its first winning tap."""
    xs = np.ascontiguousarray(x).reshape(rows.planes(x.shape, g.size))
    out = (*x.shape[:2], *g.out_size)
    y = np.empty(out, dtype=x.dtype)
    switches = np.empty(out, dtype=switch_dtype)
    shape = rows.planes(out, g.out_size)
    ys, ss = y.reshape(shape), switches.reshape(shape)
    parallel.in_parts(_max_forward, x.shape[0] * x.shape[1], xs, ys, ss, *rows.args(g))
    return y, switches


def max_backward(
    grad_y: np.ndarray, switches: np.ndarray, shape: tuple[int, ...], g: PoolGeometry
) -> tuple[np.ndarray, bool]:
    """(dL/dX of the (N, C, *size) input `shape` from each window's switch, whether every
    switch was valid: a tap of its window inside the input). A bad switch routes nothing."""
    grad_x = np.empty(shape, dtype=grad_y.dtype)
    out = rows.planes(grad_y.shape, g.out_size)
    gy = np.ascontiguousarray(grad_y).reshape(out)
    sw = np.ascontiguousarray(switches).reshape(out)
    bad = np.empty(out[0], dtype=np.int64)
    gx = grad_x.reshape(rows.planes(shape, g.size))
    parallel.in_parts(_max_backward, out[0], gy, sw, gx, bad, *rows.args(g))
    return grad_x, not bad.any()


def route(grad_y: np.ndarray, indices: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """dL/dX of the (N, C, *size) input `shape` from each window's flat index (r*W + c)."""
    planes = shape[0] * shape[1]
    grad_x = np.empty(shape, dtype=grad_y.dtype)
    windows = math.prod(grad_y.shape[2:])
    gy = np.ascontiguousarray(grad_y).reshape(planes, windows)
    idx = np.ascontiguousarray(indices, dtype=np.int64).reshape(planes, windows)
    gx = grad_x.reshape(planes, math.prod(shape[2:]))
    parallel.in_parts(_route, planes, gy, idx, gx)
    return grad_x
