"""functions/activation.py: ReLU, LeakyReLU, Sigmoid, Tanh and LogSoftmax, forward and
backward against PyTorch in float64 and float32, and through gradcheck in float64."""

import warnings

import numpy as np
import pytest
import torch

from convprop import gradcheck
from convprop.autograd import Tensor
from convprop.functions import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Tanh

from .oracle import close, compare

TF = torch.nn.functional

# (name, ours, theirs): the same op on convprop and torch tensors
OPS = [
    ("relu", ReLU.apply, torch.relu),
    (
        "leaky_relu",
        lambda x: LeakyReLU.apply(x, negative_slope=0.2),
        lambda t: TF.leaky_relu(t, 0.2),
    ),
    ("sigmoid", Sigmoid.apply, torch.sigmoid),
    ("tanh", Tanh.apply, torch.tanh),
    ("log_softmax dim 1", lambda x: LogSoftmax.apply(x, dim=1), lambda t: t.log_softmax(1)),
    ("log_softmax dim -1", lambda x: LogSoftmax.apply(x, dim=-1), lambda t: t.log_softmax(-1)),
    ("log_softmax dim 0", lambda x: LogSoftmax.apply(x, dim=0), lambda t: t.log_softmax(0)),
]
IDS = [name for name, _, _ in OPS]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, ours, theirs", OPS, ids=IDS)
def test_forward_and_backward_match_pytorch(name, ours, theirs, dtype):
    x = (np.random.default_rng(3).standard_normal((3, 4, 5)) * 3).astype(dtype)
    compare(ours, theirs, [x])


@pytest.mark.parametrize("name, ours, theirs", OPS, ids=IDS)
def test_gradcheck_in_float64(name, ours, theirs):
    x = np.random.default_rng(4).standard_normal((2, 3, 4))
    x[np.abs(x) < 1e-3] = 0.5  # away from ReLU's kink: no central difference across 0
    assert gradcheck(ours, [Tensor(x, requires_grad=True)])


def test_sigmoid_of_huge_inputs_neither_overflows_nor_loses_its_tails():
    x = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would warn
        y = Sigmoid.apply(x)
    close(y.numpy(), torch.sigmoid(torch.tensor(x)), np.float64, "sigmoid")
    assert y.numpy()[0] == 0.0 and y.numpy()[-1] == 1.0 and y.numpy()[3] == 0.5
    assert 0 < y.numpy()[1] < 1e-21  # e^-50, not flushed to zero


def test_relu_gradient_at_zero_is_zero_and_nan_stays_nan_as_pytorch():
    x = np.array([-2.0, 0.0, 3.0, np.nan])
    t = torch.tensor(x, requires_grad=True)
    ours = Tensor(x, requires_grad=True)
    y = ReLU.apply(ours)
    np.testing.assert_array_equal(y.numpy(), torch.relu(t).detach().numpy())  # NaN == NaN here
    y.backward(np.ones(4))
    torch.relu(t).backward(torch.ones(4))
    np.testing.assert_array_equal(ours.grad[:3], [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(ours.grad[:3], t.grad.numpy()[:3])


def test_relu_sends_no_nan_where_an_infinite_gradient_meets_a_dead_unit():
    x = np.array([-1.0, 2.0, -3.0], dtype=np.float32)
    fn = ReLU()
    fn.forward(x)
    (gx,) = fn.backward(np.array([np.inf, -np.inf, -np.inf], dtype=np.float32))
    np.testing.assert_array_equal(gx, [0.0, -np.inf, 0.0])
    assert gx.dtype == np.float32


def test_leaky_relu_slope_applies_below_zero_only():
    # hand-worked: slope 0.1 on the negatives, 1 on the positives (and 0.1 at zero, as torch)
    x = Tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    y = LeakyReLU.apply(x, negative_slope=0.1)
    np.testing.assert_allclose(y.numpy(), [-0.2, 0.0, 3.0])
    y.backward(np.ones(3))
    t = torch.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    TF.leaky_relu(t, 0.1).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy())


def test_log_softmax_is_stable_for_huge_logits():
    x = np.array([[1000.0, 0.0, -1000.0], [5e4, 5e4, 5e4]])
    y = LogSoftmax.apply(Tensor(x, requires_grad=True), dim=1)
    assert np.isfinite(y.numpy()).all()
    close(y.numpy(), torch.tensor(x).log_softmax(1), np.float64, "log_softmax")
    np.testing.assert_allclose(y.numpy()[1], np.log(np.full(3, 1 / 3)))  # hand-worked


def test_log_softmax_backward_of_a_one_hot_gradient_is_one_hot_minus_softmax():
    # d/dx log_softmax(x)[k] = e_k - softmax(x): the cross-entropy gradient
    x = np.random.default_rng(0).standard_normal((1, 5))
    fn = LogSoftmax()
    fn.forward(x, dim=1)
    g = np.zeros((1, 5))
    g[0, 2] = 1.0
    (gx,) = fn.backward(g)
    softmax = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(gx, g - softmax, rtol=1e-12, atol=1e-15)
