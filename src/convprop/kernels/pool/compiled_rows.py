"""What the compiled max and average poolings share (compiled_max.py, compiled_avg.py):
each window's tap range along an axis, the phase split of a plane's rows that turns every
column tap of a row of windows into one contiguous run, and the (kernel, stride, padding,
dilation) and plane shapes a 1-D/2-D/3-D pooling runs with as a 3-D one.

Numba's cache keys each function by its own file: after editing this one, clear the
__pycache__ of compiled_max.py and compiled_avg.py too (an install replaces every file, so
users never meet a stale kernel). Imported only through those modules: it imports Numba.
"""

from __future__ import annotations

import numba
import numpy as np

from ...shapes import PoolGeometry
from ..layout import leading

LANES = 16  # windows of a row are worked in blocks of this many (the padded row length)


@numba.njit(cache=True)
def taps(o, s, p, d, k, n):  # type: ignore[no-untyped-def]
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
def phases(o, s, p, d, k, n):  # type: ignore[no-untyped-def]
    """Where a split row (split) keeps the column taps: tap b of window j, column
    j*s - p + b*d = (j + e)*s + f, is at start[b] + j; and the split row's length, every
    phase f < s holding columns f, f + s, ... from `lead` on, padded to reach every tap of
    the `lanes` (o rounded up to LANES) windows."""
    lanes = -(-o // LANES) * LANES
    lead, reach = 0, 0
    for b in range(k):
        e = (b * d - p) // s  # floor
        lead, reach = max(lead, -e), max(reach, e)
    length = max(lead + reach + lanes, lead + -(-n // s))
    start = np.empty(k, dtype=np.int64)
    for b in range(k):
        e = (b * d - p) // s
        start[b] = (b * d - p - e * s) * length + lead + e
    return start, lead, length, lanes


@numba.njit(cache=True)
def split(x, q, s, lead, length, fill, out):  # type: ignore[no-untyped-def]
    """Each row of plane q of x (.., D, H, W), its columns by phase: out[row, f, lead + m]
    = x[q, row, m*s + f], the rest `fill`."""
    _, depth, height, width = x.shape
    out[:] = fill
    stride, start = np.uint64(s), np.uint64(lead)
    for z in range(depth):
        for y in range(height):
            for f in range(s):
                base = np.uint64(((z * height + y) * s + f) * length) + start
                for m in range(np.uint64(max(0, width - f + s - 1) // s)):
                    out[base + m] = x[q, z, y, np.uint64(f) + m * stride]


def args(g: PoolGeometry) -> tuple[tuple[int, ...], ...]:
    return (
        leading(g.kernel, 3, 1),
        leading(g.stride, 3, 1),
        leading(g.padding, 3, 0),
        leading(g.dilation, 3, 1),
    )


def planes(shape: tuple[int, ...], size: tuple[int, ...]) -> tuple[int, int, int, int]:
    n, c, d, h, w = (*shape[:2], *leading(size, 3, 1))
    return n * c, d, h, w
