"""kernels/select.py: the documented rule for algorithm="auto"."""

import numpy as np
import pytest

from convprop.kernels import choose
from convprop.kernels.conv import fft, im2col
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


def test_benchmark_mode_measures_once_per_geometry_and_stays_exact(rng, monkeypatch):
    from convprop import kernels
    from convprop.kernels.conv import select

    calls = []
    measure = select._measure
    monkeypatch.setattr(select, "_measure", lambda g, dtype: calls.append(g) or measure(g, dtype))
    x, w = rng.standard_normal((2, 3, 12, 12)), rng.standard_normal((4, 3, 3, 3))
    kernels.benchmark_mode(True)
    try:
        first = kernels.conv2d(x, w, padding=1)
        second = kernels.conv2d(x, w, padding=1)
        kernels.conv2d_backward(np.ones_like(first), x, w, padding=1)
        assert len(calls) == 1  # measured once, remembered after
        g = conv2d_geometry("t", x.shape, w.shape, 1, 1)
        assert choose("auto", g, dtype=x.dtype) in (im2col, fft)
        np.testing.assert_allclose(
            first, kernels.conv2d(x, w, padding=1, algorithm="direct"), atol=1e-12
        )
        np.testing.assert_array_equal(first, second)
    finally:
        kernels.benchmark_mode(False)
    g = conv2d_geometry("t", x.shape, w.shape, 1, 1)
    assert choose("auto", g) is im2col and not select._winners  # back to the rule, forgotten
