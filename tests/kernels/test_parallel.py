"""kernels/parallel.py: the helper threads every compiled kernel runs its parts on."""

import threading

import numpy as np
import pytest

from convprop import kernels as K
from convprop.kernels import parallel

from ..helpers import set_jit


def test_every_part_runs_once_and_the_caller_waits():
    seen, lock = [], threading.Lock()

    def task(part: int, parts: int) -> None:
        with lock:
            seen.append((part, parts, threading.current_thread().name))

    parallel.run(task, 3)
    assert sorted(p for p, _, _ in seen) == [0, 1, 2] and {n for _, n, _ in seen} == {3}
    assert all(name.startswith("convprop-kernels") for _, _, name in seen)
    seen.clear()
    parallel.run(task, 1)  # one part runs on the calling thread
    assert seen == [(0, 1, threading.current_thread().name)]


def test_an_error_on_a_helper_thread_is_raised_to_the_caller():
    def task(part: int, parts: int) -> None:
        if part == parts - 1:
            raise RuntimeError(f"part {part} of {parts}")

    with pytest.raises(RuntimeError, match="part 2 of 3"):
        parallel.run(task, 3)


def test_the_pool_is_made_again_in_a_forked_child(rng, monkeypatch, threads):
    """A forked child's copy of the pool has no threads behind it: a pool made by another
    process id is replaced, not used (it would wait forever)."""
    import numba

    set_jit(monkeypatch, True)

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has one thread here")
    threads(2)
    x, w = rng.standard_normal((4, 8, 20, 20)), rng.standard_normal((8, 8, 3, 3))
    want = K.conv2d(x, w, padding=1, algorithm="winograd")
    stale = parallel._helpers["pool"]
    monkeypatch.setitem(parallel._helpers, "pid", -1)  # as if the pool were the parent's
    np.testing.assert_array_equal(K.conv2d(x, w, padding=1, algorithm="winograd"), want)
    assert parallel._helpers["pool"] is not stale and parallel._helpers["pid"] > 0


def test_every_part_has_finished_when_an_error_is_raised():
    """A failing part does not leave the others running into the next kernel's buffers."""
    import time

    done = []

    def task(part: int, parts: int) -> None:
        if part == 0:
            raise RuntimeError("part 0")
        time.sleep(0.2)
        done.append(part)

    with pytest.raises(RuntimeError, match="part 0"):
        parallel.run(task, 2)
    assert done == [1]
