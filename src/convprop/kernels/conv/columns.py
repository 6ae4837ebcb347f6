"""im2col and col2im as compiled loops (Numba), for both column layouts; the GEMMs stay BLAS's.

The NumPy versions (im2col.py, batch_inner.py) pad the input into a fresh array, then copy
every tap's strided window in its own pass; col2im adds kH*kW strided slices into a padded
zero array. Here each is one parallel pass that reads the unpadded input directly: a
window cell that falls in the padding is written as 0 (fill) or skipped (scatter), and
the inner loop runs along the contiguous last axis.

    fill      cols[n, c, a, b, i, j] = X[n, c, i*S - P + a*D, j*S' - P' + b*D']   (0 outside)
    scatter   dX[n, c, h, w] = sum over (a, b) in row-major order of the cols[n, c, a, b, i, j]
              whose window cell is (h, w)                                        (col2im)

and likewise with the batch innermost: cols[c, a, b, i, j, n]. Threads split the fill over
the (image, channel, kernel row) rows and the scatter over (image, channel) planes (over
channels in the batch-inner layout), so each output element is written by one thread and
sums its taps in the NumPy path's order, starting from 0: the results equal NumPy's bit for
bit, whatever the thread count.

1-D runs as 2-D with H = 1. 3-D stays on NumPy (`supported`); so do dtypes other than
float32 and float64. This module imports numba: reach it through jit.lazy.
"""

from __future__ import annotations

import numba
import numpy as np

from ...shapes import ConvGeometry


def supported(g: ConvGeometry, dtype: np.dtype) -> bool:
    """Whether the compiled loops handle g and dtype: 1-D or 2-D, float32 or float64."""
    return g.dims <= 2 and np.dtype(dtype) in (np.dtype(np.float32), np.dtype(np.float64))


def _planar(g: ConvGeometry) -> tuple[int, ...]:
    """(stride, pad before, dilation) of the H and W axes, 1-D as H = 1."""
    if g.dims == 1:
        return 1, g.stride[0], 0, g.pad[0][0], 1, g.dilation[0]
    (sh, sw), ((pt, _), (pl, _)), (dh, dw) = g.stride, g.pad, g.dilation
    return sh, sw, pt, pl, dh, dw


def _hw(sizes: tuple[int, ...]) -> tuple[int, int]:
    return (1, sizes[0]) if len(sizes) == 1 else (sizes[0], sizes[1])


def fill(x: np.ndarray, g: ConvGeometry, cols: np.ndarray) -> np.ndarray:
    """im2col into cols: x (N, C, *size) -> cols (N, C, *kernel, *out), returned."""
    x4 = np.ascontiguousarray(x).reshape(*x.shape[:2], *_hw(g.size))
    c6 = cols.reshape(*x.shape[:2], *_hw(g.kernel), *_hw(g.out_size))
    _fill(x4, c6, *_planar(g))
    return cols


