"""kernels/conv/winograd.py, the "winograd" algorithm (F(2x2, 3x3)): equal to the reference
loops for 3x3, stride-1 layers (padding, partial tiles, groups, batch, dtypes, operands in
any layout, transposed convolutions), float32 error within 4x of im2col's, gradcheck, the
same bits for any number of threads, and refused where it does not apply."""

import zlib

import numpy as np
import pytest

from convprop import gradcheck
from convprop import kernels as K
from convprop.kernels import choose
from convprop.shapes import conv2d_geometry, conv_geometry

from ...helpers import assert_close
from .check_algorithm import assert_same_bits_for_one_and_two_threads

numba = pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def jit_on(monkeypatch):
    """These tests are about the compiled kernels: on even where CI turns them off."""
    monkeypatch.setenv("CONVPROP_JIT", "1")


# (N, C_in, C_out, H, W, padding, groups): odd sizes (a partial last tile down, across or
# both), padding 0 to 3 (dL/dX reads dL/dY with padding 2 - P: negative at 3), asymmetric
# and 'same', groups (depthwise with a multiplier), one pixel, one image
CASES = [
    (2, 4, 8, 7, 5, 1, 1),
    (3, 4, 8, 6, 8, 0, 2),
    (1, 4, 8, 5, 6, 2, 4),
    (2, 4, 8, 9, 7, 3, 1),
    (2, 4, 8, 4, 9, ((2, 0), (0, 1)), 2),
    (2, 4, 8, 8, 3, "same", 1),
    (1, 3, 5, 1, 1, 1, 1),
    (2, 4, 4, 3, 3, 0, 1),
    (1, 2, 3, 2, 5, ((0, 2), (1, 0)), 1),
]


def case_id(case) -> str:
    n, c, o, h, w, padding, groups = case
    return f"{n}x{c}x{h}x{w}-o{o}-p{str(padding).replace(' ', '')}-g{groups}"


