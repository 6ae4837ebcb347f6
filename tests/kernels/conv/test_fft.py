"""kernels/conv/fft.py: equal to the reference on the grid, in both dtypes."""

import numpy as np
import pytest

from convprop.kernels import conv2d

from ...helpers import TOLERANCE, compiled_and_numpy, max_error
from .check_algorithm import assert_matches_reference, assert_same_bits_for_one_and_two_threads
from .grid import GRID, grid_id


@pytest.mark.parametrize("case", GRID, ids=grid_id)
def test_fft_equals_reference(case):
    assert_matches_reference(case, "fft")


def test_fft_large_kernel_float32_stays_accurate(rng):
    """An 11x11 layer (the FFT's home ground) in float32 against the float64 reference."""
    x = rng.standard_normal((2, 3, 24, 20))
    w = rng.standard_normal((4, 3, 11, 11))
    want = conv2d(x, w, padding=5, algorithm="im2col")
    got = conv2d(x.astype(np.float32), w.astype(np.float32), padding=5, algorithm="fft")
    assert got.dtype == np.float32
    assert np.abs(got - want).max() <= 2e-5 * np.abs(want).max()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups", [1, 2, 4])
def test_compiled_products_equal_numpys_matmul(rng, monkeypatch, dtype, groups):
    """The channel sums per frequency (fft_products.py) against NumPy's batched matmul, for
    all three products: the same complex products, summed in another order."""
    from convprop.kernels.conv import fft

    n, c, o, f = 3, 8, 4 * groups, 37

    def spectrum(*shape):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(
            np.result_type(dtype, np.complex64)
        )

    xs, ws, dys = spectrum(n, c, f), spectrum(o, c // groups, f), spectrum(n, o, f)
    for product, a, b in [
        (fft._forward_products, xs, ws),
        (fft._input_products, dys, ws),
        (fft._weight_products, dys, xs),
    ]:
        fast, slow = compiled_and_numpy(
            monkeypatch, lambda p=product, a=a, b=b: p(a, b, groups, np.dtype(dtype))
        )
        assert fast.dtype == slow.dtype == a.dtype and fast.shape == slow.shape
        for part in (np.real, np.imag):
            assert max_error(part(fast), part(slow)) <= TOLERANCE[np.dtype(dtype)]


def test_the_spectrum_one_axis_at_a_time_equals_rfftn(rng):
    """Transforming the last axis first, each on what is nonzero so far, is rfftn."""
    import scipy.fft

    from convprop.kernels.conv import fft

    for shape, size in [
        ((2, 3, 9, 9), (72, 72)),
        ((2, 3, 5), (16,)),
        ((1, 2, 3, 4, 5), (8, 9, 10)),
    ]:
        a = rng.standard_normal(shape)
        want = scipy.fft.rfftn(a, s=size, axes=tuple(range(-len(size), 0)))
        got = fft._spectrum(a, size)
        np.testing.assert_allclose(got, want.reshape(got.shape), rtol=0, atol=1e-12)


def test_the_same_bits_with_one_and_two_threads(rng, threads):
    """Each thread owns whole output rows of the products and sums them in order."""
    x = rng.standard_normal((5, 6, 20, 18)).astype(np.float32)
    w = rng.standard_normal((4, 3, 7, 7)).astype(np.float32)
    opts = dict(padding=3, groups=2, algorithm="fft")
    gy = rng.standard_normal(conv2d(x, w, **opts).shape).astype(np.float32)
    assert_same_bits_for_one_and_two_threads(threads, x, w, gy, opts)


def test_an_empty_batch(rng):
    """No image: every output empty, dL/dW zero (a size-0 spectrum keeps its frequency axis)."""
    from convprop.kernels import conv2d_backward

    x, w = np.zeros((0, 4, 9, 9)), rng.standard_normal((6, 2, 3, 3))
    y = conv2d(x, w, padding=1, groups=2, algorithm="fft")
    assert y.shape == (0, 6, 9, 9)
    gx, gw, gb = conv2d_backward(y, x, w, padding=1, groups=2, algorithm="fft")
    assert gx.shape == x.shape and gb.shape == (6,)
    np.testing.assert_array_equal(gw, np.zeros_like(w))


@pytest.fixture(params=[1, 5], ids=["tile-per-output", "uneven-tiles"])
def tiled(request, monkeypatch):
    """fft_tiles cuts every axis it can: patches `param` cells long (at least one window
    span), whatever the image's size."""
    from convprop.kernels.conv import fft_tiles

    monkeypatch.setattr(fft_tiles, "LENGTH", request.param)
    monkeypatch.setattr(fft_tiles, "SPANS", 1)
    monkeypatch.setattr(fft_tiles, "TILE_ABOVE", 0)
    return fft_tiles


@pytest.mark.parametrize("case", GRID, ids=grid_id)
def test_tiled_fft_equals_reference(case, tiled):
    """Overlap-save forward, overlap-add dL/dX and the tiles' summed dL/dW, on the grid."""
    assert_matches_reference(case, "fft")


def test_the_grid_is_tiled_when_forced(tiled):
    """The test above runs tiles: most of the grid's layers are cut into several."""
    from convprop.shapes import conv2d_geometry

    plans = [
        tiled._plan(conv2d_geometry("t", (2, 4, h, w), (8, 4 // g, kh, kw), s, p, d, g))
        for (h, w, kh, kw), s, p, d, g, _ in GRID
    ]
    assert sum(plan is not None for plan in plans) > len(plans) // 2


def test_a_large_image_is_tiled_and_equals_im2col(rng):
    """The default rule: a 160x150 image (166x156 padded) with a 7x7 filter at stride 2 runs
    as patches of at most 64 cells: 80x75 outputs in 3x3 tiles of at most 29."""
    from convprop.kernels import conv2d_backward
    from convprop.kernels.conv import fft_tiles
    from convprop.shapes import conv2d_geometry

    x = rng.standard_normal((2, 3, 160, 150))
    w = rng.standard_normal((4, 3, 7, 7))
    plan = fft_tiles._plan(conv2d_geometry("t", x.shape, w.shape, 2, 3, 1, 1))
    assert plan is not None and plan[1] == (3, 3)
    opts = dict(stride=2, padding=3)
    want = conv2d(x, w, **opts, algorithm="im2col")
    np.testing.assert_allclose(conv2d(x, w, **opts, algorithm="fft"), want, atol=1e-10)
    gy = rng.standard_normal(want.shape)
    for got, ref in zip(
        conv2d_backward(gy, x, w, **opts, algorithm="fft"),
        conv2d_backward(gy, x, w, **opts, algorithm="im2col"),
        strict=True,
    ):
        np.testing.assert_allclose(got, ref, atol=1e-9)


def test_tiles_take_an_empty_batch(tiled):
    x = np.zeros((0, 2, 12, 10), np.float32)
    w = np.ones((3, 2, 3, 3), np.float32)
    assert conv2d(x, w, padding=1, algorithm="fft").shape == (0, 3, 12, 10)


def test_tiles_give_the_same_bits_with_one_and_two_threads(rng, threads, tiled):
    x = rng.standard_normal((3, 4, 21, 18)).astype(np.float32)
    w = rng.standard_normal((4, 2, 5, 5)).astype(np.float32)
    opts = dict(padding=2, groups=2, algorithm="fft")
    gy = rng.standard_normal(conv2d(x, w, **opts).shape).astype(np.float32)
    assert_same_bits_for_one_and_two_threads(threads, x, w, gy, opts)
