"""kernels/conv/api.py: conv1d and conv3d, their transposes and gradients, from the same
N-dimensional kernels as conv2d: every algorithm against the reference loops, the
reference against PyTorch, and gradcheck."""

import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from convprop import gradcheck
from convprop import kernels as K

from ...helpers import assert_close

# (sizes, kernel, stride, padding, dilation, groups); each in 1-D and 3-D
GRID_1D = [
    ((9,), (3,), 1, 0, 1, 1),
    ((10,), (4,), 2, 1, 1, 2),
    ((8,), (3,), 1, "same", 2, 4),
    ((7,), (2,), 3, ((2, 0),), 1, 1),
    ((1,), (1,), 1, 0, 1, 1),
    ((12,), (5,), 1, 2, 2, 1),
]
GRID_3D = [
    ((4, 5, 3), (2, 3, 1), 1, 0, 1, 1),
    ((5, 4, 6), (3, 2, 3), (2, 1, 2), 1, 1, 2),
    ((4, 4, 5), (3, 3, 3), 1, "same", (1, 2, 1), 4),
    ((6, 5, 4), (2, 2, 2), 2, ((1, 0), 0, (0, 2)), 1, 1),
    ((3, 3, 3), (1, 1, 1), 1, 0, 1, 1),
]
FUNCS = {1: (K.conv1d, K.conv1d_backward), 3: (K.conv3d, K.conv3d_backward)}


def _case(case, dtype, seed_text):
    sizes, kernel, stride, padding, dilation, groups = case
    rng = np.random.default_rng(zlib.crc32(seed_text.encode()))
    x = rng.standard_normal((2, 4, *sizes)).astype(dtype)
    w = rng.standard_normal((8, 4 // groups, *kernel)).astype(dtype)
    b = rng.standard_normal(8).astype(dtype)
    return x, w, b, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


CASES = [(1, c) for c in GRID_1D] + [(3, c) for c in GRID_3D]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("algorithm", ["im2col", "fft", "fft-in-tiles", "batch_inner", "auto"])
@pytest.mark.parametrize("dims, case", CASES, ids=str)
def test_every_algorithm_equals_the_reference_loops(dims, case, algorithm, dtype, monkeypatch):
    from convprop.kernels.conv import batch_inner, fft_tiles

    # NCHW columns for "im2col" (and "auto"): the width rule would pick batch_inner for most
    monkeypatch.setattr(batch_inner, "WIDTH_LIMIT", 0)
    if algorithm == "fft-in-tiles":  # every axis cut where it can be: one output per tile
        for name, value in (("LENGTH", 1), ("SPANS", 1), ("TILE_ABOVE", 0)):
            monkeypatch.setattr(fft_tiles, name, value)
        algorithm = "fft"
    forward, backward = FUNCS[dims]
    x, w, b, opts = _case(case, dtype, f"{dims}{case}")
    y_ref = forward(x, w, b, **opts, algorithm="direct")
    assert_close(forward(x, w, b, **opts, algorithm=algorithm), y_ref)
    gy = np.random.default_rng(1).standard_normal(y_ref.shape).astype(dtype)
    refs = backward(gy, x, w, **opts, algorithm="direct")
    for got, want in zip(backward(gy, x, w, **opts, algorithm=algorithm), refs, strict=True):
        assert_close(got, want)


def _torch_padding(padding, dims):
    """PyTorch's conv takes symmetric padding only: pre-pad explicit pairs with F.pad."""
    if isinstance(padding, (tuple, list)) and any(isinstance(p, tuple) for p in padding):
        pairs = [p if isinstance(p, tuple) else (p, p) for p in padding]
        return [v for pair in reversed(pairs) for v in pair], 0
    return None, padding


@pytest.mark.parametrize("dims, case", CASES, ids=str)
def test_the_reference_equals_pytorch_forward_and_every_gradient(dims, case):
    forward, backward = FUNCS[dims]
    x, w, b, opts = _case(case, np.float64, f"torch{dims}{case}")
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    pre, padding = _torch_padding(opts["padding"], dims)
    tconv = {1: TF.conv1d, 3: TF.conv3d}[dims]
    xin = TF.pad(xt, pre) if pre else xt
    yt = tconv(xin, wt, bt, opts["stride"], padding, opts["dilation"], opts["groups"])
    y = forward(x, w, b, **opts, algorithm="direct")
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    gy = np.random.default_rng(2).standard_normal(y.shape)
    yt.backward(torch.tensor(gy))
    for got, want in zip(backward(gy, x, w, **opts), (xt.grad, wt.grad, bt.grad), strict=True):
        np.testing.assert_allclose(got, want.numpy(), atol=1e-11)


TRANSPOSED = [
    (1, (6,), (3,), 2, 1, 1, 1, 1),
    (1, (5,), (4,), 3, 0, 2, 2, 1),
    (3, (3, 4, 2), (2, 3, 2), (2, 1, 2), (0, 1, 1), (1, 0, 1), 1, 1),
    (3, (2, 3, 3), (3, 2, 2), 1, 0, 0, 2, (1, 2, 1)),
]


@pytest.mark.parametrize(
    "dims, sizes, kernel, stride, padding, out_pad, groups, dilation", TRANSPOSED, ids=str
)
def test_transposed_convolutions_equal_pytorch(
    dims, sizes, kernel, stride, padding, out_pad, groups, dilation
):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, *sizes))
    w = rng.standard_normal((4, 6 // groups, *kernel))
    b = rng.standard_normal(6)
    opts = (stride, padding, out_pad, groups, dilation)
    forward = {1: K.conv_transpose1d, 3: K.conv_transpose3d}[dims]
    backward = {1: K.conv_transpose1d_backward, 3: K.conv_transpose3d_backward}[dims]
    tconv = {1: TF.conv_transpose1d, 3: TF.conv_transpose3d}[dims]
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = tconv(xt, wt, bt, *opts)
    for algorithm in ("direct", "im2col", "fft"):
        y = forward(x, w, b, *opts, algorithm=algorithm)
        np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-11)
    gy = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(gy))
    for got, want in zip(backward(gy, x, w, *opts), (xt.grad, wt.grad, bt.grad), strict=True):
        np.testing.assert_allclose(got, want.numpy(), atol=1e-11)


