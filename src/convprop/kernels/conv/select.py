"""Which algorithm runs a convolution when algorithm="auto", and why.

The rule, fitted to `python -m benchmarks.conv_layer --all` (2 cores, float32):

* im2col+GEMM is the default: for the 1x1 to 5x5 kernels of almost every CNN its
  GEMM does the work in one call, and the FFT's transforms and complex products cost
  more (a 3x3 layer of 64 channels: FFT about 5x slower than im2col).
* fft runs when the kernel has at least 7x7 = 49 taps (in any number of dimensions: a
  49-tap 1-D filter or a 4x4x4 3-D one too) and the stride is 1: columns grow
  with kH*kW while the FFT's cost barely depends on the kernel size. Measured on
  8x16x64x64 with 16 filters: at 7x7 the FFT took 0.4x im2col's forward and 0.3x its
  backward time; at 11x11, 0.2x and 0.13x. With a stride the FFT computes every
  stride-1 output and throws most away, so it does not run then.
* direct is the specification: slow on purpose, never chosen automatically.

benchmark_mode(True) replaces the rule by a measurement per geometry (see below).
"""

from __future__ import annotations

import math
import time
from types import ModuleType
from typing import Literal

import numpy as np

from ...shapes import ConvGeometry
from . import fft, im2col, reference

Algorithm = Literal["auto", "direct", "im2col", "fft"]

ALGORITHMS: dict[str, ModuleType] = {"direct": reference, "im2col": im2col, "fft": fft}

FFT_MIN_TAPS = 49  # kH*kW at and above which a stride-1 layer goes to the FFT


_measuring = False
_winners: dict[tuple[ConvGeometry, np.dtype], str] = {}


def benchmark_mode(enabled: bool = True) -> None:
    """Like cuDNN's benchmark mode: with it on, algorithm="auto" times im2col and fft once
    per geometry and dtype (forward plus both gradients, on random data of those shapes)
    and remembers the faster; turning it off returns to the rule above and forgets."""
    global _measuring
    _measuring = bool(enabled)
    if not _measuring:
        _winners.clear()


def _measure(g: ConvGeometry, dtype: np.dtype) -> str:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(g.x_shape).astype(dtype)
    w = rng.standard_normal(g.w_shape).astype(dtype)
    gy = rng.standard_normal(g.y_shape).astype(dtype)
    seconds = {}
    for name in ("im2col", "fft"):
        module = ALGORITHMS[name]
        best = float("inf")
        for _ in range(2):  # the first run pays for first touches; keep the better
            start = time.perf_counter()
            module.conv_forward(x, w, g)
            module.conv_grad_input(gy, w, g)
            module.conv_grad_weight(gy, x, g)
            best = min(best, time.perf_counter() - start)
        seconds[name] = best
    return min(seconds, key=seconds.__getitem__)


def choose(
    algorithm: str, g: ConvGeometry, op: str = "conv2d", dtype: np.dtype | type = np.float32
) -> ModuleType:
    """The module implementing `algorithm` for geometry g (forward and both gradients)."""
    if algorithm == "auto" and _measuring:
        key = (g, np.dtype(dtype))
        if key not in _winners:
            _winners[key] = _measure(g, np.dtype(dtype))
        algorithm = _winners[key]
    elif algorithm == "auto":
        large = math.prod(g.kernel) >= FFT_MIN_TAPS and all(s == 1 for s in g.stride)
        algorithm = "fft" if large else "im2col"
    try:
        return ALGORITHMS[algorithm]
    except KeyError:
        raise ValueError(
            f"{op}: algorithm must be one of 'auto', 'direct', 'im2col', 'fft', got {algorithm!r}"
        ) from None
