"""The FFT route cut into tiles (overlap-save), so that each transform stays small.

Untiled (fft.py), every plane of an image much larger than its filter is transformed at
the padded image's size, and so is every filter: 16x16 filters of 11x11 padded to 240x240
took a quarter of a 224x224 layer's time. Cut the output into tiles of T positions per
axis instead; output tile t reads the patch

    Xp[t*T*S : t*T*S + P]      P = (T - 1)*S + D*(K - 1) + 1   (a halo of P - T*S shared)

The patches of every image form a batch of N*M images (M tiles each), unpadded, and the
untiled route runs on them, its transforms next_fast_len(P) long:

    forward      Y tile = forward(patch)                    the halos discarded (overlap-save)
    grad_input   dXp    = sum over tiles of grad_input(dY tile), each added at its patch's
                          place (overlap-add: the adjoint of cutting Xp into patches)
    grad_weight  dW     = grad_weight(dY tiles, patches)    fft.py's batch sum, over the tiles

The last tile may run past the output's end: its extra outputs read zeros added after the
padding and are dropped, and the gradient they receive is zero. Sums run in a fixed order,
so the result does not depend on the thread count.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...shapes import ConvGeometry
from ..layout import ALL, at, crop_spatial, pad_spatial
from . import fft

# An axis is tiled where its whole transform is longer than TILE_ABOVE, into patches about
# LENGTH long, and at least SPANS window spans long (the halo at most 1/SPANS of a patch).
# Measured, fwd+bwd tiled / whole, 15 alternating rounds: 0.69 for 2x8x512x512 with 8 9x9
# filters, 0.87 for 4x16x224x224 with 16 11x11, 0.83 for 8x16x128x128 with 16 7x7; 1.02
# for 8x32x96x96 with 32 9x9, so smaller images keep the whole transform.
LENGTH = 64
TILE_ABOVE = 128
SPANS = 4


def _outputs_per_tile(g: ConvGeometry) -> tuple[int, ...]:
    """T per axis: the outputs of one tile, or all of them where the axis is not tiled."""
    tiles = []
    for out, padded, span, stride in zip(
        g.out_size, g.padded_size, g.dilated_kernel, g.stride, strict=True
    ):
        length = max(LENGTH, SPANS * span)
        whole = fft._scipy_fft().next_fast_len(padded, real=True)
        most = (length - span) // stride + 1
        if whole <= max(TILE_ABOVE, length) or most >= out:
            tiles.append(out)
            continue
        count = -(-out // most)
        tiles.append(-(-out // count))  # even tiles: the last one overhangs least
    return tuple(tiles)


def _plan(g: ConvGeometry) -> tuple[ConvGeometry, tuple[int, ...]] | None:
    """(the patches' geometry, tiles per axis), or None where no axis is tiled."""
    per_tile = _outputs_per_tile(g)
    counts = tuple(-(-out // t) for out, t in zip(g.out_size, per_tile, strict=True))
    if math.prod(counts) == 1 or 0 in g.out_size:
        return None
    patch = tuple(
        (t - 1) * s + span for t, s, span in zip(per_tile, g.stride, g.dilated_kernel, strict=True)
    )
    tiled = dataclasses.replace(
        g,
        batch=g.batch * math.prod(counts),
        size=patch,
        pad=((0, 0),) * g.dims,
        out_size=per_tile,
    )
    return tiled, counts


def _extent(gp: ConvGeometry, counts: tuple[int, ...]) -> tuple[int, ...]:
    """Cells of the padded input the tiles span, up to the last patch's end."""
    return tuple(
        (m - 1) * t * s + p
        for m, t, s, p in zip(counts, gp.out_size, gp.stride, gp.size, strict=True)
    )


def _resize(a: np.ndarray, extent: tuple[int, ...]) -> np.ndarray:
    """a's spatial axes cut or zero-extended at their end to `extent` (a copy if changed)."""
    spatial = a.shape[2:]
    if spatial == extent:
        return a
    out = np.zeros((*a.shape[:2], *extent), dtype=a.dtype)
    common = tuple(slice(0, min(n, e)) for n, e in zip(spatial, extent, strict=True))
    out[at(ALL, ALL, common)] = a[at(ALL, ALL, common)]
    return out


def _patches(
    x: np.ndarray, g: ConvGeometry, gp: ConvGeometry, counts: tuple[int, ...]
) -> np.ndarray:
    """x (N, C, *size) padded and cut into the patches: (N*M, C, *P), tile-major per image."""
    src = np.ascontiguousarray(_resize(pad_spatial(x, g.pad), _extent(gp, counts)))
    spatial = src.strides[2:]
    steps = tuple(t * s * b for t, s, b in zip(gp.out_size, gp.stride, spatial, strict=True))
    windows = as_strided(
        src,
        shape=(*src.shape[:2], *counts, *gp.size),
        strides=(*src.strides[:2], *steps, *spatial),
        writeable=False,
    )
    k = g.dims
    order = (0, *range(2, 2 + k), 1, *range(2 + k, 2 + 2 * k))  # (N, *m, C, *P)
    return windows.transpose(order).reshape(gp.batch, g.in_channels, *gp.size)


def _to_tiles(y: np.ndarray, gp: ConvGeometry, counts: tuple[int, ...]) -> np.ndarray:
    """(N, O, *out) -> (N*M, O, *T), zero-extended to whole tiles."""
    k, per_tile = len(counts), gp.out_size
    whole = _resize(y, tuple(m * t for m, t in zip(counts, per_tile, strict=True)))
    split = whole.reshape(
        *whole.shape[:2], *(v for pair in zip(counts, per_tile, strict=True) for v in pair)
    )
    order = (0, *range(2, 2 + 2 * k, 2), 1, *range(3, 3 + 2 * k, 2))  # (N, *m, O, *T)
    return split.transpose(order).reshape(gp.batch, y.shape[1], *per_tile)


def _from_tiles(yt: np.ndarray, g: ConvGeometry, counts: tuple[int, ...]) -> np.ndarray:
    """(N*M, O, *T) -> (N, O, *out): the tiles side by side, the overhang dropped."""
    k, per_tile = len(counts), yt.shape[2:]
    split = yt.reshape(g.batch, *counts, yt.shape[1], *per_tile)
    order = (0, k + 1, *(v for i in range(k) for v in (1 + i, k + 2 + i)))  # (N, O, m1, T1, ..)
    whole = split.transpose(order).reshape(
        g.batch, yt.shape[1], *(m * t for m, t in zip(counts, per_tile, strict=True))
    )
    return np.ascontiguousarray(whole[at(ALL, ALL, tuple(slice(0, n) for n in g.out_size))])


def conv_forward(x: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """fft.conv_forward, tile by tile where the image is large (overlap-save)."""
    plan = _plan(g)
    if plan is None:
        return fft.conv_forward(x, weight, g)
    gp, counts = plan
    return _from_tiles(fft.conv_forward(_patches(x, g, gp, counts), weight, gp), g, counts)


def conv_grad_input(grad_y: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dXp = sum over tiles of the patch gradients, each added where its patch was cut
    plan = _plan(g)
    if plan is None:
        return fft.conv_grad_input(grad_y, weight, g)
    gp, counts = plan
    dpatches = fft.conv_grad_input(_to_tiles(grad_y, gp, counts), weight, gp)
    dpatches = dpatches.reshape(g.batch, *counts, g.in_channels, *gp.size)
    dxp = np.zeros((g.batch, g.in_channels, *_extent(gp, counts)), dtype=grad_y.dtype)
    for tile in np.ndindex(*counts):  # in order: the same sums for any thread count
        starts = (i * t * s for i, t, s in zip(tile, gp.out_size, gp.stride, strict=True))
        place = tuple(slice(a, a + p) for a, p in zip(starts, gp.size, strict=True))
        dxp[at(ALL, ALL, place)] += dpatches[at(ALL, tile)]
    return np.ascontiguousarray(crop_spatial(_resize(dxp, g.padded_size), g.pad))


def conv_grad_weight(grad_y: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dW = sum over images and tiles of each patch correlated with its tile of dL/dY
    plan = _plan(g)
    if plan is None:
        return fft.conv_grad_weight(grad_y, x, g)
    gp, counts = plan
    return fft.conv_grad_weight(_to_tiles(grad_y, gp, counts), _patches(x, g, gp, counts), gp)


def bytes_per_image(g: ConvGeometry, dtype: np.dtype) -> int:
    """fft.py's spectra for one image's patches, and the patches themselves."""
    plan = _plan(g)
    if plan is None:
        return fft.bytes_per_image(g, dtype)
    gp, counts = plan
    tiles = math.prod(counts)
    patch = np.dtype(dtype).itemsize * g.in_channels * math.prod(gp.size)
    return tiles * (fft.bytes_per_image(gp, dtype) + patch)
