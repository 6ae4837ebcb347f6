"""functions/conv.py: Conv and ConvTranspose in 1-D, 2-D and 3-D against PyTorch (forward
and every gradient, float64 and float32), through gradcheck, and the gradients they skip:
the first layer's input (needs_input_grad) and the bias a bias-less layer does not have."""

import numpy as np
import pytest
import torch

from convprop import gradcheck
from convprop.autograd import Parameter, Tensor
from convprop.functions import Conv, ConvTranspose

from .oracle import close, compare

TF = torch.nn.functional
TORCH_CONV = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}
TORCH_TRANSPOSE = {1: TF.conv_transpose1d, 2: TF.conv_transpose2d, 3: TF.conv_transpose3d}
SIZES = {1: (9,), 2: (7, 6), 3: (5, 4, 5)}


def _config(seed, dims):
    """A random valid configuration: sizes, stride, padding, dilation, groups, bias."""
    rng = np.random.default_rng(seed)
    groups = int(rng.integers(1, 3))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    kernel = tuple(int(k) for k in rng.integers(1, 4, dims))
    stride = int(rng.integers(1, 3))
    dilation = int(rng.integers(1, 3))
    padding = int(rng.integers(0, 2))
    return rng, dict(
        shape=(2, c_in, *SIZES[dims]),
        weight=(c_out, c_in // groups, *kernel),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=bool(seed % 2),
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_conv_matches_pytorch(dims, seed, dtype):
    rng, c = _config(seed, dims)
    arrays = [rng.standard_normal(c["shape"]), rng.standard_normal(c["weight"])]
    if c["bias"]:
        arrays.append(rng.standard_normal(c["weight"][0]))
    opts = {k: c[k] for k in ("stride", "padding", "dilation", "groups")}
    compare(
        lambda *t: Conv.apply(*t, **opts),
        lambda *t: TORCH_CONV[dims](*t, **opts),
        [a.astype(dtype) for a in arrays],
        seed=seed,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_conv_transpose_matches_pytorch(dims, seed, dtype):
    rng, c = _config(seed, dims)
    c_out, c_in_per_group = c["weight"][:2]
    groups = c["groups"]
    # the transposed layer's weight is (C_in, C_out / groups, *kernel)
    weight = (c_out, c_in_per_group, *c["weight"][2:])
    x = rng.standard_normal((2, c_out, *(s // 2 + 1 for s in SIZES[dims])))
    output_padding = int(max(c["stride"], c["dilation"]) > 1)
    opts = dict(
        stride=c["stride"],
        padding=c["padding"],
        output_padding=output_padding,
        groups=groups,
        dilation=c["dilation"],
    )
    arrays = [x, rng.standard_normal(weight)]
    if c["bias"]:
        arrays.append(rng.standard_normal(c_in_per_group * groups))
    compare(
        lambda *t: ConvTranspose.apply(*t, **opts),
        lambda *t: TORCH_TRANSPOSE[dims](*t, **opts),
        [a.astype(dtype) for a in arrays],
        seed=seed,
    )


@pytest.mark.parametrize("padding", ["same", "valid", (1, 2)])
def test_conv2d_padding_modes_match_pytorch(padding):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((1, 2, 6, 7)), rng.standard_normal((3, 2, 3, 4))]
    dilation = 1 if padding == (1, 2) else 2
    compare(
        lambda x, w: Conv.apply(x, w, padding=padding, dilation=dilation),
        lambda x, w: TF.conv2d(x, w, padding=padding, dilation=dilation),
        arrays,
    )


def test_true_convolution_is_correlation_with_the_filter_turned_180_degrees():
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((3, 2, 3, 2))
    xs, ws = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    y = Conv.apply(xs, ws, convention="convolution", padding=1)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    yt = TF.conv2d(xt, wt.flip(-1, -2), padding=1)
    close(y.numpy(), yt, np.float64, "output")
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    close(xs.grad, xt.grad, np.float64, "dL/dX")
    close(ws.grad, wt.grad, np.float64, "dL/dW")  # the flip is undone on the way back


GRADCHECKED = [
    (Conv, 1, dict(stride=2, padding=1, dilation=2)),
    (Conv, 2, dict(stride=(2, 1), padding=(1, 0), groups=2)),
    (Conv, 3, dict(padding=1)),
    (ConvTranspose, 1, dict(stride=2, output_padding=1)),
    (ConvTranspose, 2, dict(stride=2, padding=1, dilation=2, groups=2)),
    (ConvTranspose, 3, dict(stride=(1, 2, 1))),
]


@pytest.mark.parametrize("op, dims, opts", GRADCHECKED, ids=[str(c) for c in GRADCHECKED])
def test_gradcheck_of_input_weight_and_bias(op, dims, opts):
    rng = np.random.default_rng(dims)
    small = {1: (5,), 2: (3, 4), 3: (2, 3, 2)}[dims]
    x = rng.standard_normal((1, 2, *small))
    w = rng.standard_normal((2, 2 // opts.get("groups", 1), *(2,) * dims))
    b = rng.standard_normal(2)  # two output channels either way
    inputs = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    assert gradcheck(lambda *t: op.apply(*t, **opts), inputs)


def test_gradcheck_on_a_larger_input_by_the_dot_product_test():
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((8, 3, 3, 3))
    inputs = [Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)]
    result = gradcheck(lambda x, w: Conv.apply(x, w, stride=2, padding=1), inputs)
    assert result and {r.method for r in result.reports} == {"dot-product"}


@pytest.mark.parametrize("op", [Conv, ConvTranspose])
def test_the_first_layers_input_gradient_is_skipped(op):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 3, 5, 5))
    # two output channels: conv's weight is (C_out, C_in, ...), the transpose's (C_in, C_out, ...)
    w = Parameter(rng.standard_normal((2, 3, 3, 3) if op is Conv else (3, 2, 3, 3)))
    b = Parameter(rng.standard_normal(2))
    y, fn = op.apply_with(x, w, b)  # x an array: it requires no gradient
    assert fn.needs_input_grad == (False, True, True)
    g = rng.standard_normal(y.shape)
    gx, gw, gb = fn.backward(g)
    assert gx is None
    # the weight and bias gradients are those of a full backward
    xt = torch.tensor(x, requires_grad=True)
    wt, bt = torch.tensor(w.array, requires_grad=True), torch.tensor(b.array, requires_grad=True)
    theirs = TF.conv2d if op is Conv else TF.conv_transpose2d
    theirs(xt, wt, bt).backward(torch.tensor(g))
    close(gw, wt.grad, np.float64, "dL/dW")
    close(gb, bt.grad, np.float64, "dL/db")
    y.backward(g)
    assert w.grad is not None and b.grad is not None


@pytest.mark.parametrize("op", [Conv, ConvTranspose])
def test_a_layer_without_bias_or_with_a_frozen_one_sums_no_bias_gradient(op, monkeypatch):
    from convprop.kernels.conv import core

    rng = np.random.default_rng(14)
    x = Tensor(rng.standard_normal((2, 3, 5, 5)), requires_grad=True)
    w = Parameter(rng.standard_normal((2, 3, 3, 3) if op is Conv else (3, 2, 3, 3)))
    frozen = Tensor(rng.standard_normal(2))  # a bias that requires no gradient
    summed = []
    real = core.bias_grad
    monkeypatch.setattr(core, "bias_grad", lambda g: summed.append(1) or real(g))
    for bias in ((), (frozen,)):
        y, fn = op.apply_with(x, w, *bias)
        grads = fn.backward(rng.standard_normal(y.shape))
        assert all(g is None for g in grads[2:]) and grads[0] is not None
    assert summed == []  # a pass over dL/dY saved per layer
    y, fn = op.apply_with(x, w, Parameter(rng.standard_normal(2)))
    assert fn.backward(rng.standard_normal(y.shape))[2] is not None and summed == [1]


def test_a_frozen_weight_gets_no_gradient_but_the_input_does():
    rng = np.random.default_rng(13)
    x = Tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 2, 2, 2)))  # frozen
    y, fn = Conv.apply_with(x, w)
    assert fn.needs_input_grad == (True, False)
    g = rng.standard_normal(y.shape)
    gx, gw = fn.backward(g)
    assert gw is None
    xt = torch.tensor(x.array, requires_grad=True)
    TF.conv2d(xt, torch.tensor(w.array)).backward(torch.tensor(g))
    close(gx, xt.grad, np.float64, "dL/dX")


@pytest.mark.parametrize("op", [Conv, ConvTranspose])
def test_a_bias_less_layer_returns_two_gradients(op):
    rng = np.random.default_rng(14)
    x = Tensor(rng.standard_normal((1, 2, 4)), requires_grad=True)
    w = Parameter(rng.standard_normal((2, 2, 3)))
    y, fn = op.apply_with(x, w)
    grads = fn.backward(np.ones(y.shape))
    assert len(grads) == 2 and all(g is not None for g in grads)
    assert len(fn.parents) == 2  # Tensor.backward zips parents with gradients strictly
    y.backward(np.ones(y.shape))
    assert x.grad.shape == x.shape and w.grad.shape == w.shape


@pytest.mark.parametrize("op, name", [(Conv, "conv"), (ConvTranspose, "conv_transpose")])
@pytest.mark.parametrize("shape", [(2, 3), (1, 1, 2, 2, 2, 2)])
def test_an_input_of_no_supported_rank_is_refused_naming_the_op(op, name, shape):
    w = np.ones((1, 1, *(1,) * max(len(shape) - 2, 1)))
    with pytest.raises(ValueError, match=rf"^{name}: expected a batched 1-D, 2-D or 3-D input"):
        op.apply(np.ones(shape), w)
