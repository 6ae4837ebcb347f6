"""The direct convolution, compiled with Numba: the reference loops (reference.py) as
machine code, for layers with few channels per group (depthwise, grouped, LeNet-size).

Same sums, same symbols, correlation convention, padding P, stride S, dilation D:

    Y[n, o, i, j] = sum_{c, a, b} Xp[n, k*Cg + c, i*S + a*D, j*S + b*D] * W[o, c, a, b]

with k = o // Og the group of output channel o (Cg input and Og output channels per
group). Every layer runs as a 3-D one: a 2-D layer has depth 1, a 1-D layer height 1 too,
so (u, r) index the depth of outputs and taps and cost nothing when it is 1.

How it is fast:

* Work items are (image, group) for Y and dL/dX, (block of images, input channel, part
  of its group's filters) for dL/dW; each thread owns its items' outputs, so no two
  threads write one element and every sum runs in an order fixed by the loops: the result
  is bit-identical for any thread count. Each thread takes an equal share of the items
  in order (parallel.in_parts) and allocates its buffers once.
* Padding happens in a per-thread buffer: an item copies its group's input planes into a
  zero-bordered buffer (a few KiB, in cache), not the whole padded batch into memory
  (that copy took a quarter of the depthwise forward).
* A block of output rows is one flat stretch of each buffer plane: with stride 1, tap
  (c, r, a, b) is the stretch at offset ((c*Dp + r*D0)*Hp + a*D1)*Wp + b*D2, and a
  block is a sum of shifted stretches: long contiguous loops that LLVM vectorises
  (direct_loops.gather: eight taps, or four taps of two output channels, per pass). The
  columns between rows (j >= Wo) are computed and never copied out.
* A stride S becomes S1*S2 phase planes: the buffer holds every S1-th row and S2-th
  column of the padded plane, starting at each phase (p1, p2) (direct_loops.fill), and tap
  (a, b) reads phase (a*D1 % S1, b*D2 % S2) from row a*D1 // S1, column b*D2 // S2: again
  one flat stretch per tap, no strided loop (depthwise 3x3 stride 2 on 8x32x28x28: forward
  0.56 against 0.9 ms for one tap per pass along strided rows).

The gradients (direct_backward.py) reuse this: dL/dX at stride 1 is the same gather over
dL/dY's planes with margins and the flipped taps, dL/dW sums products per position.

Reached only through jit.lazy (select.py's "numba" record): importing this module imports
Numba.
"""

from __future__ import annotations

import numba
import numpy as np

from ...shapes import ConvGeometry
from .. import parallel
from ..layout import leading
from ..parallel import span
from . import direct_backward
from .direct_loops import (
    BLOCK,
    block_rows,
    fill,
    gather,
    put,
    tap_offsets,
    volume,
)


@numba.njit(nogil=True, cache=True)
def _forward(x, wt, offsets, lead, phase, S, out, Cg, y, share, shares):  # type: ignore[no-untyped-def]
    # Y[n,o,u,i,j] = sum_{c,r,a,b} Xp[n, k*Cg + c, u*S0 + r*D0, i*S1 + a*D1, j*S2 + b*D2]
    #                              * W[o, c, r, a, b]
    # wt[o, t] and offsets[t] list the taps t = (c, r, a, b) of W[o] and their places in
    # the buffer of the group's phase planes, shape (Cg, S1, S2, Dp, Hq, Wq) (fill).
    # This share of the items (n, k) writes Y[n, group k's outputs].
    C = x.shape[1]
    O = wt.shape[0]
    Dp, Hq, Wq = phase
    Uo, Ho, Wo = out
    G = C // Cg
    Og = O // G
    R = block_rows(Ho, Wq, Wo, BLOCK)
    buf = np.zeros(Cg * S[1] * S[2] * Dp * Hq * Wq, dtype=x.dtype)
    acc = np.empty((2, (R - 1) * Wq + Wo), dtype=x.dtype)
    lo, hi = span(share, shares, x.shape[0] * G)
    for item in range(lo, hi):
        n, k = item // G, item % G
        fill(buf, x[n, k * Cg : (k + 1) * Cg], lead, phase, S[1:], S[1:])
        for o in range(k * Og, (k + 1) * Og, 2):
            pair = o + 1 < (k + 1) * Og
            for u in range(Uo):
                for i0 in range(0, Ho, R):
                    rows = min(R, Ho - i0)
                    start = (u * S[0] * Hq + i0) * Wq
                    L = (rows - 1) * Wq + Wo
                    gather(acc[0], acc[1], buf, start, offsets, wt, o, pair, L)
                    for e in range(1 + pair):
                        for q in range(rows):
                            put(y[n, o + e, u, i0 + q], acc[e][q * Wq : q * Wq + Wo], Wo)


def conv_forward(x: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Y (N, C_out, *out_size) from x (N, C_in, *size) and W (C_out, C_in/groups, *kernel)."""
    cg = g.in_channels // g.groups
    kernel, D, S = leading(g.kernel, 3), leading(g.dilation, 3), leading(g.stride, 3)
    Dp, Hp, Wp = leading(g.padded_size, 3)
    phase = (Dp, -(-Hp // S[1]), -(-Wp // S[2]))  # one phase plane: every S-th row, column
    offsets = tap_offsets(cg, phase, kernel, D, (S[1], S[2]))
    wt = np.ascontiguousarray(weight).reshape(g.out_channels, -1)
    lead = leading(tuple(b for b, _ in g.pad), 3, 0)
    xv = volume(x, g.dims)
    y = np.empty((g.batch, g.out_channels, *leading(g.out_size, 3)), dtype=x.dtype)
    args = (offsets, lead, phase, S, leading(g.out_size, 3), cg)
    parallel.in_parts(_forward, g.batch * g.groups, xv, wt, *args, y)
    return y.reshape(g.y_shape)


conv_grad_input = direct_backward.conv_grad_input
conv_grad_weight = direct_backward.conv_grad_weight
