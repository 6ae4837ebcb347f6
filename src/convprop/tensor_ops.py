"""The functions PyTorch offers at its top level on tensors (torch.cat, torch.max, ...),
with its names and arguments; each is the Tensor method of the same name, or one of the
joins (autograd/joins.py: cat, stack, where)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .autograd import Tensor
from .autograd.joins import Cat, Stack, Where


def _tensors(op: str, tensors: Sequence[Any]) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise ValueError(
            f"{op}: expected a non-empty list or tuple of tensors, got {type(tensors).__name__}"
        )
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def _axis(op: str, dim: int, ndim: int) -> int:
    if not -ndim <= dim < ndim:
        raise ValueError(
            f"{op}: Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
            f"but got {dim})"
        )
    return dim % ndim


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """The tensors joined along dim (every other size equal), as torch.cat."""
    parts = _tensors("cat", tensors)
    axis = _axis("cat", dim, parts[0].ndim)
    shapes = {(p.ndim, *p.shape[:axis], *p.shape[axis + 1 :]) for p in parts}
    if len(shapes) != 1:
        raise ValueError(
            f"cat: Sizes of tensors must match except in dimension {dim}, got "
            f"{[tuple(p.shape) for p in parts]}"
        )
    return Cat.apply(*parts, dim=axis)


concat = concatenate = cat


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """The tensors (all one shape) along a new axis dim, as torch.stack."""
    parts = _tensors("stack", tensors)
    if len({tuple(p.shape) for p in parts}) != 1:
        raise ValueError(
            f"stack: expects each tensor to be equal size, got {[tuple(p.shape) for p in parts]}"
        )
    return Stack.apply(*parts, dim=_axis("stack", dim, parts[0].ndim + 1))


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """input where condition, else other, broadcast together, as torch.where."""
    mask = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
    if mask.dtype != np.bool_:
        raise ValueError(f"where: expected condition to be a boolean tensor, got {mask.dtype}")
    a = input if isinstance(input, Tensor) else Tensor(input)
    b = other if isinstance(other, Tensor) else Tensor(other)
    if a.dtype != b.dtype:  # a Python number takes the tensor's dtype, as in PyTorch
        if not isinstance(input, Tensor):
            a = Tensor(np.asarray(input, dtype=b.dtype))
        elif not isinstance(other, Tensor):
            b = Tensor(np.asarray(other, dtype=a.dtype))
    return Where.apply(a, b, condition=mask)


def _method(name: str) -> Any:
    def call(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(input, Tensor):
            raise ValueError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"torch.{name}(input, ...): input.{name}(...)."
    return call


# torch.max, torch.sum, ...: these shadow Python's max, min and sum below this line
flatten = _method("flatten")
reshape = _method("reshape")
squeeze = _method("squeeze")
unsqueeze = _method("unsqueeze")
transpose = _method("transpose")
permute = _method("permute")
exp = _method("exp")
log = _method("log")
sigmoid = _method("sigmoid")
tanh = _method("tanh")
clamp = _method("clamp")
clip = _method("clip")
sqrt = _method("sqrt")
max = _method("max")
min = _method("min")
argmax = _method("argmax")
argmin = _method("argmin")
sum = _method("sum")
mean = _method("mean")
std = _method("std")
var = _method("var")
norm = _method("norm")
sort = _method("sort")
topk = _method("topk")


def matmul(input: Tensor, other: Tensor) -> Tensor:
    return input @ other


mm = matmul
