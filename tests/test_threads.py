"""_threads.py: set_num_threads sets both thread pools (BLAS and Numba's), as
torch.set_num_threads, and refuses a count the machine cannot give."""

import os

import pytest
from threadpoolctl import threadpool_info

import convprop
from convprop import _threads


@pytest.fixture
def restore_threads():
    before = convprop.get_num_threads()
    yield
    _threads._requested = None
    convprop.set_num_threads(before)
    _threads._requested = None


def _blas_threads():
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_set_num_threads_sets_blas_and_numba_and_get_reads_it_back(restore_threads):
    numba = pytest.importorskip("numba")
    convprop.set_num_threads(1)
    assert convprop.get_num_threads() == 1
    assert _blas_threads() == {1}
    assert numba.get_num_threads() == 1
    if (os.cpu_count() or 1) >= 2:
        convprop.set_num_threads(2)
        assert _blas_threads() == {2} and numba.get_num_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, 10**6, 1.5, True, "2", None])
def test_set_num_threads_refuses_a_count_outside_the_cores(bad, restore_threads):
    with pytest.raises(ValueError, match=r"set_num_threads: n must be an int in \[1, "):
        convprop.set_num_threads(bad)


def test_without_a_request_each_process_under_mpirun_gets_its_share(monkeypatch):
    monkeypatch.setattr(_threads, "_requested", None)
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 8)
    for variable in _threads.LOCAL_SIZE:
        monkeypatch.delenv(variable, raising=False)
    assert convprop.get_num_threads() == 8
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "4")
    assert convprop.get_num_threads() == 2
