"""Version counters of storage, as PyTorch keeps them: every in-place write through a Tensor
bumps the counter of the memory it wrote (shared by every view and alias of that memory),
each recorded operation notes the versions of its inputs and output, and backward refuses
an operation whose memory has changed since, instead of computing a wrong gradient from it.

Counters live beside the root ndarray that owns the memory (weakly held, so they go with
it). Until the first in-place write of the process every version is 0 and nothing is
looked up.
"""

from __future__ import annotations

import weakref

import numpy as np

# by id of the root ndarray (ndarrays are not hashable); an entry goes when its array does
_counters: dict[int, int] = {}


def _root(a: np.ndarray) -> np.ndarray:
    """The ndarray that owns a's memory (a itself unless a is a view)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def version(a: np.ndarray) -> int:
    return _counters.get(id(_root(a)), 0) if _counters else 0


def bump(a: np.ndarray) -> None:
    """a's memory was written in place."""
    root = _root(a)
    key = id(root)
    if key not in _counters:
        weakref.finalize(root, _counters.pop, key, None)
    _counters[key] = _counters.get(key, 0) + 1


def check(what: str, a: np.ndarray, expected: int) -> None:
    """ValueError, in PyTorch's words, where a's memory changed since it was recorded."""
    now = version(a)
    if now != expected:
        raise ValueError(
            "backward: one of the variables needed for gradient computation has been "
            f"modified by an inplace operation: [{what} of shape {tuple(a.shape)}, "
            f"{a.dtype}] is at version {now}; expected version {expected} instead"
        )
