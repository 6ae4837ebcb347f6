"""The helper threads that run compiled kernels in parts: one pool for every kernel.

A compiled kernel written as `part(..., part, parts)` (numba.njit(nogil=True): it releases
the GIL) does its share of the work items; run(task, parts) calls task(part, parts) for
every part at once, on threads that stay between calls, and waits. Why not Numba's
parallel loops (prange): each parallel kernel took about twice as long to compile (the
parfor passes: the direct convolution's forward 3.8 against 2.1 s of CPU, the Winograd
primitives 18 against 6 s), and a fresh install pays that on its first run (im2col's
column loops stay parallel loops: columns.py says why). A part's items are fixed by
(part, parts), and no sum runs across parts, so the result never depends on the number
of threads.

A kernel finds its items with span(part, parts, items), compiled; in_parts runs it on
numba.get_num_threads() parts (convprop.set_num_threads sets that count). Imported only by
the compiled-kernel modules: importing it imports Numba.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import numba

_helpers: dict[str, Any] = {}  # the pool of helper threads, and the process that made it
_making = threading.Lock()


def _pool(helpers: int) -> ThreadPoolExecutor:
    """At least `helpers` threads that stay between calls (a thread started per call cost
    0.35 ms more than the work it ran: its first allocations, measured), made again in a
    forked child, whose copy has no threads behind it."""
    with _making:
        pool = _helpers.get("pool")
        if pool is None or _helpers.get("pid") != os.getpid() or _helpers["size"] < helpers:
            if pool is not None and _helpers.get("pid") == os.getpid():
                pool.shutdown(wait=False)
            pool = ThreadPoolExecutor(helpers, thread_name_prefix="convprop-kernels")
            _helpers.update(pool=pool, pid=os.getpid(), size=helpers)
        return pool


def run(task: Callable[[int, int], object], parts: int) -> None:
    """task(part, parts) for every part, at the same time on the pool's threads (the
    compiled tasks release the GIL); this thread waits for all of them, even when one
    fails or a Ctrl-C arrives (no part may run on into the next kernel's buffers), and
    raises the first error."""
    if parts == 1:
        task(0, 1)
        return
    futures = [_pool(parts).submit(task, part, parts) for part in range(parts)]
    try:
        for future in futures:
            future.result()
    finally:
        wait(futures)


@numba.njit(cache=True)
def span(part, parts, items):  # type: ignore[no-untyped-def]
    """The items [lo, hi) of part `part` of `parts`: equal shares, in order."""
    return part * items // parts, (part + 1) * items // parts


def in_parts(kernel: Callable[..., object], items: int, *args: Any) -> None:
    """kernel(*args, part, parts) on parts = min(threads, items) threads (at least one): a
    compiled kernel that does the items span(part, parts, items) of its work. Threads:
    numba.get_num_threads(), asked here in Python (asked in a compiled function, it stops
    Numba from caching it)."""
    parts = max(1, min(items, int(numba.get_num_threads())))
    run(lambda part, n: kernel(*args, part, n), parts)
