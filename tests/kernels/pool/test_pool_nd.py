"""kernels/pool/api.py: max and average pooling in 1-D and 3-D against the N-d reference
loops and PyTorch, indices, both tie policies, and gradcheck."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from convprop import gradcheck
from convprop import kernels as K
from convprop.kernels.pool import reference
from convprop.shapes import pool_geometry

from ...helpers import assert_close

# (size, kernel, stride, padding, dilation, ceil_mode)
CASES = [
    ((9,), 2, None, 0, 1, False),
    ((10,), 3, 2, 1, 1, True),
    ((11,), 3, 1, 1, 2, False),
    ((7,), 4, 3, 2, 1, True),
    ((4, 5, 6), 2, None, 0, 1, False),
    ((5, 5, 4), 3, 2, 1, 1, True),
    ((6, 4, 5), (2, 3, 2), (1, 2, 1), (1, 1, 0), (2, 1, 1), False),
    ((3, 3, 3), 3, 1, 1, 1, False),
]
MAX = {
    1: (K.max_pool1d, K.max_pool1d_backward, TF.max_pool1d),
    3: (K.max_pool3d, K.max_pool3d_backward, TF.max_pool3d),
}
AVG = {
    1: (K.avg_pool1d, K.avg_pool1d_backward, TF.avg_pool1d),
    3: (K.avg_pool3d, K.avg_pool3d_backward, TF.avg_pool3d),
}


def _x(size, seed=0, ties=False):
    rng = np.random.default_rng(seed)
    if ties:
        return rng.integers(-2, 3, (2, 3, *size)).astype(np.float64)
    return rng.standard_normal((2, 3, *size))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_max_pool_equals_the_reference_and_pytorch(case):
    size, k, s, p, d, ceil = case
    dims = len(size)
    forward, backward, tpool = MAX[dims]
    x = _x(size, ties=True)
    y, idx = forward(x, k, s, p, d, ceil)
    g = pool_geometry("t", x.shape, k, s, p, d, ceil)
    y_ref, idx_ref = reference.max_pool(x, g)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(idx, idx_ref)
    dy = np.random.default_rng(1).standard_normal(y.shape)
    want = reference.max_pool_backward(dy, idx_ref, x.shape)
    assert_close(backward(dy, idx, x.shape), want)
    assert_close(backward(dy, idx, x.shape, kernel_size=k, stride=s, dilation=d), want)
    split = K.max_pool_grad(x, dy, k, s, p, d, ceil, ties="split")
    assert_close(split, reference.max_pool_backward_split(dy, x, g))
    # PyTorch as the outside oracle, on distinct values
    x = _x(size, seed=2)
    xt = torch.tensor(x, requires_grad=True)
    yt, it = tpool(xt, k, s, p, d, ceil, return_indices=True)
    y, idx = forward(x, k, s, p, d, ceil)
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_array_equal(idx, it.numpy())
    yt.backward(torch.tensor(dy[..., :0] if False else np.ones_like(y)))
    np.testing.assert_array_equal(backward(np.ones_like(y), idx, x.shape), xt.grad.numpy())


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("case", [c for c in CASES if c[4] == 1], ids=str)
def test_avg_pool_equals_the_reference_and_pytorch(case, count_include_pad):
    size, k, s, p, _, ceil = case
    dims = len(size)
    forward, backward, tpool = AVG[dims]
    x = _x(size, seed=3)
    g = pool_geometry("t", x.shape, k, s, p, 1, ceil)
    y = forward(x, k, s, p, ceil, count_include_pad)
    assert_close(y, reference.avg_pool(x, g, count_include_pad, None))
    dy = np.random.default_rng(4).standard_normal(y.shape)
    gx = backward(dy, x.shape, k, s, p, ceil, count_include_pad)
    assert_close(gx, reference.avg_pool_backward(dy, x.shape, g, count_include_pad, None))
    xt = torch.tensor(x, requires_grad=True)
    yt = tpool(xt, k, s, p, ceil, count_include_pad)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(gx, xt.grad.numpy(), atol=1e-12)


def test_avg_pool3d_divisor_override_and_gradcheck():
    x = _x((4, 4, 4), seed=5)
    y = K.avg_pool3d(x, 2, divisor_override=3)
    np.testing.assert_allclose(y, TF.avg_pool3d(torch.tensor(x), 2, divisor_override=3).numpy())

    def fn(x):
        return K.avg_pool3d(x, 3, 2, 1), lambda g: (K.avg_pool3d_backward(g, x.shape, 3, 2, 1),)

    assert gradcheck(fn, [x])

    def max_fn(x):
        y, idx = K.max_pool1d(x, 3, 2, 1)
        return y, lambda g: (K.max_pool1d_backward(g, idx, x.shape),)

    assert gradcheck(max_fn, [_x((9,), seed=6)])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: K.max_pool1d(np.ones((1, 2, 5, 5)), 2), "max_pool1d: input must be 3-D"),
        (
            lambda: K.max_pool3d(np.ones((1, 2, 5, 5, 5)), (2, 2)),
            "kernel_size must be an int or a triple",
        ),
        (lambda: K.avg_pool1d(np.ones((1, 2, 3)), 5), "avg_pool1d: the window"),
        (
            lambda: K.max_pool1d_backward(
                np.ones((1, 2, 2)), np.zeros((1, 2, 2), int), (1, 2, 4, 4)
            ),
            "max_pool1d_backward: input_shape must be \\(N, C, L\\)",
        ),
    ],
)
def test_errors_name_the_operation_and_the_rule(call, message):
    with pytest.raises(ValueError, match=message):
        call()
