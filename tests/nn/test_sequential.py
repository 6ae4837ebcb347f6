"""nn.Sequential runs a Conv followed by a ReLU as one op (nn/sequential.py): the same
values as the two modules one after the other, and the same gradients."""

from __future__ import annotations

import numpy as np
import pytest

from convprop import Tensor, gradcheck, nn
from convprop.functions import activation

from ..helpers import TOLERANCE, set_jit


def _layers(dims: int, padding_mode: str = "zeros", bias: bool = True) -> list[nn.Module]:
    conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[dims]
    return [
        conv(3, 4, 3, padding=1, padding_mode=padding_mode, bias=bias),
        nn.ReLU(),
        conv(4, 2, 2, stride=2, bias=bias),
        nn.ReLU(),
    ]


def _run(model, x: np.ndarray, step):  # type: ignore[no-untyped-def]
    """(output, dL/dx, every parameter's gradient) with L = sum(output * weights)."""
    for p in model.parameters():
        p.grad = None
    xt = Tensor(x, requires_grad=True)
    y = step(model, xt)
    weights = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
    (y * Tensor(weights)).sum().backward()
    return y.array, xt.grad, [p.grad for p in model.parameters()]


def _one_by_one(model, x):  # type: ignore[no-untyped-def]
    for m in model:
        x = m(x)
    return x


@pytest.mark.parametrize("jit_on", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "dims, padding_mode, bias",
    [
        (2, "zeros", True),
        (2, "reflect", True),
        (2, "zeros", False),
        (1, "zeros", True),
        (3, "circular", True),
    ],
)
def test_conv_then_relu_equals_the_two_modules(
    monkeypatch, jit_on, dtype, dims, padding_mode, bias
):
    set_jit(monkeypatch, jit_on)
    model = nn.Sequential(*_layers(dims, padding_mode, bias)).to(dtype)
    x = np.random.default_rng(0).standard_normal((2, 3, *(6,) * dims)).astype(dtype)
    fused = _run(model, x, lambda m, t: m(t))
    separate = _run(model, x, _one_by_one)
    assert fused[0].tobytes() == separate[0].tobytes()  # the forward, bit for bit
    for got, want in zip([fused[1], *fused[2]], [separate[1], *separate[2]], strict=True):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=TOLERANCE[np.dtype(dtype)], atol=1e-6)


def test_the_pair_runs_as_one_op(monkeypatch):
    """No ReLU op of its own runs for a Conv + ReLU pair; a lone ReLU still runs one."""
    calls = []
    forward = activation.ReLU.forward

    def counted(self, x):  # type: ignore[no-untyped-def]
        calls.append(x.shape)
        return forward(self, x)

    monkeypatch.setattr(activation.ReLU, "forward", counted)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.ReLU())
    y = model(Tensor(np.ones((1, 1, 5, 5), np.float32)))
    assert y.shape == (1, 18) and calls == [(1, 18)]


def test_a_replaced_forward_is_honoured():
    """A subclass, or an instance whose forward was replaced, runs its own forward."""

    class Shifted(nn.Conv2d):
        def forward(self, x):  # type: ignore[no-untyped-def]
            return super().forward(x) - 100.0

    x = Tensor(np.ones((1, 1, 4, 4), np.float32))
    shifted = nn.Sequential(Shifted(1, 1, 3), nn.ReLU())
    assert np.all(shifted(x).array == 0)  # every output pushed below zero, then ReLU

    conv, relu = nn.Conv2d(1, 1, 3), nn.ReLU()
    relu.forward = lambda t: t * 0 + 7.0  # type: ignore[method-assign]
    assert np.all(nn.Sequential(conv, relu)(x).array == 7.0)


def test_gradcheck_through_the_fused_pair():
    """dL/dx, dL/dW and dL/db of the pair against central differences (float64): the
    weight and bias are fed in as the Conv's parameters."""
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU()).double()
    conv = model[0]

    def f(x, w, b):  # type: ignore[no-untyped-def]
        conv.weight, conv.bias = w, b
        return model(x)

    rng = np.random.default_rng(3)
    arrays = (
        rng.standard_normal((2, 2, 5, 5)),
        rng.standard_normal((3, 2, 3, 3)),
        rng.standard_normal(3),
    )
    assert gradcheck(f, [Tensor(a, requires_grad=True) for a in arrays])
