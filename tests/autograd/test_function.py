"""autograd/function.py: Function.apply links its output into the graph only when grad mode
is on and an input requires a gradient; arrays are accepted as inputs, None and strings
are refused naming the Function; apply_with hands back the instance; unbroadcast sums a
broadcast gradient back to its input's shape (PyTorch's sum_to_size)."""

import numpy as np
import pytest
import torch

from convprop.arguments import ArgumentTypeError
from convprop.autograd import Function, Tensor, no_grad
from convprop.autograd.function import unbroadcast


class Scale(Function):
    """y = a * x * s, with s a keyword parameter: a test Function with two inputs."""

    calls = 0

    def forward(self, a, x, *, s=1.0):
        Scale.calls += 1
        self.a, self.x, self.s = a, x, s
        return a * x * s

    def backward(self, g):
        return g * self.x * self.s, g * self.a * self.s


def test_an_input_that_requires_grad_links_the_output_to_its_function():
    a = Tensor(np.array([2.0, 3.0]), requires_grad=True)
    x = Tensor(np.array([5.0, 7.0]))
    y, fn = Scale.apply_with(a, x, s=10.0)
    np.testing.assert_array_equal(y.numpy(), [100.0, 210.0])  # the keyword reached forward
    assert y.requires_grad and y._ctx is fn and not y.is_leaf
    assert isinstance(fn, Scale) and fn.parents == (a, x)
    assert fn.needs_input_grad == (True, False)
    y.backward(np.ones(2))
    np.testing.assert_array_equal(a.grad, [50.0, 70.0])
    assert x.grad is None


def test_no_input_requiring_grad_means_no_link():
    y, fn = Scale.apply_with(Tensor(np.ones(2)), Tensor(np.ones(2)))
    assert not y.requires_grad and y._ctx is None and y.is_leaf
    assert fn.needs_input_grad == (False, False) and fn.parents == ()


def test_under_no_grad_nothing_is_linked_even_for_inputs_that_require_grad():
    a = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        y, fn = Scale.apply_with(a, a)
    assert not y.requires_grad and y._ctx is None and fn.parents == ()
    np.testing.assert_array_equal(y.numpy(), [1.0, 1.0])  # the forward still ran
    z = Scale.apply(a, a)  # and grad mode is back afterwards
    assert z.requires_grad and z._ctx is not None


def test_arrays_are_accepted_and_keep_their_dtype():
    a = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    x = np.arange(3, dtype=np.float32)
    y, fn = Scale.apply_with(a, x)
    assert isinstance(y, Tensor) and y.dtype == np.float32
    assert isinstance(fn.parents[1], Tensor) and not fn.parents[1].requires_grad
    np.testing.assert_array_equal(fn.parents[1].numpy(), x)
    y.backward(np.ones(3, dtype=np.float32))
    np.testing.assert_array_equal(a.grad, x)


@pytest.mark.parametrize("bad", [None, "x", b"x"])
def test_none_and_strings_are_refused_naming_the_function_before_any_work(bad):
    before = Scale.calls
    with pytest.raises(ArgumentTypeError) as info:
        Scale.apply(Tensor(np.ones(2)), bad)
    assert str(info.value) == (f"Scale: inputs must be Tensors or arrays, got {type(bad).__name__}")
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert Scale.calls == before  # refused before the forward


def test_each_apply_gets_a_fresh_instance():
    a = Tensor(np.ones(2), requires_grad=True)
    y1, f1 = Scale.apply_with(a, a, s=1.0)
    y2, f2 = Scale.apply_with(a, a, s=2.0)
    assert f1 is not f2 and (f1.s, f2.s) == (1.0, 2.0)
    (y1 + y2).backward(np.ones(2))
    np.testing.assert_array_equal(a.grad, [6.0, 6.0])  # d/da (a^2 + 2 a^2) = 6a


UNBROADCAST = [
    ((2, 3, 4), (3, 1)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (1, 3, 4)),
    ((5, 1, 4), (1, 1)),
    ((3, 4), ()),
    ((2, 1, 3), (2, 1, 3)),
]


@pytest.mark.parametrize("grad_shape, shape", UNBROADCAST, ids=[str(c) for c in UNBROADCAST])
def test_unbroadcast_is_pytorchs_sum_to_size(grad_shape, shape):
    g = np.random.default_rng(0).standard_normal(grad_shape)
    ours = unbroadcast(g, shape)
    theirs = torch.tensor(g).sum_to_size(shape).numpy()
    assert ours.shape == shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-13)


def test_unbroadcast_hand_worked_and_a_matching_shape_is_the_same_array():
    g = np.ones((2, 3, 4))
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), np.full((3, 1), 8.0))  # 2 * 4 each
    assert unbroadcast(g, (2, 3, 4)) is g
