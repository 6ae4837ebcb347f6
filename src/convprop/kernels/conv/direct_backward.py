"""The gradients of the compiled direct convolution (direct.py: the method, the symbols).

dL/dX at stride 1 with a finite W, per (image, group): the full convolution of dL/dY with
the flipped filter, written as a gather. The group's dL/dY planes go into a buffer of
planes (Dp + mD, Hp + mH, Wp) with m = D*(k-1) zeros before them on each axis
(and after: the rest of each row, rows and planes), and dL/dXp[d, h, w] is the sum over
the taps of W[o, c, r, a, b] * buffer[o, d + mD - r*D0, h + mH - a*D1, w + mW - b*D2]:
the forward's gather (direct_loops.gather) with offsets from the flipped taps. Terms
outside dL/dY read the zeros, which add nothing while W is finite. A read past a row's end
lands on the next row's first mW columns, zeros too.

Otherwise (a stride, or a NaN or infinity in W: inf * 0 must not reach positions off its
windows) dL/dX scatters, per (image, input channel), each dL/dY row times each weight
onto the rows of a padded plane it was read from, then crops the padding.

dL/dW per (block of IMAGES images, input channel, part of its group's output channels):
each image's padded plane is copied once per tap column b, cut to the output's columns as tap b
reads them (every S2-th from b*D2) and split into S1 row phases, so that tap (r, a, b) is
one flat stretch with dL/dY's row pitch and its products over the whole plane are one
pass, folded in four (direct_loops.fold4: one accumulator load and store per four
products; no position outside the definition is ever multiplied). Each accumulator
position sums over the block's images in order, the positions are summed in order, and
the blocks (fixed, whatever the threads) in order: never a sum whose order depends on the
threads. The blocks give LeNet's conv1 (one input channel) enough items without copying
each image once per output channel (dL/dW 1.36 -> 1.17 ms, one core).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ...shapes import ConvGeometry
from .. import parallel
from ..layout import leading
from ..parallel import span
from .direct_loops import (
    BLOCK,
    block_rows,
    fill,
    fold4,
    gather,
    put,
    tap_offsets,
    volume,
    zero,
)

IMAGES = 8  # dL/dW's batch blocks: fixed, so that the order of its sums is too
ACCUMULATORS = 1 << 16  # elements of dL/dW's per-item accumulators at most (256 KiB)


@numba.njit(nogil=True, cache=True)
def _grad_input_gather(gy, wg, offsets, lead, margin, padded, size, G, gx, share, shares):  # type: ignore[no-untyped-def]
    # dL/dX[n, k*Cg + c, d, h, w] = sum_{o,r,a,b} W[k*Og + o, c, r, a, b]
    #     * dL/dY[n, k*Og + o, d + P0 - r*D0, h + P1 - a*D1, w + P2 - b*D2]
    # (dL/dY zero out of range: the full convolution with the flipped W); wg[k*Cg + c, t]
    # lists input channel c's taps t = (o, r, a, b), offsets[t] their flipped places.
    N, O = gy.shape[0], gy.shape[1]
    C = wg.shape[0]
    Cg, Og = C // G, O // G
    Dp, Hp, Wp = padded
    Di, Hi, Wi = size
    shape = (Dp + margin[0], Hp + margin[1], Wp)
    R = block_rows(Hi, Wp, Wi, BLOCK)
    items = N * G
    # + Wp: the last row's reads past its end (zeros)
    buf = np.zeros(Og * shape[0] * shape[1] * Wp + Wp, dtype=gy.dtype)
    acc = np.empty((2, (R - 1) * Wp + Wi), dtype=gy.dtype)
    lo, hi = span(share, shares, items)
    for item in range(lo, hi):
        n, k = item // G, item % G
        fill(buf, gy[n, k * Og : (k + 1) * Og], margin, shape, (1, 1), (1, 1))
        for c in range(k * Cg, (k + 1) * Cg, 2):
            pair = c + 1 < (k + 1) * Cg
            for d in range(Di):
                for h0 in range(0, Hi, R):
                    rows = min(R, Hi - h0)
                    start = ((d + lead[0]) * shape[1] + h0 + lead[1]) * Wp + lead[2]
                    gather(acc[0], acc[1], buf, start, offsets, wg, c, pair, (rows - 1) * Wp + Wi)
                    for e in range(1 + pair):
                        for q in range(rows):
                            put(gx[n, c + e, d, h0 + q], acc[e][q * Wp : q * Wp + Wi], Wi)


@numba.njit(nogil=True, cache=True)
def _grad_input_scatter(gy, W, lead, padded, size, S, D, G, gx, share, shares):  # type: ignore[no-untyped-def]
    # dL/dXp[n, k*Cg + c, u*S0 + r*D0, i*S1 + a*D1, j*S2 + b*D2]
    #     += sum_o dL/dY[n, k*Og + o, u, i, j] * W[k*Og + o, c, r, a, b]   (chain rule)
    # scattered by the thread that owns (n, k*Cg + c) into a padded plane, then cropped.
    N, O, Uo, Ho, Wo = gy.shape
    _, Cg, KD, KH, KW = W.shape
    C = Cg * G
    Og = O // G
    Dp, Hp, Wp = padded
    Di, Hi, Wi = size
    items = N * C
    plane = np.empty(Dp * Hp * Wp, dtype=gy.dtype)
    lo, hi = span(share, shares, items)
    for item in range(lo, hi):
        n, kc = item // C, item % C
        k, c = kc // Cg, kc % Cg
        zero(plane, plane.size)
        for o in range(k * Og, (k + 1) * Og):
            for u in range(Uo):
                for i in range(Ho):
                    g = gy[n, o, u, i]
                    for r in range(KD):
                        for a in range(KH):
                            for b in range(KW):
                                s = ((u * S[0] + r * D[0]) * Hp + i * S[1] + a * D[1]) * Wp
                                s += b * D[2]
                                row = plane[s : s + (Wo - 1) * S[2] + 1 : S[2]]
                                w = W[o, c, r, a, b]
                                for j in range(Wo):
                                    row[j] += w * g[j]
        for d in range(Di):
            for h in range(Hi):
                s = ((d + lead[0]) * Hp + h + lead[1]) * Wp + lead[2]
                put(gx[n, kc, d, h], plane[s : s + Wi], Wi)


@numba.njit(cache=True)
def _shift(xs, planes, lead, shape):  # type: ignore[no-untyped-def]
    """fill for unit steps where xs's rows are as wide as the planes' (D, H, W): each
    depth slice is one shifted copy (by lead), then the columns a row's shift wraps
    into (j < lead[2], j >= W + lead[2]) are zeroed in every row. One call per slice
    instead of one per row (dL/dW of a depthwise 3x3 on 56x56: the copies took 1.5 of
    2.6 ms)."""
    D, H, W = planes.shape
    Db, Hb, _ = shape
    for d in range(D):
        start = ((d + lead[0]) * Hb + lead[1]) * W + lead[2]
        lo, hi = max(0, -start), min(H * W, xs.size - start)
        put(xs[start + lo : start + hi], planes[d].reshape(H * W)[lo:hi], hi - lo)
    for row in range(Db * Hb):
        for j in range(min(W, max(0, lead[2]))):
            xs[row * W + j] = 0
        for j in range(max(0, W + lead[2]), W):
            xs[row * W + j] = 0


@numba.njit(cache=True)
def _plane_products(acc, g, xs, phase, S, D, kernel):  # type: ignore[no-untyped-def]
    """acc[t, j] += the products dL/dY * Xp of tap t = (r, a, b) over one output channel's
    planes g (Uo, Ho*Wo) of one image. xs holds the image's padded planes once per tap
    column b, cut to the output's columns and rows as tap b reads them (fill with steps S,
    row phases, Wo columns: xs[b, p1, d, h, j] = Xp[d, h*S1 + p1, j*S2 + b*D2]), so that
    tap (r, a, b) is one stretch of the whole plane: folded in four (direct_loops.fold4)."""
    KD, KH, KW = kernel
    Dp, Hq, Wo = phase
    Uo, P = g.shape
    for u in range(Uo):
        for r in range(KD):
            for a in range(KH):
                p1, h = a * D[1] % S[1], a * D[1] // S[1]
                for b in range(KW):
                    s = (((b * S[1] + p1) * Dp + u * S[0] + r * D[0]) * Hq + h) * Wo
                    fold4(acc[(r * KH + a) * KW + b], g[u], xs[s : s + P], P)


@numba.njit(nogil=True, cache=True)
def _grad_weight(gy, x, lead, phase, S, D, kernel, Cg, part, partial, share, shares):  # type: ignore[no-untyped-def]
    # dL/dW[o,c,r,a,b] = sum_{n,u,i,j} dL/dY[n,o,u,i,j]
    #                    * Xp[n, k*Cg + c, u*S0 + r*D0, i*S1 + a*D1, j*S2 + b*D2]
    # Items: (batch block of IMAGES images, input channel k*Cg + c, `part` of group k's
    # output channels). acc[e, t] keeps the products of output o0 + e and tap t per folded
    # position over the block's images in order; summed over the positions in order, they
    # are the block's partial sum, and dL/dW adds the blocks in order: the blocks are
    # fixed, so the sums never depend on the threads.
    N, O, P = gy.shape[0], gy.shape[1], gy.shape[3]
    C = x.shape[1]
    KD, KH, KW = kernel
    T = KD * KH * KW
    Og = O // (C // Cg)
    parts = -(-Og // part)
    blocks = -(-N // IMAGES)
    width = max(4, P // 4)
    size = S[1] * phase[0] * phase[1] * phase[2]  # xs's part for one tap column
    same = S[1] == 1 and S[2] == 1 and phase[2] == x.shape[4]  # rows of X's width: _shift
    items = blocks * C * parts
    xs = np.zeros(KW * size, dtype=x.dtype)
    acc = np.empty((part, T, width), dtype=x.dtype)
    lo, hi = span(share, shares, items)
    for item in range(lo, hi):
        block, kc, p = item // (C * parts), item // parts % C, item % parts
        k, c = kc // Cg, kc % Cg
        o0 = k * Og + p * part
        count = min(part, (k + 1) * Og - o0)
        for e in range(count):
            for t in range(T):
                zero(acc[e, t], width)
        for n in range(block * IMAGES, min(N, (block + 1) * IMAGES)):
            for b in range(KW):  # xs[b]: column b*D2 of the window starts each row
                lead_b = (lead[0], lead[1], lead[2] - b * D[2])
                xs_b = xs[b * size : (b + 1) * size]
                if same:
                    _shift(xs_b, x[n, kc], lead_b, phase)
                else:
                    fill(xs_b, x[n, kc : kc + 1], lead_b, phase, S[1:], (S[1], 1))
            for e in range(count):
                _plane_products(acc[e], gy[n, o0 + e], xs, phase, S, D, kernel)
        for e in range(count):
            for t in range(T):
                total = acc.dtype.type(0)
                for j in range(width):
                    total += acc[e, t, j]
                partial[block, o0 + e, c, t] = total


def conv_grad_input(grad_y: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """dL/dX (N, C_in, *size) from dL/dY and W; formulas: _grad_input_gather (stride 1,
    W finite) and _grad_input_scatter."""
    kernel, D, S = leading(g.kernel, 3), leading(g.dilation, 3), leading(g.stride, 3)
    padded, size = leading(g.padded_size, 3), leading(g.size, 3)
    lead = leading(tuple(b for b, _ in g.pad), 3, 0)
    cg, og, G = g.in_channels // g.groups, g.out_channels // g.groups, g.groups
    w = np.ascontiguousarray(weight).reshape(g.out_channels, cg, *kernel)
    gy = volume(grad_y, g.dims)
    gx = np.empty((g.batch, g.in_channels, *size), dtype=gy.dtype)
    if S != (1, 1, 1) or not np.isfinite(w).all():
        scatter = (gy, w, lead, padded, size, S, D, G, gx)
        parallel.in_parts(_grad_input_scatter, g.batch * g.in_channels, *scatter)
        return gx.reshape(g.x_shape)
    margin = tuple(d * (k - 1) for k, d in zip(kernel, D, strict=True))
    shape = (padded[0] + margin[0], padded[1] + margin[1], padded[2])
    offsets = tap_offsets(og, shape, kernel, D, flip=True)
    wg = np.ascontiguousarray(w.reshape(G, og, cg, -1).transpose(0, 2, 1, 3))
    args = (gy, wg.reshape(g.in_channels, -1), offsets, lead, margin, padded, size, G, gx)
    parallel.in_parts(_grad_input_gather, g.batch * G, *args)
    return gx.reshape(g.x_shape)


def conv_grad_weight(grad_y: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """dL/dW (C_out, C_in/groups, *kernel) from dL/dY and X; formula: _grad_weight."""
    kernel, D, S = leading(g.kernel, 3), leading(g.dilation, 3), leading(g.stride, 3)
    Dp, Hp, _ = leading(g.padded_size, 3)
    Uo, Ho, Wo = leading(g.out_size, 3)
    lead = leading(tuple(b for b, _ in g.pad), 3, 0)
    cg, og = g.in_channels // g.groups, g.out_channels // g.groups
    taps = math.prod(kernel)
    part = min(og, max(1, ACCUMULATORS // (taps * max(4, Ho * Wo // 4))))
    blocks = -(-g.batch // IMAGES)
    items = blocks * g.in_channels * -(-og // part)
    gy = volume(grad_y, g.dims).reshape(g.batch, g.out_channels, Uo, Ho * Wo)
    partial = np.zeros((blocks, g.out_channels, cg, taps), dtype=x.dtype)
    args = (gy, volume(x, g.dims), lead, (Dp, -(-Hp // S[1]), Wo), S, D, kernel, cg, part)
    parallel.in_parts(_grad_weight, items, *args, partial)
    # the blocks added in order, outside the compiled loop: an array assigned to a slice
    # there compiles Numba's shape-mismatch message (about 4 s of a fresh install's first run)
    gw = np.zeros(partial.shape[1:], dtype=partial.dtype)  # an empty batch: zeros
    for block in partial:
        gw += block
    return gw.reshape(g.w_shape)
