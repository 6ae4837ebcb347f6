"""The direct convolution, compiled with Numba: the reference loops (reference.py) as
machine code, for layers with few channels per group (depthwise, grouped, LeNet-size).

Same sums, same symbols, correlation convention, padding P, stride S, dilation D:

    Y[n, o, i, j] = sum_{c, a, b} Xp[n, k*Cg + c, i*S + a*D, j*S + b*D] * W[o, c, a, b]

with k = o // Og the group of output channel o (Cg input and Og output channels per
group). Every layer runs as a 3-D one: a 2-D layer has depth 1, a 1-D layer height 1 too,
so (u, r) index the depth of outputs and taps and cost nothing when it is 1.

How it is fast: each thread owns whole outputs (prange over batch x output channels for Y,
batch x input channels for dL/dX, output x per-group input channels for dL/dW), so no two
threads write one element and every sum runs in an order fixed by the loops: the result is
bit-identical for any thread count. The innermost loop runs along one row of contiguous
memory (y_row[j] += w * x_row[j*S + b*D]), which LLVM vectorises when S = 1; weights are
read once per row, outside it. Padding is done once, before the loops (pad_spatial).

Reached only through jit.lazy (select.py's "numba" record, which also states its
workspace: the padded input copy): importing this module imports Numba.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from ...shapes import ConvGeometry
from ..layout import crop_spatial, leading, pad_spatial

BLOCK = 2048  # elements of output a thread accumulates at once: a few rows, in L1


@numba.njit(cache=True)
def _axpy(y, w, x):  # type: ignore[no-untyped-def]
    """y[j] += w * x[j]: one tap along a stretch of output (x: C-contiguous or strided)."""
    for j in range(y.size):
        y[j] += w * x[j]


@numba.njit(cache=True)
def _products(acc, gy, x):  # type: ignore[no-untyped-def]
    """acc[j] += gy[j] * x[j]: one tap's products, summed per output position."""
    for j in range(acc.size):
        acc[j] += gy[j] * x[j]


