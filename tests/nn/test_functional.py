"""nn/functional.py: every function against torch.nn.functional (values, gradients), gradcheck."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from convprop import gradcheck, nn
from convprop.autograd import Tensor
from convprop.nn import functional as F

LABELS = np.array([2, 0, 4])

CASES = [
    (
        "conv2d",
        lambda f, x, w, b: f.conv2d(x, w, b, stride=2, padding=1),
        [(2, 3, 7, 6), (4, 3, 3, 3), (4,)],
    ),
    (
        "conv2d groups no bias",
        lambda f, x, w: f.conv2d(x, w, None, 1, "same", 2, 2),
        [(2, 4, 6, 6), (6, 2, 3, 2)],
    ),
    (
        "conv_transpose2d",
        lambda f, x, w, b: f.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        [(2, 3, 4, 5), (3, 2, 3, 3), (2,)],
    ),
    ("max_pool2d", lambda f, x: f.max_pool2d(x, 3, 2, 1, ceil_mode=True), [(2, 3, 7, 6)]),
    ("avg_pool2d", lambda f, x: f.avg_pool2d(x, 3, 2, 1, count_include_pad=False), [(2, 3, 7, 6)]),
    ("relu", lambda f, x: f.relu(x), [(3, 7)]),
    ("leaky_relu", lambda f, x: f.leaky_relu(x, 0.1), [(3, 7)]),
    ("sigmoid", lambda f, x: f.sigmoid(x * 10.0), [(3, 7)]),
    ("tanh", lambda f, x: f.tanh(x), [(3, 7)]),
    ("softmax", lambda f, x: f.softmax(x, dim=1), [(3, 5)]),
    ("log_softmax", lambda f, x: f.log_softmax(x * 100.0, dim=1), [(3, 5)]),
    ("linear", lambda f, x, w, b: f.linear(x, w, b), [(4, 3), (5, 3), (5,)]),
    ("mse_loss", lambda f, x, y: f.mse_loss(x, y), [(3, 4), (3, 4)]),
]


def _torch_version(name, fn):
    return lambda *a: fn(TF, *a)


@pytest.mark.parametrize("name, fn, shapes", CASES, ids=[c[0] for c in CASES])
def test_functional_matches_torch_and_passes_gradcheck(name, fn, shapes):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, yt = fn(F, *ours), fn(TF, *theirs)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda *t: fn(F, *t), [Tensor(a, requires_grad=True) for a in arrays])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_and_nll_match_torch(reduction, label_smoothing):
    x = np.random.default_rng(2).standard_normal((3, 5)) * 30  # large logits: stability
    ours = Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    loss = F.cross_entropy(ours, Tensor(LABELS), reduction, label_smoothing)
    want = TF.cross_entropy(
        theirs, torch.tensor(LABELS), reduction=reduction, label_smoothing=label_smoothing
    )
    np.testing.assert_allclose(loss.numpy(), want.detach().numpy(), rtol=1e-12)
    loss.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    nll = F.nll_loss(F.log_softmax(Tensor(x), 1), Tensor(LABELS), reduction)
    np.testing.assert_allclose(
        nll.numpy(),
        TF.nll_loss(
            TF.log_softmax(torch.tensor(x), 1), torch.tensor(LABELS), reduction=reduction
        ).numpy(),
    )
    assert gradcheck(
        lambda t: F.cross_entropy(t, Tensor(LABELS), reduction, label_smoothing),
        [Tensor(x / 30, requires_grad=True)],
    )


def test_max_pool2d_returns_pytorch_indices():
    x = np.random.default_rng(3).standard_normal((2, 3, 6, 6))
    _, idx = F.max_pool2d(Tensor(x), 2, return_indices=True)
    _, it = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), it.numpy())


def test_dropout_scales_kept_units_and_is_identity_in_eval():
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    y = F.dropout(x, 0.3, training=True, seed=0)
    kept = y.numpy() != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.7)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.7)
    assert F.dropout(x, 0.3, training=False) is x


def test_loss_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"target \(2,\)"):
        F.cross_entropy(Tensor(np.ones((3, 5))), Tensor(np.array([1, 2])))
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        F.cross_entropy(Tensor(np.ones((2, 5))), Tensor(np.array([1, 5])))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(Tensor(np.ones(2)), Tensor(np.ones(2)), "avg")


def test_plain_arrays_are_accepted_as_constant_inputs():
    x = np.random.default_rng(4).standard_normal((1, 2, 5, 5))
    w = Tensor(np.ones((3, 2, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w)  # x as a NumPy array, as torch would need torch.tensor(x)
    y.sum().backward()
    assert y.shape == (1, 3, 3, 3) and w.grad.shape == (3, 2, 3, 3)


@pytest.mark.parametrize("ties", ["first", "split"])
@pytest.mark.parametrize("k, s, p", [(2, 2, 0), (3, 1, 1)])
def test_both_tie_policies_pass_gradcheck_where_there_are_no_ties(ties, k, s, p):
    x = Tensor(np.random.default_rng(5).standard_normal((2, 2, 6, 6)), requires_grad=True)
    assert gradcheck(lambda t: F.max_pool2d(t, k, s, p, ties=ties), [x])


def test_split_ties_share_the_gradient_and_the_module_takes_the_option():
    x = Tensor(np.array([[[[3.0, 3.0], [3.0, 1.0]]]]), requires_grad=True)
    nn.MaxPool2d(2, ties="split")(x).sum().backward()
    np.testing.assert_allclose(x.grad[0, 0], [[1 / 3, 1 / 3], [1 / 3, 0.0]])
    x.grad = None
    nn.MaxPool2d(2)(x).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="ties must be 'first' or 'split'"):
        F.max_pool2d(x, 2, ties="last")
