"""im2col+GEMM with the batch innermost, for small images: one GEMM for the whole batch.

NCHW columns copy runs of Wo values at a time; for LeNet's 10x10 outputs that is ten
floats per run, and the copy, not the GEMM, takes the time. Transposing the input to
(C, H, W, N) first makes each run Wo*N values long (stride 1), the columns
(C*kH*kW, Ho*Wo*N) feed one GEMM of the whole batch, and col2im adds long runs too.
Measured on LeNet's conv2 (64x6x14x14, 16 5x5 filters): forward 0.52 against 0.80 ms,
weight gradient 0.77 against 1.32 ms, input gradient 0.76 against 1.87 ms. For wide
images the two transposes cost more than they save, so select.py chooses this only when
the output is narrower than WIDTH_LIMIT (and the batch holds more than one image).

Columns: cols[c, a, b, i, j, n] = Xp[n, c, i*S + a*D, j*S + b*D] in 2-D; any number of
spatial dimensions works alike (the rule looks at the last one).

Where im2col.compiled(g, dtype), the fill and the scatter are columns.py's compiled loops
(x transposed once into a (C, *size, N) buffer, no padded copy; equal bit for bit);
otherwise, and in 3-D, the NumPy passes below.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...shapes import ConvGeometry
from .. import jit
from ..layout import ALL, at, window_slice
from ..workspace import scratch
from .im2col import compiled

_fill = jit.lazy("conv.columns", "fill_batch_inner")
_scatter = jit.lazy("conv.columns", "scatter_batch_inner")

WIDTH_LIMIT = 16  # outputs narrower than this use the batch-inner layout


def preferred(g: ConvGeometry) -> bool:
    """Small images over a batch: short NCHW rows, so the batch-inner layout wins."""
    return g.out_size[-1] < WIDTH_LIMIT and g.batch > 1


def bytes_per_image(g: ConvGeometry, dtype: np.dtype) -> int:
    """One image's share of the temporaries: its columns (or their gradient) and its zero-padded
    (C, *padded size) copy (or the input gradient's)."""
    columns = g.in_channels * math.prod(g.kernel) * math.prod(g.out_size)
    return np.dtype(dtype).itemsize * (columns + g.in_channels * math.prod(g.padded_size))


def _to_batch_last(a: np.ndarray) -> tuple[int, ...]:
    """The axis order (C, *spatial, N) of an (N, C, *spatial) array."""
    return (*range(1, a.ndim), 0)


def _padded_chwn(x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """x (N, C, *size) -> (C, *padded size, N), zero-padded, in a reused buffer."""
    xp = scratch("chwn", (g.in_channels, *g.padded_size, g.batch), x.dtype)
    inside = tuple(slice(b, b + n) for n, (b, _) in zip(g.size, g.pad, strict=True))
    for axis, (b, _) in enumerate(g.pad):
        for border in (slice(0, b), slice(b + g.size[axis], None)):
            xp[at(ALL, (ALL,) * axis, border)].fill(0)
    np.copyto(xp[at(ALL, inside)], x.transpose(_to_batch_last(x)))
    return xp


def _columns(x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """(G, C/G*prod(kernel), prod(out)*N) columns in a reused buffer."""
    shape = (g.in_channels, *g.kernel, *g.out_size, g.batch)
    if compiled(g, x.dtype):
        cols = scratch("chwn_cols", shape, x.dtype)
        _fill(x, g, scratch("chwn", (g.in_channels, *g.size, g.batch), x.dtype), cols)
        return cols.reshape(g.groups, -1, math.prod(g.out_size) * g.batch)
    xp = _padded_chwn(x, g)
    spatial = xp.strides[1:-1]
    windows = as_strided(
        xp,
        shape=(g.in_channels, *g.kernel, *g.out_size, g.batch),
        strides=(
            xp.strides[0],
            *(d * s for d, s in zip(g.dilation, spatial, strict=True)),
            *(st * s for st, s in zip(g.stride, spatial, strict=True)),
            xp.strides[-1],
        ),
        writeable=False,
    )
    cols = scratch("chwn_cols", windows.shape, x.dtype)
    np.copyto(cols, windows)
    return cols.reshape(g.groups, -1, math.prod(g.out_size) * g.batch)


def _grad_y_rows(grad_y: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """dL/dY (N, O, *out) -> (G, O/G, prod(out)*N)."""
    rows = np.ascontiguousarray(grad_y.transpose(_to_batch_last(grad_y)))
    return rows.reshape(g.groups, g.out_channels // g.groups, -1)


def _to_nchw(rows: np.ndarray, channels: int, g: ConvGeometry) -> np.ndarray:
    """(channels, prod(out)*N) -> (N, channels, *out), contiguous."""
    batch_first = (g.dims + 1, *range(g.dims + 1))
    return np.ascontiguousarray(rows.reshape(channels, *g.out_size, g.batch).transpose(batch_first))


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
    rows = _grad_y_rows(grad_y, g)
    shape = (g.groups, w.shape[2], rows.shape[2])
    dcols = np.matmul(w.transpose(0, 2, 1), rows, out=scratch("dcols", shape, rows.dtype))
    return col2im(dcols.reshape(g.in_channels, *g.kernel, *g.out_size, g.batch), g)


def col2im(dcols: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """The adjoint of the columns: (C, *kernel, *out, N) -> (N, C, *size), summing overlaps
    (each cell's taps in row-major order, from 0)."""
    if compiled(g, dcols.dtype):
        return _scatter(dcols, g, scratch("chwn", (g.in_channels, *g.size, g.batch), dcols.dtype))
    xp = np.zeros((g.in_channels, *g.padded_size, g.batch), dtype=dcols.dtype)
    for tap in np.ndindex(*g.kernel):
        cells = tuple(
            window_slice(a * d, s, o)
            for a, d, s, o in zip(tap, g.dilation, g.stride, g.out_size, strict=True)
        )
        xp[at(ALL, cells)] += dcols[at(ALL, tap)]
    inside = tuple(slice(b, b + n) for n, (b, _) in zip(g.size, g.pad, strict=True))
    batch_first = (g.dims + 1, *range(g.dims + 1))
    return np.ascontiguousarray(xp[at(ALL, inside)].transpose(batch_first))
