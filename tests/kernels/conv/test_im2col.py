"""kernels/conv/im2col.py and batch_inner.py: equal to the reference on the grid, in both column
layouts; col2im is im2col's adjoint."""

import numpy as np
import pytest

from convprop.kernels.conv import batch_inner
from convprop.kernels.conv.im2col import col2im, im2col
from convprop.shapes import conv2d_geometry

from .check_algorithm import assert_matches_reference
from .grid import GRID, grid_id


@pytest.fixture(params=["im2col", "batch_inner"])
def layout(request, monkeypatch):
    """One column layout, by its record's name: "im2col" would follow the width rule to
    batch_inner for every grid case, so the rule is switched off for NCHW's columns."""
    if request.param == "im2col":
        monkeypatch.setattr(batch_inner, "WIDTH_LIMIT", 0)
    return request.param


@pytest.mark.parametrize("case", GRID, ids=grid_id)
def test_im2col_equals_reference(case, layout):
    assert_matches_reference(case, layout)


def test_layout_rule_picks_batch_inner_for_small_images_only():
    small = conv2d_geometry("t", (64, 6, 14, 14), (16, 6, 5, 5))
    wide = conv2d_geometry("t", (8, 64, 56, 56), (64, 64, 3, 3), padding=1)
    single = conv2d_geometry("t", (1, 6, 14, 14), (16, 6, 5, 5))
    assert batch_inner.preferred(small)
    assert not batch_inner.preferred(wide) and not batch_inner.preferred(single)


def test_pointwise_columns_are_the_input_itself(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    g = conv2d_geometry("t", x.shape, (4, 3, 1, 1))
    assert np.shares_memory(im2col(x, g, "cols"), x)
    assert not np.shares_memory(im2col(x, g), x)  # without a scratch name: a copy, as promised


def test_im2col_columns_hold_the_windows(rng):
    """cols[n, c, a, b, i, j] = Xp[n, c, i*S + a*D, j*S + b*D], checked element by element."""
    x = rng.standard_normal((2, 3, 9, 8))
    g = conv2d_geometry("t", x.shape, (4, 3, 3, 2), stride=(2, 3), padding=1, dilation=(2, 1))
    cols = im2col(x, g)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ho, wo = g.out_size
    for a in range(3):
        for b in range(2):
            for i in range(ho):
                for j in range(wo):
                    np.testing.assert_array_equal(
                        cols[:, :, a, b, i, j], xp[:, :, i * 2 + a * 2, j * 3 + b]
                    )


@pytest.mark.parametrize(
    "stride, padding, dilation", [(1, 0, 1), (2, 1, 1), (3, 2, 2), (2, ((0, 2), (1, 0)), 1)]
)
def test_col2im_is_the_adjoint_of_im2col(rng, stride, padding, dilation):
    """<im2col(x), c> = <x, col2im(c)> for random x and c."""
    x = rng.standard_normal((2, 3, 8, 7))
    g = conv2d_geometry("t", x.shape, (4, 3, 3, 3), stride, padding, dilation)
    c = rng.standard_normal(im2col(x, g).shape)
    np.testing.assert_allclose(np.sum(im2col(x, g) * c), np.sum(x * col2im(c, g)), rtol=1e-12)


@pytest.mark.parametrize(
    "padding, dilation, groups",
    [(0, 1, 1), (1, 1, 2), ("same", 2, 4), (((2, 0), (0, 3)), (2, 1), 1), (3, 1, 1)],
)
def test_both_input_gradient_routes_equal_the_reference(rng, padding, dilation, groups):
    """Stride 1 picks the flipped-filter correlation or col2im by size; both must be exact."""
    from convprop.kernels.conv import reference
    from convprop.kernels.conv.im2col import _grad_input_by_col2im, grad_input_as_correlation

    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((8, 4 // groups, 3, 2))
    g = conv2d_geometry("t", x.shape, w.shape, 1, padding, dilation, groups)
    gy = rng.standard_normal(g.y_shape)
    want = reference.conv_grad_input(gy, w, g)
    np.testing.assert_allclose(grad_input_as_correlation(gy, w, g), want, atol=1e-12)
    # the correlation in either column layout (batch_inner's forward as the stride-1 core)
    batched = grad_input_as_correlation(gy, w, g, batch_inner.conv_forward)
    np.testing.assert_allclose(batched, want, atol=1e-12)
    np.testing.assert_allclose(_grad_input_by_col2im(gy, w, g), want, atol=1e-12)


def test_correlation_route_with_a_truncated_output():
    """conv_transpose2d's output_padding < dilation leaves Ho smaller than the formula's."""
    from convprop.kernels import conv_transpose2d

    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, 3, 3)), rng.standard_normal((2, 3, 3, 3))
    got = conv_transpose2d(x, w, None, 1, 0, 1, 1, 2, algorithm="im2col")
    want = conv_transpose2d(x, w, None, 1, 0, 1, 1, 2, algorithm="direct")
    np.testing.assert_allclose(got, want, atol=1e-12)
