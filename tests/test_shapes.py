"""shapes.py: the one output-size function, padding normalisation and ceil_mode."""

import itertools

import pytest

from convprop.shapes import conv2d_geometry, output_size, pool2d_geometry, resolve_padding


@pytest.mark.parametrize(
    "w1, f, p, s", list(itertools.product([5, 7, 28, 32], [1, 3, 5], [0, 1, 2], [1, 2, 3]))
)
def test_output_size_is_the_course_formula_when_exact(w1, f, p, s):
    """(W1 - F + 2P)/S + 1 where that is a whole number, its floor otherwise."""
    got = output_size(w1, f, s, p)
    assert got == (w1 - f + 2 * p) // s + 1
    if (w1 - f + 2 * p) % s == 0:
        assert got == (w1 - f + 2 * p) / s + 1


def test_output_size_with_dilation_uses_the_dilated_kernel():
    # F becomes D*(F-1)+1 = 5 for F=3, D=2
    assert output_size(9, 3, 1, 0, 2) == output_size(9, 5, 1, 0, 1) == 5


def test_ceil_mode_rounds_up_but_the_last_window_starts_inside():
    assert output_size(5, 2, 2) == 2
    assert output_size(5, 2, 2, ceil_mode=True) == 3  # third window starts at 4, inside
    # size 3, kernel 2, stride 2, padding 1: ceil gives 3 windows, the third would start at
    # 4 - 1 = 3 = size + left padding, i.e. entirely in the right padding: dropped
    assert output_size(3, 2, 2, 1, ceil_mode=True) == 2
    assert output_size(1, 4, 4, 1, ceil_mode=True) == 1  # a window wider than the padded input


def test_asymmetric_padding_counts_both_sides():
    assert output_size(5, 3, 1, (2, 0)) == 5


@pytest.mark.parametrize(
    "padding, kernel, dilation, expected",
    [
        (0, (3, 3), (1, 1), ((0, 0), (0, 0))),
        ("valid", (3, 3), (1, 1), ((0, 0), (0, 0))),
        ((1, 2), (3, 3), (1, 1), ((1, 1), (2, 2))),
        ("same", (3, 5), (1, 1), ((1, 1), (2, 2))),
        ("same", (4, 2), (1, 1), ((1, 2), (0, 1))),  # even kernels: the extra goes after
        ("same", (3, 2), (2, 3), ((2, 2), (1, 2))),
        (((1, 0), (0, 2)), (3, 3), (1, 1), ((1, 0), (0, 2))),
    ],
)
def test_resolve_padding(padding, kernel, dilation, expected):
    assert resolve_padding("t", padding, kernel, (1, 1), dilation) == expected


def test_same_padding_keeps_the_size():
    for k, d in itertools.product([1, 2, 3, 4, 5], [1, 2, 3]):
        g = conv2d_geometry("t", (1, 1, 9, 8), (1, 1, k, k), 1, "same", d)
        assert g.out_size == (9, 8)


def test_pool_geometry_defaults_stride_to_kernel():
    g = pool2d_geometry("t", (1, 1, 8, 8), 2)
    assert g.stride == (2, 2) and g.out_size == (4, 4)


def test_geometries_tell_2_from_2_point_0_and_raise_every_time():
    a = pool2d_geometry("max_pool2d", (1, 1, 6, 6), 2, 2)
    for _ in range(2):
        with pytest.raises(ValueError, match="kernel_size"):
            pool2d_geometry("max_pool2d", (1, 1, 6, 6), 2.0, 2)
        with pytest.raises(ValueError, match="conv2d"):
            conv2d_geometry("conv2d", (1, 1, 3, 3), (1, 1, 5, 5))
    # a list is an argument like a tuple
    assert pool2d_geometry("max_pool2d", (1, 1, 6, 6), [2, 2], 2) == a
