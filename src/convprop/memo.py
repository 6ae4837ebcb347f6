"""Remembering pure functions of small, hashable arguments (the layer geometries)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def _typed(value: Any) -> Any:
    """A cache key that tells 2 from 2.0 and True (equal, same hash, not the same input)."""
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(_typed(v) for v in value))
    return (type(value), value)


def memoized(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Remember a validated geometry: a training step asks for the same few, each costing
    ~0.1 ms of Python to validate. Arguments are keyed with their types; calls with
    keywords or unhashable arguments are not cached; errors are raised every time."""
    cache: dict[Any, Any] = {}

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            return fn(*args, **kwargs)
        try:
            key = _typed(args)
            return cache[key]
        except TypeError:  # unhashable: validate without the cache
            return fn(*args)
        except KeyError:
            if len(cache) >= 4096:
                cache.clear()
            result = cache[key] = fn(*args)
            return result

    return wrapper
