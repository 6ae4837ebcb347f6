"""Operations on several tensors at once, each a Function, forward beside backward:
cat and stack (the gradient split back along the joined axis), where (the gradient
routed to the side each element came from), and gather by indices along an axis (sort and
topk's values; the gradient put back where each value was taken)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .function import Function, unbroadcast


class Cat(Function):
    def forward(self, *parts: np.ndarray, dim: int) -> np.ndarray:
        self.dim, self.sizes = dim, [p.shape[dim] for p in parts]
        return np.concatenate(parts, axis=dim)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, ...]:
        # each part receives the slice of the gradient where it was placed
        return tuple(np.split(g, np.cumsum(self.sizes)[:-1], axis=self.dim))


class Stack(Function):
    def forward(self, *parts: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        return np.stack(parts, axis=dim)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, ...]:
        # each part receives its own index of the new axis
        return tuple(np.moveaxis(g, self.dim, 0))


class Where(Function):
    def forward(self, a: np.ndarray, b: np.ndarray, *, condition: Any) -> np.ndarray:
        self.condition, self.shapes = np.asarray(condition, dtype=bool), (a.shape, b.shape)
        return np.where(self.condition, a, b)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # d where(c, a, b)/da = 1 where c, d/db = 1 elsewhere (broadcast axes summed back)
        zero = g.dtype.type(0)
        ga = np.where(self.condition, g, zero)
        gb = np.where(self.condition, zero, g)
        return unbroadcast(ga, self.shapes[0]), unbroadcast(gb, self.shapes[1])


class Gather(Function):
    def forward(self, a: np.ndarray, *, indices: np.ndarray, dim: int) -> np.ndarray:
        self.shape, self.indices, self.dim = a.shape, indices, dim
        return np.take_along_axis(a, indices, axis=dim)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each taken element receives its gradient back at the place it was taken from
        ga = np.zeros(self.shape, dtype=g.dtype)
        np.put_along_axis(ga, self.indices, g, axis=self.dim)
        return (ga,)
