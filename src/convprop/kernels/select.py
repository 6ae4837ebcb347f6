"""Which algorithm runs a convolution when algorithm="auto", and why.

The rule (measured on a 2-core AVX-512 machine, float32; see benchmarks/):

* im2col+GEMM is the default: for the small kernels of almost every CNN (1x1 to 7x7)
  its one GEMM runs near NumPy's peak, and nothing beats that.
* fft wins when the kernel is large and the output dense: with stride 1 and a kernel
  of at least 9x9 taps the columns grow with kH*kW (an 11x11 layer's reach hundreds of
  MiB) while the FFT's cost barely depends on the kernel's size. With stride > 1 the
  FFT computes every stride-1 output and throws most away, so it never runs then.
* direct is the specification: slow, never chosen automatically.
"""

from __future__ import annotations

from types import ModuleType
from typing import Literal

from ..shapes import ConvGeometry
from . import fft, im2col, reference

Algorithm = Literal["auto", "direct", "im2col", "fft"]

ALGORITHMS: dict[str, ModuleType] = {"direct": reference, "im2col": im2col, "fft": fft}

FFT_MIN_TAPS = 81  # kH*kW at and above which a stride-1 layer goes to the FFT


def choose(algorithm: str, g: ConvGeometry, op: str = "conv2d") -> ModuleType:
    """The module implementing `algorithm` for geometry g (forward and both gradients)."""
    if algorithm == "auto":
        kh, kw = g.kernel
        large = kh * kw >= FFT_MIN_TAPS and g.stride == (1, 1)
        algorithm = "fft" if large else "im2col"
    try:
        return ALGORITHMS[algorithm]
    except KeyError:
        raise ValueError(
            f"{op}: algorithm must be one of 'auto', 'direct', 'im2col', 'fft', got {algorithm!r}"
        ) from None
