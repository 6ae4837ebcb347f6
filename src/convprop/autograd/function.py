"""Function: one differentiable operation, its forward and backward side by side.

Subclasses implement ``forward(*arrays, **params) -> array`` and
``backward(grad) -> one gradient per input`` (None where there is none), saving what
the backward needs on ``self``. ``apply`` runs the forward on the tensors' arrays and,
when any input requires a gradient and grad mode is on, links the output to this
Function so Tensor.backward can find it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..arguments import ArgumentTypeError
from . import versions
from .grad_mode import is_grad_enabled
from .tensor import Tensor


class Function:
    parents: tuple[Tensor, ...] = ()
    versions: tuple[int, ...] = ()  # of the output's and the inputs' memory, when recorded
    needs_input_grad: tuple[bool, ...] = ()  # per input: does backward need to compute it?
    # forward(*arrays, **params) -> array and backward(grad) -> one gradient per input;
    # declared as attributes so each subclass names its own arguments
    forward: Callable[..., np.ndarray]
    backward: Callable[[np.ndarray], tuple[np.ndarray | None, ...]]

    @classmethod
    def apply(cls, *inputs: Any, _fn: Function | None = None, **params: Any) -> Tensor:
        """Run the forward on the inputs' arrays; link the output when a gradient is needed.
        (One frame on every layer's path: apply_with passes its own instance as _fn.)"""
        for t in inputs:  # O(1) per input: the kind, never the data
            if t is None or isinstance(t, (str, bytes)):
                raise ArgumentTypeError(
                    f"{cls.__name__}: inputs must be Tensors or arrays, got {type(t).__name__}"
                )
        inputs = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in inputs)  # arrays too
        fn = cls() if _fn is None else _fn
        fn.needs_input_grad = tuple(t.requires_grad for t in inputs)
        out = Tensor(fn.forward(*(t.array for t in inputs), **params))
        if is_grad_enabled() and any(fn.needs_input_grad):
            out.requires_grad = True
            out._ctx = fn
            fn.parents = inputs
            for t in inputs:  # what the graph has read is no longer changed in place
                t._read = True
            if versions._counters:  # some in-place write happened: note what backward needs
                fn.versions = tuple(versions.version(t.array) for t in (out, *inputs))
        return out

    @classmethod
    def apply_with(cls, *inputs: Any, **params: Any) -> tuple[Tensor, Function]:
        """The output and the Function itself, for what its forward saved (pooling indices)."""
        fn = cls()
        return cls.apply(*inputs, _fn=fn, **params), fn


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum grad over the axes broadcasting added or stretched, back to `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)
