"""kernels/conv/columns.py: the compiled im2col fill and col2im scatter, in both column layouts,
equal the NumPy passes bit for bit (and so the reference on the grid), whatever Numba's thread
count; CONVPROP_JIT=0 runs the NumPy path."""

import numpy as np
import pytest

from convprop.kernels import conv1d, conv1d_backward, conv2d, conv2d_backward, jit
from convprop.kernels.conv import batch_inner, im2col
from convprop.shapes import conv_geometry

from .check_algorithm import assert_matches_reference
from .grid import GRID, case_arrays, grid_id


@pytest.fixture
def compiled(monkeypatch):
    """Compiled kernels on (whatever CONVPROP_JIT the suite runs under)."""
    monkeypatch.setenv("CONVPROP_JIT", "1")
    assert jit.enabled(), "numba is a runtime dependency and must import"


@pytest.fixture(params=["im2col", "batch_inner"])
def layout(request, monkeypatch):
    """One column layout by its record's name (NCHW's columns with the width rule off)."""
    if request.param == "im2col":
        monkeypatch.setattr(batch_inner, "WIDTH_LIMIT", 0)
    return request.param


def _both(monkeypatch, fn):
    """fn() with the compiled kernels on, then off: (compiled, numpy), each a fresh copy."""
    results = []
    for flag in ("1", "0"):
        monkeypatch.setenv("CONVPROP_JIT", flag)
        out = fn()
        results.append(tuple(np.array(a, copy=True) for a in out))
    monkeypatch.setenv("CONVPROP_JIT", "1")
    return results


def _seeded():
    """The same generator for each of two runs that must agree."""
    return np.random.default_rng(7)


def _fill_and_scatter(x, g, rng):
    """The NCHW columns of x and col2im of random columns; the same in batch-inner layout."""
    cols = im2col.im2col(x, g, "cols")
    dcols = rng.standard_normal(cols.shape).astype(x.dtype)
    inner = batch_inner._columns(x, g)
    dinner = rng.standard_normal((g.in_channels, *g.kernel, *g.out_size, g.batch))
    dinner = dinner.astype(x.dtype)
    return cols, im2col.col2im(dcols, g), inner, batch_inner.col2im(dinner, g)


def _assert_same_bits(got, want):
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b, strict=True)


@pytest.mark.parametrize("case", GRID, ids=grid_id)
def test_compiled_columns_equal_numpy_bit_for_bit(case, monkeypatch):
    x, weight, *_, options, _, _ = case_arrays(case)
    g = conv_geometry("t", x.shape, weight.shape, **options)
    compiled, numpy = _both(monkeypatch, lambda: _fill_and_scatter(x, g, _seeded()))
    _assert_same_bits(compiled, numpy)


@pytest.mark.parametrize("case", GRID, ids=grid_id)
def test_compiled_layer_equals_reference_and_numpy(case, layout, compiled, monkeypatch):
    """Forward and every gradient: the reference's within rounding; Y, dL/dX and dL/dW
    NumPy's path exactly (dL/db is no column's work: compiled, it is summed in float64,
    NumPy's in the dtype, so the two agree to rounding)."""
    assert_matches_reference(case, layout)
    x, weight, bias, grad_y, options, _, _ = case_arrays(case)
    compiled_out, numpy_out = _both(
        monkeypatch,
        lambda: (
            conv2d(x, weight, bias, **options, algorithm=layout),
            *conv2d_backward(grad_y, x, weight, **options, algorithm=layout),
        ),
    )
    _assert_same_bits(compiled_out[:3], numpy_out[:3])
    grad_b, numpy_grad_b = compiled_out[3], numpy_out[3]
    assert grad_b.dtype == numpy_grad_b.dtype and grad_b.shape == numpy_grad_b.shape
    tol = 1e-5 if grad_b.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(grad_b, numpy_grad_b, rtol=tol, atol=tol * np.abs(grad_y).sum())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_non_contiguous_input(rng, dtype, compiled, monkeypatch):
    """A strided view (every other column, channels reversed) is read like its copy."""
    base = rng.standard_normal((3, 5, 9, 16)).astype(dtype)
    x = base[:, ::-1, :, ::2]
    assert not x.flags.c_contiguous
    g = conv_geometry("t", x.shape, (4, 5, 3, 3), stride=(1, 2), padding=1, dilation=(2, 1))
    compiled_out, numpy_out = _both(monkeypatch, lambda: _fill_and_scatter(x, g, _seeded()))
    _assert_same_bits(compiled_out, numpy_out)
    copy = np.ascontiguousarray(x)
    _assert_same_bits(compiled_out, _fill_and_scatter(copy, g, _seeded()))


