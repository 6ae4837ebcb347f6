"""Comparisons of Tensors: ==, !=, <, <=, >, >= and eq, ne, lt, le, gt, ge, each a bool
Tensor outside the graph, element by element with NumPy's broadcasting, as in PyTorch
(never a Python bool, never identity: `(pred == label).sum()` counts matches).
Tensor's class body binds these functions as its methods."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .methods import named

if TYPE_CHECKING:
    from .tensor import Tensor


def _compare(op: str, ufunc: Callable[..., Any], a: Tensor, other: Any) -> Tensor:
    from .tensor import Tensor

    b = other.array if isinstance(other, Tensor) else other
    try:
        result = ufunc(a.array, b)
    except (TypeError, ValueError) as e:  # shapes that do not broadcast, strings
        shape = getattr(b, "shape", type(b).__name__)
        raise ValueError(f"{op}: cannot compare a tensor {a.shape} with {shape}: {e}") from None
    return a._sharing(np.asarray(result, dtype=bool))


def _method(op: str, ufunc: Callable[..., Any]) -> Callable[[Tensor, Any], Tensor]:
    doc = f"Tensor.{op}(other): a bool Tensor, element by element, as PyTorch's."
    return named(op, doc, lambda self, other: _compare(op, ufunc, self, other))


eq, ne = _method("eq", np.equal), _method("ne", np.not_equal)
lt, le = _method("lt", np.less), _method("le", np.less_equal)
gt, ge = _method("gt", np.greater), _method("ge", np.greater_equal)


def equal_operator(self: Tensor, other: Any) -> Any:
    """==: eq, except `t == None` is False, as PyTorch."""
    return False if other is None else eq(self, other)


def not_equal_operator(self: Tensor, other: Any) -> Any:
    """!=: ne, except `t != None` is True, as PyTorch."""
    return True if other is None else ne(self, other)
