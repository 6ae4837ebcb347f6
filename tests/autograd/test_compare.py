"""Comparisons return bool Tensors, as in PyTorch (compare.py)."""

from __future__ import annotations

import operator

import numpy as np
import pytest
import torch

from convprop import Tensor

OPERATORS = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]
METHODS = ["eq", "ne", "lt", "le", "gt", "ge"]


def _operands(rng):  # type: ignore[no-untyped-def]
    a = rng.integers(-2, 3, (3, 4)).astype(np.float64)
    return a, [
        rng.integers(-2, 3, (3, 4)).astype(np.float64),  # same shape
        rng.integers(-2, 3, (4,)).astype(np.float64),  # broadcast
        1.0,  # a number
    ]


@pytest.mark.parametrize("compare", OPERATORS, ids=lambda f: f.__name__)
def test_operators_give_the_bool_tensors_pytorch_gives(compare):
    rng = np.random.default_rng(0)
    a, others = _operands(rng)
    for b in others:
        ours = compare(Tensor(a, requires_grad=True), Tensor(b) if isinstance(b, np.ndarray) else b)
        theirs = compare(torch.tensor(a), torch.tensor(b) if isinstance(b, np.ndarray) else b)
        assert isinstance(ours, Tensor) and ours.dtype == np.bool_
        assert ours.requires_grad is False
        np.testing.assert_array_equal(ours.array, theirs.numpy())


@pytest.mark.parametrize("name", METHODS)
def test_methods_equal_pytorchs(name):
    rng = np.random.default_rng(1)
    a, others = _operands(rng)
    for b in others:
        ours = getattr(Tensor(a), name)(Tensor(b) if isinstance(b, np.ndarray) else b)
        theirs = getattr(torch.tensor(a), name)(torch.tensor(b) if isinstance(b, np.ndarray) else b)
        np.testing.assert_array_equal(ours.array, theirs.numpy())


def test_counting_correct_predictions_as_scripts_do():
    """`(pred == target).sum().item()`: before, == fell back to identity and counted 0."""
    rng = np.random.default_rng(2)
    logits, target = rng.standard_normal((32, 10)), rng.integers(0, 10, 32)
    ours = (Tensor(logits).argmax(dim=1) == Tensor(target)).sum().item()
    theirs = (torch.tensor(logits).argmax(dim=1) == torch.tensor(target)).sum().item()
    assert ours == theirs and ours > 0
    assert (
        Tensor(logits).argmax(1, keepdim=True).eq(Tensor(target).reshape(-1, 1))
    ).sum().item() == theirs


def test_none_and_identity():
    t = Tensor(np.ones(2))
    assert (t == None) is False and (t != None) is True  # noqa: E711  (PyTorch's answers)
    assert {t: 1}[t] == 1 and t in {t}  # hashable by identity, as PyTorch's tensors


def test_shapes_that_do_not_broadcast_are_refused_naming_the_comparison():
    with pytest.raises(ValueError, match=r"lt: cannot compare a tensor \(3,\) with \(4,\)"):
        _ = Tensor(np.ones(3)) < Tensor(np.ones(4))
