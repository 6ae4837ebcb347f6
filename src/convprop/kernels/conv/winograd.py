"""Winograd's F(2x2, 3x3) convolution for 3x3, stride-1, dilation-1 2-D layers: 2.25x
fewer multiplications than the direct sum, done as batched GEMMs.

Lavin and Gray (2016). For one 2x2 output tile Y_t of one output channel o,

    Y_t = A^T [ sum_c (G g[o, c] G^T) * (B^T d[c, t] B) ] A

with d[c, t] the 4x4 input tile (rows 2ti - P_top .., columns 2tj - P_left ..), * the
element-wise product, and the constant matrices below. Writing U = G g G^T (16 values per
(o, c)) and V = B^T d B (16 per (c, t)), the sum over c is, for each of the 16 elements
e, one GEMM M[e] = U[e] (C_out x C_in) @ V[e] (C_in x tiles); per group with groups.

* forward: each thread takes blocks of tile rows (winograd_plan.py: about 256 tiles) in
  turn and runs the input transform, the 16 GEMMs (its own compiled kernels) and the
  output transform on the block while it sits in the core's cache (winograd_tiles.py).
  Measured against NumPy's GEMMs (OpenBLAS) between parallel transforms, on 8x64x56x56
  with 64 filters: 5.8 against 10.3 ms. The transformed arrays, 4x the input, no longer
  stream through memory, and no BLAS call wakes OpenBLAS's threads, whose spinning slowed
  the compiled loops after each GEMM 1.7-3x.
* threads: each part of the blocks is one call of a compiled function that releases the
  GIL, run on the helper threads of parallel.py (numba.get_num_threads() of them), not
  a prange loop: Numba compiled a prange kernel around the same code in 3-4 s more (it
  optimises the whole callee tree again), 18 s for float32's three primitives against
  5.5 s now. The calling thread only waits: when it computed a part too, the thread it
  had just woken often shared its core for a while (measured: 8x32x32x32's forward 0.84-
  1.3 ms against 0.67-0.70).
* dL/dX: dL/dY fully correlated with the 180-degree-rotated filter, input and output
  channels swapped (reference.py's identity): the same forward, on dL/dY read with
  padding 2 - P (a negative padding skips rows), with output size H x W.
* dL/dW: the forward is linear in g; its transpose is exact algebra:
      dL/dU[e] = sum_t Z[e, :, t] V[e, :, t]^T  with Z_t = A dL/dY_t A^T
      dL/dg    = G^T dL/dU G
  one GEMM per e and block. The blocks are split into a fixed number of slabs (not one
  per thread): each slab sums its blocks in order into its own dL/dU, and the slabs are
  added in order, so the result is the same bits for any number of threads.

Why F(2x2, 3x3) and not F(4x4, 3x3) (4x fewer multiplications): float32 accuracy.
Measured on random data (float32 against a float64 reference, relative to im2col's float32
error, max/rms): F(2x2) 0.5-1.7x for 16 to 512 input channels; F(4x4) with the points
0, +-1, +-2: 5-26x; with 0, +-1, 1/2, -2 (the best set tried): 3.4-12x; F(3x3): 3-13x, all
with transforms in float32 or float64 alike (the error is the GEMM's, amplified by A^T).
The issue allows 4x. So the tile is m = 2, alpha = 4 (winograd_plan.TILE, ALPHA).

Non-finite values: every transform mixes a tile's cells, so a NaN or an Inf would reach
outputs the definition keeps it from; the "winograd" record names im2col as its
nonfinite_detour (chunking.py), as the FFT does.

Reached only through jit.lazy (select.py's "winograd" record): importing this module
imports Numba.
"""

from __future__ import annotations

import numba
import numpy as np

from ...shapes import ConvGeometry
from .. import parallel
from ..workspace import scratch
from .winograd_plan import (
    ELEMENTS,
    LANES,
    balanced_rows,
    block_rows,
    padded,
    slab_count,
    tile_counts,
)
from .winograd_tiles import (
    filters,
    filters_adjoint,
    gemm,
    gemm_nt,
    grad_row,
    input_row,
    output_row,
)

BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float64)
AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)
u = np.uint64


@numba.njit(cache=True)
def _padded(tiles):  # type: ignore[no-untyped-def]
    # winograd_plan.padded: a block's row of tiles padded with zeros to whole vectors
    return (tiles + LANES - 1) // LANES * LANES


@numba.njit(cache=True)
def _zero_tails(buf, plane, rows, T, P):  # type: ignore[no-untyped-def]
    # zero columns T..P-1 of the `rows` rows (of P values) of each element's plane in buf
    for e in range(ELEMENTS):
        for r in range(rows):
            for j in range(T, P):
                buf[u(e * plane + r * P + j)] = 0


