"""kernels/chunking.py: under a small workspace limit, same results and bounded memory."""

import tracemalloc

import numpy as np
import pytest

from convprop.kernels import (
    conv2d,
    conv2d_backward,
    conv_transpose2d,
    conv_transpose2d_backward,
    workspace,
)


@pytest.mark.parametrize("algorithm", ["im2col", "fft"])
def test_chunked_results_equal_unchunked(rng, monkeypatch, algorithm):
    x = rng.standard_normal((5, 4, 9, 8))
    w = rng.standard_normal((6, 2, 3, 3))
    options = dict(stride=1, padding=1, dilation=1, groups=2, algorithm=algorithm)
    y = conv2d(x, w, **options)
    gy = rng.standard_normal(y.shape)
    grads = conv2d_backward(gy, x, w, **options)
    wt = rng.standard_normal((4, 3, 3, 3))
    yt = conv_transpose2d(x, wt, stride=2, algorithm=algorithm)
    gyt = rng.standard_normal(yt.shape)
    grads_t = conv_transpose2d_backward(gyt, x, wt, stride=2, algorithm=algorithm)
    monkeypatch.setattr(workspace, "limit_bytes", 4000)  # about one image per chunk
    np.testing.assert_allclose(conv2d(x, w, **options), y, atol=1e-12)
    for a, b in zip(conv2d_backward(gy, x, w, **options), grads, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-11)
    np.testing.assert_allclose(
        conv_transpose2d(x, wt, stride=2, algorithm=algorithm), yt, atol=1e-12
    )
    for a, b in zip(
        conv_transpose2d_backward(gyt, x, wt, stride=2, algorithm=algorithm), grads_t, strict=True
    ):
        np.testing.assert_allclose(a, b, atol=1e-11)


def _peak(fn) -> int:
    workspace.clear()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_the_limit_bounds_peak_memory(rng, monkeypatch):
    x = rng.standard_normal((32, 8, 32, 32)).astype(np.float32)
    w = rng.standard_normal((8, 8, 5, 5)).astype(np.float32)
    unbounded = _peak(lambda: conv2d(x, w, padding=2, algorithm="im2col"))  # columns: 26 MB
    monkeypatch.setattr(workspace, "limit_bytes", 2**20)
    bounded = _peak(lambda: conv2d(x, w, padding=2, algorithm="im2col"))
    assert bounded < unbounded / 4
