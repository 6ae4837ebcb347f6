"""kernels/pool/adaptive.py and kernels/padding.py against plain loops written from the definitions
(and np.pad), and gradcheck on every one of them."""

import numpy as np
import pytest

from convprop import gradcheck
from convprop import kernels as K


def _window(n, out, i):
    return range((i * n) // out, -(-((i + 1) * n) // out))


SHAPES = [
    ((2, 3, 10), (4,)),
    ((1, 2, 7, 5), (3, 2)),
    ((1, 2, 5, 4, 6), (2, 3, 4)),
    ((1, 1, 6, 6), (6, 6)),
]


@pytest.mark.parametrize("shape, out", SHAPES)
def test_adaptive_pools_equal_loops_over_their_windows(shape, out):
    x = np.random.default_rng(0).integers(-3, 4, shape).astype(np.float64)  # ties
    mean, (top, idx) = K.adaptive_avg_pool(x, out), K.adaptive_max_pool(x, out)
    for i in np.ndindex(*out):
        ranges = [_window(n, o, ii) for n, o, ii in zip(shape[2:], out, i, strict=True)]
        cells = [
            tuple(r[k] for r, k in zip(ranges, c, strict=True))
            for c in np.ndindex(*(len(r) for r in ranges))
        ]
        for n, c in np.ndindex(*shape[:2]):
            values = [x[(n, c, *cell)] for cell in cells]
            assert mean[(n, c, *i)] == pytest.approx(sum(values) / len(values))
            first = cells[int(np.argmax(values))]  # the first maximum, row-major
            assert top[(n, c, *i)] == max(values)
            assert idx[(n, c, *i)] == np.ravel_multi_index(first, shape[2:])


def test_lp_pool_and_unpool_equal_their_definitions():
    rng = np.random.default_rng(1)
    x = rng.random((1, 2, 6, 5)) + 0.1
    y, _ = K.lp_pool(x, 3, 2)
    for i, j in np.ndindex(*y.shape[2:]):
        window = x[:, :, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
        np.testing.assert_allclose(y[:, :, i, j], (window**3).sum(axis=(2, 3)) ** (1 / 3))
    pooled, indices = K.max_pool2d(x, 2)
    unpooled = K.max_unpool(pooled, indices, (6, 5))
    expected = np.zeros_like(x).reshape(1, 2, 30)
    for c in range(2):
        expected[0, c, indices[0, c].ravel()] = pooled[0, c].ravel()
    np.testing.assert_array_equal(unpooled, expected.reshape(x.shape))


@pytest.mark.parametrize(
    "mode, np_mode",
    [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap"), ("constant", "constant")],
)
def test_padding_modes_equal_np_pad(mode, np_mode):
    x = np.random.default_rng(2).standard_normal((2, 1, 5, 4, 6))
    pads = ((2, 1), (0, 3), (4, 2))
    np.testing.assert_array_equal(K.pad(x, pads, mode), np.pad(x, ((0, 0), (0, 0), *pads), np_mode))


def test_every_adaptive_kernel_passes_gradcheck():
    rng = np.random.default_rng(3)
    x = rng.random((1, 2, 7, 5)) + 0.2

    def lp(x):
        y, sums = K.lp_pool(x, 2.5, (2, 3), 1)
        return y, lambda g: (K.lp_pool_backward(g, x, sums, 2.5, (2, 3), 1),)

    def adaptive_max(x):
        y, idx = K.adaptive_max_pool(x, (3, 2))
        return y, lambda g: (K.adaptive_max_pool_backward(g, idx, x.shape),)

    _, indices = K.max_pool2d(x, 2)

    def unpool(v):
        return K.max_unpool(v, indices, (7, 5)), lambda g: (K.max_unpool_backward(g, indices),)

    assert gradcheck(lp, [x])
    assert gradcheck(adaptive_max, [x])
    assert gradcheck(unpool, [rng.standard_normal(indices.shape)])
