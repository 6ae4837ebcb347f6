"""kernels/conv/direct.py, the "numba" algorithm: equal to the reference loops on the grid
and in 1-D and 3-D, both conventions, non-contiguous operands, non-finite values where the
definition puts them, gradcheck, and the same bits for any number of threads."""

import zlib

import numpy as np
import pytest

from convprop import gradcheck
from convprop import kernels as K
from convprop.shapes import conv_geometry

from ...helpers import assert_close
from .check_algorithm import assert_matches_reference, assert_same_bits_for_one_and_two_threads
from .grid import GRID, grid_id

numba = pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def jit_on(monkeypatch):
    """These tests are about the compiled kernels: on even where CI turns them off."""
    monkeypatch.setenv("CONVPROP_JIT", "1")


@pytest.mark.parametrize("case", GRID, ids=grid_id)
def test_numba_equals_reference(case):
    assert_matches_reference(case, "numba")


# (sizes, kernel, stride, padding, dilation, groups) in 1-D and 3-D
CASES_ND = [
    ((9,), (3,), 1, 0, 1, 1),
    ((10,), (4,), 2, 1, 1, 2),
    ((8,), (3,), 1, "same", 2, 4),
    ((7,), (2,), 3, ((2, 0),), 1, 1),
    ((1,), (1,), 1, 0, 1, 1),
    ((4, 5, 3), (2, 3, 1), 1, 0, 1, 1),
    ((5, 4, 6), (3, 2, 3), (2, 1, 2), 1, 1, 2),
    ((4, 4, 5), (3, 3, 3), 1, "same", (1, 2, 1), 4),
    ((6, 5, 4), (2, 2, 2), 2, ((1, 0), 0, (0, 2)), 1, 1),
    ((3, 3, 3), (1, 1, 1), 1, 0, 1, 1),
    ((7, 5, 6), (3, 3, 2), (2, 1, 1), 1, (2, 1, 2), 2),  # a depth stride alone: flat planes
]
FUNCS = {1: (K.conv1d, K.conv1d_backward), 3: (K.conv3d, K.conv3d_backward)}


