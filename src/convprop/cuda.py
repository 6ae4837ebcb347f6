"""convprop.cuda: the probes scripts make before choosing a device (no CUDA backend yet)."""

from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed without a GPU, as torch.cuda.manual_seed on a CPU-only build."""


manual_seed_all = manual_seed
