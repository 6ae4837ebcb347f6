"""Data-parallel training on MPI, the Horovod/ChainerMN way: every process holds the whole
model and reads its own shard of the data, and the gradients are averaged with one
allreduce before each step.

    rank, size = distributed.init()            # size 1 without mpirun: the same script runs alone
    distributed.broadcast_parameters(model)    # rank 0's weights (and buffers) everywhere
    opt = distributed.DistributedOptimizer(optim.SGD(model.parameters(), lr=scale_lr(0.01)),
                                           model.named_parameters())
    loader = DataLoader(train, batch_size, sampler=distributed.DistributedSampler(train))

Once init() has run, an uncaught exception on any rank prints that rank's traceback and
aborts the whole job, so no rank waits forever in a collective (Ctrl-C: one line, exit
130). fail() ends the job with one line and a chosen code (the CLI's user errors). mpi4py
is the optional [mpi] extra.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import traceback
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .. import _optional
from ..autograd import Parameter, Tensor
from ..nn import Module
from ..optim import Optimizer
from .comm import LocalComm, LocalGroup, MPIComm, Single

__all__ = [
    "DistributedOptimizer",
    "DistributedSampler",
    "LocalGroup",
    "broadcast_parameters",
    "fail",
    "init",
    "is_main",
    "scale_lr",
    "world",
]

Comm = Single | MPIComm | LocalComm
_world: Comm = Single()


def world() -> Comm:
    """The communicator init() set up (size 1 before, or without MPI)."""
    return _world


def init() -> tuple[int, int]:
    """(rank, size): MPI's COMM_WORLD when the process was launched by mpirun/mpiexec with
    more than one process, else (0, 1). Installs the abort-on-exception hook either way.
    Without mpi4py the same script runs alone, unless a launcher started it: then an
    ImportError naming the [mpi] extra, as every process would train alone and write the
    same files."""
    global _world
    _world = Single()
    if not _launched_by_mpi() and not _has_mpi4py():
        sys.excepthook = _abort_on_exception
        return 0, 1
    MPI = _optional.mpi()
    if MPI.COMM_WORLD.Get_size() > 1:
        _world = MPIComm(MPI.COMM_WORLD)
    sys.excepthook = _abort_on_exception
    return _world.rank, _world.size


# what MPICH (PMI_*), Open MPI (OMPI_*) and Hydra/Slurm launchers put in each process
_LAUNCHER_VARIABLES = (
    "PMI_SIZE",
    "PMI_RANK",
    "OMPI_COMM_WORLD_SIZE",
    "PMIX_RANK",
    "MPI_LOCALNRANKS",
)


def _has_mpi4py() -> bool:
    if "mpi4py" in sys.modules:
        return sys.modules["mpi4py"] is not None  # None: blocked, as Python's import does
    return importlib.util.find_spec("mpi4py") is not None


def _launched_by_mpi() -> bool:
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


GRACE_SECONDS = 2.0  # how long a rank other than 0 lets rank 0 report a shared failure
FORWARD_SECONDS = 0.3


def fail(message: str, code: int, comm: Comm | None = None) -> None:
    """Print one line and end every process of the job with exit status code.

    When every rank fails the same way (a bad option, Ctrl-C), rank 0 says it at once and
    its abort ends the others before they say it again; a rank failing alone still says
    it after GRACE_SECONDS."""
    comm = comm or _world
    if comm.rank != 0:
        time.sleep(GRACE_SECONDS)
        message = f"{message} (rank {comm.rank})"
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
    time.sleep(FORWARD_SECONDS)  # mpirun forwards the line before the abort ends its pipes
    comm.abort(code, quiet=True)


def _abort_on_exception(kind: type[BaseException], error: BaseException, tb: Any) -> None:
    """Print this rank's error, then end every process of the job (never a silent wait)."""
    rank = _world.rank
    if issubclass(kind, KeyboardInterrupt):  # Ctrl-C is no bug: no traceback
        if _world.size > 1:
            fail("convprop.distributed: interrupted", 130)
        sys.stderr.write("convprop.distributed: interrupted\n")
        return
    lines = traceback.format_exception(kind, error, tb)
    sys.stderr.write(f"convprop.distributed: rank {rank} failed:\n" + "".join(lines))
    sys.stderr.flush()
    if _world.size > 1:
        _world.abort(1)
    sys.__excepthook__(kind, error, tb)


def abort(error: BaseException, comm: Comm | None = None) -> None:
    """Report a caught error on this rank and end the job (used by the CLI)."""
    global _world
    saved, _world = _world, comm or _world
    try:
        _abort_on_exception(type(error), error, error.__traceback__)
    finally:
        _world = saved


