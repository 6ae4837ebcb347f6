"""Tensor.data and Tensor.grad are Tensors, as in PyTorch: .data shares the tensor's storage
outside the graph, .grad accumulates in place; Tensor.array is the ndarray itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convprop import Tensor


def _pair(values):  # type: ignore[no-untyped-def]
    """The same float64 leaf in convprop and PyTorch."""
    a = np.asarray(values, dtype=np.float64)
    return Tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def test_data_is_a_tensor_sharing_storage_outside_the_graph():
    ours, theirs = _pair([1.0, 2.0, 3.0])
    assert isinstance(ours.data, Tensor) and isinstance(theirs.data, torch.Tensor)
    assert ours.data.requires_grad is theirs.data.requires_grad is False
    assert ours.data.grad is None and ours.data.is_leaf
    ours.data.array[1] = 20.0
    theirs.data[1] = 20.0
    np.testing.assert_array_equal(ours.array, theirs.detach().numpy())
    assert ours.data.array is ours.array  # no copy


def test_assigning_data_replaces_the_values_and_refuses_a_non_tensor():
    ours, theirs = _pair([1.0, 2.0])
    ours.data = Tensor(np.array([5.0, 6.0, 7.0]))
    theirs.data = torch.tensor([5.0, 6.0, 7.0], dtype=torch.float64)
    assert ours.shape == tuple(theirs.shape) == (3,)
    np.testing.assert_array_equal(ours.array, theirs.detach().numpy())
    with pytest.raises(TypeError, match=r"Tensor\.data: assigned data must be a Tensor"):
        ours.data = np.zeros(3)  # type: ignore[assignment]


def test_grad_is_a_tensor_that_accumulates_in_place():
    results = []
    for w in _pair([1.0, 2.0, 3.0]):
        (w * w).sum().backward()
        first = w.grad
        (w * 3).sum().backward()
        assert w.grad is first  # accumulated into the same tensor
        results.append(np.asarray(first.detach() if isinstance(first, torch.Tensor) else first))
    np.testing.assert_array_equal(results[0], results[1])  # 2w + 3
    ours, _ = _pair([1.0])
    (ours * 2).sum().backward()
    assert isinstance(ours.grad, Tensor) and ours.grad.requires_grad is False


def test_assigned_grads_must_be_tensors_of_the_same_shape_and_dtype():
    w = Tensor(np.zeros(3), requires_grad=True)
    w.grad = Tensor(np.ones(3))
    np.testing.assert_array_equal(w.grad.array, 1.0)
    with pytest.raises(TypeError, match="expected to be a Tensor or None but got grad of type"):
        w.grad = np.ones(3)  # type: ignore[assignment]
    with pytest.raises(ValueError, match=r"match the tensor's shape and dtype: \(2,\)"):
        w.grad = Tensor(np.ones(2))
    with pytest.raises(ValueError, match="float32 for"):
        w.grad = Tensor(np.ones(3, np.float32))
    w.grad = None
    assert w.grad is None


def test_numpy_conversions_share_storage():
    t = Tensor(np.arange(4.0))
    assert np.asarray(t) is t.array and t.numpy() is t.array
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    copied = np.array(t, copy=True)
    copied[0] = 9.0
    assert t.array[0] == 0.0


@pytest.mark.parametrize("values", [[0.0], [2.5], [[1.0]], [0, 1]])
def test_truth_of_a_tensor_is_pytorchs(values):
    ours, theirs = Tensor(np.array(values)), torch.tensor(values)
    if theirs.numel() == 1:
        assert bool(ours) is bool(theirs)
    else:
        with pytest.raises(RuntimeError, match="ambiguous"):
            bool(theirs)
        with pytest.raises(ValueError, match="Boolean value of Tensor with more than one value"):
            bool(ours)
