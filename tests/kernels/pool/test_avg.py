"""kernels/pool/avg.py: average pooling's divisors against the reference grid; empty batches."""

import numpy as np
import pytest

from convprop.kernels import (
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
)
from convprop.kernels.pool import reference
from convprop.shapes import pool2d_geometry

from ...helpers import assert_close
from .cases import COURSE_X, POOL_GRID, valid_pool


def test_course_average_pool_gives_each_cell_a_quarter():
    y = avg_pool2d(COURSE_X, 2, 2)
    np.testing.assert_allclose(y[0, 0], [[13 / 4, 21 / 4], [8 / 4, 8 / 4]])
    dy = np.array([[4.0, 8.0], [12.0, 16.0]])[None, None]
    gx = avg_pool2d_backward(dy, COURSE_X.shape, 2, 2)
    np.testing.assert_allclose(gx[0, 0], np.kron([[1.0, 2.0], [3.0, 4.0]], np.ones((2, 2))))


def test_avg_pool_divisors_with_padding_and_ceil_mode():
    x = np.ones((1, 1, 4, 4))
    with_pad = avg_pool2d(x, 3, 2, padding=1, count_include_pad=True)
    without = avg_pool2d(x, 3, 2, padding=1, count_include_pad=False)
    np.testing.assert_allclose(with_pad[0, 0], [[4 / 9, 6 / 9], [6 / 9, 9 / 9]])
    np.testing.assert_allclose(without[0, 0], np.ones((2, 2)))
    # ceil_mode: a third column/row of windows starting at 4 hangs past the input
    ceil = avg_pool2d(np.ones((1, 1, 5, 5)), 2, 2, ceil_mode=True)
    np.testing.assert_allclose(ceil[0, 0], np.ones((3, 3)))
    override = avg_pool2d(x, 2, 2, divisor_override=3)
    np.testing.assert_allclose(override[0, 0], np.full((2, 2), 4 / 3))


@pytest.mark.parametrize(
    "count_include_pad, divisor_override", [(True, None), (False, None), (True, 5)]
)
@pytest.mark.parametrize("case", [c for c in POOL_GRID if c[3] == 1 and valid_pool(*c)], ids=str)
def test_avg_pool_equals_reference(case, count_include_pad, divisor_override):
    k, s, p, _, ceil, size = case
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, *size))
    g = pool2d_geometry("t", x.shape, k, s, p, 1, ceil)
    options = dict(
        ceil_mode=ceil, count_include_pad=count_include_pad, divisor_override=divisor_override
    )
    y = avg_pool2d(x, k, s, p, **options)
    assert_close(y, reference.avg_pool2d(x, g, count_include_pad, divisor_override))
    dy = rng.standard_normal(y.shape)
    assert_close(
        avg_pool2d_backward(dy, x.shape, k, s, p, **options),
        reference.avg_pool2d_backward(dy, x.shape, g, count_include_pad, divisor_override),
    )


def test_empty_batch_is_allowed():
    x = np.zeros((0, 3, 5, 5))
    y, idx = max_pool2d(x, 2)
    assert y.shape == idx.shape == (0, 3, 2, 2)
    assert max_pool2d_backward(y, idx, x.shape).shape == x.shape
    assert avg_pool2d_backward(avg_pool2d(x, 2), x.shape, 2).shape == x.shape
