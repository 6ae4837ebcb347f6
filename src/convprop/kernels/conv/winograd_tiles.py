"""The pieces of Winograd's F(2x2, 3x3) as compiled loops (Numba): the three tile
transforms, one tile row at a time, and the small GEMM between them. winograd.py's
parallel kernels call them on blocks of tiles that stay in a core's cache.

Lavin and Gray's matrices (alpha = 4 input cells give m = 2 outputs of a 3-tap filter):

    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]

They hold only 0 and +-1, so the transforms are adds and subtractions, written out, rows
first. Element e = 4k + l of a transformed tile lies at e * es + channel * cs + tile * ts
of a flat buffer: the strides say the layout.

Every loop indexes flat arrays with unsigned offsets: a signed index makes Numba test it
for wrap-around on every access, which kept LLVM from vectorising (measured per 64x56x56
image: the input transform 0.25 ms with 3-D signed indexing, 0.11 ms so; the output
transform 0.29 against 0.05 ms). Every sum runs in an order fixed by the loops.

Imports Numba: reached only through winograd.py, itself behind jit.lazy.
"""

from __future__ import annotations

import numba
import numpy as np

u = np.uint64


@numba.njit(cache=True, inline="always")
def input_row(xf, src, H, W, h, pl, nTw, vf, base, es, d, bd):  # type: ignore[no-untyped-def]
    # V[4k + l] of the nTw tiles of one tile row of one channel plane: (B^T d B)[k, l] with
    # d[s, v] = X[h + s, 2tj - pl + v] (src: the plane's offset in xf), zero outside X (the
    # padding, and cells past a partial last tile); tile tj's values at base + tj, element
    # e's es apart. d and bd: scratch of 4 * (2 * nTw + 2) values
    L = 2 * nTw + 2  # the input columns one tile row reads
    lo = min(max(0, pl), L)  # columns lo..hi-1 of those lie in X (j - pl in [0, W))
    hi = max(min(L, pl + W), lo)
    Lu = u(L)
    for i in range(4 * L):
        d[u(i)] = 0
    for s in range(4):
        if 0 <= h + s < H:
            start, dst = src + u((h + s) * W + lo - pl), u(s * L + lo)
            for j in range(hi - lo):
                d[dst + u(j)] = xf[start + u(j)]
    for j in range(L):  # B^T d, column by column
        i = u(j)
        a, b, c, f = d[i], d[Lu + i], d[u(2) * Lu + i], d[u(3) * Lu + i]
        bd[i] = a - c
        bd[Lu + i] = b + c
        bd[u(2) * Lu + i] = c - b
        bd[u(3) * Lu + i] = b - f
    for k in range(4):  # (B^T d) B along row k of B^T d: each tile reads 4 of its columns
        row, v0 = u(k * L), base + u(4 * k) * es
        for tj in range(nTw):
            q = u(tj)
            i, t = row + u(2) * q, v0 + q
            a, b, c, f = bd[i], bd[i + u(1)], bd[i + u(2)], bd[i + u(3)]
            vf[t] = a - c
            vf[t + es] = b + c
            vf[t + u(2) * es] = c - b
            vf[t + u(3) * es] = b - f


@numba.njit(cache=True, inline="always")
def output_row(mf, base, es, nTw, yf, dst, Wo, both, y):  # type: ignore[no-untyped-def]
    # Y's two rows at dst (the second only where `both`) from the nTw tiles of one tile row:
    # (A^T m A)[i, j] with m[k, l] = M[base + (4k + l) * es + tj]; outputs past Wo dropped.
    # y: scratch of 4 * nTw values
    w = u(2 * nTw)
    for tj in range(nTw):
        i = base + u(tj)
        p0 = mf[i] + mf[i + es] + mf[i + u(2) * es]  # m A, row by row
        q0 = mf[i + es] - mf[i + u(2) * es] - mf[i + u(3) * es]
        p1 = mf[i + u(4) * es] + mf[i + u(5) * es] + mf[i + u(6) * es]
        q1 = mf[i + u(5) * es] - mf[i + u(6) * es] - mf[i + u(7) * es]
        p2 = mf[i + u(8) * es] + mf[i + u(9) * es] + mf[i + u(10) * es]
        q2 = mf[i + u(9) * es] - mf[i + u(10) * es] - mf[i + u(11) * es]
        p3 = mf[i + u(12) * es] + mf[i + u(13) * es] + mf[i + u(14) * es]
        q3 = mf[i + u(13) * es] - mf[i + u(14) * es] - mf[i + u(15) * es]
        j = u(2 * tj)
        y[j] = p0 + p1 + p2  # A^T (m A)
        y[j + u(1)] = q0 + q1 + q2
        y[w + j] = p1 - p2 - p3
        y[w + j + u(1)] = q1 - q2 - q3
    for j in range(Wo):
        yf[dst + u(j)] = y[u(j)]
    if both:
        for j in range(Wo):
            yf[dst + u(Wo) + u(j)] = y[w + u(j)]


