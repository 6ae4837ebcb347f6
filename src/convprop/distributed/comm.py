"""Communicators: the three collective operations data-parallel training needs.

    allreduce_sum(buffer)   every rank's buffer replaced by the sum over ranks, in place
    bcast(buffer, root)     every rank's buffer replaced by root's, in place
    abort(code)             end every process of the job now

MPIComm runs them on mpi4py (the [mpi] extra); Single is the size-1 world of a script
run without mpirun; LocalGroup simulates N ranks as threads of one process, for tests.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import numpy as np

from .. import _optional


class Single:
    """The world of one process: every collective is the identity."""

    rank, size = 0, 1

    def allreduce_sum(self, buffer: np.ndarray) -> np.ndarray:
        return buffer

    def bcast(self, buffer: np.ndarray, root: int = 0) -> np.ndarray:
        return buffer

    def barrier(self) -> None:
        pass

    def abort(self, code: int = 1, quiet: bool = False) -> None:
        os._exit(code)


class MPIComm:
    """mpi4py's COMM_WORLD, with NumPy buffers (no pickling)."""

    def __init__(self, comm: Any) -> None:
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()

    def allreduce_sum(self, buffer: np.ndarray) -> np.ndarray:
        MPI = _optional.mpi()
        self.comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        return buffer

    def bcast(self, buffer: np.ndarray, root: int = 0) -> np.ndarray:
        self.comm.Bcast(buffer, root=root)
        return buffer

    def barrier(self) -> None:
        self.comm.Barrier()

    def abort(self, code: int = 1, quiet: bool = False) -> None:
        """MPI_Abort; quiet leaves out MPI's own "Abort(code) on node ..." line (the
        caller has said why in one line already)."""
        sys.stderr.flush()
        if quiet:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        self.comm.Abort(code)


class LocalGroup:
    """N simulated ranks in one process: `group.rank(r)` is rank r's communicator, to be
    used from its own thread; collectives meet at a barrier, as MPI's do."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._barrier = threading.Barrier(size)
        self._slots: list[np.ndarray | None] = [None] * size
        self.aborted: int | None = None

    def rank(self, r: int) -> LocalComm:
        return LocalComm(self, r)


class LocalComm:
    def __init__(self, group: LocalGroup, rank: int) -> None:
        self.group, self.rank, self.size = group, rank, group.size

    def _exchange(self, buffer: np.ndarray) -> list[np.ndarray]:
        g = self.group
        g._slots[self.rank] = buffer.copy()
        g._barrier.wait()
        values = [v for v in g._slots if v is not None]
        g._barrier.wait()  # everyone has read before anyone writes again
        return values

    def allreduce_sum(self, buffer: np.ndarray) -> np.ndarray:
        values = self._exchange(buffer)
        total = values[0].copy()
        for v in values[1:]:  # rank order, as a deterministic reduction would
            total += v
        buffer[...] = total
        return buffer

    def bcast(self, buffer: np.ndarray, root: int = 0) -> np.ndarray:
        buffer[...] = self._exchange(buffer)[root]
        return buffer

    def barrier(self) -> None:
        self.group._barrier.wait()

    def abort(self, code: int = 1, quiet: bool = False) -> None:
        self.group.aborted = code
        self.group._barrier.abort()
