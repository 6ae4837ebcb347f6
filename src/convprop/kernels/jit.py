"""Numba for the compiled kernels, imported on first use.

Importing Numba takes longer than all of convprop (about 0.3 s against 0.1 s), so
`import convprop` never does it: a compiled kernel lives in a module of its own that
imports numba at its top, and the NumPy side reaches it through `lazy(module, name)`,
which imports that module on the first call. Each kernel compiles with cache=True, so
only the first run on a fresh install pays for compilation; Numba keeps its cache beside
the module, or in a user cache directory when site-packages is read-only.

Numba's thread pool is its "workqueue" layer: the OpenMP layer it would pick otherwise
leaves its threads spinning after each parallel loop, fighting the BLAS threads of the
GEMM that follows for the same cores (measured on LeNet's conv2: 5.3x PyTorch's time
with OpenMP, 1.35x with workqueue; one parallel loop 12 ms against 0.3 ms). workqueue
aborts the process when two threads start parallel loops at once (parallel loops release
the GIL), so every compiled kernel runs under one lock: one at a time per process, each
using every core it may (threads that train side by side, as tests/distributed's ranks,
take turns). NUMBA_THREADING_LAYER, where set, wins.

`enabled()` says whether the compiled kernels run: Numba imports and the environment
variable CONVPROP_JIT is not "0". Where it is false, every operation runs its NumPy
algorithm instead (the same results to rounding; the kernel tests run in both modes).
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from .. import _threads

ENVIRONMENT = "CONVPROP_JIT"

_one_at_a_time = threading.Lock()  # workqueue's rule: one parallel loop at a time


FLOATS = (np.dtype(np.float32), np.dtype(np.float64))  # the dtypes compiled kernels take


def enabled() -> bool:
    """Whether the compiled kernels run (Numba importable, CONVPROP_JIT != "0")."""
    return os.environ.get(ENVIRONMENT, "1") != "0" and numba() is not None


def runs(dtype: Any) -> bool:
    """Whether compiled kernels run on arrays of this dtype: float32 or float64, enabled()."""
    return np.dtype(dtype) in FLOATS and enabled()


@functools.cache
def numba() -> ModuleType | None:
    """The numba module, imported once, with convprop's thread count applied; None where
    it cannot be imported (then the NumPy algorithms run)."""
    try:
        import numba as module
    except ImportError:
        return None
    config: Any = module.config  # set before the first parallel loop; the user's choice stands
    if "NUMBA_THREADING_LAYER" not in os.environ:
        config.THREADING_LAYER = "workqueue"
    _threads.apply_to_numba(module)
    return module


def load(module: str) -> ModuleType:
    """A compiled-kernel module of convprop.kernels (e.g. "conv.direct"), imported once."""
    return importlib.import_module(f"{__package__}.{module}")


def lazy(module: str, name: str) -> Callable[..., Any]:
    """A stand-in for function `name` of kernels module `module` that imports the module
    on its first call, then calls through, one compiled kernel at a time."""
    target: Callable[..., Any] | None = None

    def call(*args: Any) -> Any:
        nonlocal target
        if target is None:
            target = getattr(load(module), name)
        with _one_at_a_time:
            return target(*args)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"convprop.kernels.{module}.{name}, compiled on first use."
    return call
