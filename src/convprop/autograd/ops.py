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
    """a @ b with NumPy's and PyTorch's rules: a 1-D operand is a row (a) or a column (b)
    vector, that axis dropped from the result; other leading axes broadcast."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: both operands must be at least 1-D, got {a.shape} @ {b.shape}"
            )
        self.shapes = a.shape, b.shape
        self.a, self.b = (
            a.reshape(1, -1) if a.ndim == 1 else a,
            b.reshape(-1, 1) if b.ndim == 1 else b,
        )
        if self.a.shape[-1] != self.b.shape[-2]:
            raise ValueError(f"matmul: inner dimensions differ: {a.shape} @ {b.shape}")
        y = self.a @ self.b
        self.y_shape, shape = y.shape, list(y.shape)
        if b.ndim == 1:
            shape.pop(-1)  # the column vector's axis
        if a.ndim == 1:
            shape.pop(-1 if b.ndim == 1 else -2)  # the row vector's axis
        return y.reshape(shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # d(A@B)/dA = G @ B^T, d(A@B)/dB = A^T @ G (batch axes summed back where broadcast)
        g = g.reshape(self.y_shape)
        ga = g @ np.swapaxes(self.b, -1, -2)
        gb = np.swapaxes(self.a, -1, -2) @ g
        ga, gb = unbroadcast(ga, self.a.shape), unbroadcast(gb, self.b.shape)
        return ga.reshape(self.shapes[0]), gb.reshape(self.shapes[1])


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


class Sigmoid(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        # 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) below: no overflow either way
        e = np.exp(-np.abs(x))
        self.y = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        return self.y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # d sigmoid/dx = y (1 - y)
        return (g * self.y * (1 - self.y),)


class Tanh(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(x)
        return self.y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # d tanh/dx = 1 - y^2
        return (g * (1 - self.y * self.y),)


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


class Clamp(Function):
    def forward(self, a: np.ndarray, *, low: float | None, high: float | None) -> np.ndarray:
        self.passed = np.ones(a.shape, dtype=bool)
        if low is not None:
            self.passed &= a >= low
        if high is not None:
            self.passed &= a <= high
        return np.clip(a, low, high)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # d clamp/da = 1 where low <= a <= high (the bounds included, as PyTorch), else 0
        return (np.where(self.passed, g, g.dtype.type(0)),)


class SetItem(Function):
    def forward(self, a: np.ndarray, v: np.ndarray, *, index: Any) -> np.ndarray:
        self.index, self.v_shape = index, v.shape
        out = a.copy()
        out[index] = v
        return out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # the overwritten elements pass nothing back to a; v receives their gradient
        ga = g.copy()
        ga[self.index] = 0
        gv = np.asarray(g[self.index])
        gv = gv.reshape((1,) * (len(self.v_shape) - gv.ndim) + gv.shape)  # v had leading 1s
        return ga, unbroadcast(gv, self.v_shape)


class Fill(Function):
    def forward(self, a: np.ndarray, v: np.ndarray) -> np.ndarray:
        self.shape, self.v_shape = a.shape, v.shape
        return np.broadcast_to(v, a.shape).astype(a.dtype)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # the old values are gone: nothing flows back to a; v receives every gradient
        return np.zeros(self.shape, g.dtype), unbroadcast(g, self.v_shape)


class Cast(Function):
    def forward(self, a: np.ndarray, *, dtype: np.dtype) -> np.ndarray:
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # the identity, the gradient cast back to the input's dtype
        return (g.astype(self.dtype),)


def as_tensor(value: Any, like: Tensor) -> Tensor:
    """A constant operand: Python scalars take the other operand's dtype (as in PyTorch)."""
    if isinstance(value, Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.kind in "biuf" and like.dtype.kind == "f" and array.ndim == 0:
        array = array.astype(like.dtype)
    return Tensor(array)
