"""kernels/conv/fft.py: equal to the reference on the grid, in both dtypes."""

import numpy as np
import pytest

from convprop.kernels import conv2d

from .check_algorithm import assert_matches_reference
from .grid import GRID, grid_id


@pytest.mark.parametrize("case", GRID, ids=grid_id)
def test_fft_equals_reference(case):
    assert_matches_reference(case, "fft")


def test_fft_large_kernel_float32_stays_accurate(rng):
    """An 11x11 layer (the FFT's home ground) in float32 against the float64 reference."""
    x = rng.standard_normal((2, 3, 24, 20))
    w = rng.standard_normal((4, 3, 11, 11))
    want = conv2d(x, w, padding=5, algorithm="im2col")
    got = conv2d(x.astype(np.float32), w.astype(np.float32), padding=5, algorithm="fft")
    assert got.dtype == np.float32
    assert np.abs(got - want).max() <= 2e-5 * np.abs(want).max()
