"""nn/conv.py, nn/pool.py and functional_nd.py: the 1-D to 3-D conv and pool modules against
PyTorch's from the same weights (outputs and every gradient), padding modes, unbatched
inputs, and F.pad."""

import numpy as np
import pytest
import torch

from convprop import Tensor, nn
from convprop.nn import functional as F

MODULES = [
    ("Conv1d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 9)),
    ("Conv1d", (4, 6, 2), dict(dilation=2, groups=2, padding="same"), (2, 4, 8)),
    ("Conv2d", (3, 4, 3), dict(padding=1, padding_mode="reflect"), (2, 3, 6, 5)),
    ("Conv2d", (2, 4, (3, 2)), dict(padding=(1, 2), padding_mode="circular"), (1, 2, 5, 6)),
    ("Conv1d", (2, 3, 3), dict(padding=2, padding_mode="replicate"), (2, 2, 7)),
    ("Conv3d", (2, 3, 3), dict(stride=(1, 2, 1), padding=1), (1, 2, 4, 5, 4)),
    ("Conv3d", (2, 2, 2), dict(padding=1, padding_mode="replicate", bias=False), (1, 2, 3, 4, 3)),
    ("Conv3d", (2, 4, 3), dict(padding="same", padding_mode="reflect"), (1, 2, 4, 4, 5)),
    ("ConvTranspose1d", (3, 2, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 5)),
    ("ConvTranspose3d", (2, 4, 2), dict(stride=2, groups=2), (1, 2, 2, 3, 2)),
    ("MaxPool1d", (3,), dict(stride=2, padding=1), (2, 3, 9)),
    ("MaxPool3d", (2,), dict(ceil_mode=True), (1, 2, 5, 4, 3)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 8)),
    ("AvgPool3d", (3,), dict(stride=2, padding=1, divisor_override=5), (1, 2, 5, 5, 4)),
]


def _pair(name, args, kwargs):
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs)
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    return ours.double(), theirs


@pytest.mark.parametrize("unbatched", [False, True])
@pytest.mark.parametrize("name, args, kwargs, shape", MODULES, ids=lambda v: str(v))
def test_module_matches_pytorch_outputs_and_gradients(name, args, kwargs, shape, unbatched):
    ours, theirs = _pair(name, args, kwargs)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape[1:] if unbatched else shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    xo = Tensor(x, requires_grad=True)
    y = ours(xo)
    np.testing.assert_allclose(y.array, yt.detach().numpy(), atol=1e-12)
    g = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(g))
    y.backward(Tensor(g))
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), atol=1e-11)
    for (key, p), tp in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), atol=1e-11, err_msg=key)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "shape, pad",
    [
        ((2, 3, 7), (2, 3)),
        ((1, 2, 5, 6), (1, 2, 3, 0)),
        ((3, 5, 6), (2, 1, 0, 4)),
        ((1, 1, 4, 5, 3), (1, 1, 0, 2, 3, 1)),
    ],
)
def test_pad_matches_pytorch_with_its_gradient(shape, pad, mode):
    x = np.random.default_rng(1).standard_normal(shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.pad(xt, pad, mode=mode)
    xo = Tensor(x, requires_grad=True)
    y = F.pad(xo, pad, mode=mode)
    np.testing.assert_array_equal(y.array, yt.detach().numpy())
    g = np.random.default_rng(2).standard_normal(y.shape)
    yt.backward(torch.tensor(g))
    y.backward(Tensor(g))
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), atol=1e-12)


def test_max_pool_returns_indices_batched_and_unbatched():
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 6, 4))
    y, idx = F.max_pool3d(Tensor(x), 2, return_indices=True)
    yt, it = torch.nn.functional.max_pool3d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(y.array, yt.numpy())
    np.testing.assert_array_equal(idx.array, it.numpy())
    y1, idx1 = F.max_pool1d(Tensor(x[0, :, 0, 0]), 2, return_indices=True)
    _, it1 = torch.nn.functional.max_pool1d(torch.tensor(x[0, :, 0, 0]), 2, return_indices=True)
    assert y1.shape == (3, 2)
    np.testing.assert_array_equal(idx1.array, it1.numpy())


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: nn.Conv2d(2, 3, 3, padding_mode="mirror"), "Conv2d: padding_mode must be one of"),
        (
            lambda: F.conv3d(Tensor(np.ones((2, 3, 4))), Tensor(np.ones((1, 3, 1, 1, 1)))),
            "conv3d: expected a 5-D batched or 4-D unbatched input, got shape \\(2, 3, 4\\)",
        ),
        (
            lambda: F.pad(Tensor(np.ones((1, 2, 3))), (3, 0), mode="reflect"),
            "reflect padding must be smaller than the input size",
        ),
        (
            lambda: F.avg_pool1d(Tensor(np.ones((1, 2, 4))), 2, divisor_override=2),
            "avg_pool1d: divisor_override",
        ),
    ],
)
def test_errors_name_the_layer_and_the_rule(call, message):
    with pytest.raises(ValueError, match=message):
        call()
