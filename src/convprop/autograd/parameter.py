"""Parameter: a Tensor marked as learnable. It lives with the engine, so that optimizers need
autograd only; `convprop.nn.Parameter` is the same class (PyTorch's spelling)."""

from __future__ import annotations

from typing import Any

from .tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as learnable; requires_grad by default."""

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
