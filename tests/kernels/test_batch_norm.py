"""The compiled batch normalisation (kernels/batch_norm.py) against the formulas evaluated
in float64, against the NumPy path it replaces, and across thread counts (bit for bit)."""

from __future__ import annotations

import numpy as np
import pytest

from convprop import Tensor
from convprop.functions.norm import BatchNorm
from convprop.kernels import batch_norm, jit

pytestmark = pytest.mark.skipif(not jit.enabled(), reason="the compiled kernels are off")

SHAPES = [(7, 3), (4, 5, 6, 7), (2, 3, 4, 5, 6), (1, 2, 33, 1)]


def _exact(x, gamma, beta, g, eps):
    """The forward and backward formulas in float64."""
    x, gamma, beta, g = (a.astype(np.float64) for a in (x, gamma, beta, g))
    axes, shape = (0, *range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    x_hat = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    y = x_hat * gamma.reshape(shape) + beta.reshape(shape)
    g_beta, g_gamma = g.sum(axis=axes), (g * x_hat).sum(axis=axes)
    count = g.size // g.shape[1]
    gx = (gamma / np.sqrt(var + eps)).reshape(shape) * (
        g - (g_beta / count).reshape(shape) - x_hat * (g_gamma / count).reshape(shape)
    )
    return y, mean, var, gx, g_gamma, g_beta


def _inputs(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3 + 5).astype(dtype)  # an offset the mean must remove
    c = shape[1]
    gamma, beta = (rng.standard_normal(c).astype(dtype) for _ in range(2))
    return x, gamma, beta, rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_and_backward_match_the_formulas_in_float64(shape, dtype):
    x, gamma, beta, g = _inputs(shape, dtype)
    y, x_hat, mean, var, inv_std = batch_norm.forward(x, gamma, beta, 1e-5)
    gx, g_gamma, g_beta = batch_norm.backward(g, x_hat, gamma, inv_std)
    expected = _exact(x, gamma, beta, g, 1e-5)
    tol = dict(rtol=2e-6, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-11)
    got = (y, mean, var, gx, g_gamma, g_beta)
    names = ("y", "mean", "var", "dx", "dgamma", "dbeta")
    for name, a, b in zip(names, got, expected, strict=True):
        np.testing.assert_allclose(a, b, **tol, err_msg=name)
    assert y.dtype == gx.dtype == g_gamma.dtype == g_beta.dtype == np.dtype(dtype)


def test_strided_input_is_read_as_its_values():
    x, gamma, beta, _ = _inputs((4, 6, 5, 8), np.float32, 1)
    strided = x[:, ::2, :, ::2]
    got = batch_norm.forward(strided, gamma[::2].copy(), beta[::2].copy(), 1e-3)[0]
    expected = batch_norm.forward(strided.copy(), gamma[::2].copy(), beta[::2].copy(), 1e-3)[0]
    assert got.tobytes() == expected.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_function_matches_its_numpy_path(dtype, monkeypatch):
    x, gamma, beta, g = _inputs((6, 4, 9, 9), dtype, 2)

    def run():
        fn = BatchNorm()
        fn.needs_input_grad = (True, True, True)
        y = fn.forward(x, gamma, beta, eps=1e-5)
        return (y, *fn.backward(g), fn.mean, fn.var)

    compiled = run()
    monkeypatch.setenv(jit.ENVIRONMENT, "0")
    numpy_path = run()
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for a, b in zip(compiled, numpy_path, strict=True):
        np.testing.assert_allclose(a, b, **tol)


def test_the_same_bits_for_any_thread_count():
    numba = pytest.importorskip("numba")
    x, gamma, beta, g = _inputs((8, 5, 12, 12), np.float32, 3)
    results = []
    saved = numba.get_num_threads()
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            y, x_hat, mean, var, inv_std = batch_norm.forward(x, gamma, beta, 1e-5)
            grads = batch_norm.backward(g, x_hat, gamma, inv_std)
            results.append(b"".join(a.tobytes() for a in (y, mean, var, *grads)))
    finally:
        numba.set_num_threads(saved)
    assert results[0] == results[-1]


def test_a_batch_norm_layer_trains_through_the_compiled_path():
    x, gamma, beta, g = _inputs((5, 3, 4, 4), np.float64, 4)
    t, w, b = (Tensor(a, requires_grad=True) for a in (x, gamma, beta))
    y = BatchNorm.apply(t, w, b, eps=1e-5)
    y.backward(g)
    _, _, _, gx, g_gamma, g_beta = _exact(x, gamma, beta, g, 1e-5)
    np.testing.assert_allclose(t.grad, gx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad, g_gamma, rtol=1e-10)
    np.testing.assert_allclose(b.grad, g_beta, rtol=1e-10)


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:Degrees of freedom")
@pytest.mark.parametrize(
    "x, eps",
    [(np.ones((4, 2, 3)), 0.0), (np.zeros((0, 2, 3)), 1e-5)],
    ids=["zero variance, eps 0", "empty batch"],
)
def test_a_division_by_zero_gives_what_the_numpy_path_gives(x, eps, monkeypatch):
    """NumPy's rules in the compiled loops (error_model="numpy"): NaN or inf where the NumPy
    path gives them, never Python's ZeroDivisionError."""
    gamma, beta = np.ones(2), np.zeros(2)

    def run():
        fn = BatchNorm()
        fn.needs_input_grad = (True, True, True)
        with np.errstate(all="ignore"):
            y = fn.forward(x, gamma, beta, eps=eps)
            return (y, *fn.backward(np.ones_like(x)), fn.mean, fn.var)

    compiled = run()
    monkeypatch.setenv(jit.ENVIRONMENT, "0")
    numpy_path = run()
    for a, b in zip(compiled, numpy_path, strict=True):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_array_equal(np.isinf(a), np.isinf(b))
    assert np.isnan(compiled[0]).all() if x.size else compiled[0].size == 0
