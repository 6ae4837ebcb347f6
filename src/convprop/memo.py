"""A bounded memory of pure functions of small, hashable arguments (the layer geometries).

The differentiable ops validate once (their backward reuses the forward's geometry), so
this memory is not what keeps training cheap; it serves the public, checked kernel
functions, which a caller may run many times on one configuration, and it keeps a
geometry's identity stable (tests/test_shapes.py). It holds only the frozen geometry
dataclasses (tuples of ints), never arrays, and at most MAX_ENTRIES of them, least
recently used dropped first.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

MAX_ENTRIES = 256  # geometries remembered per function


def _typed(value: Any) -> Any:
    """A cache key that tells 2 from 2.0 and True (equal, same hash, not the same input)."""
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(_typed(v) for v in value))
    return (type(value), value)


def memoized(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Remember a validated geometry, the last MAX_ENTRIES. Arguments are keyed with their
    types; calls with keywords or unhashable arguments are not cached; errors are raised
    every time."""
    cache: OrderedDict[Any, Any] = OrderedDict()

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            return fn(*args, **kwargs)
        try:
            key = _typed(args)
            result = cache[key]
        except TypeError:  # unhashable: validate without the cache
            return fn(*args)
        except KeyError:
            result = cache[key] = fn(*args)
            if len(cache) > MAX_ENTRIES:
                cache.popitem(last=False)
            return result
        cache.move_to_end(key)
        return result

    return wrapper
