"""Fixtures of the kernel tests."""

import pytest


@pytest.fixture
def threads():
    """numba.set_num_threads, restored to convprop's count afterwards."""
    import numba

    import convprop

    yield numba.set_num_threads
    numba.set_num_threads(min(convprop.get_num_threads(), numba.config.NUMBA_NUM_THREADS))
