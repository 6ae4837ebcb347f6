"""The largest disagreement with PyTorch seen in this run, per dtype, printed at the end."""

from __future__ import annotations

LARGEST: dict[str, float] = {}
COUNT: dict[str, int] = {}


def record(dtype: str, error: float) -> None:
    LARGEST[dtype] = max(LARGEST.get(dtype, 0.0), error)
    COUNT[dtype] = COUNT.get(dtype, 0) + 1
