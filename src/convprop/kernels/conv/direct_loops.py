"""The innermost loops of the compiled direct convolution (direct.py, direct_backward.py).

Each runs along one stretch of contiguous memory, one array element per iteration, so that
LLVM vectorises it (measured: 10-40 GMAC/s per core on 136-2000 elements; a strided or
A-layout operand turns it scalar, 4-5 GMAC/s). They are separate functions because a loop
written inside a parallel loop's body compiled worse, and because LLVM needs the weights
as scalars, not array loads it must repeat after every store. Sums run in the order the
code writes them (no fastmath): the same bits on every run and any number of threads.

Register blocking, as far as plain loops allow it: a pass reads each input element once and
applies four taps to it (and, for two output channels, eight weights), so the accumulator
stretch is loaded and stored once per four taps instead of once per tap (forward of
LeNet's conv2 1.4 ms against 2.6 ms with one tap per pass, same machine).
"""

from __future__ import annotations

import numba
import numpy as np

from ..layout import leading

BLOCK = 2048  # elements of output a thread accumulates at once: a few rows, in L1
CHUNKS_PER_THREAD = 8  # work items go to this many chunks per thread, in order


def chunk_count(items: int) -> int:
    """Chunks for `items` work items: CHUNKS_PER_THREAD per thread, at most one per item
    (asked here, in Python: numba.get_num_threads in a compiled function stops caching)."""
    return max(1, min(items, CHUNKS_PER_THREAD * numba.get_num_threads()))


