"""Tensor: an ndarray with a gradient, and the topological backward pass.

A Tensor made by an operation remembers the Function that made it (``_ctx``);
``backward`` walks those Functions in reverse topological order, handing each its
output's gradient and passing on the gradients it returns. Leaves that require a
gradient accumulate it in ``.grad`` with ``+=``, as PyTorch does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from . import compare, convert, inplace, reductions, versions

if TYPE_CHECKING:
    from .function import Function


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """PyTorch's defaults: Python floats become float32, ints int64; arrays keep their dtype."""
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    if isinstance(data, (np.ndarray, np.generic)):  # NumPy scalars too: 0-d results of ops
        return np.asarray(data)
    array = np.asarray(data)
    if array.dtype.kind == "f":
        return array.astype(np.float32)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    return array


class Tensor:
    """An n-dimensional array that records the operations applied to it."""

    __array_priority__ = 100  # ndarray op Tensor defers to Tensor's reflected operators

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.array
        self.array: np.ndarray = _as_array(data, dtype)
        if requires_grad and self.array.dtype.kind != "f":
            raise ValueError(
                f"Tensor: only floating tensors can require gradients, got {self.array.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        self._grad: Tensor | None = None
        self._ctx: Function | None = None
        self._read = False  # an input of a recorded operation (inplace.py's rule)

    @classmethod
    def _sharing(cls, array: np.ndarray) -> Tensor:
        """A Tensor over `array` itself (no copy, no conversion), outside any graph."""
        t = Tensor.__new__(Tensor)
        t.array, t.requires_grad, t._grad, t._ctx, t._read = array, False, None, None, False
        return t

    # --- storage, as PyTorch's .data and .grad -----------------------------------------
    @property
    def data(self) -> Tensor:
        """This tensor's values as a Tensor outside the graph, sharing its storage (writes
        through it change this tensor and are not recorded), as PyTorch's .data."""
        return Tensor._sharing(self.array)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(
                f"Tensor.data: assigned data must be a Tensor, got {type(value).__name__}"
            )
        if self.requires_grad and value.dtype.kind != "f":
            raise ValueError(
                f"Tensor.data: a tensor that requires grad must be floating point, got "
                f"{value.dtype}"
            )
        self.array = value.array

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (a Tensor, updated in place by later backward calls), or
        None before the first."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    "Tensor.grad: assigned grad expected to be a Tensor or None but got grad "
                    f"of type {type(value).__name__}"
                )
            if value.shape != self.shape or value.dtype != self.dtype:
                raise ValueError(
                    f"Tensor.grad: assigned grad must match the tensor's shape and dtype: "
                    f"{tuple(value.shape)} {value.dtype} for {tuple(self.shape)} {self.dtype}"
                )
        self._grad = value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """np.asarray(t): the values (no copy unless asked), as PyTorch's CPU tensors; refused
        for a tensor that requires grad, whose graph NumPy would drop without a word."""
        if self.requires_grad:
            raise ValueError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if copy:
            return np.array(self.array, dtype=dtype, copy=True)
        return self.array if dtype is None else self.array.astype(dtype, copy=False)

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise ValueError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(shape {tuple(self.shape)})"
            )
        return bool(self.array.item())

    __hash__ = object.__hash__  # identity, as PyTorch: == returns a Tensor, not a bool

    # --- inspection -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        return int(self.array.size)

    def numpy(self) -> np.ndarray:
        return self.array

    def detach(self) -> Tensor:
        return Tensor(self.array)

    def __len__(self) -> int:
        return len(self.array)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        body = np.array2string(self.array, separator=", ", prefix="tensor(")
        return f"tensor({body}{grad})"

    # --- comparisons (compare.py) and in-place operations (inplace.py) ----------------
    __eq__ = compare.equal_operator
    __ne__ = compare.not_equal_operator
    __lt__, __le__, __gt__, __ge__ = compare.lt, compare.le, compare.gt, compare.ge
    eq, ne, lt, le, gt, ge = compare.eq, compare.ne, compare.lt, compare.le, compare.gt, compare.ge
    __iadd__, __isub__ = inplace.iadd, inplace.isub
    __imul__, __itruediv__ = inplace.imul, inplace.itruediv
    add_, sub_, mul_, div_ = inplace.add_, inplace.sub_, inplace.mul_, inplace.div_
    clamp_, fill_, zero_, copy_ = inplace.clamp_, inplace.fill_, inplace.zero_, inplace.copy_
    __setitem__, requires_grad_ = inplace.setitem, inplace.requires_grad_

    # --- devices, dtypes and Python numbers (convert.py) ---------------------------------
    to, cpu, cuda, double, half, long = (
        convert.to,
        convert.cpu,
        convert.cuda,
        convert.double,
        convert.half,
        convert.long,
    )
    device = property(convert.device)
    is_cuda = False
    item, tolist = convert.item, convert.tolist
    __float__, __int__, __index__ = convert.to_float, convert.to_int, convert.index

    # --- operations (each a Function in ops.py) ------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(self, ops.as_tensor(other, self))

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(ops.as_tensor(other, self), self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self, ops.as_tensor(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(ops.as_tensor(other, self), self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self, ops.as_tensor(other, self))

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(ops.as_tensor(other, self), self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self, ops.as_tensor(other, self))

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(ops.as_tensor(other, self), self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self, ops.as_tensor(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(ops.as_tensor(other, self), self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, Tensor):
            raise ValueError("pow: the exponent must be a number, not a Tensor")
        return ops.Pow.apply(self, exponent=exponent)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, index=inplace.as_index(index))

    def exp(self) -> Tensor:
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.Log.apply(self)

    def sum(self, dim: ops.Axis = None, keepdim: bool = False) -> Tensor:
        return ops.Sum.apply(self, axis=_axes(dim), keepdims=keepdim)

    def mean(self, dim: ops.Axis = None, keepdim: bool = False) -> Tensor:
        axes = _axes(dim)
        count = self.array.size if axes is None else int(np.prod([self.shape[a] for a in axes]))
        return self.sum(dim, keepdim) / count

    def max(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """max() over everything; max(dim) -> (values, indices) as PyTorch, the gradient going
        to the returned (first) maximum."""
        if dim is None:
            return ops.Max.apply(self, axis=None, keepdims=False, split_ties=True)
        values = ops.Max.apply(self, axis=(dim,), keepdims=keepdim, split_ties=False)
        indices = self.array.argmax(axis=dim)
        return MaxResult(values, Tensor(np.expand_dims(indices, dim) if keepdim else indices))

    def amax(self, dim: ops.Axis = None, keepdim: bool = False) -> Tensor:
        """The maximum over dim; tied maxima share the gradient evenly (as torch.amax)."""
        return ops.Max.apply(self, axis=_axes(dim), keepdims=keepdim, split_ties=True)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        if dim is None:
            return Tensor(np.asarray(self.array.argmax()))
        indices = self.array.argmax(axis=dim)
        return Tensor(np.expand_dims(indices, dim) if keepdim else indices)

    def reshape(self, *shape: Any) -> Tensor:
        target = (
            tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        )
        return ops.Reshape.apply(self, shape=target)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        end = end_dim % self.ndim if self.ndim else 0
        shape = (*self.shape[:start_dim], -1, *self.shape[end + 1 :])
        return self.reshape(shape)

    def permute(self, *dims: Any) -> Tensor:
        order = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return ops.Permute.apply(self, dims=tuple(d % self.ndim for d in order))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        order = list(range(self.ndim))
        order[dim0], order[dim1] = order[dim1], order[dim0]
        return self.permute(order)

    @property
    def T(self) -> Tensor:  # PyTorch's name
        return self.permute(tuple(reversed(range(self.ndim))))

    # --- backward ---------------------------------------------------------------------
    def backward(self, grad: Any = None) -> None:
        """Accumulate d(self)/d(leaf) * grad into every leaf's .grad.

        grad defaults to 1 for a one-element tensor, as in PyTorch.
        """
        if not self.requires_grad:
            raise ValueError("backward: this tensor does not require grad (no graph to walk)")
        if grad is None:
            if self.array.size != 1:
                raise ValueError(
                    f"backward: grad can be implied only for one element, got shape {self.shape}"
                )
            seed = np.ones_like(self.array)
        else:
            seed = np.asarray(grad.array if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward: grad has shape {seed.shape} but the tensor {self.shape}"
                )
        grads: dict[int, np.ndarray] = {id(self): seed}
        for node in reversed(list(_topological(self))):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node._ctx is None:  # a leaf: accumulate into .grad, in place after the first
                if node._grad is None:
                    node._grad = Tensor._sharing(np.array(g, dtype=node.dtype))
                else:
                    node._grad.array += g
                continue
            _check_versions(node)
            for parent, pg in zip(node._ctx.parents, node._ctx.backward(g), strict=True):
                if pg is None or not parent.requires_grad:
                    continue
                previous = grads.get(id(parent))
                grads[id(parent)] = pg if previous is None else previous + pg


def _check_versions(node: Tensor) -> None:
    """Refuse a node whose output or inputs were written in place after it was recorded."""
    if not versions._counters:  # no in-place write yet in this process: nothing can differ
        return
    fn = node._ctx
    assert fn is not None
    recorded = fn.versions or (0,) * (1 + len(fn.parents))
    versions.check("output", node.array, recorded[0])
    for i, (parent, v) in enumerate(zip(fn.parents, recorded[1:], strict=True)):
        versions.check(f"input {i}", parent.array, v)


class MaxResult(NamedTuple):
    values: Tensor
    indices: Tensor


def _axes(dim: Any) -> tuple[int, ...] | None:
    """dim as a tuple of axes (or None for all), as NumPy wants it."""
    if dim is None:
        return None
    return tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)


def _topological(root: Tensor) -> Iterator[Tensor]:
    """Tensors that require grad, each after all its inputs (iterative: deep graphs are fine)."""
    seen: set[int] = set()
    order: list[Tensor] = []
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if node._ctx is not None:
            stack.extend(
                (p, False) for p in node._ctx.parents if p.requires_grad and id(p) not in seen
            )
    return iter(order)


# Methods named after Python's float, int, bool, type and min: set after the class body,
# where those names would shadow the builtins in every annotation; and reductions.py's
for _name, _method in [
    ("float", convert.float_),
    ("int", convert.int_),
    ("bool", convert.bool_),
    ("type", convert.type_),
    ("min", reductions.min_),
    *((name, getattr(reductions, name)) for name in reductions.METHODS),
]:
    setattr(Tensor, _name, _method)

from . import ops  # noqa: E402  (ops builds on Tensor; Tensor's operators call ops)