@numba.njit(cache=True)
def _rows(flat, Ho, Wp, elements):  # type: ignore[no-untyped-def]
    """Output rows per block: as many as fill `elements` when a block of rows is one flat
    stretch of the padded input (stride 1 along both plane axes), else one."""
    return max(1, min(Ho, elements // Wp)) if flat else 1


@numba.njit(parallel=True, cache=True)
def _forward(xp, W, S, D, out, Wp):  # type: ignore[no-untyped-def]
    # Y[n,o,u,i,j] = sum_{c,r,a,b} Xp[n, k*Cg + c, u*S0 + r*D0, i*S1 + a*D1, j*S2 + b*D2]
    #                              * W[o, c, r, a, b]
    # xp's planes are flat (row h at h*Wp): with stride 1, `rows` output rows i0.. read
    # one stretch of each plane, and the columns between rows (j >= Wo) are computed
    # into acc and never copied out.
    N, C = xp.shape[0], xp.shape[1]
    O, Cg, KD, KH, KW = W.shape
    Og = O // (C // Cg)
    Uo, Ho, Wo = out
    flat = S[1] == 1 and S[2] == 1
    R = _rows(flat, Ho, Wp, BLOCK)
    y = np.empty((N, O, Uo, Ho, Wo), dtype=xp.dtype)
    for no in prange(N * O):
        n, o = no // O, no % O
        k = o // Og
        acc = np.empty((R - 1) * Wp + Wo, dtype=xp.dtype)
        for u in range(Uo):
            for i0 in range(0, Ho, R):
                rows = min(R, Ho - i0)
                L = (rows - 1) * Wp + Wo
                acc[:L] = 0
                for c in range(Cg):
                    for r in range(KD):
                        x_plane = xp[n, k * Cg + c, u * S[0] + r * D[0]]
                        for a in range(KH):
                            for b in range(KW):
                                start = (i0 * S[1] + a * D[1]) * Wp + b * D[2]
                                w = W[o, c, r, a, b]
                                if S[2] == 1:
                                    _axpy(acc[:L], w, x_plane[start : start + L])
                                else:
                                    _axpy(acc[:L], w, x_plane[start :: S[2]])
                for t in range(rows):
                    y[n, o, u, i0 + t] = acc[t * Wp : t * Wp + Wo]
    return y


@numba.njit(parallel=True, cache=True)
def _grad_input(gy, W, S, D, padded, out, P, flat):  # type: ignore[no-untyped-def]
    # dL/dX: dL/dY spread apart by the stride, fully convolved with the flipped filter; per
    # element, the chain rule through each window that reads Xp[n, k*Cg + c, ...]:
    # dL/dXp[n, k*Cg + c, i*S + a*D, j*S + b*D] += sum_o dL/dY[n,o,i,j] * W[o,c,a,b]
    # Scattered by the thread that owns (n, c). gy's rows lie P apart: in a flat block
    # P = Wp and the columns j >= Wo hold zeros, which add nothing (W is finite then).
    N, O = gy.shape[0], gy.shape[1]
    _, Cg, KD, KH, KW = W.shape
    C, Dp, Hp, Wp = padded
    Uo, Ho, Wo = out
    Og = O // (C // Cg)
    R = _rows(flat, Ho, Wp, BLOCK)
    gxp = np.zeros((N, C, Dp, Hp * Wp), dtype=gy.dtype)
    for nc in prange(N * C):
        n, kc = nc // C, nc % C
        k, c = kc // Cg, kc % Cg
        for o in range(k * Og, (k + 1) * Og):
            for u in range(Uo):
                for i0 in range(0, Ho, R):
                    L = (min(R, Ho - i0) - 1) * P + Wo
                    gy_block = gy[n, o, u, i0 * P : i0 * P + L]
                    for r in range(KD):
                        gx_plane = gxp[n, kc, u * S[0] + r * D[0]]
                        for a in range(KH):
                            for b in range(KW):
                                start = (i0 * S[1] + a * D[1]) * Wp + b * D[2]
                                w = W[o, c, r, a, b]
                                if S[2] == 1:
                                    _axpy(gx_plane[start : start + L], w, gy_block)
                                else:
                                    _axpy(gx_plane[start :: S[2]][:L], w, gy_block)
    return gxp


@numba.njit(parallel=True, cache=True)
def _grad_weight(gy, xp, S, D, w_shape, out, P, Wp):  # type: ignore[no-untyped-def]
    # dL/dW[o,c,a,b] = sum_{n,i,j} dL/dY[n,o,i,j] * Xp[n, k*Cg + c, i*S + a*D, j*S + b*D]
    # The products summed per tap and block position (acc[tap], over n, u and the blocks
    # in order; blocks small enough for every tap's acc to stay in L1), then over the
    # positions of real outputs (j < Wo), in order.
    N, O = gy.shape[0], gy.shape[1]
    _, Cg, KD, KH, KW = w_shape
    Uo, Ho, Wo = out
    Og = O // (xp.shape[1] // Cg)
    flat = S[1] == 1 and S[2] == 1
    R = _rows(flat, Ho, Wp, 2 * BLOCK // (KD * KH * KW))  # every tap's acc: 2*BLOCK
    gw = np.zeros(w_shape, dtype=xp.dtype)
    for oc in prange(O * Cg):
        o, c = oc // Cg, oc % Cg
        kc = (o // Og) * Cg + c
        acc = np.zeros((KD, KH, KW, (R - 1) * P + Wo), dtype=xp.dtype)
        for n in range(N):
            for u in range(Uo):
                for i0 in range(0, Ho, R):
                    L = (min(R, Ho - i0) - 1) * P + Wo
                    gy_block = gy[n, o, u, i0 * P : i0 * P + L]
                    for r in range(KD):
                        x_plane = xp[n, kc, u * S[0] + r * D[0]]
                        for a in range(KH):
                            for b in range(KW):
                                start = (i0 * S[1] + a * D[1]) * Wp + b * D[2]
                                if S[2] == 1:
                                    x_block = x_plane[start : start + L]
                                    _products(acc[r, a, b, :L], gy_block, x_block)
                                else:
                                    x_block = x_plane[start :: S[2]][:L]
                                    _products(acc[r, a, b, :L], gy_block, x_block)
        for r in range(KD):
            for a in range(KH):
                for b in range(KW):
                    total = gw[o, c, r, a, b]
                    for t in range(R):
                        for j in range(t * P, t * P + Wo):
                            total += acc[r, a, b, j]
                    gw[o, c, r, a, b] = total
    return gw


def _planes(a: np.ndarray, dims: int, pitch: int | None = None) -> np.ndarray:
    """(N, C, *size) as C-contiguous (N, C, depth, height * pitch): flat planes whose rows
    lie `pitch` apart (the width, or more: then zeros fill each row's end)."""
    d, h, w = leading(a.shape[2:], 3)
    if pitch is not None and pitch > w:
        a = pad_spatial(a, ((0, 0),) * (dims - 1) + ((0, pitch - w),))
        w = pitch
    return np.ascontiguousarray(a).reshape(a.shape[0], a.shape[1], d, h * w)


def _flat(g: ConvGeometry) -> bool:
    """Whether a block of output rows reads one flat stretch of each plane: stride 1 in
    the plane (height and width)."""
    return leading(g.stride, 3)[1:] == (1, 1)


def conv_forward(x: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Y (N, C_out, *out_size) from x (N, C_in, *size) and W (C_out, C_in/groups, *kernel)."""
    xp = _planes(pad_spatial(x, g.pad), g.dims)
    w = np.ascontiguousarray(weight).reshape(*g.w_shape[:2], *leading(g.kernel, 3))
    S, D, out, Wp = (
        leading(g.stride, 3),
        leading(g.dilation, 3),
        leading(g.out_size, 3),
        g.padded_size[-1],
    )
    return _forward(xp, w, S, D, out, Wp).reshape(g.y_shape)


def conv_grad_input(grad_y: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """dL/dX (N, C_in, *size) from dL/dY and W; formula: _grad_input."""
    Wp = g.padded_size[-1]
    flat = _flat(g) and bool(np.isfinite(weight).all())  # else inf * 0 would land off-window
    P = Wp if flat else g.out_size[-1]
    gy = _planes(grad_y, g.dims, P)
    w = np.ascontiguousarray(weight).reshape(*g.w_shape[:2], *leading(g.kernel, 3))
    padded = (g.in_channels, *leading(g.padded_size, 3))
    out = leading(g.out_size, 3)
    gxp = _grad_input(gy, w, leading(g.stride, 3), leading(g.dilation, 3), padded, out, P, flat)
    gxp = gxp.reshape(g.batch, g.in_channels, *g.padded_size)
    return np.ascontiguousarray(crop_spatial(gxp, g.pad))


def conv_grad_weight(grad_y: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """dL/dW (C_out, C_in/groups, *kernel) from dL/dY and X; formula: _grad_weight."""
    Wp = g.padded_size[-1]
    P = Wp if _flat(g) else g.out_size[-1]
    gy, xp = _planes(grad_y, g.dims, P), _planes(pad_spatial(x, g.pad), g.dims)
    w_shape = (g.out_channels, g.in_channels // g.groups, *leading(g.kernel, 3))
    S, D, out = leading(g.stride, 3), leading(g.dilation, 3), leading(g.out_size, 3)
    return _grad_weight(gy, xp, S, D, w_shape, out, P, Wp).reshape(g.w_shape)
