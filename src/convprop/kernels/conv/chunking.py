"""Bounded memory and exact non-finite values: how a convolution primitive is run.

im2col's columns and the FFT's spectra grow with the batch; split into chunks of
images, each primitive's temporaries stay under the limit (workspace.limit_bytes, 256
MiB by default), and the results are the same: outputs are written chunk by chunk, the
weight gradient is summed over chunks. One image whose temporary alone would exceed
MAX_ELEMENTS elements is refused before anything is allocated.

The FFT mixes every input value into every output: one NaN or Inf would turn the whole
output NaN, where the definition (and PyTorch) puts it only in the windows that read
it. So when an algorithm names a nonfinite_detour (the FFT's is im2col) and an operand is
not finite (one np.sum over each operand, whose result is non-finite whenever a value is;
a finite overflow only costs a detour), the primitive runs on the detour, which places
non-finite values exactly.

Everything here asks the Algorithm record (select.py): its primitives, its workspace per
image, its detour; never a module's name.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ... import arguments
from ...shapes import ConvGeometry
from .. import workspace
from .select import Algorithm, Primitive


def _exact(algorithm: Algorithm, a: np.ndarray, b: np.ndarray) -> Algorithm:
    """algorithm, or its nonfinite_detour where it has one and a or b holds a NaN or an Inf."""
    detour = algorithm.nonfinite_detour
    if detour is not None and not (
        math.isfinite(float(np.sum(a))) and math.isfinite(float(np.sum(b)))
    ):
        return detour
    return algorithm


def _chunks(g: ConvGeometry, per_image: int) -> list[slice]:
    size = max(1, workspace.limit_bytes // max(per_image, 1))
    return [slice(i, min(i + size, g.batch)) for i in range(0, g.batch, size)]


def _per_image(algorithm: Algorithm, g: ConvGeometry, dtype: np.dtype) -> int:
    """The record's bytes per image, refused beyond MAX_ELEMENTS elements (a chunk holds one
    image)."""
    per_image = algorithm.bytes_per_image(g, dtype)
    if per_image > arguments.MAX_ELEMENTS * np.dtype(dtype).itemsize:
        raise ValueError(
            f"convolution: one image's {algorithm.name} workspace would take "
            f"{per_image} bytes, more than MAX_ELEMENTS ({arguments.MAX_ELEMENTS}) elements; "
            f"input {arguments.fmt(g.x_shape)}, weight {arguments.fmt(g.w_shape)}"
        )
    return per_image


def _sub(g: ConvGeometry, part: slice) -> ConvGeometry:
    return dataclasses.replace(g, batch=part.stop - part.start)


def _per_chunk(
    run: Primitive,
    parts: list[slice],
    batched: np.ndarray,
    w: np.ndarray,
    g: ConvGeometry,
    out_shape: tuple[int, ...],
) -> np.ndarray:
    """run(batched, w) with batched and the result split along the batch."""
    # NaN and Inf are data here, placed where the definition puts them, as PyTorch does it
    # without a word: NumPy's "invalid value encountered in matmul" would only be noise
    with np.errstate(invalid="ignore", over="ignore"):
        if len(parts) <= 1:
            return run(batched, w, g)
        out = np.empty(out_shape, dtype=batched.dtype)
        for part in parts:
            out[part] = run(batched[part], w, _sub(g, part))
    return out


def forward(algorithm: Algorithm, x: np.ndarray, w: np.ndarray, g: ConvGeometry) -> np.ndarray:
    algorithm = _exact(algorithm, x, w)
    parts = _chunks(g, _per_image(algorithm, g, x.dtype))
    return _per_chunk(algorithm.forward, parts, x, w, g, g.y_shape)


def grad_input(algorithm: Algorithm, gy: np.ndarray, w: np.ndarray, g: ConvGeometry) -> np.ndarray:
    algorithm = _exact(algorithm, gy, w)
    parts = _chunks(g, _per_image(algorithm, g, gy.dtype))
    return _per_chunk(algorithm.grad_input, parts, gy, w, g, g.x_shape)


def grad_weight(algorithm: Algorithm, gy: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    algorithm = _exact(algorithm, gy, x)
    parts = _chunks(g, _per_image(algorithm, g, x.dtype))
    with np.errstate(invalid="ignore", over="ignore"):
        if len(parts) <= 1:
            return algorithm.grad_weight(gy, x, g)
        gw = np.zeros(g.w_shape, dtype=x.dtype)
        for part in parts:
            gw += algorithm.grad_weight(gy[part], x[part], _sub(g, part))
    return gw
