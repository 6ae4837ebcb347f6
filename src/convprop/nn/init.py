"""Weight initialisation with PyTorch's default rules (in place, from convprop's generator)."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Tensor
from ..rng import generator


def fan_in(shape: tuple[int, ...]) -> int:
    """Inputs feeding one output: dim 1 times the receptive field, as PyTorch computes it."""
    return shape[1] * int(np.prod(shape[2:])) if len(shape) > 1 else shape[0]


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    tensor.array[...] = generator().uniform(a, b, tensor.shape)
    return tensor


def kaiming_uniform_(tensor: Tensor, a: float = 0.0) -> Tensor:
    """U(-bound, bound), bound = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)). A
    zero-element tensor (Linear(0, n)'s weight) is left as it is, as PyTorch does."""
    if tensor.array.size == 0:
        return tensor
    bound = math.sqrt(2.0 / (1 + a * a)) * math.sqrt(3.0 / fan_in(tensor.shape))
    return uniform_(tensor, -bound, bound)


def default_layer_init_(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's Conv/Linear reset_parameters: kaiming_uniform_(a=sqrt(5)) for the weight,
    i.e. U(+-1/sqrt(fan_in)), and U(+-1/sqrt(fan_in)) for the bias."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(fan_in(weight.shape)) if fan_in(weight.shape) > 0 else 0.0
        uniform_(bias, -bound, bound)


def zeros_(tensor: Tensor) -> Tensor:
    tensor.array[...] = 0
    return tensor


def ones_(tensor: Tensor) -> Tensor:
    tensor.array[...] = 1
    return tensor
