"""autograd/parameter.py: a Parameter is a Tensor that requires a gradient by default,
shows itself as one, and is the class nn and the optimizers know."""

import numpy as np
import pytest

from convprop import nn, optim
from convprop.autograd import Parameter, Tensor


def test_a_parameter_requires_grad_by_default_and_can_be_frozen():
    p = Parameter(np.ones((2, 3)))
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf and p.grad is None
    assert p.shape == (2, 3) and p.dtype == np.float64
    assert not Parameter(np.ones(2), requires_grad=False).requires_grad


def test_its_repr_says_it_is_a_parameter():
    text = repr(Parameter(np.array([1.0, 2.0])))
    assert text.startswith("Parameter containing:\ntensor([1., 2.]")
    assert text.endswith("requires_grad=True)")


def test_it_collects_gradients_through_operations():
    p = Parameter(np.array([1.0, -2.0]))
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad, [2.0, -4.0])


def test_integer_data_cannot_require_a_gradient():
    with pytest.raises(ValueError, match="only floating tensors can require gradients"):
        Parameter(np.arange(3))


def test_nn_parameter_is_the_same_class_and_modules_register_it():
    assert nn.Parameter is Parameter
    layer = nn.Linear(2, 3)
    assert all(isinstance(p, Parameter) for p in layer.parameters())
    assert len(list(layer.parameters())) == 2


def test_optimizers_take_a_frozen_parameter_but_refuse_a_plain_tensor():
    optim.SGD([Parameter(np.ones(2), requires_grad=False)], lr=0.1)  # a Parameter: accepted
    with pytest.raises(ValueError, match="SGD: can only optimise tensors that require grad"):
        optim.SGD([Tensor(np.ones(2))], lr=0.1)
