"""Validate once (issue 15): a differentiable op checks its arrays and builds its geometry
and algorithm in the forward, and its backward calls only unchecked primitives."""

import sys
from collections import Counter

import numpy as np
import pytest

import convprop.kernels as K
from convprop import models, optim, shapes
from convprop.autograd import Tensor
from convprop.kernels.conv import select
from convprop.nn import functional as F

VALIDATORS = ("conv_geometry", "conv_transpose_geometry", "pool_geometry")
CHECKED = (*VALIDATORS, "check_array", "check_same_dtype", "choose")


def _bindings(name, original):
    """(module, name) of every convprop module that holds `original` under `name`."""
    return [
        module
        for key, module in list(sys.modules.items())
        if key.startswith("convprop") and getattr(module, name, None) is original
    ]


def _replace(monkeypatch, name, original, replacement):
    for module in _bindings(name, original):
        monkeypatch.setattr(module, name, replacement)


def _counting(monkeypatch, seen):
    for name in VALIDATORS:
        original = getattr(shapes, name)

        def counted(op, x_shape, *args, _original=original, **kwargs):
            seen[(op, tuple(x_shape))] += 1
            return _original(op, x_shape, *args, **kwargs)

        _replace(monkeypatch, name, original, counted)


def test_a_lenet_step_validates_each_layers_geometry_exactly_once(monkeypatch):
    rng = np.random.default_rng(0)
    model = models.lenet5()
    adam = optim.Adam(model.parameters(), lr=1e-3)
    x = Tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
    y = Tensor(rng.integers(0, 10, 64))

    def step():
        adam.zero_grad()
        F.cross_entropy(model(x), y).backward()
        adam.step()

    step()  # a first step may build what later steps reuse
    seen: Counter[tuple[str, tuple[int, ...]]] = Counter()
    _counting(monkeypatch, seen)
    step()
    # conv1, pool1, conv2, pool2: one validation each, forward and backward together
    assert sorted(seen.items()) == [
        (("conv2d", (64, 1, 28, 28)), 1),
        (("conv2d", (64, 6, 14, 14)), 1),
        (("max_pool2d_switches", (64, 6, 28, 28)), 1),
        (("max_pool2d_switches", (64, 16, 10, 10)), 1),
    ]


def _refuse(monkeypatch):
    """Make every checked entry point (validators and public kernels) raise."""

    def refused(*args, **kwargs):
        raise AssertionError("a backward re-entered a checked entry point")

    for name in CHECKED:
        _replace(monkeypatch, name, getattr(shapes, name, None) or select.choose, refused)
    for name in K.__all__:
        original = getattr(K, name)
        if callable(original) and not isinstance(original, type):
            _replace(monkeypatch, name, original, refused)


def _conv(dims, transposed):
    def run(x, w, b):
        fn = getattr(F, f"conv_transpose{dims}d" if transposed else f"conv{dims}d")
        return (
            fn(x, w, b, stride=2, padding=1, dilation=1)
            if transposed
            else fn(x, w, b, stride=2, padding=1, dilation=2)
        )

    return run


OPS = [
    *(
        (f"conv{'_transpose' if t else ''}{d}d", _conv(d, t), (4, 5) if t else (5, 4), d)
        for d in (1, 2, 3)
        for t in (False, True)
    ),
    *(
        (
            f"max_pool{d}d ties={ties}",
            lambda x, d=d, ties=ties: getattr(F, f"max_pool{d}d")(
                x, 3, stride=2, padding=1, ties=ties
            ),
            None,
            d,
        )
        for d in (1, 2, 3)
        for ties in ("first", "split")
    ),
    *(
        (
            f"avg_pool{d}d",
            lambda x, d=d: getattr(F, f"avg_pool{d}d")(
                x, 3, stride=2, padding=1, count_include_pad=False
            ),
            None,
            d,
        )
        for d in (1, 2, 3)
    ),
]


def _unpool_indices(dims):
    """Max-pool winners (kernel 2, stride 2) of a fixed input: max_unpool's indices."""
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((2, 4, *(14,) * dims)))
    return getattr(F, f"max_pool{dims}d")(x, 2, stride=2, return_indices=True)[1]


def _pad_reference(x, pads, mode):
    y = K.pad(x, pads, mode)
    return [K.pad_backward(np.ones_like(y), pads, mode)]