def _arrays(sizes, kernel, groups, dtype, seed_text):
    rng = np.random.default_rng(zlib.crc32(seed_text.encode()))
    x = rng.standard_normal((2, 4, *sizes)).astype(dtype)
    w = rng.standard_normal((8, 4 // groups, *kernel)).astype(dtype)
    return x, w, rng.standard_normal(8).astype(dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES_ND, ids=str)
def test_1d_and_3d_equal_the_reference(case, dtype):
    sizes, kernel, stride, padding, dilation, groups = case
    forward, backward = FUNCS[len(sizes)]
    x, w, b = _arrays(sizes, kernel, groups, dtype, str(case))
    opts = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    y_ref = forward(x, w, b, **opts, algorithm="direct")
    assert_close(forward(x, w, b, **opts, algorithm="numba"), y_ref)
    gy = np.random.default_rng(1).standard_normal(y_ref.shape).astype(dtype)
    want = backward(gy, x, w, **opts, algorithm="direct")
    for got, expected in zip(backward(gy, x, w, **opts, algorithm="numba"), want, strict=True):
        assert_close(got, expected)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_the_true_convolution_equals_the_reference(rng, dims):
    x = rng.standard_normal((2, 4, *(6, 5, 4)[:dims]))
    w = rng.standard_normal((4, 2, *(3, 2, 2)[:dims]))
    forward = {1: K.conv1d, 2: K.conv2d, 3: K.conv3d}[dims]
    backward = {1: K.conv1d_backward, 2: K.conv2d_backward, 3: K.conv3d_backward}[dims]
    opts = dict(padding=1, groups=2, convention="convolution")
    y = forward(x, w, **opts, algorithm="numba")
    assert_close(y, forward(x, w, **opts, algorithm="direct"))
    gy = rng.standard_normal(y.shape)
    want = backward(gy, x, w, **opts, algorithm="direct")
    for got, expected in zip(backward(gy, x, w, **opts, algorithm="numba"), want, strict=True):
        assert_close(got, expected)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_non_contiguous_operands(rng, dtype):
    x = rng.standard_normal((3, 2, 9, 12)).astype(dtype).transpose(1, 0, 3, 2)[:, :, ::2]
    w = rng.standard_normal((6, 3, 3, 2)).astype(dtype)[:, :, ::-1]  # (6, 3, 3, 2), reversed
    gy = rng.standard_normal((2, 6, 9, 4)).astype(dtype).transpose(0, 1, 3, 2)[:, :, :, ::-1]
    assert not (x.flags.c_contiguous or w.flags.c_contiguous or gy.flags.c_contiguous)
    opts = dict(stride=(2, 1), padding=((1, 2), 1), dilation=(1, 2))
    y = K.conv2d(x, w, **opts, algorithm="numba")
    assert_close(y, K.conv2d(np.copy(x), np.copy(w), **opts, algorithm="direct"))
    assert y.shape == gy.shape
    want = K.conv2d_backward(np.copy(gy), np.copy(x), np.copy(w), **opts, algorithm="direct")
    got = K.conv2d_backward(gy, x, w, **opts, algorithm="numba")
    for a, expected in zip(got, want, strict=True):
        assert_close(a, expected)


@pytest.mark.parametrize("stride", [1, 2])
def test_non_finite_values_land_where_the_definition_puts_them(rng, stride):
    """An inf weight times the zeros between rows must not reach dL/dX off its windows."""
    x, w = rng.standard_normal((2, 2, 7, 6)), rng.standard_normal((2, 2, 3, 3))
    x[1, 0, 2, 3], w[1, 1, 2, 2], w[0, 0, 0, 1] = np.nan, np.inf, -np.inf
    gy = rng.standard_normal(K.conv2d(x, w, stride=stride, padding=1).shape)
    gy[0, 1, 1, 1] = np.inf
    for got, want in zip(
        (
            K.conv2d(x, w, stride=stride, padding=1, algorithm="numba"),
            *K.conv2d_backward(gy, x, w, stride=stride, padding=1, algorithm="numba"),
        ),
        (
            K.conv2d(x, w, stride=stride, padding=1, algorithm="direct"),
            *K.conv2d_backward(gy, x, w, stride=stride, padding=1, algorithm="direct"),
        ),
        strict=True,
    ):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        finite = np.isfinite(want)
        np.testing.assert_array_equal(got[~finite], want[~finite])
        np.testing.assert_allclose(got[finite], want[finite], atol=1e-12)


@pytest.mark.parametrize("output_padding, dilation", [(0, 1), (1, 2), (1, 1)])
def test_transposed_convolution_equals_the_reference(rng, output_padding, dilation):
    """conv_transpose runs grad_input as its forward, on a geometry whose output may be
    smaller than the size formula (output_padding < dilation)."""
    x, w = rng.standard_normal((2, 4, 5, 4)), rng.standard_normal((4, 3, 3, 2))
    stride = 2 if output_padding and dilation == 1 else 1
    args = (None, stride, 1, output_padding, 1, dilation)
    y = K.conv_transpose2d(x, w, *args, algorithm="numba")
    assert_close(y, K.conv_transpose2d(x, w, *args, algorithm="direct"))
    gy = rng.standard_normal(y.shape)
    want = K.conv_transpose2d_backward(gy, x, w, *args[1:], algorithm="direct")
    got = K.conv_transpose2d_backward(gy, x, w, *args[1:], algorithm="numba")
    for a, b in zip(got, want, strict=True):
        assert_close(a, b)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_gradcheck(rng, dims):
    x = rng.standard_normal((2, 4, *(7, 6, 4)[:dims]))
    w = rng.standard_normal((4, 2, *(3, 2, 2)[:dims]))
    forward = {1: K.conv1d, 2: K.conv2d, 3: K.conv3d}[dims]
    backward = {1: K.conv1d_backward, 2: K.conv2d_backward, 3: K.conv3d_backward}[dims]
    opts = dict(stride=2, padding=1, dilation=1, groups=2, algorithm="numba")
    fn = lambda x, w: (forward(x, w, **opts), lambda g: backward(g, x, w, **opts)[:2])  # noqa: E731
    assert gradcheck(fn, [x, w])


@pytest.mark.parametrize("stride", [1, 2])
def test_the_same_bits_with_one_and_two_threads(rng, threads, stride):
    x = rng.standard_normal((19, 6, 23, 19)).astype(np.float32)  # dL/dW: 3 batch blocks
    w = rng.standard_normal((6, 2, 3, 3)).astype(np.float32)
    opts = dict(stride=stride, padding=1, groups=3, algorithm="numba")
    gy = rng.standard_normal(K.conv2d(x, w, **opts).shape).astype(np.float32)
    assert_same_bits_for_one_and_two_threads(threads, x, w, gy, opts)


def _backward_equals_reference(x, w, **opts):
    y = K.conv2d(x, w, **opts, algorithm="numba")
    assert_close(y, K.conv2d(x, w, **opts, algorithm="direct"))
    gy = np.random.default_rng(2).standard_normal(y.shape).astype(x.dtype)
    want = K.conv2d_backward(gy, x, w, **opts, algorithm="direct")
    for got, expected in zip(
        K.conv2d_backward(gy, x, w, **opts, algorithm="numba"), want, strict=True
    ):
        assert_close(got, expected)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("channels, filters", [(3, 5), (2, 6), (1, 6), (6, 3)])
def test_odd_channel_counts_and_uneven_parts(rng, channels, filters, dtype):
    """Passes take two output channels (forward) or two input channels (dL/dX) at a time,
    the last one alone when the count is odd; dL/dW splits a group's filters into parts
    (C_in small), the last part short or empty."""
    x = rng.standard_normal((3, channels, 9, 8)).astype(dtype)
    w = rng.standard_normal((filters, channels, 3, 3)).astype(dtype)
    _backward_equals_reference(x, w, padding=1)
    _backward_equals_reference(x, w, stride=(1, 2), padding=(2, 1))


@pytest.mark.parametrize(
    "padding, dilation",
    [(((0, 2), (1, 1)), 1), (((2, 0), (2, 0)), 1), (((1, 1), (0, 2)), 1), ((1, 2), (1, 2))],
)
def test_output_as_wide_as_the_input(rng, padding, dilation):
    """dL/dW copies each depth slice of X in one shifted piece where the output is as wide
    as the input (stride 1), then zeroes the columns the shift wraps around: shifts to
    both sides, a first row with no padding above (the piece starts before the buffer)."""
    x, w = rng.standard_normal((3, 2, 7, 6)), rng.standard_normal((4, 2, 3, 3))
    opts = dict(padding=padding, dilation=dilation)
    assert K.conv2d(x, w, **opts, algorithm="direct").shape[-1] == x.shape[-1]
    _backward_equals_reference(x, w, **opts)


def test_an_empty_batch(rng):
    x, w = np.zeros((0, 2, 5, 5)), rng.standard_normal((4, 2, 3, 3))
    y = K.conv2d(x, w, padding=1, algorithm="numba")
    assert y.shape == (0, 4, 5, 5)
    gx, gw, gb = K.conv2d_backward(y, x, w, padding=1, algorithm="numba")
    assert gx.shape == x.shape and gw.shape == w.shape and not gw.any() and not gb.any()


def test_a_batch_of_several_blocks(rng):
    """dL/dW sums fixed blocks of images (direct_backward.IMAGES), then the blocks in
    order: a batch of two full blocks and a short one equals the reference."""
    from convprop.kernels.conv import direct_backward

    n = 2 * direct_backward.IMAGES + 3
    x, w = rng.standard_normal((n, 2, 7, 6)), rng.standard_normal((6, 2, 3, 3))
    gy = rng.standard_normal((n, 6, 7, 6))
    want = K.conv2d_backward(gy, x, w, padding=1, algorithm="direct")
    for got, expected in zip(
        K.conv2d_backward(gy, x, w, padding=1, algorithm="numba"), want, strict=True
    ):
        assert_close(got, expected)


def test_a_value_no_window_of_a_tap_reads_stays_out_of_its_gradient(rng):
    """dL/dW at stride 1 multiplies only positions of the definition: an infinity in X's
    last column, read by taps b = 1, 2 of a 3x3 filter with padding 1, never by b = 0,
    leaves dL/dW[..., 0] finite (a method summing the columns between rows would not)."""
    x, w = rng.standard_normal((2, 2, 6, 7)), rng.standard_normal((3, 2, 3, 3))
    x[1, 0, 3, 6] = np.inf
    gy = rng.standard_normal((2, 3, 6, 7))
    got = K.conv2d_backward(gy, x, w, padding=1, algorithm="numba")[1]
    want = K.conv2d_backward(gy, x, w, padding=1, algorithm="direct")[1]
    assert np.isfinite(want[:, :, :, 0]).all() and not np.isfinite(want[:, 0, :, 1:]).all()
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], atol=1e-12)


@pytest.mark.parametrize("stride", [1, 2])
def test_a_long_plane_runs_in_several_blocks(rng, stride):
    """A plane of more output rows than one block holds (BLOCK elements) is computed
    block by block, with a stride too (phase planes); every block equals the reference."""
    from convprop.kernels.conv import direct, reference

    x, w = rng.standard_normal((1, 2, 120 * stride, 40 * stride)), rng.standard_normal((2, 1, 3, 3))
    g = conv_geometry("t", x.shape, w.shape, stride, 1, 1, 2)
    assert g.out_size[0] * (g.padded_size[1] // stride) > direct.BLOCK
    gy = rng.standard_normal(g.y_shape)
    assert_close(direct.conv_forward(x, w, g), reference.conv_forward(x, w, g))
    assert_close(direct.conv_grad_input(gy, w, g), reference.conv_grad_input(gy, w, g))
    assert_close(direct.conv_grad_weight(gy, x, g), reference.conv_grad_weight(gy, x, g))
