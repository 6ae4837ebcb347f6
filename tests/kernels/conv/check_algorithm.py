"""The assertion of the im2col and fft grid tests: forward and all gradients equal the reference."""

from __future__ import annotations

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
