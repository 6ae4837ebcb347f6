"""Hostile arguments to nn.functional and LP pooling (issue 14): each case failed before.

Expected values and rules come from PyTorch, never from the code under test.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from convprop import Tensor, nn
from convprop import kernels as K
from convprop.nn import functional as F

X = Tensor(np.ones((1, 1, 4, 4)))
W = Tensor(np.ones((1, 1, 2, 2)))


@pytest.mark.parametrize(
    "call, op, arg",
    [
        (lambda: F.conv2d(X, None), "conv2d", "weight"),
        (lambda: F.conv2d("x", W), "conv2d", "input"),
        (lambda: F.conv2d(X, W, "b"), "conv2d", "bias"),
        (
            lambda: F.conv_transpose1d(Tensor(np.ones((1, 1, 4))), [[[1.0]]]),
            "conv_transpose1d",
            "weight",
        ),
        (lambda: F.max_pool2d("abc", 2), "max_pool2d", "input"),
        (lambda: F.avg_pool3d(None, 2), "avg_pool3d", "input"),
        (lambda: F.lp_pool2d(None, 2, 2), "lp_pool2d", "input"),
        (lambda: F.adaptive_max_pool1d(3.0, 2), "adaptive_max_pool1d", "input"),
        (lambda: F.max_unpool2d(X, None, 2), "max_unpool2d", "indices"),
        (lambda: F.pad("x", (1, 1)), "pad", "input"),
        (lambda: F.relu(None), "relu", "input"),
        (lambda: F.linear(Tensor(np.ones((2, 3))), None), "linear", "weight"),
        (lambda: F.mse_loss(X, None), "mse_loss", "target"),
        (lambda: F.cross_entropy(None, np.array([0])), "cross_entropy", "input"),
    ],
)
def test_a_non_tensor_is_a_type_error_naming_the_function_and_argument(call, op, arg):
    with pytest.raises(TypeError, match=f"^{op}: {arg} must be a Tensor or a NumPy array"):
        call()


def test_kernel_errors_pass_through_unchanged():
    with pytest.raises(TypeError, match=r"^conv2d: input must be float32 or float64, got complex"):
        F.conv2d(np.ones((1, 1, 4, 4), complex), W)


# -- max_unpool's output_size: PyTorch's rule ------------------------------------------------


def _pooled():
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    y, idx = F.max_pool2d(Tensor(x), 2, return_indices=True)
    ty, tidx = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    return y, idx, ty, tidx


@pytest.mark.parametrize("size", [(2, 2), (6, 6), (1, 2, 6, 6), (3, 8), (4, 6)])
def test_max_unpool_refuses_an_output_size_pytorch_refuses(size):
    y, idx, ty, tidx = _pooled()
    with pytest.raises(ValueError, match="invalid output_size"):
        TF.max_unpool2d(ty, tidx, 2, output_size=size)  # default 4: sizes in (2, 6)
    with pytest.raises(ValueError, match=r"^max_unpool2d: invalid output_size .*dim \d must"):
        F.max_unpool2d(y, idx, 2, output_size=size)
    with pytest.raises(ValueError, match="max_unpool2d: invalid output_size"):
        nn.MaxUnpool2d(2)(y, idx, output_size=size)


@pytest.mark.parametrize("size", [(4, 4), (5, 5), (1, 2, 4, 5), [5, 4]])
def test_max_unpool_takes_an_output_size_pytorch_takes(size):
    y, idx, ty, tidx = _pooled()
    ours = F.max_unpool2d(y, idx, 2, output_size=size)
    theirs = TF.max_unpool2d(ty, tidx, 2, output_size=size)
    np.testing.assert_array_equal(ours.array, theirs.numpy())


def test_max_unpool_output_size_is_never_truncated():
    y, idx, _, _ = _pooled()
    with pytest.raises(TypeError, match="max_unpool2d: output_size must be an integer"):
        F.max_unpool2d(y, idx, 2, output_size=(4.7, 4))


# -- LP pooling's entry check ----------------------------------------------------------------


def test_lp_pool_converts_a_list_or_a_torch_tensor():
    x = np.random.default_rng(1).standard_normal((1, 2, 6))
    expected = TF.lp_pool1d(torch.tensor(x), 2, 3).numpy()
    for given in (x.tolist(), torch.tensor(x)):
        y, _ = K.lp_pool(given, 2, 3)
        assert type(y) is np.ndarray
        np.testing.assert_allclose(y, expected, rtol=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda: K.lp_pool(None, 2, 2),
        lambda: K.lp_pool(np.ones((1, 1, 4, 4), np.complex64), 2, 2),
        lambda: K.lp_pool(np.ones((1, 1, 4, 4)), 2, 2, absolute="yes"),
        lambda: K.lp_pool_backward(None, np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)), 2, 2),
        lambda: K.lp_pool_backward(np.ones((1, 1, 2, 2)), None, np.ones((1, 1, 2, 2)), 2, 2),
    ],
)
def test_lp_pool_refuses_what_is_not_a_float_array(call):
    with pytest.raises(TypeError, match=r"^lp_pool"):
        call()


def test_lp_pool_refuses_a_matrix_naming_its_shape():
    with pytest.raises(ValueError, match=r"^lp_pool: input must be \(N, C, \*size\), got shape"):
        K.lp_pool(np.ones((4, 4)), 2, 2)
