"""More of Tensor's methods with PyTorch's names, built from the ops (ops.py): squeeze,
unsqueeze, view_as, min and argmin, std and var, norm, clamp and clip, sqrt, sigmoid and
tanh. Tensor's class body binds these functions as its methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor


METHODS: tuple[str, ...] = (
    "squeeze",
    "unsqueeze",
    "view_as",
    "argmin",
    "var",
    "std",
    "norm",
    "clamp",
    "sqrt",
    "sigmoid",
    "tanh",
    "clip",
    "sort",
    "topk",
)  # bound as Tensor's methods of these names (and min_ as min)


class MinResult(NamedTuple):
    values: Tensor
    indices: Tensor


class SortResult(NamedTuple):
    values: Tensor
    indices: Tensor


def _dim(op: str, t: Tensor, dim: int, extra: int = 0) -> int:
    """dim in [-ndim - extra, ndim + extra), as a non-negative axis."""
    size = t.ndim + extra
    if (
        isinstance(dim, bool)
        or not isinstance(dim, (int, np.integer))
        or not -max(size, 1) <= dim < max(size, 1)
    ):
        raise ValueError(
            f"{op}: Dimension out of range (expected to be in range of "
            f"[{-size}, {size - 1}], but got {dim})"
        )
    return int(dim) % size


def squeeze(self: Tensor, dim: Any = None) -> Tensor:
    """The size-1 axes removed (all, or those of dim; an axis of another size is kept)."""
    if dim is None:
        shape = tuple(n for n in self.shape if n != 1)
    else:
        axes = {_dim("squeeze", self, d) for d in (dim if isinstance(dim, tuple) else (dim,))}
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1))
    return self.reshape(shape)


def unsqueeze(self: Tensor, dim: int) -> Tensor:
    axis = _dim("unsqueeze", self, dim, extra=1)
    return self.reshape((*self.shape[:axis], 1, *self.shape[axis:]))


def view_as(self: Tensor, other: Tensor) -> Tensor:
    return self.reshape(tuple(other.shape))


def min_(self: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """min() over everything; min(dim) -> (values, indices), the gradient to the first."""
    if dim is None:
        return -(-self).max()
    values = -((-self).max(dim, keepdim).values)
    return MinResult(values, argmin(self, dim, keepdim))


def argmin(self: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return self._sharing(np.asarray(self.array.argmin()))
    indices = self.array.argmin(axis=_dim("argmin", self, dim))
    return self._sharing(np.expand_dims(indices, dim) if keepdim else indices)


def var(
    self: Tensor,
    dim: Any = None,
    unbiased: Any = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> Tensor:
    """The variance over dim with Bessel's correction (correction=1, or unbiased=True)
    unless told otherwise, as torch.var."""
    if unbiased is not None and correction is not None:
        raise ValueError("var: pass correction or unbiased, not both")
    c = correction if correction is not None else (0 if unbiased is False else 1)
    axes = (
        None
        if dim is None
        else tuple(d % self.ndim for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))
    )
    count = self.array.size if axes is None else int(np.prod([self.shape[a] for a in axes]))
    centred = self - self.mean(axes, keepdim=True)
    return (centred * centred).sum(axes, keepdim) / max(count - c, 0)


def std(
    self: Tensor,
    dim: Any = None,
    unbiased: Any = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> Tensor:
    return var(self, dim, unbiased, keepdim, correction=correction) ** 0.5


def norm(self: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """The 2-norm (p=2 or 'fro') over dim or everything; other p are refused."""
    if p not in (2, 2.0, "fro"):
        raise ValueError(f"norm: only the 2-norm ('fro', 2) is supported, got p={p!r}")
    return ((self * self).sum(dim, keepdim)) ** 0.5


def clip(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    return clamp(self, min, max)


def clamp(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
    from . import ops

    return ops.Clamp.apply(self, low=min, high=max)


def sqrt(self: Tensor) -> Tensor:
    return self**0.5


def sigmoid(self: Tensor) -> Tensor:
    from . import ops

    return ops.Sigmoid.apply(self)


def tanh(self: Tensor) -> Tensor:
    from . import ops

    return ops.Tanh.apply(self)


def sort(self: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """(values, indices) along dim, ties in their original order, as a stable torch.sort;
    the values differentiable (each gradient goes back to where its value came from)."""
    from .joins import Gather

    axis = _dim("sort", self, dim)
    keys = -self.array if descending else self.array
    if self.dtype.kind == "b" and descending:
        keys = ~self.array
    order = np.argsort(keys, axis=axis, kind="stable").astype(np.int64)
    return SortResult(Gather.apply(self, indices=order, dim=axis), self._sharing(order))


def topk(self: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """The k largest (or smallest) values along dim and their indices, as torch.topk."""
    from .joins import Gather

    axis = _dim("topk", self, dim)
    size = self.shape[axis] if self.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= size:
        raise ValueError(f"topk: k ({k!r}) out of range for dimension {dim} of size {size}")
    keys = -self.array if largest else self.array
    order = np.argsort(keys, axis=axis, kind="stable")
    chosen = np.take(order, np.arange(k), axis=axis).astype(np.int64)
    return SortResult(Gather.apply(self, indices=chosen, dim=axis), self._sharing(chosen))