@pytest.mark.parametrize("dims", [1, 3])
def test_single_gradients_and_gradcheck(dims):
    forward, backward = FUNCS[dims]
    rng = np.random.default_rng(4)
    sizes = (7,) if dims == 1 else (4, 3, 5)
    x = rng.standard_normal((2, 2, *sizes))
    w = rng.standard_normal((3, 2, *(2,) * dims))
    opts = dict(stride=2, padding=1)
    y = forward(x, w, **opts)
    gy = rng.standard_normal(y.shape)
    gx, gw, _ = backward(gy, x, w, **opts)
    only_x = {1: K.conv1d_input, 3: K.conv3d_input}[dims](x.shape, w, gy, **opts)
    only_w = {1: K.conv1d_weight, 3: K.conv3d_weight}[dims](x, w.shape, gy, **opts)
    np.testing.assert_array_equal(only_x, gx)
    np.testing.assert_array_equal(only_w, gw)
    fn = lambda x, w: (forward(x, w, **opts), lambda g: backward(g, x, w, **opts)[:2])  # noqa: E731
    assert gradcheck(fn, [x, w])


def test_true_convolution_reverses_every_axis():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((1, 1, 4, 5, 3)), rng.standard_normal((1, 1, 2, 3, 2))
    flipped = K.conv3d(x, w[:, :, ::-1, ::-1, ::-1].copy())
    np.testing.assert_allclose(K.conv3d(x, w, convention="convolution"), flipped, atol=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: K.conv1d(np.ones((1, 2, 5)), np.ones((3, 2, 3, 3))), "conv1d: weight must be 3-D"),
        (
            lambda: K.conv3d(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3, 3))),
            "conv3d: input must be 5-D",
        ),
        (lambda: K.conv1d(np.ones((1, 2, 2)), np.ones((3, 2, 3))), "conv1d: the dilated kernel 3"),
        (
            lambda: K.conv3d(np.ones((1, 2, 5, 5, 5)), np.ones((3, 2, 1, 1, 1)), stride=(1, 2)),
            "conv3d: stride must be an int or a triple",
        ),
        (
            lambda: K.conv1d_input((1, 2), np.ones((3, 2, 3)), np.ones((1, 3, 3))),
            "conv1d_input: input_size must be three non-negative ints",
        ),
    ],
)
def test_errors_name_the_operation_the_rule_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        call()
