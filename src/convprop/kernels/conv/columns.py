"""im2col and col2im as compiled loops (Numba), for both column layouts; the GEMMs stay BLAS's.

The NumPy versions (im2col.py, batch_inner.py) pad the input into a fresh array, then copy
every tap's strided window in its own pass; col2im adds kH*kW strided slices into a padded
zero array. Here each is one parallel pass that reads the unpadded input directly: a
window cell that falls in the padding is written as 0 (fill) or skipped (scatter), and
the inner loop runs along the contiguous last axis.

    fill      cols[n, c, a, b, i, j] = X[n, c, i*S - P + a*D, j*S' - P' + b*D']   (0 outside)
    scatter   dX[n, c, h, w] = sum over (a, b) in row-major order of the cols[n, c, a, b, i, j]
              whose window cell is (h, w)                                        (col2im)

and likewise with the batch innermost, cols[c, a, b, i, j, n], from x transposed once to
(C, H, W, N): one pair of loops serves both layouts, over planes ((n, c) or c) and an inner
axis (1 or the batch). Threads split the fill over (plane, kernel row) blocks and the
scatter over planes, so each output element is written by one thread and sums its taps in
the NumPy path's order, starting from 0: the results equal NumPy's bit for bit, whatever
the thread count.

1-D runs as 2-D with H = 1. 3-D stays on NumPy, as do dtypes other than float32 and
float64 (im2col.compiled says which run here). This module imports numba: reach it
through jit.lazy.
"""

from __future__ import annotations

import numba
import numpy as np

from ...shapes import ConvGeometry
from ..layout import leading


def _planar(g: ConvGeometry) -> tuple[int, ...]:
    """(stride, pad before, dilation) of the H and W axes, 1-D as H = 1."""
    if g.dims == 1:
        return 1, g.stride[0], 0, g.pad[0][0], 1, g.dilation[0]
    (sh, sw), ((pt, _), (pl, _)), (dh, dw) = g.stride, g.pad, g.dilation
    return sh, sw, pt, pl, dh, dw


def fill(x: np.ndarray, g: ConvGeometry, cols: np.ndarray) -> np.ndarray:
    """im2col into cols: x (N, C, *size) -> cols (N, C, *kernel, *out), returned."""
    x4 = np.ascontiguousarray(x).reshape(-1, *leading(g.size, 2), 1)
    _fill(
        x4,
        cols.reshape(x4.shape[0], *leading(g.kernel, 2), *leading(g.out_size, 2), 1),
        *_planar(g),
    )
    return cols