@numba.njit(cache=True)
def _inputs(xf, shape, R0, R1, nTh, nTw, pt, pl, V, P, ev, d, bd):  # type: ignore[no-untyped-def]
    # V[e, c, (R - R0) * nTw + tj] = (B^T d B)[e] of the tiles of tile rows R0..R1-1
    # (R = n * nTh + ti) of every channel c of x (flat xf, (N, C, H, W) `shape`), element
    # e's plane ev values apart (d, bd: scratch rows)
    C, H, W = shape[1], shape[2], shape[3]
    for c in range(C):
        for R in range(R0, R1):
            n, ti = R // nTh, R % nTh
            src, base = u((n * C + c) * H * W), u(c * P + (R - R0) * nTw)
            input_row(xf, src, H, W, 2 * ti - pt, pl, nTw, V, base, u(ev), d, bd)


@numba.njit(cache=True, nogil=True)
def _forward_part(x, U, groups, pt, pl, rows, part, parts, V, M, y):  # type: ignore[no-untyped-def]
    # Y[n, o, i, j] = sum_{c, a, b} X[n, k*Cg + c, i + a - pt, j + b - pl] g[o, c, a, b],
    # X zero outside, through U = G g G^T (16, O, Cg), for blocks part, part + parts, ...
    # of `rows` tile rows (R = n * nTh + ti): the input transform into V [e, c, t], the 16
    # GEMMs M[e] = U[e] @ V[e] per group, the output transform into Y (V, M: scratch)
    N, C = x.shape[0], x.shape[1]
    O, Ho, Wo = y.shape[1], y.shape[2], y.shape[3]
    Cg, Og = C // groups, O // groups
    nTh, nTw = (Ho + 1) // 2, (Wo + 1) // 2
    total = N * nTh
    L = 2 * nTw + 2
    d, bd, yb = np.empty(4 * L, x.dtype), np.empty(4 * L, x.dtype), np.empty(4 * nTw, x.dtype)
    xf, uf, yf = x.reshape(-1), U.reshape(-1), y.reshape(-1)
    for R0 in range(part * rows, total, parts * rows):
        R1 = min(total, R0 + rows)
        T = (R1 - R0) * nTw
        P = _padded(T)
        ev, em = C * P + LANES, O * P + LANES  # element e's plane in V and M
        _inputs(xf, x.shape, R0, R1, nTh, nTw, pt, pl, V, P, ev, d, bd)
        _zero_tails(V, ev, C, T, P)
        for e in range(ELEMENTS):
            for k in range(groups):
                a, b, c = u((e * O + k * Og) * Cg), u(e * ev + k * Cg * P), u(e * em + k * Og * P)
                gemm(uf, a, Cg, V, b, P, M, c, P, Og, P, Cg, False)
        for o in range(O):
            for R in range(R0, R1):
                n, ti = R // nTh, R % nTh
                base, dst = u(o * P + (R - R0) * nTw), u(((n * O + o) * Ho + 2 * ti) * Wo)
                output_row(M, base, u(em), nTw, yf, dst, Wo, 2 * ti + 1 < Ho, yb)


