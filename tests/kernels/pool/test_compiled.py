"""kernels/pool/compiled_max.py and compiled_avg.py (Numba) against the reference loops
and the NumPy algorithms: max pooling's y, switches and indices bit for bit, average
pooling in the same summation order as NumPy (bit for bit) and within rounding of the
reference, every backward, every geometry option, 1-D/2-D/3-D, float32/float64,
non-contiguous input, thread counts, and CONVPROP_JIT=0 running the NumPy algorithms
instead. test_compiled_rows.py aims at the row-at-a-time kernels' own edges."""

import numpy as np
import pytest

from convprop import gradcheck
from convprop import kernels as K
from convprop.kernels import jit
from convprop.kernels import pool as P
from convprop.kernels.pool import jitted
from convprop.kernels.pool import reference as ref
from convprop.shapes import pool_geometry

from ...helpers import compiled_and_numpy, set_jit

numba = pytest.importorskip("numba")

# (size, kernel, stride, padding, dilation, ceil_mode): disjoint and overlapping windows,
# padding, dilation, ceil_mode's overhanging last window, odd sizes; 1-D, 2-D and 3-D
GEOMETRIES = [
    ((6, 8), 2, 2, 0, 1, False),
    ((7, 9), 2, 2, 0, 1, True),
    ((7, 7), 3, 2, 1, 1, False),
    ((8, 7), 3, 2, 1, 1, True),
    ((6, 6), 3, 1, 1, 1, False),
    ((9, 8), (3, 2), (2, 3), (1, 0), (2, 1), True),
    ((10, 9), 2, 1, 1, 3, False),
    ((5, 6), 5, 3, 2, 1, True),
    ((5, 6), 1, 2, 0, 1, False),
    ((11,), 3, 2, 1, 1, True),
    ((9,), 2, 3, 0, 2, False),
    ((5, 6, 7), 2, 2, 0, 1, False),
    ((5, 6, 7), 3, (1, 2, 2), 1, (1, 2, 1), True),
]
DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True)
def _compiled(monkeypatch):
    """The compiled kernels on, also where the suite runs with CONVPROP_JIT=0."""
    set_jit(monkeypatch, True)


