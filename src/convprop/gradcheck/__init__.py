"""Numerical gradients: central differences, the full Jacobian on small inputs and the
dot-product test on large ones (check.py), their report (result.py), and the grid that
checks every kernel's backward against them (grid.py, run by `convprop gradcheck`)."""

from .check import (
    CheckedFn,
    central_difference,
    check_gradients,
    gradcheck,
    numerical_gradient,
)
from .result import GradcheckError, GradcheckKinkWarning, GradcheckResult, InputReport

__all__ = [
    "CheckedFn",
    "GradcheckError",
    "GradcheckKinkWarning",
    "GradcheckResult",
    "InputReport",
    "central_difference",
    "check_gradients",
    "gradcheck",
    "numerical_gradient",
]
