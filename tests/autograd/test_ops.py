"""autograd/ops.py: every operation against PyTorch and through gradcheck (float64)."""

import numpy as np
import pytest
import torch

from convprop import gradcheck
from convprop.autograd import Tensor

# (name, fn applied identically to convprop and torch tensors, input shapes)
UNARY_AND_BINARY = [
    ("add broadcast", lambda a, b: a + b, [(3, 1, 4), (2, 4)]),
    ("sub broadcast", lambda a, b: a - b, [(3, 4), (4,)]),
    ("mul broadcast", lambda a, b: a * b, [(2, 3, 4), (3, 1)]),
    ("div broadcast", lambda a, b: a / (b * b + 1.0), [(3, 4), (1, 4)]),
    ("scalar ops", lambda a: 2.0 - a * 3.0 + 1.0 / (a * a + 2.0), [(3, 2)]),
    ("matmul", lambda a, b: a @ b, [(3, 4), (4, 5)]),
    ("batched matmul broadcast", lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
    ("neg pow", lambda a: -((a * a + 1.0) ** 1.5), [(3, 3)]),
    ("exp log", lambda a: (a.exp() + 1.0).log(), [(4,)]),
    ("sum axis", lambda a: a.sum(1), [(2, 3, 4)]),
    ("sum keepdim tuple", lambda a: a.sum((0, 2), keepdim=True), [(2, 3, 4)]),
    ("mean", lambda a: a.mean(-1), [(2, 5)]),
    ("max axis", lambda a: a.max(1).values, [(3, 5)]),
    ("amax axes", lambda a: a.amax((0, 2)), [(3, 5, 2)]),
    ("reshape", lambda a: a.reshape(4, 6) * 2.0, [(2, 3, 4)]),
    ("permute", lambda a: a.permute(2, 0, 1) * 1.0, [(2, 3, 4)]),
    ("transpose", lambda a: a.transpose(0, 2) * 1.0, [(2, 3, 4)]),
    ("slice", lambda a: a[1:, ::2] * 1.0, [(3, 5)]),
    ("flatten", lambda a: a.flatten(1) * 1.0, [(2, 3, 4)]),
]


@pytest.mark.parametrize("name, fn, shapes", UNARY_AND_BINARY, ids=[c[0] for c in UNARY_AND_BINARY])
def test_op_matches_torch_and_passes_gradcheck(name, fn, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, yt = fn(*ours), fn(*theirs)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert gradcheck(fn, [Tensor(a, requires_grad=True) for a in arrays])


def test_integer_index_repeats_accumulate():
    x = Tensor(np.arange(4.0), requires_grad=True)
    x[np.array([0, 0, 3])].sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 0.0, 1.0])


def test_amax_shares_the_gradient_between_ties_and_max_gives_it_to_the_first():
    x = Tensor(np.array([[1.0, 3.0, 3.0]]), requires_grad=True)
    x.amax(1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5]])
    x.grad = None
    values, indices = x.max(1)
    values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(indices.numpy(), [1])


def test_matmul_shape_errors():
    with pytest.raises(ValueError, match="inner dimensions"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))


def test_relu_sends_no_gradient_where_it_was_off_even_an_infinite_one():
    from convprop.nn import functional as F

    x = Tensor(np.array([-1.0, 2.0, 0.0]), requires_grad=True)
    F.relu(x).backward(Tensor(np.array([np.inf, np.inf, 5.0])))
    np.testing.assert_array_equal(x.grad, [0.0, np.inf, 0.0])