def is_main(comm: Comm | None = None) -> bool:
    """Whether this is rank 0, the one that prints progress and writes files."""
    return (comm or _world).rank == 0


def scale_lr(lr: float, size: int | None = None) -> float:
    """The linear scaling rule (Goyal et al.): with N times the global batch, N times the
    learning rate."""
    return lr * (size if size is not None else _world.size)


def broadcast_parameters(model: Module, root: int = 0, comm: Comm | None = None) -> None:
    """Copy root's parameters and buffers (BatchNorm's running statistics too) to every rank,
    in the state_dict's name order."""
    comm = comm or _world
    arrays = {name: p.array for name, p in model.named_parameters()}
    arrays.update(model.named_buffers())
    for name in sorted(arrays):
        array = arrays[name]
        if not array.flags.c_contiguous:
            raise ValueError(f"broadcast_parameters: {name} is not contiguous in memory")
        comm.bcast(array, root)  # in place: the model's own arrays


class DistributedOptimizer(Optimizer):
    """An Optimizer that wraps another: before each step, every gradient is averaged over the
    ranks with ONE allreduce of a fused, contiguous buffer (parameters in name order), then
    the inner optimizer steps. Its param_groups, state, zero_grad and state_dict are the
    inner optimizer's own (a scheduler or a checkpoint sees the same groups either way)."""

    def __init__(  # no super().__init__(): the groups and state are the inner optimizer's
        self,
        optimizer: Optimizer,
        named_parameters: Iterable[tuple[str, Parameter]] | None = None,
        comm: Comm | None = None,
    ) -> None:
        self.optimizer, self._comm = optimizer, comm
        if named_parameters is None:
            params = [p for group in optimizer.param_groups for p in group["params"]]
            named = [(f"{i:06d}", p) for i, p in enumerate(params)]
        else:
            named = list(named_parameters)
        self.named = sorted(named, key=lambda item: item[0])  # the same order on every rank

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return self.optimizer.param_groups

    @param_groups.setter
    def param_groups(self, groups: list[dict[str, Any]]) -> None:
        self.optimizer.param_groups = groups

    @property
    def state(self) -> dict[int, dict[str, Any]]:
        return self.optimizer.state

    @state.setter
    def state(self, state: dict[int, dict[str, Any]]) -> None:
        self.optimizer.state = state

    @property
    def defaults(self) -> dict[str, Any]:
        return self.optimizer.defaults

    @defaults.setter
    def defaults(self, defaults: dict[str, Any]) -> None:
        self.optimizer.defaults = defaults

    @property
    def comm(self) -> Comm:
        return self._comm or _world

    def fused_gradients(self) -> np.ndarray:
        """All gradients in name order, one contiguous float64 buffer (absent ones as 0)."""
        parts = [
            np.zeros(p.array.size) if p.grad is None else p.grad.array.astype(np.float64).ravel()
            for _, p in self.named
        ]
        return np.concatenate(parts) if parts else np.zeros(0)

    def synchronize(self) -> None:
        """Replace every gradient by its average over the ranks."""
        comm = self.comm
        if comm.size == 1:
            return
        buffer = comm.allreduce_sum(self.fused_gradients())
        buffer /= comm.size
        offset = 0
        for _, p in self.named:
            n = p.array.size
            averaged = buffer[offset : offset + n].reshape(p.array.shape)
            p.grad = Tensor(averaged.astype(p.array.dtype))
            offset += n

    def step(self) -> None:
        self.synchronize()
        self.optimizer.step()

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none)

    def state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state_dict)


class DistributedSampler:
    """Each rank's share of a dataset's indices, as PyTorch's: a permutation seeded with
    seed + epoch (set_epoch), padded by repeating its start to a multiple of the world size,
    then every size-th index from the rank's own position. With per-rank batches of B,
    the ranks' step-k batches together are the single-process step-k batch of size*B."""

    def __init__(
        self,
        dataset: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        self.size = num_replicas if num_replicas is not None else _world.size
        self.rank = rank if rank is not None else _world.rank
        if not 0 <= self.rank < self.size:
            raise ValueError(f"DistributedSampler: rank {self.rank} outside 0..{self.size - 1}")
        self.n, self.shuffle, self.seed, self.drop_last = len(dataset), shuffle, seed, drop_last
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        if self.drop_last:
            return self.n // self.size
        return -(-self.n // self.size)

    def indices(self) -> np.ndarray:
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(self.n)
        else:
            order = np.arange(self.n)
        total = len(self) * self.size
        if total > self.n:
            order = np.concatenate([order, order[: total - self.n]])
        return order[self.rank : total : self.size]

    def __iter__(self) -> Iterator[int]:
        return iter(int(i) for i in self.indices())
