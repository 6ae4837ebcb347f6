"""kernels/pool/max.py: the course's example, ties, overlaps, NaN, switches, and the
reference grid."""

import numpy as np
import pytest

from convprop.kernels import (
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_grad,
    max_pool2d_indices,
    max_pool2d_switches,
    max_pool2d_switches_backward,
)
from convprop.kernels.pool import reference
from convprop.shapes import pool2d_geometry

from ...helpers import assert_close
from .cases import COURSE_X, POOL_GRID, valid_pool


@pytest.mark.parametrize("impl", ["fast", "reference"])
def test_course_max_pool_example(impl):
    if impl == "fast":
        y, idx = max_pool2d(COURSE_X, 2, 2)
    else:
        y, idx = reference.max_pool2d(COURSE_X, pool2d_geometry("t", COURSE_X.shape, 2, 2))
    np.testing.assert_array_equal(y[0, 0], [[6, 8], [3, 4]])
    np.testing.assert_array_equal(idx[0, 0], [[1 * 4 + 1, 1 * 4 + 3], [2 * 4 + 0, 3 * 4 + 3]])
    dy = np.array([[10.0, 20.0], [30.0, 40.0]])[None, None]
    back = max_pool2d_backward if impl == "fast" else reference.max_pool2d_backward
    expected = np.zeros((4, 4))
    expected[1, 1], expected[1, 3], expected[2, 0], expected[3, 3] = 10, 20, 30, 40
    np.testing.assert_array_equal(back(dy, idx, COURSE_X.shape)[0, 0], expected)


def test_overlapping_windows_accumulate_at_a_shared_winner():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 0, 1] = 9.0  # wins both top windows of a 2x2, stride-1 pool
    _, idx = max_pool2d(x, 2, 1)
    np.testing.assert_array_equal(idx[0, 0], [[1, 1], [3, 4]])
    gx = max_pool2d_backward(np.array([[[[1.0, 2.0], [4.0, 8.0]]]]), idx, x.shape)
    np.testing.assert_array_equal(gx[0, 0], [[0, 3, 0], [4, 8, 0], [0, 0, 0]])


def test_ties_go_to_the_first_maximum_in_row_major_order():
    x = np.ones((1, 1, 4, 4))
    _, idx = max_pool2d(x, 2, 2)
    np.testing.assert_array_equal(idx[0, 0], [[0, 2], [8, 10]])
    _, idx = max_pool2d(x, 3, 2, padding=1)  # windows start in the padding
    np.testing.assert_array_equal(idx[0, 0], [[0, 1], [4, 5]])


def test_nan_wins_its_window():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 0] = np.nan
    y, idx = max_pool2d(x, 2, 2)
    assert np.isnan(y[0, 0, 0, 0]) and idx[0, 0, 0, 0] == 0
    assert y[0, 0, 1, 1] == 15


def test_all_minus_infinity_window_points_inside_the_input():
    x = np.full((1, 1, 3, 3), -np.inf)
    _, idx = max_pool2d(x, 2, 2, padding=1)
    np.testing.assert_array_equal(idx[0, 0], [[0, 1], [3, 4]])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", [c for c in POOL_GRID if valid_pool(*c)], ids=str)
def test_max_pool_equals_reference(case, dtype):
    k, s, p, d, ceil, size = case
    rng = np.random.default_rng(7)
    x = rng.integers(-2, 3, (2, 3, *size)).astype(dtype)  # small integers: many ties
    y, idx = max_pool2d(x, k, s, p, d, ceil)
    g = pool2d_geometry("t", x.shape, k, s, p, d, ceil)
    y_ref, idx_ref = reference.max_pool2d(x, g)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(idx, idx_ref)
    assert y.dtype == x.dtype and idx.dtype == np.int64
    dy = rng.standard_normal(y.shape).astype(dtype)
    want = reference.max_pool2d_backward(dy, idx_ref, x.shape)
    assert_close(max_pool2d_backward(dy, idx, x.shape), want)
    # told the window geometry, disjoint windows take the assignment path: same answer
    assert_close(max_pool2d_backward(dy, idx, x.shape, kernel_size=k, stride=s, dilation=d), want)
    # the switches (winning taps) route the same gradients without a scatter
    y_sw, switches = max_pool2d_switches(x, k, s, p, d, ceil)
    np.testing.assert_array_equal(y_sw, y_ref)
    np.testing.assert_array_equal(max_pool2d_indices(switches, x.shape, k, s, p, d, ceil), idx_ref)
    assert_close(max_pool2d_switches_backward(dy, switches, x.shape, k, s, p, d, ceil), want)


