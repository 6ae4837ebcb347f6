"""im2col + GEMM: every window of the input becomes a column, the convolution one matmul.

Columns are laid out (N, C*kH*kW, Ho*Wo) so that ``W @ cols`` lands straight in NCHW
(measured 1.4x-4.4x faster here than one (N*Ho*Wo, C*kH*kW) GEMM). The adjoint of
im2col, col2im, scatters the columns back as kH*kW strided slice additions (never a
ufunc.at scatter, which measured 5x-75x slower).

Any number of spatial dimensions: in 1-D the windows are (k,) and the outputs (Wo,),
in 3-D (kD, kH, kW) and (Do, Ho, Wo); the GEMM does not care.

With groups G, channels split into G blocks and the GEMM is batched over them:
weights (G, C_out/G, C_in/G*kH*kW), columns (N, G, C_in/G*kH*kW, Ho*Wo).

Where jit.enabled(), 1-D and 2-D float32/float64 columns are filled and scattered by the
compiled loops of columns.py (one parallel pass reading the unpadded input; equal bit for
bit); otherwise, and in 3-D, by the NumPy passes below.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...shapes import ConvGeometry
from .. import jit
from ..layout import ALL, at, crop_spatial, pad_spatial, window_slice
from ..workspace import scratch

_fill = jit.lazy("conv.columns", "fill")
_scatter = jit.lazy("conv.columns", "scatter")


def compiled(g: ConvGeometry, dtype: np.dtype) -> bool:
    """Whether columns.py's compiled loops fill and scatter g's columns: Numba enabled,
    1-D or 2-D, float32 or float64."""
    return g.dims <= 2 and jit.runs(dtype)


def im2col(x: np.ndarray, g: ConvGeometry, scratch_name: str | None = None) -> np.ndarray:
    """x (N, C, *size) -> columns (N, C, *kernel, *out_size), a contiguous copy.

    cols[n, c, a, b, i, j] = Xp[n, c, i*S + a*D, j*S + b*D]   (in 2-D)

    With scratch_name the copy goes into a reused workspace buffer (see workspace.py),
    valid only until the next call that uses the same name; a 1x1, stride-1 unpadded
    layer's columns are x itself then (read-only use), and nothing is copied.
    """
    if scratch_name is not None and _pointwise(g) and x.flags.c_contiguous:
        return x.reshape(*x.shape[:2], *(1,) * g.dims, *x.shape[2:])
    shape = (*x.shape[:2], *g.kernel, *g.out_size)
    if compiled(g, x.dtype):
        out = (
            np.empty(shape, x.dtype)
            if scratch_name is None
            else scratch(scratch_name, shape, x.dtype)
        )
        return _fill(x, g, out)
    xp = pad_spatial(x, g.pad)
    spatial = xp.strides[2:]
    windows = as_strided(
        xp,
        shape=(*xp.shape[:2], *g.kernel, *g.out_size),
        strides=(
            *xp.strides[:2],
            *(d * s for d, s in zip(g.dilation, spatial, strict=True)),
            *(st * s for st, s in zip(g.stride, spatial, strict=True)),
        ),
        writeable=False,
    )
    if scratch_name is None:
        return windows.copy()  # ascontiguousarray would return a 1x1 layer's view of x
    cols = scratch(scratch_name, windows.shape, x.dtype)
    np.copyto(cols, windows)
    return cols


def bytes_per_image(g: ConvGeometry, dtype: np.dtype) -> int:
    """The largest temporary one image needs: its columns, or the stride-1 input gradient's
    columns (C_out*prod(padded size) per tap) where conv_grad_input takes that route."""
    columns = g.in_channels * math.prod(g.out_size)
    flipped = g.out_channels * math.prod(g.padded_size)
    if all(s == 1 for s in g.stride) and flipped <= 2 * columns:
        columns = max(columns, flipped)
    return np.dtype(dtype).itemsize * math.prod(g.kernel) * columns


def _pointwise(g: ConvGeometry) -> bool:
    return (
        all(k == 1 for k in g.kernel)
        and all(s == 1 for s in g.stride)
        and not any(b or a for b, a in g.pad)
    )


def col2im(cols: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """The adjoint of im2col: columns (N, C, *kernel, *out) -> (N, C, *size), summing overlaps
    (each cell's taps in row-major order, from 0)."""
    if compiled(g, cols.dtype):
        return _scatter(cols, g)
    xp = np.zeros((*cols.shape[:2], *g.padded_size), dtype=cols.dtype)
    for tap in np.ndindex(*g.kernel):
        cells = tuple(
            window_slice(a * d, s, o)
            for a, d, s, o in zip(tap, g.dilation, g.stride, g.out_size, strict=True)
        )
        xp[at(ALL, ALL, cells)] += cols[at(ALL, ALL, tap)]
    return np.ascontiguousarray(crop_spatial(xp, g.pad))


def _taps(g: ConvGeometry) -> int:
    """Rows of one group's columns: C_in/G * kH * kW."""
    return g.in_channels // g.groups * math.prod(g.kernel)


def _grouped_weight(weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """(C_out, C_in/G, *kernel) -> (G, C_out/G, C_in/G*prod(kernel))."""
    return weight.reshape(g.groups, g.out_channels // g.groups, _taps(g))


def _grouped_columns(x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    cols = im2col(x, g, "cols")
    return cols.reshape(g.batch, g.groups, _taps(g), math.prod(g.out_size))


def conv_forward(x: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Y = W @ cols, one GEMM per (image, group)."""
    y = np.matmul(_grouped_weight(weight, g), _grouped_columns(x, g))
    return y.reshape(g.y_shape)


def conv_grad_weight(grad_y: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dW = sum_n dL/dY_n @ cols_n^T   (the correlation of X with dL/dY, one GEMM)
    cols = _grouped_columns(x, g)
    dy = grad_y.reshape(g.batch, g.groups, g.out_channels // g.groups, math.prod(g.out_size))
    # computed as (cols_n @ dL/dY_n^T)^T: the same products, 10-45% faster in OpenBLAS
    # than dL/dY_n @ cols_n^T on the suite's shapes (the long Ho*Wo axis is summed over)
    gw_t = np.matmul(cols, dy.transpose(0, 1, 3, 2)).sum(axis=0)
    return np.ascontiguousarray(gw_t.transpose(0, 2, 1)).reshape(g.w_shape)


def conv_grad_input(grad_y: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dX = dL/dY fully convolved with W: with stride 1 that is a forward correlation of
    # the zero-padded dL/dY with the 180-degree-flipped W (a gather, no scatter); otherwise
    # col2im(W^T @ dL/dY). The correlation's columns hold C_out*Hp*Wp values per tap and
    # col2im's C_in*Ho*Wo, scattered at about twice the cost of a gather (measured: 35 vs
    # 58 ms on 8x64x56x56 with 64 3x3 filters; 2.3 vs 1.4 ms on LeNet's conv2).
    gather = g.out_channels * math.prod(g.padded_size)
    scatter = 2 * g.in_channels * math.prod(g.out_size)
    # the correlation also multiplies W by dY's zero padding, which a NaN or infinite weight
    # turns into NaN where the definition has no term: col2im then (np.sum is one cheap pass)
    if all(s == 1 for s in g.stride) and gather <= scatter and math.isfinite(np.sum(weight)):
        return grad_input_as_correlation(grad_y, weight, g)
    return _grad_input_by_col2im(grad_y, weight, g)


def grad_input_as_correlation(
    grad_y: np.ndarray,
    weight: np.ndarray,
    g: ConvGeometry,
    forward: Callable[[np.ndarray, np.ndarray, ConvGeometry], np.ndarray] | None = None,
) -> np.ndarray:
    """dXp[u] = sum_a dY[u - a*D] W[a] = sum_a' dYpad[u + a'*D] rot180(W)[a'], dY padded by
    D*(K-1) before and up to the padded input's size after; then the padding is cropped.
    Stride 1 only. `forward` computes the correlation (this module's, by default)."""
    groups = g.groups
    og, cg = g.out_channels // groups, g.in_channels // groups
    flip = at(Ellipsis, (slice(None, None, -1),) * g.dims)
    # per group, swap in/out channels and rotate: (O, Cg, *k) -> (C_in, Og, *k)
    flipped = (
        weight.reshape(groups, og, cg, *g.kernel)
        .swapaxes(1, 2)[flip]
        .reshape(g.in_channels, og, *g.kernel)
    )
    adjoint = ConvGeometry(
        batch=g.batch,
        in_channels=g.out_channels,
        out_channels=g.in_channels,
        groups=groups,
        size=g.out_size,
        kernel=g.kernel,
        stride=(1,) * g.dims,
        pad=tuple(
            (e - 1, p - o)
            for e, p, o in zip(g.dilated_kernel, g.padded_size, g.out_size, strict=True)
        ),
        dilation=g.dilation,
        out_size=g.padded_size,
    )
    correlate = forward or conv_forward
    return np.ascontiguousarray(crop_spatial(correlate(grad_y, flipped, adjoint), g.pad))


def _grad_input_by_col2im(grad_y: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """dL/dX = col2im(W^T @ dL/dY)."""
    dy = grad_y.reshape(g.batch, g.groups, g.out_channels // g.groups, math.prod(g.out_size))
    # into a reused buffer: a fresh one pays a page fault per 4 KiB (see workspace.py)
    shape = (g.batch, g.groups, _taps(g), math.prod(g.out_size))
    dcols = np.matmul(
        _grouped_weight(weight, g).transpose(0, 2, 1), dy, out=scratch("dcols", shape, dy.dtype)
    )
    return col2im(dcols.reshape(g.batch, g.in_channels, *g.kernel, *g.out_size), g)