def _input(size, dtype, seed=0, specials=True):
    """Small integers (many ties), with -inf and NaN windows when `specials`."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, (2, 3, *size)).astype(dtype)
    if specials:
        flat = x.reshape(-1)
        flat[rng.choice(flat.size, 3, replace=False)] = np.nan
        flat[rng.choice(flat.size, 4, replace=False)] = -np.inf
        x[1, 2] = -np.inf  # a whole plane of -inf: every window's first tap inside wins
    return x


def _geometry(x, k, s, p, d, ceil):
    return pool_geometry("t", x.shape, k, s, p, d, ceil)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size, k, s, p, d, ceil", GEOMETRIES)
@pytest.mark.parametrize("specials", [False, True])
def test_max_forward_equals_numpy_and_reference_bit_for_bit(
    monkeypatch, size, k, s, p, d, ceil, dtype, specials
):
    x = _input(size, dtype, specials=specials)
    (y, sw), (y_np, sw_np) = compiled_and_numpy(
        monkeypatch, lambda: P.max_pool_switches(x, k, s, p, d, ceil)
    )
    y_ref, idx_ref = ref.max_pool(x, _geometry(x, k, s, p, d, ceil))
    assert y.dtype == y_np.dtype == x.dtype and sw.dtype == sw_np.dtype == np.uint8
    np.testing.assert_array_equal(y, y_np)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(sw, sw_np)
    (_, idx), _ = compiled_and_numpy(monkeypatch, lambda: P.max_pool(x, k, s, p, d, ceil))
    np.testing.assert_array_equal(idx, idx_ref)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size, k, s, p, d, ceil", GEOMETRIES)
def test_max_backward_equals_the_reference(monkeypatch, size, k, s, p, d, ceil, dtype):
    x = _input(size, dtype)
    _, idx = ref.max_pool(x, _geometry(x, k, s, p, d, ceil))
    gy = np.random.default_rng(1).standard_normal(idx.shape).astype(dtype)
    expected = ref.max_pool_backward(gy, idx, x.shape)
    _, sw = P.max_pool_switches(x, k, s, p, d, ceil)
    gx, gx_np = compiled_and_numpy(
        monkeypatch, lambda: P.max_pool_switches_backward(gy, sw, x.shape, k, s, p, d, ceil)
    )
    np.testing.assert_array_equal(gx, expected)  # windows in row-major order, as the loops
    np.testing.assert_allclose(
        gx_np, gx, rtol=1e-6, atol=1e-6
    )  # NumPy sums shared winners in float64
    gi, _ = compiled_and_numpy(
        monkeypatch, lambda: P.max_pool_backward(gy, idx, x.shape, kernel_size=k)
    )
    np.testing.assert_array_equal(gi, expected)
    gg, _ = compiled_and_numpy(monkeypatch, lambda: P.max_pool_grad(x, gy, k, s, p, d, ceil))
    np.testing.assert_array_equal(gg, expected)
    assert gx.dtype == gi.dtype == dtype and gx.shape == x.shape


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size, k, s, p, d, ceil", GEOMETRIES)
@pytest.mark.parametrize("include, override", [(True, None), (False, None), (True, 5)])
def test_avg_equals_numpy_bit_for_bit_and_the_reference(
    monkeypatch, size, k, s, p, d, ceil, dtype, include, override
):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, *size)).astype(dtype)
    args = (k, s, p, ceil, include, override)
    y, y_np = compiled_and_numpy(monkeypatch, lambda: P.avg_pool(x, *args, dilation=d))
    np.testing.assert_array_equal(y, y_np)  # the same sums in the same order
    g = _geometry(x, k, s, p, d, ceil)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(y, ref.avg_pool(x, g, include, override), rtol=tol, atol=tol)
    gy = rng.standard_normal(y.shape).astype(dtype)
    gx, gx_np = compiled_and_numpy(
        monkeypatch, lambda: P.avg_pool_backward(gy, x.shape, *args, dilation=d)
    )
    np.testing.assert_array_equal(gx, gx_np)
    expected = ref.avg_pool_backward(gy, x.shape, g, include, override)
    np.testing.assert_allclose(gx, expected, rtol=tol, atol=tol)
    assert y.dtype == gx.dtype == dtype


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_non_contiguous_input_gives_the_contiguous_result(pool):
    base = np.random.default_rng(3).standard_normal((3, 4, 10, 12)).astype(np.float32)
    x = base.transpose(1, 0, 3, 2)[:, :, ::2, 1:]  # neither C- nor F-contiguous
    assert not x.flags.c_contiguous
    if pool == "max":
        y, sw = K.max_pool2d_switches(x, 3, 2, 1)
        y_c, sw_c = K.max_pool2d_switches(np.ascontiguousarray(x), 3, 2, 1)
        np.testing.assert_array_equal(sw, sw_c)
        gy = np.ones_like(y)[..., ::-1]  # a non-contiguous gradient too
        gx = K.max_pool2d_switches_backward(gy, sw, x.shape, 3, 2, 1)
        expected = K.max_pool2d_switches_backward(np.ascontiguousarray(gy), sw, x.shape, 3, 2, 1)
    else:
        y, y_c = K.avg_pool2d(x, 3, 2, 1), K.avg_pool2d(np.ascontiguousarray(x), 3, 2, 1)
        gy = np.ones_like(y)[..., ::-1]
        gx = K.avg_pool2d_backward(gy, x.shape, 3, 2, 1)
        expected = K.avg_pool2d_backward(np.ascontiguousarray(gy), x.shape, 3, 2, 1)
    np.testing.assert_array_equal(y, y_c)
    np.testing.assert_array_equal(gx, expected)


def test_the_course_example_routes_to_its_winners():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)[None, None]
    y, sw = K.max_pool2d_switches(x, 2)
    np.testing.assert_array_equal(y[0, 0], [[6, 8], [3, 4]])
    gx = K.max_pool2d_switches_backward(np.ones_like(y), sw, x.shape, 2)
    np.testing.assert_array_equal(np.argwhere(gx[0, 0]), [[1, 1], [1, 3], [2, 0], [3, 3]])


def test_results_are_the_same_for_one_and_two_threads():
    rng = np.random.default_rng(4)
    x = rng.integers(-5, 6, (4, 8, 23, 19)).astype(np.float32)  # ties
    gy = rng.standard_normal((4, 8, 12, 10)).astype(np.float32)

    def run():
        y, sw = K.max_pool2d_switches(x, 3, 2, 1, 1, True)
        gx = K.max_pool2d_switches_backward(gy, sw, x.shape, 3, 2, 1, 1, True)
        a = K.avg_pool2d(x, 3, 2, 1, True, False)
        ga = K.avg_pool2d_backward(gy, x.shape, 3, 2, 1, True, False)
        return y, sw, gx, a, ga

    saved = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run()
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = run()
    finally:
        numba.set_num_threads(saved)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("on", [True, False])
def test_convprop_jit_0_runs_the_numpy_algorithms(monkeypatch, on):
    set_jit(monkeypatch, on)
    calls = []

    def spy(name):
        real = getattr(jitted, name)

        def call(*args):
            calls.append(name)
            return real(*args)

        monkeypatch.setattr(jitted, name, call)

    for name in ("max_forward", "max_backward", "route", "avg_forward", "avg_backward"):
        spy(name)
    x = np.random.default_rng(5).standard_normal((2, 3, 8, 8))
    y, sw = K.max_pool2d_switches(x, 2)
    K.max_pool2d_switches_backward(np.ones_like(y), sw, x.shape, 2)
    _, idx = K.max_pool2d(x, 2)
    K.max_pool2d_backward(np.ones_like(y), idx, x.shape)
    a = K.avg_pool2d(x, 3, 2, 1)
    K.avg_pool2d_backward(np.ones_like(a), x.shape, 3, 2, 1)
    expected = ["max_forward", "max_backward", "max_forward", "route"]
    assert calls == ([*expected, "avg_forward", "avg_backward"] if on else [])


@pytest.mark.parametrize("shape", [(1, 2, 9), (1, 2, 7, 6), (1, 1, 5, 4, 6)])
def test_compiled_pools_pass_gradcheck(shape):
    rng = np.random.default_rng(6)
    x = rng.permutation(np.prod(shape)).reshape(shape) / 7.0  # distinct: no ties
    kernel = (3,) * (len(shape) - 2)

    def max_pool(x):
        y, sw = P.max_pool_switches(x, kernel, 2, 1, 1, True)
        return y, lambda g: (P.max_pool_switches_backward(g, sw, x.shape, kernel, 2, 1, 1, True),)

    def avg_pool(x):
        y = P.avg_pool(x, kernel, 2, 1, True, False)
        return y, lambda g: (P.avg_pool_backward(g, x.shape, kernel, 2, 1, True, False),)

    assert jit.enabled()
    assert gradcheck(max_pool, [x])
    assert gradcheck(avg_pool, [x])
