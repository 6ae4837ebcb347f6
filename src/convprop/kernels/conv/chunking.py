"""Bounded memory and exact non-finite values: how a convolution primitive is run.

im2col's columns and the FFT's spectra grow with the batch; split into chunks of
images, each primitive's temporaries stay under the limit (workspace.limit_bytes, 256
MiB by default), and the results are the same: outputs are written chunk by chunk, the
weight gradient is summed over chunks. One image whose temporary alone would exceed
MAX_ELEMENTS elements is refused before anything is allocated.

The FFT mixes every input value into every output: one NaN or Inf would turn the whole
output NaN, where the definition (and PyTorch) puts it only in the windows that read
it. So when the FFT is asked for and an operand is not finite (one np.sum over each
operand, whose result is non-finite whenever a value is; a finite overflow only costs a
detour), the primitive runs on im2col, which places non-finite values exactly.
"""

from __future__ import annotations

import dataclasses
import math
from types import ModuleType

import numpy as np

from ... import arguments
from ...shapes import ConvGeometry
from .. import workspace
from . import im2col


def bytes_per_image(impl: ModuleType, g: ConvGeometry, dtype: np.dtype) -> int:
    """The largest temporary one image needs in any of impl's three primitives."""
    item = np.dtype(dtype).itemsize
    taps, padded, out = math.prod(g.kernel), math.prod(g.padded_size), math.prod(g.out_size)
    if impl.__name__.endswith("im2col"):
        columns = g.in_channels * out
        flipped = g.out_channels * padded  # the stride-1 input gradient's columns, if used
        if all(s == 1 for s in g.stride) and flipped <= 2 * columns:
            columns = max(columns, flipped)
        return item * taps * columns
    if impl.__name__.endswith("fft"):
        # spectra of input and output channels, complex, plus the product: about 3 copies
        half = padded // g.padded_size[-1] * (g.padded_size[-1] // 2 + 1)
        return 3 * 2 * item * (g.in_channels + g.out_channels) * half
    return 0  # the reference loops allocate nothing per image beyond the output


def _exact(impl: ModuleType, a: np.ndarray, b: np.ndarray) -> ModuleType:
    """impl, or im2col where impl is the FFT and a or b holds a NaN or an infinity."""
    if impl.__name__.endswith("fft") and not (
        math.isfinite(float(np.sum(a))) and math.isfinite(float(np.sum(b)))
    ):
        return im2col
    return impl


def _chunks(g: ConvGeometry, per_image: int) -> list[slice]:
    size = max(1, workspace.limit_bytes // max(per_image, 1))
    return [slice(i, min(i + size, g.batch)) for i in range(0, g.batch, size)]


def _per_image(impl: ModuleType, g: ConvGeometry, dtype: np.dtype) -> int:
    """bytes_per_image, refused beyond MAX_ELEMENTS elements (a chunk holds one image)."""
    per_image = bytes_per_image(impl, g, dtype)
    if per_image > arguments.MAX_ELEMENTS * np.dtype(dtype).itemsize:
        raise ValueError(
            f"convolution: one image's {impl.__name__.rsplit('.', 1)[-1]} workspace would take "
            f"{per_image} bytes, more than MAX_ELEMENTS ({arguments.MAX_ELEMENTS}) elements; "
            f"input {arguments.fmt(g.x_shape)}, weight {arguments.fmt(g.w_shape)}"
        )
    return per_image


def _sub(g: ConvGeometry, part: slice) -> ConvGeometry:
    return dataclasses.replace(g, batch=part.stop - part.start)


def _per_chunk(
    impl: ModuleType,
    primitive: str,
    batched: np.ndarray,
    w: np.ndarray,
    g: ConvGeometry,
    out_shape: tuple[int, ...],
) -> np.ndarray:
    """primitive(batched, w) with batched and the result split along the batch."""
    impl = _exact(impl, batched, w)
    run = getattr(impl, primitive)
    parts = _chunks(g, _per_image(impl, g, batched.dtype))
    # NaN and Inf are data here, placed where the definition puts them, as PyTorch does it
    # without a word: NumPy's "invalid value encountered in matmul" would only be noise
    with np.errstate(invalid="ignore", over="ignore"):
        if len(parts) <= 1:
            return run(batched, w, g)
        out = np.empty(out_shape, dtype=batched.dtype)
        for part in parts:
            out[part] = run(batched[part], w, _sub(g, part))
    return out


def forward(impl: ModuleType, x: np.ndarray, w: np.ndarray, g: ConvGeometry) -> np.ndarray:
    return _per_chunk(impl, "conv_forward", x, w, g, g.y_shape)


def grad_input(impl: ModuleType, gy: np.ndarray, w: np.ndarray, g: ConvGeometry) -> np.ndarray:
    return _per_chunk(impl, "conv_grad_input", gy, w, g, g.x_shape)


def grad_weight(impl: ModuleType, gy: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    impl = _exact(impl, gy, x)
    parts = _chunks(g, _per_image(impl, g, x.dtype))
    with np.errstate(invalid="ignore", over="ignore"):
        if len(parts) <= 1:
            return impl.conv_grad_weight(gy, x, g)
        gw = np.zeros(g.w_shape, dtype=x.dtype)
        for part in parts:
            gw += impl.conv_grad_weight(gy[part], x[part], _sub(g, part))
    return gw
