"""The FFT route: forward and both gradients as products of spectra (scipy.fft).

Each of the three is a convolution, as the course notes, and each becomes one
pointwise product summed over channels:

    forward      Y   = Xp  (correlate) W        ->  Y^  = sum_c  Xp^ * conj(W^)
    grad_input   dXp = dY' (convolve, full) W   ->  dX^ = sum_o  dY'^ * W^
    grad_weight  dW  = Xp  (correlate) dY'      ->  dW^ = sum_n  conj(dY'^) * Xp^

W is dilated first (zeros between taps) and dY' is dL/dY spread apart with S-1 zeros
(the stride's effect); the stride-1 forward is computed and then subsampled. The FFT
size covers the padded input, so the circular products equal the linear ones: no
index in any of the three sums wraps around. An image much larger than its filter is cut
into tiles first (fft_tiles.py, whose functions the "fft" record holds).
"""

from __future__ import annotations

import functools
import math
from types import ModuleType

import numpy as np

from ...shapes import ConvGeometry, dilated_extent
from .. import jit
from ..layout import ALL, at, crop_spatial, pad_spatial, window_slice


@functools.cache
def _scipy_fft() -> ModuleType:
    """scipy.fft, imported on first use: it takes ~200 ms, most of `import convprop`."""
    import scipy.fft

    return scipy.fft


def _fft_size(g: ConvGeometry) -> tuple[int, ...]:
    return tuple(_scipy_fft().next_fast_len(n, real=True) for n in g.padded_size)


