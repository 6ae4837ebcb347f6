"""models.py: LeNet-5 and the MLP baseline: the output shapes, the layers and parameter
counts of the same networks built in PyTorch, and, with PyTorch's weights copied in, the
same outputs."""

import numpy as np
import pytest
import torch

from convprop import models
from convprop.autograd import Tensor

T = torch.nn


def _torch_lenet(in_channels, num_classes, image_size):
    """LeNet-5 as the docstring builds it: 5x5 filters (the first padded by 2) on images of
    16 pixels or more, 3x3 filters padded by 1 below; the flattened size PyTorch finds."""
    kernel, pad1, pad2 = (5, 2, 0) if image_size >= 16 else (3, 1, 1)
    features = T.Sequential(
        T.Conv2d(in_channels, 6, kernel, padding=pad1),
        T.ReLU(),
        T.MaxPool2d(2),
        T.Conv2d(6, 16, kernel, padding=pad2),
        T.ReLU(),
        T.MaxPool2d(2),
        T.Flatten(),
    )
    flat = features(torch.zeros(1, in_channels, image_size, image_size)).shape[1]
    return T.Sequential(
        *features,
        T.Linear(flat, 120),
        T.ReLU(),
        T.Linear(120, 84),
        T.ReLU(),
        T.Linear(84, num_classes),
    )


def _torch_mlp(in_channels, num_classes, image_size):
    return T.Sequential(
        T.Flatten(),
        T.Linear(in_channels * image_size * image_size, 128),
        T.ReLU(),
        T.Linear(128, num_classes),
    )


CASES = [(1, 10, 28), (1, 10, 8), (3, 5, 16), (2, 4, 12)]


def _count(params):
    return sum(int(np.prod(p.shape)) for p in params)


def test_lenet5_on_mnist_has_the_classic_61706_parameters():
    model = models.lenet5()
    assert _count(model.parameters()) == 61706  # 156 + 2416 + 48120 + 10164 + 850
    assert model(Tensor(np.zeros((2, 1, 28, 28), np.float32))).shape == (2, 10)


@pytest.mark.parametrize("name", ["lenet5", "mlp"])
@pytest.mark.parametrize("in_channels, num_classes, image_size", CASES)
def test_each_model_is_the_pytorch_network_built_the_same_way(
    name, in_channels, num_classes, image_size
):
    ours = models.MODELS[name](in_channels, num_classes, image_size)
    theirs = {"lenet5": _torch_lenet, "mlp": _torch_mlp}[name](in_channels, num_classes, image_size)
    state = theirs.state_dict()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in state.items()
    }
    assert _count(ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    ours.load_state_dict({k: v.numpy() for k, v in state.items()})
    x = np.random.default_rng(0).standard_normal((3, in_channels, image_size, image_size))
    x = x.astype(np.float32)
    y = ours(Tensor(x))
    assert y.shape == (3, num_classes)
    with torch.no_grad():
        np.testing.assert_allclose(y.numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-4, atol=1e-5)


def test_the_registry_names_both_models():
    assert models.MODELS == {"lenet5": models.lenet5, "mlp": models.mlp}
