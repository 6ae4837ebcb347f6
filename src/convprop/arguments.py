"""Argument checks shared by every operation: ints and tuples of ints, array kinds and
dtypes, and shapes written into error messages the same way everywhere."""

from __future__ import annotations

import operator
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

Pair = tuple[int, int]
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def fmt(shape: tuple[int, ...]) -> str:
    """(8, 3, 32, 32), the way shapes are written in every error message."""
    return str(tuple(int(s) for s in shape))


def as_int(op: str, name: str, value: Any, minimum: int) -> int:
    """An integer argument >= minimum; bools and floats are rejected, NumPy ints accepted."""
    if isinstance(value, bool):
        raise ValueError(f"{op}: {name} must be an integer, got {value!r}")
    try:
        result = operator.index(value)
    except TypeError:
        raise ValueError(f"{op}: {name} must be an integer, got {value!r}") from None
    if result < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {result}")
    return result


def as_tuple(op: str, name: str, value: Any, minimum: int, dims: int) -> tuple[int, ...]:
    """An int or `dims` ints, as PyTorch's _single/_pair/_triple, each >= minimum."""
    if isinstance(value, (tuple, list)):
        if len(value) != dims:
            kind = {1: "one int", 2: "an int or a pair", 3: "an int or a triple"}.get(dims)
            raise ValueError(f"{op}: {name} must be {kind or f'{dims} ints'}, got {value!r}")
        return tuple(as_int(op, name, v, minimum) for v in value)
    return (as_int(op, name, value, minimum),) * dims


def as_pair(op: str, name: str, value: Any, minimum: int) -> Pair:
    """An int or a pair of ints, as PyTorch's _pair, each >= minimum."""
    a, b = as_tuple(op, name, value, minimum, 2)
    return (a, b)


@contextmanager
def shapes_in_errors(shapes: str) -> Iterator[None]:
    """Append the actual shapes to an argument error raised inside (stride=0 and the like)."""
    try:
        yield
    except ValueError as e:
        raise ValueError(f"{e}; {shapes}") from None


def check_array(op: str, name: str, a: Any, ndim: int, layout: str) -> np.ndarray:
    """A floating NumPy array of the given ndim, else a ValueError naming its shape."""
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{op}: {name} must be a NumPy array, got {type(a).__name__}")
    if a.ndim != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D {layout}, got shape {fmt(a.shape)}")
    if a.dtype not in FLOAT_DTYPES:
        raise ValueError(
            f"{op}: {name} must be float32 or float64, got {a.dtype} with shape {fmt(a.shape)}"
        )
    return a


def check_same_dtype(op: str, **arrays: np.ndarray | None) -> None:
    """All given arrays share one dtype; mixing float32 and float64 is an error, not a cast."""
    present = {k: a for k, a in arrays.items() if a is not None}
    dtypes = {a.dtype for a in present.values()}
    if len(dtypes) > 1:
        parts = ", ".join(f"{k} {a.dtype} {fmt(a.shape)}" for k, a in present.items())
        raise ValueError(f"{op}: arrays must share one dtype, got {parts}")