@pytest.mark.parametrize("layout_name", ["im2col", "batch_inner"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, 3, 1), (3, ((1, 4),), 2)])
def test_one_dimensional(rng, dtype, layout_name, stride, padding, dilation, monkeypatch):
    """1-D runs as 2-D with H = 1: columns and scatter as NumPy's, the layer as the reference."""
    if layout_name == "im2col":
        monkeypatch.setattr(batch_inner, "WIDTH_LIMIT", 0)
    x = rng.standard_normal((3, 4, 23)).astype(dtype)
    w = rng.standard_normal((6, 2, 5)).astype(dtype)
    g = conv_geometry("t", x.shape, w.shape, stride, padding, dilation, groups=2)
    _assert_same_bits(*_both(monkeypatch, lambda: _fill_and_scatter(x, g, _seeded())))
    gy = rng.standard_normal(g.y_shape).astype(dtype)
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=2)

    def layer():
        return (
            conv1d(x, w, None, **options, algorithm=layout_name),
            *conv1d_backward(gy, x, w, **options, algorithm=layout_name)[:2],
        )

    compiled_out, numpy_out = _both(monkeypatch, layer)
    _assert_same_bits(compiled_out, numpy_out)
    want = (
        conv1d(x, w, None, **options, algorithm="direct"),
        *conv1d_backward(gy, x, w, **options, algorithm="direct")[:2],
    )
    for got, expected in zip(compiled_out, want, strict=True):
        tolerance = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_bits_with_one_and_two_threads(rng, dtype, compiled):
    """Each output element is written by one thread in a fixed order: no scheduling effect."""
    import numba

    saved = numba.get_num_threads()
    threads = min(2, numba.config.NUMBA_NUM_THREADS)
    x = rng.standard_normal((4, 6, 17, 13)).astype(dtype)
    g = conv_geometry("t", x.shape, (8, 6, 3, 3), stride=2, padding=1)
    results = []
    try:
        for count in (1, threads):
            numba.set_num_threads(count)
            out = _fill_and_scatter(x, g, _seeded())
            results.append(tuple(np.array(a, copy=True) for a in out))
    finally:
        numba.set_num_threads(saved)
    _assert_same_bits(*results)


def test_jit_off_runs_the_numpy_path(rng, monkeypatch):
    """With CONVPROP_JIT=0 the compiled entry points are never called (they raise here)."""

    def refuse(*args):
        raise AssertionError("compiled kernel called")

    for module, names in ((im2col, ("_fill", "_scatter")), (batch_inner, ("_fill", "_scatter"))):
        for name in names:
            monkeypatch.setattr(module, name, refuse)
    monkeypatch.setattr(batch_inner, "WIDTH_LIMIT", 0)
    x = rng.standard_normal((2, 3, 9, 9)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((2, 4, 5, 5)).astype(np.float32)
    for algorithm in ("im2col", "batch_inner"):
        monkeypatch.setenv("CONVPROP_JIT", "0")
        conv2d(x, w, None, 2, 1, algorithm=algorithm)
        conv2d_backward(gy, x, w, 2, 1, algorithm=algorithm)
        monkeypatch.setenv("CONVPROP_JIT", "1")
        with pytest.raises(AssertionError, match="compiled kernel called"):
            conv2d(x, w, None, 2, 1, algorithm=algorithm)
        with pytest.raises(AssertionError, match="compiled kernel called"):
            conv2d_backward(gy, x, w, 2, 1, algorithm=algorithm)


def test_three_dimensional_stays_on_numpy(rng, compiled):
    g = conv_geometry("t", (2, 3, 4, 5, 6), (4, 3, 2, 2, 2))
    assert not im2col.compiled(g, np.dtype(np.float32))
    assert im2col.compiled(conv_geometry("t", (2, 3, 9), (4, 3, 2)), np.dtype(np.float64))
    assert not im2col.compiled(conv_geometry("t", (2, 3, 4, 5), (4, 3, 2, 2)), np.float16)