def _lp_reference(x, p, **params):
    y, sums = K.lp_pool(x, p, 3, 2, **params)
    return [K.lp_pool_backward(np.ones_like(y), x, sums, p, 3, 2, **params)]


def _adaptive_max_reference(x, size):
    y, idx = K.adaptive_max_pool(x, size)
    return [K.adaptive_max_pool_backward(np.ones_like(y), idx, x.shape)]


def _unpool_reference(x, dims):
    idx = _unpool_indices(dims).array
    y = K.max_unpool(x, idx, (14,) * dims)
    return [K.max_unpool_backward(np.ones_like(y), idx)]


# (name, op, reference): reference(x) is the input gradient of op(x).sum() computed with the
# public (checked) backward kernels before anything is patched
KERNEL_OPS = [
    *(
        (
            f"lp_pool{d}d p={p}{' absolute' if absolute else ''}",
            lambda x, d=d, p=p, a=absolute: getattr(F, f"lp_pool{d}d")(
                x, p, 3, 2, ceil_mode=True, absolute=a
            ),
            lambda x, p=p, a=absolute: _lp_reference(x, p, ceil_mode=True, absolute=a),
            d,
        )
        for d in (1, 2, 3)
        for p, absolute in ((2, False), (1.5, True))
    ),
    *(
        (
            f"adaptive_avg_pool{d}d",
            lambda x, d=d: getattr(F, f"adaptive_avg_pool{d}d")(x, 3),
            lambda x: [
                K.adaptive_avg_pool_backward(np.ones((2, 4, *(3,) * (x.ndim - 2))), x.shape)
            ],
            d,
        )
        for d in (1, 2, 3)
    ),
    *(
        (
            f"adaptive_max_pool{d}d",
            lambda x, d=d: getattr(F, f"adaptive_max_pool{d}d")(x, 3),
            lambda x: _adaptive_max_reference(x, 3),
            d,
        )
        for d in (1, 2, 3)
    ),
    *(
        (
            f"max_unpool{d}d",
            lambda x, d=d: getattr(F, f"max_unpool{d}d")(x, _unpool_indices(d), 2, 2),
            lambda x, d=d: _unpool_reference(x, d),
            d,
        )
        for d in (1, 2, 3)
    ),
    *(
        (
            f"pad{d}d {mode}",
            lambda x, d=d, mode=mode: F.pad(x, (2, 1) * d, mode=mode),
            lambda x, d=d, mode=mode: _pad_reference(x, ((2, 1),) * d, mode),
            d,
        )
        for d in (1, 2, 3)
        for mode in ("constant", "reflect", "replicate", "circular")
    ),
]


@pytest.mark.parametrize("name, fn, reference, dims", KERNEL_OPS, ids=[op[0] for op in KERNEL_OPS])
def test_each_kernel_ops_backward_calls_only_unchecked_cores(
    monkeypatch, name, fn, reference, dims
):
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((2, 4, *(7,) * dims)), requires_grad=True)
    expected = reference(x.array)
    y = fn(x)
    _refuse(monkeypatch)
    y.sum().backward()  # raises if the backward validates again
    np.testing.assert_array_equal(x.grad, expected[0])


@pytest.mark.parametrize("name, fn, channels, dims", OPS, ids=[op[0] for op in OPS])
def test_the_backward_of_each_op_calls_no_checked_entry_point(
    monkeypatch, name, fn, channels, dims
):
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((2, 4, *(7,) * dims)), requires_grad=True)
    inputs = [x]
    if channels is not None:  # (input channels, output channels) of the weight's first axes
        w = Tensor(rng.standard_normal((*channels, *(3,) * dims)), requires_grad=True)
        b = Tensor(
            rng.standard_normal(channels[0] if "transpose" not in name else channels[1]),
            requires_grad=True,
        )
        inputs += [w, b]
    y = fn(*inputs)
    expected = []
    y.sum().backward()
    expected = [t.grad.array.copy() for t in inputs]
    for t in inputs:
        t.grad = None
    y = fn(*inputs)
    _refuse(monkeypatch)
    y.sum().backward()  # raises if the backward validates again
    for t, grad in zip(inputs, expected, strict=True):
        np.testing.assert_array_equal(t.grad, grad)
