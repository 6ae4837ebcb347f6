"""autograd/tensor.py: the backward walk, accumulation, no_grad, detach, dtypes."""

import numpy as np
import pytest

from convprop.autograd import Tensor, is_grad_enabled, no_grad


def test_python_floats_default_to_float32_and_arrays_keep_their_dtype():
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor([1, 2]).dtype == np.int64
    assert Tensor(np.zeros(2)).dtype == np.float64
    assert (
        Tensor(np.ones(2, np.float32)) * 2.5
    ).dtype == np.float32  # scalars take the tensor's dtype


def test_diamond_graph_sums_both_paths():
    x = Tensor(np.array([3.0]), requires_grad=True)
    a, b = x * 2.0, x * x  # y = 2x * x^2 = 2x^3, dy/dx = 6x^2 = 54
    (a * b).sum().backward()
    np.testing.assert_allclose(x.grad, [54.0])


def test_gradients_accumulate_across_backward_calls():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 6.0])


def test_deep_graph_needs_no_recursion():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0])


def test_no_grad_records_nothing_and_restores():
    x = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2.0
    assert is_grad_enabled() and not y.requires_grad and y.is_leaf

    @no_grad()
    def double(t):
        return t * 2.0

    assert not double(x).requires_grad


def test_detach_cuts_the_graph():
    x = Tensor(np.ones(2), requires_grad=True)
    d = (x * 2.0).detach()
    assert not d.requires_grad and d.is_leaf
    np.testing.assert_array_equal(d.numpy(), [2.0, 2.0])


def test_backward_errors():
    with pytest.raises(ValueError, match="does not require grad"):
        Tensor(np.ones(2)).backward()
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="one element"):
        (x * 2.0).backward()
    with pytest.raises(ValueError, match="shape"):
        (x * 2.0).backward(np.ones(3))
    with pytest.raises(ValueError, match="floating"):
        Tensor([1, 2], requires_grad=True)


def test_only_leaves_that_require_grad_get_grad():
    x = Tensor(np.ones(2), requires_grad=True)
    c = Tensor(np.ones(2))
    h = x * c
    (h * 2.0).sum().backward()
    assert c.grad is None and h.grad is None
    np.testing.assert_allclose(x.grad, [2.0, 2.0])
