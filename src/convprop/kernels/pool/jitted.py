"""Which poolings run compiled (compiled_max.py and compiled_avg.py, through jit.lazy) and
the stand-ins that reach them without importing Numba.

A pooling runs compiled where jit.enabled() (Numba imports, CONVPROP_JIT != "0"), its
arrays are float32 or float64 and it has one to three spatial dimensions; elsewhere
max.py, winners.py and avg.py run their NumPy algorithms, with the same results: max
pooling's y and switches bit for bit, average pooling's sums in the same order.
"""

from __future__ import annotations

import numpy as np

from .. import jit

max_forward = jit.lazy("pool.compiled_max", "max_forward")
max_backward = jit.lazy("pool.compiled_max", "max_backward")  # (grad_x, switches all valid)
route = jit.lazy("pool.compiled_max", "route")
avg_forward = jit.lazy("pool.compiled_avg", "avg_forward")
avg_backward = jit.lazy("pool.compiled_avg", "avg_backward")


def usable(x: np.ndarray, *others: np.ndarray) -> bool:
    """Whether the compiled kernels take these arrays: jit enabled, x (N, C, *size) with one
    to three spatial dimensions, float32 or float64, and `others` (divisors) of its dtype."""
    return 3 <= x.ndim <= 5 and all(a.dtype == x.dtype for a in others) and jit.runs(x.dtype)
