"""im2col + GEMM: every window of the input becomes a column, the convolution one matmul.

Columns are laid out (N, C*kH*kW, Ho*Wo) so that ``W @ cols`` lands straight in NCHW
(measured 1.4x-4.4x faster here than one (N*Ho*Wo, C*kH*kW) GEMM). The adjoint of
im2col, col2im, scatters the columns back as kH*kW strided slice additions (never a
ufunc.at scatter, which measured 5x-75x slower).

With groups G, channels split into G blocks and the GEMM is batched over them:
weights (G, C_out/G, C_in/G*kH*kW), columns (N, G, C_in/G*kH*kW, Ho*Wo).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..shapes import ConvGeometry
from .layout import crop2d, pad2d, window_slice


def im2col(x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """x (N, C, H, W) -> columns (N, C, kH, kW, Ho, Wo), a fresh contiguous copy.

    cols[n, c, a, b, i, j] = Xp[n, c, i*S + a*D, j*S + b*D]
    """
    xp = pad2d(x, g.pad)
    sn, sc, sh, sw = xp.strides
    (kh, kw), (ho, wo) = g.kernel, g.out_size
    (st_h, st_w), (dh, dw) = g.stride, g.dilation
    windows = as_strided(
        xp,
        shape=(xp.shape[0], xp.shape[1], kh, kw, ho, wo),
        strides=(sn, sc, dh * sh, dw * sw, st_h * sh, st_w * sw),
        writeable=False,
    )
    return np.ascontiguousarray(windows)


def col2im(cols: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """The adjoint of im2col: columns (N, C, kH, kW, Ho, Wo) -> (N, C, H, W), summing overlaps."""
    hp, wp = g.padded_size
    (ho, wo), (st_h, st_w), (dh, dw) = g.out_size, g.stride, g.dilation
    xp = np.zeros((cols.shape[0], cols.shape[1], hp, wp), dtype=cols.dtype)
    for a in range(g.kernel[0]):
        rows = window_slice(a * dh, st_h, ho)
        for b in range(g.kernel[1]):
            xp[:, :, rows, window_slice(b * dw, st_w, wo)] += cols[:, :, a, b]
    return np.ascontiguousarray(crop2d(xp, g.pad))


def _taps(g: ConvGeometry) -> int:
    """Rows of one group's columns: C_in/G * kH * kW."""
    return g.in_channels // g.groups * g.kernel[0] * g.kernel[1]


def _grouped_weight(weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """(C_out, C_in/G, kH, kW) -> (G, C_out/G, C_in/G*kH*kW)."""
    return weight.reshape(g.groups, g.out_channels // g.groups, _taps(g))


def conv2d_forward(x: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Y = W @ cols, one GEMM per (image, group)."""
    cols = im2col(x, g).reshape(g.batch, g.groups, _taps(g), g.out_size[0] * g.out_size[1])
    y = np.matmul(_grouped_weight(weight, g), cols)
    return y.reshape(g.y_shape)


def conv2d_grad_weight(grad_y: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dW = sum_n dL/dY_n @ cols_n^T   (the correlation of X with dL/dY, one GEMM)
    cols = im2col(x, g).reshape(g.batch, g.groups, _taps(g), g.out_size[0] * g.out_size[1])
    dy = grad_y.reshape(
        g.batch, g.groups, g.out_channels // g.groups, g.out_size[0] * g.out_size[1]
    )
    gw = np.matmul(dy, cols.transpose(0, 1, 3, 2)).sum(axis=0)
    return gw.reshape(g.w_shape)


def conv2d_grad_input(grad_y: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dX = col2im(W^T @ dL/dY)   (dL/dY fully convolved with the flipped W, as a GEMM)
    dy = grad_y.reshape(
        g.batch, g.groups, g.out_channels // g.groups, g.out_size[0] * g.out_size[1]
    )
    dcols = np.matmul(_grouped_weight(weight, g).transpose(0, 2, 1), dy)
    return col2im(dcols.reshape(g.batch, g.in_channels, *g.kernel, *g.out_size), g)