def scatter(cols: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """col2im: cols (N, C, *kernel, *out) -> a new (N, C, *size), overlaps summed."""
    dx = np.empty((*cols.shape[:2], *g.size), dtype=cols.dtype)
    planes = dx.shape[0] * dx.shape[1]
    c6 = np.ascontiguousarray(cols).reshape(
        planes, *leading(g.kernel, 2), *leading(g.out_size, 2), 1
    )
    _scatter(c6, dx.reshape(planes, *leading(g.size, 2), 1), *_planar(g))
    return dx


def fill_batch_inner(x: np.ndarray, g: ConvGeometry, chwn: np.ndarray, cols: np.ndarray) -> None:
    """Batch-inner im2col: x (N, C, *size) -> cols (C, *kernel, *out, N), through chwn, a
    (C, *size, N) buffer that receives x transposed (one pass; runs of W*N contiguous)."""
    np.copyto(chwn, x.transpose(*range(1, x.ndim), 0))
    t4 = chwn.reshape(g.in_channels, *leading(g.size, 2), g.batch)
    _fill(
        t4,
        cols.reshape(g.in_channels, *leading(g.kernel, 2), *leading(g.out_size, 2), g.batch),
        *_planar(g),
    )


def scatter_batch_inner(cols: np.ndarray, g: ConvGeometry, chwn: np.ndarray) -> np.ndarray:
    """Batch-inner col2im: cols (C, *kernel, *out, N) -> a new (N, C, *size), overlaps summed
    into chwn, a (C, *size, N) buffer, then transposed to NCHW (one pass)."""
    c6 = np.ascontiguousarray(cols).reshape(
        g.in_channels, *leading(g.kernel, 2), *leading(g.out_size, 2), -1
    )
    _scatter(c6, chwn.reshape(g.in_channels, *leading(g.size, 2), g.batch), *_planar(g))
    # a copy always: chwn is a workspace buffer that the next fill overwrites, and where the
    # transpose is already contiguous (one channel of one pixel) ascontiguousarray is a view
    return chwn.transpose(g.dims + 1, *range(g.dims + 1)).copy()


@numba.njit(cache=True, inline="always")
def _span(offset: int, step: int, count: int, length: int) -> tuple[int, int]:
    """[lo, hi): the j in [0, count) with 0 <= j*step + offset < length."""
    lo = 0 if offset >= 0 else (step - 1 - offset) // step
    hi = (length - offset + step - 1) // step if length > offset else 0
    lo = min(lo, count)
    return lo, max(lo, min(hi, count))


# The loops below index flat arrays with unsigned offsets: a signed index makes Numba check
# for negative (wrap-around) indices on every access, which stops LLVM from vectorising the
# loop (measured: the NCHW fill of 8x64x56x56 took 21 ms with 4-D signed indexing, 10 ms so),
# and the copy loops are written out in the kernels: as calls to a helper the short rows of
# LeNet's layers took 1.2-1.5x as long.


@numba.njit(cache=True, inline="always")
def _zero(dst, d, count):  # type: ignore[no-untyped-def]
    """dst[d : d + count] = 0."""
    d = np.uint64(d)
    for j in range(count):
        dst[d + np.uint64(j)] = 0


# The two loops below stay Numba parallel loops (prange), unlike the other kernels (see
# parallel.py): Numba compiles a parallel loop's body with its arrays marked as not
# aliasing each other, and only then does LLVM vectorise these copies without run-time
# overlap checks. As nogil parts, the fill of 8x32x28x28 for 5x5 took 4.7 against 1.3 ms.


@numba.njit(parallel=True, cache=True)
def _fill(x, cols, sh, sw, pt, pl, dh, dw):  # type: ignore[no-untyped-def]
    """cols[p, a, b, i, j, m] = x[p, i*sh - pt + a*dh, j*sw - pl + b*dw, m], 0 outside x.

    p runs over the planes ((n, c) in NCHW, c in batch-inner), m over the inner axis (of
    length 1 in NCHW, the batch in batch-inner); one thread fills each (p, a) row block."""
    planes, height, width, inner = x.shape
    kh, kw, ho, wo = cols.shape[1:5]
    src, dst = x.reshape(-1), cols.reshape(-1)
    run = wo * inner
    for row in numba.prange(planes * kh):  # row = (p, a)
        plane = row // kh * height * width * inner
        a = row % kh
        for b in range(kw):
            offset = b * dw - pl
            j0, j1 = _span(offset, sw, wo, width)
            for i in range(ho):
                h = i * sh - pt + a * dh
                out = ((row * kw + b) * ho + i) * run
                if h < 0 or h >= height:
                    _zero(dst, out, run)
                    continue
                _zero(dst, out, j0 * inner)
                o = np.uint64(out + j0 * inner)
                s = np.uint64(plane + (h * width + j0 * sw + offset) * inner)
                if sw == 1:
                    for k in range((j1 - j0) * inner):
                        dst[o + np.uint64(k)] = src[s + np.uint64(k)]
                elif inner == 1:
                    for j in range(j1 - j0):
                        dst[o + np.uint64(j)] = src[s + np.uint64(j * sw)]
                else:
                    for j in range(j1 - j0):
                        for m in range(inner):
                            dst[o + np.uint64(j * inner + m)] = src[
                                s + np.uint64(j * sw * inner + m)
                            ]
                _zero(dst, out + j1 * inner, (wo - j1) * inner)


@numba.njit(parallel=True, cache=True)
def _scatter(cols, acc, sh, sw, pt, pl, dh, dw):  # type: ignore[no-untyped-def]
    """acc[p, h, w, m] = the sum over taps (a, b), in row-major order from 0, of the
    cols[p, a, b, i, j, m] with h = i*sh - pt + a*dh and w = j*sw - pl + b*dw.

    Planes and inner axis as in _fill; one thread writes each plane."""
    planes, height, width, inner = acc.shape
    kh, kw, ho, wo = cols.shape[1:5]
    src, dst = cols.reshape(-1), acc.reshape(-1)
    size = height * width * inner
    for p in numba.prange(planes):
        _zero(dst, p * size, size)
        for a in range(kh):
            for b in range(kw):
                offset = b * dw - pl
                j0, j1 = _span(offset, sw, wo, width)
                for i in range(ho):
                    h = i * sh - pt + a * dh
                    if h < 0 or h >= height:
                        continue
                    t = np.uint64(((((p * kh + a) * kw + b) * ho + i) * wo + j0) * inner)
                    o = np.uint64(p * size + (h * width + j0 * sw + offset) * inner)
                    if sw == 1:
                        for k in range((j1 - j0) * inner):
                            dst[o + np.uint64(k)] += src[t + np.uint64(k)]
                    elif inner == 1:
                        for j in range(j1 - j0):
                            dst[o + np.uint64(j * sw)] += src[t + np.uint64(j)]
                    else:
                        for j in range(j1 - j0):
                            for m in range(inner):
                                dst[o + np.uint64(j * sw * inner + m)] += src[
                                    t + np.uint64(j * inner + m)
                                ]