@numba.njit(cache=True, inline="always")
def grad_row(gf, src, Wo, count, nTw, zf, base, es, g):  # type: ignore[no-untyped-def]
    # Z[base + (4k + l) * es + tj] = (A g A^T)[k, l] for the nTw tiles of one tile row, g the
    # 2x2 tile of dL/dY whose `count` (1 or 2) rows start at src, zero past Ho or Wo: the
    # adjoint of output_row. A column (a, b) becomes (a, a + b, a - b, -b).
    # g: scratch of 4 * nTw values (even and odd columns of the two rows)
    nt, half = u(nTw), Wo // 2
    for i in range(4 * nTw):
        g[u(i)] = 0
    for s in range(count):
        start, dst = src + u(s * Wo), u(2 * s) * nt
        for j in range(half):
            g[dst + u(j)] = gf[start + u(2 * j)]
            g[dst + nt + u(j)] = gf[start + u(2 * j + 1)]
        if Wo % 2:
            g[dst + u(half)] = gf[start + u(Wo - 1)]
    for k in range(4):  # row k of A g: (g0, g0 + g1, g0 - g1, -g1), then (A g) A^T
        z0 = base + u(4 * k) * es
        for tj in range(nTw):
            q = u(tj)
            e0, o0, e1, o1 = g[q], g[nt + q], g[u(2) * nt + q], g[u(3) * nt + q]
            if k == 0:
                a, b = e0, o0
            elif k == 1:
                a, b = e0 + e1, o0 + o1
            elif k == 2:
                a, b = e0 - e1, o0 - o1
            else:
                a, b = -e1, -o1
            zf[z0 + q] = a
            zf[z0 + es + q] = a + b
            zf[z0 + u(2) * es + q] = a - b
            zf[z0 + u(3) * es + q] = -b


