"""The innermost loops of the compiled direct convolution (direct.py, direct_backward.py).

Each runs along one stretch of contiguous memory, one array element per iteration, so that
LLVM vectorises it (measured: 10-40 GMAC/s per core on 136-2000 elements; a strided or
A-layout operand turns it scalar, 4-5 GMAC/s). They are separate functions because a loop
written inside a parallel loop's body compiled worse, and because LLVM needs the weights
as scalars, not array loads it must repeat after every store. Sums run in the order the
code writes them (no fastmath): the same bits on every run and any number of threads.

The one-pass helpers are inlined into their callers (inline="always", Numba's IR): a call
with three array slices costs about 35 ns, as much as fold4's whole work on a 28x28
plane (measured: 36 against 3 ns per call on 16 elements). taps4x2 stays a call: inlined,
it made LeNet conv2's forward 10% slower.

Register blocking, as far as plain loops allow it: a pass reads each input element once and
applies four taps to it (and, for two output channels, eight weights), so the accumulator
stretch is loaded and stored once per four taps instead of once per tap (forward of
LeNet's conv2 1.4 ms against 2.6 ms with one tap per pass, same machine).
"""

from __future__ import annotations

import itertools

import numba
import numpy as np

from ..layout import leading

BLOCK = 4096  # elements of output a thread accumulates at once: rows of a plane, in L1


@numba.njit(cache=True)
def block_rows(out_rows, pitch, out_width, elements):  # type: ignore[no-untyped-def]
    """Output rows per block: as many as fit `elements`, rows `pitch` apart (one flat
    stretch of the planes)."""
    return max(1, min(out_rows, (elements - out_width) // pitch + 1))


def tap_offsets(
    channels: int,
    plane: tuple[int, int, int],
    kernel: tuple[int, ...],
    D: tuple[int, ...],
    steps: tuple[int, int] = (1, 1),
    flip: bool = False,
) -> np.ndarray:
    """Where every tap t = (c, r, a, b), in that order, starts in a buffer of `channels`
    groups of phase planes (fill with these steps): tap (a, b) reads phase
    (a*D1 % S1, b*D2 % S2) from row a*D1 // S1 and column b*D2 // S2, so

        offset = (((c*S1*S2 + phase)*Db + r*D0)*Hb + a*D1 // S1)*Wb + b*D2 // S2;

    with unit steps ((c*Db + r*D0)*Hb + a*D1)*Wb + b*D2. flip counts (r, a, b) from the
    kernel's far end (the full convolution of dL/dX)."""
    Db, Hb, Wb = plane
    S1, S2 = steps
    K = [np.arange(k)[::-1] if flip else np.arange(k) for k in kernel]
    offsets = []
    for c, r, a, b in itertools.product(range(channels), K[0], K[1], K[2]):
        phase = (a * D[1] % S1) * S2 + b * D[2] % S2
        row, column = a * D[1] // S1, b * D[2] // S2
        offsets.append((((c * S1 * S2 + phase) * Db + r * D[0]) * Hb + row) * Wb + column)
    return np.array(offsets, dtype=np.int64)


def volume(a: np.ndarray, dims: int) -> np.ndarray:
    """(N, C, *size) as C-contiguous (N, C, depth, height, width)."""
    return np.ascontiguousarray(a).reshape(*a.shape[:2], *leading(a.shape[2:], 3))


@numba.njit(cache=True, inline="always")
def put(dst, src, length):  # type: ignore[no-untyped-def]
    """dst[j] = src[j] for j < length (a plain loop: several times faster than a slice
    assignment on rows of a few dozen elements)."""
    for j in range(length):
        dst[j] = src[j]


@numba.njit(cache=True, inline="always")
def zero(dst, length):  # type: ignore[no-untyped-def]
    for j in range(length):
        dst[j] = 0


@numba.njit(cache=True, inline="always")
def tap(acc, x0, w0, length, first):  # type: ignore[no-untyped-def]
    """acc[j] += w0 * x0[j]: one tap (x0 may be strided); acc[j] = ... when first."""
    if first:
        for j in range(length):
            acc[j] = w0 * x0[j]
    else:
        for j in range(length):
            acc[j] += w0 * x0[j]


@numba.njit(cache=True, inline="always")
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


@numba.njit(cache=True, inline="always")
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


@numba.njit(cache=True, inline="always")
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
def cover(shift, step, n, m):  # type: ignore[no-untyped-def]
    """The buffer indices q < m whose source q*step - shift lies in [0, n): [lo, hi), and
    the source of lo."""
    lo = max(0, -(-shift // step))
    hi = max(lo, min(m, -(-(n + shift) // step)))
    return lo, hi, lo * step - shift


@numba.njit(cache=True)
def fill(buf, planes, lead, shape, steps, phases):  # type: ignore[no-untyped-def]
    """Copy planes (P, D, H, W) into buf, viewed as (P, phases[0], phases[1], *shape): phase
    (p1, p2) holds rows h*S1 + p1 and columns m*S2 + p2 of the planes padded by lead
    before each axis (S = steps; one phase of unit steps: the padded planes themselves).
    The rest of buf is left as it is: the zeros of padding stay from its allocation."""
    P, D, H, W = planes.shape
    Db, Hb, Wb = shape
    S1, S2 = steps
    for p in range(P):
        for p1 in range(phases[0]):
            h_lo, h_hi, h0 = cover(lead[1] - p1, S1, H, Hb)
            for p2 in range(phases[1]):
                m_lo, m_hi, w0 = cover(lead[2] - p2, S2, W, Wb)
                count = m_hi - m_lo
                base = (p * phases[0] + p1) * phases[1] + p2
                for d in range(D):
                    for h in range(h_lo, h_hi):
                        s = (((base * Db) + d + lead[0]) * Hb + h) * Wb + m_lo
                        row = planes[p, d, h0 + (h - h_lo) * S1]
                        if S2 == 1:
                            put(buf[s : s + count], row[w0 : w0 + count], count)
                        else:
                            put(buf[s : s + count], row[w0 : w0 + (count - 1) * S2 + 1 : S2], count)
