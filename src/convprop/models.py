"""Ready-made networks: LeNet-5 for 28x28 MNIST or 8x8 digits, and a small MLP baseline."""

from __future__ import annotations

from collections.abc import Callable

from . import nn
from .shapes import output_size


def lenet5(in_channels: int = 1, num_classes: int = 10, image_size: int = 28) -> nn.Sequential:
    """LeNet-5 with ReLU and max pooling. On 28x28 input the first convolution pads by 2
    (the original's 32x32); on small inputs (the 8x8 digits) 3x3 filters with padding 1
    keep every layer's arithmetic whole: 8 -> 8 -> 4 -> 4 -> 2."""
    kernel, pad = (5, 2) if image_size >= 16 else (3, 1)
    side = output_size(image_size, kernel, 1, pad) // 2  # conv1, then pool 2
    side = output_size(side, kernel, 1, 0 if kernel == 5 else pad) // 2  # conv2, then pool 2
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, kernel, padding=pad),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, kernel, padding=0 if kernel == 5 else pad),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * side * side, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, num_classes),
    )


def mlp(in_channels: int = 1, num_classes: int = 10, image_size: int = 28) -> nn.Sequential:
    """A two-layer perceptron: the baseline a CNN should beat."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(in_channels * image_size * image_size, 128),
        nn.ReLU(),
        nn.Linear(128, num_classes),
    )


MODELS: dict[str, Callable[..., nn.Sequential]] = {"lenet5": lenet5, "mlp": mlp}
