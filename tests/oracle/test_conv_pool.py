"""PyTorch as the outside oracle: forward values and every gradient on randomised configurations.

Each seed draws one configuration, valid or not. Where PyTorch computes a result,
convprop must compute the same; where PyTorch refuses, convprop must raise ValueError
(and nothing else). Awkward cases are drawn on purpose: strides larger than the kernel,
kernels as large as the input, padding with ceil_mode, overlapping pooling windows and
ties (small-integer inputs).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from convprop import kernels as K  # noqa: E402

from ..helpers import TOLERANCE, max_error  # noqa: E402
from .record import record  # noqa: E402

ALGORITHMS = ["im2col", "fft", "auto", "direct"]


def _pair(rng, low, high):
    a = int(rng.integers(low, high + 1))
    return a if rng.random() < 0.6 else (a, int(rng.integers(low, high + 1)))


def _compare(name, ours, theirs, dtype, config):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    assert ours.shape == theirs.shape, f"{name}: {ours.shape} vs {theirs.shape}; {config}"
    assert ours.dtype == np.dtype(dtype), f"{name}: dtype {ours.dtype}; {config}"
    err = max_error(ours, theirs)
    record(dtype, err)
    assert err <= TOLERANCE[np.dtype(dtype)], f"{name}: scaled error {err:.3g}; {config}"


def _torch_or_none(fn):
    """PyTorch's result, or None where it refuses the configuration. An empty output
    (PyTorch returns one for some transposed convolutions) counts as a refusal: convprop
    rejects layers whose output has no pixels rather than return nothing silently."""
    try:
        result = fn()
    except (RuntimeError, ValueError):
        return None
    first = result[0] if isinstance(result, tuple) else result
    return None if first.numel() == 0 else result


@pytest.mark.parametrize("seed", range(200))
def test_conv2d_against_torch(seed):
    rng = np.random.default_rng(seed)
    dtype = ["float32", "float64"][seed % 2]
    groups = int(rng.integers(1, 4))
    c_in = groups * int(rng.integers(1, 4)) + (1 if rng.random() < 0.05 else 0)  # sometimes wrong
    c_out = groups * int(rng.integers(1, 3))
    n, h, w = int(rng.integers(1, 4)), int(rng.integers(1, 13)), int(rng.integers(1, 13))
    kh, kw = int(rng.integers(1, min(h, 5) + 1 + (rng.random() < 0.1))), int(rng.integers(1, 6))
    stride, dilation = _pair(rng, 1, 4), _pair(rng, 1, 3)
    padding = [0, _pair(rng, 0, 3), "same", "valid"][int(rng.integers(0, 4))]
    config = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    x = rng.standard_normal((n, c_in, h, w)).astype(dtype)
    weight = rng.standard_normal((c_out, max(c_in // groups, 1), kh, kw)).astype(dtype)
    bias = rng.standard_normal(c_out).astype(dtype) if rng.random() < 0.7 else None
    algorithm = ALGORITHMS[seed % 4]
    shown = f"x {x.shape}, w {weight.shape}, {config}, {algorithm}"

    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(weight, requires_grad=True)
    bt = None if bias is None else torch.tensor(bias, requires_grad=True)
    yt = _torch_or_none(lambda: F.conv2d(xt, wt, bt, **config))
    if yt is None:
        with pytest.raises(ValueError, match="conv2d"):
            K.conv2d(x, weight, bias, **config, algorithm=algorithm)
        return
    y = K.conv2d(x, weight, bias, **config, algorithm=algorithm)
    _compare("y", y, yt, dtype, shown)
    gy = rng.standard_normal(y.shape).astype(dtype)
    yt.backward(torch.tensor(gy))
    gx, gw, gb = K.conv2d_backward(gy, x, weight, **config, algorithm=algorithm)
    _compare("grad_x", gx, xt.grad, dtype, shown)
    _compare("grad_weight", gw, wt.grad, dtype, shown)
    if bias is not None:
        _compare("grad_bias", gb, bt.grad, dtype, shown)


@pytest.mark.parametrize("seed", range(100))
def test_conv_transpose2d_against_torch(seed):
    rng = np.random.default_rng(1000 + seed)
    dtype = ["float32", "float64"][seed % 2]
    groups = int(rng.integers(1, 3))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    n, h, w = int(rng.integers(1, 3)), int(rng.integers(1, 7)), int(rng.integers(1, 7))
    stride, dilation = _pair(rng, 1, 3), _pair(rng, 1, 2)
    config = dict(
        stride=stride,
        padding=_pair(rng, 0, 2),
        output_padding=_pair(rng, 0, 2),
        groups=groups,
        dilation=dilation,
    )
    x = rng.standard_normal((n, c_in, h, w)).astype(dtype)
    weight = rng.standard_normal((c_in, c_out // groups, *rng.integers(1, 5, 2))).astype(dtype)
    bias = rng.standard_normal(c_out).astype(dtype)
    algorithm = ALGORITHMS[seed % 4]
    shown = f"x {x.shape}, w {weight.shape}, {config}, {algorithm}"

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, weight, bias))
    yt = _torch_or_none(lambda: F.conv_transpose2d(xt, wt, bt, **config))
    if yt is None:
        with pytest.raises(ValueError, match="conv_transpose2d"):
            K.conv_transpose2d(x, weight, bias, **config, algorithm=algorithm)
        return
    y = K.conv_transpose2d(x, weight, bias, **config, algorithm=algorithm)
    _compare("y", y, yt, dtype, shown)
    gy = rng.standard_normal(y.shape).astype(dtype)
    yt.backward(torch.tensor(gy))
    gx, gw, gb = K.conv_transpose2d_backward(gy, x, weight, **config, algorithm=algorithm)
    _compare("grad_x", gx, xt.grad, dtype, shown)
    _compare("grad_weight", gw, wt.grad, dtype, shown)
    _compare("grad_bias", gb, bt.grad, dtype, shown)


def _pool_input(rng, dtype):
    n, c, h, w = (
        int(rng.integers(1, 3)),
        int(rng.integers(1, 4)),
        int(rng.integers(1, 11)),
        int(rng.integers(1, 11)),
    )
    return rng.integers(-2, 3, (n, c, h, w)).astype(dtype)  # small integers: ties


def _pool_options(rng, h):
    kernel = _pair(rng, 1, min(4, h + 1))
    stride = None if rng.random() < 0.3 else _pair(rng, 1, 4)
    return kernel, stride, _pair(rng, 0, 2), bool(rng.random() < 0.5)


@pytest.mark.parametrize("seed", range(150))
def test_max_pool2d_against_torch(seed):
    rng = np.random.default_rng(2000 + seed)
    dtype = ["float32", "float64"][seed % 2]
    x = _pool_input(rng, dtype)
    kernel, stride, padding, ceil_mode = _pool_options(rng, x.shape[2])
    config = dict(
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        dilation=_pair(rng, 1, 3),
        ceil_mode=ceil_mode,
    )
    shown = f"x {x.shape}, {config}"
    xt = torch.tensor(x, requires_grad=True)
    result = _torch_or_none(lambda: F.max_pool2d(xt, **config, return_indices=True))
    plane = x.shape[2] * x.shape[3]
    if result is None or not (0 <= int(result[1].min()) and int(result[1].max()) < plane):
        # PyTorch refused, or returned indices outside the input for a window that sees only padding
        with pytest.raises(ValueError, match="max_pool2d"):
            K.max_pool2d(x, **config)
        return
    yt, it = result
    y, idx = K.max_pool2d(x, **config)
    _compare("y", y, yt, dtype, shown)
    np.testing.assert_array_equal(idx, it.numpy(), err_msg=shown)
    gy = rng.standard_normal(y.shape).astype(dtype)
    yt.backward(torch.tensor(gy))
    _compare("grad_x", K.max_pool2d_backward(gy, idx, x.shape), xt.grad, dtype, shown)


@pytest.mark.parametrize("seed", range(150))
def test_avg_pool2d_against_torch(seed):
    rng = np.random.default_rng(3000 + seed)
    dtype = ["float32", "float64"][seed % 2]
    x = _pool_input(rng, dtype)
    kernel, stride, padding, ceil_mode = _pool_options(rng, x.shape[2])
    divisor = None if rng.random() < 0.7 else int(rng.integers(1, 6))
    config = dict(
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        ceil_mode=ceil_mode,
        count_include_pad=bool(rng.random() < 0.5),
        divisor_override=divisor,
    )
    shown = f"x {x.shape}, {config}"
    xt = torch.tensor(x, requires_grad=True)
    yt = _torch_or_none(lambda: F.avg_pool2d(xt, **config))
    if yt is None:
        with pytest.raises(ValueError, match="avg_pool2d"):
            K.avg_pool2d(x, **config)
        return
    y = K.avg_pool2d(x, **config)
    _compare("y", y, yt, dtype, shown)
    gy = rng.standard_normal(y.shape).astype(dtype)
    yt.backward(torch.tensor(gy))
    _compare("grad_x", K.avg_pool2d_backward(gy, x.shape, **config), xt.grad, dtype, shown)


# The awkward cases by name, so they are always run whatever the random draws give.
AWKWARD_CONV = [
    ("stride larger than kernel", (2, 3, 9, 8), (4, 3, 2, 2), dict(stride=3)),
    ("kernel equal to input", (2, 3, 5, 4), (2, 3, 5, 4), dict()),
    ("kernel equal to padded input", (1, 2, 3, 3), (2, 2, 5, 5), dict(padding=1)),
    ("1-pixel input, 1x1 kernel", (3, 2, 1, 1), (4, 2, 1, 1), dict()),
    (
        "depthwise, stride and dilation",
        (2, 4, 9, 9),
        (8, 1, 3, 3),
        dict(groups=4, stride=2, dilation=2),
    ),
    ("same with an even kernel", (2, 3, 6, 7), (2, 3, 4, 2), dict(padding="same")),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("algorithm", ["direct", "im2col", "fft"])
@pytest.mark.parametrize(
    "name, x_shape, w_shape, config", AWKWARD_CONV, ids=[c[0] for c in AWKWARD_CONV]
)
def test_awkward_conv2d_against_torch(name, x_shape, w_shape, config, algorithm, dtype):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(x_shape).astype(dtype)
    weight = rng.standard_normal(w_shape).astype(dtype)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(weight, requires_grad=True)
    yt = F.conv2d(xt, wt, **config)
    y = K.conv2d(x, weight, **config, algorithm=algorithm)
    _compare("y", y, yt, dtype, name)
    gy = rng.standard_normal(y.shape).astype(dtype)
    yt.backward(torch.tensor(gy))
    gx, gw, _ = K.conv2d_backward(gy, x, weight, **config, algorithm=algorithm)
    _compare("grad_x", gx, xt.grad, dtype, name)
    _compare("grad_weight", gw, wt.grad, dtype, name)


AWKWARD_POOL = [
    (
        "padding with ceil_mode",
        (1, 2, 6, 7),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    ),
    ("overlapping windows", (2, 2, 6, 6), dict(kernel_size=3, stride=1)),
    ("stride larger than kernel", (1, 2, 9, 9), dict(kernel_size=2, stride=3)),
    ("kernel equal to input", (1, 3, 4, 5), dict(kernel_size=(4, 5))),
    (
        "window wider than padded input in ceil_mode",
        (1, 1, 1, 5),
        dict(kernel_size=(4, 2), padding=1, ceil_mode=True),
    ),
]


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("name, x_shape, config", AWKWARD_POOL, ids=[c[0] for c in AWKWARD_POOL])
def test_awkward_pooling_against_torch(name, x_shape, config, ties):
    rng = np.random.default_rng(5)
    x = np.zeros(x_shape) if ties else rng.standard_normal(x_shape)  # all-equal: every window tied
    xt = torch.tensor(x, requires_grad=True)
    yt, it = F.max_pool2d(xt, **config, return_indices=True)
    y, idx = K.max_pool2d(x, **config)
    _compare("max y", y, yt, "float64", name)
    np.testing.assert_array_equal(idx, it.numpy(), err_msg=name)
    gy = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(gy))
    _compare("max grad_x", K.max_pool2d_backward(gy, idx, x.shape), xt.grad, "float64", name)

    xt = torch.tensor(x, requires_grad=True)
    at = F.avg_pool2d(xt, **config)
    _compare("avg y", K.avg_pool2d(x, **config), at, "float64", name)
    at.backward(torch.tensor(gy))
    _compare("avg grad_x", K.avg_pool2d_backward(gy, x.shape, **config), xt.grad, "float64", name)
