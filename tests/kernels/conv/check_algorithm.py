"""What the algorithm tests share: forward and all gradients equal the reference (the grid
tests), and a compiled algorithm gives the same bits for one and two threads."""

from __future__ import annotations

import numpy as np
import pytest

from convprop.kernels import conv2d, conv2d_backward

from ...helpers import assert_close
from .grid import case_arrays


def assert_matches_reference(case, algorithm: str) -> None:
    x, weight, bias, grad_y, options, y_ref, grads_ref = case_arrays(case)
    y = conv2d(x, weight, bias, **options, algorithm=algorithm)
    assert_close(y, y_ref)
    grads = conv2d_backward(grad_y, x, weight, **options, algorithm=algorithm)
    for name, got, want in zip(
        ("grad_x", "grad_weight", "grad_bias"), grads, grads_ref, strict=True
    ):
        assert got.shape == want.shape, name
        assert_close(got, want)


def assert_same_bits_for_one_and_two_threads(threads, x, w, gy, opts) -> None:
    """conv2d and conv2d_backward with opts, at 1, 2, 1 and 2 threads: the same bits
    (`threads`: conftest.py's fixture)."""
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has one thread here")
    runs = []
    for count in (1, 2, 1, 2):
        threads(count)
        assert numba.get_num_threads() == count
        runs.append((conv2d(x, w, **opts), *conv2d_backward(gy, x, w, **opts)))
    for run in runs[1:]:
        for got, first in zip(run, runs[0], strict=True):
            np.testing.assert_array_equal(got, first)