@numba.njit(cache=True, nogil=True)
def _weight_part(x, gy, pt, pl, rows, part, parts, V, Z, du):  # type: ignore[no-untyped-def]
    # du[s, e, o, c] = sum over the tiles of slab s of Z[e, o, t] V[e, c, t], for the group
    # of o and slabs s = part, part + parts, ...: each slab's blocks in order, each block's
    # input transform into V, dL/dY's into Z, and 16 GEMMs (du zero on entry; V, Z: scratch)
    N, C = x.shape[0], x.shape[1]
    O, Ho, Wo = gy.shape[1], gy.shape[2], gy.shape[3]
    slabs, Cg = du.shape[0], du.shape[3]
    groups = C // Cg
    Og = O // groups
    nTh, nTw = (Ho + 1) // 2, (Wo + 1) // 2
    total = N * nTh
    blocks = (total + rows - 1) // rows
    L = 2 * nTw + 2
    d, bd, g = np.empty(4 * L, x.dtype), np.empty(4 * L, x.dtype), np.empty(4 * nTw, x.dtype)
    xf, gf, duf = x.reshape(-1), gy.reshape(-1), du.reshape(-1)
    for s in range(part, slabs, parts):
        for blk in range(s * blocks // slabs, (s + 1) * blocks // slabs):  # in order
            R0 = blk * rows
            R1 = min(total, R0 + rows)
            T = (R1 - R0) * nTw
            P = _padded(T)
            ev, ez = C * P + LANES, O * P + LANES  # element e's plane in V and Z
            _inputs(xf, x.shape, R0, R1, nTh, nTw, pt, pl, V, P, ev, d, bd)
            for o in range(O):
                for R in range(R0, R1):
                    n, ti = R // nTh, R % nTh
                    src, base = u(((n * O + o) * Ho + 2 * ti) * Wo), u(o * P + (R - R0) * nTw)
                    grad_row(gf, src, Wo, min(2, Ho - 2 * ti), nTw, Z, base, u(ez), g)
            _zero_tails(V, ev, C, T, P)
            _zero_tails(Z, ez, O, T, P)
            for e in range(ELEMENTS):
                for k in range(groups):
                    a = u(e * ez + k * Og * P)
                    b = u(e * ev + k * Cg * P)
                    c = u(((s * ELEMENTS + e) * O + k * Og) * Cg)
                    gemm_nt(Z, a, P, V, b, P, duf, c, Cg, Og, Cg, P)


def _scratch(
    parts: int, tiles: int, channels: tuple[int, int], dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """Each part's two blocks of transformed values (16 per tile and channel, in and out),
    in buffers reused across calls (workspace.py: a fresh one pays a page fault per 4 KiB).
    Each element's plane of channels x padded tiles lies LANES values past the last one's
    end: planes 32 KiB apart fell in the same cache sets, and the transforms, which touch
    all 16 planes per tile, ran 1.3-1.5x slower (8x64x16x16, 1x64x56x56)."""
    size = [ELEMENTS * (count * padded(tiles) + LANES) for count in channels]
    ins = scratch("winograd_in", (parts, size[0]), dtype)
    outs = scratch("winograd_out", (parts, size[1]), dtype)
    return ins, outs


def filter_transform(weight: np.ndarray) -> np.ndarray:
    """U[4k + l, o, c] = (G g[o, c] G^T)[k, l], computed in float64, in weight's dtype."""
    o, cg = weight.shape[:2]
    u = np.empty((o * cg, ELEMENTS), dtype=weight.dtype)
    filters(np.ascontiguousarray(weight).reshape(o * cg, 9), u)
    return np.ascontiguousarray(u.T).reshape(ELEMENTS, o, cg)


def correlate(
    x: np.ndarray, u: np.ndarray, groups: int, pad: tuple[int, int], out: tuple[int, ...]
) -> np.ndarray:
    """Y[n, o, i, j] = sum_{c, a, b} X[n, k*Cg + c, i + a - pad[0], j + b - pad[1]] g[o, c, a, b]
    (X zero outside), Y of spatial size `out`, from U = filter_transform(g) (16, O, Cg)."""
    x = np.ascontiguousarray(x)
    y = np.empty((x.shape[0], u.shape[1], *out), dtype=x.dtype)
    if y.size:
        down, across = tile_counts(out)
        rows = block_rows(across, x.shape[1] + u.shape[1], x.dtype.itemsize)
        threads, total = numba.get_num_threads(), x.shape[0] * down
        rows = balanced_rows(total, rows, threads)  # as many blocks for every thread
        parts = min(threads, -(-total // rows))
        V, M = _scratch(parts, rows * across, (x.shape[1], u.shape[1]), x.dtype)

        def task(part: int, n: int) -> None:
            _forward_part(x, u, groups, *pad, rows, part, n, V[part], M[part], y)

        parallel.run(task, parts)
    return y


def _pads(g: ConvGeometry) -> tuple[int, int]:
    return g.pad[0][0], g.pad[1][0]


def conv_forward(x: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Y (N, C_out, Ho, Wo) from x (N, C_in, H, W) and W (C_out, C_in/groups, 3, 3)."""
    return correlate(x, filter_transform(weight), g.groups, _pads(g), g.out_size)


def conv_grad_input(grad_y: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dX[n, c, h, w] = sum_{o, a, b} dL/dY[n, o, h + P - a, w + P - b] W[o, c, a, b]
    #                   = sum_{o, a', b'} dL/dY[n, o, h + a' - (2 - P), ...] rot180(W)[c, o, a', b']
    # per group: rotate each filter 180 degrees and swap its input and output channels
    groups, og, cg = g.groups, g.out_channels // g.groups, g.in_channels // g.groups
    flipped = weight.reshape(groups, og, cg, 3, 3).swapaxes(1, 2)[..., ::-1, ::-1]
    u = filter_transform(flipped.reshape(g.in_channels, og, 3, 3))
    top, left = _pads(g)
    return correlate(grad_y, u, groups, (2 - top, 2 - left), g.size)


def conv_grad_weight(grad_y: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dW[o, c, a, b] = sum_{n, i, j} dL/dY[n, o, i, j] * X[n, k*Cg + c, i + a - P, j + b - P]
    # through the transforms: dL/dU[e] = sum_t Z[e, :, t] V[e, :, t]^T, dL/dg = G^T dL/dU G
    x, gy = np.ascontiguousarray(x), np.ascontiguousarray(grad_y)
    O, cg = g.out_channels, g.in_channels // g.groups
    down, across = tile_counts(g.out_size)
    rows = block_rows(across, g.in_channels + O, x.dtype.itemsize)
    slabs = slab_count(g.batch * down, rows, ELEMENTS * O * cg * x.dtype.itemsize)
    du = np.zeros((slabs, ELEMENTS, O, cg), dtype=x.dtype)
    if gy.size:
        top, left = _pads(g)
        parts = min(numba.get_num_threads(), slabs)
        V, Z = _scratch(parts, rows * across, (g.in_channels, O), x.dtype)

        def task(part: int, n: int) -> None:
            _weight_part(x, gy, top, left, rows, part, n, V[part], Z[part], du)

        parallel.run(task, parts)
    total = du[0]
    for s in range(1, slabs):  # the slabs' sums, added in order
        total += du[s]
    gw = np.empty((O * cg, 9), dtype=x.dtype)
    filters_adjoint(total.reshape(ELEMENTS, O * cg), gw)  # G^T dL/dU G, each filter
    return gw.reshape(g.w_shape)
