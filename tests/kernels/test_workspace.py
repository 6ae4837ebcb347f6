"""kernels/workspace.py: reused buffers never leak into results; large ones are not kept."""

import numpy as np

from convprop.kernels import conv2d, conv2d_backward, workspace


def test_results_do_not_alias_the_reused_columns(rng):
    w = rng.standard_normal((4, 3, 3, 3))
    x1, x2 = rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((2, 3, 8, 8))
    y1 = conv2d(x1, w, algorithm="im2col")
    kept = y1.copy()
    gy = rng.standard_normal(y1.shape)
    _, gw1, _ = conv2d_backward(gy, x1, w, algorithm="im2col")
    gw1_kept = gw1.copy()
    conv2d(x2, w, algorithm="im2col")
    conv2d_backward(gy, x2, w, algorithm="im2col")
    np.testing.assert_array_equal(y1, kept)
    np.testing.assert_array_equal(gw1, gw1_kept)
    np.testing.assert_allclose(y1, conv2d(x1, w, algorithm="direct"), atol=1e-12)


def test_buffers_above_the_limit_are_not_kept(monkeypatch):
    workspace.clear()
    monkeypatch.setattr(workspace, "limit_bytes", 1000)
    small = workspace.scratch("a", (10,), np.float64)
    assert workspace.scratch("a", (10,), np.float64).base is small.base  # reused
    big = workspace.scratch("b", (1000,), np.float64)
    assert workspace.scratch("b", (1000,), np.float64).base is not big.base  # 8000 B > limit
    workspace.clear()
    assert workspace.scratch("a", (10,), np.float64).base is not small.base
