"""PyTorch as the outside oracle in 1-D and 3-D: conv, transposed conv, max and average
pooling, adaptive pooling and padding modes on randomised configurations, forward and
every gradient. Where PyTorch refuses a configuration, convprop must raise ValueError."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convprop import kernels as K

from ..helpers import TOLERANCE, max_error
from .record import record

F = torch.nn.functional


def _tuple(rng, dims, low, high):
    values = rng.integers(low, high + 1, dims)
    return int(values[0]) if rng.random() < 0.5 else tuple(int(v) for v in values)


def _close(ours, theirs, dtype, config):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    assert ours.shape == theirs.shape, config
    err = max_error(ours, theirs)
    record(dtype, err)
    assert err <= TOLERANCE[np.dtype(dtype)], f"scaled error {err:.3g}; {config}"


def _refused(fn):
    try:
        out = fn()
    except (RuntimeError, ValueError):
        return True
    first = out[0] if isinstance(out, tuple) else out
    return first.numel() == 0


@pytest.mark.parametrize("seed", range(60))
def test_conv_and_transposed_conv_1d_3d_against_torch(seed):
    rng = np.random.default_rng(1000 + seed)
    dims, dtype = (1, 3)[seed % 2], ["float64", "float32"][(seed // 2) % 2]
    groups = int(rng.integers(1, 3))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    sizes = tuple(int(v) for v in rng.integers(1, 9 if dims == 1 else 6, dims))
    kernel = tuple(int(v) for v in rng.integers(1, 4, dims))
    stride, dilation = _tuple(rng, dims, 1, 3), _tuple(rng, dims, 1, 2)
    padding = _tuple(rng, dims, 0, 2)
    x = rng.standard_normal((2, c_in, *sizes)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, *kernel)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    config = dict(
        dims=dims,
        sizes=sizes,
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
    )
    conv, conv_backward = {1: (K.conv1d, K.conv1d_backward), 3: (K.conv3d, K.conv3d_backward)}[dims]
    tconv = {1: F.conv1d, 3: F.conv3d}[dims]
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    args = (stride, padding, dilation, groups)
    if _refused(lambda: tconv(xt, wt, bt, *args)):
        with pytest.raises(ValueError):
            conv(x, w, b, *args)
        return
    yt = tconv(xt, wt, bt, *args)
    y = conv(x, w, b, *args, algorithm=["im2col", "fft", "auto"][seed % 3])
    _close(y, yt, dtype, config)
    gy = rng.standard_normal(y.shape).astype(dtype)
    yt.backward(torch.tensor(gy))
    for ours, theirs in zip(
        conv_backward(gy, x, w, *args), (xt.grad, wt.grad, bt.grad), strict=True
    ):
        _close(ours, theirs, dtype, config)
    # the transposed convolution with the same weights read as (C_in, C_out/groups, *k)
    wT = rng.standard_normal((c_in, c_out // groups, *kernel)).astype(dtype)
    out_pad = 0 if rng.random() < 0.5 else 1
    targs = (stride, padding, out_pad, groups, dilation)
    transpose = {
        1: (K.conv_transpose1d, K.conv_transpose1d_backward),
        3: (K.conv_transpose3d, K.conv_transpose3d_backward),
    }[dims]
    ttranspose = {1: F.conv_transpose1d, 3: F.conv_transpose3d}[dims]
    xt2, wt2 = torch.tensor(x, requires_grad=True), torch.tensor(wT, requires_grad=True)
    if _refused(lambda: ttranspose(xt2, wt2, None, *targs)):
        with pytest.raises(ValueError):
            transpose[0](x, wT, None, *targs)
        return
    yt2 = ttranspose(xt2, wt2, None, *targs)
    y2 = transpose[0](x, wT, None, *targs)
    _close(y2, yt2, dtype, config)
    gy2 = rng.standard_normal(y2.shape).astype(dtype)
    yt2.backward(torch.tensor(gy2))
    gx2, gw2, _ = transpose[1](gy2, x, wT, *targs)
    _close(gx2, xt2.grad, dtype, config)
    _close(gw2, wt2.grad, dtype, config)


@pytest.mark.parametrize("seed", range(60))
def test_pools_and_padding_1d_3d_against_torch(seed):
    rng = np.random.default_rng(2000 + seed)
    dims = (1, 3)[seed % 2]
    sizes = tuple(int(v) for v in rng.integers(1, 10 if dims == 1 else 6, dims))
    x = rng.integers(-3, 4, (2, 2, *sizes)).astype(np.float64)  # small integers: ties
    kernel, stride = _tuple(rng, dims, 1, 3), _tuple(rng, dims, 1, 3)
    padding, ceil = _tuple(rng, dims, 0, 1), bool(rng.random() < 0.4)
    config = dict(dims=dims, sizes=sizes, kernel=kernel, stride=stride, padding=padding, ceil=ceil)
    xt = torch.tensor(x, requires_grad=True)
    tmax = {1: F.max_pool1d, 3: F.max_pool3d}[dims]
    if _refused(lambda: tmax(xt, kernel, stride, padding, 1, ceil)):
        with pytest.raises(ValueError):
            K.max_pool(x, kernel, stride, padding, 1, ceil, dims=dims)
    else:
        yt, it = tmax(xt, kernel, stride, padding, 1, ceil, return_indices=True)
        y, idx = K.max_pool(x, kernel, stride, padding, 1, ceil, dims=dims)
        _close(y, yt, "float64", config)
        np.testing.assert_array_equal(idx, it.numpy(), err_msg=str(config))
        gy = rng.standard_normal(y.shape)
        yt.backward(torch.tensor(gy))
        _close(K.max_pool_grad(x, gy, kernel, stride, padding, 1, ceil), xt.grad, "float64", config)
    tavg = {1: F.avg_pool1d, 3: F.avg_pool3d}[dims]
    avg, avg_backward = {
        1: (K.avg_pool1d, K.avg_pool1d_backward),
        3: (K.avg_pool3d, K.avg_pool3d_backward),
    }[dims]
    counted = bool(rng.random() < 0.5)
    xt = torch.tensor(x, requires_grad=True)
    if not _refused(lambda: tavg(xt, kernel, stride, padding, ceil, counted)):
        yt = tavg(xt, kernel, stride, padding, ceil, counted)
        y = avg(x, kernel, stride, padding, ceil, counted)
        _close(y, yt, "float64", config)
        gy = rng.standard_normal(y.shape)
        yt.backward(torch.tensor(gy))
        gx = avg_backward(gy, x.shape, kernel, stride, padding, ceil, counted)
        _close(gx, xt.grad, "float64", config)
    out = tuple(int(v) for v in rng.integers(1, 4, dims))
    tadapt = {1: F.adaptive_avg_pool1d, 3: F.adaptive_avg_pool3d}[dims]
    _close(K.adaptive_avg_pool(x, out), tadapt(torch.tensor(x), out), "float64", config)
    mode = ["reflect", "replicate", "circular", "constant"][seed % 4]
    pairs = tuple((int(rng.integers(0, n)), int(rng.integers(0, n))) for n in sizes)
    flat = [v for pair in reversed(pairs) for v in pair]
    xt = torch.tensor(x, requires_grad=True)
    if _refused(lambda: F.pad(xt, flat, mode=mode)):
        return
    yt = F.pad(xt, flat, mode=mode)
    y = K.pad(x, pairs, mode)
    _close(y, yt, "float64", dict(config, mode=mode, pad=pairs))
    gy = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(gy))
    _close(K.pad_backward(gy, pairs, mode), xt.grad, "float64", dict(config, mode=mode))
