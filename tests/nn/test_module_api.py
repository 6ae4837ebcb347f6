"""Module.apply, zero_grad(set_to_none=...), requires_grad_ and Tensor.data's dtype rule,
against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convprop
from convprop import Tensor, nn


def _model(lib):  # type: ignore[no-untyped-def]
    return lib.Sequential(lib.Linear(3, 4), lib.ReLU(), lib.Sequential(lib.Linear(4, 2)))


def test_apply_visits_children_first_then_the_module_as_pytorch():
    seen = {}
    for lib in (nn, torch.nn):
        order: list[str] = []
        _model(lib).apply(lambda m, order=order: order.append(type(m).__name__))
        seen[lib.__name__] = order
    assert seen["convprop.nn"] == seen["torch.nn"]

    def init(m):  # type: ignore[no-untyped-def]
        if isinstance(m, nn.Linear):
            m.weight.data.fill_(0.5)

    model = _model(nn).apply(init)
    assert np.all(model[0].weight.array == 0.5) and np.all(model[2][0].weight.array == 0.5)


def test_zero_grad_sets_to_none_or_zeroes_in_place():
    for lib, make in ((nn, Tensor), (torch.nn, torch.tensor)):
        model = _model(lib)
        model(make(np.ones((2, 3), np.float32))).sum().backward()
        grad = model[0].weight.grad
        model.zero_grad(set_to_none=False)
        assert model[0].weight.grad is grad and not np.asarray(grad).any()
        model.zero_grad()
        assert model[0].weight.grad is None


def test_requires_grad_freezes_every_parameter():
    model = _model(nn).requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    y = model(Tensor(np.ones((1, 3), np.float32)))
    assert y.requires_grad is False


def test_to_reads_positional_flags_and_refuses_two_dtypes_as_pytorch():
    t = convprop.tensor([1.0, 2.0])
    assert t.to(convprop.float32, False, True) is not t  # (dtype, non_blocking, copy)
    assert torch.tensor([1.0]).to(torch.float32, False, True) is not None
    with pytest.raises(ValueError, match="received two dtypes"):
        t.to(convprop.float64, convprop.int32)


def test_data_of_a_tensor_that_requires_grad_stays_floating():
    w = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match="must be floating point"):
        w.data = Tensor(np.array([1, 2]))
