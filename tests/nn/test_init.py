"""nn.init's named initialisers against PyTorch's: the same gains and bounds, the same
spread (the random streams differ), the same refusals; each writes in place."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import convprop
from convprop import Tensor
from convprop.nn import init


@pytest.mark.parametrize(
    "args",
    [
        ("linear",),
        ("tanh",),
        ("relu",),
        ("leaky_relu",),
        ("leaky_relu", 0.2),
        ("selu",),
        ("conv2d",),
    ],
)
def test_calculate_gain_is_pytorchs(args):
    assert init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))


INITS = {
    "kaiming_uniform_": dict(a=math.sqrt(5)),
    "kaiming_uniform_ relu fan_out": dict(mode="fan_out", nonlinearity="relu"),
    "kaiming_normal_": dict(),
    "xavier_uniform_": dict(),
    "xavier_normal_ gain": dict(gain=2.0),
    "uniform_": dict(a=-0.5, b=2.0),
    "normal_": dict(mean=1.0, std=0.5),
}


@pytest.mark.parametrize("name", INITS)
def test_initialisers_spread_as_pytorchs(name):
    fn = name.split()[0]
    shape = (64, 32, 3, 3)
    ours = Tensor(np.zeros(shape, np.float32))
    same = ours
    getattr(init, fn)(ours, **INITS[name])
    theirs = getattr(torch.nn.init, fn)(torch.zeros(shape), **INITS[name]).numpy()
    assert ours is same and ours.dtype == np.float32  # in place
    a = ours.array
    assert abs(a.std() - theirs.std()) < 0.05 * theirs.std()
    assert abs(a.mean() - theirs.mean()) < 0.05 * theirs.std() + 1e-3
    if "uniform" in fn:  # the same bounds
        assert a.min() >= -abs(theirs).max() * 1.001 and a.max() <= abs(theirs).max() * 1.001


def test_constant_zeros_ones_and_the_seed():
    t = Tensor(np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(init.constant_(t, 0.25).array, 0.25)
    np.testing.assert_array_equal(init.ones_(t).array, 1.0)
    np.testing.assert_array_equal(init.zeros_(t).array, 0.0)
    convprop.manual_seed(4)
    first = init.normal_(Tensor(np.zeros(5))).array.copy()
    convprop.manual_seed(4)
    np.testing.assert_array_equal(init.normal_(Tensor(np.zeros(5))).array, first)
    g = convprop.Generator().manual_seed(3)
    assert init.uniform_(Tensor(np.zeros(3)), generator=g).array.std() > 0


def test_refusals_are_pytorchs():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(Tensor(np.zeros((2, 2))), mode="fan_avg")
    with pytest.raises(ValueError, match="Unsupported nonlinearity softsign"):
        init.calculate_gain("softsign")
