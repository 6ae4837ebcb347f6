"""kernels/conv/reference.py and the course: hand-worked cases and the gradient identities.

The identities are checked against scipy.signal, an independent implementation of
correlation and convolution, for one channel and one filter.
"""

import numpy as np
import pytest
from scipy import signal

from convprop.kernels import conv2d, conv2d_backward
from convprop.kernels.conv.reference import course_convolve, course_grad_input, course_grad_weight

ALGORITHMS = ["direct", "im2col", "fft"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_course_32x32x3_with_six_5x5x3_filters_gives_28x28x6(rng, algorithm):
    x = rng.standard_normal((1, 3, 32, 32))
    w = rng.standard_normal((6, 3, 5, 5))
    assert conv2d(x, w, algorithm=algorithm).shape == (1, 6, 28, 28)


def _one_channel(rng, h=6, w=7, k1=3, k2=2):
    X = rng.standard_normal((h, w))
    W = rng.standard_normal((k1, k2))
    dY = rng.standard_normal((h - k1 + 1, w - k2 + 1))
    return X, W, dY


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_correlation_identities_one_channel(rng, algorithm):
    """Library convention: dL/dW = X correlated with dL/dY; dL/dX = dL/dY fully convolved with W
    (the full correlation of dL/dY with the 180-degree-flipped W)."""
    X, W, dY = _one_channel(rng)
    y = conv2d(X[None, None], W[None, None], algorithm=algorithm)[0, 0]
    np.testing.assert_allclose(y, signal.correlate2d(X, W, "valid"), atol=1e-12)
    gx, gw, gb = conv2d_backward(dY[None, None], X[None, None], W[None, None], algorithm=algorithm)
    np.testing.assert_allclose(gw[0, 0], signal.correlate2d(X, dY, "valid"), atol=1e-12)
    np.testing.assert_allclose(gx[0, 0], signal.convolve2d(dY, W, "full"), atol=1e-12)
    np.testing.assert_allclose(gx[0, 0], signal.correlate2d(dY, W[::-1, ::-1], "full"), atol=1e-12)
    np.testing.assert_allclose(gb, [dY.sum()], atol=1e-12)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_true_convolution_identities_one_channel(rng, algorithm):
    """The course's convention, Y[i,j] = sum X[i-a, j-b] W[a,b]: its loops, scipy and the
    library's convention="convolution" agree, forward and both gradients. dL/dX is dL/dY
    fully convolved with the 180-degree-flipped W."""
    X, W, dY = _one_channel(rng)
    options = dict(algorithm=algorithm, convention="convolution")
    y = conv2d(X[None, None], W[None, None], **options)[0, 0]
    np.testing.assert_allclose(course_convolve(X, W), signal.convolve2d(X, W, "valid"), atol=1e-12)
    np.testing.assert_allclose(y, course_convolve(X, W), atol=1e-12)

    gx, gw, _ = conv2d_backward(dY[None, None], X[None, None], W[None, None], **options)
    course_dw = course_grad_weight(X, dY, *W.shape)
    course_dx = course_grad_input(dY, W, *X.shape)
    np.testing.assert_allclose(gw[0, 0], course_dw, atol=1e-12)
    np.testing.assert_allclose(gx[0, 0], course_dx, atol=1e-12)
    # dW is X correlated with dY, read back to front; dX the full convolution with rot180(W)
    np.testing.assert_allclose(
        course_dw, signal.correlate2d(X, dY, "valid")[::-1, ::-1], atol=1e-12
    )
    np.testing.assert_allclose(course_dx, signal.convolve2d(dY, W[::-1, ::-1], "full"), atol=1e-12)


def test_course_loops_follow_the_chain_rule_by_finite_differences(rng):
    """The course's formulas themselves, checked against central differences of course_convolve."""
    X, W, dY = _one_channel(rng, 5, 4, 2, 3)

    def loss(X_, W_):
        return float(np.sum(course_convolve(X_, W_) * dY))

    eps = 1e-6
    for a in range(W.shape[0]):
        for b in range(W.shape[1]):
            E = np.zeros_like(W)
            E[a, b] = eps
            numeric = (loss(X, W + E) - loss(X, W - E)) / (2 * eps)
            assert abs(numeric - course_grad_weight(X, dY, *W.shape)[a, b]) < 1e-7
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            E = np.zeros_like(X)
            E[i, j] = eps
            numeric = (loss(X + E, W) - loss(X - E, W)) / (2 * eps)
            assert abs(numeric - course_grad_input(dY, W, *X.shape)[i, j]) < 1e-7
