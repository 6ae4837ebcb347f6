"""functions/pad.py: constant, reflect, replicate and circular padding of 1-D to 3-D inputs
against PyTorch's F.pad (forward and gradient, float64 and float32) and through gradcheck."""

import numpy as np
import pytest
import torch

from convprop import gradcheck
from convprop.autograd import Tensor
from convprop.functions import PAD_MODES, Pad

from .oracle import compare

TF = torch.nn.functional
SIZES = {1: (6,), 2: (4, 5), 3: (3, 4, 3)}
PADS = {1: ((2, 1),), 2: ((1, 2), (0, 3)), 3: ((1, 0), (2, 1), (1, 2))}


def _torch_pads(pads):
    """Our (before, after) per spatial axis, first axis first, as torch's flat tuple, which
    starts from the last axis."""
    return tuple(v for pair in reversed(pads) for v in pair)


def test_the_four_modes_are_pytorchs():
    assert set(PAD_MODES) == {"constant", "reflect", "replicate", "circular"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_pad_matches_pytorch(dims, mode, dtype):
    x = np.random.default_rng(dims).standard_normal((2, 2, *SIZES[dims])).astype(dtype)
    pads, value = PADS[dims], (1.5 if mode == "constant" else 0.0)
    compare(
        lambda t: Pad.apply(t, pads=pads, mode=mode, value=value),
        lambda t: TF.pad(t, _torch_pads(pads), mode=mode, **({"value": value} if value else {})),
        [x],
    )


def test_hand_worked_reflect_and_circular_rows():
    x = np.array([[[1.0, 2.0, 3.0]]])
    reflect = Pad.apply(x, pads=((2, 1),), mode="reflect", value=0.0).numpy()
    circular = Pad.apply(x, pads=((2, 1),), mode="circular", value=0.0).numpy()
    replicate = Pad.apply(x, pads=((2, 1),), mode="replicate", value=0.0).numpy()
    np.testing.assert_array_equal(reflect[0, 0], [3, 2, 1, 2, 3, 2])
    np.testing.assert_array_equal(circular[0, 0], [2, 3, 1, 2, 3, 1])
    np.testing.assert_array_equal(replicate[0, 0], [1, 1, 1, 2, 3, 3])


def test_each_cells_gradient_sums_the_copies_read_from_it():
    # replicate (1, 2) on [a, b]: a is read twice, b three times
    x = Tensor(np.array([[[5.0, 7.0]]]), requires_grad=True)
    y = Pad.apply(x, pads=((1, 2),), mode="replicate", value=0.0)
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(x.grad, [[[2.0, 3.0]]])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_gradcheck_in_float64(mode):
    x = np.random.default_rng(3).standard_normal((1, 2, 3, 4))
    pads = ((2, 1), (1, 3))
    assert gradcheck(
        lambda t: Pad.apply(t, pads=pads, mode=mode, value=0.5), [Tensor(x, requires_grad=True)]
    )