@numba.njit(cache=True, inline="always")
def gemm(af, ab, lda, bf, bb, ldb, cf, cb, ldc, m, n, k, accumulate):  # type: ignore[no-untyped-def]
    # C[i, j] (+)= sum_{p < k} A[i, p] B[p, j] for i < m, j < n (A at ab, rows lda apart; B at
    # bb, rows ldb apart; C at cb, rows ldc apart); each C[i, j] adds its k products in order
    # p = 0, 1, ... (onto C's old value when `accumulate`, else onto 0).
    # Eight rows of C at a time, four p per pass over them: each C value is loaded and
    # stored once per four products, each B value read once per eight rows of C (measured
    # on 64x64 @ 64x256, 2 cores: 250 GF/s, against 75 for one row and one p a pass)
    lc, lb, la = u(ldc), u(ldb), u(lda)
    if not accumulate:
        for i in range(m):
            for j in range(n):
                cf[cb + u(i) * lc + u(j)] = 0
    i = 0
    while i + 8 <= m:  # eight rows of C
        c0, a0 = cb + u(i) * lc, ab + u(i) * la
        p = 0
        while p + 4 <= k:
            b0, a = bb + u(p) * lb, a0 + u(p)
            w00, w01, w02, w03 = af[a], af[a + u(1)], af[a + u(2)], af[a + u(3)]
            a += la
            w10, w11, w12, w13 = af[a], af[a + u(1)], af[a + u(2)], af[a + u(3)]
            a += la
            w20, w21, w22, w23 = af[a], af[a + u(1)], af[a + u(2)], af[a + u(3)]
            a += la
            w30, w31, w32, w33 = af[a], af[a + u(1)], af[a + u(2)], af[a + u(3)]
            a += la
            w40, w41, w42, w43 = af[a], af[a + u(1)], af[a + u(2)], af[a + u(3)]
            a += la
            w50, w51, w52, w53 = af[a], af[a + u(1)], af[a + u(2)], af[a + u(3)]
            a += la
            w60, w61, w62, w63 = af[a], af[a + u(1)], af[a + u(2)], af[a + u(3)]
            a += la
            w70, w71, w72, w73 = af[a], af[a + u(1)], af[a + u(2)], af[a + u(3)]
            for j in range(n):
                q = u(j)
                v0, v1 = bf[b0 + q], bf[b0 + lb + q]
                v2, v3 = bf[b0 + u(2) * lb + q], bf[b0 + u(3) * lb + q]
                c = c0 + q
                cf[c] = (((cf[c] + w00 * v0) + w01 * v1) + w02 * v2) + w03 * v3
                c += lc
                cf[c] = (((cf[c] + w10 * v0) + w11 * v1) + w12 * v2) + w13 * v3
                c += lc
                cf[c] = (((cf[c] + w20 * v0) + w21 * v1) + w22 * v2) + w23 * v3
                c += lc
                cf[c] = (((cf[c] + w30 * v0) + w31 * v1) + w32 * v2) + w33 * v3
                c += lc
                cf[c] = (((cf[c] + w40 * v0) + w41 * v1) + w42 * v2) + w43 * v3
                c += lc
                cf[c] = (((cf[c] + w50 * v0) + w51 * v1) + w52 * v2) + w53 * v3
                c += lc
                cf[c] = (((cf[c] + w60 * v0) + w61 * v1) + w62 * v2) + w63 * v3
                c += lc
                cf[c] = (((cf[c] + w70 * v0) + w71 * v1) + w72 * v2) + w73 * v3
            p += 4
        for q in range(p, k):  # the last products, one at a time
            b0 = bb + u(q) * lb
            for r in range(8):
                w0 = af[a0 + u(r) * la + u(q)]
                c = c0 + u(r) * lc
                for j in range(n):
                    cf[c + u(j)] += w0 * bf[b0 + u(j)]
        i += 8
    for last in range(i, m):  # the last rows, one at a time
        c0, a0 = cb + u(last) * lc, ab + u(last) * la
        for p in range(k):
            w0, b0 = af[a0 + u(p)], bb + u(p) * lb
            for j in range(n):
                cf[c0 + u(j)] += w0 * bf[b0 + u(j)]


@numba.njit(cache=True, fastmath={"reassoc", "contract"})
def gemm_nt(af, ab, lda, bf, bb, ldb, cf, cb, ldc, m, n, k):  # type: ignore[no-untyped-def]
    # C[i, j] += sum_{p < k} A[i, p] B[j, p] for i < m, j < n (A at ab, rows lda apart; B at
    # bb, rows ldb apart; C at cb, rows ldc apart): dot products along the rows of A and B.
    # Sixteen of them at a time (4 rows of A by 4 of B), their sums in registers, each value
    # of A and B loaded once per four products. `reassoc` lets LLVM split each sum into
    # vector lanes (a fixed order, chosen when compiling: the same bits on every run and
    # thread count) and `contract` fuse each multiply-add (measured on 64 x 252 by
    # 64 x 252, 2 cores: 270 GF/s, against 160 for the sums in strict order with gemm)
    la, lb, lc = u(lda), u(ldb), u(ldc)
    zero = cf.dtype.type(0)
    m4, n4 = m - m % 4, n - n % 4
    for i in range(0, m4, 4):
        for j in range(0, n4, 4):
            a0, b0 = ab + u(i) * la, bb + u(j) * lb
            s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = zero
            s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = zero
            for p in range(k):
                q = u(p)
                x0, x1 = af[a0 + q], af[a0 + la + q]
                x2, x3 = af[a0 + u(2) * la + q], af[a0 + u(3) * la + q]
                y0, y1 = bf[b0 + q], bf[b0 + lb + q]
                y2, y3 = bf[b0 + u(2) * lb + q], bf[b0 + u(3) * lb + q]
                s00 += x0 * y0
                s01 += x0 * y1
                s02 += x0 * y2
                s03 += x0 * y3
                s10 += x1 * y0
                s11 += x1 * y1
                s12 += x1 * y2
                s13 += x1 * y3
                s20 += x2 * y0
                s21 += x2 * y1
                s22 += x2 * y2
                s23 += x2 * y3
                s30 += x3 * y0
                s31 += x3 * y1
                s32 += x3 * y2
                s33 += x3 * y3
            c = cb + u(i) * lc + u(j)
            cf[c] += s00
            cf[c + u(1)] += s01
            cf[c + u(2)] += s02
            cf[c + u(3)] += s03
            c += lc
            cf[c] += s10
            cf[c + u(1)] += s11
            cf[c + u(2)] += s12
            cf[c + u(3)] += s13
            c += lc
            cf[c] += s20
            cf[c + u(1)] += s21
            cf[c + u(2)] += s22
            cf[c + u(3)] += s23
            c += lc
            cf[c] += s30
            cf[c + u(1)] += s31
            cf[c + u(2)] += s32
            cf[c + u(3)] += s33
    for i in range(m):  # the edges: rows past m4, or columns past n4
        for j in range(n4 if i < m4 else 0, n):
            a0, b0 = ab + u(i) * la, bb + u(j) * lb
            total = zero
            for p in range(k):
                total += af[a0 + u(p)] * bf[b0 + u(p)]
            c = cb + u(i) * lc + u(j)
            cf[c] = cf[c] + total


