"""Reverse-mode automatic differentiation on NumPy arrays: Tensor, Function, no_grad."""

# isort: off
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor  # before Function, which builds on Tensor
from .function import Function
from .parameter import Parameter

# isort: on

__all__ = [
    "Function",
    "Parameter",
    "Tensor",
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