def _arrays(case, dtype):
    n, c, o, h, w, padding, groups = case
    rng = np.random.default_rng(zlib.crc32(case_id(case).encode()))
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    weight = rng.standard_normal((o, c // groups, 3, 3)).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype)
    return x, weight, bias, dict(padding=padding, groups=groups)


def _equals_reference(x, weight, bias, options):
    y = K.conv2d(x, weight, bias, **options, algorithm="winograd")
    assert_close(y, K.conv2d(x, weight, bias, **options, algorithm="direct"))
    gy = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
    want = K.conv2d_backward(gy, x, weight, **options, algorithm="direct")
    got = K.conv2d_backward(gy, x, weight, **options, algorithm="winograd")
    for name, a, b in zip(("grad_x", "grad_weight", "grad_bias"), got, want, strict=True):
        assert a.shape == b.shape, name
        assert_close(a, b)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_winograd_equals_reference(case, dtype):
    _equals_reference(*_arrays(case, dtype))


@pytest.mark.parametrize(
    "shape, filters, padding, groups",
    [
        ((5, 13, 17, 23), 19, 1, 1),  # 8-row GEMM blocks and their remainders, odd channels
        ((6, 8, 40, 40), 8, 1, 1),  # several blocks of tile rows, dL/dW in several slabs
        ((2, 12, 30, 11), 20, 0, 2),  # groups of 6 in, 10 out
        ((1, 6, 3, 70), 6, 2, 3),  # a tile row longer than a block
    ],
)
def test_larger_layers_equal_the_reference(rng, shape, filters, padding, groups):
    x = rng.standard_normal(shape)
    w = rng.standard_normal((filters, shape[1] // groups, 3, 3))
    _equals_reference(x, w, None, dict(padding=padding, groups=groups))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_non_contiguous_operands(rng, dtype):
    x = rng.standard_normal((3, 2, 9, 12)).astype(dtype).transpose(1, 0, 3, 2)[:, :, ::2]
    w = rng.standard_normal((6, 3, 3, 3)).astype(dtype)[:, :, ::-1]
    gy = rng.standard_normal((2, 6, 9, 6)).astype(dtype).transpose(0, 1, 3, 2)[:, :, :, ::-1]
    assert not (x.flags.c_contiguous or w.flags.c_contiguous or gy.flags.c_contiguous)
    y = K.conv2d(x, w, padding=1, algorithm="winograd")
    assert_close(y, K.conv2d(np.copy(x), np.copy(w), padding=1, algorithm="direct"))
    assert y.shape == gy.shape
    want = K.conv2d_backward(np.copy(gy), np.copy(x), np.copy(w), padding=1, algorithm="direct")
    got = K.conv2d_backward(gy, x, w, padding=1, algorithm="winograd")
    for a, expected in zip(got, want, strict=True):
        assert_close(a, expected)


def test_the_true_convolution_equals_the_reference(rng):
    x, w = rng.standard_normal((2, 4, 6, 5)), rng.standard_normal((4, 2, 3, 3))
    opts = dict(padding=1, groups=2, convention="convolution")
    y = K.conv2d(x, w, **opts, algorithm="winograd")
    assert_close(y, K.conv2d(x, w, **opts, algorithm="direct"))
    gy = rng.standard_normal(y.shape)
    want = K.conv2d_backward(gy, x, w, **opts, algorithm="direct")
    got = K.conv2d_backward(gy, x, w, **opts, algorithm="winograd")
    for a, expected in zip(got, want, strict=True):
        assert_close(a, expected)


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_transposed_convolution_equals_the_reference(rng, padding):
    """conv_transpose runs grad_input as its forward and the forward as its dL/dX."""
    x, w = rng.standard_normal((2, 4, 6, 5)), rng.standard_normal((4, 3, 3, 3))
    y = K.conv_transpose2d(x, w, None, 1, padding, algorithm="winograd")
    assert_close(y, K.conv_transpose2d(x, w, None, 1, padding, algorithm="direct"))
    gy = rng.standard_normal(y.shape)
    want = K.conv_transpose2d_backward(gy, x, w, 1, padding, algorithm="direct")
    got = K.conv_transpose2d_backward(gy, x, w, 1, padding, algorithm="winograd")
    for a, b in zip(got, want, strict=True):
        assert_close(a, b)


def test_an_empty_batch(rng):
    x, w = np.zeros((0, 2, 5, 5)), rng.standard_normal((4, 2, 3, 3))
    y = K.conv2d(x, w, padding=1, algorithm="winograd")
    assert y.shape == (0, 4, 5, 5)
    gx, gw, gb = K.conv2d_backward(y, x, w, padding=1, algorithm="winograd")
    assert gx.shape == x.shape and gw.shape == w.shape and not gw.any() and not gb.any()


def _float32_errors(channels: int, algorithm: str) -> list[float]:
    """max|error| / max|exact| of the forward, dL/dX and dL/dW computed in float32 by
    `algorithm`, against the float64 computation (equal to the reference to rounding)."""
    rng = np.random.default_rng(channels)
    x = rng.standard_normal((2, channels, 18, 18))
    w = rng.standard_normal((32, channels, 3, 3)) / np.sqrt(9 * channels)
    gy = rng.standard_normal((2, 32, 18, 18))
    exact = (
        K.conv2d(x, w, padding=1, algorithm="im2col"),
        *K.conv2d_backward(gy, x, w, padding=1, algorithm="im2col")[:2],
    )
    x32, w32, gy32 = (a.astype(np.float32) for a in (x, w, gy))
    got = (
        K.conv2d(x32, w32, padding=1, algorithm=algorithm),
        *K.conv2d_backward(gy32, x32, w32, padding=1, algorithm=algorithm)[:2],
    )
    return [float(np.abs(a - b).max() / np.abs(b).max()) for a, b in zip(got, exact, strict=True)]


@pytest.mark.parametrize("channels", [16, 64, 256])
def test_float32_error_within_four_times_im2cols(channels):
    """The issue's bound: F(2x2, 3x3) in float32, against float64, errs at most 4x as much
    as im2col's float32 GEMM, for the forward and both gradients (measured here: 0.6-1.7x;
    F(4x4, 3x3) measured 3.4-26x, winograd.py's docstring)."""
    ours = _float32_errors(channels, "winograd")
    theirs = _float32_errors(channels, "im2col")
    for name, a, b in zip(("forward", "grad_input", "grad_weight"), ours, theirs, strict=True):
        assert a <= 4 * b, f"{name}: winograd {a:.3g} against im2col {b:.3g}"
        assert a < 1e-5, name


def test_gradcheck(rng):
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((4, 2, 3, 3))
    opts = dict(padding=1, groups=2, algorithm="winograd")
    fn = lambda x, w: (K.conv2d(x, w, **opts), lambda g: K.conv2d_backward(g, x, w, **opts)[:2])  # noqa: E731
    assert gradcheck(fn, [x, w])


def test_the_same_bits_with_one_and_two_threads(rng, threads):
    """Each thread owns its blocks' outputs (the blocks themselves change with the thread
    count, no tile's arithmetic does), and dL/dW sums fixed slabs in order."""
    x = rng.standard_normal((7, 12, 30, 26)).astype(np.float32)  # 105 tile rows: 9 blocks
    w = rng.standard_normal((10, 6, 3, 3)).astype(np.float32)
    opts = dict(padding=1, groups=2, algorithm="winograd")
    gy = rng.standard_normal(K.conv2d(x, w, **opts).shape).astype(np.float32)
    assert_same_bits_for_one_and_two_threads(threads, x, w, gy, opts)


def test_non_finite_values_land_where_the_definition_puts_them(rng):
    """The transforms mix a tile's cells, so a NaN or an infinity runs on im2col (the
    record's nonfinite_detour): it reaches exactly the outputs whose windows read it."""
    x, w = rng.standard_normal((2, 2, 7, 6)), rng.standard_normal((2, 2, 3, 3))
    x[1, 0, 2, 3], w[1, 1, 2, 2], w[0, 0, 0, 1] = np.nan, np.inf, -np.inf
    gy = rng.standard_normal((2, 2, 7, 6))
    gy[0, 1, 1, 1] = np.inf
    got = (K.conv2d(x, w, padding=1, algorithm="winograd"),)
    got += K.conv2d_backward(gy, x, w, padding=1, algorithm="winograd")
    want = (K.conv2d(x, w, padding=1, algorithm="direct"),)
    want += K.conv2d_backward(gy, x, w, padding=1, algorithm="direct")
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        finite = np.isfinite(b)
        np.testing.assert_array_equal(a[~finite], b[~finite])
        np.testing.assert_allclose(a[finite], b[finite], atol=1e-12)


def test_results_survive_the_next_call(rng):
    x, w = rng.standard_normal((3, 4, 9, 9)), rng.standard_normal((5, 4, 3, 3))
    y = K.conv2d(x, w, padding=1, algorithm="winograd")
    grads = K.conv2d_backward(y, x, w, padding=1, algorithm="winograd")
    kept = [a.copy() for a in (y, *grads)]
    K.conv2d(-x, 2 * w, padding=1, algorithm="winograd")
    K.conv2d_backward(-y, -x, 2 * w, padding=1, algorithm="winograd")
    for a, b in zip((y, *grads), kept, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "x_shape, w_shape, stride, dilation",
    [
        ((2, 4, 9, 9), (4, 4, 3, 3), 2, 1),
        ((2, 4, 9, 9), (4, 4, 3, 3), (1, 2), 1),
        ((2, 4, 9, 9), (4, 4, 3, 3), 1, 2),
        ((2, 4, 9, 9), (4, 4, 5, 5), 1, 1),
        ((2, 4, 9, 9), (4, 4, 3, 1), 1, 1),
        ((2, 4, 9), (4, 4, 3), 1, 1),
        ((2, 4, 5, 5, 5), (4, 4, 3, 3, 3), 1, 1),
    ],
)
def test_other_layers_are_refused_naming_the_op_and_the_rule(x_shape, w_shape, stride, dilation):
    g = conv_geometry("t", x_shape, w_shape, stride, 1, dilation, 1)
    op = f"conv{len(x_shape) - 2}d"
    rule = r"\(it needs a 2-D layer with a 3x3 kernel, stride 1 and dilation 1\)"
    with pytest.raises(ValueError, match=rf"^{op}: algorithm 'winograd' does not support .*{rule}"):
        choose("winograd", g, op)


def test_refused_while_numba_is_off(monkeypatch):
    monkeypatch.setenv("CONVPROP_JIT", "0")
    g = conv2d_geometry("t", (2, 4, 9, 9), (4, 4, 3, 3), padding=1)
    with pytest.raises(ValueError, match=r"^conv2d: algorithm 'winograd' .*Numba is off"):
        choose("winograd", g, "conv2d")
    x, w = np.ones((1, 2, 5, 5)), np.ones((2, 2, 3, 3))
    with pytest.raises(ValueError, match=r"^conv2d: .*Numba is off \(CONVPROP_JIT=0\)"):
        K.conv2d(x, w, algorithm="winograd")


def test_the_transforms_are_the_documented_matrices(rng):
    """Each compiled transform, on one tile, equals its matrix product (winograd.py's BT,
    G and AT): B^T d B, G g G^T, A^T m A, A g A^T, and G^T dU G for dL/dW."""
    from convprop.kernels.conv import winograd as W
    from convprop.kernels.conv import winograd_tiles as T

    u = np.uint64
    d = rng.standard_normal((4, 4))
    v = np.empty(16)
    T.input_row(d.reshape(-1), u(0), 4, 4, 0, 0, 1, v, u(0), u(1), np.empty(16), np.empty(16))
    np.testing.assert_allclose(v.reshape(4, 4), W.BT @ d @ W.BT.T, atol=1e-14)
    m = rng.standard_normal(16)
    y = np.empty(4)
    T.output_row(m, u(0), u(1), 1, y, u(0), 2, True, np.empty(4))
    np.testing.assert_allclose(y.reshape(2, 2), W.AT @ m.reshape(4, 4) @ W.AT.T, atol=1e-14)
    g = rng.standard_normal((2, 2))
    z = np.empty(16)
    T.grad_row(g.reshape(-1), u(0), 2, 2, 1, z, u(0), u(1), np.empty(4))
    np.testing.assert_allclose(z.reshape(4, 4), W.AT.T @ g @ W.AT, atol=1e-14)
    f = rng.standard_normal((5, 3, 3))
    U = W.filter_transform(f.reshape(5, 1, 3, 3))
    np.testing.assert_allclose(U[:, :, 0].T.reshape(5, 4, 4), W.G @ f @ W.G.T, atol=1e-14)
    dU = rng.standard_normal((16, 5))
    dw = np.empty((5, 9))
    T.filters_adjoint(dU, dw)
    want = W.G.T @ dU.T.reshape(5, 4, 4) @ W.G
    np.testing.assert_allclose(dw.reshape(5, 3, 3), want, atol=1e-14)


def test_the_record_loads_winograd_on_its_first_call(rng):
    from convprop.kernels import ALGORITHMS
    from convprop.kernels.conv import winograd as W

    record = ALGORITHMS["winograd"]
    names = ("conv_forward", "conv_grad_input", "conv_grad_weight")
    primitives = (record.forward, record.grad_input, record.grad_weight)
    assert [p.__name__ for p in primitives] == list(names)
    g = conv2d_geometry("t", (2, 2, 5, 6), (4, 1, 3, 3), 1, 1, 1, 2)
    x, w, gy = (rng.standard_normal(s) for s in (g.x_shape, g.w_shape, g.y_shape))
    for primitive, name, a, b in zip(primitives, names, (x, gy, gy), (w, w, x), strict=True):
        np.testing.assert_array_equal(primitive(a, b, g), getattr(W, name)(a, b, g))
