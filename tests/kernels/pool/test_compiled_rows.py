"""kernels/pool/compiled_max.py and compiled_avg.py work a row of windows at a time over
input rows split by column phase, padded with -inf or +0, and route max pooling's
gradients through a per-window mask of the taps inside the input. These tests aim at
what that could get wrong: windows at the edges (padding, ceil_mode's overhanging last
window, strides past the kernel), rows longer or shorter than a block of LANES windows,
one to four column phases, dilation, 1-D and 3-D, planes that take the exact NaN path
beside planes that do not, the sign of zero (+0 padding must change no sum), switches
that the kernel must refuse as NumPy does, and windows of more than 64 taps."""

import numpy as np
import pytest

from convprop import kernels as K
from convprop.kernels import pool as P
from convprop.kernels.pool import reference as ref
from convprop.shapes import pool_geometry

from ...helpers import compiled_and_numpy, set_jit

numba = pytest.importorskip("numba")
compiled_max = pytest.importorskip("convprop.kernels.pool.compiled_max")

# (size, kernel, stride, padding, dilation, ceil_mode): out widths around a block of 16
# windows (14, 15, 16, 17, 33, 49), strides 1-4 along W (one to four phases), strides
# past the kernel (inputs no window reads), dilation, ceil_mode, inputs narrower than the
# window, 1-D and 3-D with padding along every axis
GEOMETRIES = [
    ((5, 40), 3, (1, 3), 1, 1, True),
    ((4, 50), 2, 1, 0, 1, False),
    ((3, 35), (2, 4), (1, 2), (1, 2), (1, 2), True),
    ((6, 33), 3, 2, 1, 1, False),
    ((6, 34), 3, 2, 1, 1, True),
    ((5, 31), 2, 3, 0, 1, True),
    ((4, 66), (1, 5), (1, 4), (0, 2), 1, True),
    ((5, 17), (3, 2), (2, 1), (1, 1), (2, 3), False),
    ((3, 2), 3, 1, 1, 1, False),
    ((5, 1), (3, 1), 1, (1, 0), 1, True),
    ((37,), 4, 3, 2, 1, True),
    ((16,), 3, 1, 1, 2, False),
    ((4, 5, 19), (2, 3, 3), (2, 1, 2), 1, (1, 1, 2), True),
    ((3, 4, 6), 3, 1, 1, 1, False),
]
DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True)
def _compiled(monkeypatch):
    """The compiled kernels on, also where the suite runs with CONVPROP_JIT=0."""
    set_jit(monkeypatch, True)


def _bits(a):
    """The array's bits, so that -0.0 and +0.0 (and NaN payloads) count as different."""
    return np.ascontiguousarray(a).view(np.uint32 if a.dtype == np.float32 else np.uint64)


