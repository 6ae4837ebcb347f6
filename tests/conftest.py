import numpy as np
import pytest

from .oracle.record import COUNT, LARGEST


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def pytest_terminal_summary(terminalreporter):
    if LARGEST:
        terminalreporter.section("largest scaled error against PyTorch")
        for dtype in sorted(LARGEST):
            terminalreporter.write_line(
                f"{dtype}: {LARGEST[dtype]:.3g} over {COUNT[dtype]} comparisons"
            )