@numba.njit(cache=True, inline="always")
def _g(a, b, c):  # type: ignore[no-untyped-def]
    # G (a, b, c): G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
    return a, 0.5 * (a + b + c), 0.5 * (a - b + c), c


@numba.njit(cache=True, inline="always")
def _gt(a, b, c, d):  # type: ignore[no-untyped-def]
    # G^T (a, b, c, d)
    return a + 0.5 * (b + c), 0.5 * (b - c), 0.5 * (b + c) + d


@numba.njit(cache=True)
def filters(w, U):  # type: ignore[no-untyped-def]
    # U[f, 4k + l] = (G g_f G^T)[k, l] for each 3x3 filter g_f = w[f] (9 values, row-major);
    # in float64, rounded once. A loop of its own, not NumPy's matmul: a BLAS call wakes
    # OpenBLAS's threads, whose spinning then slowed the compiled loops that follow 1.7x.
    # U's rows are per filter (written in 16 planes, 4096 filters took 2.5x as long)
    wf, uf = w.reshape(-1), U.reshape(-1)
    for f in range(w.shape[0]):
        i, one = u(9 * f), np.float64(1)
        g0, g1, g2 = one * wf[i], one * wf[i + u(1)], one * wf[i + u(2)]
        g3, g4, g5 = one * wf[i + u(3)], one * wf[i + u(4)], one * wf[i + u(5)]
        g6, g7, g8 = one * wf[i + u(6)], one * wf[i + u(7)], one * wf[i + u(8)]
        c0, c1, c2 = _g(g0, g3, g6), _g(g1, g4, g7), _g(g2, g5, g8)  # the columns of G g
        for k in range(4):  # row k of (G g) G^T
            r = _g(c0[k], c1[k], c2[k])
            for col in range(4):
                uf[u(16 * f + 4 * k + col)] = r[col]


@numba.njit(cache=True)
def filters_adjoint(dU, dw):  # type: ignore[no-untyped-def]
    # dw[f] = G^T dU_f G (3x3, row-major) for each filter f, dU_f[k, l] = dU[4k + l, f]: the
    # transpose of `filters`; in float64, rounded once
    F = dU.shape[1]
    df, wf, n = dU.reshape(-1), dw.reshape(-1), u(F)
    for f in range(F):
        q, one = u(f), np.float64(1)
        h0 = _gt(
            one * df[q], one * df[u(4) * n + q], one * df[u(8) * n + q], one * df[u(12) * n + q]
        )
        h1 = _gt(
            one * df[n + q], one * df[u(5) * n + q], one * df[u(9) * n + q], one * df[u(13) * n + q]
        )
        h2 = _gt(
            one * df[u(2) * n + q],
            one * df[u(6) * n + q],
            one * df[u(10) * n + q],
            one * df[u(14) * n + q],
        )
        h3 = _gt(
            one * df[u(3) * n + q],
            one * df[u(7) * n + q],
            one * df[u(11) * n + q],
            one * df[u(15) * n + q],
        )
        for a in range(3):  # row a of (G^T dU) G; h_l: column l of G^T dU
            r = _gt(h0[a], h1[a], h2[a], h3[a])
            for col in range(3):
                wf[u(9 * f + 3 * a + col)] = r[col]
