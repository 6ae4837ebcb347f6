"""kernels/select.py: the documented rule for algorithm="auto"."""

import pytest

from convprop.kernels import choose, fft, im2col
from convprop.shapes import conv2d_geometry


@pytest.mark.parametrize(
    "kernel, stride, expected",
    [(1, 1, im2col), (3, 1, im2col), (5, 1, im2col), (7, 1, fft), (11, 1, fft), (7, 2, im2col)],
)
def test_auto_rule(kernel, stride, expected):
    g = conv2d_geometry("t", (2, 3, 32, 32), (4, 3, kernel, kernel), stride)
    assert choose("auto", g) is expected


def test_explicit_algorithms_are_honoured():
    g = conv2d_geometry("t", (2, 3, 32, 32), (4, 3, 3, 3))
    assert choose("fft", g) is fft and choose("im2col", g) is im2col
