"""Naming for the Tensor methods that compare.py and convert.py make from one pattern, so
that help(), tracebacks and inspect show PyTorch's method names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])


def named(name: str, doc: str, fn: F) -> F:
    """fn, named `name` (its __name__ and __qualname__) with the docstring doc."""
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn
