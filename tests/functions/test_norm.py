"""functions/norm.py: batch normalisation in training mode against PyTorch's
F.batch_norm(training=True), forward and the gradients of x, gamma and beta, for inputs of
rank 2 to 5 in float64 and float32, and through gradcheck."""

import numpy as np
import pytest
import torch

from convprop import gradcheck
from convprop.autograd import Tensor
from convprop.functions import BatchNorm

from .oracle import compare

TF = torch.nn.functional
SHAPES = [(6, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 3, 4)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES, ids=[str(s) for s in SHAPES])
def test_batch_norm_matches_pytorch_in_training_mode(shape, dtype):
    rng = np.random.default_rng(len(shape))
    x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
    gamma, beta = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)
    compare(
        lambda x, g, b: BatchNorm.apply(x, g, b, eps=1e-5),
        lambda x, g, b: TF.batch_norm(x, None, None, g, b, training=True, eps=1e-5),
        [x, gamma, beta],
    )


def test_the_output_has_zero_mean_and_unit_variance_per_channel_before_the_affine():
    x = np.random.default_rng(0).standard_normal((8, 2, 3)) * 5 + 3
    y = BatchNorm.apply(x, np.ones(2), np.zeros(2), eps=0.0).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2)), 1, rtol=1e-12)  # biased variance


def test_a_constant_shift_of_the_input_has_no_gradient():
    # the mean is subtracted: moving every x of a channel together changes nothing
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    y = BatchNorm.apply(x, rng.standard_normal(2), rng.standard_normal(2), eps=1e-5)
    y.backward(rng.standard_normal(y.shape))
    np.testing.assert_allclose(x.grad.array.sum(axis=(0, 2)), 0, atol=1e-12)


def test_gradcheck_in_float64():
    rng = np.random.default_rng(2)
    inputs = [
        Tensor(rng.standard_normal((3, 2, 4)), requires_grad=True),
        Tensor(rng.standard_normal(2), requires_grad=True),
        Tensor(rng.standard_normal(2), requires_grad=True),
    ]
    assert gradcheck(lambda x, g, b: BatchNorm.apply(x, g, b, eps=1e-3), inputs)
