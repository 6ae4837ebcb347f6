"""nn/pool_adaptive.py and nn/pool.py (and kernels/pool/adaptive.py): adaptive average and
max pooling 1-D to 3-D, max unpooling and LP pooling against PyTorch's modules (outputs,
indices, gradients)."""

import numpy as np
import pytest
import torch

from convprop import Tensor, gradcheck, nn
from convprop import kernels as K

CASES = [
    ("AdaptiveAvgPool1d", (3,), (2, 3, 10)),
    ("AdaptiveAvgPool2d", ((3, None),), (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", (1,), (2, 3, 6, 6)),
    ("AdaptiveAvgPool3d", ((2, 3, 1),), (1, 2, 5, 7, 4)),
    ("AdaptiveMaxPool1d", (4,), (2, 3, 9)),
    ("AdaptiveMaxPool2d", ((3, 2),), (2, 3, 7, 5)),
    ("AdaptiveMaxPool3d", (2,), (1, 2, 5, 3, 4)),
    ("LPPool1d", (2, 3, 2), (2, 3, 9)),
    ("LPPool2d", (3, (2, 3)), (2, 3, 6, 7)),
    ("LPPool2d", (1.5, 2, 1, True), (1, 2, 5, 5)),
]


@pytest.mark.parametrize("unbatched", [False, True])
@pytest.mark.parametrize("name, args, shape", CASES, ids=str)
def test_module_matches_pytorch(name, args, shape, unbatched):
    rng = np.random.default_rng(0)
    x = rng.random(shape) + 0.1 if name.startswith("LP") else rng.standard_normal(shape)
    x = x[0] if unbatched else x
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(torch.nn, name)(*args)(xt)
    xo = Tensor(x, requires_grad=True)
    y = getattr(nn, name)(*args)(xo)
    np.testing.assert_allclose(y.array, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(g))
    y.backward(Tensor(g))
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_adaptive_max_indices_and_unpooling_match_pytorch(dims):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, *(5, 6, 4)[:dims]))
    name = f"{dims}d"
    y, idx = getattr(nn, f"AdaptiveMaxPool{name}")(3, return_indices=True)(Tensor(x))
    theirs = getattr(torch.nn, f"AdaptiveMaxPool{name}")(3, return_indices=True)
    yt, it = theirs(torch.tensor(x))
    np.testing.assert_array_equal(y.array, yt.numpy())
    np.testing.assert_array_equal(idx.array, it.numpy())
    # unpooling the max pool's output with its indices, and its gradient
    pool = getattr(torch.nn, f"MaxPool{name}")(2, return_indices=True)
    pt, pit = pool(torch.tensor(x))
    p, pi = getattr(nn, f"MaxPool{name}")(2, return_indices=True)(Tensor(x))
    vt = pt.clone().requires_grad_(True)
    ut = getattr(torch.nn, f"MaxUnpool{name}")(2)(vt, pit, output_size=x.shape)
    v = Tensor(p.array, requires_grad=True)
    u = getattr(nn, f"MaxUnpool{name}")(2)(v, pi, x.shape)
    np.testing.assert_array_equal(u.array, ut.detach().numpy())
    g = rng.standard_normal(u.shape)
    ut.backward(torch.tensor(g))
    u.backward(Tensor(g))
    np.testing.assert_array_equal(v.grad, vt.grad.numpy())


def test_global_avg_pool_is_adaptive_avg_pool_1_and_gradients_check():
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5))
    np.testing.assert_allclose(
        nn.GlobalAvgPool()(Tensor(x)).array, x.mean(axis=(2, 3), keepdims=True)
    )
    assert isinstance(nn.GlobalAvgPool(), nn.AdaptiveAvgPool2d)

    def fn(x):
        y, idx = K.adaptive_max_pool(x, (2, 3))
        return y, lambda g: (K.adaptive_max_pool_backward(g, idx, x.shape),)

    assert gradcheck(fn, [x])


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: nn.AdaptiveAvgPool2d((2, 2, 2))(Tensor(np.ones((1, 2, 4, 4)))),
            "AdaptiveAvgPool2d: output_size must be an int or 2 values",
        ),
        (
            lambda: nn.LPPool2d(-1, 2)(Tensor(np.ones((1, 2, 4, 4)))),
            "LPPool2d: norm_type must be positive",
        ),
        (
            lambda: K.max_unpool(np.ones((1, 1, 2)), np.array([[[0, 9]]]), (4,)),
            "indices must lie in \\[0, 4\\)",
        ),
    ],
)
def test_errors_name_the_rule(call, message):
    with pytest.raises(ValueError, match=message):
        call()
