"""In-place operations (inplace.py) against PyTorch: the same values, the same gradients,
and PyTorch's refusal for a leaf that requires grad."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convprop import Tensor, no_grad


def _both(a):  # type: ignore[no-untyped-def]
    a = np.asarray(a, dtype=np.float64)
    return Tensor(a.copy()), torch.tensor(a.copy())


OUT_OF_GRAPH = {
    "+=": lambda t, o: t.__iadd__(o),
    "-=": lambda t, o: t.__isub__(o),
    "*=": lambda t, o: t.__imul__(o),
    "/=": lambda t, o: t.__itruediv__(o),
    "add_ alpha": lambda t, o: t.add_(o, alpha=0.5),
    "sub_ alpha": lambda t, o: t.sub_(o, alpha=2.0),
    "mul_": lambda t, o: t.mul_(o),
    "div_": lambda t, o: t.div_(o),
    "copy_": lambda t, o: t.copy_(o),
    "clamp_": lambda t, o: t.clamp_(min=-0.5, max=0.5),
    "fill_": lambda t, o: t.fill_(1.5),
    "zero_": lambda t, o: t.zero_(),
    "setitem": lambda t, o: t.__setitem__((slice(None), 1), 7.0),
}


@pytest.mark.parametrize("name", OUT_OF_GRAPH)
def test_outside_the_graph_the_storage_is_written_as_pytorch_writes_it(name):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4) + 3.0
    ours, theirs = _both(a)
    alias = ours.data  # shares the storage: sees the change
    result = OUT_OF_GRAPH[name](ours, Tensor(b))
    OUT_OF_GRAPH[name](theirs, torch.tensor(b))
    assert result is (None if name == "setitem" else ours)
    np.testing.assert_array_equal(ours.array, theirs.numpy())
    np.testing.assert_array_equal(alias.array, theirs.numpy())


def test_a_handwritten_sgd_loop_trains_the_weights_as_pytorch():
    """`w -= lr * w.grad` under no_grad, then `w.grad.zero_()`: before, the -= rebound the
    name to a new tensor and the weights never changed."""
    rng = np.random.default_rng(1)
    x, y, w0 = rng.standard_normal((8, 3)), rng.standard_normal(8), rng.standard_normal(3)
    ws = []
    for lib, make in (("ours", Tensor), ("torch", torch.tensor)):
        w = make(w0.copy(), requires_grad=True)
        start = w
        for _ in range(3):
            loss = ((make(x) @ w - make(y)) ** 2).mean()
            loss.backward()
            with no_grad() if lib == "ours" else torch.no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
        assert w is start  # the same leaf, updated in place
        ws.append(np.asarray(w.detach()))
    np.testing.assert_allclose(ws[0], ws[1], rtol=1e-12)
    assert not np.allclose(ws[0], w0)


def test_a_leaf_that_requires_grad_is_refused_with_pytorchs_words():
    theirs = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        theirs += 1
    ours = Tensor(np.ones(2), requires_grad=True)
    for change in (lambda t: t.__iadd__(1), lambda t: t.zero_(), lambda t: t.__setitem__(0, 2)):
        with pytest.raises(ValueError, match="a leaf Variable that requires grad is being used"):
            change(ours)
    np.testing.assert_array_equal(ours.array, 1.0)  # untouched


IN_GRAPH = {
    "residual +=": lambda y, v: y.__iadd__(v),
    "*=": lambda y, v: y.__imul__(v),
    "sub_ alpha": lambda y, v: y.sub_(v, alpha=3.0),
    "clamp_": lambda y, v: y.clamp_(min=-1.0, max=1.0),
    "copy_": lambda y, v: y.copy_(v),
    "setitem": lambda y, v: y.__setitem__(1, v[0]),
    "fill_": lambda y, v: y.fill_(2.0),
}


@pytest.mark.parametrize("name", IN_GRAPH)
def test_inside_the_graph_the_gradients_are_pytorchs(name):
    rng = np.random.default_rng(2)
    x0, v0, g = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((3, 4))
    grads = []
    for make in (Tensor, torch.tensor):
        x, v = make(x0.copy(), requires_grad=True), make(v0.copy(), requires_grad=True)
        y = x * 2.0  # made by an operation: inside the graph
        IN_GRAPH[name](y, v)
        y.backward(make(g))
        grads.append([np.zeros_like(x0) if t.grad is None else np.asarray(t.grad) for t in (x, v)])
        if make is Tensor:
            ours_y = y.array.copy()
        else:
            np.testing.assert_allclose(ours_y, y.detach().numpy(), rtol=1e-12)
    for ours, theirs in zip(*grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_changing_a_tensor_the_graph_has_read_is_refused():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x * 2
    z = y.exp()  # reads y
    with pytest.raises(ValueError, match="already read by an operation recorded for backward"):
        y += 1
    z.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), 2 * np.exp(2.0))


def test_a_float_into_an_integer_tensor_is_refused():
    counts = Tensor(np.array([1, 2]))
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).__iadd__(0.5)
    with pytest.raises(ValueError, match=r"\+=: .*tensor \(2,\) int64"):
        counts += 0.5
    counts += 2  # an integer is fine
    np.testing.assert_array_equal(counts.array, [3, 4])


def test_requires_grad_is_pytorchs():
    t = Tensor(np.zeros(2))
    assert t.requires_grad_() is t and t.requires_grad
    y = t * 2
    with pytest.raises(ValueError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    with pytest.raises(ValueError, match="only floating tensors"):
        Tensor(np.array([1, 2])).requires_grad_()


def test_a_saved_tensor_changed_in_place_is_refused_at_backward_as_pytorch():
    """Outside the graph the write goes to the storage; the graph noted its version."""
    for change in ("input", "leaf under no_grad", "output under no_grad"):
        for lib in ("ours", "torch"):
            make = Tensor if lib == "ours" else torch.tensor
            w = make(np.array([1.0, 2.0]), requires_grad=True)
            x = make(np.array([3.0, 4.0]))
            if change == "input":
                y = (w * x).sum()
                x += 10
            elif change == "leaf under no_grad":
                y = (w * w).sum()
                with no_grad() if lib == "ours" else torch.no_grad():
                    w -= 1
            else:
                h = w.exp()
                y = h.sum()
                with no_grad() if lib == "ours" else torch.no_grad():
                    h += 1
            error = ValueError if lib == "ours" else RuntimeError
            with pytest.raises(error, match="modified by an inplace operation"):
                y.backward()


def test_h_plus_equals_h_uses_the_value_before_the_change():
    grads = []
    for make in (Tensor, torch.tensor):
        w = make(np.array([1.0, 2.0]), requires_grad=True)
        h = w * 1
        h += h
        h.sum().backward()
        grads.append(np.asarray(w.grad))
    np.testing.assert_array_equal(grads[0], grads[1])


def test_what_the_graph_path_cannot_record_is_refused():
    w = Tensor(np.ones(3), requires_grad=True)
    h = w * 1
    with pytest.raises(ValueError, match=r"doesn't match the broadcast shape"):
        h += Tensor(np.ones((2, 3)))
    counts = Tensor(np.array([1, 2]))
    with pytest.raises(ValueError, match="only floating tensors"):
        counts += Tensor(np.array([0.5, 0.5]), requires_grad=True)
    v = (w * 1).reshape(3, 1)  # a view of the product's memory
    with pytest.raises(ValueError, match="is a view of another tensor's memory"):
        v *= 3


def test_fill_inside_the_graph_passes_no_nan_from_the_old_values():
    results = []
    for make in (Tensor, torch.tensor):
        w = make(np.array([0.0, 1.0]), requires_grad=True)
        with np.errstate(divide="ignore"):
            h = w.log()  # -inf at 0
        h.fill_(2.0)
        with np.errstate(invalid="ignore"):  # log's backward: 0 / 0 at w = 0, as PyTorch's NaN
            h.sum().backward()
        results.append((np.asarray(h.detach()), np.asarray(w.grad)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_tensor_indices_inside_tuples_keep_their_axis():
    a = np.arange(6.0).reshape(3, 2)
    ours = Tensor(a)[Tensor(np.array([1])), :]
    assert ours.shape == tuple(torch.tensor(a)[torch.tensor([1]), :].shape) == (1, 2)


def test_numpy_refuses_a_tensor_that_requires_grad():
    w = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"Use tensor\.detach\(\)\.numpy\(\) instead"):
        np.exp(w)
    assert np.asarray(w.detach()).shape == (2,)
