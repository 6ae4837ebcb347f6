"""The compiled element-wise kernels (kernels/fused.py) against the NumPy expressions they
replace, bit for bit: ReLU forward and backward, and the SGD and Adam updates."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from convprop import Tensor, nn, optim
from convprop.kernels import fused, jit

pytestmark = pytest.mark.skipif(not jit.enabled(), reason="the compiled kernels are off")

SIZES = (1, 1000, 300_001)


def _awkward(size: int, dtype: type, seed: int) -> np.ndarray:
    """Random values with NaN, +-inf, +-0 and ties at zero mixed in."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(size).astype(dtype)
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=dtype)
    where = rng.integers(0, size, min(size, 50))
    a[where] = specials[where % len(specials)]
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", SIZES)
def test_relu_equals_numpy_maximum(dtype: type, size: int) -> None:
    x = _awkward(size, dtype, 0)
    y = fused.relu(x)
    assert y.dtype == x.dtype
    assert y.tobytes() == np.maximum(x, 0).tobytes()  # NaN kept, -0 -> +0, bit for bit


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", SIZES)
def test_relu_backward_is_a_select(dtype: type, size: int) -> None:
    y = fused.relu(_awkward(size, dtype, 1))
    g = _awkward(size, dtype, 2)  # infinite and NaN gradients where y <= 0 give 0
    expected = np.where(y > 0, g, 0).astype(dtype)
    assert fused.relu_backward(g, y).tobytes() == expected.tobytes()


def test_relu_takes_strided_input() -> None:
    x = _awkward(4 * 6 * 10 * 10, np.float32, 3).reshape(4, 6, 10, 10)[:, ::2, :, 1:]
    assert fused.relu(x).tobytes() == np.maximum(x, 0).tobytes()
    g = np.asfortranarray(_awkward(x.size, np.float32, 4).reshape(x.shape))
    y = fused.relu(x)
    assert fused.relu_backward(g, y).tobytes() == np.where(y > 0, g, 0).tobytes()


def test_relu_module_matches_its_numpy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    x = _awkward(3 * 4 * 5 * 5, np.float32, 5).reshape(3, 4, 5, 5)
    g = _awkward(x.size, np.float32, 6).reshape(x.shape)

    def run() -> tuple[bytes, bytes]:
        t = Tensor(x.copy(), requires_grad=True)
        y = nn.ReLU()(t)
        y.backward(g)
        return y.array.tobytes(), t.grad.array.tobytes()

    compiled = run()
    monkeypatch.setenv(jit.ENVIRONMENT, "0")
    assert run() == compiled


OPTIMIZERS = [
    *(
        (optim.SGD, dict(lr=0.1, momentum=m, dampening=d, weight_decay=w, nesterov=n))
        for m, d, w, n in itertools.product((0.0, 0.9), (0.0, 0.3), (0.0, 0.01), (False, True))
        if not n or (m > 0 and d == 0)
    ),
    *(
        (kind, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=w))
        for kind, w in itertools.product((optim.Adam, optim.AdamW), (0.0, 0.05))
    ),
]


def _train(kind: type, options: dict, dtype: type) -> list[bytes]:
    """Five steps on two parameters with fixed gradients: the parameters and every state array."""
    rng = np.random.default_rng(7)
    params = [Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in (7, (3, 5))]
    opt = kind(params, **options)
    for step in range(5):
        for p in params:
            p.grad = Tensor(rng.standard_normal(p.shape).astype(dtype) * (step + 1))
        opt.step()
    state = [np.asarray(v).tobytes() for s in opt.state.values() for v in s.values()]
    return [p.array.tobytes() for p in params] + state


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("kind", "options"), OPTIMIZERS)
def test_fused_update_equals_numpy_update(
    kind: type, options: dict, dtype: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = _train(kind, options, dtype)
    monkeypatch.setenv(jit.ENVIRONMENT, "0")
    numpy_only = _train(kind, options, dtype)
    assert compiled == numpy_only


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 4), (2, 5, 7), (4, 3, 6, 9), (2, 3, 2, 4, 5), (0, 3, 4)])
def test_bias_grad_is_the_channel_sum_rounded_once(shape, dtype):
    g = (np.random.default_rng(8).standard_normal(shape) * 100).astype(dtype)
    exact = g.astype(np.float64).sum(axis=(0, *range(2, g.ndim)))
    got = fused.bias_grad(g)
    assert got.dtype == g.dtype and got.shape == (shape[1],)
    # within one rounding of the exact sum (float64 sums are exact to ~1e-13 here)
    np.testing.assert_allclose(got, exact.astype(dtype), rtol=np.finfo(dtype).eps, atol=1e-9)
    strided = np.asfortranarray(g)
    assert fused.bias_grad(strided).tobytes() == got.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 4, 5, 6), (2, 3, 7), (1, 2, 2, 3, 4), (0, 3, 4, 4)])
def test_bias_relu_is_the_bias_add_then_relu_in_place(shape, dtype):
    y = _awkward(math.prod(shape), dtype, 9).reshape(shape)
    bias = _awkward(shape[1], dtype, 10)
    with np.errstate(invalid="ignore"):  # inf + -inf is NaN, kept by both
        expected = np.maximum(y + bias.reshape(-1, *(1,) * (len(shape) - 2)), 0)
    work = y.copy()
    out = fused.bias_relu(work, bias)
    assert out is work or out.base is work  # in place in a contiguous output
    assert out.tobytes() == expected.tobytes()  # NaN kept, -0 -> +0, bit for bit
    strided = np.asfortranarray(y)  # not contiguous: computed in a copy, returned
    assert fused.bias_relu(strided, bias).tobytes() == expected.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 4, 5, 6), (2, 3, 7), (0, 3, 4, 4)])
def test_relu_bias_backward_is_the_select_and_its_channel_sum(shape, dtype):
    y = fused.relu(_awkward(math.prod(shape), dtype, 11)).reshape(shape)
    g = _awkward(y.size, dtype, 12).reshape(shape)
    g[np.isnan(g) | np.isinf(g)] = 0
    g[y <= 0] = np.inf  # where the ReLU was off, even an infinite gradient gives 0
    grad_z, grad_b = fused.relu_bias_backward(g, y)
    assert grad_z.tobytes() == fused.relu_backward(g, y).tobytes()
    assert grad_b.dtype == g.dtype
    # within one rounding of the exact channel sum (float64 sums are exact to ~1e-13 here)
    exact = grad_z.astype(np.float64).sum(axis=(0, *range(2, g.ndim)))
    np.testing.assert_allclose(grad_b, exact.astype(dtype), rtol=np.finfo(dtype).eps, atol=1e-9)
