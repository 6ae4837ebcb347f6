"""The algorithms as records, and which one runs a convolution when algorithm="auto".

Each algorithm is an `Algorithm` record: its three primitives (forward, grad_input,
grad_weight, each unchecked on arrays of the geometry's shapes), the workspace one image
needs (chunking.py splits the batch by it) and the geometries it supports. ALGORITHMS holds
them by name: "direct" (the reference loops), "im2col" (columns in NCHW order),
"batch_inner" (im2col with the batch innermost), "fft", "numba" (the direct loops
compiled: direct.py) and "winograd" (F(2x2, 3x3) for 3x3, stride-1 2-D layers:
winograd.py). The last two load Numba on their first call; choosing them while Numba is
off, CONVPROP_JIT=0 or not importable, is an error, never a silent substitute.

The rule, fitted to `python -m benchmarks.conv_layer --all` (2 cores, float32):

* im2col+GEMM is the default: for the 1x1 to 5x5 kernels of almost every CNN its
  GEMM does the work in one call, and the FFT's transforms and complex products cost
  more (a 3x3 layer of 64 channels: FFT about 5x slower than im2col).
* Its columns put the batch innermost (batch_inner) when the output is narrower than
  batch_inner.WIDTH_LIMIT and the batch holds more than one image: short NCHW rows make
  the copy, not the GEMM, take the time (LeNet's conv2: 0.52 against 0.80 ms forward).
  An explicit algorithm="im2col" follows this layout rule too.
* fft runs when the kernel has at least 7x7 = 49 taps (in any number of dimensions: a
  49-tap 1-D filter or a 4x4x4 3-D one too) and the stride is 1: columns grow
  with kH*kW while the FFT's cost barely depends on the kernel size. Measured on
  8x16x64x64 with 16 filters: at 7x7 the FFT took 0.4x im2col's forward and 0.3x its
  backward time; at 11x11, 0.2x and 0.13x. With a stride the FFT computes every
  stride-1 output and throws most away, so it does not run then.
* numba (the compiled direct loops) runs, while Numba is on, for few channels per
  group: at most NUMBA_MAX_IN = 4 input and NUMBA_MAX_OUT = 8 output channels per group,
  more than one tap, and at stride 1 at most NUMBA_MAX_TAPS = 49 taps. Depthwise and
  grouped layers and small first layers: there im2col's GEMM is too thin (an inner
  dimension of C_in/groups * taps, a few rows per group) to pay for its columns, and the
  FFT's transforms cost more than 49 passes over a plane. Measured (forward + both
  gradients, float32, 2 threads, medians of 21 alternating rounds on a shared 2-core
  machine, time against the previous choice): depthwise 3x3 on 8x64x56x56 0.38x
  im2col's; 8x32x28x28 stride 2 0.78x batch_inner's; depthwise 5x5 0.16x im2col's;
  depthwise 7x7 0.26x the FFT's; groups of 2 and 4 channels (8x64x28x28) 0.74-0.79x
  im2col's; LeNet's conv1 (64x1x28x28, 6 5x5 filters) about even with im2col (0.67-1.25x
  over three runs). It loses where a group has many filters or inputs: 16 3x3 filters
  on an RGB image 1.4x im2col's time, LeNet's conv2 (6 in, 16 out) 0.7-4x batch_inner's
  over three runs, a 1x1 layer of 16 channels 3x (im2col's GEMM reads the input itself).
* winograd (F(2x2, 3x3): 2.25x fewer multiplications, compiled transforms and GEMMs)
  runs, while Numba is on, for 3x3 kernels at stride 1 and dilation 1 in 2-D, at least
  WINOGRAD_MIN_CHANNELS = 8 input and output channels per group, and an output of at
  least WINOGRAD_MIN_AREA = 16x16 pixels. Measured (forward + both gradients, float32,
  2 threads, fastest of 10 alternating rounds on a shared 2-core machine, time against
  the previous choice; runs differ by 10-20%): 8x64x56x56 with 64 filters 0.65-0.85x
  im2col's, 8x32x56x56 0.54x, 8x256x28x28 0.53-0.67x, 8x64x28x28 0.87-0.94x, groups of
  16 and of 8 channels on 28x28 0.58-0.62x, 8x64x16x16 0.75x batch_inner's (0.86x of
  im2col's in the speed suite), batch 1 1x64x56x56 0.81x. Around the limits it ties:
  8 channels 0.86-1.06x, 16 to 32 channels on 28x28 0.99-1.19x, 14x14 outputs 0.94-1.19x
  batch_inner's (groups 1.3x). Below them it loses: 3 input channels 1.1-2x im2col's (a
  GEMM over 3 channels pays little for its transforms), 7x7 and 8x8 outputs up to 1.6x
  (transforms per short tile row, and a 7x7 output computes 8x8).
* direct is the specification: slow on purpose, never chosen automatically.

benchmark_mode(True) replaces the rule by a measurement per geometry (see below).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ...shapes import ConvGeometry, fmt
from .. import jit
from . import batch_inner, fft_tiles, im2col, reference, winograd_plan

AlgorithmName = Literal["auto", "direct", "im2col", "batch_inner", "fft", "numba", "winograd"]
Primitive = Callable[[np.ndarray, np.ndarray, ConvGeometry], np.ndarray]


def every_geometry(g: ConvGeometry) -> bool:
    """Any stride, padding, dilation, groups and number of spatial dimensions."""
    return True


@dataclass(frozen=True)
class Algorithm:
    """One way to compute a convolution, and what the library needs to know to run it.

    forward(x, W, g) -> Y, grad_input(dL/dY, W, g) -> dL/dX, grad_weight(dL/dY, X, g) ->
    dL/dW: unchecked, arrays of g's shapes (the correlation convention, no bias).
    bytes_per_image(g, dtype): the largest temporary one image needs in any of the three.
    supports(g): whether it computes geometry g. nonfinite_detour: the algorithm that runs
    instead when an operand holds a NaN or an infinity (the FFT spreads one over its whole
    output; the definition, and PyTorch, keep it in the windows that read it).
    """

    name: str
    forward: Primitive
    grad_input: Primitive
    grad_weight: Primitive
    bytes_per_image: Callable[[ConvGeometry, np.dtype], int]
    supports: Callable[[ConvGeometry], bool] = every_geometry
    nonfinite_detour: Algorithm | None = None
    requires: str = ""  # what supports() asks for, in words, for the refusal's message


def _no_workspace(g: ConvGeometry, dtype: np.dtype) -> int:
    return 0  # the reference loops allocate nothing per image beyond the output


DIRECT = Algorithm(
    "direct",
    reference.conv_forward,
    reference.conv_grad_input,
    reference.conv_grad_weight,
    _no_workspace,
)
IM2COL = Algorithm(
    "im2col",
    im2col.conv_forward,
    im2col.conv_grad_input,
    im2col.conv_grad_weight,
    im2col.bytes_per_image,
)
BATCH_INNER = Algorithm(
    "batch_inner",
    batch_inner.conv_forward,
    batch_inner.conv_grad_input,
    batch_inner.conv_grad_weight,
    batch_inner.bytes_per_image,
)
FFT = Algorithm(
    "fft",
    fft_tiles.conv_forward,
    fft_tiles.conv_grad_input,
    fft_tiles.conv_grad_weight,
    fft_tiles.bytes_per_image,
    nonfinite_detour=IM2COL,
)


def _weight_partials(g: ConvGeometry, dtype: np.dtype) -> int:
    """The compiled direct loops' only temporary that grows with the batch: dL/dW's partial
    sums, one per block of images (direct_backward.IMAGES), at most one per image. Inputs
    are padded in per-thread buffers of a few planes, whatever the batch."""
    cg = g.in_channels // g.groups
    return np.dtype(dtype).itemsize * g.out_channels * cg * math.prod(g.kernel)


def _per_thread_only(g: ConvGeometry, dtype: np.dtype) -> int:
    """Nothing grows with the batch: Winograd's blocks of tiles are per thread
    (winograd_plan.workspace_bytes each) and dL/dW's slabs are bounded (SLAB_BYTES), so a
    batch is never split for memory."""
    return 0


def _up_to_three_dims(g: ConvGeometry) -> bool:
    """1-D, 2-D and 3-D layers (every layer runs as a 3-D one)."""
    return g.dims <= 3


NUMBA = Algorithm(  # kernels/conv/direct.py, imported (with Numba) on the first call
    "numba",
    jit.lazy("conv.direct", "conv_forward"),
    jit.lazy("conv.direct", "conv_grad_input"),
    jit.lazy("conv.direct", "conv_grad_weight"),
    _weight_partials,
    _up_to_three_dims,
)


WINOGRAD = Algorithm(  # kernels/conv/winograd.py, imported (with Numba) on the first call
    "winograd",
    jit.lazy("conv.winograd", "conv_forward"),
    jit.lazy("conv.winograd", "conv_grad_input"),
    jit.lazy("conv.winograd", "conv_grad_weight"),
    _per_thread_only,
    winograd_plan.supports,
    nonfinite_detour=IM2COL,
    requires=winograd_plan.REQUIRES,
)
COMPILED = (NUMBA, WINOGRAD)  # the records that need Numba: refused by name while it is off

ALGORITHMS: dict[str, Algorithm] = {
    a.name: a for a in (DIRECT, IM2COL, BATCH_INNER, FFT, NUMBA, WINOGRAD)
}
CANDIDATES = (IM2COL, BATCH_INNER, FFT, NUMBA, WINOGRAD)  # benchmark_mode times these

FFT_MIN_TAPS = 49  # kH*kW at and above which a stride-1 layer goes to the FFT
NUMBA_MAX_IN, NUMBA_MAX_OUT = 4, 8  # channels per group up to which the compiled loops run
NUMBA_MAX_TAPS = 49  # ... and taps, at stride 1 (beyond: the FFT)
WINOGRAD_MIN_CHANNELS = 8  # input and output channels per group from which winograd runs
WINOGRAD_MIN_AREA = 16 * 16  # ... and output pixels
WINNERS = 256  # benchmark_mode remembers the winners of the last WINNERS geometries


def _im2col_layout(g: ConvGeometry) -> Algorithm:
    """im2col in the column layout that suits g: batch innermost for narrow outputs."""
    return BATCH_INNER if batch_inner.preferred(g) else IM2COL


def _few_channels(g: ConvGeometry) -> bool:
    """Depthwise and grouped layers with few channels per group, and small first layers:
    at most NUMBA_MAX_IN input and NUMBA_MAX_OUT output channels per group, more than one
    tap (a 1x1 layer is one GEMM on the input itself)."""
    cg, og = g.in_channels // g.groups, g.out_channels // g.groups
    return cg <= NUMBA_MAX_IN and og <= NUMBA_MAX_OUT and math.prod(g.kernel) > 1


def _winograd_pays(g: ConvGeometry) -> bool:
    """3x3, stride-1, dilation-1 2-D layers with at least WINOGRAD_MIN_CHANNELS input and
    output channels per group and WINOGRAD_MIN_AREA output pixels."""
    cg, og = g.in_channels // g.groups, g.out_channels // g.groups
    return (
        WINOGRAD.supports(g)
        and min(cg, og) >= WINOGRAD_MIN_CHANNELS
        and math.prod(g.out_size) >= WINOGRAD_MIN_AREA
    )


def rule(g: ConvGeometry) -> Algorithm:
    """The documented rule above."""
    taps, unit_stride = math.prod(g.kernel), all(s == 1 for s in g.stride)
    if _few_channels(g) and (taps <= NUMBA_MAX_TAPS or not unit_stride) and jit.enabled():
        return NUMBA  # jit.enabled() imports Numba: asked only for these layers
    if _winograd_pays(g) and jit.enabled():
        return WINOGRAD
    if taps >= FFT_MIN_TAPS and unit_stride:
        return FFT
    return _im2col_layout(g)


_measuring = False
_winners: OrderedDict[tuple[ConvGeometry, np.dtype], Algorithm] = OrderedDict()


def benchmark_mode(enabled: bool = True) -> None:
    """Like cuDNN's benchmark mode: with it on, algorithm="auto" times im2col, batch_inner,
    fft, numba and winograd (those that support the geometry; numba and winograd while
    Numba is on) once per geometry and dtype (forward plus both gradients, on random data
    of those shapes) and remembers the fastest; turning it off returns to the rule above
    and forgets."""
    global _measuring
    _measuring = bool(enabled)
    if not _measuring:
        _winners.clear()


def _candidates(g: ConvGeometry) -> list[Algorithm]:
    """The CANDIDATES that support g, numba and winograd only while Numba is on."""
    return [a for a in CANDIDATES if a.supports(g) and (not _compiled(a) or jit.enabled())]


def _compiled(algorithm: Algorithm) -> bool:
    """Whether the record's primitives are compiled kernels (they need Numba)."""
    return any(algorithm is record for record in COMPILED)


