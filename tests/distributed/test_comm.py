"""distributed/comm.py without mpirun: the one-process world, N ranks simulated as threads
(sums in rank order, broadcasts from any root, barriers, abort), and MPIComm over a stand-in
for mpi4py's communicator."""

import threading
from types import SimpleNamespace

import numpy as np
import pytest

from convprop import _optional
from convprop.distributed import comm as comm_module
from convprop.distributed.comm import LocalGroup, MPIComm, Single


def test_the_one_process_world_is_the_identity(monkeypatch):
    world = Single()
    assert (world.rank, world.size) == (0, 1)
    buffer = np.arange(3.0)
    assert world.allreduce_sum(buffer) is buffer and world.bcast(buffer, 0) is buffer
    np.testing.assert_array_equal(buffer, [0.0, 1.0, 2.0])
    world.barrier()
    exits = []
    monkeypatch.setattr(comm_module.os, "_exit", exits.append)
    world.abort(3)
    assert exits == [3]


def _on_ranks(size, work):
    """work(comm) on `size` simulated ranks, each its own thread; their results by rank."""
    group = LocalGroup(size)
    results, errors = [None] * size, []

    def run(r):
        try:
            results[r] = work(group.rank(r))
        except BaseException as e:  # handed back to the test
            errors.append(e)

    threads = [threading.Thread(target=run, args=(r,)) for r in range(size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads), "a rank is stuck"
    return group, results, errors


def test_allreduce_sums_every_ranks_buffer_in_place_in_rank_order():
    def work(comm):
        buffer = np.full(4, float(comm.rank + 1)) * [1, 10, 100, 0.1]
        out = comm.allreduce_sum(buffer)
        assert out is buffer and comm.size == 3
        return buffer

    _, results, errors = _on_ranks(3, work)
    assert not errors
    want = (1 + 2 + 3) * np.array([1, 10, 100, 0.1])
    for r in results:
        np.testing.assert_allclose(r, want)
    np.testing.assert_array_equal(results[0], results[2])  # bit for bit the same everywhere


def test_a_second_collective_does_not_read_the_first_ones_values():
    def work(comm):
        first = comm.allreduce_sum(np.array([float(comm.rank)]))
        second = comm.allreduce_sum(np.array([10.0 * comm.rank]))
        return float(first[0]), float(second[0])

    _, results, errors = _on_ranks(4, work)
    assert not errors and results == [(6.0, 60.0)] * 4


@pytest.mark.parametrize("root", [0, 2])
def test_bcast_copies_the_roots_buffer_to_every_rank(root):
    def work(comm):
        buffer = np.full((2, 2), float(comm.rank))
        comm.bcast(buffer, root)
        return buffer

    _, results, errors = _on_ranks(3, work)
    assert not errors
    for r in results:
        np.testing.assert_array_equal(r, np.full((2, 2), float(root)))


def test_abort_records_the_code_and_releases_the_ranks_waiting_in_a_collective():
    def work(comm):
        if comm.rank == 1:
            comm.abort(7)
            return "aborted"
        comm.barrier()  # would wait forever for rank 1
        return "passed"

    group, results, errors = _on_ranks(3, work)
    assert group.aborted == 7 and results[1] == "aborted"
    assert len(errors) == 2 and all(isinstance(e, threading.BrokenBarrierError) for e in errors)


class FakeWorld:
    """mpi4py's COMM_WORLD as MPIComm uses it, recording the calls."""

    def __init__(self, rank=1, size=4):
        self.rank, self.size, self.calls = rank, size, []

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return self.size

    def Allreduce(self, send, recv, op):
        self.calls.append(("Allreduce", send, op))
        recv *= self.size  # as if every rank held the same values

    def Bcast(self, buffer, root):
        self.calls.append(("Bcast", root))
        buffer[...] = -1.0

    def Barrier(self):
        self.calls.append(("Barrier",))

    def Abort(self, code):
        self.calls.append(("Abort", code))


def test_mpi_comm_runs_the_collectives_on_its_communicator_in_place(monkeypatch):
    mpi = SimpleNamespace(IN_PLACE="IN_PLACE", SUM="SUM")
    monkeypatch.setattr(_optional, "mpi", lambda: mpi)
    world = FakeWorld(rank=1, size=4)
    comm = MPIComm(world)
    assert (comm.rank, comm.size) == (1, 4)
    buffer = np.array([1.0, 2.0])
    assert comm.allreduce_sum(buffer) is buffer
    np.testing.assert_array_equal(buffer, [4.0, 8.0])
    assert world.calls[0] == ("Allreduce", "IN_PLACE", "SUM")  # no copy, no pickling
    assert comm.bcast(buffer, root=2) is buffer and world.calls[1] == ("Bcast", 2)
    np.testing.assert_array_equal(buffer, [-1.0, -1.0])
    comm.barrier()
    comm.abort(5)
    assert world.calls[2:] == [("Barrier",), ("Abort", 5)]


def test_a_quiet_abort_silences_mpis_own_line_first(monkeypatch):
    world = FakeWorld()
    redirected = []
    monkeypatch.setattr(comm_module.os, "dup2", lambda src, dst: redirected.append(dst))
    monkeypatch.setattr(comm_module.os, "open", lambda path, flags: 99)
    MPIComm(world).abort(2, quiet=True)
    assert redirected == [2] and world.calls == [("Abort", 2)]
