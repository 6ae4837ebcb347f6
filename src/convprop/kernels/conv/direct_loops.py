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
def tap(acc, x0, w0, length, first):  # type: ignore[no-untyped-def]
    """acc[j] += w0 * x0[j]: one tap (x0 may be strided); acc[j] = ... when first."""
    if first:
        for j in range(length):
            acc[j] = w0 * x0[j]
    else:
        for j in range(length):
            acc[j] += w0 * x0[j]


@numba.njit(cache=True)
def taps4(acc, x0, x1, x2, x3, w, length, first):  # type: ignore[no-untyped-def]
    """acc[j] += (w0 x0[j] + w1 x1[j]) + (w2 x2[j] + w3 x3[j]): four taps in one pass,
    weights w[0:4]; acc[j] = ... when first (no pass zeroing acc, no load of it)."""
    w0, w1, w2, w3 = w[0], w[1], w[2], w[3]
    if first:
        for j in range(length):
            acc[j] = (w0 * x0[j] + w1 * x1[j]) + (w2 * x2[j] + w3 * x3[j])
    else:
        for j in range(length):
            acc[j] += (w0 * x0[j] + w1 * x1[j]) + (w2 * x2[j] + w3 * x3[j])


@numba.njit(cache=True)
def taps8(acc, x0, x1, x2, x3, x4, x5, x6, x7, w, length, first):  # type: ignore[no-untyped-def]
    """taps4 for eight taps, summed as a tree of pairs (a 3x3 filter: one pass and one
    tap; measured 0.47 against 0.70 us for zeroing, two passes of four and one tap)."""
    w0, w1, w2, w3, w4, w5, w6, w7 = w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]
    if first:
        for j in range(length):
            acc[j] = ((w0 * x0[j] + w1 * x1[j]) + (w2 * x2[j] + w3 * x3[j])) + (
                (w4 * x4[j] + w5 * x5[j]) + (w6 * x6[j] + w7 * x7[j])
            )
    else:
        for j in range(length):
            acc[j] += ((w0 * x0[j] + w1 * x1[j]) + (w2 * x2[j] + w3 * x3[j])) + (
                (w4 * x4[j] + w5 * x5[j]) + (w6 * x6[j] + w7 * x7[j])
            )


@numba.njit(cache=True)
def taps4x2(acc, acd, x0, x1, x2, x3, w, v, length, first):  # type: ignore[no-untyped-def]
    """taps4 for two output channels at once, weights w[0:4] and v[0:4]: each input
    element is loaded once for both."""
    w0, w1, w2, w3 = w[0], w[1], w[2], w[3]
    v0, v1, v2, v3 = v[0], v[1], v[2], v[3]
    if first:
        for j in range(length):
            p, q, r, s = x0[j], x1[j], x2[j], x3[j]
            acc[j] = (w0 * p + w1 * q) + (w2 * r + w3 * s)
            acd[j] = (v0 * p + v1 * q) + (v2 * r + v3 * s)
    else:
        for j in range(length):
            p, q, r, s = x0[j], x1[j], x2[j], x3[j]
            acc[j] += (w0 * p + w1 * q) + (w2 * r + w3 * s)
            acd[j] += (v0 * p + v1 * q) + (v2 * r + v3 * s)


@numba.njit(cache=True)
def gather(acc, acd, buf, start, offsets, weights, row, pair, length):  # type: ignore[no-untyped-def]
    """acc[j] = sum_t weights[row, t] * buf[start + offsets[t] + j] for j < length, and
    acd[j] likewise with weights[row + 1] when pair: every tap of one or two output rows
    of the weights, over one flat
    stretch of a contiguous buffer. Taps go eight (one output) or four (two) to a pass,
    in order, then one by one; the first pass writes acc, the others add to it."""
    count = offsets.size
    t = 0
    while not pair and t + 8 <= count:
        s0, s1 = start + offsets[t], start + offsets[t + 1]
        s2, s3 = start + offsets[t + 2], start + offsets[t + 3]
        s4, s5 = start + offsets[t + 4], start + offsets[t + 5]
        s6, s7 = start + offsets[t + 6], start + offsets[t + 7]
        x0, x1 = buf[s0 : s0 + length], buf[s1 : s1 + length]
        x2, x3 = buf[s2 : s2 + length], buf[s3 : s3 + length]
        x4, x5 = buf[s4 : s4 + length], buf[s5 : s5 + length]
        x6, x7 = buf[s6 : s6 + length], buf[s7 : s7 + length]
        w = weights[row, t : t + 8]
        taps8(acc, x0, x1, x2, x3, x4, x5, x6, x7, w, length, t == 0)
        t += 8
    while t + 4 <= count:
        s0, s1 = start + offsets[t], start + offsets[t + 1]
        s2, s3 = start + offsets[t + 2], start + offsets[t + 3]
        x0, x1 = buf[s0 : s0 + length], buf[s1 : s1 + length]
        x2, x3 = buf[s2 : s2 + length], buf[s3 : s3 + length]
        w = weights[row, t : t + 4]
        if pair:
            v = weights[row + 1, t : t + 4]
            taps4x2(acc, acd, x0, x1, x2, x3, w, v, length, t == 0)
        else:
            taps4(acc, x0, x1, x2, x3, w, length, t == 0)
        t += 4
    while t < count:
        s0 = start + offsets[t]
        tap(acc, buf[s0 : s0 + length], weights[row, t], length, t == 0)
        if pair:
            tap(acd, buf[s0 : s0 + length], weights[row + 1, t], length, t == 0)
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
    for t in range(offsets.size):
        s = start + offsets[t]
        tap(acc, buf[s : s + (length - 1) * step + 1 : step], weights[row, t], length, t == 0)


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
