"""Element-wise, reduction and shape operations: each a Function, forward beside backward."""

from __future__ import annotations

from typing import Any

import numpy as np

from .function import Function, unbroadcast
from .tensor import Tensor

Axis = int | tuple[int, ...] | None


class Add(Function):
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # d(a+b)/da = 1, d(a+b)/db = 1, summed over broadcast axes
        return unbroadcast(g, self.shapes[0]), unbroadcast(g, self.shapes[1])


class Sub(Function):
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return unbroadcast(g, self.shapes[0]), unbroadcast(-g, self.shapes[1])


class Mul(Function):
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a * b

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # d(ab)/da = b, d(ab)/db = a
        return unbroadcast(g * self.b, self.a.shape), unbroadcast(g * self.a, self.b.shape)


class Div(Function):
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a / b

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        return (
            unbroadcast(g / self.b, self.a.shape),
            unbroadcast(-g * self.a / (self.b * self.b), self.b.shape),
        )


class MatMul(Function):
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim < 2 or b.ndim < 2:
            raise ValueError(
                f"matmul: both operands must be at least 2-D, got {a.shape} @ {b.shape}"
            )
        if a.shape[-1] != b.shape[-2]:
            raise ValueError(f"matmul: inner dimensions differ: {a.shape} @ {b.shape}")
        self.a, self.b = a, b
        return a @ b

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # d(A@B)/dA = G @ B^T, d(A@B)/dB = A^T @ G (batch axes summed back where broadcast)
        ga = g @ np.swapaxes(self.b, -1, -2)
        gb = np.swapaxes(self.a, -1, -2) @ g
        return unbroadcast(ga, self.a.shape), unbroadcast(gb, self.b.shape)


class Neg(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return -a

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        return (-g,)


class Pow(Function):
    def forward(self, a: np.ndarray, *, exponent: float) -> np.ndarray:
        self.a, self.exponent = a, exponent
        return a**exponent

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # d(a^p)/da = p a^(p-1)
        return (g * self.exponent * self.a ** (self.exponent - 1),)


class Exp(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.y = np.exp(a)
        return self.y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        return (g * self.y,)


class Log(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.log(a)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        return (g / self.a,)


class Sum(Function):
    def forward(self, a: np.ndarray, *, axis: Axis, keepdims: bool) -> np.ndarray:
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        return np.asarray(a.sum(axis=axis, keepdims=keepdims))

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # every input of the sum receives the output's gradient
        if not self.keepdims and self.axis is not None:
            g = np.expand_dims(g, self.axis)
        return (np.broadcast_to(g, self.shape),)


class Max(Function):
    def forward(self, a: np.ndarray, *, axis: Axis, keepdims: bool, split_ties: bool) -> np.ndarray:
        self.a, self.axis, self.keepdims = a, axis, keepdims
        self.y = a.max(axis=axis, keepdims=True)
        if split_ties:
            self.winners = a == self.y
        else:  # one winner per reduction: the first maximum (axis is a single axis here)
            assert isinstance(axis, tuple) and len(axis) == 1
            (ax,) = axis
            first = np.expand_dims(a.argmax(axis=ax), ax)
            self.winners = np.zeros(a.shape, dtype=bool)
            np.put_along_axis(self.winners, first, True, axis=ax)
        return np.asarray(self.y if keepdims else a.max(axis=axis))

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # the gradient goes to the maximum (shared evenly between ties when split_ties)
        if not self.keepdims and self.axis is not None:
            g = np.expand_dims(g, self.axis)
        share = self.winners.sum(axis=self.axis, keepdims=True)
        return ((self.winners * (g / share)).astype(self.a.dtype, copy=False),)


class Reshape(Function):
    def forward(self, a: np.ndarray, *, shape: tuple[int, ...]) -> np.ndarray:
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        return (g.reshape(self.shape),)


class Permute(Function):
    def forward(self, a: np.ndarray, *, dims: tuple[int, ...]) -> np.ndarray:
        self.dims = dims
        return a.transpose(dims)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        return (g.transpose(np.argsort(self.dims)),)


class GetItem(Function):
    def forward(self, a: np.ndarray, *, index: Any) -> np.ndarray:
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return np.asarray(a[index])

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # scatter back; integer-array indexing may repeat an element, so it accumulates
        out = np.zeros(self.shape, dtype=self.dtype)
        np.add.at(out, self.index, g)
        return (out,)


def as_tensor(value: Any, like: Tensor) -> Tensor:
    """A constant operand: Python scalars take the other operand's dtype (as in PyTorch)."""
    if isinstance(value, Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.kind in "biuf" and like.dtype.kind == "f" and array.ndim == 0:
        array = array.astype(like.dtype)
    return Tensor(array)
