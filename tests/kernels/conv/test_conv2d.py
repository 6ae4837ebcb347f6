"""kernels/conv/api.py: the public conv2d / conv_transpose2d contract."""

import itertools

import numpy as np
import pytest

from convprop.kernels import (
    conv2d,
    conv2d_backward,
    conv2d_input,
    conv2d_weight,
    conv_transpose2d,
    conv_transpose2d_backward,
)

from ...helpers import assert_close

ALGORITHMS = ["direct", "im2col", "fft", "auto"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes_are_preserved(rng, algorithm, dtype):
    x = rng.standard_normal((2, 3, 6, 5)).astype(dtype)
    w = rng.standard_normal((4, 3, 3, 3)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    y = conv2d(x, w, b, padding=1, algorithm=algorithm)
    grads = conv2d_backward(np.ones_like(y), x, w, padding=1, algorithm=algorithm)
    assert y.dtype == dtype and all(g.dtype == dtype for g in grads)
    assert [g.shape for g in grads] == [x.shape, w.shape, b.shape]
    yt = conv_transpose2d(x, w.transpose(1, 0, 2, 3).copy(), algorithm=algorithm)
    assert yt.dtype == dtype


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_non_contiguous_inputs_give_the_same_answer(rng, algorithm):
    x = rng.standard_normal((2, 5, 9, 3)).transpose(0, 3, 1, 2)[:, :, ::1, ::-1]  # (2, 3, 5, 9)
    w = rng.standard_normal((3, 3, 4, 2)).transpose(3, 0, 2, 1)  # (2, 3, 3, 4), strided
    assert not x.flags.c_contiguous and not w.flags.c_contiguous
    y = conv2d(x, w, stride=2, padding=1, algorithm=algorithm)
    assert_close(y, conv2d(x.copy(), w.copy(), stride=2, padding=1, algorithm=algorithm))
    gy = rng.standard_normal(y.shape)[:, :, ::-1]  # non-contiguous upstream gradient too
    got = conv2d_backward(gy, x, w, stride=2, padding=1, algorithm=algorithm)
    want = conv2d_backward(gy.copy(), x.copy(), w.copy(), stride=2, padding=1, algorithm=algorithm)
    for a, b in zip(got, want, strict=True):
        assert_close(a, b)


def test_bias_adds_one_value_per_output_channel(rng):
    x = rng.standard_normal((2, 3, 5, 5))
    w = rng.standard_normal((4, 3, 3, 3))
    b = np.array([1.0, -2.0, 3.0, 0.5])
    np.testing.assert_allclose(
        conv2d(x, w, b) - conv2d(x, w), np.broadcast_to(b[:, None, None], (2, 4, 3, 3))
    )


def test_convolution_convention_flips_the_filter(rng):
    x = rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 2))
    assert_close(conv2d(x, w, convention="convolution"), conv2d(x, w[:, :, ::-1, ::-1].copy()))
    gy = rng.standard_normal((2, 4, 4, 5))
    _, gw_conv, _ = conv2d_backward(gy, x, w, convention="convolution")
    _, gw_corr, _ = conv2d_backward(gy, x, w[:, :, ::-1, ::-1].copy())
    assert_close(gw_conv, gw_corr[:, :, ::-1, ::-1].copy())


TRANSPOSE_GRID = list(itertools.product([1, 2, 3], [0, 1], [0, 1], [1, 2], [1, 2]))


@pytest.mark.parametrize("algorithm", ["im2col", "fft"])
@pytest.mark.parametrize("stride, padding, output_padding, dilation, groups", TRANSPOSE_GRID)
def test_conv_transpose2d_equals_reference(
    rng, algorithm, stride, padding, output_padding, dilation, groups
):
    if output_padding >= max(stride, dilation):
        with pytest.raises(ValueError, match="output_padding"):
            conv_transpose2d(
                np.ones((1, 2, 3, 3)), np.ones((2, 1, 3, 3)), None, stride, padding, output_padding
            )
        return
    x = rng.standard_normal((2, 4, 4, 3))
    w = rng.standard_normal((4, 6 // groups, 3, 2))
    b = rng.standard_normal(6)
    options = dict(
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )
    y_ref = conv_transpose2d(x, w, b, **options, algorithm="direct")
    assert_close(conv_transpose2d(x, w, b, **options, algorithm=algorithm), y_ref)
    gy = rng.standard_normal(y_ref.shape)
    want = conv_transpose2d_backward(gy, x, w, **options, algorithm="direct")
    got = conv_transpose2d_backward(gy, x, w, **options, algorithm=algorithm)
    for a, b_ in zip(got, want, strict=True):
        assert_close(a, b_)


@pytest.mark.parametrize(
    "stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 1, 1, 2), (3, 2, 2, 1)]
)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(rng, stride, padding, dilation, groups):
    """<conv2d(u, W), v> = <u, conv_transpose2d(v, W)>, the definition."""
    u = rng.standard_normal((2, 4, 9, 8))
    w = rng.standard_normal((6, 4 // groups, 3, 3))
    y = conv2d(u, w, None, stride, padding, dilation, groups)
    v = rng.standard_normal(y.shape)
    out_pad = tuple((s + 2 * padding - dilation * 2 - 1) % stride for s in u.shape[2:])
    ut = conv_transpose2d(v, w, None, stride, padding, out_pad, groups, dilation)
    assert ut.shape == u.shape
    np.testing.assert_allclose(np.sum(y * v), np.sum(u * ut), rtol=1e-12)


def test_empty_batch_is_allowed(rng):
    x = np.zeros((0, 3, 5, 5))
    w = rng.standard_normal((4, 3, 3, 3))
    y = conv2d(x, w)
    assert y.shape == (0, 4, 3, 3)
    gx, gw, gb = conv2d_backward(y, x, w)
    assert gx.shape == x.shape and not gw.any() and not gb.any()


@pytest.mark.parametrize("algorithm", ["direct", "im2col", "fft"])
def test_single_gradients_match_conv2d_backward_and_torch_nn_grad(rng, algorithm):
    import torch

    x = rng.standard_normal((2, 4, 9, 7))
    w = rng.standard_normal((6, 2, 3, 2))
    options = dict(stride=2, padding=1, dilation=(1, 2), groups=2)
    gy = rng.standard_normal(conv2d(x, w, **options).shape)
    gx, gw, _ = conv2d_backward(gy, x, w, **options, algorithm=algorithm)
    assert_close(conv2d_input(x.shape, w, gy, **options, algorithm=algorithm), gx)
    assert_close(conv2d_weight(x, w.shape, gy, **options, algorithm=algorithm), gw)
    t = {k: torch.tensor(v) for k, v in dict(x=x, w=w, gy=gy).items()}
    assert_close(gx, torch.nn.grad.conv2d_input(x.shape, t["w"], t["gy"], **options).numpy())
    assert_close(gw, torch.nn.grad.conv2d_weight(t["x"], w.shape, t["gy"], **options).numpy())


def test_single_gradient_errors_name_the_shapes():
    with pytest.raises(ValueError, match="input_size must be four"):
        conv2d_input((2, 3, 5), np.ones((4, 3, 3, 3)), np.ones((2, 4, 3, 3)))
    with pytest.raises(ValueError, match=r"grad_y has shape \(2, 4, 4, 4\)"):
        conv2d_weight(np.ones((2, 3, 5, 5)), (4, 3, 3, 3), np.ones((2, 4, 4, 4)))
