"""Making tensors (creation.py), the top-level tensor functions (tensor_ops.py), the new
Tensor methods (autograd/reductions.py) and grad mode (autograd/grad_mode.py), each
against PyTorch."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

import convprop as cp
from convprop import Tensor


def _dtype_name(t):  # type: ignore[no-untyped-def]
    return str(t.dtype).removeprefix("torch.")


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.tensor([1.5, 2.0]),
        lambda m: m.tensor([1, 2]),
        lambda m: m.tensor(True),
        lambda m: m.tensor(np.array([1.0, 2.0])),
        lambda m: m.zeros(2, 3),
        lambda m: m.ones((2, 3)),
        lambda m: m.full((2, 2), 7),
        lambda m: m.full((2, 2), 7.5),
        lambda m: m.arange(5),
        lambda m: m.arange(1, 7, 2),
        lambda m: m.arange(0, 1, 0.25),
        lambda m: m.linspace(0, 1, 5),
        lambda m: m.eye(3),
        lambda m: m.eye(2, 4),
        lambda m: m.zeros(3, dtype=m.float64),
        lambda m: m.zeros_like(m.ones(2, 3, dtype=m.float64)),
        lambda m: m.ones_like(m.tensor([1, 2])),
        lambda m: m.full_like(m.zeros(3), 2),
    ],
)
def test_made_tensors_have_pytorchs_values_shapes_and_dtypes(make):
    ours, theirs = make(cp), make(torch)
    assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype) == _dtype_name(theirs)
    np.testing.assert_array_equal(ours.array, theirs.numpy())


def test_empty_has_pytorchs_shape_and_dtype_and_holds_zeros():
    ours, theirs = cp.empty([4, 2]), torch.empty([4, 2])
    assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype) == _dtype_name(theirs)
    assert not ours.array.any()  # zero-filled: never what the memory held before


def test_random_tensors_have_pytorchs_shapes_dtypes_and_ranges_and_follow_the_seed():
    for name, args in [("rand", (3, 4)), ("randn", (3, 4)), ("randperm", (6,))]:
        ours, theirs = getattr(cp, name)(*args), getattr(torch, name)(*args)
        assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype) == _dtype_name(theirs)
    ints = cp.randint(3, 9, (1000,))
    assert ints.dtype == cp.int64 and ints.array.min() == 3 and ints.array.max() == 8
    assert cp.randint(5, (2, 2)).shape == (2, 2)
    assert sorted(cp.randperm(6).tolist()) == list(range(6))
    cp.manual_seed(0)
    first = cp.randn(5).array.copy()
    cp.manual_seed(0)
    np.testing.assert_array_equal(cp.randn(5).array, first)
    g = cp.Generator().manual_seed(1)
    assert cp.rand(3, generator=g).array.tolist() != cp.rand(3, generator=g).array.tolist()
    assert cp.randn(2, requires_grad=True).requires_grad


def test_from_numpy_and_as_tensor_share_memory_and_tensor_copies():
    a = np.arange(3.0)
    shared, also, copied = cp.from_numpy(a), cp.as_tensor(a), cp.tensor(a)
    a[0] = 9.0
    assert shared.array[0] == also.array[0] == 9.0 and copied.array[0] == 0.0
    with pytest.raises(ValueError, match=r"from_numpy: expected np\.ndarray"):
        cp.from_numpy([1, 2])


JOINS = {
    "cat 0": lambda m, a, b: m.cat([a, b]),
    "cat 1": lambda m, a, b: m.cat((a, b), dim=1),
    "cat -1": lambda m, a, b: m.cat([a, b], -1),
    "stack 0": lambda m, a, b: m.stack([a, b]),
    "stack 2": lambda m, a, b: m.stack([a, b], dim=2),
    "where": lambda m, a, b: m.where(a > 0, a, b),
    "where scalar": lambda m, a, b: m.where(a > 0, a, 0.5),
}


@pytest.mark.parametrize("name", JOINS)
def test_joins_match_pytorch_forward_and_backward(name):
    rng = np.random.default_rng(0)
    a0, b0 = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    results = []
    for m in (cp, torch):
        a, b = m.tensor(a0, requires_grad=True), m.tensor(b0, requires_grad=True)
        y = JOINS[name](m, a, b)
        g = np.arange(np.prod(y.shape), dtype=np.float64).reshape(tuple(y.shape))
        y.backward(m.tensor(g))
        grads = [np.zeros_like(a0) if t.grad is None else np.asarray(t.grad) for t in (a, b)]
        results.append((np.asarray(y.detach()), *grads))
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


FUNCTIONS = {
    "squeeze": lambda m, x: m.squeeze(x.reshape(1, 3, 1, 4)),
    "squeeze dim": lambda m, x: x.reshape(1, 3, 1, 4).squeeze(2),
    "unsqueeze": lambda m, x: m.unsqueeze(x, 1),
    "unsqueeze -1": lambda m, x: x.unsqueeze(-1),
    "view_as": lambda m, x: x.view_as(m.zeros(4, 3, dtype=m.float64)),
    "flatten": lambda m, x: m.flatten(x),
    "transpose": lambda m, x: m.transpose(x, 0, 1),
    "permute": lambda m, x: m.permute(x, (1, 0)),
    "matmul": lambda m, x: m.matmul(x, x.T),
    "exp": lambda m, x: m.exp(x),
    "sigmoid": lambda m, x: m.sigmoid(x),
    "tanh": lambda m, x: x.tanh(),
    "clamp": lambda m, x: m.clamp(x, min=-0.5, max=0.5),
    "clip": lambda m, x: x.clip(max=0.2),
    "sqrt": lambda m, x: m.sqrt(x * x + 1),
    "max dim": lambda m, x: m.max(x, 1).values,
    "min": lambda m, x: m.min(x),
    "min dim": lambda m, x: x.min(0, keepdim=True)[0],
    "sum dim": lambda m, x: m.sum(x, 1),
    "mean": lambda m, x: m.mean(x),
    "std": lambda m, x: m.std(x),
    "std dim": lambda m, x: x.std(1, keepdim=True),
    "var biased": lambda m, x: m.var(x, 0, correction=0),
    "var unbiased=False": lambda m, x: x.var(unbiased=False),
    "norm": lambda m, x: m.norm(x),
    "norm dim": lambda m, x: x.norm(dim=1),
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_functions_and_methods_match_pytorch_forward_and_backward(name):
    x0 = np.random.default_rng(1).standard_normal((3, 4))
    results = []
    for m in (cp, torch):
        x = m.tensor(x0, requires_grad=True)
        y = FUNCTIONS[name](m, x)
        g = np.linspace(-1, 1, int(np.prod(y.shape))).reshape(tuple(y.shape))
        y.backward(m.tensor(g))
        results.append((np.asarray(y.detach()), np.asarray(x.grad)))
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


def test_indices_and_refusals_are_pytorchs():
    x = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, 4.0]])
    for f in (lambda m, t: m.argmin(t, 1), lambda m, t: m.argmax(t), lambda m, t: t.min(1).indices):
        np.testing.assert_array_equal(f(cp, cp.tensor(x)).array, f(torch, torch.tensor(x)).numpy())
    with pytest.raises(ValueError, match="cat: Sizes of tensors must match except in dimension 0"):
        cp.cat([cp.zeros(2, 3), cp.zeros(2, 4)])
    with pytest.raises(ValueError, match="stack: expects each tensor to be equal size"):
        cp.stack([cp.zeros(2), cp.zeros(3)])
    with pytest.raises(ValueError, match="Dimension out of range"):
        cp.zeros(2, 3).unsqueeze(3)
    with pytest.raises(ValueError, match="where: expected condition to be a boolean tensor"):
        cp.where(cp.ones(2), cp.ones(2), cp.zeros(2))


def test_grad_mode_managers_nest_decorate_and_stay_in_their_thread():
    x = Tensor(np.ones(2), requires_grad=True)
    with cp.no_grad():
        assert not (x * 2).requires_grad
        with cp.enable_grad():
            assert (x * 2).requires_grad
        with cp.set_grad_enabled(True):
            assert cp.is_grad_enabled()
        assert not cp.is_grad_enabled()
    with cp.inference_mode():
        assert not cp.is_grad_enabled()
    with cp.inference_mode(False):
        assert cp.is_grad_enabled()
    cp.set_grad_enabled(False)
    assert not cp.is_grad_enabled()
    cp.set_grad_enabled(True)

    @cp.no_grad()
    def depth(n):  # type: ignore[no-untyped-def]
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(5) == 5 and cp.is_grad_enabled()  # one instance, recursive: restored

    seen = []
    inside, leave = threading.Event(), threading.Event()

    def other():  # type: ignore[no-untyped-def]
        with cp.no_grad():
            inside.set()
            leave.wait(5)

    worker = threading.Thread(target=other)
    worker.start()
    inside.wait(5)
    seen.append((x * 2).requires_grad)  # this thread still records
    leave.set()
    worker.join()
    assert seen == [True]