@pytest.mark.parametrize("k, s", [(2, 2), (3, 1)])
def test_switches_route_infinite_gradients_to_the_winner_only(k, s):
    x = np.random.default_rng(3).standard_normal((1, 2, 6, 6))
    y, switches = max_pool2d_switches(x, k, s)
    dy = np.full(y.shape, np.inf)
    gx = max_pool2d_switches_backward(dy, switches, x.shape, k, s)
    _, idx = max_pool2d(x, k, s)
    winners = np.zeros(x.shape, dtype=bool).reshape(2, 36)
    winners[np.arange(2)[:, None], idx.reshape(2, -1)] = True
    assert not np.isnan(gx).any()
    np.testing.assert_array_equal(np.isinf(gx), winners.reshape(x.shape))


def test_switches_with_nan_and_bad_switches():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 1, 0] = np.nan
    y, switches = max_pool2d_switches(x, 2)
    assert np.isnan(y[0, 0, 0, 0]) and switches[0, 0, 0, 0] == 2  # tap (1, 0)
    with pytest.raises(ValueError, match=r"max_pool2d_switches_backward: switches must be taps"):
        max_pool2d_switches_backward(y, switches + 4, x.shape, 2)
    with pytest.raises(ValueError, match=r"switches must be an array of shape \(1, 1, 2, 2\)"):
        max_pool2d_indices(switches[..., :1], x.shape, 2)


@pytest.mark.parametrize("case", [c for c in POOL_GRID if valid_pool(*c)][::3], ids=str)
def test_both_tie_policies_equal_their_reference_loops(case):
    k, s, p, d, ceil, size = case
    rng = np.random.default_rng(11)
    x = rng.integers(-2, 3, (2, 3, *size)).astype(np.float64)  # many ties
    g = pool2d_geometry("t", x.shape, k, s, p, d, ceil)
    y_ref, idx_ref = reference.max_pool2d(x, g)
    dy = rng.standard_normal(y_ref.shape)
    first = max_pool2d_grad(x, dy, k, s, p, d, ceil, ties="first")
    assert_close(first, reference.max_pool2d_backward(dy, idx_ref, x.shape))
    split = max_pool2d_grad(x, dy, k, s, p, d, ceil, ties="split")
    assert_close(split, reference.max_pool2d_backward_split(dy, x, g))
    # either way, every upstream gradient arrives whole: the totals agree
    np.testing.assert_allclose(split.sum(), dy.sum())
    np.testing.assert_allclose(first.sum(), dy.sum())


def test_split_policy_halves_a_two_way_tie_and_rejects_unknown_policies():
    x = np.array([[[[5.0, 5.0], [1.0, 2.0]]]])
    gx = max_pool2d_grad(x, np.array([[[[8.0]]]]), 2, ties="split")
    np.testing.assert_array_equal(gx[0, 0], [[4.0, 4.0], [0.0, 0.0]])
    np.testing.assert_array_equal(
        max_pool2d_grad(x, np.array([[[[8.0]]]]), 2)[0, 0], [[8.0, 0.0], [0.0, 0.0]]
    )
    with pytest.raises(ValueError, match="max_pool2d_grad: ties must be 'first' or 'split'"):
        max_pool2d_grad(x, np.ones((1, 1, 1, 1)), 2, ties="random")
