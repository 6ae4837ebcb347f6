"""im2col+GEMM with the batch innermost, for small images: one GEMM for the whole batch.

NCHW columns copy runs of Wo values at a time; for LeNet's 10x10 outputs that is ten
floats per run, and the copy, not the GEMM, takes the time. Transposing the input to
(C, H, W, N) first makes each run Wo*N values long (stride 1), the columns
(C*kH*kW, Ho*Wo*N) feed one GEMM of the whole batch, and col2im adds long runs too.
Measured on LeNet's conv2 (64x6x14x14, 16 5x5 filters): forward 0.52 against 0.80 ms,
weight gradient 0.77 against 1.32 ms, input gradient 0.76 against 1.87 ms. For wide
images the two transposes cost more than they save, so im2col.py uses this only when
the output is narrower than WIDTH_LIMIT.

Columns: cols[c, a, b, i, j, n] = Xp[n, c, i*S + a*D, j*S + b*D].
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..shapes import ConvGeometry
from .layout import window_slice
from .workspace import scratch

WIDTH_LIMIT = 16  # outputs narrower than this use the batch-inner layout


def preferred(g: ConvGeometry) -> bool:
    """Small images over a batch: short NCHW rows, so the batch-inner layout wins."""
    return g.out_size[1] < WIDTH_LIMIT and g.batch > 1


def _padded_chwn(x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """x (N, C, H, W) -> (C, Hp, Wp, N), zero-padded, in a reused buffer."""
    (t, b), (l, r) = g.pad
    n, c, h, w = x.shape
    xp = scratch("chwn", (c, h + t + b, w + l + r, n), x.dtype)
    for border in (xp[:, :t], xp[:, t + h :], xp[:, :, :l], xp[:, :, l + w :]):
        border.fill(0)
    np.copyto(xp[:, t : t + h, l : l + w], x.transpose(1, 2, 3, 0))
    return xp


def _columns(x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """(G, C/G*kH*kW, Ho*Wo*N) columns in a reused buffer."""
    xp = _padded_chwn(x, g)
    sc, sh, sw, sn = xp.strides
    (kh, kw), (ho, wo) = g.kernel, g.out_size
    (st_h, st_w), (dh, dw) = g.stride, g.dilation
    windows = as_strided(
        xp,
        shape=(g.in_channels, kh, kw, ho, wo, g.batch),
        strides=(sc, dh * sh, dw * sw, st_h * sh, st_w * sw, sn),
        writeable=False,
    )
    cols = scratch("chwn_cols", windows.shape, x.dtype)
    np.copyto(cols, windows)
    return cols.reshape(g.groups, -1, ho * wo * g.batch)


def _grad_y_rows(grad_y: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """dL/dY (N, O, Ho, Wo) -> (G, O/G, Ho*Wo*N)."""
    rows = np.ascontiguousarray(grad_y.transpose(1, 2, 3, 0))
    return rows.reshape(g.groups, g.out_channels // g.groups, -1)


def _to_nchw(rows: np.ndarray, channels: int, g: ConvGeometry) -> np.ndarray:
    """(channels, Ho*Wo*N) -> (N, channels, Ho, Wo), contiguous."""
    ho, wo = g.out_size
    return np.ascontiguousarray(rows.reshape(channels, ho, wo, g.batch).transpose(3, 0, 1, 2))


def conv_forward(x: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Y = W @ cols, one GEMM per group over the whole batch."""
    w = weight.reshape(g.groups, g.out_channels // g.groups, -1)
    return _to_nchw(np.matmul(w, _columns(x, g)), g.out_channels, g)


def conv_grad_weight(grad_y: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dW = dL/dY @ cols^T   (the correlation of X with dL/dY, the batch summed by the GEMM)
    # as (cols @ dL/dY^T)^T, which OpenBLAS runs faster (see im2col.conv_grad_weight)
    gw_t = np.matmul(_columns(x, g), _grad_y_rows(grad_y, g).transpose(0, 2, 1))
    return np.ascontiguousarray(gw_t.transpose(0, 2, 1)).reshape(g.w_shape)


def conv_grad_input(grad_y: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dX = col2im(W^T @ dL/dY): dL/dY fully convolved with W, as the adjoint of im2col
    w = weight.reshape(g.groups, g.out_channels // g.groups, -1)
    dcols = np.matmul(w.transpose(0, 2, 1), _grad_y_rows(grad_y, g))
    (kh, kw), (ho, wo) = g.kernel, g.out_size
    dcols = dcols.reshape(g.in_channels, kh, kw, ho, wo, g.batch)
    (st_h, st_w), (dh, dw) = g.stride, g.dilation
    hp, wp = g.padded_size
    xp = np.zeros((g.in_channels, hp, wp, g.batch), dtype=grad_y.dtype)
    for a in range(kh):
        rows = window_slice(a * dh, st_h, ho)
        for b in range(kw):
            xp[:, rows, window_slice(b * dw, st_w, wo)] += dcols[:, a, b]
    (t, _), (l, _) = g.pad
    h, w_ = g.size
    return np.ascontiguousarray(xp[:, t : t + h, l : l + w_].transpose(3, 0, 1, 2))
