"""Numba for the compiled kernels, imported on first use.

Importing Numba takes longer than all of convprop (about 0.3 s against 0.1 s), so
`import convprop` never does it: a compiled kernel lives in a module of its own that
imports numba at its top, and the NumPy side reaches it through `lazy(module, name)`,
which imports that module on the first call. Each kernel compiles with cache=True, so
only the first run on a fresh install pays for compilation; Numba keeps its cache beside
the module, or in a user cache directory when site-packages is read-only.

Threads: the kernels run in parts on parallel.py's helper threads, numba.get_num_threads()
of them (convprop.set_num_threads sets it), not in Numba's parallel loops (prange), which
doubled their compile time; only im2col's column loops (columns.py) stay parallel loops,
for the vectorised copies Numba's parallel lowering allows there. Numba's pool is its
"workqueue" layer (NUMBA_THREADING_LAYER, where set, wins): the OpenMP layer's threads spin
after each parallel loop, fighting the GEMM's BLAS threads for the same cores (measured on
LeNet's conv2: 5.3x PyTorch's time with OpenMP, 1.35x with workqueue), and workqueue aborts
the process when two threads start parallel loops at once. So every compiled kernel runs
under one lock, one at a time per process, each using every core it may: threads that
train side by side (tests/distributed's ranks) take turns instead of oversubscribing.

The first run on a fresh install pauses while the kernels compile (seconds);
`announce_compiling(say)` has `say` told once, when the first of convprop's kernels starts
compiling (Numba's "numba:compile" event fires only when its cache has no copy), so the
command line can explain the pause instead of leaving it a surprise.

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

_one_at_a_time = threading.Lock()  # one compiled kernel at a time (workqueue's rule too)

NOTICE = "compiling kernels for this machine (first run only: Numba caches them)"
_announcers: list[Callable[[str], None]] = []
_announced = threading.Event()


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
    from numba.core import event

    class FirstCompile(event.Listener):
        def on_start(self, ev: Any) -> None:
            _first_compile(ev)

        def on_end(self, ev: Any) -> None:
            pass

    event.register("numba:compile", FirstCompile())  # type: ignore[no-untyped-call]
    return module


def announce_compiling(say: Callable[[str], None]) -> None:
    """Call say(NOTICE) once, when the first of convprop's kernels starts compiling in this
    process (never where every kernel comes from Numba's cache)."""
    if say not in _announcers:  # the command line registers on every call of main()
        _announcers.append(say)


def _first_compile(ev: Any) -> None:
    """Numba starts compiling a function: if it is convprop's first, tell the announcers."""
    func = getattr(ev.data.get("dispatcher"), "py_func", None)
    ours = (getattr(func, "__module__", None) or "").startswith(f"{__package__}.")  # exec: None
    if ours and _announcers and not _announced.is_set():
        _announced.set()
        for say in _announcers:
            say(NOTICE)


def load(module: str) -> ModuleType:
    """A compiled-kernel module of convprop.kernels (e.g. "conv.direct"), imported once."""
    numba()  # Numba configured (threads, the first-compile notice) before any kernel loads
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
