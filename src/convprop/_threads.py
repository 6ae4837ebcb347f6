"""Threads: under mpirun each process gets its share of the cores for BLAS and Numba,
unless told otherwise; set_num_threads sets both pools, as torch.set_num_threads.

Measured here (2 cores, LeNet on MNIST): two processes with OpenBLAS's default of one thread
per core each ran 9x slower than one process, their spinning threads fighting over the
cores; with one thread each they ran 1.13x faster. OpenBLAS reads its thread count when
NumPy loads it, so this must run before NumPy is imported.
"""

from __future__ import annotations

import os
import sys
from typing import Any

LOCAL_SIZE = ("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "MPI_LOCAL_NRANKS")
THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


def share_cores_under_mpirun() -> None:
    local = next((os.environ[v] for v in LOCAL_SIZE if os.environ.get(v, "").isdigit()), None)
    if local is None or int(local) < 2 or any(v in os.environ for v in THREAD_VARIABLES):
        return
    threads = str(max(1, (os.cpu_count() or 1) // int(local)))
    for variable in THREAD_VARIABLES:
        os.environ[variable] = threads


share_cores_under_mpirun()


_requested: int | None = None  # set_num_threads' count, applied to Numba when it loads


def set_num_threads(n: int) -> None:
    """The number of threads convprop's compiled kernels and its BLAS GEMMs use, like
    torch.set_num_threads. Both pools get the same count and never run at once, so n
    threads are busy at most (under mpirun each process starts with its share)."""
    global _requested
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= (os.cpu_count() or 1):
        raise ValueError(f"set_num_threads: n must be an int in [1, {os.cpu_count()}], got {n!r}")
    _requested = n
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="blas")
    numba = sys.modules.get("numba")
    if numba is not None:
        apply_to_numba(numba)


def get_num_threads() -> int:
    """The thread count set_num_threads gave, else the cores this process may use."""
    return _requested or _share()


def _share() -> int:
    local = next((os.environ[v] for v in LOCAL_SIZE if os.environ.get(v, "").isdigit()), "1")
    return max(1, (os.cpu_count() or 1) // max(1, int(local)))


def apply_to_numba(numba: Any) -> None:
    """Numba's pool: set_num_threads' count, else this process's share of the cores."""
    numba.set_num_threads(min(get_num_threads(), numba.config.NUMBA_NUM_THREADS))