def scatter(cols: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """col2im: cols (N, C, *kernel, *out) -> a new (N, C, *size), overlaps summed."""
    dx = np.empty((*cols.shape[:2], *g.size), dtype=cols.dtype)
    c6 = np.ascontiguousarray(cols).reshape(*cols.shape[:2], *_hw(g.kernel), *_hw(g.out_size))
    _scatter(c6, dx.reshape(*dx.shape[:2], *_hw(g.size)), *_planar(g))
    return dx


def fill_batch_inner(x: np.ndarray, g: ConvGeometry, chwn: np.ndarray, cols: np.ndarray) -> None:
    """Batch-inner im2col: x (N, C, *size) -> cols (C, *kernel, *out, N), through chwn, a
    (C, *size, N) buffer that receives x transposed (its runs along W*N are contiguous)."""
    x4 = np.ascontiguousarray(x).reshape(*x.shape[:2], *_hw(g.size))
    t4 = chwn.reshape(x.shape[1], *_hw(g.size), x.shape[0])
    _to_batch_last(x4, t4)
    c6 = cols.reshape(x.shape[1], *_hw(g.kernel), *_hw(g.out_size), x.shape[0])
    _fill_batch_inner(t4, c6, *_planar(g))


def scatter_batch_inner(cols: np.ndarray, g: ConvGeometry, chwn: np.ndarray) -> np.ndarray:
    """Batch-inner col2im: cols (C, *kernel, *out, N) -> a new (N, C, *size), overlaps summed;
    chwn, a (C, *size, N) buffer, holds the sums before they are written back in NCHW."""
    dx = np.empty(g.x_shape, dtype=cols.dtype)
    c6 = np.ascontiguousarray(cols).reshape(g.in_channels, *_hw(g.kernel), *_hw(g.out_size), -1)
    t4 = chwn.reshape(g.in_channels, *_hw(g.size), g.batch)
    _scatter_batch_inner(c6, t4, dx.reshape(*dx.shape[:2], *_hw(g.size)), *_planar(g))
    return dx


@numba.njit(cache=True)
def _span(offset: int, step: int, count: int, length: int) -> tuple[int, int]:
    """[lo, hi): the j in [0, count) with 0 <= j*step + offset < length."""
    lo = 0 if offset >= 0 else (step - 1 - offset) // step
    hi = (length - offset + step - 1) // step if length > offset else 0
    lo = min(lo, count)
    return lo, max(lo, min(hi, count))


# The loops below index flat arrays with unsigned offsets: a signed index makes Numba check
# for negative (wrap-around) indices on every access, which stops LLVM from vectorising the
# loop (measured: the NCHW fill of 8x64x56x56 took 21 ms with 4-D signed indexing, 10 ms so).


@numba.njit(cache=True)
def _copy(dst, d, src, s, count, step):  # type: ignore[no-untyped-def]
    """dst[d + j] = src[s + j*step] for j < count."""
    d, s = np.uint64(d), np.uint64(s)
    if step == 1:
        for j in range(count):
            dst[d + np.uint64(j)] = src[s + np.uint64(j)]
    else:
        for j in range(count):
            dst[d + np.uint64(j)] = src[s + np.uint64(j * step)]


@numba.njit(cache=True)
def _zero(dst, d, count):  # type: ignore[no-untyped-def]
    """dst[d : d + count] = 0."""
    d = np.uint64(d)
    for j in range(count):
        dst[d + np.uint64(j)] = 0


@numba.njit(cache=True)
def _add(dst, d, step, src, s, count):  # type: ignore[no-untyped-def]
    """dst[d + j*step] += src[s + j] for j < count."""
    d, s = np.uint64(d), np.uint64(s)
    if step == 1:
        for j in range(count):
            dst[d + np.uint64(j)] += src[s + np.uint64(j)]
    else:
        for j in range(count):
            dst[d + np.uint64(j * step)] += src[s + np.uint64(j)]


@numba.njit(parallel=True, cache=True)
def _fill(x, cols, sh, sw, pt, pl, dh, dw):  # type: ignore[no-untyped-def]
    """cols[n, c, a, b, i, j] = x[n, c, i*sh - pt + a*dh, j*sw - pl + b*dw], 0 outside x."""
    batch, channels, height, width = x.shape
    kh, kw, ho, wo = cols.shape[2:]
    src, dst = x.reshape(-1), cols.reshape(-1)
    for row in numba.prange(batch * channels * kh):  # row = (n, c, a)
        plane = row // kh * height * width  # (n, c)'s first element in x
        a = row % kh
        for b in range(kw):
            offset = b * dw - pl
            j0, j1 = _span(offset, sw, wo, width)
            for i in range(ho):
                h = i * sh - pt + a * dh
                out = ((row * kw + b) * ho + i) * wo
                if h < 0 or h >= height:
                    _zero(dst, out, wo)
                    continue
                _zero(dst, out, j0)
                _copy(dst, out + j0, src, plane + h * width + j0 * sw + offset, j1 - j0, sw)
                _zero(dst, out + j1, wo - j1)


@numba.njit(parallel=True, cache=True)
def _scatter(cols, dx, sh, sw, pt, pl, dh, dw):  # type: ignore[no-untyped-def]
    """dx[n, c, h, w] = sum over taps (a, b) in row-major order of cols[n, c, a, b, i, j]
    with h = i*sh - pt + a*dh and w = j*sw - pl + b*dw."""
    batch, channels, height, width = dx.shape
    kh, kw, ho, wo = cols.shape[2:]
    src, dst = cols.reshape(-1), dx.reshape(-1)
    for plane in numba.prange(batch * channels):  # plane = (n, c): one thread writes it
        first = plane * height * width
        _zero(dst, first, height * width)
        for a in range(kh):
            for b in range(kw):
                offset = b * dw - pl
                j0, j1 = _span(offset, sw, wo, width)
                for i in range(ho):
                    h = i * sh - pt + a * dh
                    if 0 <= h < height:
                        tap = (((plane * kh + a) * kw + b) * ho + i) * wo
                        out = first + h * width + j0 * sw + offset
                        _add(dst, out, sw, src, tap + j0, j1 - j0)


@numba.njit(parallel=True, cache=True)
def _to_batch_last(x, t):  # type: ignore[no-untyped-def]
    """t[c, h, w, n] = x[n, c, h, w]."""
    batch, channels, height, width = x.shape
    area = height * width
    src, dst = x.reshape(-1), t.reshape(-1)
    for c in numba.prange(channels):
        for n in range(batch):
            s = np.uint64((n * channels + c) * area)
            d = np.uint64(c * area * batch + n)
            nb = np.uint64(batch)
            for k in range(area):
                dst[d + np.uint64(k) * nb] = src[s + np.uint64(k)]


@numba.njit(parallel=True, cache=True)
def _fill_batch_inner(t, cols, sh, sw, pt, pl, dh, dw):  # type: ignore[no-untyped-def]
    """cols[c, a, b, i, j, n] = t[c, i*sh - pt + a*dh, j*sw - pl + b*dw, n], 0 outside t."""
    channels, height, width, batch = t.shape
    kh, kw, ho, wo = cols.shape[1:5]
    src, dst = t.reshape(-1), cols.reshape(-1)
    row_len = wo * batch
    for row in numba.prange(channels * kh):  # row = (c, a)
        plane = row // kh * height * width * batch
        a = row % kh
        for b in range(kw):
            offset = b * dw - pl
            j0, j1 = _span(offset, sw, wo, width)
            for i in range(ho):
                h = i * sh - pt + a * dh
                out = ((row * kw + b) * ho + i) * row_len
                if h < 0 or h >= height:
                    _zero(dst, out, row_len)
                    continue
                _zero(dst, out, j0 * batch)
                start = plane + (h * width + j0 * sw + offset) * batch
                if sw == 1:
                    _copy(dst, out + j0 * batch, src, start, (j1 - j0) * batch, 1)
                else:
                    for j in range(j1 - j0):
                        _copy(dst, out + (j0 + j) * batch, src, start + j * sw * batch, batch, 1)
                _zero(dst, out + j1 * batch, (wo - j1) * batch)


@numba.njit(parallel=True, cache=True)
def _scatter_batch_inner(cols, t, dx, sh, sw, pt, pl, dh, dw):  # type: ignore[no-untyped-def]
    """t[c, h, w, n] = the sum over taps (a, b) in row-major order of cols[c, a, b, i, j, n]
    with h = i*sh - pt + a*dh and w = j*sw - pl + b*dw; then dx[n, c, h, w] = t[c, h, w, n]."""
    channels, height, width, batch = t.shape
    kh, kw, ho, wo = cols.shape[1:5]
    area = height * width
    src, acc, out = cols.reshape(-1), t.reshape(-1), dx.reshape(-1)
    for c in numba.prange(channels):  # one thread sums and writes channel c
        first = c * area * batch
        _zero(acc, first, area * batch)
        for a in range(kh):
            for b in range(kw):
                offset = b * dw - pl
                j0, j1 = _span(offset, sw, wo, width)
                for i in range(ho):
                    h = i * sh - pt + a * dh
                    if h < 0 or h >= height:
                        continue
                    tap = ((((c * kh + a) * kw + b) * ho + i) * wo + j0) * batch
                    start = first + (h * width + j0 * sw + offset) * batch
                    if sw == 1:
                        _add(acc, start, 1, src, tap, (j1 - j0) * batch)
                    else:
                        for j in range(j1 - j0):
                            _add(acc, start + j * sw * batch, 1, src, tap + j * batch, batch)
        nb = np.uint64(batch)
        for n in range(batch):
            d = np.uint64((n * channels + c) * area)
            s = np.uint64(first + n)
            for k in range(area):
                out[d + np.uint64(k)] = acc[s + np.uint64(k) * nb]
