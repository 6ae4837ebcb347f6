"""ELU, GELU, SiLU, Hardtanh, Softmax and LogSoftmax (modules and F twins) and sort/topk,
against PyTorch: values and gradients in float64."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import convprop
from convprop import nn
from convprop.nn import functional as F

CASES = {
    "ELU": lambda lib: lib.ELU(),
    "ELU alpha": lambda lib: lib.ELU(alpha=0.5),
    "GELU": lambda lib: lib.GELU(),
    "GELU tanh": lambda lib: lib.GELU(approximate="tanh"),
    "SiLU": lambda lib: lib.SiLU(),
    "Hardtanh": lambda lib: lib.Hardtanh(),
    "Hardtanh bounds": lambda lib: lib.Hardtanh(-0.5, 2.0),
    "Softmax dim": lambda lib: lib.Softmax(dim=1),
    "Softmax implicit": lambda lib: lib.Softmax(),
    "LogSoftmax implicit": lambda lib: lib.LogSoftmax(),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("shape", [(6,), (2, 5), (2, 3, 4), (2, 3, 2, 2)])
def test_activation_modules_match_pytorch(name, shape):
    if name == "Softmax dim" and len(shape) == 1:  # no axis 1: both refuse
        with pytest.raises(IndexError):
            torch.nn.Softmax(dim=1)(torch.ones(shape))
        with pytest.raises(ValueError, match="Dimension out of range"):
            nn.Softmax(dim=1)(convprop.ones(shape))
        return
    x0 = np.random.default_rng(0).standard_normal(shape) * 3
    x0.flat[0] = 1.0  # a Hardtanh bound exactly
    results = []
    for lib, make in ((nn, convprop.tensor), (torch.nn, torch.tensor)):
        x = make(x0.copy(), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's implicit-dim warning
            y = CASES[name](lib)(x)
        g = np.linspace(-1, 1, x0.size).reshape(shape)
        y.backward(make(g))
        results.append((np.asarray(y.detach()), np.asarray(x.grad)))
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_functional_twins_and_refusals():
    x = convprop.tensor(np.linspace(-3, 3, 7))
    t = torch.tensor(np.linspace(-3, 3, 7))
    tf = torch.nn.functional
    for ours, theirs in [
        (F.elu(x, 0.3), tf.elu(t, 0.3)),
        (F.gelu(x, approximate="tanh"), tf.gelu(t, approximate="tanh")),
        (F.silu(x), tf.silu(t)),
        (F.hardtanh(x, -2.0, 2.0), tf.hardtanh(t, -2.0, 2.0)),
    ]:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU(approximate="fast")
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        nn.Hardtanh(2.0, 1.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, t: m.sort(t),
        lambda m, t: t.sort(dim=0, descending=True),
        lambda m, t: m.topk(t, 2),
        lambda m, t: t.topk(2, dim=0, largest=False),
    ],
)
def test_sort_and_topk_match_pytorch(call):
    a = np.random.default_rng(1).standard_normal((3, 5))
    results = []
    for m in (convprop, torch):
        x = m.tensor(a, requires_grad=True)
        values, indices = call(m, x)
        g = np.arange(float(np.prod(values.shape))).reshape(tuple(values.shape))
        values.backward(m.tensor(g))
        results.append((np.asarray(values.detach()), np.asarray(indices), np.asarray(x.grad)))
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError, match=r"topk: k \(6\) out of range"):
        convprop.tensor(a).topk(6)
