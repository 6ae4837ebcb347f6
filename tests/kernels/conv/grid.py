"""The reference-equality grid every fast convolution algorithm is checked on.

stride 1-3 x padding (0, 1, 'same', asymmetric) x dilation 1-2 x groups (1, 2,
depthwise with a channel multiplier) x odd, even and 1-pixel sizes x float32/float64.
Combinations that are not valid layers (a kernel wider than the padded input, 'same'
with a stride) are left out of the grid, not skipped: their errors are tested elsewhere.
"""

from __future__ import annotations

import functools
import itertools
import zlib

import numpy as np

from convprop.kernels import conv2d, conv2d_backward
from convprop.shapes import conv2d_geometry

# (H, W, kH, kW): odd, even and 1-pixel inputs, non-square kernels
SIZES = [(7, 5, 3, 2), (6, 8, 2, 4), (1, 1, 1, 1), (2, 3, 3, 1)]
PADDINGS = [0, 1, "same", ((2, 0), (0, 1))]
GROUPS = [1, 2, 4]  # 4 = depthwise (C_in = 4), with C_out = 8: channel multiplier 2
DTYPES = ["float64", "float32"]


def _valid(h, w, kh, kw, stride, padding, dilation, groups) -> bool:
    try:
        conv2d_geometry(
            "grid", (2, 4, h, w), (8, 4 // groups, kh, kw), stride, padding, dilation, groups
        )
    except ValueError:
        return False
    return True


GRID = [
    (size, stride, padding, dilation, groups, dtype)
    for size, stride, padding, dilation, groups, dtype in itertools.product(
        SIZES, [1, 2, 3], PADDINGS, [1, 2], GROUPS, DTYPES
    )
    if _valid(*size, stride, padding, dilation, groups)
]


def grid_id(case) -> str:
    (h, w, kh, kw), stride, padding, dilation, groups, dtype = case
    pad = str(padding).replace(" ", "")
    return f"{h}x{w}-k{kh}x{kw}-s{stride}-p{pad}-d{dilation}-g{groups}-{dtype}"


@functools.cache
def case_arrays(case):
    """Inputs and the reference (direct) outputs for one grid case, computed once."""
    (h, w, kh, kw), stride, padding, dilation, groups, dtype = case
    rng = np.random.default_rng(zlib.crc32(grid_id(case).encode()))
    x = rng.standard_normal((2, 4, h, w)).astype(dtype)
    weight = rng.standard_normal((8, 4 // groups, kh, kw)).astype(dtype)
    bias = rng.standard_normal(8).astype(dtype)
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    y = conv2d(x, weight, bias, **options, algorithm="direct")
    grad_y = rng.standard_normal(y.shape).astype(dtype)
    grads = conv2d_backward(grad_y, x, weight, **options, algorithm="direct")
    return x, weight, bias, grad_y, options, y, grads
