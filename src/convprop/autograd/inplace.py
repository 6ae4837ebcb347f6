"""In-place operations on Tensors, with PyTorch's rules: `+=`, `-=`, `*=`, `/=`, add_, sub_,
mul_, div_, clamp_, zero_, fill_, copy_, t[index] = value, requires_grad_.

* Outside the graph (no_grad, or no operand requires grad) the tensor's storage is
  written: every Tensor sharing it (.data, views) sees the change, as in PyTorch. The
  result keeps the tensor's dtype; a float result into an integer tensor is refused.
* A leaf that requires grad is refused in grad mode with PyTorch's error: its gradient
  would be taken with respect to a value that no longer exists.
* A tensor inside the graph (made by an operation) is recorded as the out-of-place
  operation, the tensor itself becoming its result, so `out += shortcut` in a residual
  block differentiates as `out = out + shortcut`. Only while nothing recorded has read it
  yet: the graph holds tensors, not storage versions, so a change after another operation
  read the tensor is refused, never a silently wrong gradient (PyTorch checks version
  counters instead, at backward time).

Tensor's class body binds these functions as its methods.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import versions

if TYPE_CHECKING:
    from .tensor import Tensor

LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."


def _value(other: Any) -> Any:
    from .tensor import Tensor

    return other.array if isinstance(other, Tensor) else other


def _in_place(
    t: Tensor,
    op: str,
    other: Any,
    write: Callable[[np.ndarray, Any], None],
    record: Callable[[Tensor, Any], Tensor],
) -> Tensor:
    """Write `write(array, other's value)` into t's storage or, inside the graph, make t
    `record(t's old self, other)`; t returned."""
    from . import ops
    from .grad_mode import is_grad_enabled
    from .tensor import Tensor

    other_grad = isinstance(other, Tensor) and other.requires_grad
    if not is_grad_enabled() or not (t.requires_grad or other_grad):
        try:
            write(t.array, _value(other))
        except (TypeError, ValueError) as e:  # a float into an int tensor, shapes
            raise ValueError(f"{op}: {e}; tensor {t.shape} {t.dtype}") from None
        versions.bump(t.array)  # what the graph saved of this memory is stale now
        return t
    if t.requires_grad and t._ctx is None:
        raise ValueError(f"{op}: {LEAF_ERROR}")
    _check_recordable(t, op, other)
    old = Tensor._sharing(t.array)
    old.requires_grad, old._ctx = t.requires_grad, t._ctx
    if other is t:  # h += h: both operands are the value before the change
        other = old
    new = record(old, other if isinstance(other, Tensor) else ops.as_tensor(other, t))
    t.array, t._ctx, t.requires_grad = new.array.astype(t.dtype, copy=False), new._ctx, True
    return t


def _check_recordable(t: Tensor, op: str, other: Any) -> None:
    """What the graph path cannot record faithfully is refused, never changed silently."""
    if t._read:
        raise ValueError(
            f"{op}: this tensor {t.shape} was already read by an operation recorded for "
            "backward, and changing it in place would change that gradient; write it out "
            "of place instead (y = y + x, not y += x)"
        )
    if t.array.base is not None:
        raise ValueError(
            f"{op}: this tensor {t.shape} is a view of another tensor's memory, which an "
            "in-place change inside the graph would not reach; write it out of place"
        )
    if t.dtype.kind != "f":
        raise ValueError(f"{op}: only floating tensors can require gradients, got {t.dtype}")
    value = _value(other)
    shape = np.shape(value)
    try:
        broadcast = np.broadcast_shapes(t.shape, shape)
    except ValueError:
        broadcast = None
    if broadcast != t.shape:
        raise ValueError(
            f"{op}: output with shape {t.shape} doesn't match the broadcast shape "
            f"{broadcast if broadcast is not None else shape}"
        )
    if not np.can_cast(np.result_type(t.array, value), t.dtype, "same_kind"):
        raise ValueError(
            f"{op}: result type {np.result_type(t.array, value)} can't be cast to the "
            f"desired output type {t.dtype}"
        )


def _scaled(other: Any, alpha: float) -> Any:
    return other if alpha == 1 else other * alpha


# --- arithmetic -----------------------------------------------------------------------
def add_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    return _in_place(self, "add_", _scaled(other, alpha), _add, lambda a, b: a + b)


def sub_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    return _in_place(self, "sub_", _scaled(other, alpha), _sub, lambda a, b: a - b)


def mul_(self: Tensor, other: Any) -> Tensor:
    return _in_place(self, "mul_", other, _mul, lambda a, b: a * b)


def div_(self: Tensor, other: Any) -> Tensor:
    return _in_place(self, "div_", other, _div, lambda a, b: a / b)


def iadd(self: Tensor, other: Any) -> Tensor:
    return _in_place(self, "+=", other, _add, lambda a, b: a + b)


def isub(self: Tensor, other: Any) -> Tensor:
    return _in_place(self, "-=", other, _sub, lambda a, b: a - b)


def imul(self: Tensor, other: Any) -> Tensor:
    return _in_place(self, "*=", other, _mul, lambda a, b: a * b)


def itruediv(self: Tensor, other: Any) -> Tensor:
    return _in_place(self, "/=", other, _div, lambda a, b: a / b)


def clamp_(self: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    from . import ops

    if min is None and max is None:
        raise ValueError("clamp_: at least one of 'min' and 'max' must not be None")

    def write(a: np.ndarray, _: Any) -> None:
        np.clip(a, min, max, out=a)

    return _in_place(
        self, "clamp_", None, write, lambda a, _: ops.Clamp.apply(a, low=min, high=max)
    )


# --- overwriting ----------------------------------------------------------------------
def fill_(self: Tensor, value: Any) -> Tensor:
    return _in_place(self, "fill_", value, _fill, _recorded_fill)


def zero_(self: Tensor) -> Tensor:
    return fill_(self, 0)


def copy_(self: Tensor, src: Any) -> Tensor:
    return _in_place(self, "copy_", src, _fill, _recorded_fill)


def _recorded_fill(a: Tensor, v: Tensor) -> Tensor:
    from . import ops

    return ops.Fill.apply(a, v)


def as_index(index: Any) -> Any:
    """An index with its Tensors as arrays, inside tuples and lists too (NumPy would take a
    one-element tensor in a tuple for an int, through __index__, and drop its axis)."""
    if isinstance(index, tuple):
        return tuple(as_index(i) for i in index)
    if isinstance(index, list):
        return [as_index(i) for i in index]
    return _value(index)


def setitem(self: Tensor, index: Any, value: Any) -> None:
    """t[index] = value."""
    from . import ops

    index = as_index(index)

    def write(a: np.ndarray, v: Any) -> None:
        a[index] = v

    _in_place(self, "setitem", value, write, lambda a, v: ops.SetItem.apply(a, v, index=index))


def requires_grad_(self: Tensor, requires_grad: bool = True) -> Tensor:
    if not isinstance(requires_grad, bool):
        raise ValueError(f"requires_grad_: requires_grad must be a bool, got {requires_grad!r}")
    if self._ctx is not None and not requires_grad:
        raise ValueError(
            "requires_grad_: you can only change requires_grad flags of leaf variables"
        )
    if requires_grad and self.dtype.kind != "f":
        raise ValueError(
            f"requires_grad_: only floating tensors can require gradients, got {self.dtype}"
        )
    self.requires_grad = requires_grad
    return self


def _add(a: np.ndarray, b: Any) -> None:
    np.add(a, b, out=a, casting="same_kind")


def _sub(a: np.ndarray, b: Any) -> None:
    np.subtract(a, b, out=a, casting="same_kind")


def _mul(a: np.ndarray, b: Any) -> None:
    np.multiply(a, b, out=a, casting="same_kind")


def _div(a: np.ndarray, b: Any) -> None:
    np.true_divide(a, b, out=a, casting="same_kind")


def _fill(a: np.ndarray, v: Any) -> None:
    a[...] = v