@numba.njit(cache=True)
def block_rows(flat, out_rows, pitch, out_width, elements):  # type: ignore[no-untyped-def]
    """Output rows per block: as many as fit `elements` when a block is one flat stretch
    of the planes (stride 1 in the plane), else one."""
    if not flat:
        return 1
    return max(1, min(out_rows, (elements - out_width) // pitch + 1))


def tap_offsets(
    channels: int, plane: tuple[int, ...], kernel: tuple[int, ...], D: tuple[int, ...], flip: bool
) -> np.ndarray:
    """Offsets in a buffer of `channels` planes of shape `plane` (depth, height, pitch) of
    every tap t = (c, r, a, b), in that order: ((c*Dp + r*D0)*Hp + a*D1)*Wp + b*D2, with
    (r, a, b) counted from the kernel's far end when flip (the full convolution of dL/dX)."""
    axes = [np.arange(channels) * plane[0] * plane[1] * plane[2]]
    strides = (plane[1] * plane[2], plane[2], 1)
    for k, d, stride in zip(kernel, D, strides, strict=True):
        taps = np.arange(k)[::-1] if flip else np.arange(k)
        axes.append(taps * d * stride)
    grid = np.ix_(*axes)
    return np.asarray(sum(grid[1:], grid[0]), dtype=np.int64).ravel()


def volume(a: np.ndarray, dims: int) -> np.ndarray:
    """(N, C, *size) as C-contiguous (N, C, depth, height, width)."""
    return np.ascontiguousarray(a).reshape(*a.shape[:2], *leading(a.shape[2:], 3))


@numba.njit(cache=True)
def put(dst, src, length):  # type: ignore[no-untyped-def]
    """dst[j] = src[j] for j < length (a plain loop: several times faster than a slice
    assignment on rows of a few dozen elements)."""
    for j in range(length):
        dst[j] = src[j]


@numba.njit(cache=True)
def zero(dst, length):  # type: ignore[no-untyped-def]
    for j in range(length):
        dst[j] = 0


@numba.njit(cache=True)
def tap(acc, x0, w0, length):  # type: ignore[no-untyped-def]
    """acc[j] += w0 * x0[j]: one tap (x0 may be strided)."""
    for j in range(length):
        acc[j] += w0 * x0[j]


@numba.njit(cache=True)
def taps4(acc, x0, x1, x2, x3, w0, w1, w2, w3, length):  # type: ignore[no-untyped-def]
    """acc[j] += (w0 x0[j] + w1 x1[j]) + (w2 x2[j] + w3 x3[j]): four taps, one pass."""
    for j in range(length):
        acc[j] += (w0 * x0[j] + w1 * x1[j]) + (w2 * x2[j] + w3 * x3[j])


@numba.njit(cache=True)
def taps4x2(acc, acd, x0, x1, x2, x3, w, v, length):  # type: ignore[no-untyped-def]
    """taps4 for two output channels at once, weights w[0:4] and v[0:4]: each input
    element is loaded once for both."""
    w0, w1, w2, w3 = w[0], w[1], w[2], w[3]
    v0, v1, v2, v3 = v[0], v[1], v[2], v[3]
    for j in range(length):
        p, q, r, s = x0[j], x1[j], x2[j], x3[j]
        acc[j] += (w0 * p + w1 * q) + (w2 * r + w3 * s)
        acd[j] += (v0 * p + v1 * q) + (v2 * r + v3 * s)


@numba.njit(cache=True)
def gather(acc, buf, start, offsets, weights, row, pair, length):  # type: ignore[no-untyped-def]
    """acc[e, j] = sum_t weights[row + e, t] * buf[start + offsets[t] + j] for j < length,
    e < 1 + pair: every tap of one or two output rows of the weights, over one flat
    stretch of a contiguous buffer. Taps go four to a pass, in order, then one by one."""
    count = offsets.size
    zero(acc[0], length)
    if pair:
        zero(acc[1], length)
    t = 0
    while t + 4 <= count:
        s0, s1 = start + offsets[t], start + offsets[t + 1]
        s2, s3 = start + offsets[t + 2], start + offsets[t + 3]
        x0, x1 = buf[s0 : s0 + length], buf[s1 : s1 + length]
        x2, x3 = buf[s2 : s2 + length], buf[s3 : s3 + length]
        w = weights[row, t : t + 4]
        if pair:
            taps4x2(acc[0], acc[1], x0, x1, x2, x3, w, weights[row + 1, t : t + 4], length)
        else:
            taps4(acc[0], x0, x1, x2, x3, w[0], w[1], w[2], w[3], length)
        t += 4
    while t < count:
        s0 = start + offsets[t]
        tap(acc[0], buf[s0 : s0 + length], weights[row, t], length)
        if pair:
            tap(acc[1], buf[s0 : s0 + length], weights[row + 1, t], length)
        t += 1


@numba.njit(cache=True)
def products(acc, g, x0, length):  # type: ignore[no-untyped-def]
    """acc[j] += g[j] * x0[j]: one tap's products, kept per position (x0 may be strided)."""
    for j in range(length):
        acc[j] += g[j] * x0[j]


@numba.njit(cache=True)
def fold4(acc, g, x0, length):  # type: ignore[no-untyped-def]
    """acc[j] += the products g * x0 of a stretch folded in four: positions j, j + q,
    j + 2q and j + 3q (q = length // 4) in one pass, summed in pairs, the last length % 4
    positions onto acc[0:3]. One load and store of acc per four products."""
    q = length // 4
    for j in range(q):
        acc[j] += (g[j] * x0[j] + g[j + q] * x0[j + q]) + (
            g[j + 2 * q] * x0[j + 2 * q] + g[j + 3 * q] * x0[j + 3 * q]
        )
    for j in range(4 * q, length):
        acc[j - 4 * q] += g[j] * x0[j]


@numba.njit(cache=True)
def span(chunk, chunks, items):  # type: ignore[no-untyped-def]
    """The items [lo, hi) of chunk `chunk` of `chunks` (equal shares, in order)."""
    return chunk * items // chunks, (chunk + 1) * items // chunks


@numba.njit(cache=True)
def gather_strided(acc, buf, start, offsets, weights, row, step, length):  # type: ignore[no-untyped-def]
    """acc[j] = sum_t weights[row, t] * buf[start + offsets[t] + j*step] for j < length:
    one output row read with a stride, one tap per pass."""
    zero(acc, length)
    for t in range(offsets.size):
        s = start + offsets[t]
        tap(acc, buf[s : s + (length - 1) * step + 1 : step], weights[row, t], length)


@numba.njit(cache=True)
def fill(buf, planes, lead, shape):  # type: ignore[no-untyped-def]
    """Copy planes (P, D, H, W) into buf, viewed as (P, *shape), at offset lead per axis;
    the rest of buf is left as it is (the zeros of padding stay from its allocation)."""
    P, D, H, W = planes.shape
    Db, Hb, Wb = shape
    for p in range(P):
        for d in range(D):
            for h in range(H):
                s = ((p * Db + d + lead[0]) * Hb + h + lead[1]) * Wb + lead[2]
                put(buf[s : s + W], planes[p, d, h], W)