def _measure(g: ConvGeometry, dtype: np.dtype) -> Algorithm:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(g.x_shape).astype(dtype)
    w = rng.standard_normal(g.w_shape).astype(dtype)
    gy = rng.standard_normal(g.y_shape).astype(dtype)
    seconds = {}
    for algorithm in _candidates(g):
        best = float("inf")
        for _ in range(2):  # the first run pays for first touches; keep the better
            start = time.perf_counter()
            algorithm.forward(x, w, g)
            algorithm.grad_input(gy, w, g)
            algorithm.grad_weight(gy, x, g)
            best = min(best, time.perf_counter() - start)
        seconds[algorithm] = best
    return min(seconds, key=seconds.__getitem__)


def _measured(g: ConvGeometry, dtype: np.dtype) -> Algorithm:
    """The winner for (g, dtype), measured the first time; the last WINNERS kept."""
    key = (g, dtype)
    if key in _winners:
        _winners.move_to_end(key)
    else:
        _winners[key] = _measure(g, dtype)
        if len(_winners) > WINNERS:
            _winners.popitem(last=False)
    return _winners[key]


def choose(
    algorithm: str, g: ConvGeometry, op: str = "conv2d", dtype: np.dtype | type = np.float32
) -> Algorithm:
    """The Algorithm record that runs `algorithm` for geometry g (forward and both gradients)."""
    if algorithm == "auto":
        return _measured(g, np.dtype(dtype)) if _measuring else rule(g)
    if algorithm == "im2col":
        return _im2col_layout(g)
    found = ALGORITHMS.get(algorithm) if isinstance(algorithm, str) else None
    if found is None:
        names = ", ".join(repr(n) for n in ("auto", *ALGORITHMS))
        raise ValueError(f"{op}: algorithm must be one of {names}, got {algorithm!r}")
    if _compiled(found) and not jit.enabled():
        why = "CONVPROP_JIT=0" if jit.numba() is not None else "numba cannot be imported"
        raise ValueError(
            f"{op}: algorithm {algorithm!r} needs the compiled kernels, but Numba is off ({why}); "
            f"use 'auto' or one of the NumPy algorithms"
        )
    if not found.supports(g):
        needs = f" (it needs {found.requires})" if found.requires else ""
        raise ValueError(
            f"{op}: algorithm {algorithm!r} does not support this geometry{needs}: input "
            f"{fmt(g.x_shape)}, weight {fmt(g.w_shape)}, stride {g.stride}, dilation {g.dilation}"
        )
    return found
