"""Reverse-mode automatic differentiation on NumPy arrays: Tensor, Function, no_grad."""

# isort: off
from .tensor import Tensor, is_grad_enabled, no_grad  # first: Function builds on Tensor
from .function import Function
from .parameter import Parameter

# isort: on

__all__ = ["Function", "Parameter", "Tensor", "is_grad_enabled", "no_grad"]
