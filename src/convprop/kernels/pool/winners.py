"""How max pooling finds each window's winner (the course's switch) without a loop over
windows: one np.maximum per tap gives the maxima; then bit t of one small integer per
window says "tap t equals the maximum", and the lowest set bit, looked up in a table, is
the first maximum in row-major window order (np.copyto with where= took 5x longer). Taps
in the padding never win."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ...shapes import PoolGeometry
from ..layout import ALL, at, pad_spatial
from . import jitted
from .windows import GEOMETRIES, Tap, taps

PACKED_TAPS = 16  # up to this many taps the winner comes from a packed bit mask


def maxima(xp: np.ndarray, window: tuple[Tap, ...]) -> np.ndarray:
    """One np.maximum per tap over strided slices (NaN propagates, as PyTorch)."""
    y = xp[at(ALL, ALL, window[0][1])].copy()
    for _, cells in window[1:]:
        np.maximum(y, xp[at(ALL, ALL, cells)], out=y)
    return y


def forward(x: np.ndarray, g: PoolGeometry) -> tuple[np.ndarray, np.ndarray]:
    """(y, switches): each window's maximum and its first winning tap (uint8 up to 256
    taps); compiled (jitted.py) where it can be, one pass over x."""
    window = taps(g)
    if jitted.usable(x):
        return jitted.max_forward(x, g, np.min_scalar_type(len(window) - 1))
    xp = pad_spatial(x, g.pad, value=-np.inf)
    y = maxima(xp, window)
    switches = first_winner(xp, y, window, inside(g))
    if np.isnan(y).any():  # a NaN window takes its last NaN (PyTorch); padding is never NaN
        for t, (_, cells) in enumerate(window):
            np.copyto(switches, t, where=np.isnan(xp[at(ALL, ALL, cells)]))
    return y, switches


def first_winner(
    xp: np.ndarray, y: np.ndarray, window: tuple[Tap, ...], inside: list[Any]
) -> np.ndarray:
    """The first tap (row-major window order) inside the input that equals the maximum."""
    count = len(window)
    hit = np.empty(y.shape, dtype=bool)
    if count <= PACKED_TAPS:
        bits = np.uint8 if count <= 8 else np.uint16
        packed = np.zeros(y.shape, dtype=bits)
        for t, (_, cells) in enumerate(window):
            np.equal(xp[at(ALL, ALL, cells)], y, out=hit)
            if inside[t] is not None:
                hit &= inside[t]
            packed |= np.left_shift(hit.view(np.uint8), t, dtype=bits)
        return np.take(_lowest_set_bit(count), packed)  # uint8, as the table
    switches = np.zeros(y.shape, dtype=np.min_scalar_type(count - 1))
    for t in reversed(range(count)):  # the last write is the first tap
        np.equal(xp[at(ALL, ALL, window[t][1])], y, out=hit)
        np.copyto(switches, t, where=hit if inside[t] is None else hit & inside[t])
    return switches


@functools.lru_cache(maxsize=PACKED_TAPS)
def _lowest_set_bit(count: int) -> np.ndarray:
    """table[m] = index of m's lowest set bit, for m < 2**count (0 for m = 0, a NaN window).
    count <= PACKED_TAPS, so at most 16 tables of at most 64 KiB each."""
    m = np.arange(2**count, dtype=np.int64)
    low = m & -m
    table = np.zeros(2**count, dtype=np.uint8)
    table[1:] = np.log2(low[1:]).round().astype(np.uint8)
    return table


@functools.lru_cache(maxsize=GEOMETRIES)
def inside(g: PoolGeometry) -> list[np.ndarray | None]:
    """Per tap, which windows (shaped like the output) see it inside the input; None where
    all do. (Read-only; the last GEOMETRIES geometries kept: masks only for padded ones.)"""
    masks: list[np.ndarray | None] = []
    for tap, _ in taps(g):
        along = []
        for o, s, p, a, d, n in zip(
            g.out_size, g.stride, g.padding, tap, g.dilation, g.size, strict=True
        ):
            position = np.arange(o) * s - p + a * d
            along.append((position >= 0) & (position < n))
        ok = functools.reduce(np.logical_and.outer, along)
        ok.flags.writeable = False
        masks.append(None if ok.all() else ok)
    return masks
