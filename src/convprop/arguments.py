"""Argument checks shared by every operation: ints and tuples of ints, array kinds and
dtypes, and shapes written into error messages the same way everywhere."""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

Pair = tuple[int, int]
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
WIDENED = {np.dtype(np.float16): np.dtype(np.float32)}  # converted losslessly at the entry

MAX_INT = 2**31 - 1  # the largest size, stride, padding, dilation, ... any operation accepts
MAX_ELEMENTS = 2**31  # the most elements one input, output or temporary array may hold


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong kind (a string where an array belongs, a complex array, a
    float stride): a TypeError, as PyTorch raises, and a ValueError, as every other
    argument error here, so `except ValueError` still catches every user mistake."""


def fmt(shape: tuple[int, ...]) -> str:
    """(8, 3, 32, 32), the way shapes are written in every error message."""
    return str(tuple(int(s) for s in shape))


def as_int(op: str, name: str, value: Any, minimum: int) -> int:
    """An integer argument in [minimum, MAX_INT]; bools and floats are rejected, NumPy ints
    accepted. The upper bound keeps every later size product inside int64."""
    if isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{op}: {name} must be an integer, got {value!r}")
    try:
        result = operator.index(value)
    except TypeError:
        raise ArgumentTypeError(f"{op}: {name} must be an integer, got {value!r}") from None
    if result < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {result}")
    if result > MAX_INT:
        raise ValueError(f"{op}: {name} must be at most 2**31 - 1, got {result}")
    return result


def as_float(op: str, name: str, value: Any, minimum: float | None = None) -> float:
    """A finite real number (an int or a float, NumPy's included; never a bool or a string),
    >= minimum when one is given. An int too large for a float is a ValueError, not an
    OverflowError; NaN and the infinities are refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{op}: {name} must be a real number, got {_short(value)}")
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise ValueError(f"{op}: {name} must be a finite number, got {_short(value)}")
    if minimum is not None and result < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {_short(value)}")
    return result


def _short(value: Any) -> str:
    """repr(value), cut to 40 characters (10**400 would fill the message)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def as_bool(op: str, name: str, value: Any) -> bool:
    """A flag (ceil_mode, count_include_pad): a bool, as PyTorch requires, never a truthy string."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{op}: {name} must be a bool, got {value!r}")
    return bool(value)


def check_elements(op: str, what: str, shape: tuple[int, ...]) -> None:
    """Refuse an array of more than MAX_ELEMENTS elements before anything allocates it."""
    count = math.prod(int(n) for n in shape)
    if count > MAX_ELEMENTS:
        raise ValueError(
            f"{op}: {what} {fmt(shape)} would hold {count} elements, more than the limit "
            f"of {MAX_ELEMENTS} (convprop.arguments.MAX_ELEMENTS)"
        )


def as_tuple(op: str, name: str, value: Any, minimum: int, dims: int) -> tuple[int, ...]:
    """An int or `dims` ints, as PyTorch's _single/_pair/_triple, each >= minimum."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1 and dims > 1:  # PyTorch expands a one-element list
            value = tuple(value) * dims
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
        raise type(e)(f"{e}; {shapes}") from None  # an ArgumentTypeError stays one


def as_array(op: str, name: str, a: Any) -> np.ndarray:
    """The kernels' input contract: a float32 or float64 NumPy array, returned as a plain
    ndarray. What converts without loss is converted (an ndarray subclass, nested lists of
    floats, a CPU torch.Tensor or convprop.Tensor, float16, widened to float32); anything else
    (None, a string, a number, a tensor that requires grad, integer, bool or complex values) is an
    ArgumentTypeError naming the argument. A plain float array costs two checks."""
    if type(a) is not np.ndarray:
        if isinstance(a, np.ma.MaskedArray):  # the mask would be dropped without a word
            raise ArgumentTypeError(
                f"{op}: {name} is a masked array; kernels take plain arrays (fill the masked "
                "values first: a.filled(0))"
            )
        if a is None or isinstance(a, (str, bytes, int, float, complex, dict)):
            raise ArgumentTypeError(
                f"{op}: {name} must be a float32 or float64 NumPy array, got {type(a).__name__}"
            )
        if getattr(a, "requires_grad", False) is True:  # the graph would be dropped silently
            raise ArgumentTypeError(
                f"{op}: {name} is a Tensor that requires grad; kernels take arrays"
                + _how_to_convert(a)
            )
        try:
            converted = np.asarray(a)
        except Exception:  # an object NumPy cannot read (a ragged list, a GPU tensor)
            converted = np.empty(0, dtype=object)
        if converted.dtype == object:
            raise ArgumentTypeError(
                f"{op}: {name} must be a float32 or float64 NumPy array, got "
                f"{type(a).__name__}" + _how_to_convert(a)
            )
        a = converted
    if a.dtype not in FLOAT_DTYPES:
        if a.dtype not in WIDENED:
            raise ArgumentTypeError(
                f"{op}: {name} must be float32 or float64, got {a.dtype} with shape {fmt(a.shape)}"
            )
        a = a.astype(WIDENED[a.dtype])
    if a.size > MAX_ELEMENTS:
        check_elements(op, name, a.shape)
    return a


def _how_to_convert(a: Any) -> str:
    module = type(a).__module__.split(".")[0]
    if module == "torch":  # a CPU tensor converts; one that requires grad or lives elsewhere not
        return " (pass tensor.detach().cpu().numpy())"
    return " (pass tensor.detach().numpy())" if hasattr(a, "grad") else ""


def check_array(op: str, name: str, a: Any, ndim: int, layout: str) -> np.ndarray:
    """as_array of the given ndim, else a ValueError naming its shape. Use the result: it
    may be a conversion of `a`."""
    a = as_array(op, name, a)
    if a.ndim != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D {layout}, got shape {fmt(a.shape)}")
    return a


def check_same_dtype(op: str, **arrays: np.ndarray | None) -> None:
    """All given arrays share one dtype; mixing float32 and float64 is an error, not a cast."""
    present = {k: a for k, a in arrays.items() if a is not None}
    dtypes = {a.dtype for a in present.values()}
    if len(dtypes) > 1:
        parts = ", ".join(f"{k} {a.dtype} {fmt(a.shape)}" for k, a in present.items())
        raise ValueError(f"{op}: arrays must share one dtype, got {parts}")