def bytes_per_image(g: ConvGeometry, dtype: np.dtype) -> int:
    """Spectra of one image's input and output channels, complex, plus their product: about
    three copies of (C_in + C_out) half-spectra."""
    half = math.prod(g.padded_size[:-1]) * (g.padded_size[-1] // 2 + 1)
    return 3 * 2 * np.dtype(dtype).itemsize * (g.in_channels + g.out_channels) * half


def _axes(size: tuple[int, ...]) -> tuple[int, ...]:
    """The spatial axes, the last len(size) of each array."""
    return tuple(range(-len(size), 0))


def _spectrum(a: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """rfftn over the spatial axes, zero-padded to `size`, flattened to one frequency axis.

    One axis at a time, the last first, each on what is nonzero so far: a 9x9 filter padded
    to 72x72 takes 9 row transforms, not 72 (2.6x faster for 16x16 such filters)."""
    sfft, axes = _scipy_fft(), _axes(size)
    spec = sfft.rfft(a, n=size[-1], axis=-1, workers=-1)
    for axis, n in zip(reversed(axes[:-1]), reversed(size[:-1]), strict=True):
        spec = sfft.fft(spec, n=n, axis=axis, workers=-1)
    frequencies = math.prod(size[:-1]) * (size[-1] // 2 + 1)  # spelt out: an empty batch
    return np.ascontiguousarray(spec).reshape(*a.shape[: a.ndim - len(size)], frequencies)


def _from_spectrum(spec: np.ndarray, size: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    spec = spec.reshape(*spec.shape[:-1], *size[:-1], size[-1] // 2 + 1)
    out = _scipy_fft().irfftn(spec, s=size, axes=_axes(size), workers=-1)
    return out.astype(dtype, copy=False)


def _dilate(weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """W with D-1 zeros between taps: (O, Cg, *k) -> (O, Cg, *(D(k-1)+1))."""
    if all(d == 1 for d in g.dilation):
        return weight
    out = np.zeros((*weight.shape[:2], *g.dilated_kernel), dtype=weight.dtype)
    out[at(ALL, ALL, tuple(slice(None, None, d) for d in g.dilation))] = weight
    return out


def _spread(grad_y: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """dL/dY placed at the stride-1 output positions i*S (zeros between): the stride's adjoint."""
    if all(s == 1 for s in g.stride):
        return grad_y
    spread = tuple(map(dilated_extent, g.out_size, g.stride))
    out = np.zeros((*grad_y.shape[:2], *spread), dtype=grad_y.dtype)
    out[at(ALL, ALL, tuple(slice(None, None, s) for s in g.stride))] = grad_y
    return out


def _split_groups(spec: np.ndarray, groups: int) -> np.ndarray:
    """(N, C, F) -> (F, G, N, C/G): frequencies lead so matmul batches over them."""
    n, c, f = spec.shape
    return spec.reshape(n, groups, c // groups, f).transpose(3, 1, 0, 2)


def _split_weight(spec: np.ndarray, groups: int) -> np.ndarray:
    """Weight spectrum (C_out, C_in/G, F) -> (F, G, C_out/G, C_in/G)."""
    o, cg, f = spec.shape
    return spec.reshape(groups, o // groups, cg, f).transpose(3, 0, 1, 2)


def _join_groups(prod: np.ndarray) -> np.ndarray:
    """(F, G, N, C/G) -> (N, C, F)."""
    f, groups, n, cg = prod.shape
    return prod.transpose(2, 1, 3, 0).reshape(n, groups * cg, f)


# The channel sums of the three products, frequency by frequency: compiled where Numba
# runs (fft_products.py, 3x faster), else NumPy's matmul batched over frequencies.
_compiled_forward = jit.lazy("conv.fft_products", "forward")
_compiled_grad_input = jit.lazy("conv.fft_products", "grad_input")
_compiled_grad_weight = jit.lazy("conv.fft_products", "grad_weight")


def _forward_products(xs: np.ndarray, ws: np.ndarray, groups: int, dtype: np.dtype) -> np.ndarray:
    """Y^[n, o] = sum_c Xp^[n, k*Cg + c] * conj(W^[o, c]): (N, C, F), (O, Cg, F) -> (N, O, F)."""
    if jit.runs(dtype):
        return _compiled_forward(xs, ws, groups)
    w = _split_weight(ws, groups).conj().transpose(0, 1, 3, 2)
    return _join_groups(np.matmul(_split_groups(xs, groups), w))


def _input_products(dys: np.ndarray, ws: np.ndarray, groups: int, dtype: np.dtype) -> np.ndarray:
    """dX^[n, i] = sum_{o in group k} dY'^[n, o] * W^[o, i - k*Cg]: -> (N, C, F)."""
    if jit.runs(dtype):
        return _compiled_grad_input(dys, ws, groups)
    return _join_groups(np.matmul(_split_groups(dys, groups), _split_weight(ws, groups)))


def _weight_products(dys: np.ndarray, xs: np.ndarray, groups: int, dtype: np.dtype) -> np.ndarray:
    """dW^[o, c] = sum_n conj(dY'^[n, o]) * Xp^[n, k*Cg + c]: -> (O, Cg, F)."""
    if jit.runs(dtype):
        return _compiled_grad_weight(dys, xs, groups)
    dy = _split_groups(dys, groups).conj().transpose(0, 1, 3, 2)
    dws = np.matmul(dy, _split_groups(xs, groups))  # (F, G, Og, Cg)
    f, g, og, cg = dws.shape
    return dws.transpose(1, 2, 3, 0).reshape(g * og, cg, f)


def conv_forward(x: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Y^ = sum_c Xp^ * conj(W^), back-transformed, then every S-th stride-1 output."""
    size = _fft_size(g)
    xs = _spectrum(pad_spatial(x, g.pad), size)  # (N, C, F)
    ws = _spectrum(_dilate(weight, g), size)  # (O, Cg, F)
    y_full = _from_spectrum(_forward_products(xs, ws, g.groups, x.dtype), size, x.dtype)
    keep = tuple(window_slice(0, s, o) for s, o in zip(g.stride, g.out_size, strict=True))
    return np.ascontiguousarray(y_full[at(ALL, ALL, keep)])


def conv_grad_input(grad_y: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dX = dL/dY' fully convolved with W  (= full correlation with the 180-degree-flipped W)
    size = _fft_size(g)
    dys = _spectrum(_spread(grad_y, g), size)  # (N, O, F)
    ws = _spectrum(_dilate(weight, g), size)  # (O, Cg, F)
    dxs = _input_products(dys, ws, g.groups, grad_y.dtype)
    padded = tuple(slice(0, n) for n in g.padded_size)
    dxp = _from_spectrum(dxs, size, grad_y.dtype)[at(ALL, ALL, padded)]
    return np.ascontiguousarray(crop_spatial(dxp, g.pad))


def conv_grad_weight(grad_y: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dW = Xp correlated with dL/dY'  (summed over the batch), every D-th tap
    size = _fft_size(g)
    xs = _spectrum(pad_spatial(x, g.pad), size)  # (N, C, F)
    dys = _spectrum(_spread(grad_y, g), size)  # (N, O, F)
    dw_spec = _weight_products(dys, xs, g.groups, x.dtype)  # (O, Cg, F)
    taps = tuple(slice(0, k, d) for k, d in zip(g.dilated_kernel, g.dilation, strict=True))
    dw = _from_spectrum(dw_spec, size, x.dtype)[at(ALL, ALL, taps)]
    return np.ascontiguousarray(dw)