def _ties(size, dtype, seed):
    """Few values (many ties), planes of NaN and of +inf beside finite ones."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, (2, 3, *size)).astype(dtype)
    x[0, 1].reshape(-1)[rng.integers(x[0, 1].size)] = np.nan  # one plane on the exact path
    x[1, 0].reshape(-1)[rng.integers(x[1, 0].size)] = np.inf
    x[1, 2] = 5  # a plane of one value: every window's first tap inside wins
    for plane in (x[0, 1], x[0, 2]):  # ties of -0.0 and +0.0, beside a NaN and not
        flat = plane.reshape(-1)
        flat[(flat == 0) & (np.arange(flat.size) % 2 == 0)] = -0.0
    return x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size, k, s, p, d, ceil", GEOMETRIES)
def test_max_pool_rows_equal_the_reference_loops(monkeypatch, size, k, s, p, d, ceil, dtype):
    x = _ties(size, dtype, seed=len(size) + int(ceil))
    g = pool_geometry("t", x.shape, k, s, p, d, ceil)
    y_ref, idx_ref = ref.max_pool(x, g)
    (y, sw), (y_np, sw_np) = compiled_and_numpy(
        monkeypatch, lambda: P.max_pool_switches(x, k, s, p, d, ceil)
    )
    np.testing.assert_array_equal(y, y_ref)  # of tied zeros, the reference keeps the first
    np.testing.assert_array_equal(_bits(y), _bits(y_np))  # and np.maximum the later
    np.testing.assert_array_equal(sw, sw_np)
    np.testing.assert_array_equal(P.max_pool_indices(sw, x.shape, k, s, p, d, ceil), idx_ref)
    gy = np.random.default_rng(1).standard_normal(sw.shape).astype(dtype)
    gx = P.max_pool_switches_backward(gy, sw, x.shape, k, s, p, d, ceil)
    np.testing.assert_array_equal(gx, ref.max_pool_backward(gy, idx_ref, x.shape))
    assert gx.dtype == dtype and gx.flags.c_contiguous


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size, k, s, p, d, ceil", GEOMETRIES)
@pytest.mark.parametrize("include, override", [(True, None), (False, None), (True, 3)])
def test_avg_pool_rows_equal_numpy_bit_for_bit(
    monkeypatch, size, k, s, p, d, ceil, dtype, include, override
):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, *size)).astype(dtype)
    x[0, 0] = -0.0  # sums of -0.0 are +0.0 in NumPy: the +0 padding must keep that
    x[1, 1].reshape(-1)[0] = np.nan
    args = (k, s, p, ceil, include, override)
    y, y_np = compiled_and_numpy(monkeypatch, lambda: P.avg_pool(x, *args, dilation=d))
    np.testing.assert_array_equal(_bits(y), _bits(y_np))
    g = pool_geometry("t", x.shape, k, s, p, d, ceil)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    finite = np.isfinite(y_np)
    want = ref.avg_pool(x, g, include, override)
    np.testing.assert_allclose(y[finite], want[finite], rtol=tol, atol=tol)
    gy = rng.standard_normal(y.shape).astype(dtype)
    gy[0, 1] = -0.0
    gx, gx_np = compiled_and_numpy(
        monkeypatch, lambda: P.avg_pool_backward(gy, x.shape, *args, dilation=d)
    )
    np.testing.assert_array_equal(_bits(gx), _bits(gx_np))
    want = ref.avg_pool_backward(gy, x.shape, g, include, override)
    np.testing.assert_allclose(gx, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("size, k, s, p", [((5, 6, 7), 3, 2, 1), ((29,), 3, 2, 1)])
def test_non_contiguous_1d_and_3d_input_and_gradient(size, k, s, p):
    rng = np.random.default_rng(8)
    base = rng.standard_normal((3, 2, *(2 * n for n in size))).astype(np.float32)
    x = base.swapaxes(0, 1)[(..., *(slice(None, None, 2) for _ in size))]
    assert not x.flags.c_contiguous
    xc = np.ascontiguousarray(x)
    y, sw = P.max_pool_switches(x, k, s, p)
    y_c, sw_c = P.max_pool_switches(xc, k, s, p)
    np.testing.assert_array_equal(y, y_c)
    np.testing.assert_array_equal(sw, sw_c)
    gy = rng.standard_normal((*y.shape[:-1], 2 * y.shape[-1])).astype(np.float32)[..., ::2]
    gx = P.max_pool_switches_backward(gy, sw, x.shape, k, s, p)
    np.testing.assert_array_equal(gx, P.max_pool_switches_backward(gy.copy(), sw, x.shape, k, s, p))
    a = P.avg_pool(x, k, s, p)
    np.testing.assert_array_equal(a, P.avg_pool(xc, k, s, p))
    ga = P.avg_pool_backward(gy, x.shape, k, s, p)
    np.testing.assert_array_equal(ga, P.avg_pool_backward(gy.copy(), x.shape, k, s, p))


@pytest.mark.parametrize("dtype", DTYPES)
def test_windows_of_more_than_64_taps(dtype):
    # 9x9 = 81 taps: past the kernel's bit mask of the taps inside each window
    x = np.random.default_rng(9).permutation(2 * 13 * 14).reshape(2, 1, 13, 14).astype(dtype)
    g = pool_geometry("t", x.shape, 9, 2, 4, 1, True)
    y, sw = P.max_pool_switches(x, 9, 2, 4, 1, True)
    y_ref, idx_ref = ref.max_pool(x, g)
    np.testing.assert_array_equal(y, y_ref)
    gy = np.random.default_rng(10).standard_normal(y.shape).astype(dtype)
    gx = P.max_pool_switches_backward(gy, sw, x.shape, 9, 2, 4, 1, True)
    np.testing.assert_array_equal(gx, ref.max_pool_backward(gy, idx_ref, x.shape))
    bad = sw.copy()
    bad[0, 0, 0, 0] = 0  # the corner window's tap 0 lies in the padding
    with pytest.raises(ValueError, match="a switch names tap 0, which lies in the padding"):
        P.max_pool_switches_backward(gy, bad, x.shape, 9, 2, 4, 1, True)


def _bad_switches():
    """(switches, message) pairs that max_pool_switches_backward must refuse, for a 3x3,
    stride 2, padding 1 pooling of (1, 2, 6, 7)."""
    x = np.random.default_rng(11).standard_normal((1, 2, 6, 7))
    _, sw = K.max_pool2d_switches(x, 3, 2, 1)
    high, padded, negative = sw.copy(), sw.copy(), sw.astype(np.int8)
    high[0, 1, 1, 2] = 9
    padded[0, 1, 2, 0] = 3  # the first column of windows: taps 0, 3, 6 are padding
    negative[0, 0, 1, 1] = -1
    return [
        (high, r"switches must be taps in \[0, kH\*kW\) = \[0, 9\)"),
        (padded, "a switch names tap 3, which lies in the padding"),
        (negative, r"switches must be taps in \[0, kH\*kW\) = \[0, 9\)"),
        (sw.astype(np.float32), "switches must be integers"),
        (sw[..., :2], r"switches must be an array of shape \(1, 2, 3, 4\)"),
    ]


@pytest.mark.parametrize("case", range(5))
def test_bad_switches_are_refused_compiled_as_in_numpy(monkeypatch, case):
    switches, message = _bad_switches()[case]
    gy = np.ones((1, 2, 3, 4))
    for on in (True, False):
        set_jit(monkeypatch, on)
        with pytest.raises(ValueError, match=f"max_pool2d_switches_backward: {message}"):
            K.max_pool2d_switches_backward(gy, switches, (1, 2, 6, 7), 3, 2, 1)


def test_a_bad_switch_is_named_before_a_wrong_gradient_shape():
    switches, _ = _bad_switches()[0]
    with pytest.raises(ValueError, match="switches must be taps"):
        K.max_pool2d_switches_backward(np.ones((1, 2, 3, 3)), switches, (1, 2, 6, 7), 3, 2, 1)


def test_the_kernel_reports_each_plane_holding_a_bad_switch():
    x = np.random.default_rng(12).standard_normal((2, 3, 6, 7))
    g = pool_geometry("t", x.shape, 3, 2, 1, 1, False)
    _, sw = K.max_pool2d_switches(x, 3, 2, 1)
    gy = np.ones(sw.shape)
    assert compiled_max.max_backward(gy, sw, x.shape, g)[1]
    bad = sw.copy()
    bad[1, 2, 0, 0] = 0  # the corner window's tap 0 is padding: routed nowhere
    gx, valid = compiled_max.max_backward(gy, bad, x.shape, g)
    assert not valid
    assert gx[1, 2].sum() == gy[1, 2].sum() - 1  # every other window still routed
