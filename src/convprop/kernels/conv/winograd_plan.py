"""What the Winograd algorithm needs to know before it runs, without Numba: the layers it
computes, its tiles, its blocks of tiles and the workspace they take (select.py's
"winograd" record asks here; winograd.py runs the plan).

F(2x2, 3x3): each tile gives TILE x TILE outputs from ALPHA x ALPHA inputs, and each
transformed tile holds ALPHA^2 = 16 values per channel. A thread works on one block of
whole tile rows at a time, about TILES tiles: the GEMMs between the transforms are then
(C_out x C_in) @ (C_in x TILES), wide enough to run at full speed (measured, 64 channels:
75-120 GF/s at 64 tiles, 200-250 at 256; at 56-63 tiles, 256 channels ran at 95 GF/s),
and the block's transformed input and output (16 x (C_in + C_out) x tiles values) stay
in the core's L2 cache up to 64 channels. More channels shrink the block to fit
BLOCK_BYTES, but never below MIN_TILES: the GEMM's width matters more than the cache.

dL/dW sums over every block: into SLABS partial sums (fewer for few blocks, or where
their memory would pass SLAB_BYTES), a number that depends on the layer only, never on
the threads, so that the sum's order, and its bits, are the same for any thread count.

"""

from __future__ import annotations

import numpy as np

from ...shapes import ConvGeometry

TILE, ALPHA = 2, 4  # outputs per tile side (m) and input cells per tile side (m + 3 - 1)
ELEMENTS = ALPHA * ALPHA  # values of one transformed tile, per channel
TILES, MIN_TILES = 256, 128  # tiles per block: the GEMMs' width
BLOCK_BYTES = 2 * 2**20  # what one block's transformed input and output should take
SLABS, SLAB_BYTES = 8, 32 * 2**20  # dL/dW's partial sums: at most so many, and so large
LANES = 16  # a block's tiles lie in rows padded to a multiple of LANES (whole vectors)
REQUIRES = "a 2-D layer with a 3x3 kernel, stride 1 and dilation 1"  # supports(), in words


def supports(g: ConvGeometry) -> bool:
    """2-D, a 3x3 kernel, stride 1, dilation 1; any padding, groups, batch and sizes."""
    return g.dims == 2 and g.kernel == (3, 3) and g.stride == (1, 1) and g.dilation == (1, 1)


def tile_counts(out: tuple[int, ...]) -> tuple[int, int]:
    """Tiles down and across: the last one partial where a size is odd."""
    return -(-out[0] // TILE), -(-out[1] // TILE)


def block_rows(across: int, channels: int, itemsize: int) -> int:
    """Tile rows per block: about TILES tiles, fewer where their transformed values
    (ELEMENTS per tile and channel, `channels` in and out together) would pass
    BLOCK_BYTES, but about MIN_TILES at least, and at least one row."""
    tiles = max(MIN_TILES, min(TILES, BLOCK_BYTES // (ELEMENTS * channels * itemsize)))
    return max(1, round(tiles / across))


def padded(tiles: int) -> int:
    """A row of `tiles` values padded to a multiple of LANES: the GEMMs' loops then run in
    whole vectors (measured on 256 channels, 126 tiles: the last 14, done one at a time,
    cost as much as the 112 before them)."""
    return -(-tiles // LANES) * LANES


def balanced_rows(tile_rows: int, rows: int, parts: int) -> int:
    """Rows per block near `rows` such that the blocks split evenly into `parts`: their
    number a multiple of parts (or as many as there are rows)."""
    blocks = -(-tile_rows // rows)
    blocks = min(tile_rows, -(-blocks // parts) * parts)
    return -(-tile_rows // blocks)


def slab_count(tile_rows: int, rows: int, partial_bytes: int) -> int:
    """dL/dW's partial sums for `tile_rows` rows in blocks of `rows`: SLABS, or fewer where
    there are fewer blocks or SLABS partials of partial_bytes would pass SLAB_BYTES."""
    blocks = -(-tile_rows // rows)
    return max(1, min(SLABS, blocks, SLAB_BYTES // max(partial_bytes, 1)))


def workspace_bytes(g: ConvGeometry, dtype: np.dtype) -> int:
    """The temporaries of one block: its transformed input and output (padded rows of
    tiles), the most any of the three primitives takes. Each thread holds one block, and
    dL/dW its slab sums: neither grows with the batch."""
    itemsize = np.dtype(dtype).itemsize
    channels = g.in_channels + g.out_channels
    tiles = 0
    for across in (tile_counts(g.out_size)[1], tile_counts(g.size)[1]):  # forward, dL/dX
        tiles = max(tiles, padded(block_rows(across, channels, itemsize) * across))
    return ELEMENTS * channels * itemsize * tiles
