"""Weight initialisation with PyTorch's default rules (in place, from convprop's generator)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import rng
from ..autograd import Tensor, versions


def fan_in(shape: tuple[int, ...]) -> int:
    """Inputs feeding one output: dim 1 times the receptive field, as PyTorch computes it."""
    return shape[1] * int(np.prod(shape[2:])) if len(shape) > 1 else shape[0]


def _write(tensor: Tensor, values: Any) -> Tensor:
    """values into tensor's storage, as PyTorch's init does under no_grad (a new version of
    that memory: what a recorded operation saved of it is refused at backward)."""
    tensor.array[...] = values
    versions.bump(tensor.array)
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    return _write(tensor, rng.stream(generator).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    return _write(tensor, rng.stream(generator).normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _write(tensor, val)


GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 0.75}
GAINS |= {
    f"conv{d}": 1.0 for d in ("1d", "2d", "3d", "_transpose1d", "_transpose2d", "_transpose3d")
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in GAINS:
        raise ValueError(f"calculate_gain: Unsupported nonlinearity {nonlinearity}")
    return GAINS[nonlinearity]


def _fans(op: str, tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) as PyTorch computes them; refused below two dimensions."""
    if tensor.ndim < 2:
        raise ValueError(
            f"{op}: Fan in and fan out can not be computed for tensor with fewer than 2 "
            f"dimensions (shape {tuple(tensor.shape)})"
        )
    field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * field, tensor.shape[0] * field


def _fan(op: str, tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _fans(op, tensor)
    return fan_in if mode == "fan_in" else fan_out


def _kaiming_std(op: str, tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    """gain / sqrt(fan): the spread both kaiming initialisers draw with."""
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(op, tensor, mode))


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """U(-bound, bound), bound = sqrt(3) * kaiming_normal_'s std. A zero-element tensor
    (Linear(0, n)'s weight) is left as it is, as PyTorch does."""
    if tensor.array.size == 0:
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """N(0, std^2), std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a)."""
    if tensor.array.size == 0:
        return tensor
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    return normal_(tensor, 0.0, std, generator)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans("xavier_uniform_", tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans("xavier_normal_", tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def default_layer_init_(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's Conv/Linear reset_parameters: kaiming_uniform_(a=sqrt(5)) for the weight,
    i.e. U(+-1/sqrt(fan_in)), and U(+-1/sqrt(fan_in)) for the bias."""
    if weight.array.size:
        bound = math.sqrt(2.0 / 6) * math.sqrt(3.0 / fan_in(weight.shape))  # gain(a=sqrt 5)
        uniform_(weight, -bound, bound)
    if bias is not None:
        bound = 1 / math.sqrt(fan_in(weight.shape)) if fan_in(weight.shape) > 0 else 0.0
        uniform_(bias, -bound, bound)


def zeros_(tensor: Tensor) -> Tensor:
    return _write(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return _write(tensor, 1)
